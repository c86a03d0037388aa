/* test_metrics.c — the metrics registry: counts by status, histogram
 * buckets (inclusive upper bounds, cumulative, +Inf == _count), label
 * escaping, the status overflow series, trap and limit kinds, gauges across
 * shards, a reload that keeps counters, and exact totals after threads
 * update while another renders and registers. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/unit.h"
#include "metrics.h"

static char *render(kn_metrics *m)
{
    char *s = NULL;
    size_t len = 0;
    if (kn_metrics_render(m, &s, &len))
        return NULL;
    if (strlen(s) != len) {
        free(s);
        return NULL;
    }
    return s;
}

/* The value of the sample whose line starts with SERIES and a space, or -1
 * (as a double, so sums can be checked too). */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, series, n) && l[n] == ' ')
            return strtod(l + n + 1, NULL);
    return -1;
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, line, n) && l[n] == '\n')
            return 1;
    return 0;
}

#define REQ "kiln_http_requests_total{component=\"hello\",route=\"/hello\",status="
#define DUR "kiln_http_request_duration_seconds"
#define HL "component=\"hello\",route=\"/hello\""

TEST(metrics_requests_by_status)
{
    kn_metrics *m = kn_metrics_new(4);
    kn_metrics_component *c = kn_metrics_component_get(m, "hello");
    kn_metrics_route *r = kn_metrics_route_get(m, c, "/hello");
    for (unsigned i = 0; i < 3; i++)
        kn_metrics_request(r, i, 200, 1000);
    kn_metrics_request(r, 7, 404, 1000);
    char *t = render(m);
    CHECK(t != NULL);
    CHECK_EQ(value_of(t, REQ "\"200\"}"), 3);
    CHECK_EQ(value_of(t, REQ "\"404\"}"), 1);
    CHECK_EQ(value_of(t, REQ "\"500\"}"), -1);
    CHECK_EQ(value_of(t, REQ "\"other\"}"), -1);
    CHECK(strstr(t, "# TYPE kiln_http_requests_total counter\n") != NULL);
    /* 200 sorts before 404 */
    CHECK(strstr(t, REQ "\"200\"}") < strstr(t, REQ "\"404\"}"));
    free(t);
    kn_metrics_free(m);
}

TEST(metrics_histogram_buckets)
{
    kn_metrics *m = kn_metrics_new(2);
    kn_metrics_route *r = kn_metrics_route_get(m, kn_metrics_component_get(m, "hello"), "/hello");
    kn_metrics_request(r, 0, 200, 50000);       /* 50 µs */
    kn_metrics_request(r, 1, 200, 100000);      /* exactly 100 µs: le is inclusive */
    kn_metrics_request(r, 0, 200, 300000);      /* 300 µs */
    kn_metrics_request(r, 1, 200, 20000000000); /* 20 s: only +Inf */
    char *t = render(m);
    CHECK(t != NULL);
    CHECK(strstr(t, "# TYPE " DUR " histogram\n") != NULL);
    CHECK(has_line(t, DUR "_bucket{" HL ",le=\"0.0001\"} 2"));
    CHECK(has_line(t, DUR "_bucket{" HL ",le=\"0.00025\"} 2"));
    CHECK(has_line(t, DUR "_bucket{" HL ",le=\"0.0005\"} 3"));
    CHECK(has_line(t, DUR "_bucket{" HL ",le=\"2.5\"} 3"));
    CHECK(has_line(t, DUR "_bucket{" HL ",le=\"10\"} 3"));
    CHECK(has_line(t, DUR "_bucket{" HL ",le=\"+Inf\"} 4"));
    CHECK(has_line(t, DUR "_count{" HL "} 4"));
    CHECK(has_line(t, DUR "_sum{" HL "} 20.00045"));
    free(t);
    kn_metrics_free(m);
}

