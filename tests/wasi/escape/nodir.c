/*
 * nodir.c — deny by default: run with no --dir, the guest must see no
 * preopen at all (fd_prestat_get and fd_fdstat_get on 3..63 are badf) and
 * no path call may reach the host through any fd number: 3.., the stdio fds
 * 0-2, AT_FDCWD's bit pattern (-100, which a runtime that passes fds through
 * would turn into "the working directory", here the outside directory),
 * -1 and huge numbers.  Also the environment: with no --env the guest sees
 * no variable at all (the host's environment holds the secret); run as
 * `nodir OUT granted` (with --env GRANTED=yes --env KILN_PASS) it must see
 * exactly GRANTED=yes and KILN_PASS=<the host's value, "passed-through">.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int bad;

static void expect(const char *what, int good)
{
    printf("%s %s\n", good ? "ok" : "FAIL", what);
    if (!good)
        bad++;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *out = argc > 1 ? argv[1] : "/nonexistent";
    const char *mode = argc > 2 ? argv[2] : "none";
    char what[1200], path[1100];

    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t ps;
        __wasi_fdstat_t st;
        __wasi_errno_t e1 = __wasi_fd_prestat_get(fd, &ps), e2 = __wasi_fd_fdstat_get(fd, &st);
        if (e1 != __WASI_ERRNO_BADF || e2 != __WASI_ERRNO_BADF) {
            snprintf(what, sizeof what, "fd %u: prestat errno %u, fdstat errno %u (want badf)",
                     (unsigned)fd, (unsigned)e1, (unsigned)e2);
            expect(what, 0);
        }
    }
    expect("fds 3..63 are all badf", 1);

    static const __wasi_fd_t fds[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                      (__wasi_fd_t)-100, (__wasi_fd_t)-1, 0x7fffffff, 0x80000000u,
                                      1024, 65536};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) {
        __wasi_fd_t fd = fds[i], got = (__wasi_fd_t)-1;
        static const char *rel[] = {"secret.txt", "../outside/secret.txt", "dir", "."};
        for (size_t j = 0; j < 5; j++) {
            const char *p = rel[j % 4];
            if (j == 4) {
                snprintf(path, sizeof path, "%s/secret.txt", out);
                p = path;
            }
            __wasi_errno_t e = __wasi_path_open(fd, 1, p, 0, 0x3fffffff, 0x3fffffff, 0, &got);
            snprintf(what, sizeof what, "path_open(fd %u, %s) fails (errno %u)", (unsigned)fd, p,
                     (unsigned)e);
            expect(what, e != 0);
            if (e == 0) {
                char buf[512];
                __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
                __wasi_size_t n = 0;
                if (__wasi_fd_read(got, &iov, 1, &n) == 0)
                    printf("LEAK: %.*s\n", (int)n, buf);
                (void)__wasi_fd_close(got);
            }
        }
        __wasi_filestat_t fst;
        __wasi_errno_t e = __wasi_path_filestat_get(fd, 1, "secret.txt", &fst);
        snprintf(what, sizeof what, "path_filestat_get(fd %u) fails (errno %u)", (unsigned)fd, (unsigned)e);
        expect(what, e != 0);
        e = __wasi_path_create_directory(fd, "mkdir_nodir");
        snprintf(what, sizeof what, "path_create_directory(fd %u) fails (errno %u)", (unsigned)fd, (unsigned)e);
        expect(what, e != 0);
        e = __wasi_path_unlink_file(fd, "victim.txt");
        snprintf(what, sizeof what, "path_unlink_file(fd %u) fails (errno %u)", (unsigned)fd, (unsigned)e);
        expect(what, e != 0);
        e = __wasi_path_symlink("secret.txt", fd, "sym_nodir");
        snprintf(what, sizeof what, "path_symlink(fd %u) fails (errno %u)", (unsigned)fd, (unsigned)e);
        expect(what, e != 0);
        e = __wasi_path_rename(fd, "victim.txt", fd, "renamed_nodir");
        snprintf(what, sizeof what, "path_rename(fd %u) fails (errno %u)", (unsigned)fd, (unsigned)e);
        expect(what, e != 0);
        e = __wasi_path_link(fd, 0, "secret.txt", fd, "hl_nodir");
        snprintf(what, sizeof what, "path_link(fd %u) fails (errno %u)", (unsigned)fd, (unsigned)e);
        expect(what, e != 0);
        e = __wasi_path_filestat_set_times(fd, 0, "secret.txt", 0, 0, __WASI_FSTFLAGS_MTIM_NOW);
        snprintf(what, sizeof what, "path_filestat_set_times(fd %u) fails (errno %u)", (unsigned)fd,
                 (unsigned)e);
        expect(what, e != 0);
    }

    /* the environment */
    __wasi_size_t count = 99, size = 99;
    __wasi_errno_t e = __wasi_environ_sizes_get(&count, &size);
    expect("environ_sizes_get works", e == 0);
    char *buf = malloc(size + 1), **env = malloc((count + 1) * sizeof *env);
    int granted = 0, pass = 0, other = 0;
    if (e == 0 && buf && env && __wasi_environ_get((uint8_t **)env, (uint8_t *)buf) == 0) {
        for (__wasi_size_t i = 0; i < count; i++) {
            printf("env: %s\n", env[i]);
            if (strcmp(env[i], "GRANTED=yes") == 0)
                granted++;
            else if (strcmp(env[i], "KILN_PASS=passed-through") == 0)
                pass++;
            else
                other++;
        }
    } else if (count) {
        expect("environ_get works", 0);
    }
    if (strcmp(mode, "granted") == 0) {
        expect("with --env: exactly GRANTED=yes and KILN_PASS", count == 2 && granted == 1 &&
                                                                    pass == 1 && other == 0);
    } else {
        snprintf(what, sizeof what, "no --env: no variables (count %u, size %u)", (unsigned)count,
                 (unsigned)size);
        expect(what, count == 0 && size == 0);
    }
    printf("nodir-guest: done %d failures\n", bad);
    return bad ? 10 : 0;
}
