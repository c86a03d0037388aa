/*
 * escape.h — shared helpers for the sandbox-escape guests (tests/wasi/escape/).
 *
 * Every guest is run by tests/wasi/sandbox.sh with the same layout:
 *   fd 3  /sb     read-write   host WORK/sb
 *   fd 4  /ro     read-only    host WORK/ro
 *   fd 5  /sb2    read-write   host WORK/sb2
 *   fd 6  /empty  read-write   host WORK/empty (an empty directory)
 *   argv[1] = WORK/outside (absolute host path), argv[2] = WORK/sb,
 *   argv[3] = WORK/ro; kiln's working directory is WORK/outside.
 *
 * The guests call wasi_snapshot_preview1 directly (<wasi/api.h>) with the
 * hostile path on the preopen fd, so wasi-libc cannot normalise anything.
 * Each attempt prints one line:
 *   "ok NAME (errno E)"      an escape attempt failed, as it must
 *   "ESCAPE NAME"            an escape attempt succeeded (a bug)
 *   "LEAK NAME: BYTES"       ... and this is what it read
 *   "control NAME"           a legitimate operation worked, as it must
 *   "CONTROL-FAILED NAME"    a legitimate operation failed (the test is void)
 * and the guest ends with "escape-guest: done N escapes, N control failures"
 * and exits 0 only if both are zero (10: escapes, 11: controls only).  The
 * script independently checks the host side (nothing outside read, created
 * or changed) and that no secret appears in the output.
 */
#ifndef KILN_ESCAPE_H
#define KILN_ESCAPE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define SB 3
#define RO 4
#define SB2 5
#define EMPTY 6

#define ESC_FN static __attribute__((unused))
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define NOFOLLOW 0

/* Rights a reader asks for: what a read-only directory grants. */
#define R_READ                                                                    \
    (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |      \
     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_READDIR |                  \
     __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_FILESTAT_GET |                 \
     __WASI_RIGHTS_PATH_READLINK)
/* Every right that changes something in the file system. */
#define R_MUTATE                                                                  \
    (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE |                         \
     __WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_CREATE_FILE |      \
     __WASI_RIGHTS_PATH_LINK_SOURCE | __WASI_RIGHTS_PATH_LINK_TARGET |           \
     __WASI_RIGHTS_PATH_RENAME_SOURCE | __WASI_RIGHTS_PATH_RENAME_TARGET |       \
     __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE | __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES | \
     __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |  \
     __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |          \
     __WASI_RIGHTS_PATH_UNLINK_FILE)
#define R_ALL (R_READ | R_MUTATE | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_SYNC | \
               __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS)

static int g_escapes, g_control_failures;
static const char *OUT = "", *SBHOST = "", *ROHOST = "";
static char g_path[4096];

/* Builds a path in a static buffer (one at a time). */
#define P(...) (snprintf(g_path, sizeof g_path, __VA_ARGS__), g_path)

ESC_FN void escaped(const char *what)
{
    printf("ESCAPE %s\n", what);
    g_escapes++;
}

/* An escape attempt: e must be an error. */
ESC_FN void must_fail(const char *what, __wasi_errno_t e)
{
    if (e == 0)
        escaped(what);
    else
        printf("ok %s (errno %u)\n", what, (unsigned)e);
}

ESC_FN void control(const char *what, int good)
{
    if (good) {
        printf("control %s\n", what);
    } else {
        printf("CONTROL-FAILED %s\n", what);
        g_control_failures++;
    }
}

/* Reads whatever fd holds (a file, or a directory's names) and prints it
 * after "LEAK what:", so that the script sees any secret that got out. */
ESC_FN void dump_leak(const char *what, __wasi_fd_t fd)
{
    static char buf[4096];
    __wasi_size_t n = 0;
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
    printf("LEAK %s:", what);
    if (__wasi_fd_read(fd, &iov, 1, &n) == 0 && n > 0) {
        buf[n] = 0;
        printf(" %.*s", (int)n, buf);
    }
    n = 0;
    if (__wasi_fd_readdir(fd, (uint8_t *)buf, sizeof buf - 1, 0, &n) == 0) {
        /* dirents: print every name */
        size_t off = 0;
        while (off + sizeof(__wasi_dirent_t) <= n) {
            __wasi_dirent_t d;
            memcpy(&d, buf + off, sizeof d);
            off += sizeof d;
            size_t len = d.d_namlen;
            if (off + len > n)
                len = n - off;
            printf(" [%.*s]", (int)len, buf + off);
            off += d.d_namlen;
        }
    }
    printf("\n");
}

/* path_open for reading (a file or a directory); must fail.  If it works,
 * the contents are dumped and it counts as an escape. */
