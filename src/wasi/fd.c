/*
 * fd.c — the fd_* imports: reading, writing, seeking, stat, flags, rights,
 * directory listings and the preopen queries.
 *
 * Each handler checks, in this order: the fd and its rights, the guest
 * ranges it will write its results to, the argument values; and only then
 * touches the host, so that a call that fails with `fault` or `inval` has
 * done nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_impl.h"

/* into: the buffers will be written (a read's), else only read. */
uint32_t kn_wasi_iovecs(const wasi_call *c, uint32_t iovs, uint32_t n, bool into,
                        struct iovec *out)
{
    if (n > WASI_IOV_MAX)
        return WASI_EINVAL;
    const uint8_t *p = wasi_mem_in(c, iovs, (uint64_t)n * 8);
    if (!p)
        return WASI_EFAULT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t buf = get32(p + 8 * i), len = get32(p + 8 * i + 4);
        uint8_t *b = into ? wasi_mem(c, buf, len) : (uint8_t *)wasi_mem_in(c, buf, len);
        if (!b)
            return WASI_EFAULT;
        out[i] = (struct iovec){.iov_base = b, .iov_len = len};
    }
    return WASI_ESUCCESS;
}

static uint64_t ns_of(struct timespec ts)
{
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void kn_wasi_put_filestat(uint8_t *p, const struct stat *st)
{
    memset(p, 0, 64);
    put64(p, (uint64_t)st->st_dev);
    put64(p + 8, (uint64_t)st->st_ino);
    p[16] = kn_wasi_filetype_of_mode(st->st_mode);
    put64(p + 24, (uint64_t)st->st_nlink);
    put64(p + 32, (uint64_t)st->st_size);
    put64(p + 40, ns_of(st->st_atim));
    put64(p + 48, ns_of(st->st_mtim));
    put64(p + 56, ns_of(st->st_ctim));
}

/* Shorthand for the first lines of most handlers. */
#define GET_FD(f, fdnum, rights)                                                \
    uint32_t err_;                                                              \
    wasi_fd *f = kn_wasi_fd_get(c->w, fdnum, rights, &err_);                       \
    if (!f)                                                                     \
    return err_

#define HOST_RESULT(expr) ((expr) == 0 ? WASI_ESUCCESS : kn_wasi_errno_from_host(errno))

static uint32_t wasi_fd_advise(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_ADVISE));
    static const int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    if (A32(3) > 5 || A64(1) > INT64_MAX || A64(2) > INT64_MAX)
        return WASI_EINVAL;
    if (f->type == WASI_FILETYPE_DIRECTORY)
        return WASI_ESUCCESS; /* advice about a directory: nothing to do */
    int e = posix_fadvise(f->host, (off_t)A64(1), (off_t)A64(2), advice[A32(3)]);
    return kn_wasi_errno_from_host(e);
}

static uint32_t wasi_fd_allocate(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_ALLOCATE));
    if (A64(1) > INT64_MAX || A64(2) > INT64_MAX || A64(1) + A64(2) > INT64_MAX)
        return WASI_EINVAL;
    if (A64(2) == 0)
        return WASI_EINVAL; /* as posix_fallocate says */
    return kn_wasi_errno_from_host(posix_fallocate(f->host, (off_t)A64(1), (off_t)A64(2)));
}

static uint32_t wasi_fd_close(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), 0);
    kn_wasi_fd_release(f);
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_datasync(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_DATASYNC));
    return HOST_RESULT(fdatasync(f->host));
}

static uint32_t wasi_fd_sync(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_SYNC));
    return HOST_RESULT(fsync(f->host));
}

static uint32_t wasi_fd_fdstat_get(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), 0);
    uint8_t *p = wasi_mem(c, A32(1), 24);
    if (!p)
        return WASI_EFAULT;
    int fl = f->mem ? 0 : fcntl(f->host, F_GETFL);
    if (fl < 0)
        return kn_wasi_errno_from_host(errno);
    uint16_t flags = 0;
    if (fl & O_APPEND)
        flags |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK)
        flags |= WASI_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC)
        flags |= WASI_FDFLAG_SYNC | (f->rsync ? WASI_FDFLAG_RSYNC : 0);
    else if (fl & O_DSYNC)
        flags |= WASI_FDFLAG_DSYNC;
    memset(p, 0, 24);
    p[0] = f->type;
    put16(p + 2, flags);
    put64(p + 8, f->base);
    put64(p + 16, f->inheriting);
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_fdstat_set_flags(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_FDSTAT_SET_FLAGS));
    uint32_t flags = A32(1);
    if (flags > 0xffff || (flags & ~0x1fu))
        return WASI_EINVAL;
    /* Linux cannot change the sync flags of an open file. */
    if (flags & (WASI_FDFLAG_DSYNC | WASI_FDFLAG_RSYNC | WASI_FDFLAG_SYNC))
        return WASI_ENOTSUP;
    if ((flags & WASI_FDFLAG_APPEND) && !(f->base & RIGHT(FD_WRITE)))
        return WASI_ENOTCAPABLE;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0)
        return kn_wasi_errno_from_host(errno);
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & WASI_FDFLAG_APPEND)
        fl |= O_APPEND;
    if (flags & WASI_FDFLAG_NONBLOCK)
        fl |= O_NONBLOCK;
    return HOST_RESULT(fcntl(f->host, F_SETFL, fl));
}

