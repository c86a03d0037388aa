/* test_accesslog.c — the access log line field by field (read back with
 * cJSON), hostile paths (quotes, control bytes, NUL, invalid UTF-8: the
 * line must stay valid JSON and valid UTF-8), request ids unique across
 * threads, and the writer: whole lines from many threads, lines longer
 * than PIPE_BUF, and drops counted when the consumer stalls or is gone. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../unit/unit.h"
#include "accesslog.h"

static kn_access_entry sample(void)
{
    return (kn_access_entry){
        .ts = {1796322000, 123456789},
        .id = "00000000000000ff",
        .method = "GET",
        .method_len = 3,
        .path = "/hello?x=1",
        .path_len = 10,
        .route = "/hello",
        .component = "hello",
        .status = 200,
        .bytes = 123,
        .us = 456,
        .guest_us = 300,
        .client = "127.0.0.1:5555",
        .proto = "HTTP/1.1",
    };
}

static char *format(const kn_access_entry *e)
{
    size_t n = kn_accesslog_format(e, NULL, 0);
    char *s = malloc(n + 1);
    if (s && kn_accesslog_format(e, s, n + 1) != n) {
        free(s);
        return NULL;
    }
    return s;
}

/* An independent check that S is well-formed UTF-8 (decode to a code point,
 * then reject overlongs, surrogates and > U+10FFFF) with no raw control
 * byte except the final '\n'. */
static int line_is_clean(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    if (n == 0 || s[n - 1] != '\n')
        return 0;
    for (size_t i = 0; i < n - 1;) {
        unsigned c = s[i], len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n - 1 || (len == 1 && c < 0x20))
            return 0;
        unsigned cp = len == 1 ? c : c & (0x7f >> len);
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

TEST(accesslog_fields)
{
    kn_access_entry e = sample();
    char *s = format(&e);
    CHECK(s != NULL);
    CHECK(!strcmp(s, "{\"ts\":\"2026-12-03T18:20:00.123456Z\",\"id\":\"00000000000000ff\","
                     "\"method\":\"GET\",\"path\":\"/hello?x=1\",\"route\":\"/hello\","
                     "\"component\":\"hello\",\"status\":200,\"bytes\":123,\"us\":456,"
                     "\"guest_us\":300,\"client\":\"127.0.0.1:5555\",\"proto\":\"HTTP/1.1\"}\n"));
    cJSON *o = cJSON_Parse(s);
    CHECK(o != NULL);
    CHECK(!strcmp(str_of(o, "ts"), "2026-12-03T18:20:00.123456Z"));
    CHECK(!strcmp(str_of(o, "id"), "00000000000000ff"));
    CHECK(!strcmp(str_of(o, "method"), "GET"));
    CHECK(!strcmp(str_of(o, "path"), "/hello?x=1"));
    CHECK(!strcmp(str_of(o, "route"), "/hello"));
    CHECK(!strcmp(str_of(o, "component"), "hello"));
    CHECK_EQ(num_of(o, "status"), 200);
    CHECK_EQ(num_of(o, "bytes"), 123);
    CHECK_EQ(num_of(o, "us"), 456);
    CHECK_EQ(num_of(o, "guest_us"), 300);
    CHECK(!strcmp(str_of(o, "client"), "127.0.0.1:5555"));
    CHECK(!strcmp(str_of(o, "proto"), "HTTP/1.1"));
    CHECK(cJSON_GetObjectItemCaseSensitive(o, "error") == NULL);
    CHECK(line_is_clean(s));
    cJSON_Delete(o);
    free(s);
}

TEST(accesslog_no_route_and_error)
{
    kn_access_entry e = sample();
    e.route = e.component = NULL;
    e.status = 404;
    e.ts = (kn_access_entry){.ts = {0, 999999999}}.ts; /* rounds down, never to 1.000000 */
    e.error = "trap: unreachable\n  at fn \"main\"";
    char *s = format(&e);
    CHECK(s != NULL);
    CHECK(strstr(s, "\"ts\":\"1970-01-01T00:00:00.999999Z\"") != NULL);
    cJSON *o = cJSON_Parse(s);
    CHECK(o != NULL);
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "route")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "component")));
    CHECK(!strcmp(str_of(o, "error"), "trap: unreachable\n  at fn \"main\""));
    CHECK_EQ(num_of(o, "status"), 404);
    CHECK(line_is_clean(s));
    cJSON_Delete(o);
    free(s);
}

