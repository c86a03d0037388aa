/*
 * wasi.c — a guest's WASI state: opening the grants of a config into the
 * file descriptor table, the table itself, and defining the imports in a
 * linker.
 *
 * Guest fds index wasi->fds; each open slot owns one host fd (stdio is
 * dup'ed, so a guest closing its stdout does not close the host's).  A
 * slot's rights only ever shrink: what a preopen grants bounds everything
 * opened through it.  Every import goes through one trampoline that takes
 * the caller's memory afresh, runs the handler and returns its errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_listen.h"
#include "wasi_config.h"
#include "wasi_impl.h"

/* Plenty for any real program, small enough that a guest opening files in
 * a loop hits `mfile` long before it hurts the host. */
#define WASI_MAX_FDS 65536

uint32_t kn_wasi_errno_from_host(int e)
{
    switch (e) {
    case 0: return WASI_ESUCCESS;
    case E2BIG: return WASI_E2BIG;
    case EACCES: return WASI_EACCES;
    case EADDRINUSE: return WASI_EADDRINUSE;
    case EADDRNOTAVAIL: return WASI_EADDRNOTAVAIL;
    case EAFNOSUPPORT: return WASI_EAFNOSUPPORT;
    case EAGAIN: return WASI_EAGAIN;
    case EALREADY: return WASI_EALREADY;
    case EBADF: return WASI_EBADF;
    case EBADMSG: return WASI_EBADMSG;
    case EBUSY: return WASI_EBUSY;
    case ECANCELED: return WASI_ECANCELED;
    case ECHILD: return WASI_ECHILD;
    case ECONNABORTED: return WASI_ECONNABORTED;
    case ECONNREFUSED: return WASI_ECONNREFUSED;
    case ECONNRESET: return WASI_ECONNRESET;
    case EDEADLK: return WASI_EDEADLK;
    case EDESTADDRREQ: return WASI_EDESTADDRREQ;
    case EDOM: return WASI_EDOM;
    case EDQUOT: return WASI_EDQUOT;
    case EEXIST: return WASI_EEXIST;
    case EFAULT: return WASI_EFAULT;
    case EFBIG: return WASI_EFBIG;
    case EHOSTUNREACH: return WASI_EHOSTUNREACH;
    case EIDRM: return WASI_EIDRM;
    case EILSEQ: return WASI_EILSEQ;
    case EINPROGRESS: return WASI_EINPROGRESS;
    case EINTR: return WASI_EINTR;
    case EINVAL: return WASI_EINVAL;
    case EIO: return WASI_EIO;
    case EISCONN: return WASI_EISCONN;
    case EISDIR: return WASI_EISDIR;
    case ELOOP: return WASI_ELOOP;
    case EMFILE: return WASI_EMFILE;
    case EMLINK: return WASI_EMLINK;
    case EMSGSIZE: return WASI_EMSGSIZE;
    case EMULTIHOP: return WASI_EMULTIHOP;
    case ENAMETOOLONG: return WASI_ENAMETOOLONG;
    case ENETDOWN: return WASI_ENETDOWN;
    case ENETRESET: return WASI_ENETRESET;
    case ENETUNREACH: return WASI_ENETUNREACH;
    case ENFILE: return WASI_ENFILE;
    case ENOBUFS: return WASI_ENOBUFS;
    case ENODEV: return WASI_ENODEV;
    case ENOENT: return WASI_ENOENT;
    case ENOEXEC: return WASI_ENOEXEC;
    case ENOLCK: return WASI_ENOLCK;
    case ENOLINK: return WASI_ENOLINK;
    case ENOMEM: return WASI_ENOMEM;
    case ENOMSG: return WASI_ENOMSG;
    case ENOPROTOOPT: return WASI_ENOPROTOOPT;
    case ENOSPC: return WASI_ENOSPC;
    case ENOSYS: return WASI_ENOSYS;
    case ENOTCONN: return WASI_ENOTCONN;
    case ENOTDIR: return WASI_ENOTDIR;
    case ENOTEMPTY: return WASI_ENOTEMPTY;
    case ENOTRECOVERABLE: return WASI_ENOTRECOVERABLE;
    case ENOTSOCK: return WASI_ENOTSOCK;
    case ENOTSUP: return WASI_ENOTSUP; /* == EOPNOTSUPP on Linux */
    case ENOTTY: return WASI_ENOTTY;
    case ENXIO: return WASI_ENXIO;
    case EOVERFLOW: return WASI_EOVERFLOW;
    case EOWNERDEAD: return WASI_EOWNERDEAD;
    case EPERM: return WASI_EPERM;
    case EPIPE: return WASI_EPIPE;
    case EPROTO: return WASI_EPROTO;
    case EPROTONOSUPPORT: return WASI_EPROTONOSUPPORT;
    case EPROTOTYPE: return WASI_EPROTOTYPE;
    case ERANGE: return WASI_ERANGE;
    case EROFS: return WASI_EROFS;
    case ESPIPE: return WASI_ESPIPE;
    case ESRCH: return WASI_ESRCH;
    case ESTALE: return WASI_ESTALE;
    case ETIMEDOUT: return WASI_ETIMEDOUT;
    case ETXTBSY: return WASI_ETXTBSY;
    case EXDEV: return WASI_EXDEV;
    default: return WASI_EIO;
    }
}