TEST(metrics_component_histograms)
{
    kn_metrics *m = kn_metrics_new(1);
    kn_metrics_component *c = kn_metrics_component_get(m, "c");
    kn_metrics_instantiation(c, 0, 900);  /* 0.9 µs */
    kn_metrics_instantiation(c, 0, 4000); /* 4 µs */
    kn_metrics_guest(c, 0, 2000000, 1234, 65536);
    kn_metrics_guest(c, 0, 2000000, 1000, 3 << 20);
    char *t = render(m);
    CHECK(t != NULL);
    CHECK(has_line(t, "kiln_instantiation_duration_seconds_bucket{component=\"c\",le=\"1e-06\"} 1"));
    CHECK(has_line(t, "kiln_instantiation_duration_seconds_bucket{component=\"c\",le=\"2.5e-06\"} 1"));
    CHECK(has_line(t, "kiln_instantiation_duration_seconds_bucket{component=\"c\",le=\"5e-06\"} 2"));
    CHECK(has_line(t, "kiln_instantiation_duration_seconds_bucket{component=\"c\",le=\"0.01\"} 2"));
    CHECK(has_line(t, "kiln_instantiation_duration_seconds_sum{component=\"c\"} 4.9e-06"));
    CHECK(has_line(t, "kiln_guest_duration_seconds_bucket{component=\"c\",le=\"0.001\"} 0"));
    CHECK(has_line(t, "kiln_guest_duration_seconds_bucket{component=\"c\",le=\"0.0025\"} 2"));
    CHECK(has_line(t, "kiln_guest_duration_seconds_sum{component=\"c\"} 0.004"));
    CHECK(has_line(t, "kiln_guest_memory_bytes_bucket{component=\"c\",le=\"65536\"} 1"));
    CHECK(has_line(t, "kiln_guest_memory_bytes_bucket{component=\"c\",le=\"1048576\"} 1"));
    CHECK(has_line(t, "kiln_guest_memory_bytes_bucket{component=\"c\",le=\"4194304\"} 2"));
    CHECK(has_line(t, "kiln_guest_memory_bytes_sum{component=\"c\"} 3211264"));
    CHECK(has_line(t, "kiln_guest_fuel_consumed_total{component=\"c\"} 2234"));
    free(t);
    kn_metrics_free(m);
}

TEST(metrics_label_escaping)
{
    kn_metrics *m = kn_metrics_new(1);
    kn_metrics_component *c = kn_metrics_component_get(m, "a\"b\\c\nd");
    kn_metrics_route *r = kn_metrics_route_get(m, c, "/x/\"...");
    kn_metrics_request(r, 0, 200, 1);
    CHECK_EQ(kn_metrics_set_app(m, "app\n", "1.0\\"), 0);
    char *t = render(m);
    CHECK(t != NULL);
    CHECK(has_line(t, "kiln_http_requests_total{component=\"a\\\"b\\\\c\\nd\","
                      "route=\"/x/\\\"...\",status=\"200\"} 1"));
    CHECK(has_line(t, "kiln_instances_live{component=\"a\\\"b\\\\c\\nd\"} 0"));
    CHECK(has_line(t, "kiln_app_info{name=\"app\\n\",version=\"1.0\\\\\"} 1"));
    free(t);
    kn_metrics_free(m);
}

TEST(metrics_status_overflow_is_bounded)
{
    kn_metrics *m = kn_metrics_new(2);
    kn_metrics_route *r = kn_metrics_route_get(m, kn_metrics_component_get(m, "hello"), "/hello");
    for (int s = 100; s < 140; s++) /* 40 distinct codes, colliding mod 32 */
        kn_metrics_request(r, (unsigned)s, s, 1);
    kn_metrics_request(r, 0, 100, 1); /* a known code still finds its slot */
    kn_metrics_request(r, 0, 0, 1);   /* nonsense statuses go to "other" too */
    char *t = render(m);
    CHECK(t != NULL);
    CHECK_EQ(value_of(t, REQ "\"100\"}"), 2);
    CHECK_EQ(value_of(t, REQ "\"131\"}"), 1);
    CHECK_EQ(value_of(t, REQ "\"132\"}"), -1);
    CHECK_EQ(value_of(t, REQ "\"other\"}"), 9);
    CHECK_EQ(value_of(t, DUR "_count{" HL "}"), 42);
    free(t);
    kn_metrics_free(m);
}

