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

#include "kn_listen.h"
#include "util.h"

/* Split "HOST:PORT" or "[V6]:PORT" into host and a checked port; NULL or
 * an error for the user. */
static kiln_error *split_addr(const char *addr, char host[256], unsigned *port)
{
    const char *port_text = "";
    switch (kn_split_hostport(addr, host, port, &port_text)) {
    case KN_ADDR_OK:
        return NULL;
    case KN_ADDR_NOT_HOSTPORT:
        return kiln_error_new(KILN_ERR_ARG, "'%s' is not HOST:PORT", addr);
    case KN_ADDR_BAD_PORT:
        return kiln_error_new(KILN_ERR_ARG, "port '%s' is not a number from 0 to 65535",
                              port_text);
    default:
        return kiln_error_new(KILN_ERR_ARG, "host name too long");
    }
}

kiln_error *cli_listen_port(const char *addr, unsigned *port)
{
    char host[256];
    return split_addr(addr, host, port);
}

kiln_error *cli_tcp_listen(const char *addr, int *out)
{
    char host[256];
    unsigned port;
    kiln_error *e = split_addr(addr, host, &port);
    if (e)
        return e;
    const char *why;
    int resolving, fd = kn_tcp_listen(host, port, &why, &resolving);
    if (fd < 0)
        return resolving ? kiln_error_new(KILN_ERR_ARG, "%s", why)
                         : kiln_error_new(KILN_ERR_ARG, "cannot listen: %s", why);
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
