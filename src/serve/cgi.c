/*
 * cgi.c — the CGI response parser of cgi.h.  One pass finds the empty line
 * that ends the headers, a second walks the header lines; nothing is
 * copied, so a response costs one array of header slices.
 *
 * Invariant: a response this file builds either has status 500/502 and a
 * problem, or carries only headers that are safe to hand to h2o as they
 * are (token names, values of visible ASCII, space and tab).
 */
#include "cgi.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_value_byte(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t';
}

static int name_is(const kn_cgi_header *h, const char *name)
{
    return h->name_len == strlen(name) && !strncasecmp(h->name, name, h->name_len);
}

/* Headers the server computes or that describe one hop: a handler's copy
 * would contradict the framing h2o chooses (HTTP/2 forbids them outright). */
static int is_server_header(const kn_cgi_header *h)
{
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
                                        "transfer-encoding", "upgrade", "te", "trailer",
                                        "content-length"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (name_is(h, names[i]))
            return 1;
    return 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        ++*s, --*len;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        --*len;
}

/* The offset of the empty line's last '\n', CRs ignored; -1 if none. */
static long header_end(const uint8_t *out, size_t len)
{
    int last = 0;
    for (size_t i = 0; i < len; i++) {
        if (out[i] == '\r')
            continue;
        if (out[i] == '\n' && last == '\n')
            return (long)i;
        last = out[i];
    }
    return -1;
}

static int bad(kn_cgi_response *r, int status, const char *problem)
{
    free(r->headers);
    r->headers = NULL;
    r->nheaders = 0;
    r->status = status;
    r->problem = problem;
    r->body = NULL;
    r->body_len = 0;
    return 0;
}

/* "CODE [REASON]" with CODE in 100..999, as hyper's StatusCode takes it. */
static int parse_status(const char *v, size_t len)
{
    if (len < 3 || (len > 3 && v[3] != ' '))
        return -1;
    int code = 0;
    for (int i = 0; i < 3; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        code = code * 10 + (v[i] - '0');
    }
    return code >= 100 ? code : -1;
}

/* Splits one header line (its CR already gone) into H.  Returns 1 for a
 * header, 0 for a line to skip, -1 for bytes that are not a header. */
static int split_line(const char *s, size_t len, kn_cgi_header *h)
{
    for (size_t i = 0; i < len; i++)
        if (!is_value_byte((unsigned char)s[i]))
            return -1;
    const char *colon = memchr(s, ':', len);
    if (!colon)
        return 0;
    h->name = s;
    h->name_len = (size_t)(colon - s);
    h->value = colon + 1;
    h->value_len = len - h->name_len - 1;
    trim(&h->name, &h->name_len);
    trim(&h->value, &h->value_len);
    if (h->name_len == 0)
        return -1;
    for (size_t i = 0; i < h->name_len; i++)
        if (!is_tchar((unsigned char)h->name[i]))
            return -1;
    return 1;
}

/* Applies one header to R; returns 0, or -1 for a bad status line. */
static int take_header(kn_cgi_response *r, const kn_cgi_header *h, int *explicit_status,
                       int *sufficient)
{
    if (name_is(h, "status")) {
        int code = parse_status(h->value, h->value_len);
        if (code < 0)
            return -1;
        r->status = code;
        *explicit_status = *sufficient = 1;
        return 0;
    }
    if (name_is(h, "location")) {
        *sufficient = 1;
        if (!*explicit_status)
            r->status = 302;
    } else if (name_is(h, "content-type")) {
        *sufficient = 1;
    } else if (is_server_header(h)) {
        return 0;
    }
    r->headers[r->nheaders++] = *h;
    return 0;
}

int kn_cgi_parse(const uint8_t *out, size_t len, kn_cgi_response *r)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
    if (len == 0)
        return bad(r, 500, "the handler wrote nothing to stdout");
    long end = header_end(out, len);
    if (end < 0)
        return bad(r, 500, "the handler's output has no empty line after its headers");
    size_t lines = 1;
    for (long i = 0; i < end; i++)
        lines += out[i] == '\n';
    if (!(r->headers = calloc(lines, sizeof *r->headers)))
        return -1;
    int explicit_status = 0, sufficient = 0;
    const char *s = (const char *)out, *stop = s + end;
    while (s < stop) {
        const char *nl = memchr(s, '\n', (size_t)(stop - s));
        size_t n = (size_t)((nl ? nl : stop) - s);
        size_t keep = n;
        while (keep && s[keep - 1] == '\r')
            keep--;
        kn_cgi_header h;
        int kind = keep ? split_line(s, keep, &h) : 0;
        if (kind < 0 || (kind > 0 && take_header(r, &h, &explicit_status, &sufficient)))
            return bad(r, 502, "the handler's output has a malformed header");
        r->skipped += kind == 0 && keep > 0;
        s += n + 1;
    }
    if (!sufficient)
        return bad(r, 500, "the handler's output names none of content-type, location, status");
    r->body = out + end + 1;
    r->body_len = len - (size_t)end - 1;
    return 0;
}

void kn_cgi_response_free(kn_cgi_response *r)
{
    free(r->headers);
    r->headers = NULL;
    r->nheaders = 0;
}