TEST(metrics_traps_and_limits)
{
    kn_metrics *m = kn_metrics_new(2);
    kn_metrics_component *c = kn_metrics_component_get(m, "c");
    kn_metrics_trap(c, 0, KILN_TRAP_MEMORY_OOB);
    kn_metrics_trap(c, 1, KILN_TRAP_MEMORY_OOB);
    kn_metrics_trap(c, 0, KILN_TRAP_UNREACHABLE);
    kn_metrics_trap(c, 0, KILN_TRAP_OUT_OF_FUEL);
    kn_metrics_trap(c, 0, KILN_TRAP_DEADLINE);
    kn_metrics_trap(c, 0, KILN_TRAP_INTERRUPT);
    kn_metrics_trap(c, 0, KILN_TRAP_EXIT);
    kn_metrics_trap(c, 0, KILN_TRAP_NONE);
    kn_metrics_trap(c, 0, (kiln_trap_code)999);
    kn_metrics_limit(c, 1, KN_LIMIT_MEMORY);
    kn_metrics_limit(c, 1, KN_LIMIT_COUNT_);
    char *t = render(m);
    CHECK(t != NULL);
    CHECK_EQ(value_of(t, "kiln_guest_traps_total{component=\"c\",kind=\"memory_oob\"}"), 2);
    CHECK_EQ(value_of(t, "kiln_guest_traps_total{component=\"c\",kind=\"unreachable\"}"), 1);
    CHECK_EQ(value_of(t, "kiln_guest_traps_total{component=\"c\",kind=\"table_oob\"}"), 0);
    CHECK_EQ(value_of(t, "kiln_guest_traps_total{component=\"c\",kind=\"exit\"}"), -1);
    CHECK_EQ(value_of(t, "kiln_guest_limits_total{component=\"c\",kind=\"fuel\"}"), 1);
    CHECK_EQ(value_of(t, "kiln_guest_limits_total{component=\"c\",kind=\"deadline\"}"), 1);
    CHECK_EQ(value_of(t, "kiln_guest_limits_total{component=\"c\",kind=\"interrupt\"}"), 1);
    CHECK_EQ(value_of(t, "kiln_guest_limits_total{component=\"c\",kind=\"memory\"}"), 1);
    CHECK(kn_metrics_trap_kind(KILN_TRAP_EXIT) == NULL);
    CHECK(!strcmp(kn_metrics_trap_kind(KILN_TRAP_STACK_EXHAUSTED), "stack_exhausted"));
    free(t);
    kn_metrics_free(m);
}

TEST(metrics_gauges_across_shards)
{
    kn_metrics *m = kn_metrics_new(3);
    kn_metrics_component *c = kn_metrics_component_get(m, "c");
    kn_metrics_live_add(c, 0, 3);
    kn_metrics_live_add(c, 1, -1); /* freed by another thread than made it */
    kn_metrics_pooled_add(c, 2, 2);
    kn_metrics_pooled_add(c, 5, -2);
    char *t = render(m);
    CHECK(t != NULL);
    CHECK(has_line(t, "kiln_instances_live{component=\"c\"} 2"));
    CHECK(has_line(t, "kiln_instances_pooled{component=\"c\"} 0"));
    CHECK(strstr(t, "# TYPE kiln_instances_live gauge\n") != NULL);
    free(t);
    kn_metrics_free(m);
}

TEST(metrics_info_reloads_process)
{
    kn_metrics *m = kn_metrics_new(1);
    kn_metrics_reload(m, 1);
    kn_metrics_reload(m, 0);
    kn_metrics_reload(m, 1);
    char *t = render(m);
    CHECK(t != NULL);
    char want[256];
    snprintf(want, sizeof want, "kiln_build_info{version=\"%s\"} 1", kiln_version());
    CHECK(has_line(t, want));
    CHECK(strstr(t, "kiln_app_info") == NULL); /* not before set_app */
    CHECK(has_line(t, "kiln_reloads_total{result=\"ok\"} 2"));
    CHECK(has_line(t, "kiln_reloads_total{result=\"failed\"} 1"));
    CHECK(value_of(t, "process_open_fds") >= 3);
    CHECK(value_of(t, "process_resident_memory_bytes") > 0);
    CHECK(value_of(t, "process_cpu_seconds_total") >= 0);
    CHECK(value_of(t, "process_start_time_seconds") > 1.7e9);
    free(t);
    kn_metrics_free(m);
}

TEST(metrics_reload_keeps_counters)
{
    kn_metrics *m = kn_metrics_new(2);
    kn_metrics_component *a = kn_metrics_component_get(m, "a");
    kn_metrics_route *ra = kn_metrics_route_get(m, a, "/a");
    kn_metrics_request(ra, 0, 200, 1);
    kn_metrics_trap(a, 0, KILN_TRAP_UNREACHABLE);
    /* the new manifest: a stays (same handles), b is new, /a moves to b */
    CHECK(kn_metrics_component_get(m, "a") == a);
    CHECK(kn_metrics_route_get(m, a, "/a") == ra);
    kn_metrics_component *b = kn_metrics_component_get(m, "b");
    CHECK(b != a);
    kn_metrics_route *rb = kn_metrics_route_get(m, b, "/a");
    CHECK(rb != ra);
    kn_metrics_request(ra, 1, 200, 1); /* an old request finishing */
    kn_metrics_request(rb, 1, 200, 1);
    char *t = render(m);
    CHECK(t != NULL);
    CHECK_EQ(value_of(t, "kiln_http_requests_total{component=\"a\",route=\"/a\",status=\"200\"}"), 2);
    CHECK_EQ(value_of(t, "kiln_http_requests_total{component=\"b\",route=\"/a\",status=\"200\"}"), 1);
    CHECK_EQ(value_of(t, "kiln_guest_traps_total{component=\"a\",kind=\"unreachable\"}"), 1);
    /* each family's header appears once, whatever the number of entries */
    const char *h = strstr(t, "# TYPE kiln_guest_traps_total counter");
    CHECK(h && !strstr(h + 1, "# TYPE kiln_guest_traps_total counter"));
    free(t);
    kn_metrics_free(m);
}