uint8_t kn_wasi_filetype_of_mode(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
    case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
    case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    default: return WASI_FILETYPE_UNKNOWN; /* FIFOs have no WASI type */
    }
}

/* ---- the fd table ------------------------------------------------------ */

wasi_fd *kn_wasi_fd_get(kiln_wasi *w, uint32_t fd, uint64_t need, uint32_t *err)
{
    if (fd >= w->nfds || !wasi_fd_open(&w->fds[fd])) {
        *err = WASI_EBADF;
        return NULL;
    }
    wasi_fd *f = &w->fds[fd];
    if ((f->base & need) != need) {
        *err = WASI_ENOTCAPABLE;
        return NULL;
    }
    return f;
}

uint32_t kn_wasi_fd_add(kiln_wasi *w, int host, uint8_t type, uint64_t base,
                        uint64_t inheriting, uint32_t *out)
{
    uint32_t fd = 0;
    while (fd < w->nfds && wasi_fd_open(&w->fds[fd]))
        fd++;
    if (fd == w->nfds) {
        if (w->nfds == WASI_MAX_FDS) {
            close(host);
            return WASI_EMFILE;
        }
        if (w->nfds == w->capfds) {
            uint32_t cap = w->capfds ? 2 * w->capfds : 16;
            wasi_fd *p = kn_realloc_n(&w->alloc, w->fds, cap, sizeof *p);
            if (!p) {
                close(host);
                return WASI_ENOMEM;
            }
            w->fds = p;
            w->capfds = cap;
        }
        w->nfds++;
    }
    w->fds[fd] = (wasi_fd){.host = host, .type = type, .base = base, .inheriting = inheriting};
    *out = fd;
    return WASI_ESUCCESS;
}

void kn_wasi_fd_release(wasi_fd *f)
{
    if (f->dir)
        closedir(f->dir);
    if (f->host >= 0)
        close(f->host);
    *f = (wasi_fd){.host = -1};
}

uint64_t kn_wasi_type_rights(int host, uint8_t type)
{
    switch (type) {
    case WASI_FILETYPE_REGULAR_FILE:
        return WASI_RIGHTS_FILE_READ | WASI_RIGHTS_FILE_WRITE;
    case WASI_FILETYPE_DIRECTORY:
        return WASI_RIGHTS_DIR_READ | WASI_RIGHTS_DIR_WRITE;
    case WASI_FILETYPE_SOCKET_STREAM:
        return WASI_RIGHTS_SOCKET;
    case WASI_FILETYPE_CHARACTER_DEVICE:
        /* wasi-libc's isatty() is "a character device without seek and
         * tell": only a real terminal may look like that.  /dev/null and
         * the like seek (to 0) as files do, and wasmtime gave them the
         * file rights too; a guest believing it is on a terminal would
         * line-buffer its output and prompt. */
        if (!isatty(host))
            return WASI_RIGHTS_FILE_READ | WASI_RIGHTS_FILE_WRITE;
        return WASI_RIGHTS_STREAM;
    default:
        return WASI_RIGHTS_STREAM; /* pipes, FIFOs */
    }
}

