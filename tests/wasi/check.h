/*
 * check.h — the tiny assertion harness shared by the WASI test programs.
 *
 * CHECK(cond, fmt, ...)    prints "ok - WHAT" when cond holds, otherwise
 *                          "FAIL - WHAT [file:line: cond; errno N (text)]"
 *                          on stdout and stderr, and counts the failure.
 * CHECK_INT(got, want, fmt, ...)   the same for two integers, printing both
 *                          on failure.
 * CHECK_ERR(expr, E, fmt, ...)     expr must return -1 with errno E.
 * CHECK_DONE()             returns from main: 0 if everything held, else 1.
 *
 * SECTION("name") prints "== name" and is true, so that a group of checks
 * reads `if (SECTION("name")) { ... }`.  When the program's last argument
 * is "--skip=NAME,NAME..." (CHECK_ARGS removes it from argv) a listed
 * section prints "== name (skipped)" instead and is false.  run.sh uses
 * this for checks that node's WASI is known to get wrong: it drops the
 * same sections from the expected output before comparing.  A skippable
 * section's lines run up to the next "== " line, so one always follows.
 *
 * stdout is line buffered (CHECK_INIT) so that a guest that traps still
 * shows how far it got.  Every "ok" line is deterministic: the expected
 * output files (NAME.expected) list them.
 */
#ifndef WASI_TEST_CHECK_H
#define WASI_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;

#define CHECK_INIT() setvbuf(stdout, NULL, _IOLBF, 0)

static const char *check_skip_list = "";

/* CHECK_INIT, and takes a trailing "--skip=LIST" off argv. */
#define CHECK_ARGS(argc, argv)                                                  \
    do {                                                                        \
        CHECK_INIT();                                                           \
        if ((argc) > 1 && strncmp((argv)[(argc)-1], "--skip=", 7) == 0) {       \
            check_skip_list = (argv)[(argc)-1] + 7;                             \
            (argv)[--(argc)] = NULL;                                            \
        }                                                                       \
    } while (0)

static inline int SECTION(const char *name)
{
    size_t n = strlen(name);
    for (const char *p = check_skip_list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) {
            printf("== %s (skipped)\n", name);
            return 0;
        }
        p += len + (end ? 1 : 0);
    }
    printf("== %s\n", name);
    return 1;
}

#define CHECK_REPORT_(detail_fmt, ...)                                          \
    do {                                                                        \
        fprintf(stderr, "FAIL - " detail_fmt "\n", __VA_ARGS__);                \
        printf("FAIL - " detail_fmt "\n", __VA_ARGS__);                         \
    } while (0)

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        int check_ok_ = !!(cond);                                               \
        int check_errno_ = errno;                                               \
        char check_what_[512];                                                  \
        snprintf(check_what_, sizeof check_what_, __VA_ARGS__);                 \
        if (check_ok_) {                                                        \
            printf("ok - %s\n", check_what_);                                   \
        } else {                                                                \
            check_failures++;                                                   \
            CHECK_REPORT_("%s [%s:%d: %s; errno %d (%s)]", check_what_,         \
                          __FILE__, __LINE__, #cond, check_errno_,              \
                          strerror(check_errno_));                              \
        }                                                                       \
    } while (0)

#define CHECK_INT(got, want, ...)                                               \
    do {                                                                        \
        long long check_got_ = (long long)(got);                                \
        long long check_want_ = (long long)(want);                              \
        int check_errno_ = errno;                                               \
        char check_what_[512];                                                  \
        snprintf(check_what_, sizeof check_what_, __VA_ARGS__);                 \
        if (check_got_ == check_want_) {                                        \
            printf("ok - %s\n", check_what_);                                   \
        } else {                                                                \
            check_failures++;                                                   \
            CHECK_REPORT_("%s [%s:%d: %s is %lld, want %lld; errno %d (%s)]",   \
                          check_what_, __FILE__, __LINE__, #got, check_got_,    \
                          check_want_, check_errno_, strerror(check_errno_));   \
        }                                                                       \
    } while (0)

/* expr must fail with -1 and errno E. */
#define CHECK_ERR(expr, E, ...)                                                 \
    do {                                                                        \
        errno = 0;                                                              \
        long long check_r_ = (long long)(expr);                                 \
        int check_errno_ = errno;                                               \
        char check_what_[512];                                                  \
        snprintf(check_what_, sizeof check_what_, __VA_ARGS__);                 \
        if (check_r_ == -1 && check_errno_ == (E)) {                            \
            printf("ok - %s\n", check_what_);                                   \
        } else {                                                                \
            check_failures++;                                                   \
            CHECK_REPORT_("%s [%s:%d: %s returned %lld errno %d (%s), want -1 " \
                          "errno %d (%s)]",                                     \
                          check_what_, __FILE__, __LINE__, #expr, check_r_,     \
                          check_errno_, strerror(check_errno_), (int)(E),       \
                          strerror(E));                                         \
        }                                                                       \
    } while (0)

/* A __wasi_* call must return errno E (0 for success). */
#define CHECK_WASI(expr, E, ...)                                                \
    do {                                                                        \
        int check_e_ = (int)(expr);                                             \
        char check_what_[512];                                                  \
        snprintf(check_what_, sizeof check_what_, __VA_ARGS__);                 \
        if (check_e_ == (int)(E)) {                                             \
            printf("ok - %s\n", check_what_);                                   \
        } else {                                                                \
            check_failures++;                                                   \
            CHECK_REPORT_("%s [%s:%d: %s returned wasi errno %d (%s), want %d " \
                          "(%s)]",                                              \
                          check_what_, __FILE__, __LINE__, #expr, check_e_,     \
                          strerror(check_e_), (int)(E), strerror(E));           \
        }                                                                       \
    } while (0)

#define CHECK_DONE() return check_failures ? 1 : 0

/* Whole-file helpers used by several programs (paths are guest paths). */
#include <fcntl.h>
#include <unistd.h>

static inline int write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return close(fd);
}

/* Reads up to cap-1 bytes, NUL-terminates; returns the length or -1. */
static inline ssize_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done + 1 < cap) {
        ssize_t n = read(fd, buf + done, cap - 1 - done);
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    buf[done] = 0;
    close(fd);
    return (ssize_t)done;
}

#endif
