/*
 * http.c — the kernel's http_request through libcurl, with the semantics
 * of Extism's runtime (runtime/src/pdk.rs):
 *
 *   - the request is JSON {"url": S, "method": S|null, "headers": {S: S}}
 *     ("header" is accepted for "headers", as Extism's serde alias); any
 *     other field, a missing url, a non-string header value or trailing
 *     bytes are errors, as Extism's deny_unknown_fields makes them;
 *   - the method defaults to GET and is sent as given (not upper-cased);
 *     the body, when the plugin passes one, is sent whatever the method
 *     (except HEAD, which has no body to wait for);
 *   - the URL's host is matched against allowed_hosts as Extism does, with
 *     glob patterns (`*`, `?`, `[...]`, `[!...]`); a pattern that is not a
 *     valid glob is compared literally.  A denied host is the error
 *     "HTTP request to URL is not allowed", Extism's words;
 *   - 4xx and 5xx answers are responses, not errors: status and body go to
 *     the plugin;
 *   - a body longer than max_body is the error "HTTP response exceeds the
 *     configured maximum number of bytes: N", Extism's words; kiln aborts
 *     the transfer as soon as the cap is passed instead of reading on.
 *
 * Stricter than Extism, on purpose: only http and https (checked before any
 * connection, and CURLOPT_PROTOCOLS_STR as a second lock); redirects are
 * not followed (Extism's ureq follows them without checking the new host
 * against allowed_hosts): a 3xx is handed to the plugin like any response;
 * proxies from the environment are ignored (the host checked is the host
 * connected to); header names and values and the method must not carry
 * CR, LF or NUL.  The URL is parsed once, by curl's own parser, and that
 * parse is what curl connects with (CURLOPT_CURLU): the host checked
 * cannot differ from the host used.
 *
 * Response headers are collected into a JSON object with lower-cased names
 * (as ureq and fetch give them); a repeated header's values are joined
 * with ", " (RFC 9110 5.3); a value that is not UTF-8 is dropped, as ureq
 * drops it; only the final response's headers count (a 100 Continue's do
 * not).  Whether the plugin may see them is the caller's business.
 *
 * libcurl is loaded, and curl_global_init called, by the first request
 * (curl_dl.c): processes that never make one never map it.  Every call
 * below goes through that table, KN_CURL (valid once kn_http_request has
 * checked that the load succeeded).
 */
#include "http.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include "curl_dl.h"

/* Response headers past these totals are an error: they are not counted
 * in max_body, and a hostile server must not make us buffer without end
 * (nor search the JSON object for repeats, which is linear, too often). */
#define KN_HTTP_MAX_HEADER_BYTES (1u << 20)
#define KN_HTTP_MAX_HEADER_FIELDS 1000u

#define KN_CURL (kn_curl(NULL))

/* ---- Host patterns ------------------------------------------------------ */

/* Length of the [...] class at p (p[0] == '['), or 0 if it is not closed.
 * A ']' right after "[" or "[!" is a member, as in glob. */
static size_t class_len(const char *p)
{
    size_t i = 1;
    if (p[i] == '!')
        i++;
    if (p[i] == ']')
        i++;
    while (p[i] && p[i] != ']')
        i++;
    return p[i] == ']' ? i + 1 : 0;
}

/* Is the pattern a valid glob, as Rust's glob::Pattern::new decides for a
 * host (no '/' in it): every '[' closed, and "**" only as the whole
 * pattern (a "**" inside a component is an error there). */
static bool glob_valid(const char *p)
{
    for (size_t i = 0; p[i];) {
        if (p[i] == '[') {
            size_t n = class_len(p + i);
            if (!n)
                return false;
            i += n;
        } else if (p[i] == '*' && p[i + 1] == '*') {
            return strcmp(p, "**") == 0;
        } else {
            i++;
        }
    }
    return true;
}

/* Does c belong to the class at p (length n, brackets included)? */
static bool class_match(const char *p, size_t n, char c)
{
    size_t i = 1, end = n - 1;
    bool negate = p[i] == '!';
    bool in = false;
    if (negate)
        i++;
    while (i < end) {
        if (i + 2 < end && p[i + 1] == '-') {
            if ((unsigned char)c >= (unsigned char)p[i] && (unsigned char)c <= (unsigned char)p[i + 2])
                in = true;
            i += 3;
        } else {
            if (c == p[i])
                in = true;
            i++;
        }
    }
    return in != negate;
}