/* The rights a host fd given to the guest (stdio) deserves by what it is. */
static void rights_for(int host, uint8_t *type, uint64_t *base, uint64_t *inheriting)
{
    struct stat st;
    *type = fstat(host, &st) == 0 ? kn_wasi_filetype_of_mode(st.st_mode) : WASI_FILETYPE_UNKNOWN;
    *inheriting = 0;
    *base = kn_wasi_type_rights(host, *type);
    /* Rights match what the host fd can do: no read on a write-only one. */
    int fl = fcntl(host, F_GETFL);
    if (fl >= 0 && (fl & O_ACCMODE) == O_RDONLY)
        *base &= ~WASI_RIGHTS_FILE_WRITE;
    else if (fl >= 0 && (fl & O_ACCMODE) == O_WRONLY)
        *base &= ~RIGHT(FD_READ);
}

/* ---- blocking and the store's limits ---------------------------------------- */

uint32_t kn_wasi_wait_ready(wasi_call *c, const wasi_fd *f, short events)
{
    if (f->type == WASI_FILETYPE_REGULAR_FILE || f->type == WASI_FILETYPE_DIRECTORY)
        return WASI_ESUCCESS; /* never blocks */
    for (;;) {
        uint64_t left = kiln_store_time_left_ns(c->store);
        if (left == UINT64_MAX)
            return WASI_ESUCCESS; /* no deadline: block in the call itself */
        int fl = fcntl(f->host, F_GETFL);
        if (fl >= 0 && (fl & O_NONBLOCK))
            return WASI_ESUCCESS; /* the guest wants `again`, not a wait */
        struct pollfd p = {.fd = f->host, .events = events};
        struct timespec ts = {.tv_sec = (time_t)(left / 1000000000u),
                              .tv_nsec = (long)(left % 1000000000u)};
        int rc = ppoll(&p, 1, &ts, NULL);
        if (rc > 0)
            return WASI_ESUCCESS;
        if (rc < 0 && errno != EINTR)
            return kn_wasi_errno_from_host(errno);
        if ((c->trap = kiln_store_limit_error(c->store)))
            return WASI_EINTR;
    }
}

uint32_t kn_wasi_blocked_errno(wasi_call *c, int e)
{
    if (e == EINTR)
        c->trap = kiln_store_limit_error(c->store);
    return kn_wasi_errno_from_host(e);
}

/* ---- making one ---------------------------------------------------------- */

/* Pack strings as wasi-libc wants them: each NUL-terminated, one after the
 * other.  Fails (false) if the total does not fit the guest's u32 sizes. */
static bool pack(kiln_wasi *w, const wasi_strlist *l, char **blob, uint32_t *count,
                 uint32_t *size)
{
    uint64_t total = 0;
    for (size_t i = 0; i < l->n; i++)
        total += strlen(l->items[i]) + 1;
    if (total > UINT32_MAX || l->n > UINT32_MAX / 4)
        return false;
    *blob = kn_malloc(&w->alloc, total);
    if (!*blob)
        return false;
    char *p = *blob;
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->items[i]) + 1;
        memcpy(p, l->items[i], n);
        p += n;
    }
    *count = (uint32_t)l->n;
    *size = (uint32_t)total;
    return true;
}

/* Bind and listen on "HOST:PORT" ("[v6]:PORT" too). */
static kiln_error *tcp_listen(const char *addr, int *out)
{
    char host[256];
    unsigned port;
    const char *port_text = "";
    switch (kn_split_hostport(addr, host, &port, &port_text)) {
    case KN_ADDR_OK:
        break;
    case KN_ADDR_NOT_HOSTPORT:
        return kiln_error_new(KILN_ERR_ARG, "listen address '%s' is not HOST:PORT", addr);
    case KN_ADDR_BAD_PORT:
        return kiln_error_new(KILN_ERR_ARG, "listen address '%s': the port is not 0 to 65535",
                              addr);
    default:
        return kiln_error_new(KILN_ERR_ARG, "listen address '%s': host name too long", addr);
    }
    const char *why;
    int resolving, fd = kn_tcp_listen(host, port, &why, &resolving);
    if (fd < 0)
        return resolving ? kiln_error_new(KILN_ERR_ARG, "listen address '%s': %s", addr, why)
                         : kiln_error_new(KILN_ERR_ARG, "cannot listen on '%s': %s", addr, why);
    *out = fd;
    return NULL;
}

static kiln_error *add_fd(kiln_wasi *w, int host, uint8_t type, uint64_t base,
                          uint64_t inheriting, uint32_t *guest)
{
    uint32_t fd;
    if (kn_wasi_fd_add(w, host, type, base, inheriting, guest ? guest : &fd) != WASI_ESUCCESS)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    return NULL;
}