static uint32_t wasi_fd_fdstat_set_rights(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), 0);
    uint64_t base = A64(1), inh = A64(2);
    if ((base & ~f->base) || (inh & ~f->inheriting))
        return WASI_ENOTCAPABLE; /* rights can be dropped, never gained */
    f->base = base;
    f->inheriting = inh;
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_filestat_get(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_FILESTAT_GET));
    uint8_t *p = wasi_mem(c, A32(1), 64);
    if (!p)
        return WASI_EFAULT;
    struct stat st;
    if (f->mem) /* all zero: no device, inode or times; the type unknown */
        memset(&st, 0, sizeof st);
    else if (fstat(f->host, &st) != 0)
        return kn_wasi_errno_from_host(errno);
    kn_wasi_put_filestat(p, &st);
    if (f->type == WASI_FILETYPE_SOCKET_STREAM || f->type == WASI_FILETYPE_SOCKET_DGRAM)
        p[16] = f->type;
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_filestat_set_size(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_FILESTAT_SET_SIZE));
    if (A64(1) > INT64_MAX)
        return WASI_EINVAL;
    return HOST_RESULT(ftruncate(f->host, (off_t)A64(1)));
}

uint32_t kn_wasi_times(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec ts[2])
{
    if (flags & ~0xfu)
        return WASI_EINVAL;
    if ((flags & WASI_FST_ATIM) && (flags & WASI_FST_ATIM_NOW))
        return WASI_EINVAL;
    if ((flags & WASI_FST_MTIM) && (flags & WASI_FST_MTIM_NOW))
        return WASI_EINVAL;
    const uint64_t t[2] = {atim, mtim};
    const uint32_t set[2] = {WASI_FST_ATIM, WASI_FST_MTIM};
    const uint32_t now[2] = {WASI_FST_ATIM_NOW, WASI_FST_MTIM_NOW};
    for (int i = 0; i < 2; i++) {
        if (flags & set[i])
            ts[i] = (struct timespec){.tv_sec = (time_t)(t[i] / 1000000000u),
                                      .tv_nsec = (long)(t[i] % 1000000000u)};
        else
            ts[i] = (struct timespec){.tv_nsec = (flags & now[i]) ? UTIME_NOW : UTIME_OMIT};
    }
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_filestat_set_times(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_FILESTAT_SET_TIMES));
    struct timespec ts[2];
    uint32_t err = kn_wasi_times(A64(1), A64(2), A32(3), ts);
    return err ? err : HOST_RESULT(futimens(f->host, ts));
}

/* writev on a pipe (or anything else that might raise SIGPIPE) without
 * letting a guest whose reader went away kill the host process: SIGPIPE is
 * blocked for this thread around the write and, if the write raised it,
 * taken back before it is unblocked.  The process's signal dispositions
 * are the embedder's, and are left alone. */
static ssize_t write_pipe(int fd, const struct iovec *iov, int n)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    bool was_pending = false;
    sigset_t pending;
    if (sigpending(&pending) == 0)
        was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t r = writev(fd, iov, n);
    int e = errno;
    if (r < 0 && e == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return r;
}

/* The four data transfers share their shape: fd, iovecs, count, [offset,]
 * result pointer. */
typedef enum { XFER_READ, XFER_WRITE, XFER_PREAD, XFER_PWRITE } xfer_kind;

