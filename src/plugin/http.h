/*
 * http.h — the kernel's http_request, through libcurl: Extism's request
 * JSON ({"url", "method", "headers"}) plus a body in, status, headers and
 * a capped body out.  The URL's host must match one of the allowed host
 * patterns (exact, "*.suffix", or "*"), and only http and https are
 * fetched; anything else is refused before a connection is made.
 * Thread-safe: each call uses its own curl handle.
 */
#ifndef KN_PLUGIN_HTTP_H
#define KN_PLUGIN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

typedef struct kn_http_response {
    int status;              /* HTTP status; 0 when no response */
    uint8_t *body;           /* malloc'd, may be NULL when empty */
    size_t body_len;
    char *headers_json;      /* malloc'd {"name": "value", ...}, lower-case names */
} kn_http_response;

/* Does host match one of the patterns? */
bool kn_http_host_allowed(const char *host, char *const *patterns, size_t npatterns);

/* Perform the request.  max_body caps the response body (more is an
 * error, as Extism's max_http_response_bytes); timeout_ns bounds the
 * whole transfer (0: none).  Errors (denied host, bad JSON, transport
 * failure, body too large) are KILN_ERR_HOST with a message for the
 * plugin; *out is filled only on success. */
kiln_error *kn_http_request(const char *req_json, size_t req_len, const uint8_t *body,
                            size_t body_len, char *const *allowed, size_t nallowed,
                            uint64_t max_body, uint64_t timeout_ns, kn_http_response *out);
void kn_http_response_free(kn_http_response *r);

#endif
