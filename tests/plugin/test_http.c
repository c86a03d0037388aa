/* test_http.c — http_request (src/plugin/http.c) against a loopback HTTP
 * server the test starts itself (a thread accepting on 127.0.0.1, port 0,
 * one connection at a time, canned answers chosen by path): GET and POST
 * with body and headers, status codes, the response headers' JSON, denied
 * hosts (the server must see no connection), host patterns, the body cap,
 * bad request JSON, unsupported schemes, connection refused, timeouts and
 * redirects (returned, not followed). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../unit/unit.h"
#include "http.h"

/* ---- The loopback server ------------------------------------------------ */

typedef struct srv {
    int fd, port;
    pthread_t th;
    atomic_int accepts;
    atomic_bool stop;
    char req[1 << 16];       /* the last request, raw */
    size_t req_len;
    size_t total;            /* its whole length */
} srv;

static void send_all(int c, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t w = send(c, b, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        b += w, n -= (size_t)w;
    }
}

static void sendf(int c, const char *fmt, const char *a, size_t n)
{
    char head[512];
    int len = snprintf(head, sizeof head, fmt, n);
    send_all(c, head, (size_t)len);
    send_all(c, a, n);
}

/* Read one request into s->req (its first 64 KiB) and drain the rest of
 * its Content-Length, so that a large body is received in full. */
static void read_request(srv *s, int c)
{
    size_t len = 0, want = 0;
    char *end = NULL, sink[65536];
    while (!end || len < want) {
        bool keep = len < sizeof s->req - 1;
        ssize_t r = keep ? recv(c, s->req + len, sizeof s->req - 1 - len, 0)
                         : recv(c, sink, sizeof sink, 0);
        if (r <= 0)
            break;
        if (keep)
            s->req[len + (size_t)r] = 0;
        len += (size_t)r;
        if (!end && (end = strstr(s->req, "\r\n\r\n"))) {
            const char *cl = strcasestr(s->req, "\r\nContent-Length:");
            want = (size_t)(end + 4 - s->req) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
        }
    }
    s->req_len = len < sizeof s->req - 1 ? len : sizeof s->req - 1;
    s->total = len;
}

static void slow(srv *s)
{
    for (int i = 0; i < 60 && !s->stop; i++)
        usleep(50000);
}

static void respond(srv *s, int c)
{
    const char *path = strchr(s->req, ' ');
    path = path ? path + 1 : "";
    static char big[100000];
    memset(big, 'x', sizeof big);
    char buf[512];
    if (!strncmp(path, "/hello ", 7)) {
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\n"
                 "Content-Type: text/plain\r\nX-Test: a\r\nX-Test: b\r\nX-Mixed-Case:  Yes \r\n"
                 "X-Bin: \xff\xfe\r\nBad Name: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"));
    } else if (!strncmp(path, "/echo ", 6)) {
        sendf(c, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", s->req, s->req_len);
    } else if (!strncmp(path, "/status/", 8)) {
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 %.3s Whatever\r\n"
                 "Content-Length: 4\r\n\r\nnope", path + 8));
    } else if (!strncmp(path, "/total ", 7)) {
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\n"
                 "Content-Length: 20\r\n\r\n%20zu", s->total));
    } else if (!strncmp(path, "/manyheaders ", 13)) {
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\n"));
        for (int i = 0; i < 2000; i++)
            send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "X-H%d: v\r\n", i));
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "Content-Length: 0\r\n\r\n"));
    } else if (!strncmp(path, "/big ", 5)) {
        sendf(c, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", big, sizeof big);
    } else if (!strncmp(path, "/chunked ", 9)) {
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n"));
        for (int i = 0; i < 10; i++) {
            send_all(c, "2710\r\n", 6);
            send_all(c, big, 10000);
            send_all(c, "\r\n", 2);
        }
        send_all(c, "0\r\n\r\n", 5);
    } else if (!strncmp(path, "/slow ", 6)) {
        slow(s);
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    } else if (!strncmp(path, "/redirect ", 10)) {
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 302 Found\r\n"
                 "Location: http://127.0.0.1:%d/hello\r\nContent-Length: 3\r\n\r\nmov", s->port));
    } else if (!strncmp(path, "/continue ", 10)) {
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
                 "HTTP/1.1 200 OK\r\nX-Final: 1\r\nContent-Length: 2\r\n\r\nok"));
    } else {
        send_all(c, buf, (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 404 Not Found\r\n"
                 "Content-Length: 0\r\n\r\n"));
    }
}

