/*
 * route.h — the HTTP router of `kiln serve`: Spin's route syntax and
 * priority, so a Spin manifest's routes pick the same component under
 * kiln as under Spin.
 *
 * A route is written relative to the application's base path:
 *   "/hello"         exact: "/hello" and "/hello/" only
 *   "/users/:id"     a named segment: any one non-empty segment, captured
 *   "/static/..."    a trailing wildcard: "/static", "/static/" and
 *                    everything below (a last segment "*" is the same)
 * One trailing slash of the base, the route and the request path is not
 * significant.  When several routes match, the most specific wins,
 * segment by segment from the left: a literal segment beats a named one,
 * a named one beats the wildcard, and a route that ends beats one that
 * continues with a wildcard — so exact routes beat wildcards and the
 * longest wildcard prefix wins whatever the manifest's order.  Two routes
 * written identically are a duplicate: the later one wins and the router
 * reports the earlier, as Spin does.
 *
 * The router copies everything it is given; a match points into the
 * router (routes) and into a caller's buffer (captures and path info).
 */
#ifndef KN_SERVE_ROUTE_H
#define KN_SERVE_ROUTE_H

#include <stddef.h>

#define KN_ROUTE_MAX_CAPTURES 16

typedef struct kn_router kn_router;

typedef struct kn_route_capture {
    const char *name; /* NUL-terminated, as written after ':' */
    const char *value;
    size_t value_len; /* the raw (still percent-encoded) segment */
} kn_route_capture;

typedef struct kn_route_match {
    int id;                 /* the id given to kn_router_add */
    const char *route;      /* as written in the manifest ("/foo/...") */
    const char *based;      /* with the base path ("/base/foo/...") */
    const char *prefix;     /* based, without a trailing wildcard */
    const char *path_info;  /* what the wildcard matched ("/bar", "/", "") */
    size_t ncaptures;
    kn_route_capture captures[KN_ROUTE_MAX_CAPTURES];
} kn_route_match;

/* A router for routes under BASE ("/" or "" for none).  NULL if out of memory. */
kn_router *kn_router_new(const char *base);
void kn_router_free(kn_router *r);

/* Adds ROUTE for ID (made absolute if it lacks the leading '/', as Spin
 * does).  Returns 0, or -1 with a message in ERR (an empty ':' name, a
 * wildcard that is not last, too many named segments, out of memory).  When ROUTE repeats an earlier
 * route, the earlier one's id is stored in *REPLACED (else -1). */
int kn_router_add(kn_router *r, const char *route, int id, int *replaced, char *err,
                  size_t errlen);

/* Finds the best route for PATH (LEN bytes, without the query string).
 * SCRATCH (at least LEN + 2 bytes) holds path_info.  Returns 1 and fills M,
 * or 0 when no route matches. */
int kn_router_match(const kn_router *r, const char *path, size_t len, char *scratch,
                    kn_route_match *m);

#endif