/* In-memory streams look like pipes to the guest (no WASI file type, no
 * seeking), so wasi-libc buffers them fully rather than by line. */
static void mem_stdio(kiln_wasi *w, const kiln_wasi_config *c, int i)
{
    wasi_memstream *m = &w->mem[i];
    *m = (wasi_memstream){.in = c->stdin_bytes, .in_len = i == 0 ? c->stdin_len : 0,
                          .out_max = c->out_max[i], .on = true};
    uint64_t io = i == 0 ? RIGHT(FD_READ) : RIGHT(FD_WRITE);
    w->fds[i] = (wasi_fd){.host = -1, .mem = m, .type = WASI_FILETYPE_UNKNOWN,
                          .base = io | RIGHT(FD_FILESTAT_GET) | RIGHT(POLL_FD_READWRITE)};
}

static kiln_error *open_stdio(kiln_wasi *w, const kiln_wasi_config *c)
{
    w->fds = kn_calloc(&w->alloc, 16, sizeof *w->fds);
    if (!w->fds)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    w->capfds = 16;
    w->nfds = 3;
    for (int i = 0; i < 3; i++) {
        w->fds[i] = (wasi_fd){.host = -1};
        w->stdio_host[i] = w->stdio_flags[i] = -1;
        int h = c->stdio[i], fd;
        if (h == KILN_WASI_STDIO_CLOSED)
            continue;
        if (h == WASI_STDIO_MEM) {
            mem_stdio(w, c, i);
            continue;
        }
        if (h == KILN_WASI_STDIO_NULL)
            fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        else
            fd = fcntl(h == KILN_WASI_STDIO_INHERIT ? i : h, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
            if (h == KILN_WASI_STDIO_INHERIT && errno == EBADF)
                continue; /* the host has no such stream either */
            return kiln_error_new(KILN_ERR_ARG, "stdio %d: %s", i, strerror(errno));
        }
        wasi_fd *f = &w->fds[i];
        f->host = fd;
        rights_for(fd, &f->type, &f->base, &f->inheriting);
        if (h != KILN_WASI_STDIO_NULL) {
            w->stdio_host[i] = h == KILN_WASI_STDIO_INHERIT ? i : h;
            w->stdio_flags[i] = fcntl(fd, F_GETFL);
        }
    }
    return NULL;
}

static kiln_error *open_dirs(kiln_wasi *w, const kiln_wasi_config *c)
{
    size_t total = 0;
    for (size_t i = 0; i < c->ndirs; i++)
        total += strlen(c->dirs[i].guest) + 1;
    char *names = w->preopens = kn_malloc(&w->alloc, total);
    if (!names)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->ndirs; i++) {
        const wasi_dir_grant *d = &c->dirs[i];
        int fd = open(d->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return kiln_error_new(KILN_ERR_ARG, "cannot open directory '%s': %s", d->host,
                                  strerror(errno));
        bool rw = d->perms & KILN_WASI_DIR_WRITE;
        uint64_t base = WASI_RIGHTS_DIR_READ | (rw ? WASI_RIGHTS_DIR_WRITE : 0);
        /* A read-only grant still lists the file-writing rights as
         * inheritable: wasi-libc masks what it asks path_open for with
         * them, and path_open must see a write to refuse it (fs.c). */
        uint64_t inh = base | WASI_RIGHTS_FILE_READ | WASI_RIGHTS_FILE_WRITE;
        uint32_t guest;
        kiln_error *e = add_fd(w, fd, WASI_FILETYPE_DIRECTORY, base, inh, &guest);
        if (e)
            return e;
        w->fds[guest].readonly = !rw;
        size_t n = strlen(d->guest) + 1;
        memcpy(names, d->guest, n);
        w->fds[guest].preopen = names;
        names += n;
    }
    return NULL;
}

static kiln_error *open_sockets(kiln_wasi *w, const kiln_wasi_config *c)
{
    for (size_t i = 0; i < c->nsockets; i++) {
        const wasi_socket_grant *s = &c->sockets[i];
        int fd;
        if (s->addr) {
            kiln_error *e = tcp_listen(s->addr, &fd);
            if (e)
                return e;
        } else if ((fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 3)) < 0) {
            return kiln_error_new(KILN_ERR_ARG, "socket fd %d: %s", s->fd, strerror(errno));
        }
        kiln_error *e = add_fd(w, fd, WASI_FILETYPE_SOCKET_STREAM, WASI_RIGHTS_LISTENER,
                               WASI_RIGHTS_SOCKET, NULL);
        if (e)
            return e;
    }
    return NULL;
}