static uint32_t xfer(wasi_call *c, const kiln_val *a, xfer_kind k)
{
    static const uint64_t need[] = {RIGHT(FD_READ), RIGHT(FD_WRITE),
                                    RIGHT(FD_READ) | RIGHT(FD_SEEK),
                                    RIGHT(FD_WRITE) | RIGHT(FD_SEEK)};
    GET_FD(f, A32(0), need[k]);
    bool positioned = k == XFER_PREAD || k == XFER_PWRITE;
    uint8_t *out = wasi_mem(c, A32(positioned ? 4 : 3), 4);
    if (!out)
        return WASI_EFAULT;
    struct iovec iov[WASI_IOV_MAX];
    bool reading = k == XFER_READ || k == XFER_PREAD;
    uint32_t n = A32(2), err = kn_wasi_iovecs(c, A32(1), n, reading, iov);
    if (err)
        return err;
    if (positioned && A64(3) > INT64_MAX)
        return WASI_EINVAL;
    off_t off = positioned ? (off_t)A64(3) : 0;
    if (f->mem)  /* only fd_read or fd_write: its rights have no seek */
        return kn_wasi_mem_xfer(c, f, A32(1), n, reading, out);
    if ((err = kn_wasi_wait_ready(c, f, reading ? POLLIN : POLLOUT)))
        return err;
    ssize_t r;
    switch (k) {
    case XFER_READ: r = readv(f->host, iov, (int)n); break;
    case XFER_WRITE:
        if (f->type == WASI_FILETYPE_SOCKET_STREAM) /* no SIGPIPE for the host */
            r = sendmsg(f->host, &(struct msghdr){.msg_iov = iov, .msg_iovlen = n},
                        MSG_NOSIGNAL);
        else if (f->type == WASI_FILETYPE_UNKNOWN)
            r = write_pipe(f->host, iov, (int)n);
        else
            r = writev(f->host, iov, (int)n);
        break;
    case XFER_PREAD: r = preadv(f->host, iov, (int)n, off); break;
    default: r = pwritev(f->host, iov, (int)n, off); break;
    }
    if (r < 0)
        return kn_wasi_blocked_errno(c, errno);
    put32(out, (uint32_t)r);
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_read(wasi_call *c, const kiln_val *a) { return xfer(c, a, XFER_READ); }
static uint32_t wasi_fd_write(wasi_call *c, const kiln_val *a) { return xfer(c, a, XFER_WRITE); }
static uint32_t wasi_fd_pread(wasi_call *c, const kiln_val *a) { return xfer(c, a, XFER_PREAD); }
static uint32_t wasi_fd_pwrite(wasi_call *c, const kiln_val *a) { return xfer(c, a, XFER_PWRITE); }

static uint32_t wasi_fd_prestat_get(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), 0);
    if (!f->preopen)
        return WASI_EBADF; /* wasi-libc's preopen scan stops at badf */
    uint8_t *p = wasi_mem(c, A32(1), 8);
    if (!p)
        return WASI_EFAULT;
    memset(p, 0, 8);
    put32(p + 4, (uint32_t)strlen(f->preopen));
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_prestat_dir_name(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), 0);
    if (!f->preopen)
        return WASI_EBADF;
    size_t n = strlen(f->preopen);
    uint8_t *p = wasi_mem(c, A32(1), A32(2));
    if (!p)
        return WASI_EFAULT;
    if (A32(2) < n)
        return WASI_ENAMETOOLONG;
    memcpy(p, f->preopen, n);
    return WASI_ESUCCESS;
}

/* A directory's entries from cookie on, as 24-byte headers each followed by
 * the name; the last one cut off where the buffer ends (that is how the
 * guest learns there is more).  A cookie is the index of an entry (0 is
 * the start): host stream positions are 63-bit hashes on ext4, and
 * wasi-libc keeps cookies in a 32-bit long.  Reading on from where the last
 * call stopped costs nothing; any other cookie rewinds and skips. */
