/*
 * path.c — confined path resolution: the one place a guest path becomes a
 * host directory fd and a name.
 *
 * Every path call works on (parent directory fd, last component) and then
 * uses the *at() system call with AT_SYMLINK_NOFOLLOW or O_NOFOLLOW, so
 * the kernel never follows a symlink in the last component on the guest's
 * behalf.  The parent is opened beneath the preopen:
 *
 *   - by the kernel: openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) fails
 *     with EXDEV for `..` above the start, absolute symlinks and anything
 *     else that would leave it, and refuses /proc magic links;
 *   - by kiln's walk when the kernel has no openat2 (or the walk was asked
 *     for): one component at a time with O_PATH | O_NOFOLLOW, a stack of
 *     directory fds so that `..` goes back to the real parent (and never
 *     above the start), and symlinks expanded by hand — an absolute target
 *     is refused, a relative one is spliced into the rest of the path.
 *
 * A symlink in the last component, when the call follows it, is expanded
 * here too: its target is relative to the parent, so the next round
 * resolves "PARENT/TARGET" from the same preopen — the kernel (or the walk)
 * then applies the same confinement to it.  Both ways count expansions and
 * give `loop` after 40, like Linux.  Escapes give `notcapable`.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_impl.h"

#define WASI_MAX_SYMLINKS 40

/* ---- kiln's walk ---------------------------------------------------------- */

typedef struct walk {
    const kn_allocator *a;
    int *stack;       /* stack[0] is the start (not owned); the rest owned */
    size_t depth, cap;
    char *rest;       /* what is left to resolve, NUL-terminated */
    unsigned links;   /* symlinks expanded so far */
} walk;

static void walk_free(walk *wk)
{
    for (size_t i = 1; i < wk->depth; i++)
        close(wk->stack[i]);
    kn_free(wk->a, wk->stack);
    kn_free(wk->a, wk->rest);
}

/* Replace the rest of the path by target + "/" + rest. */
static uint32_t splice_link(walk *wk, const char *target, size_t tlen, const char *rest)
{
    size_t rl = strlen(rest);
    if (tlen + 1 + rl >= WASI_PATH_MAX)
        return WASI_ENAMETOOLONG;
    char *p = kn_malloc(wk->a, tlen + rl + 2);
    if (!p)
        return WASI_ENOMEM;
    memcpy(p, target, tlen);
    p[tlen] = '/';
    memcpy(p + tlen + 1, rest, rl + 1);
    kn_free(wk->a, wk->rest);
    wk->rest = p;
    return WASI_ESUCCESS;
}

/* Read the symlink `name` in directory dir into a buffer from a. */
static uint32_t read_link(const kn_allocator *a, int dir, const char *name, char **out, size_t *len)
{
    char buf[WASI_PATH_MAX];
    ssize_t n = readlinkat(dir, name, buf, sizeof buf);
    if (n < 0)
        return kn_wasi_errno_from_host(errno);
    if ((size_t)n >= sizeof buf)
        return WASI_ENAMETOOLONG;
    *out = kn_malloc(a, (size_t)n + 1);
    if (!*out)
        return WASI_ENOMEM;
    memcpy(*out, buf, (size_t)n);
    (*out)[n] = 0;
    *len = (size_t)n;
    return WASI_ESUCCESS;
}

static uint32_t walk_step(walk *wk)
{
    /* Take the next component off the front of rest. */
    char *s = wk->rest;
    while (*s == '/')
        s++;
    char *end = strchr(s, '/');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    char comp[WASI_NAME_MAX + 1];
    if (n > WASI_NAME_MAX)
        return WASI_ENAMETOOLONG;
    memcpy(comp, s, n);
    comp[n] = 0;
    const char *after = s + n;
    int cur = wk->stack[wk->depth - 1];

    if (n == 0 || strcmp(comp, ".") == 0)
        goto advance;
    if (strcmp(comp, "..") == 0) {
        if (wk->depth == 1)
            return WASI_ENOTCAPABLE;
        close(wk->stack[--wk->depth]);
        goto advance;
    }
    int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return kn_wasi_errno_from_host(errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return kn_wasi_errno_from_host(e);
    }
    if (S_ISLNK(st.st_mode)) {
        close(fd);
        if (++wk->links > WASI_MAX_SYMLINKS)
            return WASI_ELOOP;
        char *target;
        size_t tlen;
        uint32_t err = read_link(wk->a, cur, comp, &target, &tlen);
        if (err)
            return err;
        if (tlen == 0 || target[0] == '/') {
            kn_free(wk->a, target);
            return tlen == 0 ? WASI_ENOENT : WASI_ENOTCAPABLE;
        }
        err = splice_link(wk, target, tlen, after);
        kn_free(wk->a, target);
        return err;
    }
    if (!S_ISDIR(st.st_mode)) {
        close(fd);
        return WASI_ENOTDIR;
    }
    if (wk->depth == wk->cap) {
        size_t cap = wk->cap * 2;
        int *p = kn_realloc_n(wk->a, wk->stack, cap, sizeof *p);
        if (!p) {
            close(fd);
            return WASI_ENOMEM;
        }
        wk->stack = p;
        wk->cap = cap;
    }
    wk->stack[wk->depth++] = fd;
advance:
    memmove(wk->rest, after, strlen(after) + 1);
    return WASI_ESUCCESS;
}

