/*
 * sock.c — the sock_* imports, on sockets the guest was granted: accept
 * on a preopened listener, then receive, send and shut down on what it
 * accepted.  A guest cannot create, bind or connect sockets of its own
 * (preview1 has no call for it).  Sends never raise SIGPIPE in the host: a
 * closed peer is the guest's `pipe` errno.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "wasi_impl.h"

enum { WASI_RECV_PEEK = 1, WASI_RECV_WAITALL = 2, WASI_RECV_DATA_TRUNCATED = 1 };
enum { WASI_SHUT_RD = 1, WASI_SHUT_WR = 2 };

static uint32_t wasi_sock_accept(wasi_call *c, const kiln_val *a)
{
    uint32_t err;
    wasi_fd *f = kn_wasi_fd_get(c->w, A32(0), RIGHT(SOCK_ACCEPT), &err);
    if (!f)
        return err;
    uint8_t *out = wasi_mem(c, A32(2), 4);
    if (!out)
        return WASI_EFAULT;
    if (A32(1) & ~(uint32_t)WASI_FDFLAG_NONBLOCK)
        return WASI_EINVAL;
    int fl = SOCK_CLOEXEC | ((A32(1) & WASI_FDFLAG_NONBLOCK) ? SOCK_NONBLOCK : 0);
    if ((err = kn_wasi_wait_ready(c, f, POLLIN)))
        return err;
    int fd = accept4(f->host, NULL, NULL, fl);
    if (fd < 0)
        return kn_wasi_blocked_errno(c, errno);
    uint32_t guest;
    err = kn_wasi_fd_add(c->w, fd, WASI_FILETYPE_SOCKET_STREAM, f->inheriting, 0, &guest);
    if (!err)
        put32(out, guest);
    return err;
}

static uint32_t wasi_sock_recv(wasi_call *c, const kiln_val *a)
{
    uint32_t err;
    wasi_fd *f = kn_wasi_fd_get(c->w, A32(0), RIGHT(FD_READ), &err);
    if (!f)
        return err;
    uint8_t *len = wasi_mem(c, A32(4), 4), *flags = wasi_mem(c, A32(5), 2);
    if (!len || !flags)
        return WASI_EFAULT;
    uint32_t ri = A32(3);
    if (ri & ~(uint32_t)(WASI_RECV_PEEK | WASI_RECV_WAITALL))
        return WASI_EINVAL;
    struct iovec iov[WASI_IOV_MAX];
    if ((err = kn_wasi_iovecs(c, A32(1), A32(2), true, iov)))
        return err;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = A32(2)};
    int fl = ((ri & WASI_RECV_PEEK) ? MSG_PEEK : 0) | ((ri & WASI_RECV_WAITALL) ? MSG_WAITALL : 0);
    if ((err = kn_wasi_wait_ready(c, f, POLLIN)))
        return err;
    ssize_t n = recvmsg(f->host, &msg, fl);
    if (n < 0)
        return kn_wasi_blocked_errno(c, errno);
    put32(len, (uint32_t)n);
    put16(flags, (msg.msg_flags & MSG_TRUNC) ? WASI_RECV_DATA_TRUNCATED : 0);
    return WASI_ESUCCESS;
}

static uint32_t wasi_sock_send(wasi_call *c, const kiln_val *a)
{
    uint32_t err;
    wasi_fd *f = kn_wasi_fd_get(c->w, A32(0), RIGHT(FD_WRITE), &err);
    if (!f)
        return err;
    uint8_t *len = wasi_mem(c, A32(4), 4);
    if (!len)
        return WASI_EFAULT;
    if (A32(3) != 0)
        return WASI_EINVAL; /* preview1 defines no send flags */
    struct iovec iov[WASI_IOV_MAX];
    if ((err = kn_wasi_iovecs(c, A32(1), A32(2), false, iov)))
        return err;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = A32(2)};
    if ((err = kn_wasi_wait_ready(c, f, POLLOUT)))
        return err;
    ssize_t n = sendmsg(f->host, &msg, MSG_NOSIGNAL);
    if (n < 0)
        return kn_wasi_blocked_errno(c, errno);
    put32(len, (uint32_t)n);
    return WASI_ESUCCESS;
}

static uint32_t wasi_sock_shutdown(wasi_call *c, const kiln_val *a)
{
    uint32_t err;
    wasi_fd *f = kn_wasi_fd_get(c->w, A32(0), 0, &err);
    if (!f)
        return err;
    /* A file, directory or stdio is `notsock`, as for POSIX shutdown(),
     * before any question of rights: C programs test errno == ENOTSOCK. */
    if (f->type != WASI_FILETYPE_SOCKET_STREAM)
        return WASI_ENOTSOCK;
    if (!(f->base & RIGHT(SOCK_SHUTDOWN)))
        return WASI_ENOTCAPABLE;
    uint32_t how = A32(1);
    if (how == 0 || how > (WASI_SHUT_RD | WASI_SHUT_WR))
        return WASI_EINVAL;
    int h = how == WASI_SHUT_RD ? SHUT_RD : how == WASI_SHUT_WR ? SHUT_WR : SHUT_RDWR;
    return shutdown(f->host, h) == 0 ? WASI_ESUCCESS : kn_wasi_errno_from_host(errno);
}

const wasi_import kn_wasi_sock_imports[] = {
    WASI_IMPORT(sock_accept, "iii"),
    WASI_IMPORT(sock_recv, "iiiiii"),
    WASI_IMPORT(sock_send, "iiiii"),
    WASI_IMPORT(sock_shutdown, "ii"),
};
const size_t kn_wasi_sock_nimports = sizeof kn_wasi_sock_imports / sizeof kn_wasi_sock_imports[0];
