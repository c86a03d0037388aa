/* test_wagi.c — the CGI environment and argv of a WAGI request, against
 * the values Spin's executor and its tests give for the same request. */
#include <string.h>

#include "../unit/unit.h"
#include "wagi.h"

#define H(n, v) {n, v, sizeof n - 1, sizeof v - 1}

static int var_is(const kn_wagi_env *env, const char *name, const char *want)
{
    const char *got = kn_wagi_env_get(env, name);
    if (got && !strcmp(got, want))
        return 1;
    printf("  %s = %s, want %s\n", name, got ? got : "(unset)", want);
    return 0;
}

static kn_wagi_request request(const char *method, const char *path, const char *query,
                               const kn_wagi_header *h, size_t nh)
{
    return (kn_wagi_request){.method = method, .method_len = strlen(method), .path = path,
                             .path_len = strlen(path), .query = query,
                             .query_len = query ? strlen(query) : 0, .headers = h,
                             .nheaders = nh, .protocol = "HTTP/1.1", .client_ip = "127.0.0.1",
                             .client_port = 8777, .listen_host = "127.0.0.1",
                             .listen_port = 3000};
}

/* A router of one route that matched PATH, or NULL; M points into it. */
static kn_router *route(const char *r, const char *path, kn_route_match *m, char *scratch)
{
    kn_router *rt = kn_router_new("/");
    char err[64];
    if (kn_router_add(rt, r, 0, NULL, err, sizeof err) ||
        !kn_router_match(rt, path, strlen(path), scratch, m)) {
        kn_router_free(rt);
        return NULL;
    }
    return rt;
}

TEST(wagi_spin_default_headers)
{
    /* Spin's test_default_headers: POST https://fermyon.dev/foo/bar?... on
     * route /foo/... from 127.0.0.1:8777. */
    static const kn_wagi_header h[] = {H("Host", "fermyon.dev"), H("Accept", "*/*")};
    kn_wagi_request req = request("POST", "/foo/bar", "key1=value1&key2=value2", h, 2);
    req.tls = 1;
    kn_route_match m;
    char scratch[64];
    kn_router *rt = route("/foo/...", "/foo/bar", &m, scratch);
    CHECK(rt != NULL);
    if (!rt)
        return;
    kn_wagi_env env;
    CHECK_EQ(kn_wagi_env_build(&req, &m, NULL, &env), 0);
    CHECK(var_is(&env, "X_FULL_URL", "https://fermyon.dev/foo/bar?key1=value1&key2=value2"));
    CHECK(var_is(&env, "PATH_INFO", "/bar"));
    CHECK(var_is(&env, "X_MATCHED_ROUTE", "/foo/..."));
    CHECK(var_is(&env, "X_BASE_PATH", "/"));
    CHECK(var_is(&env, "X_RAW_COMPONENT_ROUTE", "/foo/..."));
    CHECK(var_is(&env, "X_COMPONENT_ROUTE", "/foo"));
    CHECK(var_is(&env, "X_CLIENT_ADDR", "127.0.0.1:8777"));
    CHECK(var_is(&env, "SCRIPT_NAME", "/foo"));
    CHECK(var_is(&env, "REQUEST_METHOD", "POST"));
    CHECK(var_is(&env, "QUERY_STRING", "key1=value1&key2=value2"));
    CHECK(var_is(&env, "SERVER_NAME", "fermyon.dev"));
    CHECK(var_is(&env, "SERVER_PORT", "3000"));
    CHECK(var_is(&env, "GATEWAY_INTERFACE", "CGI/1.1"));
    CHECK(var_is(&env, "SERVER_SOFTWARE", "WAGI/1"));
    CHECK(var_is(&env, "SERVER_PROTOCOL", "HTTP/1.1"));
    CHECK(var_is(&env, "HTTP_HOST", "fermyon.dev"));
    CHECK(var_is(&env, "HTTP_ACCEPT", "*/*"));
    CHECK(var_is(&env, "CONTENT_LENGTH", "0"));
    CHECK(var_is(&env, "REMOTE_ADDR", "127.0.0.1"));
    /* argv: the path, then the query's pairs. */
    CHECK_EQ(env.nargs, 3);
    CHECK(!strcmp(env.argv[0], "/foo/bar") && !strcmp(env.argv[1], "key1=value1") &&
          !strcmp(env.argv[2], "key2=value2") && env.argv[3] == NULL);
    kn_wagi_env_free(&env);
    kn_router_free(rt);
}

