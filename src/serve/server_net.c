/*
 * server_net.c — listening sockets and TLS for `kiln serve`.
 *
 * Every worker gets its own listening socket on the same address
 * (SO_REUSEPORT), so the kernel spreads connections over the event loops
 * without a shared accept lock.  When the port is 0 the first socket picks
 * one and the others bind to the port it got.  TLS is OpenSSL with ALPN
 * offering h2 then http/1.1 (h2o's list).
 */
#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server_net.h"

int kn_net_parse(const char *spec, char *host, size_t hostlen, unsigned *port)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1])
        return -1;
    const char *h = spec;
    size_t hl = (size_t)(colon - spec);
    if (h[0] == '[') {
        if (hl < 3 || h[hl - 1] != ']')
            return -1;
        h++;
        hl -= 2;
    }
    if (hl >= hostlen)
        return -1;
    char *end;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end || errno || p > 65535 || colon[1] == '-' || colon[1] == '+')
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (unsigned)p;
    return 0;
}

static int bind_one(const struct addrinfo *ai, unsigned port, int reuseport, char *err,
                    size_t errlen)
{
    struct sockaddr_storage ss;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
        bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int kn_net_listen(const char *spec, unsigned n, int *fds, unsigned *port_out, char *err,
                  size_t errlen)
{
    char host[256];
    unsigned port;
    if (kn_net_parse(spec, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "'%s' is not ADDR:PORT", spec);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai;
    int rc = getaddrinfo(host, "0", &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", spec, gai_strerror(rc));
        return -1;
    }
    char why[128];
    for (unsigned i = 0; i < n; i++) {
        fds[i] = bind_one(ai, port, n > 1, why, sizeof why);
        if (fds[i] < 0) {
            snprintf(err, errlen, "cannot listen on %s: %s", spec, why);
            while (i-- > 0)
                close(fds[i]);
            freeaddrinfo(ai);
            return -1;
        }
        if (i == 0 && port == 0) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            getsockname(fds[0], (struct sockaddr *)&ss, &sl);
            port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    freeaddrinfo(ai);
    *port_out = port;
    return 0;
}

SSL_CTX *kn_net_tls(const char *cert, const char *key, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "cannot make a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    const char *what = NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        what = cert;
    else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        what = key;
    else if (SSL_CTX_check_private_key(ctx) != 1)
        what = "the key does not match the certificate";
    if (what) {
        char e[200];
        ERR_error_string_n(ERR_get_error(), e, sizeof e);
        snprintf(err, errlen, "TLS: %s: %s", what, e);
        SSL_CTX_free(ctx);
        return NULL;
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
}
