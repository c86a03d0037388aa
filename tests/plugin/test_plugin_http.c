/*
 * test_plugin_http.c — a plugin's http_request end to end (http.wasm):
 * against a loopback server this test starts, allowed by allowed_hosts and
 * denied without it (a trap naming the URL, and no connection made), with
 * http_status_code and http_headers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plugin_test.h"

typedef struct server {
    int fd, port, accepted;
} server;

static void *serve(void *arg)
{
    server *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        s->accepted++;
        char buf[4096];
        size_t got = 0;
        while (got < sizeof buf - 1) {
            ssize_t n = read(c, buf + got, sizeof buf - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            buf[got] = 0;
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        const char *ok = strstr(buf, "X-Test: 1") || strstr(buf, "x-test: 1")
                             ? "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Reply: yes\r\n"
                               "Connection: close\r\n\r\nhello"
                             : "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        ssize_t w = write(c, ok, strlen(ok));
        (void)w;
        close(c);
    }
}

static bool start(server *s, pthread_t *t)
{
    *s = (server){.fd = socket(AF_INET, SOCK_STREAM, 0)};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) || listen(s->fd, 8) ||
        getsockname(s->fd, (struct sockaddr *)&a, &len))
        return false;
    s->port = ntohs(a.sin_port);
    return pthread_create(t, NULL, serve, s) == 0;
}

static char logged[1024];
static void log_fn(void *ud, kiln_log_level level, const char *msg, size_t len)
{
    snprintf(logged, sizeof logged, "%.*s", (int)len, msg);
}

TEST(plugin_http_request)
{
    server s;
    pthread_t t;
    CHECK(start(&s, &t));
    kiln_engine *eng = NULL;
    kiln_error *e = kiln_engine_new(NULL, &eng);
    kiln_error_free(e);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/path", s.port);

    kiln_plugin_manifest *m = pt_manifest("http.wasm");
    kiln_plugin_options o = {.log = log_fn};
    kiln_plugin *p = pt_load_m(eng, m, &o);   /* no allowed_hosts: denied */
    CHECK(p);
    if (p) {
        CHECK(!pt_call(p, "get", url, NULL, &e));
        CHECK(e && strstr(kiln_error_message(e), "is not allowed"));
        kiln_error_free(e);
        CHECK_EQ(s.accepted, 0);
    }
    kiln_plugin_free(p);

    e = m ? kiln_plugin_manifest_allow_host(m, "127.0.0.1") : NULL;
    CHECK(!e);
    kiln_error_free(e);
    p = pt_load_m(eng, m, &o);   /* response headers not opted in: 0 */
    CHECK(p);
    if (p) {
        logged[0] = 0;
        CHECK_STR(pt_call(p, "get", url, NULL, NULL), "201 hello");
        CHECK(logged[0] == 0);
        CHECK_EQ(s.accepted, 1);
    }
    kiln_plugin_free(p);

    o.http_response_headers = true;
    p = pt_load_m(eng, m, &o);
    CHECK(p);
    if (p) {
        logged[0] = 0;
        CHECK_STR(pt_call(p, "get", url, NULL, NULL), "201 hello");
        CHECK(strstr(logged, "\"x-reply\"") && strstr(logged, "\"yes\""));
        CHECK_EQ(s.accepted, 2);
        char other[128];
        snprintf(other, sizeof other, "http://localhost:%d/", s.port);
        CHECK(!pt_call(p, "get", other, NULL, &e));   /* another host name */
        CHECK(e && strstr(kiln_error_message(e), "is not allowed"));
        kiln_error_free(e);
        CHECK_EQ(s.accepted, 2);
    }
    kiln_plugin_free(p);
    kiln_plugin_manifest_free(m);
    shutdown(s.fd, SHUT_RDWR);
    close(s.fd);
    pthread_join(t, NULL);
    kiln_engine_free(eng);
}
