/*
 * test_plugin_threads.c — one plugin, many threads: 8 threads calling at
 * once (each output checked; a call never sees another's input), the pool
 * bounded by max_instances with callers waiting, cancel tokens fired from
 * another thread (during a call, before one, and reset), a plugin freed
 * while a call is still running; and input/output sizes from 0 to 64 MiB.
 */
#include <pthread.h>
#include <time.h>

#include "plugin_test.h"

static kiln_engine *engine(void)
{
    kiln_engine *e = NULL;
    kiln_error *err = kiln_engine_new(NULL, &e);
    kiln_error_free(err);
    return e;
}

#define NTHREADS 8
#define NCALLS 300

typedef struct worker {
    kiln_plugin *p;
    int id, bad;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < NCALLS; i++) {
        char in[64];
        snprintf(in, sizeof in, "thread %d call %d", w->id, i);
        const char *fn = i % 2 ? "echo" : "isolation";
        uint8_t *out = NULL;
        size_t len = 0;
        kiln_error *e = kiln_plugin_call(w->p, fn, in, strlen(in), NULL, &out, &len);
        if (e || len != strlen(in) || memcmp(out, in, len))
            w->bad++;
        kiln_error_free(e);
        free(out);
    }
    return NULL;
}

static void run_threads(kiln_plugin *p, int *bad)
{
    pthread_t t[NTHREADS];
    worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (worker){.p = p, .id = i};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    *bad = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        *bad += w[i].bad;
    }
}

TEST(plugin_concurrency)
{
    kiln_engine *eng = engine();
    kiln_plugin *p = pt_load(eng, "basic.wasm", NULL);
    CHECK(p);
    if (p) {
        int bad;
        run_threads(p, &bad);
        CHECK_EQ(bad, 0);
        kiln_plugin_stats s;
        kiln_plugin_get_stats(p, &s);
        CHECK_EQ(s.calls, NTHREADS * NCALLS);
        CHECK_EQ(s.errors, 0);
        CHECK(s.instances >= 1 && s.instances <= NTHREADS);
        CHECK_EQ(s.busy, 0);
    }
    kiln_plugin_free(p);
    /* two instances for eight threads: callers wait, none fails */
    kiln_plugin_options o = {.max_instances = 2};
    p = pt_load(eng, "basic.wasm", &o);
    CHECK(p);
    if (p) {
        int bad;
        run_threads(p, &bad);
        CHECK_EQ(bad, 0);
        kiln_plugin_stats s;
        kiln_plugin_get_stats(p, &s);
        CHECK(s.instances <= 2);
    }
    kiln_plugin_free(p);
    kiln_engine_free(eng);
}

typedef struct looper {
    kiln_plugin *p;
    kiln_plugin_cancel *c;
    kiln_error *e;
    const char *fn;
} looper;

static void *call_loop(void *arg)
{
    looper *l = arg;
    kiln_plugin_call_opts o = {.cancel = l->c};
    uint8_t *out = NULL;
    size_t len;
    l->e = kiln_plugin_call(l->p, l->fn, NULL, 0, &o, &out, &len);
    free(out);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

TEST(plugin_cancel)
{
    kiln_engine *eng = engine();
    kiln_plugin *p = pt_load(eng, "basic.wasm", NULL);
    kiln_plugin_cancel *c = NULL;
    kiln_error *e = kiln_plugin_cancel_new(&c);
    CHECK(!e && p);
    if (!p || !c)
        return;
    /* fired from another thread while the guest loops */
    looper l[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        l[i] = (looper){.p = p, .c = c, .fn = "loop"};
        pthread_create(&t[i], NULL, call_loop, &l[i]);
    }
    sleep_ms(50);
    kiln_plugin_cancel_fire(c);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        CHECK(l[i].e && kiln_error_kind_of(l[i].e) == KILN_ERR_LIMIT &&
              kiln_error_trap(l[i].e) == KILN_TRAP_INTERRUPT);
        kiln_error_free(l[i].e);
    }
    /* a fired token fails later calls at once, until reset */
    kiln_plugin_call_opts o = {.cancel = c};
    CHECK(!pt_call(p, "echo", "x", &o, &e));
    CHECK(e && kiln_error_trap(e) == KILN_TRAP_INTERRUPT);
    kiln_error_free(e);
    kiln_plugin_cancel_reset(c);
    CHECK_STR(pt_call(p, "echo", "after reset", &o, NULL), "after reset");
    /* fired at every moment around the call's start: never lost */
    for (int i = 0; i < 50; i++) {
        kiln_plugin_cancel_reset(c);
        looper one = {.p = p, .c = c, .fn = "loop"};
        pthread_t th;
        pthread_create(&th, NULL, call_loop, &one);
        if (i % 5)
            sleep_ms(i % 3);
        kiln_plugin_cancel_fire(c);
        pthread_join(th, NULL);
        CHECK(one.e && kiln_error_trap(one.e) == KILN_TRAP_INTERRUPT);
        kiln_error_free(one.e);
    }
    kiln_plugin_stats s;
    kiln_plugin_get_stats(p, &s);
    CHECK_EQ(s.cancelled, 54);
    kiln_plugin_free(p);
    kiln_plugin_cancel_free(c);
    kiln_engine_free(eng);
}

/* kiln_plugin_free returns at once; the call running keeps the plugin
 * alive until it returns (ASan checks the use after). */
TEST(plugin_free_during_call)
{
    kiln_engine *eng = engine();
    kiln_plugin_manifest *m = pt_manifest("basic.wasm");
    if (m)
        kiln_plugin_manifest_set_timeout_ms(m, 100);
    kiln_plugin *p = pt_load_m(eng, m, NULL);
    kiln_plugin_manifest_free(m);
    CHECK(p);
    if (!p)
        return;
    looper l = {.p = p, .fn = "loop"};
    pthread_t t;
    pthread_create(&t, NULL, call_loop, &l);
    sleep_ms(20);
    kiln_plugin_free(p);
    pthread_join(t, NULL);
    CHECK(l.e && kiln_error_trap(l.e) == KILN_TRAP_DEADLINE);
    kiln_error_free(l.e);
    kiln_engine_free(eng);
}

static bool echo_size(kiln_plugin *p, const char *fn, size_t n)
{
    uint8_t *in = malloc(n ? n : 1), *out = NULL;
    for (size_t i = 0; i < n; i++)
        in[i] = (uint8_t)(i * 131 + (i >> 13));
    size_t len = 0;
    kiln_error *e = kiln_plugin_call(p, fn, in, n, NULL, &out, &len);
    bool ok = !e && len == n && (n == 0 ? out == NULL : memcmp(in, out, n) == 0);
    if (e)
        printf("  %s(%zu): %s\n", fn, n, kiln_error_message(e));
    kiln_error_free(e);
    free(in);
    free(out);
    return ok;
}

TEST(plugin_sizes)
{
    kiln_engine *eng = engine();
    kiln_plugin *p = pt_load(eng, "basic.wasm", NULL);
    CHECK(p);
    if (p) {
        static const size_t sizes[] = {0, 1, 7, 8, 9, 15, 16, 1023, 1024, 65536, 1 << 20};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            CHECK(echo_size(p, "echo", sizes[i]));
            CHECK(echo_size(p, "echo_zero_copy", sizes[i]));
        }
        CHECK(echo_size(p, "echo_zero_copy", (size_t)64 << 20));
        CHECK(echo_size(p, "echo", (size_t)64 << 20));
        CHECK(echo_size(p, "echo", 3));   /* and small again after */
    }
    kiln_plugin_free(p);
    kiln_engine_free(eng);
}