static void *serve(void *arg)
{
    srv *s = arg;
    while (!s->stop) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        s->accepts++;
        struct timeval tv = {.tv_sec = 2};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        read_request(s, c);
        respond(s, c);
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

/* A listening socket on 127.0.0.1 and its port (no thread: refused tests
 * close it again). */
static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)&a, &al)) {
        unit_fail(__FILE__, __LINE__, "loopback listen failed");
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static srv *srv_start(void)
{
    srv *s = calloc(1, sizeof *s);
    s->fd = listen_any(&s->port);
    pthread_create(&s->th, NULL, serve, s);
    return s;
}

/* Stop the server; the number of connections it accepted. */
static int srv_stop(srv *s)
{
    s->stop = true;
    pthread_join(s->th, NULL);
    close(s->fd);
    int n = s->accepts;
    free(s);
    return n;
}

/* ---- Helpers ------------------------------------------------------------ */

static char *const any[] = {"*"};
static char *const local[] = {"127.0.0.1"};

static kiln_error *get(srv *s, const char *path, char *const *allowed, size_t n,
                       uint64_t max, kn_http_response *r)
{
    char json[256];
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d%s\"}", s->port, path);
    memset(r, 0, sizeof *r);
    return kn_http_request(json, strlen(json), NULL, 0, allowed, n, max, 0, r);
}

static bool has(const kn_http_response *r, const char *needle)
{
    return r->body && memmem(r->body, r->body_len, needle, strlen(needle));
}

