/*
 * regress.c — runs reproducers through the fuzz target's entry point
 * (tests/fuzz/fuzz.c, LLVMFuzzerTestOneInput) without libFuzzer.
 *
 *   regress [--no-fork] PATH...
 *
 * A PATH that is a directory stands for every regular file in it except
 * README* and dot files.  Each file runs in a child process, so a crash, a
 * sanitizer report (ASan/UBSan/LSan exit non-zero), a broken-promise abort
 * or a hang (KILN_REGRESS_TIMEOUT seconds, default 60) fails that file
 * alone.  A file passes when the child returns normally.  Output ends with
 * "regress: N passed, N failed".
 *
 * tests/run.sh builds it with the Makefile's flags and runs it on
 * tests/fuzz/regress/, the .wasm files in tests/regress/ and tests/fuzz/corpus/.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed, no_fork;
static unsigned timeout_s = 60;

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb)
            free(buf);
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Runs one input in this process; returns only if it did not crash. */
static int run_here(const char *path)
{
    uint8_t *data;
    size_t len;
    if (read_file(path, &data, &len) != 0) {
        fprintf(stderr, "regress: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static void run_one(const char *path)
{
    int ok;
    if (no_fork) {
        ok = run_here(path) == 0;
    } else {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            perror("regress: fork");
            ok = 0;
        } else if (pid == 0) {
            alarm(timeout_s);
            exit(run_here(path)); /* exit, not _exit: LeakSanitizer runs at exit */
        } else {
            int st = 0;
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
            if (!ok) {
                if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
                    printf("FAIL %s: timed out after %us\n", path, timeout_s);
                else if (WIFSIGNALED(st))
                    printf("FAIL %s: killed by signal %d (%s)\n", path, WTERMSIG(st),
                           strsignal(WTERMSIG(st)));
                else
                    printf("FAIL %s: exit status %d\n", path, WEXITSTATUS(st));
            }
        }
    }
    if (ok)
        passed++;
    else
        failed++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("FAIL %s: cannot open directory\n", dir);
        failed++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strncmp(de->d_name, "README", 6) == 0)
            continue;
        size_t need = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(need);
        if (!p)
            break;
        snprintf(p, need, "%s/%s", dir, de->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(p);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                free(p);
                break;
            }
            names = nn;
        }
        names[n++] = p;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        run_one(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    const char *t = getenv("KILN_REGRESS_TIMEOUT");
    if (t && atoi(t) > 0)
        timeout_s = (unsigned)atoi(t);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-fork") == 0) {
            no_fork = 1;
            continue;
        }
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            run_dir(argv[i]);
        else
            run_one(argv[i]);
    }
    printf("regress: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
