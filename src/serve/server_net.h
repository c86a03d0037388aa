/*
 * server_net.h — listening sockets and the TLS context of `kiln serve`
 * (server_net.c).
 */
#ifndef KN_SERVE_SERVER_NET_H
#define KN_SERVE_SERVER_NET_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <stddef.h>

/* Splits "HOST:PORT" / "[V6]:PORT".  0, or -1 when malformed. */
int kn_net_parse(const char *spec, char *host, size_t hostlen, unsigned *port);
/* N non-blocking listening sockets on SPEC (SO_REUSEPORT when N > 1) into
 * FDS and the port they share into *PORT.  0, or -1 with a message. */
int kn_net_listen(const char *spec, unsigned n, int *fds, unsigned *port, char *err,
                  size_t errlen);
/* A server TLS context from PEM files, with ALPN h2 and http/1.1. */
SSL_CTX *kn_net_tls(const char *cert, const char *key, char *err, size_t errlen);

#endif