static bool msg_has(kiln_error *e, const char *needle)
{
    return e && strstr(kiln_error_message(e), needle);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- Tests -------------------------------------------------------------- */

TEST(http_host_patterns)
{
    char *const p1[] = {"*.example.com"};
    CHECK(kn_http_host_allowed("a.example.com", p1, 1));
    CHECK(kn_http_host_allowed("a.b.example.com", p1, 1));
    CHECK(!kn_http_host_allowed("example.com", p1, 1));
    CHECK(!kn_http_host_allowed("a.example.com.evil.org", p1, 1));
    CHECK(!kn_http_host_allowed("aexample.com", p1, 1));
    CHECK(kn_http_host_allowed("anything.at.all", any, 1));
    CHECK(kn_http_host_allowed("127.0.0.1", any, 1));
    CHECK(!kn_http_host_allowed("example.com", NULL, 0));
    char *const p2[] = {"example.com", "api-?.test", "h[0-9].io", "x[!a].io"};
    CHECK(kn_http_host_allowed("example.com", p2, 4));
    CHECK(!kn_http_host_allowed("www.example.com", p2, 4));
    CHECK(kn_http_host_allowed("api-1.test", p2, 4));
    CHECK(!kn_http_host_allowed("api-12.test", p2, 4));
    CHECK(kn_http_host_allowed("h7.io", p2, 4));
    CHECK(!kn_http_host_allowed("hx.io", p2, 4));
    CHECK(kn_http_host_allowed("xb.io", p2, 4));
    CHECK(!kn_http_host_allowed("xa.io", p2, 4));
    /* Patterns are case-sensitive (hosts arrive lower-cased); an invalid
     * glob is compared as written. */
    char *const p3[] = {"Example.com", "[bad", "a**b"};
    CHECK(!kn_http_host_allowed("example.com", p3, 3));
    CHECK(kn_http_host_allowed("[bad", p3, 3));
    CHECK(!kn_http_host_allowed("bad", p3, 3));
    CHECK(kn_http_host_allowed("a**b", p3, 3));
    CHECK(!kn_http_host_allowed("axxb", p3, 3));
    char *const p4[] = {"*a*b*c"};
    CHECK(kn_http_host_allowed("xxaxbxxc", p4, 1));
    CHECK(!kn_http_host_allowed("xxaxbxxcx", p4, 1));
}

TEST(http_get)
{
    srv *s = srv_start();
    kn_http_response r;
    kiln_error *e = get(s, "/hello", local, 1, 1 << 20, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, 5);
    CHECK(r.body && memcmp(r.body, "hello", 5) == 0);
    cJSON *h = r.headers_json ? cJSON_Parse(r.headers_json) : NULL;
    CHECK(h != NULL);
    cJSON *t = cJSON_GetObjectItemCaseSensitive(h, "x-test");
    CHECK(cJSON_IsString(t) && strcmp(t->valuestring, "a, b") == 0);
    t = cJSON_GetObjectItemCaseSensitive(h, "content-type");
    CHECK(cJSON_IsString(t) && strcmp(t->valuestring, "text/plain") == 0);
    t = cJSON_GetObjectItemCaseSensitive(h, "x-mixed-case");
    CHECK(cJSON_IsString(t) && strcmp(t->valuestring, "Yes") == 0);
    CHECK(cJSON_GetObjectItemCaseSensitive(h, "x-bin") == NULL);   /* not UTF-8 */
    CHECK(cJSON_GetObjectItemCaseSensitive(h, "bad name") == NULL); /* not a token */
    CHECK(cJSON_GetObjectItemCaseSensitive(h, "content-length") != NULL);
    for (cJSON *it = h ? h->child : NULL; it; it = it->next)
        for (const char *c = it->string; *c; c++)
            CHECK(!(*c >= 'A' && *c <= 'Z'));
    cJSON_Delete(h);
    kn_http_response_free(&r);
    kiln_error_free(e);
    CHECK_EQ(srv_stop(s), 1);
}

TEST(http_default_method_and_request_shape)
{
    srv *s = srv_start();
    kn_http_response r;
    kiln_error *e = get(s, "/echo", any, 1, 1 << 20, &r);
    CHECK(e == NULL);
    CHECK(has(&r, "GET /echo HTTP/1.1\r\n"));
    CHECK(has(&r, "Host: 127.0.0.1:"));
    CHECK(!has(&r, "Content-Length"));
    CHECK(!has(&r, "Expect:"));
    kn_http_response_free(&r);
    kiln_error_free(e);
    CHECK_EQ(srv_stop(s), 1);
}

TEST(http_post_body_headers)
{
    srv *s = srv_start();
    char json[512];
    snprintf(json, sizeof json,
             "{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"POST\", "
             "\"headers\": {\"X-Custom\": \"v1\", \"X-Empty\": \"\"}}", s->port);
    static const uint8_t body[] = "pay\0load";
    kn_http_response r = {0};
    kiln_error *e = kn_http_request(json, strlen(json), body, 8, local, 1, 1 << 20, 0, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.status, 200);
    CHECK(has(&r, "POST /echo HTTP/1.1\r\n"));
    CHECK(has(&r, "\r\nX-Custom: v1\r\n"));
    CHECK(has(&r, "\r\nX-Empty:"));
    CHECK(has(&r, "\r\nContent-Length: 8\r\n"));
    CHECK(!has(&r, "Content-Type"));       /* curl's form type is not added */
    CHECK(!has(&r, "Expect"));
    CHECK(r.body_len >= 8 && memcmp(r.body + r.body_len - 8, "pay\0load", 8) == 0);
    kn_http_response_free(&r);
    kiln_error_free(e);

    /* "header" is Extism's alias; a body with another method; the
     * plugin's own Content-Type is kept. */
    snprintf(json, sizeof json,
             "{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"PUT\", "
             "\"header\": {\"Content-Type\": \"application/json\"}}", s->port);
    e = kn_http_request(json, strlen(json), (const uint8_t *)"{}", 2, local, 1, 1 << 20, 0, &r);
    CHECK(e == NULL);
    CHECK(has(&r, "PUT /echo HTTP/1.1\r\n"));
    CHECK(has(&r, "\r\nContent-Type: application/json\r\n"));
    CHECK(has(&r, "\r\nContent-Length: 2\r\n"));
    kn_http_response_free(&r);
    kiln_error_free(e);

    /* A zero-length body is still a body; HEAD waits for none. */
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"DELETE\"}",
             s->port);
    e = kn_http_request(json, strlen(json), (const uint8_t *)"", 0, local, 1, 1 << 20, 0, &r);
    CHECK(e == NULL);
    CHECK(has(&r, "DELETE /echo HTTP/1.1\r\n"));
    CHECK(has(&r, "\r\nContent-Length: 0\r\n"));
    kn_http_response_free(&r);
    kiln_error_free(e);
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/hello\", \"method\": \"HEAD\"}",
             s->port);
    e = kn_http_request(json, strlen(json), NULL, 0, local, 1, 1 << 20, 2000000000ull, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, 0);
    CHECK(r.body == NULL);
    kn_http_response_free(&r);
    kiln_error_free(e);
    CHECK_EQ(srv_stop(s), 4);
}

