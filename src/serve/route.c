/*
 * route.c — Spin's routing rules (route.h) as a list of parsed routes and
 * one linear scan per request.  A manifest has a handful of routes, so a
 * scan that compares segments is cheaper than building a trie, and it
 * keeps the priority rule in one function (more_specific) instead of
 * spreading it over a tree's shape.
 *
 * Invariant: a route's segments are its prefix split at '/', without the
 * leading one; a request path is split the same way after one trailing
 * slash is dropped, so "/a/" and "/a" are the same path to every route.
 */
#include "route.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEG_END = -1, SEG_LIT = 0, SEG_PARAM = 1, SEG_WILD = 2 };

typedef struct seg {
    int kind;
    const char *text; /* into the route's prefix (after ':' for params) */
    size_t len;
} seg;

typedef struct route {
    int id, wildcard, replaced;
    char *raw, *based, *prefix, *names; /* names: the ':' names, NUL-separated */
    size_t nseg;
    seg *segs;
} route;

struct kn_router {
    char *base;
    route *routes;
    size_t n, cap;
};

/* One trailing slash is not significant (Spin's sanitize). */
static size_t strip_slash(const char *s, size_t len)
{
    return len > 0 && s[len - 1] == '/' ? len - 1 : len;
}

kn_router *kn_router_new(const char *base)
{
    kn_router *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    base = base ? base : "";
    size_t n = strip_slash(base, strlen(base));
    if (!(r->base = malloc(n + 2))) {
        free(r);
        return NULL;
    }
    size_t at = 0;
    if (n > 0 && base[0] != '/')
        r->base[at++] = '/';
    memcpy(r->base + at, base, n);
    r->base[at + n] = 0;
    return r;
}

static void route_free(route *rt)
{
    free(rt->raw);
    free(rt->based);
    free(rt->prefix);
    free(rt->names);
    free(rt->segs);
}

void kn_router_free(kn_router *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        route_free(&r->routes[i]);
    free(r->routes);
    free(r->base);
    free(r);
}

static int fail(char *err, size_t errlen, const char *fmt, const char *route)
{
    if (errlen)
        snprintf(err, errlen, fmt, route);
    return -1;
}

/* The base joined with the route made absolute, its trailing slash dropped. */
static char *join(const char *base, const char *route)
{
    size_t bl = strlen(base), rl = strip_slash(route, strlen(route));
    int slash = route[0] != '/';
    char *s = malloc(bl + rl + 2);
    if (!s)
        return NULL;
    memcpy(s, base, bl);
    if (slash)
        s[bl] = '/';
    memcpy(s + bl + slash, route, rl);
    s[bl + slash + rl] = 0;
    return s;
}

/* Splits rt->prefix into segments; names of ':' segments are copied to
 * rt->names so that a capture can hand out a NUL-terminated name. */
static int split(route *rt, char *err, size_t errlen)
{
    const char *p = rt->prefix;
    size_t n = 0, len = strlen(p);
    for (size_t i = 0; i < len; i++)
        n += p[i] == '/';
    if (!(rt->segs = calloc(n + 1, sizeof *rt->segs)) || !(rt->names = malloc(len + 1)))
        return fail(err, errlen, "out of memory adding route %s", rt->raw);
    size_t nparams = 0, at = 0;
    const char *s = p + (len > 0 && p[0] == '/');
    for (size_t k = 0; k < n; k++) {
        const char *e = strchr(s, '/');
        size_t sl = e ? (size_t)(e - s) : strlen(s);
        seg *g = &rt->segs[k];
        if ((sl == 3 && !memcmp(s, "...", 3)) || (sl == 1 && s[0] == '*'))
            return fail(err, errlen, "route %s: a wildcard may only end a route", rt->raw);
        if (sl > 0 && s[0] == ':') {
            if (sl == 1)
                return fail(err, errlen, "route %s: a ':' segment needs a name", rt->raw);
            if (++nparams > KN_ROUTE_MAX_CAPTURES)
                return fail(err, errlen, "route %s: too many ':' segments", rt->raw);
            memcpy(rt->names + at, s + 1, sl - 1);
            rt->names[at + sl - 1] = 0;
            *g = (seg){SEG_PARAM, rt->names + at, sl - 1};
            at += sl;
        } else {
            *g = (seg){SEG_LIT, s, sl};
        }
        s += sl + 1;
    }
    rt->nseg = n;
    return 0;
}

static int parse_route(const kn_router *r, const char *text, route *rt, char *err,
                       size_t errlen)
{
    if (!(rt->raw = strdup(text)) || !(rt->based = join(r->base, text)) ||
        !(rt->prefix = strdup(rt->based)))
        return fail(err, errlen, "out of memory adding route %s", text);
    size_t bl = strlen(rt->based);
    if (bl >= 4 && !strcmp(rt->based + bl - 4, "/...")) {
        rt->wildcard = 1;
        rt->prefix[bl - 4] = 0;
    } else if (bl >= 2 && !strcmp(rt->based + bl - 2, "/*")) {
        rt->wildcard = 1;
        rt->prefix[bl - 2] = 0;
    }
    return split(rt, err, errlen);
}

