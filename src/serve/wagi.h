/*
 * wagi.h — what a WAGI handler is given for one request: its argv and its
 * CGI/1.1 environment, as Spin's WAGI executor builds them (deislabs/wagi's
 * conventions, RFC 3875 §4.1), so a handler written for Spin sees the same
 * variables under kiln.
 *
 * The environment holds REQUEST_METHOD, QUERY_STRING, SCRIPT_NAME (the
 * route's prefix), PATH_INFO (what the route's wildcard matched),
 * X_RAW_PATH_INFO and PATH_TRANSLATED (the path below SCRIPT_NAME, raw and
 * percent-decoded), CONTENT_LENGTH, CONTENT_TYPE, SERVER_NAME / SERVER_PORT
 * (from Host, else the listener), SERVER_PROTOCOL, SERVER_SOFTWARE,
 * GATEWAY_INTERFACE, REMOTE_ADDR / REMOTE_HOST, AUTH_TYPE and REMOTE_USER
 * (empty), Spin's X_FULL_URL, X_MATCHED_ROUTE, X_BASE_PATH,
 * X_COMPONENT_ROUTE, X_RAW_COMPONENT_ROUTE, X_CLIENT_ADDR and
 * X_PATH_MATCH_<NAME> for each ':name' segment, and HTTP_<NAME> for each
 * request header except Authorization and Connection (RFC 3875 §4.1.18).
 *
 * Where Spin departs from RFC 3875 by accident, kiln follows the RFC and
 * says so: CONTENT_TYPE is the request's Content-Type (Spin looks up a
 * header literally named "CONTENT_TYPE" and so always passes ""), and
 * repeated request headers are joined with ", " ("; " for Cookie) instead
 * of keeping only the last.
 *
 * argv is the component's template ("${SCRIPT_NAME} ${ARGS}" unless the
 * manifest says otherwise) with ${SCRIPT_NAME} replaced by the request path
 * and ${ARGS} by the query string with '&' turned into ' ', then split at
 * every space, empty pieces kept — exactly Spin's rule, so an empty query
 * gives a last argument "".
 */
#ifndef KN_SERVE_WAGI_H
#define KN_SERVE_WAGI_H

#include <stddef.h>

#include "route.h"

#define KN_WAGI_DEFAULT_ARGV "${SCRIPT_NAME} ${ARGS}"

typedef struct kn_wagi_header {
    const char *name, *value;
    size_t name_len, value_len;
} kn_wagi_header;

typedef struct kn_wagi_request {
    const char *method;
    size_t method_len;
    const char *path; /* raw, without the query */
    size_t path_len;
    const char *query; /* without '?'; NULL or "" for none */
    size_t query_len;
    const kn_wagi_header *headers;
    size_t nheaders;
    const char *protocol;    /* "HTTP/1.1", "HTTP/2.0" */
    int tls;                 /* the connection is TLS: X_FULL_URL says https */
    const char *client_ip;   /* "127.0.0.1", "::1" */
    unsigned client_port;
    const char *listen_host; /* SERVER_NAME when there is no Host header */
    unsigned listen_port;
    size_t content_length;
} kn_wagi_request;

/* The result: NAME=VALUE pairs and argv, all in one allocation. */
typedef struct kn_wagi_env {
    size_t nvars, nargs;
    const char **names, **values; /* nvars each */
    const char **argv;            /* nargs, then NULL */
    char *arena;
} kn_wagi_env;

/* Builds the environment and argv of REQ, matched by M, with ARGV_TEMPLATE
 * (NULL for the default).  Returns 0, or -1 when out of memory. */
int kn_wagi_env_build(const kn_wagi_request *req, const kn_route_match *m,
                      const char *argv_template, kn_wagi_env *out);
void kn_wagi_env_free(kn_wagi_env *env);

/* The value of variable NAME in ENV, or NULL. */
const char *kn_wagi_env_get(const kn_wagi_env *env, const char *name);

#endif
