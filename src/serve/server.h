/*
 * server.h — `kiln serve`: an HTTP server (h2o: HTTP/1.1, HTTP/2 over TLS
 * and cleartext) whose routes are answered by WAGI handlers, driven by a
 * Spin manifest or a bare module.  Not part of libkiln: it uses only the
 * public headers and the other files of src/serve/.
 */
#ifndef KN_SERVE_SERVER_H
#define KN_SERVE_SERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct kn_server_config {
    const char *target;            /* spin.toml, or a module (*.wasm) */
    const char *listen;            /* "ADDR:PORT"; default 127.0.0.1:3000 */
    const char *admin;             /* admin listener, or NULL for none */
    unsigned workers;              /* event loops; 0: one per core */
    int watch;                     /* reload when the manifest or a source changes */
    const char *tls_cert, *tls_key; /* both or neither */
    uint64_t grace_ms;             /* how long SIGTERM waits for requests */
    uint64_t idle_timeout_ms;      /* slow and idle clients (h2o's timeouts); 0: 10 s */
} kn_server_config;

/* Whether SPEC is "HOST:PORT" or "[V6]:PORT" (split into HOST and *PORT):
 * 0, or -1 when malformed. */
int kn_server_check_addr(const char *spec, char *host, size_t hostlen, unsigned *port);

/* Runs the server until SIGTERM or SIGINT.  Returns the process exit
 * status: 0 after a drain, 2 when the configuration or the app cannot be
 * loaded (the problem is printed), 1 when the server could not start. */
int kn_server_run(const kn_server_config *cfg);

#endif
