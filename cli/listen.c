/*
 * listen.c — the listening sockets of `kiln run --tcplisten ADDR:PORT`.
 *
 * The command binds them itself and grants the guest each one with
 * kiln_wasi_config_preopen_socket, instead of leaving it to
 * kiln_wasi_config_tcp_listen, because only the binder learns which port
 * the kernel chose for port 0, and a client must be told it.  A port is
 * decimal and at most 65535: getaddrinfo would take "99999" and quietly
 * listen on 34463 (99999 mod 65536).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* Split "HOST:PORT" or "[V6]:PORT" into host and a checked port; NULL or
 * an error for the user. */
static kiln_error *split_addr(const char *addr, char host[256], unsigned *port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1])
        return kiln_error_new(KILN_ERR_ARG, "'%s' is not HOST:PORT", addr);
    unsigned long p = 0;
    const char *s = colon + 1;
    for (; *s >= '0' && *s <= '9' && p <= 65535; s++)
        p = p * 10 + (unsigned)(*s - '0');
    if (*s || p > 65535)
        return kiln_error_new(KILN_ERR_ARG, "port '%s' is not a number from 0 to 65535",
                              colon + 1);
    size_t hl = (size_t)(colon - addr);
    const char *h = addr;
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= 256)
        return kiln_error_new(KILN_ERR_ARG, "host name too long");
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (unsigned)p;
    return NULL;
}

kiln_error *cli_listen_port(const char *addr, unsigned *port)
{
    char host[256];
    return split_addr(addr, host, port);
}

kiln_error *cli_tcp_listen(const char *addr, int *out)
{
    char host[256], serv[8];
    unsigned port;
    kiln_error *e = split_addr(addr, host, &port);
    if (e)
        return e;
    snprintf(serv, sizeof serv, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo(host, serv, &hints, &res);
    if (rc != 0)
        return kiln_error_new(KILN_ERR_ARG, "%s", gai_strerror(rc));
    int err = 0, fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return kiln_error_new(KILN_ERR_ARG, "cannot listen: %s", strerror(err));
    *out = fd;
    return NULL;
}

void cli_print_listening(int fd, unsigned guest_fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return;
    bool v6 = ss.ss_family == AF_INET6;
    fprintf(stderr, "kiln: listening on %s%s%s:%s (fd %u)\n", v6 ? "[" : "", host, v6 ? "]" : "",
            serv, guest_fd);
}