/* Glob match of the whole of s, case-sensitive like glob::Pattern::matches
 * (the host is lower-cased before).  '*' backtracks to its last position
 * only: enough for one-star-at-a-time globbing, linear in practice. */
static bool glob_match(const char *p, const char *s)
{
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == '*') {
            while (*p == '*')
                p++;
            star_p = p;
            star_s = s;
            continue;
        }
        if (*p == '?') {
            p++, s++;
            continue;
        }
        if (*p == '[') {
            size_t n = class_len(p);
            if (class_match(p, n, *s)) {
                p += n, s++;
                continue;
            }
        } else if (*p && *p == *s) {
            p++, s++;
            continue;
        }
        if (!star_p)
            return false;
        p = star_p;
        s = ++star_s;
    }
    while (*p == '*')
        p++;
    return *p == 0;
}

bool kn_http_host_allowed(const char *host, char *const *patterns, size_t npatterns)
{
    for (size_t i = 0; i < npatterns; i++) {
        const char *pat = patterns[i];
        if (!pat)
            continue;
        if (glob_valid(pat) ? glob_match(pat, host) : strcmp(pat, host) == 0)
            return true;
    }
    return false;
}

/* ---- The request JSON --------------------------------------------------- */

typedef struct kn_http_req {
    cJSON *root;
    const char *url;
    const char *method;
    const cJSON *headers;    /* object, or NULL */
} kn_http_req;

static kiln_error *req_error(const char *what, const char *name)
{
    return kiln_error_new(KILN_ERR_HOST, "http_request: invalid request JSON: %s%s%s%s", what,
                          name ? " `" : "", name ? name : "", name ? "`" : "");
}

/* One member of the request object into r; a second sighting of a field
 * (or of headers under both its names) is an error, as in serde. */
static kiln_error *req_field(kn_http_req *r, const cJSON *it, bool *seen_headers)
{
    const char *k = it->string;
    if (strcmp(k, "url") == 0) {
        if (r->url)
            return req_error("duplicate field", k);
        if (!cJSON_IsString(it))
            return req_error("expected a string for", k);
        r->url = it->valuestring;
    } else if (strcmp(k, "method") == 0) {
        if (r->method)
            return req_error("duplicate field", k);
        if (!cJSON_IsString(it) && !cJSON_IsNull(it))
            return req_error("expected a string for", k);
        r->method = cJSON_IsString(it) ? it->valuestring : "";
    } else if (strcmp(k, "headers") == 0 || strcmp(k, "header") == 0) {
        if (*seen_headers)
            return req_error("duplicate field", "headers");
        *seen_headers = true;
        if (!cJSON_IsObject(it))
            return req_error("expected an object for", k);
        for (const cJSON *h = it->child; h; h = h->next)
            if (!cJSON_IsString(h))
                return req_error("expected a string value for header", h->string);
        r->headers = it;
    } else {
        return req_error("unknown field", k);
    }
    return NULL;
}

static kiln_error *req_parse(const char *json, size_t len, kn_http_req *r)
{
    memset(r, 0, sizeof *r);
    const char *end = NULL;
    r->root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!r->root)
        return req_error("not JSON", NULL);
    for (; end && end < json + len; end++)
        if (!strchr(" \t\r\n", *end) || !*end)
            return req_error("trailing characters", NULL);
    if (!cJSON_IsObject(r->root))
        return req_error("not an object", NULL);
    bool seen_headers = false;
    for (const cJSON *it = r->root->child; it; it = it->next) {
        kiln_error *e = req_field(r, it, &seen_headers);
        if (e)
            return e;
    }
    if (!r->url)
        return req_error("missing field", "url");
    if (!r->method || !*r->method)
        r->method = "GET";
    return NULL;
}

/* ---- Checks before any connection --------------------------------------- */

/* Are the n bytes at s an RFC 9110 token: a method or a header name? */
static bool is_token_n(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s[i] || (!isalnum((unsigned char)s[i]) && !strchr("!#$%&'*+-.^_`|~", s[i])))
            return false;
    return true;
}

static bool is_token(const char *s) { return is_token_n(s, strlen(s)); }

static bool is_field_value(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n')
            return false;
    return true;
}

/* A host as curl's parser leaves it (percent-escapes decoded, IPv4 in any
 * spelling normalised, as the WHATWG parser Extism uses does) must be a
 * plain DNS name (ASCII: punycode where libcurl can make it) or an IP
 * literal; anything else is refused rather than matched and guessed at. */
static bool host_plain(const char *h)
{
    if (h[0] == '[')
        return h[strspn(h, "[]0123456789abcdefABCDEF:.%")] == 0;
    return *h && h[strspn(h, "abcdefghijklmnopqrstuvwxyz0123456789-._")] == 0;
}