static uint32_t walk_beneath(const kn_allocator *a, int dirfd, const char *relpath, int *out)
{
    walk wk = {.a = a, .cap = 8};
    size_t rl = strlen(relpath);
    wk.stack = kn_malloc(a, wk.cap * sizeof *wk.stack);
    wk.rest = kn_malloc(a, rl + 1);
    if (!wk.stack || !wk.rest) {
        walk_free(&wk);
        return WASI_ENOMEM;
    }
    memcpy(wk.rest, relpath, rl + 1);
    wk.stack[0] = dirfd;
    wk.depth = 1;
    uint32_t err = WASI_ESUCCESS;
    while (!err && wk.rest[0])
        err = walk_step(&wk);
    if (!err) {
        if (wk.depth == 1) {
            int fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0)
                err = kn_wasi_errno_from_host(errno);
            else
                *out = fd;
        } else {
            *out = wk.stack[--wk.depth];
        }
    }
    walk_free(&wk);
    return err;
}

/* ---- the kernel's confinement ------------------------------------------------ */

/* -1 with errno ENOSYS when the kernel (or a seccomp filter) has no openat2. */
static int openat2_beneath(int dirfd, const char *relpath)
{
#ifdef SYS_openat2
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, dirfd, relpath, &how, sizeof how);
#else
    (void)dirfd;
    (void)relpath;
    errno = ENOSYS;
    return -1;
#endif
}

/* Open the directory relpath (NUL-terminated, relative) beneath dirfd as an
 * O_PATH fd, following symlinks in it but never leaving dirfd: the kernel's
 * openat2(RESOLVE_BENEATH) or kiln's walk.  Returns an errno. */
static uint32_t open_beneath(kiln_wasi *w, int dirfd, const char *relpath, int *out)
{
    if (relpath[0] == '/')
        return WASI_ENOTCAPABLE;
    if (!w->walk) {
        int fd = openat2_beneath(dirfd, *relpath ? relpath : ".");
        if (fd >= 0) {
            *out = fd;
            return WASI_ESUCCESS;
        }
        if (errno == EXDEV)
            return WASI_ENOTCAPABLE;
        if (errno != ENOSYS)
            return kn_wasi_errno_from_host(errno);
        w->walk = true; /* no openat2 here: walk from now on */
    }
    return walk_beneath(&w->alloc, dirfd, relpath, out);
}

/* ---- (parent, name) ---------------------------------------------------------- */

uint32_t kn_wasi_resolve(kiln_wasi *w, int dirfd, const uint8_t *path, uint32_t len,
                         bool follow, int *parent, char name[WASI_NAME_MAX + 1])
{
    if (len == 0)
        return WASI_ENOENT;
    if (len >= WASI_PATH_MAX)
        return WASI_ENAMETOOLONG;
    if (memchr(path, 0, len))
        return WASI_EINVAL;
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    char *buf = kn_malloc(&w->alloc, WASI_PATH_MAX);
    if (!buf)
        return WASI_ENOMEM;
    memcpy(buf, path, len);
    buf[len] = 0;
    uint32_t err;
    for (unsigned links = 0;; links++) {
        /* A trailing slash means the last component must be a directory,
         * which POSIX resolves through a symlink: treat it as following. */
        size_t n = strlen(buf);
        bool dir_only = n > 1 && buf[n - 1] == '/';
        while (n > 1 && buf[n - 1] == '/')
            buf[--n] = 0;
        char *slash = strrchr(buf, '/');
        const char *last = slash ? slash + 1 : buf;
        if (strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
            /* The path names a directory: resolve all of it. */
            strcpy(name, ".");
            err = open_beneath(w, dirfd, buf, parent);
            break;
        }
        if (strlen(last) > WASI_NAME_MAX) {
            err = WASI_ENAMETOOLONG;
            break;
        }
        strcpy(name, last);
        if (slash)
            slash[1] = 0; /* buf is now the parent, with its slash */
        else
            buf[0] = 0;
        err = open_beneath(w, dirfd, buf, parent);
        if (err || !(follow || dir_only))
            break;
        struct stat st;
        if (fstatat(*parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            break; /* not there: the call will say what that means */
        if (!S_ISLNK(st.st_mode)) {
            if (dir_only && !S_ISDIR(st.st_mode)) {
                close(*parent);
                err = WASI_ENOTDIR;
            }
            break;
        }
        char *target;
        size_t tlen;
        err = read_link(&w->alloc, *parent, name, &target, &tlen);
        close(*parent);
        if (err)
            break;
        if (links >= WASI_MAX_SYMLINKS || tlen == 0 || target[0] == '/') {
            err = links >= WASI_MAX_SYMLINKS ? WASI_ELOOP
                  : tlen == 0                ? WASI_ENOENT
                                             : WASI_ENOTCAPABLE;
            kn_free(&w->alloc, target);
            break;
        }
        size_t pl = strlen(buf);
        if (pl + tlen + 2 >= WASI_PATH_MAX) {
            kn_free(&w->alloc, target);
            err = WASI_ENAMETOOLONG;
            break;
        }
        memcpy(buf + pl, target, tlen);
        buf[pl + tlen] = 0;
        if (dir_only)
            strcat(buf, "/");
        kn_free(&w->alloc, target);
    }
    kn_free(&w->alloc, buf);
    return err;
}
