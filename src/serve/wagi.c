/*
 * wagi.c — builds a WAGI request's environment and argv (wagi.h).
 *
 * Everything goes into one growing buffer as NUL-terminated strings, and
 * only offsets are kept while it grows; the pointer arrays are made once at
 * the end, so a realloc never leaves a dangling pointer and the result is
 * freed with two calls.  An allocation failure is remembered and reported
 * once at the end instead of being checked after every append.
 */
#include "wagi.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct builder {
    char *buf;
    size_t len, cap;
    size_t *vars; /* name, value offset pairs */
    size_t nvars, vcap;
    size_t *args;
    size_t nargs, acap;
    int oom;
} builder;

static int reserve(builder *b, size_t more)
{
    if (b->oom)
        return -1;
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more)
        cap *= 2;
    char *grown = realloc(b->buf, cap);
    if (!grown) {
        b->oom = 1;
        return -1;
    }
    b->buf = grown;
    b->cap = cap;
    return 0;
}

/* Appends bytes without a terminator; the caller ends the string. */
static void add(builder *b, const char *s, size_t n)
{
    if (n && !reserve(b, n)) {
        memcpy(b->buf + b->len, s, n);
        b->len += n;
    }
}

static void add_str(builder *b, const char *s)
{
    add(b, s, strlen(s));
}

static void end_string(builder *b)
{
    if (!reserve(b, 1))
        b->buf[b->len++] = 0;
}

static int push_offset(builder *b, size_t **arr, size_t *n, size_t *cap, size_t off)
{
    if (b->oom)
        return -1;
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        size_t *grown = realloc(*arr, c * sizeof *grown);
        if (!grown) {
            b->oom = 1;
            return -1;
        }
        *arr = grown;
        *cap = c;
    }
    (*arr)[(*n)++] = off;
    return 0;
}

/* Starts a variable: NAME= is written, the value follows with add(). */
static void var_begin(builder *b, const char *name)
{
    size_t start = b->len;
    add_str(b, name);
    end_string(b);
    push_offset(b, &b->vars, &b->nvars, &b->vcap, start);
    push_offset(b, &b->vars, &b->nvars, &b->vcap, b->len);
}

static void var(builder *b, const char *name, const char *value, size_t len)
{
    var_begin(b, name);
    add(b, value, len);
    end_string(b);
}

static void var_str(builder *b, const char *name, const char *value)
{
    var(b, name, value ? value : "", value ? strlen(value) : 0);
}

/* Decimal digits, without snprintf: several go into every request. */
static void add_uint(builder *b, unsigned long long v)
{
    char num[24];
    size_t i = sizeof num;
    do
        num[--i] = (char)('0' + v % 10);
    while (v /= 10);
    add(b, num + i, sizeof num - i);
}

static void var_uint(builder *b, const char *name, unsigned long long v)
{
    var_begin(b, name);
    add_uint(b, v);
    end_string(b);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The length of the valid UTF-8 sequence at S (N bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
                 : s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
        return 0; /* overlong, surrogate, above U+10FFFF */
    return len;
}

/* Percent-decodes S into the buffer as UTF-8, invalid sequences replaced by
 * U+FFFD as Spin's decode_utf8_lossy does; "%00" stays as written, since an
 * environment value cannot hold a NUL. */
static void add_decoded(builder *b, const char *s, size_t n)
{
    unsigned char *tmp = malloc(n + 1);
    size_t k = 0;
    if (!tmp) {
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = i + 2 < n && s[i] == '%' ? hexval(s[i + 1]) : -1;
        int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
        if (lo >= 0 && (hi | lo)) {
            tmp[k++] = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else {
            tmp[k++] = (unsigned char)s[i];
        }
    }
    for (size_t i = 0; i < k;) {
        size_t l = utf8_len(tmp + i, k - i);
        add(b, l ? (const char *)tmp + i : "\xef\xbf\xbd", l ? l : 3);
        i += l ? l : 1;
    }
    free(tmp);
}

static int same_name(const kn_wagi_header *h, const char *name)
{
    return h->name_len == strlen(name) && !strncasecmp(h->name, name, h->name_len);
}

static int same_names(const kn_wagi_header *a, const kn_wagi_header *b)
{
    return a->name_len == b->name_len && !strncasecmp(a->name, b->name, a->name_len);
}

/* HTTP_<NAME> for each header name once, repeated fields joined. */
static void header_vars(builder *b, const kn_wagi_request *req)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        const kn_wagi_header *h = &req->headers[i];
        if (same_name(h, "authorization") || same_name(h, "connection"))
            continue;
        size_t j = 0;
        while (j < i && !same_names(&req->headers[j], h))
            j++;
        if (j < i)
            continue; /* already joined into the first one */
        size_t start = b->len;
        add_str(b, "HTTP_");
        for (size_t k = 0; k < h->name_len; k++) {
            char c = h->name[k];
            c = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
            add(b, &c, 1);
        }
        end_string(b);
        push_offset(b, &b->vars, &b->nvars, &b->vcap, start);
        push_offset(b, &b->vars, &b->nvars, &b->vcap, b->len);
        add(b, h->value, h->value_len);
        const char *sep = same_name(h, "cookie") ? "; " : ", ";
        for (size_t k = i + 1; k < req->nheaders; k++)
            if (same_names(&req->headers[k], h)) {
                add_str(b, sep);
                add(b, req->headers[k].value, req->headers[k].value_len);
            }
        end_string(b);
    }
}