TEST(accesslog_timestamps)
{
    static const struct {
        time_t sec;
        long nsec;
        const char *want;
    } cases[] = {
        {0, 0, "1970-01-01T00:00:00.000000Z"},
        {951782400, 1000, "2000-02-29T00:00:00.000001Z"},
        {1709251199, 999999999, "2024-02-29T23:59:59.999999Z"},
        {4102444799, 500000, "2099-12-31T23:59:59.000500Z"},
        {-1, 0, "1969-12-31T23:59:59.000000Z"},
        {1796322000, 123456789, "2026-12-03T18:20:00.123456Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kn_access_entry e = sample();
        e.ts.tv_sec = cases[i].sec;
        e.ts.tv_nsec = cases[i].nsec;
        char *s = format(&e), want[64];
        snprintf(want, sizeof want, "{\"ts\":\"%s\",", cases[i].want);
        if (strncmp(s, want, strlen(want)))
            CHECK_EQ(i, -1);
        free(s);
    }
    /* every day for 400 years (one full Gregorian cycle) against gmtime_r */
    int bad = 0;
    for (long day = -73000; day < 73000; day++) {
        kn_access_entry e = sample();
        e.ts.tv_sec = day * 86400 + 3661;
        e.ts.tv_nsec = 0;
        struct tm tm;
        gmtime_r(&e.ts.tv_sec, &tm);
        char want[64], got[64];
        snprintf(want, sizeof want, "{\"ts\":\"%04d-%02d-%02dT01:01:01.000000Z\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        kn_accesslog_format(&e, got, sizeof got);
        bad += strncmp(got, want, strlen(want)) != 0;
    }
    CHECK_EQ(bad, 0);
}

TEST(accesslog_format_reports_length)
{
    kn_access_entry e = sample();
    char small[16];
    size_t n = kn_accesslog_format(&e, small, sizeof small);
    CHECK(n > sizeof small);
    char *big = malloc(n + 1);
    CHECK_EQ(kn_accesslog_format(&e, big, n + 1), n);
    CHECK_EQ(strlen(big), n);
    free(big);
    char exact[1024];
    CHECK_EQ(kn_accesslog_format(&e, exact, n), n); /* no room for the NUL: too small */
}

TEST(accesslog_hostile_path)
{
    static const char path[] =
        "/a\"b\\c\x01\n\t\x1f\x7f" /* quotes, backslash, control bytes, DEL */
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"  /* é € 😀: valid, kept */
        "\xff\xfe"                              /* never valid */
        "\xc0\xaf"                              /* overlong '/' */
        "\xed\xa0\x80"                          /* a surrogate */
        "\xf4\x90\x80\x80"                      /* above U+10FFFF */
        "\xe2\x82"                              /* truncated € */
        "\0z";                                  /* NUL inside */
    kn_access_entry e = sample();
    e.path = path;
    e.path_len = sizeof path - 1;
    e.method = "G\"T\x80";
    e.method_len = 4;
    char *s = format(&e);
    CHECK(s != NULL);
    CHECK(line_is_clean(s));
    CHECK(strstr(s, "\"path\":\"/a\\\"b\\\\c\\u0001\\n\\t\\u001f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                    "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
                    "\\ufffd\\ufffd\\u0000z\"") != NULL);
    cJSON *o = cJSON_Parse(s);
    CHECK(o != NULL);
    CHECK(!strcmp(str_of(o, "method"), "G\"T\xef\xbf\xbd"));
    /* cJSON's strings end at the escaped NUL */
    CHECK(!strcmp(str_of(o, "path"), "/a\"b\\c\x01\n\t\x1f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
    CHECK(!strcmp(str_of(o, "route"), "/hello")); /* what follows is intact */
    cJSON_Delete(o);
    free(s);
    /* every single byte value, alone and after a lead byte, stays clean */
    for (int c = 0; c < 256; c++) {
        char p[3] = {(char)c, (char)0xe2, (char)c};
        e.path = p;
        for (e.path_len = 1; e.path_len <= 3; e.path_len++) {
            char *t = format(&e);
            cJSON *q = cJSON_Parse(t);
            if (!line_is_clean(t) || !q)
                CHECK_EQ(c * 10 + (int)e.path_len, -1);
            cJSON_Delete(q);
            free(t);
        }
    }
}

/* ---- request ids ------------------------------------------------------------ */

#define ID_THREADS 4
#define IDS_EACH 200000

typedef struct id_job {
    kn_reqid *g;
    char (*ids)[KN_REQID_LEN + 1];
    _Atomic int *go;
} id_job;

static void *make_ids(void *arg)
{
    id_job *j = arg;
    while (!atomic_load(j->go)) /* start together, to contend */
        ;
    for (int i = 0; i < IDS_EACH; i++)
        kn_reqid_next(j->g, j->ids[i]);
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, KN_REQID_LEN + 1);
}

TEST(accesslog_request_ids_unique)
{
    kn_reqid g, h;
    kn_reqid_init(&g);
    kn_reqid_init(&h);
    char (*ids)[KN_REQID_LEN + 1] = malloc(sizeof *ids * ID_THREADS * IDS_EACH);
    pthread_t t[ID_THREADS];
    id_job j[ID_THREADS];
    _Atomic int go = 0;
    for (int i = 0; i < ID_THREADS; i++) {
        j[i] = (id_job){&g, ids + i * IDS_EACH, &go};
        CHECK_EQ(pthread_create(&t[i], NULL, make_ids, &j[i]), 0);
    }
    atomic_store(&go, 1);
    for (int i = 0; i < ID_THREADS; i++)
        pthread_join(t[i], NULL);
    int bad = 0;
    for (int i = 0; i < ID_THREADS * IDS_EACH; i++)
        bad += strlen(ids[i]) != KN_REQID_LEN ||
               strspn(ids[i], "0123456789abcdef") != KN_REQID_LEN;
    CHECK_EQ(bad, 0);
    qsort(ids, ID_THREADS * IDS_EACH, sizeof *ids, cmp_id);
    int dup = 0;
    for (int i = 1; i < ID_THREADS * IDS_EACH; i++)
        dup += !memcmp(ids[i - 1], ids[i], sizeof *ids);
    CHECK_EQ(dup, 0);
    /* another generator (another run) starts elsewhere */
    char a[KN_REQID_LEN + 1], b[KN_REQID_LEN + 1];
    kn_reqid_next(&h, a);
    kn_reqid_init(&h);
    kn_reqid_next(&h, b);
    CHECK(strcmp(a, b) != 0);
    free(ids);
}

/* ---- the writer ------------------------------------------------------------- */

typedef struct drain {
    int fd;
    char *buf;
    size_t len, cap;
} drain;

static void *drain_main(void *arg)
{
    drain *d = arg;
    for (;;) {
        if (d->len + 65536 > d->cap) {
            d->cap = d->cap ? d->cap * 2 : 1 << 20;
            d->buf = realloc(d->buf, d->cap + 1);
        }
        ssize_t n = read(d->fd, d->buf + d->len, 65536);
        if (n <= 0)
            break;
        d->len += (size_t)n;
    }
    d->buf[d->len] = 0;
    return NULL;
}

#define LOG_THREADS 4
#define LINES_EACH 3000

typedef struct log_job {
    kn_accesslog *l;
    kn_reqid *g;
    int thread, failed;
} log_job;

static char long_path[2 * PIPE_BUF];

static void *log_lines(void *arg)
{
    log_job *j = arg;
    for (int i = 0; i < LINES_EACH; i++) {
        char id[KN_REQID_LEN + 1];
        kn_reqid_next(j->g, id);
        kn_access_entry e = sample();
        e.id = id;
        e.status = j->thread;
        e.bytes = (uint64_t)i;
        if (i % 100 == 7) { /* a line longer than PIPE_BUF, written alone */
            e.path = long_path;
            e.path_len = sizeof long_path - 1;
        }
        j->failed += kn_accesslog_write(j->l, &e) != 0;
    }
    return NULL;
}

/* Each line parses and each thread's lines arrive complete and in order. */
static int check_lines(char *text, int threads, int each)
{
    int next[LOG_THREADS] = {0}, lines = 0;
    for (char *l = text, *nl; *l; l = nl + 1) {
        if (!(nl = strchr(l, '\n')))
            return -1;
        *nl = 0;
        cJSON *o = cJSON_Parse(l);
        int t = (int)num_of(o, "status"), i = (int)num_of(o, "bytes");
        cJSON_Delete(o);
        if (!o || t < 0 || t >= threads || i != next[t]++)
            return -2;
        lines++;
    }
    return lines == threads * each ? 0 : -3;
}

TEST(accesslog_threads_through_a_pipe)
{
    memset(long_path, 'x', sizeof long_path - 1);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    drain d = {.fd = p[0]};
    pthread_t dt, t[LOG_THREADS];
    CHECK_EQ(pthread_create(&dt, NULL, drain_main, &d), 0);
    fcntl(p[1], F_SETFL, O_NONBLOCK); /* as a shared stderr may be: must not drop */
    kn_accesslog *l = kn_accesslog_new(p[1], 64 << 20);
    CHECK(l != NULL);
    kn_reqid g;
    kn_reqid_init(&g);
    log_job j[LOG_THREADS];
    for (int i = 0; i < LOG_THREADS; i++) {
        j[i] = (log_job){l, &g, i, 0};
        CHECK_EQ(pthread_create(&t[i], NULL, log_lines, &j[i]), 0);
    }
    for (int i = 0; i < LOG_THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(j[i].failed, 0);
    }
    kn_accesslog_free(l); /* writes everything queued */
    close(p[1]);
    pthread_join(dt, NULL);
    close(p[0]);
    CHECK_EQ(check_lines(d.buf, LOG_THREADS, LINES_EACH), 0);
    free(d.buf);
}

TEST(accesslog_to_a_file)
{
    char name[] = "/tmp/kiln-accesslog-XXXXXX";
    int fd = mkstemp(name);
    CHECK(fd >= 0);
    unlink(name);
    kn_accesslog *l = kn_accesslog_new(fd, 0);
    kn_access_entry e = sample();
    CHECK_EQ(kn_accesslog_write(l, &e), 0);
    e.error = "deadline";
    CHECK_EQ(kn_accesslog_write(l, &e), 0);
    CHECK_EQ(kn_accesslog_dropped(l), 0);
    kn_accesslog_free(l);
    char buf[2048] = {0};
    CHECK(pread(fd, buf, sizeof buf - 1, 0) > 0);
    close(fd);
    char *second = strchr(buf, '\n');
    CHECK(second && strchr(second + 1, '\n') && !strchr(second + 1, '\n')[1]);
    CHECK(second && strstr(second, "\"error\":\"deadline\"}\n"));
    CHECK(!strstr(buf, "\"error\"") || strstr(buf, "\"error\"") > second);
}

/* A consumer that stops reading: requests never wait, and every line is
 * either delivered or counted as dropped. */
TEST(accesslog_stalled_consumer_drops_and_counts)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    /* fill the pipe so the writer thread blocks on its first write */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char junk[4096];
    memset(junk, '\n', sizeof junk);
    size_t prefilled = 0;
    for (ssize_t n; (n = write(p[1], junk, sizeof junk)) > 0;)
        prefilled += (size_t)n;
    fcntl(p[1], F_SETFL, 0);
    kn_accesslog *l = kn_accesslog_new(p[1], 8192);
    kn_access_entry e = sample();
    int sent = 0, refused = 0;
    for (; sent < 2000; sent++) {
        e.bytes = (uint64_t)sent;
        refused += kn_accesslog_write(l, &e) != 0;
    }
    CHECK(refused > 0);
    CHECK_EQ(kn_accesslog_dropped(l), refused);
    drain d = {.fd = p[0]};
    pthread_t dt;
    CHECK_EQ(pthread_create(&dt, NULL, drain_main, &d), 0);
    kn_accesslog_free(l);
    close(p[1]);
    pthread_join(dt, NULL);
    close(p[0]);
    int got = 0;
    for (size_t i = prefilled; i < d.len; i++)
        got += d.buf[i] == '\n';
    CHECK_EQ(got + refused, sent);
    free(d.buf);
}

TEST(accesslog_gone_consumer_counts_lost_lines)
{
    signal(SIGPIPE, SIG_IGN); /* as the server does */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    close(p[0]);
    kn_accesslog *l = kn_accesslog_new(p[1], 0);
    kn_access_entry e = sample();
    for (int i = 0; i < 10; i++)
        CHECK_EQ(kn_accesslog_write(l, &e), 0); /* queued: the loss shows later */
    for (int i = 0; i < 2000 && kn_accesslog_dropped(l) < 10; i++)
        usleep(1000);
    CHECK_EQ(kn_accesslog_dropped(l), 10);
    kn_accesslog_free(l);
    close(p[1]);
}