/* ---- concurrency ------------------------------------------------------------- */

#define THREADS 4 /* shards */
#define WORKERS 6 /* two shards are shared by two workers each */
#define PER_THREAD 100000

typedef struct worker {
    kn_metrics *m;
    kn_metrics_route *r;
    kn_metrics_component *c;
    unsigned shard;
    _Atomic int *go;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    while (!atomic_load(w->go)) /* start together, to contend */
        ;
    for (unsigned i = 0; i < PER_THREAD; i++) {
        kn_metrics_request(w->r, w->shard, i % 3 ? 200 : 500, 1000 * (i % 1000));
        kn_metrics_guest(w->c, w->shard, 500, 10, 65536);
        kn_metrics_live_add(w->c, w->shard, 1);
        kn_metrics_live_add(w->c, w->shard + 1, -1);
    }
    return NULL;
}

typedef struct renderer {
    kn_metrics *m;
    _Atomic int stop;
    int renders, failures;
} renderer;

/* Renders and registers new components (as reloads do) while workers run. */
static void *render_loop(void *arg)
{
    renderer *x = arg;
    char name[32];
    while (!atomic_load(&x->stop)) {
        snprintf(name, sizeof name, "new%d", x->renders % 50);
        kn_metrics_component *c = kn_metrics_component_get(x->m, name);
        if (!c || !kn_metrics_route_get(x->m, c, "/new"))
            x->failures++;
        char *t = render(x->m);
        if (!t || !strstr(t, "kiln_http_requests_total{component=\"w\",route=\"/w\""))
            x->failures++;
        free(t);
        x->renders++;
    }
    return NULL;
}

TEST(metrics_concurrent_updates_exact_totals)
{
    kn_metrics *m = kn_metrics_new(THREADS);
    kn_metrics_component *c = kn_metrics_component_get(m, "w");
    kn_metrics_route *r = kn_metrics_route_get(m, c, "/w");
    kn_metrics_request(r, 0, 200, 0); /* so the first render has the series */
    worker w[WORKERS];
    pthread_t t[WORKERS], rt;
    _Atomic int go = 0;
    renderer x = {.m = m};
    CHECK_EQ(pthread_create(&rt, NULL, render_loop, &x), 0);
    for (unsigned i = 0; i < WORKERS; i++) {
        /* workers 4 and 5 share shards 0 and 1: slower, still exact */
        w[i] = (worker){m, r, c, i % THREADS, &go};
        CHECK_EQ(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    atomic_store(&go, 1);
    for (unsigned i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    atomic_store(&x.stop, 1);
    pthread_join(rt, NULL);
    CHECK(x.renders > 0);
    CHECK_EQ(x.failures, 0);
    char *s = render(m);
    CHECK(s != NULL);
    long n = (long)WORKERS * PER_THREAD, n500 = WORKERS * ((PER_THREAD + 2) / 3);
    CHECK_EQ(value_of(s, "kiln_http_requests_total{component=\"w\",route=\"/w\",status=\"200\"}"),
             n - n500 + 1);
    CHECK_EQ(value_of(s, "kiln_http_requests_total{component=\"w\",route=\"/w\",status=\"500\"}"),
             n500);
    CHECK_EQ(value_of(s, DUR "_count{component=\"w\",route=\"/w\"}"), n + 1);
    CHECK_EQ(value_of(s, "kiln_guest_duration_seconds_count{component=\"w\"}"), n);
    CHECK_EQ(value_of(s, "kiln_guest_fuel_consumed_total{component=\"w\"}"), 10 * n);
    CHECK_EQ(value_of(s, "kiln_instances_live{component=\"w\"}"), 0);
    /* durations: sum of 1000 × (i % 1000) ns over each thread's run */
    double per = 0;
    for (unsigned i = 0; i < PER_THREAD; i++)
        per += 1000.0 * (i % 1000);
    double sum = value_of(s, DUR "_sum{component=\"w\",route=\"/w\"}");
    CHECK(sum > WORKERS * per / 1e9 * 0.999999 && sum < WORKERS * per / 1e9 * 1.000001);
    free(s);
    kn_metrics_free(m);
}
