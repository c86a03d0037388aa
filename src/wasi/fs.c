/*
 * fs.c — the path_* imports: open, create, stat, set times, link, symlink,
 * readlink, rename, unlink, remove a directory.
 *
 * Each one checks the directory fd's rights for what it is about to do
 * (a read-only grant has none of the mutating ones, so every change in it
 * fails with `notcapable`), lets kn_wasi_resolve (path.c) turn the guest path
 * into a confined (parent fd, name) pair, and makes one *at() call that
 * does not follow a symlink in the last component.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_impl.h"

/* A resolved path: the parent's host fd (closed by path_done) and name. */
typedef struct resolved {
    int parent;
    char name[WASI_NAME_MAX + 1];
} resolved;

/* Check fd's rights, the path's guest range, and resolve it. */
static uint32_t path_begin(wasi_call *c, uint32_t fd, uint64_t need, uint32_t ptr,
                           uint32_t len, bool follow, resolved *r)
{
    uint32_t err;
    wasi_fd *f = kn_wasi_fd_get(c->w, fd, need, &err);
    if (!f)
        return err;
    const uint8_t *path = wasi_mem_in(c, ptr, len);
    if (!path)
        return WASI_EFAULT;
    if (f->type != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    return kn_wasi_resolve(c->w, f->host, path, len, follow, &r->parent, r->name);
}

static uint32_t path_done(resolved *r, int rc)
{
    uint32_t err = rc == 0 ? WASI_ESUCCESS : kn_wasi_errno_from_host(errno);
    close(r->parent);
    return err;
}

/* The guest path at [ptr, ptr+*len) for a call that creates its last
 * component without following it (link, symlink): trailing slashes are cut
 * off *len, and true returned if there were any.  A range outside memory
 * is left for path_begin to report. */
static bool cut_trailing_slashes(const wasi_call *c, uint32_t ptr, uint32_t *len)
{
    const uint8_t *p = wasi_mem_in(c, ptr, *len);
    uint32_t n = *len;
    while (p && n > 1 && p[n - 1] == '/')
        n--;
    bool cut = n != *len;
    *len = n;
    return cut;
}

/* What Linux's linkat and symlinkat answer for a new name with a trailing
 * slash ("name/"): the name exists (whatever it is, even a symlink) is
 * `exist`, it does not is `noent`; nothing is created either way. */
static uint32_t slash_new_name(resolved *r)
{
    struct stat st;
    int rc = fstatat(r->parent, r->name, &st, AT_SYMLINK_NOFOLLOW);
    uint32_t err = rc == 0 ? WASI_EEXIST : kn_wasi_errno_from_host(errno);
    close(r->parent);
    return err;
}

static uint32_t wasi_path_create_directory(wasi_call *c, const kiln_val *a)
{
    resolved r;
    uint32_t err =
        path_begin(c, A32(0), RIGHT(PATH_CREATE_DIRECTORY), A32(1), A32(2), false, &r);
    return err ? err : path_done(&r, mkdirat(r.parent, r.name, 0777));
}

static uint32_t wasi_path_filestat_get(wasi_call *c, const kiln_val *a)
{
    if (A32(1) & ~(uint32_t)WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    uint8_t *out = wasi_mem(c, A32(4), 64);
    if (!out)
        return WASI_EFAULT;
    resolved r;
    uint32_t err = path_begin(c, A32(0), RIGHT(PATH_FILESTAT_GET), A32(2), A32(3),
                              A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &r);
    if (err)
        return err;
    struct stat st;
    int rc = fstatat(r.parent, r.name, &st, AT_SYMLINK_NOFOLLOW);
    if (rc == 0)
        kn_wasi_put_filestat(out, &st);
    return path_done(&r, rc);
}

static uint32_t wasi_path_filestat_set_times(wasi_call *c, const kiln_val *a)
{
    if (A32(1) & ~(uint32_t)WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    struct timespec ts[2];
    uint32_t err = kn_wasi_times(A64(4), A64(5), A32(6), ts);
    if (err)
        return err;
    resolved r;
    err = path_begin(c, A32(0), RIGHT(PATH_FILESTAT_SET_TIMES), A32(2), A32(3),
                     A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &r);
    return err ? err : path_done(&r, utimensat(r.parent, r.name, ts, AT_SYMLINK_NOFOLLOW));
}

static uint32_t wasi_path_link(wasi_call *c, const kiln_val *a)
{
    if (A32(1) & ~(uint32_t)WASI_LOOKUP_SYMLINK_FOLLOW)
        return WASI_EINVAL;
    resolved from, to;
    uint32_t err = path_begin(c, A32(0), RIGHT(PATH_LINK_SOURCE), A32(2), A32(3),
                              A32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, &from);
    if (err)
        return err;
    uint32_t tolen = A32(6);
    bool slash = cut_trailing_slashes(c, A32(5), &tolen);
    err = path_begin(c, A32(4), RIGHT(PATH_LINK_TARGET), A32(5), tolen, false, &to);
    if (err) {
        close(from.parent);
        return err;
    }
    if (slash) {
        close(from.parent);
        return slash_new_name(&to);
    }
    /* Never AT_SYMLINK_FOLLOW: a symlink to follow was resolved above,
     * confined; the kernel would follow it anywhere. */
    int rc = linkat(from.parent, from.name, to.parent, to.name, 0);
    close(from.parent);
    return path_done(&to, rc);
}

/* Host open(2) flags for a WASI open, by the rights the new fd will have. */
static int open_flags(uint32_t oflags, uint32_t fdflags, uint64_t base)
{
    bool rd = base & (RIGHT(FD_READ) | RIGHT(FD_READDIR));
    /* Asking to write a directory (with oflags::directory or not) is the
     * kernel's EISDIR, which is what wasmtime answers; the docs would let
     * the rights be dropped instead, but then a program that asked to
     * write would be handed an fd that cannot. */
    bool wr = base & (RIGHT(FD_WRITE) | RIGHT(FD_ALLOCATE) | RIGHT(FD_FILESTAT_SET_SIZE));
    int fl = (rd && wr) ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
    fl |= O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
    if (oflags & WASI_OFLAG_CREAT)
        fl |= O_CREAT;
    if (oflags & WASI_OFLAG_DIRECTORY)
        fl |= O_DIRECTORY;
    if (oflags & WASI_OFLAG_EXCL)
        fl |= O_EXCL;
    if (oflags & WASI_OFLAG_TRUNC)
        fl |= O_TRUNC;
    if (fdflags & WASI_FDFLAG_APPEND)
        fl |= O_APPEND;
    /* The sync flags are honoured, not refused: wasmtime answers `notsup`
     * to all three, but Linux has them, and a guest asking for O_SYNC
     * wants its writes durable, not an error. */
    if (fdflags & WASI_FDFLAG_DSYNC)
        fl |= O_DSYNC;
    if (fdflags & WASI_FDFLAG_NONBLOCK)
        fl |= O_NONBLOCK;
    if (fdflags & WASI_FDFLAG_RSYNC)
        fl |= O_RSYNC;
    if (fdflags & WASI_FDFLAG_SYNC)
        fl |= O_SYNC;
    return fl;
}

static uint32_t wasi_path_open(wasi_call *c, const kiln_val *a)
{
    uint32_t dirflags = A32(1), oflags = A32(4), fdflags = A32(7), err;
    wasi_fd *dir = kn_wasi_fd_get(c->w, A32(0), RIGHT(PATH_OPEN), &err);
    if (!dir)
        return err;
    uint8_t *out = wasi_mem(c, A32(8), 4);
    if (!out)
        return WASI_EFAULT;
    if ((dirflags & ~(uint32_t)WASI_LOOKUP_SYMLINK_FOLLOW) || (oflags & ~0xfu) ||
        (fdflags & ~0x1fu))
        return WASI_EINVAL;
    uint64_t need = RIGHT(PATH_OPEN);
    if (oflags & WASI_OFLAG_CREAT)
        need |= RIGHT(PATH_CREATE_FILE);
    if (oflags & WASI_OFLAG_TRUNC)
        need |= RIGHT(PATH_FILESTAT_SET_SIZE);
    if ((dir->base & need) != need)
        return WASI_ENOTCAPABLE;
    /* A read-only grant refuses every open that asks to write, append or
     * resize; it lets a read ask for (and silently not get) setting times,
     * which wasi-libc requests with every O_RDONLY open. */
    const uint64_t writes = RIGHT(FD_WRITE) | RIGHT(FD_ALLOCATE) | RIGHT(FD_FILESTAT_SET_SIZE);
    if (dir->readonly && ((A64(5) & writes) || (fdflags & WASI_FDFLAG_APPEND)))
        return WASI_ENOTCAPABLE;
    /* What the new fd may do: what was asked for, within what the directory
     * passes on (wasi-libc asks for everything and expects this). */
    uint64_t base = A64(5) & dir->inheriting, inh = A64(6) & dir->inheriting;
    bool readonly = dir->readonly;
    if (readonly)
        base &= ~(uint64_t)WASI_RIGHTS_FILE_WRITE;
    /* The sync fdflags need neither fd_sync nor fd_datasync among the
     * rights asked for: the guest calls neither, the kernel syncs each
     * write itself. */
    resolved r;
    err = path_begin(c, A32(0), need, A32(2), A32(3), dirflags & WASI_LOOKUP_SYMLINK_FOLLOW,
                     &r);
    if (err)
        return err;
    int fd = openat(r.parent, r.name, open_flags(oflags, fdflags, base), 0666);
    if (fd < 0)
        return path_done(&r, -1);
    close(r.parent);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        err = kn_wasi_errno_from_host(errno);
        close(fd);
        return err;
    }
    uint8_t type = kn_wasi_filetype_of_mode(st.st_mode);
    base &= kn_wasi_type_rights(fd, type);
    uint32_t guest;
    err = kn_wasi_fd_add(c->w, fd, type, base, inh, &guest);
    if (!err) {
        c->w->fds[guest].readonly = readonly;
        c->w->fds[guest].rsync = fdflags & WASI_FDFLAG_RSYNC;
        put32(out, guest);
    }
    return err;
}

static uint32_t wasi_path_readlink(wasi_call *c, const kiln_val *a)
{
    uint8_t *buf = wasi_mem(c, A32(3), A32(4)), *used = wasi_mem(c, A32(5), 4);
    if (!buf || !used)
        return WASI_EFAULT;
    resolved r;
    uint32_t err = path_begin(c, A32(0), RIGHT(PATH_READLINK), A32(1), A32(2), false, &r);
    if (err)
        return err;
    char tmp[WASI_PATH_MAX];
    ssize_t n = readlinkat(r.parent, r.name, tmp, sizeof tmp);
    if (n < 0)
        return path_done(&r, -1);
    close(r.parent);
    uint32_t m = (uint64_t)n < A32(4) ? (uint32_t)n : A32(4);
    memcpy(buf, tmp, m);
    put32(used, m);
    return WASI_ESUCCESS;
}

static uint32_t wasi_path_remove_directory(wasi_call *c, const kiln_val *a)
{
    resolved r;
    uint32_t err =
        path_begin(c, A32(0), RIGHT(PATH_REMOVE_DIRECTORY), A32(1), A32(2), false, &r);
    return err ? err : path_done(&r, unlinkat(r.parent, r.name, AT_REMOVEDIR));
}

static uint32_t wasi_path_rename(wasi_call *c, const kiln_val *a)
{
    resolved from, to;
    uint32_t err =
        path_begin(c, A32(0), RIGHT(PATH_RENAME_SOURCE), A32(1), A32(2), false, &from);
    if (err)
        return err;
    err = path_begin(c, A32(3), RIGHT(PATH_RENAME_TARGET), A32(4), A32(5), false, &to);
    if (err) {
        close(from.parent);
        return err;
    }
    int rc = renameat(from.parent, from.name, to.parent, to.name);
    close(from.parent);
    return path_done(&to, rc);
}

static uint32_t wasi_path_symlink(wasi_call *c, const kiln_val *a)
{
    uint32_t tlen = A32(1);
    const uint8_t *t = wasi_mem_in(c, A32(0), tlen);
    if (!t)
        return WASI_EFAULT;
    if (tlen >= WASI_PATH_MAX)
        return WASI_ENAMETOOLONG;
    if (memchr(t, 0, tlen))
        return WASI_EINVAL;
    if (tlen == 0)
        return WASI_ENOENT;
    /* A link out of the sandbox would be refused when followed here, but
     * not by the host's own programs: do not make one. */
    if (t[0] == '/')
        return WASI_ENOTCAPABLE;
    char target[WASI_PATH_MAX];
    memcpy(target, t, tlen);
    target[tlen] = 0;
    resolved r;
    uint32_t len = A32(4);
    bool slash = cut_trailing_slashes(c, A32(3), &len);
    uint32_t err = path_begin(c, A32(2), RIGHT(PATH_SYMLINK), A32(3), len, false, &r);
    if (err)
        return err;
    return slash ? slash_new_name(&r) : path_done(&r, symlinkat(target, r.parent, r.name));
}

static uint32_t wasi_path_unlink_file(wasi_call *c, const kiln_val *a)
{
    resolved r;
    uint32_t err = path_begin(c, A32(0), RIGHT(PATH_UNLINK_FILE), A32(1), A32(2), false, &r);
    return err ? err : path_done(&r, unlinkat(r.parent, r.name, 0));
}

const wasi_import kn_wasi_path_imports[] = {
    WASI_IMPORT(path_create_directory, "iii"),
    WASI_IMPORT(path_filestat_get, "iiiii"),
    WASI_IMPORT(path_filestat_set_times, "iiiiIIi"),
    WASI_IMPORT(path_link, "iiiiiii"),
    WASI_IMPORT(path_open, "iiiiiIIii"),
    WASI_IMPORT(path_readlink, "iiiiii"),
    WASI_IMPORT(path_remove_directory, "iii"),
    WASI_IMPORT(path_rename, "iiiiii"),
    WASI_IMPORT(path_symlink, "iiiii"),
    WASI_IMPORT(path_unlink_file, "iii"),
};
const size_t kn_wasi_path_nimports = sizeof kn_wasi_path_imports / sizeof kn_wasi_path_imports[0];