kiln_error *kiln_wasi_new(const kiln_wasi_config *c, kiln_wasi **out)
{
    if (!c || !out)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_new: NULL argument");
    kiln_wasi *w = kn_calloc(&c->alloc, 1, sizeof *w);
    if (!w)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    w->alloc = c->alloc;
    w->walk = c->resolve == KILN_WASI_RESOLVE_WALK;
    w->trace = c->trace;
    w->trace_ud = c->trace_ud;
    kiln_error *e = NULL;
    if (!pack(w, &c->args, &w->args, &w->nargs, &w->args_size) ||
        !pack(w, &c->env, &w->env, &w->nenv, &w->env_size))
        e = kiln_error_new(KILN_ERR_NOMEM, "arguments or environment too large");
    if (!e)
        e = open_stdio(w, c);
    if (!e)
        e = open_dirs(w, c);
    if (!e)
        e = open_sockets(w, c);
    if (e) {
        kiln_wasi_free(w);
        return e;
    }
    *out = w;
    return NULL;
}

void kiln_wasi_free(kiln_wasi *w)
{
    if (!w)
        return;
    for (int i = 0; i < 3 && w->fds; i++) {
        /* Give the embedder's stdio back with the flags it had. */
        if (w->stdio_flags[i] < 0)
            continue;
        int now = fcntl(w->stdio_host[i], F_GETFL);
        if (now >= 0 && now != w->stdio_flags[i])
            fcntl(w->stdio_host[i], F_SETFL, w->stdio_flags[i]);
    }
    for (uint32_t i = 0; i < w->nfds; i++)
        kn_wasi_fd_release(&w->fds[i]);
    kn_allocator a = w->alloc;
    kn_free(&a, w->mem[1].out);
    kn_free(&a, w->mem[2].out);
    kn_free(&a, w->fds);
    kn_free(&a, w->args);
    kn_free(&a, w->env);
    kn_free(&a, w->preopens);
    kn_free(&a, w);
}

/* ---- in-memory stdio -------------------------------------------------------- */

bool kiln_wasi_stdout_bytes(const kiln_wasi *w, const uint8_t **data, size_t *len)
{
    if (!w || !data || !len || !w->mem[1].on)
        return false;
    *data = w->mem[1].out;
    *len = w->mem[1].out_len;
    return true;
}

bool kiln_wasi_stderr_bytes(const kiln_wasi *w, const uint8_t **data, size_t *len)
{
    if (!w || !data || !len || !w->mem[2].on)
        return false;
    *data = w->mem[2].out;
    *len = w->mem[2].out_len;
    return true;
}

kiln_error *kiln_wasi_stdin_bytes(kiln_wasi *w, const void *bytes, size_t len)
{
    if (!w || (len && !bytes))
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_stdin_bytes: NULL argument");
    kn_wasi_fd_release(&w->fds[0]);
    w->stdio_flags[0] = -1;      /* fd 0 is no longer the embedder's */
    w->mem[0] = (wasi_memstream){.in = bytes, .in_len = len, .on = true};
    w->fds[0] = (wasi_fd){.host = -1, .mem = &w->mem[0], .type = WASI_FILETYPE_UNKNOWN,
                          .base = RIGHT(FD_READ) | RIGHT(FD_FILESTAT_GET) |
                                  RIGHT(POLL_FD_READWRITE)};
    return NULL;
}

/* Append what fits under the cap, growing the buffer by doubling. */
static uint32_t mem_write(kiln_wasi *w, wasi_memstream *m, const struct iovec *iov, uint32_t n,
                          size_t *done)
{
    *done = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t room = m->out_max - m->out_len, len = iov[i].iov_len < room ? iov[i].iov_len : room;
        if (m->out_len + len > m->out_cap) {
            size_t cap = m->out_cap ? m->out_cap : 256;
            while (cap < m->out_len + len)
                cap = cap > m->out_max / 2 ? m->out_max : cap * 2;
            uint8_t *p = kn_realloc(&w->alloc, m->out, cap);
            if (!p)
                return *done ? WASI_ESUCCESS : WASI_ENOMEM;
            m->out = p;
            m->out_cap = cap;
        }
        if (len) /* an empty iovec may come before any buffer exists */
            memcpy(m->out + m->out_len, iov[i].iov_base, len);
        m->out_len += len;
        *done += len;
        if (len < iov[i].iov_len)
            break;
    }
    /* Full: like a file at its size limit, a write that can place nothing
     * fails, one that can place some is short. */
    size_t want = 0;
    for (uint32_t i = 0; i < n; i++)
        want += iov[i].iov_len;
    return *done == 0 && want ? WASI_EFBIG : WASI_ESUCCESS;
}

