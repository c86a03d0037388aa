/*
 * kn_listen.h — "HOST:PORT" to a listening TCP socket, for every layer that
 * binds one on a user's behalf (WASI's tcp_listen, `kiln run --tcplisten`).
 *
 * The port is checked here, not by getaddrinfo, which takes any number and
 * wraps it: "99999" would listen on 34463 (99999 mod 65536).  "[v6]:PORT"
 * takes its host without the brackets.  Each caller words its own errors,
 * so these return what went wrong rather than a message.  Header-only and
 * written on libc alone, as src/common/ requires.  `kiln serve` binds one
 * socket per event loop on the same address, hence the flags of
 * kn_tcp_listen_flags.
 */
#ifndef KN_LISTEN_H
#define KN_LISTEN_H

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef enum kn_addr_status {
    KN_ADDR_OK,
    KN_ADDR_NOT_HOSTPORT,  /* no ':', or nothing before or after it */
    KN_ADDR_BAD_PORT,      /* not a decimal from 0 to 65535 */
    KN_ADDR_HOST_TOO_LONG, /* 256 bytes or more */
} kn_addr_status;

/* Splits ADDR into HOST and a checked *PORT; *PORT_TEXT points at the port
 * as written (for messages). */
static inline kn_addr_status kn_split_hostport(const char *addr, char host[256], unsigned *port,
                                               const char **port_text)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1])
        return KN_ADDR_NOT_HOSTPORT;
    *port_text = colon + 1;
    unsigned long p = 0;
    const char *s = colon + 1;
    for (; *s >= '0' && *s <= '9' && p <= 65535; s++)
        p = p * 10 + (unsigned)(*s - '0');
    if (*s || p > 65535)
        return KN_ADDR_BAD_PORT;
    size_t hl = (size_t)(colon - addr);
    const char *h = addr;
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= 256)
        return KN_ADDR_HOST_TOO_LONG;
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (unsigned)p;
    return KN_ADDR_OK;
}

enum {
    KN_LISTEN_NONBLOCK = 1,  /* for an event loop */
    KN_LISTEN_REUSEPORT = 2, /* several sockets on one address, the kernel spreads connections */
    KN_LISTEN_BACKLOG = 4,   /* the system's largest backlog (SOMAXCONN) instead of 128 */
};

/* A close-on-exec socket listening on HOST:PORT (the first address that
 * binds), or -1 with *WHY saying why and *RESOLVING true when the name
 * did not resolve (gai_strerror) rather than bind (strerror).  FLAGS are
 * KN_LISTEN_*. */
static inline int kn_tcp_listen_flags(const char *host, unsigned port, int flags,
                                      const char **why, int *resolving)
{
    char serv[8];
    snprintf(serv, sizeof serv, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo(host, serv, &hints, &res);
    *resolving = rc != 0;
    if (rc != 0) {
        *why = gai_strerror(rc);
        return -1;
    }
    int err = 0, fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int type = ai->ai_socktype | SOCK_CLOEXEC | (flags & KN_LISTEN_NONBLOCK ? SOCK_NONBLOCK : 0);
        fd = socket(ai->ai_family, type, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if ((!(flags & KN_LISTEN_REUSEPORT) ||
             setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0) &&
            bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, flags & KN_LISTEN_BACKLOG ? SOMAXCONN : 128) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        *why = strerror(err);
    return fd;
}

static inline int kn_tcp_listen(const char *host, unsigned port, const char **why,
                                int *resolving)
{
    return kn_tcp_listen_flags(host, port, 0, why, resolving);
}

#endif