static const kn_wagi_header *find_header(const kn_wagi_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (same_name(&req->headers[i], name))
            return &req->headers[i];
    return NULL;
}

/* SERVER_NAME and SERVER_PORT from Host ("h", "h:p", "[v6]:p"), each part
 * falling back to the listener's. */
static void server_vars(builder *b, const kn_wagi_request *req)
{
    const kn_wagi_header *host = find_header(req, "host");
    const char *h = host ? host->value : "", *port = NULL;
    size_t hl = host ? host->value_len : 0, pl = 0;
    const char *colon = NULL;
    if (hl && h[0] == '[') {
        const char *close = memchr(h, ']', hl);
        if (close && (size_t)(close - h) + 1 < hl && close[1] == ':')
            colon = close + 1;
    } else if (hl) {
        colon = memchr(h, ':', hl);
    }
    if (colon) {
        port = colon + 1;
        pl = hl - (size_t)(port - h);
        hl = (size_t)(colon - h);
    }
    if (hl)
        var(b, "SERVER_NAME", h, hl);
    else
        var_str(b, "SERVER_NAME", req->listen_host);
    if (pl)
        var(b, "SERVER_PORT", port, pl);
    else
        var_uint(b, "SERVER_PORT", req->listen_port);
}

static void url_vars(builder *b, const kn_wagi_request *req)
{
    const kn_wagi_header *host = find_header(req, "host");
    var_begin(b, "X_FULL_URL");
    add_str(b, req->tls ? "https://" : "http://");
    if (host) {
        add(b, host->value, host->value_len);
    } else {
        add_str(b, req->listen_host ? req->listen_host : "localhost");
        add(b, ":", 1);
        add_uint(b, req->listen_port);
    }
    add(b, req->path, req->path_len);
    if (req->query_len) {
        add(b, "?", 1);
        add(b, req->query, req->query_len);
    }
    end_string(b);
}

/* The path below SCRIPT_NAME as the request wrote it. */
static void path_vars(builder *b, const kn_wagi_request *req, const kn_route_match *m)
{
    size_t pl = strlen(m->prefix);
    const char *raw = m->path_info;
    size_t rl = strlen(raw);
    if (m->ncaptures == 0 && req->path_len >= pl && !memcmp(req->path, m->prefix, pl)) {
        raw = req->path + pl;
        rl = req->path_len - pl;
    }
    var_str(b, "SCRIPT_NAME", m->prefix);
    var_str(b, "PATH_INFO", m->path_info);
    var(b, "X_RAW_PATH_INFO", raw, rl);
    var_begin(b, "PATH_TRANSLATED");
    add_decoded(b, raw, rl);
    end_string(b);
}

static void route_vars(builder *b, const kn_wagi_request *req, const kn_route_match *m)
{
    var_str(b, "X_MATCHED_ROUTE", m->based);
    var_str(b, "X_BASE_PATH", "/");
    var_str(b, "X_RAW_COMPONENT_ROUTE", m->route);
    size_t rl = strlen(m->route);
    if (rl >= 4 && !strcmp(m->route + rl - 4, "/..."))
        rl -= 4;
    var(b, "X_COMPONENT_ROUTE", m->route, rl);
    var_begin(b, "X_CLIENT_ADDR");
    int v6 = req->client_ip && strchr(req->client_ip, ':');
    add_str(b, v6 ? "[" : "");
    add_str(b, req->client_ip ? req->client_ip : "");
    add_str(b, v6 ? "]:" : ":");
    add_uint(b, req->client_port);
    end_string(b);
    for (size_t i = 0; i < m->ncaptures; i++) {
        size_t start = b->len;
        add_str(b, "X_PATH_MATCH_");
        for (const char *c = m->captures[i].name; *c; c++) {
            char u = (*c >= 'a' && *c <= 'z') ? (char)(*c - 32) : *c;
            add(b, &u, 1);
        }
        end_string(b);
        push_offset(b, &b->vars, &b->nvars, &b->vcap, start);
        push_offset(b, &b->vars, &b->nvars, &b->vcap, b->len);
        add(b, m->captures[i].value, m->captures[i].value_len);
        end_string(b);
    }
}