/* Parse the URL into a CURLU, check its scheme and host.  On success *out
 * owns the parse curl will use. */
static kiln_error *url_check(const char *url, char *const *allowed, size_t nallowed, CURLU **out)
{
    CURLU *u = KN_CURL->url();
    if (!u)
        return kiln_error_new(KILN_ERR_NOMEM, "http_request: out of memory");
    char *scheme = NULL, *host = NULL;
    kiln_error *e = NULL;
    CURLUcode rc = KN_CURL->url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (rc != CURLUE_OK) {
        e = kiln_error_new(KILN_ERR_HOST, "http_request: invalid URL: %s", KN_CURL->url_strerror(rc));
        goto done;
    }
    if (KN_CURL->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        e = kiln_error_new(KILN_ERR_HOST, "http_request: unsupported URL scheme \"%s\" (http and https only)",
                           scheme ? scheme : "");
        goto done;
    }
    unsigned flags = 0;
#ifdef CURLU_PUNYCODE
    flags |= CURLU_PUNYCODE;
#endif
    if (KN_CURL->url_get(u, CURLUPART_HOST, &host, flags) != CURLUE_OK) {
        e = kiln_error_new(KILN_ERR_HOST, "http_request: invalid URL: no usable host");
        goto done;
    }
    for (char *c = host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!host_plain(host) || !kn_http_host_allowed(host, allowed, nallowed))
        e = kiln_error_new(KILN_ERR_HOST, "HTTP request to %s is not allowed", url);
done:
    KN_CURL->free(scheme);
    KN_CURL->free(host);
    if (e)
        KN_CURL->url_cleanup(u);
    else
        *out = u;
    return e;
}

/* The request headers as curl wants them.  Content-Type and Expect are
 * blanked unless the plugin sets them: curl would add a form content type
 * to a body and an "Expect: 100-continue" wait, and Extism sends neither. */
static kiln_error *req_headers(const cJSON *headers, struct curl_slist **out)
{
    struct curl_slist *list = NULL, *next;
    bool has_ctype = false, has_expect = false;
    for (const cJSON *h = headers ? headers->child : NULL; h; h = h->next) {
        if (!is_token(h->string) || !is_field_value(h->valuestring)) {
            KN_CURL->slist_free_all(list);
            return kiln_error_new(KILN_ERR_HOST, "http_request: invalid header `%s`", h->string);
        }
        has_ctype |= strcasecmp(h->string, "content-type") == 0;
        has_expect |= strcasecmp(h->string, "expect") == 0;
        size_t n = strlen(h->string) + strlen(h->valuestring) + 3;
        char *line = malloc(n);
        if (!line)
            goto nomem;
        /* "Name;" is curl's spelling of a header with an empty value. */
        if (*h->valuestring)
            snprintf(line, n, "%s: %s", h->string, h->valuestring);
        else
            snprintf(line, n, "%s;", h->string);
        next = KN_CURL->slist_append(list, line);
        free(line);
        if (!next)
            goto nomem;
        list = next;
    }
    if (!has_ctype && !(next = KN_CURL->slist_append(list, "Content-Type:")))
        goto nomem;
    list = has_ctype ? list : next;
    if (!has_expect && !(next = KN_CURL->slist_append(list, "Expect:")))
        goto nomem;
    list = has_expect ? list : next;
    *out = list;
    return NULL;
nomem:
    KN_CURL->slist_free_all(list);
    return kiln_error_new(KILN_ERR_NOMEM, "http_request: out of memory");
}

/* ---- The transfer ------------------------------------------------------- */

typedef struct kn_http_xfer {
    uint8_t *body;
    size_t len, cap;
    uint64_t max_body;
    bool too_big, headers_too_big, nomem;
    cJSON *headers;          /* of the latest response */
    size_t header_bytes, header_fields;
} kn_http_xfer;

/* The cap is enforced here, on the bytes as they arrive, rather than with
 * CURLOPT_MAXFILESIZE: that one judges by Content-Length, which a HEAD
 * answer carries without a body, and is off when the cap is 0. */
static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    kn_http_xfer *x = ud;
    size_t add = size * n;
    if (add > x->max_body - x->len) {
        x->too_big = true;
        return 0;
    }
    if (x->len + add > x->cap) {
        size_t cap = x->cap ? x->cap : 16384;
        while (cap < x->len + add)
            cap *= 2;
        uint8_t *b = realloc(x->body, cap);
        if (!b) {
            x->nomem = true;
            return 0;
        }
        x->body = b;
        x->cap = cap;
    }
    memcpy(x->body + x->len, data, add);
    x->len += add;
    return add;
}