TEST(http_status_codes)
{
    srv *s = srv_start();
    kn_http_response r;
    const char *paths[] = {"/status/404", "/status/500", "/status/201"};
    int want[] = {404, 500, 201};
    for (int i = 0; i < 3; i++) {
        kiln_error *e = get(s, paths[i], any, 1, 1 << 20, &r);
        CHECK(e == NULL);            /* an error status is a response */
        CHECK_EQ(r.status, want[i]);
        CHECK(has(&r, "nope"));
        kn_http_response_free(&r);
        kiln_error_free(e);
    }
    /* A redirect is handed back, not followed. */
    kiln_error *e = get(s, "/redirect", any, 1, 1 << 20, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.status, 302);
    CHECK(has(&r, "mov"));
    CHECK(r.headers_json && strstr(r.headers_json, "\"location\""));
    kn_http_response_free(&r);
    kiln_error_free(e);
    /* Only the final response's headers count. */
    e = get(s, "/continue", any, 1, 1 << 20, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.status, 200);
    CHECK(r.headers_json && strstr(r.headers_json, "x-final") && !strstr(r.headers_json, "x-interim"));
    kn_http_response_free(&r);
    kiln_error_free(e);
    CHECK_EQ(srv_stop(s), 5);
}

TEST(http_denied_host_makes_no_connection)
{
    srv *s = srv_start();
    char *const other[] = {"example.com", "*.127.0.0.1", "localhost"};
    kn_http_response r;
    kiln_error *e = get(s, "/hello", other, 3, 1 << 20, &r);
    CHECK(e != NULL && kiln_error_kind_of(e) == KILN_ERR_HOST);
    CHECK(msg_has(e, "HTTP request to http://127.0.0.1:"));
    CHECK(msg_has(e, "/hello is not allowed"));
    CHECK(r.body == NULL && r.headers_json == NULL);
    kiln_error_free(e);
    e = get(s, "/hello", NULL, 0, 1 << 20, &r);          /* nothing granted */
    CHECK(msg_has(e, "is not allowed"));
    kiln_error_free(e);
    /* The host is lower-cased before matching, as URL parsers do. */
    char json[256];
    snprintf(json, sizeof json, "{\"url\": \"http://LOCALHOST:%d/hello\"}", s->port);
    e = kn_http_request(json, strlen(json), NULL, 0, local, 1, 1 << 20, 0, &r);
    CHECK(msg_has(e, "is not allowed"));
    kiln_error_free(e);
    /* Userinfo does not fool the check: the host is 127.0.0.2. */
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d@127.0.0.2:%d/hello\"}", s->port,
             s->port);
    e = kn_http_request(json, strlen(json), NULL, 0, local, 1, 1 << 20, 0, &r);
    CHECK(msg_has(e, "is not allowed"));
    kiln_error_free(e);
    CHECK_EQ(srv_stop(s), 0);
}

TEST(http_wildcards_allow)
{
    srv *s = srv_start();
    char *const star[] = {"127.0.0.*"};
    char *const q[] = {"nothing.test", "12?.0.0.[0-9]"};
    kn_http_response r;
    kiln_error *e = get(s, "/hello", star, 1, 1 << 20, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.status, 200);
    kn_http_response_free(&r);
    kiln_error_free(e);
    e = get(s, "/hello", q, 2, 1 << 20, &r);
    CHECK(e == NULL);
    kn_http_response_free(&r);
    kiln_error_free(e);
    char json[256];
    snprintf(json, sizeof json, "{\"url\": \"http://LocalHost:%d/hello\"}", s->port);
    char *const lh[] = {"localhost"};
    e = kn_http_request(json, strlen(json), NULL, 0, lh, 1, 1 << 20, 0, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.status, 200);
    kn_http_response_free(&r);
    kiln_error_free(e);
    /* Other spellings of 127.0.0.1 are checked as the address they name,
     * which is also the address connected to. */
    const char *forms[] = {"2130706433", "0x7f.1", "127.0.0.%31"};
    for (int i = 0; i < 3; i++) {
        snprintf(json, sizeof json, "{\"url\": \"http://%s:%d/hello\"}", forms[i], s->port);
        e = kn_http_request(json, strlen(json), NULL, 0, local, 1, 1 << 20, 0, &r);
        CHECK(e == NULL);
        CHECK_EQ(r.status, 200);
        kn_http_response_free(&r);
        kiln_error_free(e);
    }
    CHECK_EQ(srv_stop(s), 6);
}