/* Spin's argv: the template with both placeholders replaced, split at
 * every space. */
static void argv_build(builder *b, const kn_wagi_request *req, const char *tmpl)
{
    static const char script[] = "${SCRIPT_NAME}", args[] = "${ARGS}";
    push_offset(b, &b->args, &b->nargs, &b->acap, b->len);
    for (const char *t = tmpl; *t;) {
        const char *piece = t;
        size_t n = 1;
        int is_query = 0;
        if (!strncmp(t, script, sizeof script - 1)) {
            piece = req->path, n = req->path_len;
            t += sizeof script - 1;
        } else if (!strncmp(t, args, sizeof args - 1)) {
            piece = req->query ? req->query : "", n = req->query_len, is_query = 1;
            t += sizeof args - 1;
        } else {
            t++;
        }
        for (size_t i = 0; i < n; i++) {
            char c = is_query && piece[i] == '&' ? ' ' : piece[i];
            if (c == ' ') {
                end_string(b);
                push_offset(b, &b->args, &b->nargs, &b->acap, b->len);
            } else {
                add(b, &c, 1);
            }
        }
    }
    end_string(b);
}

static int finish(builder *b, kn_wagi_env *out)
{
    size_t nv = b->nvars / 2;
    const char **ptrs = b->oom ? NULL : malloc((2 * nv + b->nargs + 1) * sizeof *ptrs);
    if (!ptrs) {
        free(b->buf);
        free(b->vars);
        free(b->args);
        return -1;
    }
    for (size_t i = 0; i < nv; i++) {
        ptrs[i] = b->buf + b->vars[2 * i];
        ptrs[nv + i] = b->buf + b->vars[2 * i + 1];
    }
    for (size_t i = 0; i < b->nargs; i++)
        ptrs[2 * nv + i] = b->buf + b->args[i];
    ptrs[2 * nv + b->nargs] = NULL;
    *out = (kn_wagi_env){.nvars = nv, .nargs = b->nargs, .names = ptrs, .values = ptrs + nv,
                         .argv = ptrs + 2 * nv, .arena = b->buf};
    free(b->vars);
    free(b->args);
    return 0;
}

int kn_wagi_env_build(const kn_wagi_request *req, const kn_route_match *m,
                      const char *argv_template, kn_wagi_env *out)
{
    builder b = {0};
    const kn_wagi_header *ctype = find_header(req, "content-type");
    var_str(&b, "AUTH_TYPE", "");
    var_uint(&b, "CONTENT_LENGTH", req->content_length);
    var(&b, "CONTENT_TYPE", ctype ? ctype->value : "", ctype ? ctype->value_len : 0);
    var_str(&b, "GATEWAY_INTERFACE", "CGI/1.1");
    var(&b, "QUERY_STRING", req->query ? req->query : "", req->query_len);
    var_str(&b, "REMOTE_ADDR", req->client_ip);
    var_str(&b, "REMOTE_HOST", req->client_ip);
    var_str(&b, "REMOTE_USER", "");
    var(&b, "REQUEST_METHOD", req->method, req->method_len);
    server_vars(&b, req);
    var_str(&b, "SERVER_PROTOCOL", req->protocol ? req->protocol : "HTTP/1.1");
    var_str(&b, "SERVER_SOFTWARE", "WAGI/1");
    path_vars(&b, req, m);
    url_vars(&b, req);
    route_vars(&b, req, m);
    header_vars(&b, req);
    argv_build(&b, req, argv_template ? argv_template : KN_WAGI_DEFAULT_ARGV);
    return finish(&b, out);
}

void kn_wagi_env_free(kn_wagi_env *env)
{
    if (!env)
        return;
    free(env->names); /* the one block of pointers */
    free(env->arena);
    memset(env, 0, sizeof *env);
}

const char *kn_wagi_env_get(const kn_wagi_env *env, const char *name)
{
    for (size_t i = 0; i < env->nvars; i++)
        if (!strcmp(env->names[i], name))
            return env->values[i];
    return NULL;
}
