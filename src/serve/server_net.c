/*
 * server_net.c — listening sockets and TLS for `kiln serve`.
 *
 * Every worker gets its own listening socket on the same address
 * (SO_REUSEPORT), so the kernel spreads connections over the event loops
 * without a shared accept lock.  When the port is 0 the first socket picks
 * one and the others bind to the port it got.  The address parsing and
 * the bind loop are src/common/kn_listen.h's, shared with WASI's sockets.
 * TLS is OpenSSL with ALPN offering h2 then http/1.1 (h2o's list).
 */
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kn_listen.h"
#include "server_net.h"

int kn_net_parse(const char *spec, char *host, size_t hostlen, unsigned *port)
{
    char h[256];
    const char *port_text;
    if (kn_split_hostport(spec, h, port, &port_text) != KN_ADDR_OK || !h[0] ||
        strpbrk(h, "[]") || strlen(h) >= hostlen)
        return -1;
    memcpy(host, h, strlen(h) + 1);
    return 0;
}

static unsigned port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
        return 0;
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
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
    int flags = KN_LISTEN_NONBLOCK | KN_LISTEN_BACKLOG | (n > 1 ? KN_LISTEN_REUSEPORT : 0);
    for (unsigned i = 0; i < n; i++) {
        const char *why;
        int resolving;
        fds[i] = kn_tcp_listen_flags(host, port, flags, &why, &resolving);
        if (fds[i] < 0) {
            if (resolving)
                snprintf(err, errlen, "%s: %s", spec, why);
            else
                snprintf(err, errlen, "cannot listen on %s: %s", spec, why);
            while (i-- > 0)
                close(fds[i]);
            return -1;
        }
        if (i == 0 && port == 0) /* the others join the port the first one got */
            port = port_of(fds[0]);
    }
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