static uint32_t wasi_fd_readdir(wasi_call *c, const kiln_val *a)
{
    GET_FD(f, A32(0), RIGHT(FD_READDIR));
    uint32_t len = A32(2);
    uint8_t *buf = wasi_mem(c, A32(1), len), *used = wasi_mem(c, A32(4), 4);
    if (!buf || !used)
        return WASI_EFAULT;
    if (f->type != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    if (!f->dir) {
        int fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return kn_wasi_errno_from_host(errno);
        if (!(f->dir = fdopendir(fd))) {
            int e = errno;
            close(fd);
            return kn_wasi_errno_from_host(e);
        }
    }
    uint64_t cookie = A64(3);
    if (cookie < f->dir_next) {
        rewinddir(f->dir);
        f->dir_next = 0;
    }
    struct dirent *d = NULL;
    bool at_end = false;
    while (f->dir_next < cookie) { /* skip to the entry asked for */
        errno = 0;
        if (!(d = readdir(f->dir))) {
            if (errno)
                return kn_wasi_errno_from_host(errno);
            at_end = true; /* a cookie past the end: nothing more */
            break;
        }
        f->dir_next++;
    }
    uint32_t pos = 0;
    while (!at_end && pos < len) {
        errno = 0;
        long mark = telldir(f->dir);
        d = readdir(f->dir);
        if (!d) {
            if (errno)
                return kn_wasi_errno_from_host(errno);
            break;
        }
        f->dir_next++;
        uint8_t hdr[24] = {0};
        uint32_t namlen = (uint32_t)strlen(d->d_name);
        put64(hdr, f->dir_next);
        put64(hdr + 8, (uint64_t)d->d_ino);
        put32(hdr + 16, namlen);
        uint8_t type = WASI_FILETYPE_UNKNOWN;
        switch (d->d_type) {
        case DT_REG: type = WASI_FILETYPE_REGULAR_FILE; break;
        case DT_DIR: type = WASI_FILETYPE_DIRECTORY; break;
        case DT_LNK: type = WASI_FILETYPE_SYMBOLIC_LINK; break;
        case DT_CHR: type = WASI_FILETYPE_CHARACTER_DEVICE; break;
        case DT_BLK: type = WASI_FILETYPE_BLOCK_DEVICE; break;
        case DT_SOCK: type = WASI_FILETYPE_SOCKET_STREAM; break;
        case DT_UNKNOWN: {
            struct stat st;
            if (fstatat(f->host, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                type = kn_wasi_filetype_of_mode(st.st_mode);
            break;
        }
        default: break;
        }
        hdr[20] = type;
        uint32_t n = len - pos < 24 ? len - pos : 24;
        memcpy(buf + pos, hdr, n);
        pos += n;
        n = len - pos < namlen ? len - pos : namlen;
        memcpy(buf + pos, d->d_name, n);
        pos += n;
        if (n < namlen || pos == len) {
            /* Cut off (or filling the buffer exactly): the guest will ask
             * for this entry again, so step the stream back before it. */
            seekdir(f->dir, mark);
            f->dir_next--;
        }
    }
    put32(used, pos);
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_renumber(wasi_call *c, const kiln_val *a)
{
    uint32_t from = A32(0), to = A32(1), err;
    wasi_fd *f = kn_wasi_fd_get(c->w, from, 0, &err), *t = kn_wasi_fd_get(c->w, to, 0, &err);
    if (!f || !t)
        return WASI_EBADF;
    if (from == to)
        return WASI_ESUCCESS;
    kn_wasi_fd_release(t);
    *t = *f;
    *f = (wasi_fd){.host = -1};
    return WASI_ESUCCESS;
}

/* fd_seek and fd_tell: move (or not) and store the new offset at ptr. */
static uint32_t seek(wasi_call *c, uint32_t fd, int64_t off, uint32_t whence, uint32_t ptr)
{
    GET_FD(f, fd, 0);
    /* Asking where one is (offset 0 from here) is only telling, which the
     * seek right includes. */
    bool tell = off == 0 && whence == 1;
    if (!(f->base & RIGHT(FD_SEEK)) && !(tell && (f->base & RIGHT(FD_TELL))))
        return WASI_ENOTCAPABLE;
    uint8_t *out = wasi_mem(c, ptr, 8);
    if (!out)
        return WASI_EFAULT;
    static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    if (whence > 2)
        return WASI_EINVAL;
    off_t r = lseek(f->host, (off_t)off, whences[whence]);
    if (r < 0)
        return kn_wasi_errno_from_host(errno);
    put64(out, (uint64_t)r);
    return WASI_ESUCCESS;
}

static uint32_t wasi_fd_seek(wasi_call *c, const kiln_val *a)
{
    return seek(c, A32(0), (int64_t)A64(1), A32(2), A32(3));
}

static uint32_t wasi_fd_tell(wasi_call *c, const kiln_val *a)
{
    return seek(c, A32(0), 0, 1, A32(1));
}

const wasi_import kn_wasi_fd_imports[] = {
    WASI_IMPORT(fd_advise, "iIIi"),
    WASI_IMPORT(fd_allocate, "iII"),
    WASI_IMPORT(fd_close, "i"),
    WASI_IMPORT(fd_datasync, "i"),
    WASI_IMPORT(fd_fdstat_get, "ii"),
    WASI_IMPORT(fd_fdstat_set_flags, "ii"),
    WASI_IMPORT(fd_fdstat_set_rights, "iII"),
    WASI_IMPORT(fd_filestat_get, "ii"),
    WASI_IMPORT(fd_filestat_set_size, "iI"),
    WASI_IMPORT(fd_filestat_set_times, "iIIi"),
    WASI_IMPORT(fd_pread, "iiiIi"),
    WASI_IMPORT(fd_prestat_get, "ii"),
    WASI_IMPORT(fd_prestat_dir_name, "iii"),
    WASI_IMPORT(fd_pwrite, "iiiIi"),
    WASI_IMPORT(fd_read, "iiii"),
    WASI_IMPORT(fd_readdir, "iiiIi"),
    WASI_IMPORT(fd_renumber, "ii"),
    WASI_IMPORT(fd_seek, "iIii"),
    WASI_IMPORT(fd_sync, "i"),
    WASI_IMPORT(fd_tell, "ii"),
    WASI_IMPORT(fd_write, "iiii"),
};
const size_t kn_wasi_fd_nimports = sizeof kn_wasi_fd_imports / sizeof kn_wasi_fd_imports[0];