uint32_t kn_wasi_mem_xfer(wasi_call *c, wasi_fd *f, uint32_t iovs, uint32_t n, bool reading,
                          uint8_t *out)
{
    struct iovec iov[WASI_IOV_MAX];
    uint32_t err = kn_wasi_iovecs(c, iovs, n, reading, iov);
    if (err)
        return err;
    wasi_memstream *m = f->mem;
    size_t done = 0;
    if (reading) {
        for (uint32_t i = 0; i < n && m->in_pos < m->in_len; i++) {
            size_t left = m->in_len - m->in_pos;
            size_t len = iov[i].iov_len < left ? iov[i].iov_len : left;
            memcpy(iov[i].iov_base, m->in + m->in_pos, len);
            m->in_pos += len;
            done += len;
        }
    } else if ((err = mem_write(c->w, m, iov, n, &done))) {
        return err;
    }
    put32(out, (uint32_t)done);
    return WASI_ESUCCESS;
}

/* ---- the imports ---------------------------------------------------------- */

/* One import defined in one store.  It caches the "memory" export of the
 * instance that last called it: instances live as long as their store,
 * and so does this, so a cached pointer can never outlive what it points
 * to (the same kiln_wasi may serve several stores). */
typedef struct wasi_binding {
    kn_allocator alloc;   /* a copy: the store may outlive the kiln_wasi */
    kiln_wasi *w;
    const wasi_import *imp;
    kiln_instance *mem_owner;
    kiln_memory *mem;
} wasi_binding;

static void binding_free(void *env)
{
    wasi_binding *b = env;
    kn_allocator a = b->alloc;
    kn_free(&a, b);
}

static kiln_error *trampoline(kiln_caller *caller, void *env, const kiln_val *args,
                              kiln_val *results)
{
    wasi_binding *b = env;
    /* WASI's ABI: the guest's memory is its export named "memory".  The
     * lookup is cached (its data pointer is not: memory.grow may move it). */
    kiln_instance *inst = kiln_caller_instance(caller);
    if (inst != b->mem_owner) {
        b->mem_owner = inst;
        b->mem = inst ? kiln_instance_export_memory(inst, "memory") : NULL;
    }
    if (!b->mem)
        return kiln_trap_new("WASI: the module does not export its memory as \"memory\"");
    wasi_call c = {.w = b->w, .store = kiln_caller_store(caller), .memory = b->mem,
                   .mem = kiln_memory_data_reported(b->mem),
                   .memsize = kiln_memory_size(b->mem)};
    uint32_t err = kn_wasi_dispatch(&c, b->imp, args);
    if (c.trap)
        return c.trap;
    if (!b->imp->noresult) {
        results[0].kind = KILN_I32;
        results[0].of.i32 = (int32_t)err;
    }
    return NULL;
}

static kiln_error *define_one(kiln_wasi *w, kiln_store *store, kiln_linker *linker,
                              const wasi_import *imp)
{
    kiln_valkind params[16];
    static const kiln_valkind i32[] = {KILN_I32};
    size_t n = strlen(imp->params);
    for (size_t i = 0; i < n; i++)
        params[i] = imp->params[i] == 'I' ? KILN_I64 : KILN_I32;
    kiln_functype type = {.nparams = (uint32_t)n, .params = params,
                          .nresults = imp->noresult ? 0 : 1, .results = i32};
    wasi_binding *b = kn_malloc(&w->alloc, sizeof *b);
    if (!b)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    *b = (wasi_binding){.alloc = w->alloc, .w = w, .imp = imp};
    kiln_func *f;
    kiln_error *e = kiln_func_new(store, &type, trampoline, b, binding_free, &f);
    if (e) {
        binding_free(b);
        return e;
    }
    return kiln_linker_define_func(linker, KILN_WASI_MODULE, imp->name, f);
}