int kn_router_add(kn_router *r, const char *text, int id, int *replaced, char *err,
                  size_t errlen)
{
    if (replaced)
        *replaced = -1;
    route rt = {.id = id};
    if (parse_route(r, text, &rt, err, errlen)) {
        route_free(&rt);
        return -1;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 8;
        route *grown = realloc(r->routes, cap * sizeof *grown);
        if (!grown) {
            route_free(&rt);
            return fail(err, errlen, "out of memory adding route %s", text);
        }
        r->routes = grown;
        r->cap = cap;
    }
    for (size_t i = 0; i < r->n; i++) {
        route *old = &r->routes[i];
        if (!old->replaced && !strcmp(old->raw, text)) {
            old->replaced = 1;
            if (replaced)
                *replaced = old->id;
        }
    }
    r->routes[r->n++] = rt;
    return 0;
}

static int kind_at(const route *rt, size_t i)
{
    if (i < rt->nseg)
        return rt->segs[i].kind;
    return rt->wildcard ? SEG_WILD : SEG_END;
}

/* Whether A, which matched the same path as B, is the more specific:
 * at the first segment where they differ in kind, the lower kind wins.
 * Equal shapes go to the later route (B is always the earlier). */
static int more_specific(const route *a, const route *b)
{
    size_t n = a->nseg > b->nseg ? a->nseg : b->nseg;
    for (size_t i = 0; i <= n; i++) {
        int ka = kind_at(a, i), kb = kind_at(b, i);
        if (ka != kb)
            return ka < kb;
        if (ka == SEG_END || ka == SEG_WILD)
            break;
    }
    return 1;
}

typedef struct pathsegs {
    const char *path;
    size_t len;     /* without the one trailing slash */
    int trailing;   /* the request had that slash */
} pathsegs;

/* Matches RT's segments against the path; returns the offset just past the
 * last segment matched, or -1. */
static long match_segments(const route *rt, const pathsegs *ps)
{
    size_t at = 0;
    for (size_t i = 0; i < rt->nseg; i++) {
        if (at >= ps->len || ps->path[at] != '/')
            return -1;
        const char *s = ps->path + at + 1;
        const char *e = memchr(s, '/', ps->len - at - 1);
        size_t sl = e ? (size_t)(e - s) : ps->len - at - 1;
        const seg *g = &rt->segs[i];
        if (g->kind == SEG_LIT ? sl != g->len || memcmp(s, g->text, sl) : sl == 0)
            return -1;
        at += 1 + sl;
    }
    if (!rt->wildcard && at != ps->len)
        return -1;
    return (long)at;
}

static void fill(const route *rt, const pathsegs *ps, size_t end, char *scratch,
                 kn_route_match *m)
{
    m->id = rt->id;
    m->route = rt->raw;
    m->based = rt->based;
    m->prefix = rt->prefix;
    m->ncaptures = 0;
    size_t at = 0;
    for (size_t i = 0; i < rt->nseg; i++) {
        const char *s = ps->path + at + 1;
        const char *e = memchr(s, '/', ps->len - at - 1);
        size_t sl = e ? (size_t)(e - s) : ps->len - at - 1;
        if (rt->segs[i].kind == SEG_PARAM)
            m->captures[m->ncaptures++] = (kn_route_capture){rt->segs[i].text, s, sl};
        at += 1 + sl;
    }
    /* Spin's path info keeps the request's trailing slash: "/foo/..."
     * gives "" for /foo, "/" for /foo/, "/bar/" for /foo/bar/. */
    size_t n = 0;
    if (rt->wildcard) {
        memcpy(scratch, ps->path + end, ps->len - end);
        n = ps->len - end;
        if (ps->trailing)
            scratch[n++] = '/';
    }
    scratch[n] = 0;
    m->path_info = scratch;
}

int kn_router_match(const kn_router *r, const char *path, size_t len, char *scratch,
                    kn_route_match *m)
{
    pathsegs ps = {path, strip_slash(path, len), len > 0 && path[len - 1] == '/'};
    const route *best = NULL;
    size_t best_end = 0;
    for (size_t i = 0; i < r->n; i++) {
        const route *rt = &r->routes[i];
        long end;
        if (rt->replaced || (end = match_segments(rt, &ps)) < 0)
            continue;
        if (!best || more_specific(rt, best)) {
            best = rt;
            best_end = (size_t)end;
        }
    }
    if (!best)
        return 0;
    fill(best, &ps, best_end, scratch, m);
    return 1;
}