TEST(http_body_cap)
{
    srv *s = srv_start();
    kn_http_response r;
    kiln_error *e = get(s, "/big", any, 1, 99999, &r);
    CHECK(msg_has(e, "HTTP response exceeds the configured maximum number of bytes: 99999"));
    CHECK(r.body == NULL);
    kiln_error_free(e);
    e = get(s, "/chunked", any, 1, 50000, &r);          /* no length: cut while receiving */
    CHECK(msg_has(e, "exceeds the configured maximum number of bytes: 50000"));
    kiln_error_free(e);
    e = get(s, "/hello", any, 1, 0, &r);
    CHECK(msg_has(e, "exceeds the configured maximum number of bytes: 0"));
    kiln_error_free(e);
    e = get(s, "/manyheaders", any, 1, 1 << 20, &r);   /* headers are capped too */
    CHECK(msg_has(e, "response headers exceed"));
    kiln_error_free(e);
    e = get(s, "/big", any, 1, 100000, &r);             /* exactly the cap is fine */
    CHECK(e == NULL);
    CHECK_EQ(r.body_len, 100000);
    kn_http_response_free(&r);
    kiln_error_free(e);
    e = get(s, "/chunked", any, 1, UINT64_MAX, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.body_len, 100000);
    kn_http_response_free(&r);
    kiln_error_free(e);
    srv_stop(s);
}

TEST(http_bad_json)
{
    const char *bad[] = {
        "", "{", "[]", "\"http://127.0.0.1/\"", "{\"url\": 5}", "{\"method\": \"GET\"}",
        "{\"url\": \"http://127.0.0.1/\", \"bogus\": 1}",
        "{\"url\": \"http://127.0.0.1/\", \"headers\": {\"a\": 1}}",
        "{\"url\": \"http://127.0.0.1/\", \"headers\": []}",
        "{\"url\": \"http://127.0.0.1/\", \"method\": 7}",
        "{\"url\": \"http://127.0.0.1/\", \"headers\": {}, \"header\": {}}",
        "{\"url\": \"http://127.0.0.1/\", \"url\": \"http://127.0.0.1/\"}",
        "{\"url\": \"http://127.0.0.1/\"} x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kn_http_response r = {0};
        kiln_error *e = kn_http_request(bad[i], strlen(bad[i]), NULL, 0, any, 1, 1 << 20, 0, &r);
        CHECK(msg_has(e, "invalid request JSON"));
        CHECK(r.body == NULL && r.headers_json == NULL);
        kiln_error_free(e);
    }
    kn_http_response r;
    const char *unk = "{\"url\": \"http://127.0.0.1/\", \"bogus\": 1}";
    kiln_error *e = kn_http_request(unk, strlen(unk), NULL, 0, any, 1, 1 << 20, 0, &r);
    CHECK(msg_has(e, "unknown field `bogus`"));
    kiln_error_free(e);
    /* Header and method injection are refused before any connection. */
    srv *s = srv_start();
    char json[256];
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/echo\", "
             "\"headers\": {\"X-A\": \"v\\r\\nX-Injected: 1\"}}", s->port);
    e = kn_http_request(json, strlen(json), NULL, 0, any, 1, 1 << 20, 0, &r);
    CHECK(msg_has(e, "invalid header `X-A`"));
    kiln_error_free(e);
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/echo\", "
             "\"method\": \"GET / HTTP/1.0\\r\\n\"}", s->port);
    e = kn_http_request(json, strlen(json), NULL, 0, any, 1, 1 << 20, 0, &r);
    CHECK(msg_has(e, "invalid method"));
    kiln_error_free(e);
    CHECK_EQ(srv_stop(s), 0);
}

TEST(http_unsupported_scheme)
{
    srv *s = srv_start();
    char urls[4][128];
    snprintf(urls[0], sizeof urls[0], "file:///etc/passwd");
    snprintf(urls[1], sizeof urls[1], "ftp://127.0.0.1:%d/", s->port);
    snprintf(urls[2], sizeof urls[2], "gopher://127.0.0.1:%d/", s->port);
    snprintf(urls[3], sizeof urls[3], "not a url");
    for (int i = 0; i < 4; i++) {
        char json[640];
        snprintf(json, sizeof json, "{\"url\": \"%s\"}", urls[i]);
        kn_http_response r = {0};
        kiln_error *e = kn_http_request(json, strlen(json), NULL, 0, any, 1, 1 << 20, 0, &r);
        CHECK(e != NULL && kiln_error_kind_of(e) == KILN_ERR_HOST);
        CHECK(i == 3 ? msg_has(e, "invalid URL") : msg_has(e, "unsupported URL scheme"));
        kiln_error_free(e);
    }
    CHECK_EQ(srv_stop(s), 0);
}