static const struct {
    const wasi_import *imports;
    const size_t *n;
} all_imports[] = {
    {kn_wasi_fd_imports, &kn_wasi_fd_nimports},
    {kn_wasi_path_imports, &kn_wasi_path_nimports},
    {kn_wasi_proc_imports, &kn_wasi_proc_nimports},
    {kn_wasi_poll_imports, &kn_wasi_poll_nimports},
    {kn_wasi_sock_imports, &kn_wasi_sock_nimports},
};

kiln_error *kiln_wasi_define(kiln_wasi *w, kiln_store *store, kiln_linker *linker)
{
    if (!w || !store || !linker)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_define: NULL argument");
    for (size_t t = 0; t < sizeof all_imports / sizeof all_imports[0]; t++)
        for (size_t i = 0; i < *all_imports[t].n; i++) {
            kiln_error *e = define_one(w, store, linker, &all_imports[t].imports[i]);
            if (e)
                return e;
        }
    return NULL;
}

/* The template's trampolines: one definition serves every use, so the
 * kiln_wasi is found per call -- as the use's user data, or through the
 * embedder's getter from it -- and nothing is cached between calls (the
 * export lookup is a scan of a few names). */
typedef struct template_binding {
    const wasi_import *imp;
    kiln_wasi *(*get)(void *user_data);  /* NULL: the user data is the kiln_wasi */
} template_binding;

static kiln_error *template_trampoline(kiln_caller *caller, void *env, const kiln_val *args,
                                       kiln_val *results)
{
    const template_binding *tb = env;
    const wasi_import *imp = tb->imp;
    void *ud = kiln_caller_data(caller);
    kiln_wasi *w = tb->get ? (ud ? tb->get(ud) : NULL) : ud;
    if (!w)
        return kiln_trap_new("WASI: the instance was made without a kiln_wasi as user data");
    kiln_instance *inst = kiln_caller_instance(caller);
    kiln_memory *mem = inst ? kiln_instance_export_memory(inst, "memory") : NULL;
    if (!mem)
        return kiln_trap_new("WASI: the module does not export its memory as \"memory\"");
    wasi_call c = {.w = w, .store = kiln_caller_store(caller), .memory = mem,
                   .mem = kiln_memory_data_reported(mem),
                   .memsize = kiln_memory_size(mem)};
    uint32_t err = kn_wasi_dispatch(&c, imp, args);
    if (c.trap)
        return c.trap;
    if (!imp->noresult) {
        results[0].kind = KILN_I32;
        results[0].of.i32 = (int32_t)err;
    }
    return NULL;
}

/* The bindings are plain malloc'd pairs: the builder has no allocator hook
 * to lend, and frees each with this finalizer. */
static void template_binding_free(void *env) { free(env); }

static kiln_error *define_template(kiln_template_builder *b, kiln_wasi *(*get)(void *))
{
    if (!b)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_define_template: NULL builder");
    for (size_t t = 0; t < sizeof all_imports / sizeof all_imports[0]; t++)
        for (size_t i = 0; i < *all_imports[t].n; i++) {
            const wasi_import *imp = &all_imports[t].imports[i];
            kiln_valkind params[16];
            static const kiln_valkind i32[] = {KILN_I32};
            size_t n = strlen(imp->params);
            for (size_t k = 0; k < n; k++)
                params[k] = imp->params[k] == 'I' ? KILN_I64 : KILN_I32;
            kiln_functype type = {.nparams = (uint32_t)n, .params = params,
                                  .nresults = imp->noresult ? 0 : 1, .results = i32};
            template_binding *tb = malloc(sizeof *tb);
            if (!tb)
                return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
            *tb = (template_binding){.imp = imp, .get = get};
            kiln_error *e = kiln_template_builder_func(b, KILN_WASI_MODULE, imp->name, &type,
                                                       template_trampoline, tb,
                                                       template_binding_free);
            if (e) {
                free(tb); /* the builder keeps env only when it succeeds */
                return e;
            }
        }
    return NULL;
}

kiln_error *kiln_wasi_define_template(kiln_template_builder *b)
{
    return define_template(b, NULL);
}

kiln_error *kiln_wasi_define_template_with(kiln_template_builder *b,
                                           kiln_wasi *(*get)(void *user_data))
{
    if (!get)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_define_template_with: NULL getter");
    return define_template(b, get);
}
