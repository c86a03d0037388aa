/*
 * cgi.h — turning a WAGI handler's standard output into an HTTP response,
 * as CGI/1.1 (RFC 3875 §6) and Spin's WAGI executor define it.
 *
 * The output is header lines, an empty line, then the body.  In the header
 * part CR is ignored, so "\r\n" and "\n" both end lines.  A header line is
 * NAME ':' VALUE, both trimmed.  Three names are the server's:
 *   status:        "CODE [REASON]"; CODE 100..999 is the response status
 *   location:      a redirect; the status is 302 unless status: says otherwise
 *   content-type:  passed on
 * A response needs at least one of them (Spin accepts status: alone, as CGI
 * libraries in the wild send errors that way), otherwise it is a 500.
 * Output that cannot be trusted as a response — header bytes that are not
 * printable ASCII or tab, a name that is not an HTTP token, a bad status
 * code — is a 502 (bad gateway: the handler misbehaved).  Every other
 * header is passed on in order, repeated names included (Set-Cookie), except
 * the hop-by-hop and framing headers, which belong to the server.  Lines
 * without ':' are skipped, as Spin does.
 *
 * Nothing is copied: names, values and the body point into the output,
 * which must outlive the response.  Header names keep the handler's case.
 */
#ifndef KN_SERVE_CGI_H
#define KN_SERVE_CGI_H

#include <stddef.h>
#include <stdint.h>

typedef struct kn_cgi_header {
    const char *name, *value;
    size_t name_len, value_len;
} kn_cgi_header;

typedef struct kn_cgi_response {
    int status;
    /* Headers to send, content-type and location included; owned by the
     * response (kn_cgi_response_free). */
    kn_cgi_header *headers;
    size_t nheaders;
    const uint8_t *body;
    size_t body_len;
    /* Why status is 500 or 502 when the output was at fault (for the log,
     * never for the client), else NULL.  A static string. */
    const char *problem;
    size_t skipped; /* lines without ':' that were ignored */
} kn_cgi_response;

/* Parses OUT (LEN bytes) into R.  Returns 0, or -1 when out of memory (R is
 * then empty).  Bad output is not an error of this call: it gives a response
 * with status 500 or 502 and R->problem set. */
int kn_cgi_parse(const uint8_t *out, size_t len, kn_cgi_response *r);
void kn_cgi_response_free(kn_cgi_response *r);

#endif