ESC_FN void no_open(const char *what, __wasi_fd_t dir, __wasi_lookupflags_t lf,
                    const char *path, __wasi_oflags_t of, __wasi_rights_t rights)
{
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    __wasi_errno_t e = __wasi_path_open(dir, lf, path, of, rights, rights, 0, &fd);
    if (e == 0) {
        escaped(what);
        dump_leak(what, fd);
        (void)__wasi_fd_close(fd);
    } else {
        printf("ok %s (errno %u)\n", what, (unsigned)e);
    }
}

ESC_FN void no_read(const char *what, __wasi_fd_t dir, __wasi_lookupflags_t lf,
                    const char *path)
{
    no_open(what, dir, lf, path, 0, R_READ);
}

/* path_open that creates (O_CREAT, write rights); must fail. */
ESC_FN void no_create(const char *what, __wasi_fd_t dir, __wasi_lookupflags_t lf,
                      const char *path)
{
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    __wasi_errno_t e = __wasi_path_open(dir, lf, path, __WASI_OFLAGS_CREAT,
                                        R_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
    if (e == 0) {
        escaped(what);
        /* leave a trace the host can see, if it really is outside */
        __wasi_ciovec_t iov = {(const uint8_t *)"escaped\n", 8};
        __wasi_size_t n;
        (void)__wasi_fd_write(fd, &iov, 1, &n);
        (void)__wasi_fd_close(fd);
    } else {
        printf("ok %s (errno %u)\n", what, (unsigned)e);
    }
}

/* path_open that writes (O_TRUNC or plain write) to an existing file. */
ESC_FN void no_write(const char *what, __wasi_fd_t dir, __wasi_lookupflags_t lf,
                     const char *path, __wasi_oflags_t of)
{
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    __wasi_errno_t e = __wasi_path_open(dir, lf, path, of, R_READ | __WASI_RIGHTS_FD_WRITE,
                                        0, 0, &fd);
    if (e == 0) {
        __wasi_ciovec_t iov = {(const uint8_t *)"overwritten\n", 12};
        __wasi_size_t n = 0;
        __wasi_errno_t w = __wasi_fd_write(fd, &iov, 1, &n);
        if (of & __WASI_OFLAGS_TRUNC || w == 0)
            escaped(what);
        else
            printf("ok %s (opened, but write failed: errno %u)\n", what, (unsigned)w);
        (void)__wasi_fd_close(fd);
    } else {
        printf("ok %s (errno %u)\n", what, (unsigned)e);
    }
}

/* Reads a whole small file inside the sandbox: a control. */
ESC_FN int read_file(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path,
                     char *buf, size_t cap)
{
    __wasi_fd_t fd;
    if (__wasi_path_open(dir, lf, path, 0, R_READ, 0, 0, &fd) != 0)
        return -1;
    __wasi_iovec_t iov = {(uint8_t *)buf, cap - 1};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, &n);
    (void)__wasi_fd_close(fd);
    if (e)
        return -1;
    buf[n] = 0;
    return (int)n;
}

ESC_FN void control_reads(const char *what, __wasi_fd_t dir, __wasi_lookupflags_t lf,
                          const char *path, const char *want)
{
    char buf[256];
    int n = read_file(dir, lf, path, buf, sizeof buf);
    control(what, n >= 0 && strcmp(buf, want) == 0);
}

ESC_FN int exists(__wasi_fd_t dir, const char *path)
{
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(dir, 0, path, &st) == 0;
}

/* The preopens must be what the script granted, in order. */
ESC_FN void check_layout(void)
{
    static const char *want[] = {"/sb", "/ro", "/sb2", "/empty"};
    for (int i = 0; i < 4; i++) {
        __wasi_prestat_t ps;
        char name[64] = {0};
        int good = __wasi_fd_prestat_get(3 + i, &ps) == 0 && ps.tag == __WASI_PREOPENTYPE_DIR &&
                   ps.u.dir.pr_name_len == strlen(want[i]) &&
                   __wasi_fd_prestat_dir_name(3 + i, (uint8_t *)name, ps.u.dir.pr_name_len) == 0 &&
                   strcmp(name, want[i]) == 0;
        control(P("preopen fd %d is %s", 3 + i, want[i]), good);
    }
}

ESC_FN void escape_init(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 4) {
        printf("CONTROL-FAILED usage: GUEST OUTSIDE SB RO\n");
        exit(12);
    }
    OUT = argv[1];
    SBHOST = argv[2];
    ROHOST = argv[3];
    check_layout();
}

ESC_FN int escape_finish(void)
{
    printf("escape-guest: done %d escapes, %d control failures\n", g_escapes,
           g_control_failures);
    fflush(stdout);
    return g_escapes ? 10 : g_control_failures ? 11 : 0;
}

#endif
