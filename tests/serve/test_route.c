/* test_route.c — the router against Spin's own routing cases: exact beats
 * wildcard, the longest wildcard prefix wins whatever the order, the base
 * path, named segments, path info with and without trailing slashes, and
 * duplicates (the later route wins, the earlier is reported). */
#include <string.h>

#include "../unit/unit.h"
#include "route.h"

static char scratch[256];

/* The id of the route PATH picks, or -1. */
static int pick(const kn_router *r, const char *path, kn_route_match *m)
{
    return kn_router_match(r, path, strlen(path), scratch, m) ? m->id : -1;
}

static kn_router *build(const char *base, const char *const *routes, int n)
{
    kn_router *r = kn_router_new(base);
    char err[128];
    for (int i = 0; i < n; i++)
        if (kn_router_add(r, routes[i], i, NULL, err, sizeof err))
            unit_fail(__FILE__, __LINE__, err);
    return r;
}

TEST(route_exact)
{
    const char *routes[] = {"/foo", "/foo/bar"};
    kn_router *r = build("/", routes, 2);
    kn_route_match m;
    CHECK_EQ(pick(r, "/foo", &m), 0);
    CHECK_EQ(pick(r, "/foo/", &m), 0);
    CHECK_EQ(pick(r, "/foo/bar", &m), 1);
    CHECK_EQ(pick(r, "/foo/bar/", &m), 1);
    CHECK_EQ(pick(r, "/foo/bar/baz", &m), -1);
    CHECK_EQ(pick(r, "/fo", &m), -1);
    CHECK_EQ(pick(r, "/", &m), -1);
    kn_router_free(r);
}

TEST(route_base_path)
{
    const char *routes[] = {"/foo", "foo/bar", "/..."};
    kn_router *r = build("/base/", routes, 3);
    kn_route_match m;
    CHECK_EQ(pick(r, "/base/foo", &m), 0);
    CHECK(!strcmp(m.based, "/base/foo") && !strcmp(m.route, "/foo"));
    CHECK_EQ(pick(r, "/base/foo/bar", &m), 1);
    CHECK_EQ(pick(r, "/base", &m), 2);
    CHECK_EQ(pick(r, "/base/x/y", &m), 2);
    CHECK(!strcmp(m.path_info, "/x/y") && !strcmp(m.prefix, "/base"));
    CHECK_EQ(pick(r, "/foo", &m), -1);
    CHECK_EQ(pick(r, "/basement", &m), -1);
    kn_router_free(r);
}

TEST(route_wildcard_path_info)
{
    const char *routes[] = {"/...", "/static/..."};
    kn_router *r = build("", routes, 2);
    kn_route_match m;
    CHECK_EQ(pick(r, "/", &m), 0);
    CHECK(!strcmp(m.path_info, "/"));
    CHECK_EQ(pick(r, "/abc/", &m), 0);
    CHECK(!strcmp(m.path_info, "/abc/"));
    CHECK_EQ(pick(r, "/static", &m), 1);
    CHECK(!strcmp(m.path_info, ""));
    CHECK_EQ(pick(r, "/static/", &m), 1);
    CHECK(!strcmp(m.path_info, "/"));
    CHECK_EQ(pick(r, "/static/img/a.png", &m), 1);
    CHECK(!strcmp(m.path_info, "/img/a.png"));
    CHECK_EQ(pick(r, "/static/img/", &m), 1);
    CHECK(!strcmp(m.path_info, "/img/"));
    CHECK_EQ(pick(r, "/staticx", &m), 0);
    kn_router_free(r);
}

TEST(route_longest_prefix_any_order)
{
    const char *a[] = {"/one/...", "/one/two/...", "/one/two/three/..."};
    const char *b[] = {"/one/two/three/...", "/one/two/...", "/one/..."};
    kn_router *ra = build("/", a, 3), *rb = build("/", b, 3);
    kn_route_match m;
    CHECK_EQ(pick(ra, "/one/two/three/four", &m), 2);
    CHECK_EQ(pick(rb, "/one/two/three/four", &m), 0);
    CHECK_EQ(pick(ra, "/one/two", &m), 1);
    CHECK_EQ(pick(rb, "/one/twofold", &m), 2);
    kn_router_free(ra);
    kn_router_free(rb);
}

TEST(route_exact_beats_wildcard)
{
    const char *routes[] = {"/...", "/one", "/one/*"};
    kn_router *r = build("/", routes, 3);
    kn_route_match m;
    CHECK_EQ(pick(r, "/one", &m), 1);
    CHECK_EQ(pick(r, "/one/", &m), 1);
    CHECK_EQ(pick(r, "/one/x", &m), 2);
    CHECK_EQ(pick(r, "/two", &m), 0);
    kn_router_free(r);
}

TEST(route_named_segments)
{
    const char *routes[] = {"/users/:id", "/users/me", "/users/:id/posts/...", "/..."};
    kn_router *r = build("/", routes, 4);
    kn_route_match m;
    CHECK_EQ(pick(r, "/users/42", &m), 0);
    CHECK_EQ(m.ncaptures, 1);
    CHECK(!strcmp(m.captures[0].name, "id") && m.captures[0].value_len == 2 &&
          !memcmp(m.captures[0].value, "42", 2));
    CHECK_EQ(pick(r, "/users/me", &m), 1);
    CHECK_EQ(m.ncaptures, 0);
    CHECK_EQ(pick(r, "/users/7/posts/2024/x", &m), 2);
    CHECK(!strcmp(m.path_info, "/2024/x") && !strcmp(m.prefix, "/users/:id/posts"));
    CHECK_EQ(pick(r, "/users", &m), 3);
    CHECK_EQ(pick(r, "/users//posts", &m), 3); /* an empty segment is no :id */
    kn_router_free(r);
}

TEST(route_duplicates_last_wins)
{
    kn_router *r = kn_router_new("/");
    int replaced;
    char err[128];
    CHECK_EQ(kn_router_add(r, "/foo", 10, &replaced, err, sizeof err), 0);
    CHECK_EQ(replaced, -1);
    CHECK_EQ(kn_router_add(r, "/foo", 11, &replaced, err, sizeof err), 0);
    CHECK_EQ(replaced, 10);
    kn_route_match m;
    CHECK_EQ(pick(r, "/foo", &m), 11);
    kn_router_free(r);
}

TEST(route_bad_routes)
{
    kn_router *r = kn_router_new(NULL);
    char err[128] = "";
    CHECK_EQ(kn_router_add(r, "/a/.../b", 0, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "wildcard") != NULL);
    CHECK_EQ(kn_router_add(r, "/a/:/b", 0, NULL, err, sizeof err), -1);
    CHECK(strstr(err, "name") != NULL);
    CHECK_EQ(kn_router_add(r, "/a/*/b", 0, NULL, err, sizeof err), -1);
    kn_route_match m;
    CHECK_EQ(pick(r, "/a/x/b", &m), -1); /* nothing was added */
    kn_router_free(r);
}

TEST(route_root_only)
{
    const char *routes[] = {"/"};
    kn_router *r = build("/", routes, 1);
    kn_route_match m;
    CHECK_EQ(pick(r, "/", &m), 0);
    CHECK_EQ(pick(r, "", &m), 0);
    CHECK_EQ(pick(r, "/x", &m), -1);
    kn_router_free(r);
}