/* Is s[0..n) well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF)? */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3
                 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
        if (!k || i + k > n)
            return false;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
        if ((c == 0xe0 && s[i + 1] < 0xa0) || (c == 0xed && s[i + 1] >= 0xa0) ||
            (c == 0xf0 && s[i + 1] < 0x90) || (c == 0xf4 && s[i + 1] >= 0x90))
            return false;
        i += k;
    }
    return true;
}

/* Add name: value to the headers object, joining a repeat with ", ". */
static bool header_put(cJSON *obj, const char *name, const char *value)
{
    cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!old)
        return cJSON_AddStringToObject(obj, name, value) != NULL;
    size_t n = strlen(old->valuestring) + strlen(value) + 3;
    char *joined = malloc(n);
    if (!joined)
        return false;
    snprintf(joined, n, "%s, %s", old->valuestring, value);
    cJSON *item = cJSON_CreateString(joined);
    free(joined);
    return item && cJSON_ReplaceItemInObjectCaseSensitive(obj, name, item);
}

/* One header line (no CRLF).  A status line starts a new response (after a
 * 1xx), so the object is started afresh. */
static bool header_line(kn_http_xfer *x, const char *line, size_t n)
{
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        cJSON_Delete(x->headers);
        x->headers = cJSON_CreateObject();
        return x->headers != NULL;
    }
    const char *colon = memchr(line, ':', n);
    /* Blank lines, obsolete line folding and malformed names: nothing the
     * plugin could rely on, so nothing kept. */
    if (!colon || !x->headers || !is_token_n(line, (size_t)(colon - line)))
        return true;
    size_t nl = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vl = (size_t)(end - v);
    if (memchr(v, 0, vl) || !utf8_valid((const unsigned char *)v, vl))
        return true;
    char *name = malloc(nl + 1), *value = malloc(vl + 1);
    bool ok = name && value;
    if (ok) {
        for (size_t i = 0; i < nl; i++)
            name[i] = (char)tolower((unsigned char)line[i]);
        name[nl] = 0;
        memcpy(value, v, vl);
        value[vl] = 0;
        ok = header_put(x->headers, name, value);
    }
    free(name);
    free(value);
    return ok;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    kn_http_xfer *x = ud;
    size_t len = size * n;
    x->header_bytes += len;
    x->header_fields++;
    if (x->header_bytes > KN_HTTP_MAX_HEADER_BYTES || x->header_fields > KN_HTTP_MAX_HEADER_FIELDS) {
        x->headers_too_big = true;
        return 0;
    }
    size_t l = len;
    while (l && (data[l - 1] == '\n' || data[l - 1] == '\r'))
        l--;
    if (!header_line(x, data, l)) {
        x->nomem = true;
        return 0;
    }
    return len;
}

/* The method and body options.  A body goes as POSTFIELDS (sized, so it
 * may hold NULs) under the plugin's method; HEAD is sent with NOBODY, since
 * curl would otherwise wait for a body that never comes. */
static CURLcode set_method(CURL *c, const char *method, const uint8_t *body, size_t body_len)
{
    CURLcode rc = CURLE_OK;
    if (strcmp(method, "HEAD") == 0)
        return KN_CURL->easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        rc = KN_CURL->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        if (!rc)
            rc = KN_CURL->easy_setopt(c, CURLOPT_POSTFIELDS, body_len ? (const char *)body : "");
    }
    if (!rc && strcmp(method, body ? "POST" : "GET") != 0)
        rc = KN_CURL->easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    return rc;
}

static CURLcode setup(CURL *c, CURLU *u, struct curl_slist *hdrs, kn_http_xfer *x,
                      uint64_t timeout_ns, char *errbuf)
{
    CURLcode rc = CURLE_OK;
#define KN_SET(opt, val) if (!rc) rc = KN_CURL->easy_setopt(c, opt, val)
    KN_SET(CURLOPT_CURLU, u);
    KN_SET(CURLOPT_PROTOCOLS_STR, "http,https");
    KN_SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    KN_SET(CURLOPT_FOLLOWLOCATION, 0L);
    KN_SET(CURLOPT_PROXY, "");
    KN_SET(CURLOPT_NOSIGNAL, 1L);
    KN_SET(CURLOPT_HTTPHEADER, hdrs);
    KN_SET(CURLOPT_USERAGENT, "kiln-plugin");
    KN_SET(CURLOPT_ERRORBUFFER, errbuf);
    KN_SET(CURLOPT_WRITEFUNCTION, on_body);
    KN_SET(CURLOPT_WRITEDATA, x);
    KN_SET(CURLOPT_HEADERFUNCTION, on_header);
    KN_SET(CURLOPT_HEADERDATA, x);
    if (timeout_ns) {
        uint64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0);
        KN_SET(CURLOPT_TIMEOUT_MS, ms > LONG_MAX ? LONG_MAX : (long)ms);
    }