TEST(wagi_named_wildcards)
{
    kn_wagi_request req = request("GET", "/foo/42/bar", NULL, NULL, 0);
    kn_route_match m;
    char scratch[64];
    kn_router *rt = route("/foo/:userid/...", "/foo/42/bar", &m, scratch);
    CHECK(rt != NULL);
    if (!rt)
        return;
    kn_wagi_env env;
    CHECK_EQ(kn_wagi_env_build(&req, &m, NULL, &env), 0);
    CHECK(var_is(&env, "X_PATH_MATCH_USERID", "42"));
    CHECK(var_is(&env, "X_COMPONENT_ROUTE", "/foo/:userid"));
    CHECK(var_is(&env, "PATH_INFO", "/bar"));
    CHECK(var_is(&env, "X_FULL_URL", "http://127.0.0.1:3000/foo/42/bar"));
    CHECK(var_is(&env, "SERVER_NAME", "127.0.0.1"));
    /* No query: Spin's split leaves a last, empty argument. */
    CHECK_EQ(env.nargs, 2);
    CHECK(!strcmp(env.argv[0], "/foo/42/bar") && !strcmp(env.argv[1], ""));
    kn_wagi_env_free(&env);
    kn_router_free(rt);
}

TEST(wagi_headers_rfc3875)
{
    static const kn_wagi_header h[] = {
        H("host", "[::1]:8080"),        H("Content-Type", "text/plain"),
        H("Authorization", "secret"),   H("Connection", "keep-alive"),
        H("X-Multi", "a"),              H("cookie", "a=1"),
        H("x-multi", "b"),              H("Cookie", "b=2"),
        H("User-Agent", "curl/8"),
    };
    kn_wagi_request req = request("PUT", "/a%20b/c%2Fd%00%ff", "", h, 9);
    req.content_length = 12;
    req.protocol = "HTTP/2.0";
    kn_route_match m;
    char scratch[64];
    kn_router *rt = route("/...", "/a%20b/c%2Fd%00%ff", &m, scratch);
    CHECK(rt != NULL);
    if (!rt)
        return;
    kn_wagi_env env;
    CHECK_EQ(kn_wagi_env_build(&req, &m, "prog --flag ${ARGS}", &env), 0);
    CHECK(var_is(&env, "CONTENT_TYPE", "text/plain"));
    CHECK(var_is(&env, "CONTENT_LENGTH", "12"));
    CHECK(kn_wagi_env_get(&env, "HTTP_AUTHORIZATION") == NULL);
    CHECK(kn_wagi_env_get(&env, "HTTP_CONNECTION") == NULL);
    CHECK(var_is(&env, "HTTP_X_MULTI", "a, b"));
    CHECK(var_is(&env, "HTTP_COOKIE", "a=1; b=2"));
    CHECK(var_is(&env, "HTTP_USER_AGENT", "curl/8"));
    CHECK(var_is(&env, "SERVER_NAME", "[::1]"));
    CHECK(var_is(&env, "SERVER_PORT", "8080"));
    CHECK(var_is(&env, "SERVER_PROTOCOL", "HTTP/2.0"));
    CHECK(var_is(&env, "SCRIPT_NAME", ""));
    CHECK(var_is(&env, "X_RAW_PATH_INFO", "/a%20b/c%2Fd%00%ff"));
    CHECK(var_is(&env, "PATH_TRANSLATED", "/a b/c/d%00\xef\xbf\xbd"));
    CHECK(var_is(&env, "QUERY_STRING", ""));
    CHECK_EQ(env.nargs, 3);
    CHECK(!strcmp(env.argv[0], "prog") && !strcmp(env.argv[1], "--flag") &&
          !strcmp(env.argv[2], ""));
    /* Each header name appears once. */
    int multi = 0;
    for (size_t i = 0; i < env.nvars; i++)
        multi += !strcmp(env.names[i], "HTTP_X_MULTI");
    CHECK_EQ(multi, 1);
    kn_wagi_env_free(&env);
    kn_router_free(rt);
}

TEST(wagi_exact_route_paths)
{
    kn_wagi_request req = request("GET", "/hello/", "x=1", NULL, 0);
    req.listen_host = "localhost";
    kn_route_match m;
    char scratch[64];
    kn_router *rt = route("/hello", "/hello/", &m, scratch);
    CHECK(rt != NULL);
    if (!rt)
        return;
    kn_wagi_env env;
    CHECK_EQ(kn_wagi_env_build(&req, &m, NULL, &env), 0);
    CHECK(var_is(&env, "SCRIPT_NAME", "/hello"));
    CHECK(var_is(&env, "PATH_INFO", ""));
    CHECK(var_is(&env, "X_RAW_PATH_INFO", "/"));
    CHECK(var_is(&env, "X_FULL_URL", "http://localhost:3000/hello/?x=1"));
    CHECK(var_is(&env, "X_COMPONENT_ROUTE", "/hello"));
    kn_wagi_env_free(&env);
    kn_router_free(rt);
}