TEST(http_connection_refused)
{
    int port;
    int fd = listen_any(&port);
    close(fd);                        /* nobody listens there now */
    char json[256];
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/\"}", port);
    kn_http_response r = {0};
    kiln_error *e = kn_http_request(json, strlen(json), NULL, 0, local, 1, 1 << 20, 0, &r);
    CHECK(e != NULL && kiln_error_kind_of(e) == KILN_ERR_HOST);
    CHECK(msg_has(e, "http_request: "));
    CHECK(r.status == 0 && r.body == NULL);
    kiln_error_free(e);
}

TEST(http_timeout)
{
    srv *s = srv_start();
    char json[256];
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/slow\"}", s->port);
    kn_http_response r = {0};
    double t0 = now_s();
    kiln_error *e = kn_http_request(json, strlen(json), NULL, 0, any, 1, 1 << 20, 200000000ull, &r);
    double dt = now_s() - t0;
    CHECK(e != NULL && strcmp(kiln_error_message(e), "timeout") == 0);
    CHECK(dt >= 0.15 && dt < 2.0);
    kiln_error_free(e);
    srv_stop(s);
}

TEST(http_ignores_proxy_environment)
{
    srv *s = srv_start();
    setenv("http_proxy", "http://127.0.0.1:1", 1);
    setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
    setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
    kn_http_response r;
    kiln_error *e = get(s, "/hello", any, 1, 1 << 20, &r);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("ALL_PROXY");
    CHECK(e == NULL);
    CHECK_EQ(r.status, 200);
    kn_http_response_free(&r);
    kiln_error_free(e);
    CHECK_EQ(srv_stop(s), 1);
}

TEST(http_large_post_without_expect)
{
    srv *s = srv_start();
    size_t n = 3u << 20;
    uint8_t *body = malloc(n);
    memset(body, 'b', n);
    char json[256];
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/total\", \"method\": \"POST\"}",
             s->port);
    kn_http_response r = {0};
    double t0 = now_s();
    kiln_error *e = kn_http_request(json, strlen(json), body, n, any, 1, 1 << 20, 0, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.status, 200);
    char got[21] = "";
    if (r.body_len == 20)
        memcpy(got, r.body, 20);
    CHECK(strtoull(got, NULL, 10) > n);
    CHECK(now_s() - t0 < 0.9);        /* no second spent waiting for 100-continue */
    kn_http_response_free(&r);
    kiln_error_free(e);
    /* The server saw no Expect header (its copy of the request is /echo's). */
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/echo\", \"method\": \"POST\"}",
             s->port);
    e = kn_http_request(json, strlen(json), body, n, any, 1, 1 << 20, 0, &r);
    CHECK(e == NULL);
    CHECK(has(&r, "POST /echo") && !has(&r, "Expect"));
    kn_http_response_free(&r);
    kiln_error_free(e);
    free(body);
    CHECK_EQ(srv_stop(s), 2);
}

TEST(http_head_under_small_cap)
{
    srv *s = srv_start();
    char json[256];
    snprintf(json, sizeof json, "{\"url\": \"http://127.0.0.1:%d/big\", \"method\": \"HEAD\"}",
             s->port);
    kn_http_response r = {0};
    kiln_error *e = kn_http_request(json, strlen(json), NULL, 0, any, 1, 10, 2000000000ull, &r);
    CHECK(e == NULL);                 /* Content-Length: 100000, but no body */
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body_len, 0);
    CHECK(r.headers_json && strstr(r.headers_json, "\"content-length\":\"100000\""));
    kn_http_response_free(&r);
    kiln_error_free(e);
    CHECK_EQ(srv_stop(s), 1);
}

static srv *conc_srv;
static atomic_int conc_ok;

static void *conc_worker(void *arg)
{
    for (int i = 0; i < 8; i++) {
        kn_http_response r;
        kiln_error *e = get(conc_srv, (i & 1) ? "/hello" : "/status/404", local, 1, 1 << 20, &r);
        if (!e && r.status == ((i & 1) ? 200 : 404))
            conc_ok++;
        kn_http_response_free(&r);
        kiln_error_free(e);
    }
    return arg;
}

TEST(http_concurrent_callers)
{
    conc_srv = srv_start();
    conc_ok = 0;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, conc_worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(conc_ok, 32);
    CHECK_EQ(srv_stop(conc_srv), 32);
}