#undef KN_SET
    return rc;
}

/* The error for a failed transfer, in Extism's words where it has some. */
static kiln_error *xfer_error(CURLcode rc, const kn_http_xfer *x, const char *errbuf)
{
    if (x->too_big)
        return kiln_error_new(KILN_ERR_HOST,
                              "HTTP response exceeds the configured maximum number of bytes: %llu",
                              (unsigned long long)x->max_body);
    if (x->nomem || rc == CURLE_OUT_OF_MEMORY)
        return kiln_error_new(KILN_ERR_NOMEM, "http_request: out of memory");
    if (x->headers_too_big)
        return kiln_error_new(KILN_ERR_HOST,
                              "http_request: response headers exceed %u bytes or %u lines",
                              KN_HTTP_MAX_HEADER_BYTES, KN_HTTP_MAX_HEADER_FIELDS);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return kiln_error_new(KILN_ERR_HOST, "timeout");
    return kiln_error_new(KILN_ERR_HOST, "http_request: %s", errbuf[0] ? errbuf : KN_CURL->easy_strerror(rc));
}

static kiln_error *perform(CURLU *u, struct curl_slist *hdrs, const char *method,
                           const uint8_t *body, size_t body_len, uint64_t max_body,
                           uint64_t timeout_ns, kn_http_response *out)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    kn_http_xfer x = {.max_body = max_body};
    CURL *c = KN_CURL->easy_init();
    if (!c)
        return kiln_error_new(KILN_ERR_NOMEM, "http_request: cannot make a curl handle");
    CURLcode rc = setup(c, u, hdrs, &x, timeout_ns, errbuf);
    if (!rc)
        rc = set_method(c, method, body, body_len);
    if (!rc)
        rc = KN_CURL->easy_perform(c);
    kiln_error *e = NULL;
    long status = 0;
    char *json = NULL;
    if (rc || x.too_big || x.nomem || x.headers_too_big)
        e = xfer_error(rc, &x, errbuf);
    else if (KN_CURL->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
             !(json = x.headers ? cJSON_PrintUnformatted(x.headers) : strdup("{}")))
        e = kiln_error_new(KILN_ERR_NOMEM, "http_request: out of memory");
    KN_CURL->easy_cleanup(c);
    cJSON_Delete(x.headers);
    if (e) {
        free(x.body);
        return e;
    }
    out->status = (int)status;
    out->body = x.len ? x.body : NULL;
    out->body_len = x.len;
    out->headers_json = json;
    if (!x.len)
        free(x.body);
    return NULL;
}

kiln_error *kn_http_request(const char *req_json, size_t req_len, const uint8_t *body,
                            size_t body_len, char *const *allowed, size_t nallowed,
                            uint64_t max_body, uint64_t timeout_ns, kn_http_response *out)
{
    if (!req_json || !out)
        return kiln_error_new(KILN_ERR_ARG, "http_request: no request or no response");
    const char *why = "";
    if (!kn_curl(&why))
        return kiln_error_new(KILN_ERR_HOST, "http_request: libcurl is not available: %s", why);
    kn_http_req r;
    CURLU *u = NULL;
    struct curl_slist *hdrs = NULL;
    kiln_error *e = req_parse(req_json, req_len, &r);
    if (!e)
        e = url_check(r.url, allowed, nallowed, &u);
    if (!e && !is_token(r.method))
        e = kiln_error_new(KILN_ERR_HOST, "http_request: invalid method \"%s\"", r.method);
    if (!e)
        e = req_headers(r.headers, &hdrs);
    if (!e)
        e = perform(u, hdrs, r.method, body, body_len, max_body, timeout_ns, out);
    KN_CURL->slist_free_all(hdrs);
    KN_CURL->url_cleanup(u);
    cJSON_Delete(r.root);
    return e;
}

void kn_http_response_free(kn_http_response *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->headers_json);   /* cJSON's default hooks: malloc, as http.h says */
    memset(r, 0, sizeof *r);
}
