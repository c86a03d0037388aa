/*
 * test_registry.c — kiln_plugin_registry: loading, promotion, canary
 * shares (deterministic per key, near the percent over many keys, exact
 * with the round-robin counter), rollback, unload refusals, refused
 * versions that change nothing, a version freed only when its last call
 * returns, the stress test of issue 10 (4 threads calling while the main
 * thread loads, promotes, canaries, rolls back and unloads 100 versions:
 * no call fails, every call is answered by the version it reports) and
 * the directory watcher.
 *
 * The plugins are tests/plugin/plugins/registry_echo.c (answers its
 * config "version", fails its self-test with config "fail") and
 * registry_hold.c (its "hold" export blocks in the host function "hold"
 * while the test wants a call in flight), built to wasm by the plugin
 * suite into $KILN_PLUGIN_DIR (default build/plugin-test).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kiln_plugin.h"
#include "registry.h"
#include "unit.h"

/* ---- helpers ------------------------------------------------------------------ */

static uint8_t *wasm_read(const char *name, size_t *len)
{
    const char *dir = getenv("KILN_PLUGIN_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wasm", dir ? dir : "build/plugin-test", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("  cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *b = NULL;
    size_t n = 0, cap = 0, k;
    do {
        if (n == cap)
            b = realloc(b, cap = cap ? 2 * cap : 65536);
        k = fread(b + n, 1, cap - n, f);
        n += k;
    } while (k > 0);
    fclose(f);
    *len = n;
    return b;
}

/* registry_echo as version (config "version"), failing its self-test if fail. */
static kiln_plugin_manifest *echo_manifest(const char *version, bool fail)
{
    size_t len;
    uint8_t *b = wasm_read("registry_echo", &len);
    kiln_plugin_manifest *m = NULL;
    if (!b || kiln_plugin_manifest_from_wasm(b, len, &m)) {
        free(b);
        return NULL;
    }
    free(b);
    if (version && kiln_plugin_manifest_set_config(m, "version", version))
        CHECK(0);
    if (fail && kiln_plugin_manifest_set_config(m, "fail", "1"))
        CHECK(0);
    return m;
}

static bool load_echo(kiln_plugin_registry *r, const char *name, const char *version, bool fail,
                      const char *self_test)
{
    kiln_plugin_manifest *m = echo_manifest(version, fail);
    if (!m)
        return false;
    kiln_error *e = kiln_plugin_registry_load(r, name, version, m, self_test);
    kiln_plugin_manifest_free(m);
    if (e) {
        if (!fail)
            printf("  load %s@%s: %s\n", name, version, kiln_error_message(e));
        kiln_error_free(e);
        return false;
    }
    return true;
}

/* Call name's "version"; the output must be the version reported.  Returns
 * the version (interned by the registry) or NULL on any failure. */
static const char *call_version(kiln_plugin_registry *r, const char *name, const char *key)
{
    uint8_t *out = NULL;
    size_t len = 0;
    const char *version = NULL;
    kiln_error *e = kiln_plugin_registry_call(r, name, "version", key, key ? strlen(key) : 0,
                                              NULL, 0, NULL, &out, &len, &version);
    if (e) {
        printf("  call %s: %s\n", name, kiln_error_message(e));
        kiln_error_free(e);
        return NULL;
    }
    bool same = version && len == strlen(version) && memcmp(out, version, len) == 0;
    free(out);
    return same ? version : NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool fails_with(kiln_error *e, kiln_error_kind kind)
{
    bool ok = e && kiln_error_kind_of(e) == kind;
    if (e && !ok)
        printf("  unexpected error: %s\n", kiln_error_message(e));
    kiln_error_free(e);
    return ok;
}

/* The host function "hold": blocks while the gate is closed. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool closed;
    int waiting;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0};

static kiln_error *hold_fn(kiln_plugin_ctx *ctx, void *env, const kiln_val *args,
                           kiln_val *results)
{
    pthread_mutex_lock(&gate.lock);
    gate.waiting++;
    pthread_cond_broadcast(&gate.cond);
    while (gate.closed)
        pthread_cond_wait(&gate.cond, &gate.lock);
    gate.waiting--;
    pthread_mutex_unlock(&gate.lock);
    return NULL;
}

static const kiln_plugin_func hold_func = {
    .module = NULL, .name = "hold", .type = {0, 0, NULL, NULL}, .fn = hold_fn, .env = NULL};

static void gate_set(bool closed)
{
    pthread_mutex_lock(&gate.lock);
    gate.closed = closed;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
}

static void gate_wait_entered(void)
{
    pthread_mutex_lock(&gate.lock);
    while (gate.waiting == 0)
        pthread_cond_wait(&gate.cond, &gate.lock);
    pthread_mutex_unlock(&gate.lock);
}

/* Log lines, kept for the watch test. */
static struct {
    pthread_mutex_t lock;
    int warns, infos;
    char last_warn[1024];
} logs = {PTHREAD_MUTEX_INITIALIZER, 0, 0, ""};

static void log_fn(void *ud, kiln_log_level level, const char *msg, size_t len)
{
    pthread_mutex_lock(&logs.lock);
    if (level == KILN_LOG_WARN) {
        logs.warns++;
        snprintf(logs.last_warn, sizeof logs.last_warn, "%.*s", (int)len, msg);
    } else if (level == KILN_LOG_INFO) {
        logs.infos++;
    }
    pthread_mutex_unlock(&logs.lock);
}

static kiln_plugin_registry *registry(kiln_engine **engine)
{
    static kiln_plugin_options opts = {
        .funcs = &hold_func, .nfuncs = 1, .log_level = KILN_LOG_INFO, .log = log_fn};
    kiln_plugin_registry *r = NULL;
    *engine = NULL;
    if (kiln_engine_new(NULL, engine) || kiln_plugin_registry_new(*engine, &opts, &r)) {
        CHECK(0);
        return NULL;
    }
    return r;
}

static void registry_done(kiln_plugin_registry *r, kiln_engine *engine)
{
    kiln_plugin_registry_free(r);
    kiln_engine_free(engine);
}

/* ---- routing -------------------------------------------------------------------- */

TEST(registry_load_and_promote)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    CHECK(r && load_echo(r, "p", "v1", false, "self_test"));
    CHECK(is(call_version(r, "p", NULL), "v1"));
    CHECK(load_echo(r, "p", "v2", false, NULL));
    CHECK(is(call_version(r, "p", NULL), "v1"));   /* loaded, not routed */
    CHECK(is(call_version(r, "p", "k"), "v1"));
    CHECK(!load_echo(r, "p", "v1", true, NULL));   /* version string taken */
    kiln_plugin_manifest *m = echo_manifest("v1", false);
    CHECK(fails_with(kiln_plugin_registry_load(r, "p", "v1", m, NULL), KILN_ERR_ARG));
    kiln_plugin_manifest_free(m);
    CHECK(kiln_plugin_registry_promote(r, "p", "v2") == NULL);
    CHECK(is(call_version(r, "p", NULL), "v2"));
    CHECK(fails_with(kiln_plugin_registry_promote(r, "p", "v9"), KILN_ERR_ARG));
    CHECK(fails_with(kiln_plugin_registry_promote(r, "q", "v1"), KILN_ERR_ARG));
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK(fails_with(kiln_plugin_registry_call(r, "q", "version", NULL, 0, NULL, 0, NULL, &out,
                                               &len, NULL),
                     KILN_ERR_ARG));
    kiln_plugin_stats st;
    CHECK(kiln_plugin_registry_stats(r, "p", NULL, &st) && st.calls == 1);     /* v2 */
    CHECK(kiln_plugin_registry_stats(r, "p", "v1", &st) && st.calls == 4);     /* 3 + self-test */
    CHECK(!kiln_plugin_registry_stats(r, "p", "v3", &st));
    CHECK(!kiln_plugin_registry_stats(r, "q", NULL, &st));
    registry_done(r, eng);
}

TEST(registry_canary_by_key)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    CHECK(r && load_echo(r, "p", "v1", false, NULL) && load_echo(r, "p", "v2", false, NULL));
    CHECK(kiln_plugin_registry_canary(r, "p", "v2", 10) == NULL);
    static bool first[10000];
    int canary = 0, bad = 0;
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "user-%d", i);
        const char *v = call_version(r, "p", key);
        bad += !is(v, "v1") && !is(v, "v2");
        first[i] = is(v, "v2");
        canary += first[i];
    }
    CHECK_EQ(bad, 0);
    CHECK(canary >= 850 && canary <= 1150);
    if (canary < 850 || canary > 1150)
        printf("  canary share: %d of 10000\n", canary);
    int moved = 0;
    for (int i = 0; i < 10000; i += 7) {   /* the same key, the same version */
        snprintf(key, sizeof key, "user-%d", i);
        moved += is(call_version(r, "p", key), "v2") != first[i];
    }
    CHECK_EQ(moved, 0);
    /* A bigger share keeps the keys of the smaller one on the canary. */
    CHECK(kiln_plugin_registry_canary(r, "p", "v2", 50) == NULL);
    int lost = 0;
    for (int i = 0; i < 10000; i += 3) {
        snprintf(key, sizeof key, "user-%d", i);
        lost += first[i] && !is(call_version(r, "p", key), "v2");
    }
    CHECK_EQ(lost, 0);
    registry_done(r, eng);
}

TEST(registry_canary_round_robin)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    CHECK(r && load_echo(r, "p", "v1", false, NULL) && load_echo(r, "p", "v2", false, NULL));
    CHECK(kiln_plugin_registry_canary(r, "p", "v2", 30) == NULL);
    int canary = 0;
    for (int i = 0; i < 200; i++)
        canary += is(call_version(r, "p", NULL), "v2");
    CHECK_EQ(canary, 60);
    CHECK(kiln_plugin_registry_canary(r, "p", "v2", 100) == NULL);
    CHECK(is(call_version(r, "p", NULL), "v2") && is(call_version(r, "p", "k"), "v2"));
    CHECK(kiln_plugin_registry_canary(r, "p", NULL, 0) == NULL);      /* ends it */
    CHECK(is(call_version(r, "p", NULL), "v1") && is(call_version(r, "p", "k"), "v1"));
    CHECK(fails_with(kiln_plugin_registry_canary(r, "p", "v1", 10), KILN_ERR_ARG)); /* stable */
    CHECK(fails_with(kiln_plugin_registry_canary(r, "p", "v2", 101), KILN_ERR_ARG));
    CHECK(fails_with(kiln_plugin_registry_canary(r, "p", "v3", 10), KILN_ERR_ARG));
    CHECK(fails_with(kiln_plugin_registry_canary(r, "p", NULL, 10), KILN_ERR_ARG));
    CHECK(fails_with(kiln_plugin_registry_canary(r, "q", "v2", 10), KILN_ERR_ARG));
    CHECK(kiln_plugin_registry_canary(r, "p", "v2", 20) == NULL);
    CHECK(kiln_plugin_registry_promote(r, "p", "v2") == NULL);        /* ends the canary */
    for (int i = 0; i < 10; i++)
        CHECK(is(call_version(r, "p", NULL), "v2"));
    registry_done(r, eng);
}

TEST(registry_rollback)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    CHECK(r && load_echo(r, "p", "v1", false, NULL));
    CHECK(fails_with(kiln_plugin_registry_rollback(r, "p"), KILN_ERR_ARG));   /* no previous */
    CHECK(fails_with(kiln_plugin_registry_rollback(r, "q"), KILN_ERR_ARG));
    CHECK(load_echo(r, "p", "v2", false, NULL) && load_echo(r, "p", "v3", false, NULL));
    CHECK(kiln_plugin_registry_promote(r, "p", "v2") == NULL);
    CHECK(kiln_plugin_registry_canary(r, "p", "v3", 100) == NULL);
    CHECK(is(call_version(r, "p", NULL), "v3"));
    CHECK(kiln_plugin_registry_rollback(r, "p") == NULL);
    for (int i = 0; i < 10; i++)   /* v1 again, and no canary */
        CHECK(is(call_version(r, "p", NULL), "v1"));
    CHECK(fails_with(kiln_plugin_registry_rollback(r, "p"), KILN_ERR_ARG));
    kiln_plugin_stats st;   /* the versions rolled away from stay loaded */
    CHECK(kiln_plugin_registry_stats(r, "p", "v2", &st) && kiln_plugin_registry_stats(r, "p", "v3", &st));
    CHECK(kiln_plugin_registry_promote(r, "p", "v3") == NULL);
    CHECK(kiln_plugin_registry_rollback(r, "p") == NULL);
    CHECK(is(call_version(r, "p", NULL), "v1"));
    registry_done(r, eng);
}

TEST(registry_unload)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    CHECK(r && load_echo(r, "p", "v1", false, NULL));
    CHECK(load_echo(r, "p", "v2", false, NULL) && load_echo(r, "p", "v3", false, NULL));
    CHECK(load_echo(r, "p", "v4", false, NULL));
    CHECK(kiln_plugin_registry_promote(r, "p", "v2") == NULL);
    CHECK(kiln_plugin_registry_canary(r, "p", "v3", 10) == NULL);
    CHECK(fails_with(kiln_plugin_registry_unload(r, "p", "v2"), KILN_ERR_ARG));   /* stable */
    CHECK(fails_with(kiln_plugin_registry_unload(r, "p", "v3"), KILN_ERR_ARG));   /* canary */
    CHECK(fails_with(kiln_plugin_registry_unload(r, "p", "v9"), KILN_ERR_ARG));
    CHECK(fails_with(kiln_plugin_registry_unload(r, "q", "v1"), KILN_ERR_ARG));
    CHECK_EQ(kn_registry_versions_alive(r), 4);
    CHECK(kiln_plugin_registry_unload(r, "p", "v4") == NULL);
    kiln_plugin_stats st;
    CHECK(!kiln_plugin_registry_stats(r, "p", "v4", &st));
    CHECK(fails_with(kiln_plugin_registry_promote(r, "p", "v4"), KILN_ERR_ARG));
    CHECK(kiln_plugin_registry_unload(r, "p", "v1") == NULL);   /* the previous stable */
    CHECK(fails_with(kiln_plugin_registry_rollback(r, "p"), KILN_ERR_ARG));
    CHECK_EQ(kn_registry_versions_alive(r), 2);
    CHECK_EQ(kn_registry_versions_freed(r), 2);
    CHECK(load_echo(r, "p", "v4", false, NULL));   /* the string is free again */
    CHECK(kiln_plugin_registry_canary(r, "p", NULL, 0) == NULL);
    CHECK(kiln_plugin_registry_unload(r, "p", "v3") == NULL);   /* no longer canary */
    registry_done(r, eng);
}

TEST(registry_refusals_change_nothing)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    CHECK(r && load_echo(r, "p", "v1", false, "self_test"));
    kiln_plugin_manifest *m = echo_manifest("v2", true);
    kiln_error *e = kiln_plugin_registry_load(r, "p", "v2", m, "self_test");
    CHECK(e && kiln_error_kind_of(e) == KILN_ERR_PLUGIN);
    CHECK(e && strstr(kiln_error_message(e), "self test failed"));
    kiln_error_free(e);
    CHECK(fails_with(kiln_plugin_registry_load(r, "p", "v2", m, "no_such_export"), KILN_ERR_ARG));
    CHECK(fails_with(kiln_plugin_registry_load(r, "new", "v1", m, "self_test"), KILN_ERR_PLUGIN));
    kiln_plugin_manifest_free(m);
    static const uint8_t junk[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0xff, 0xff, 0xff};
    CHECK(kiln_plugin_manifest_from_wasm(junk, sizeof junk, &m) == NULL);
    e = kiln_plugin_registry_load(r, "p", "v3", m, NULL);
    CHECK(e != NULL);
    kiln_error_free(e);
    kiln_plugin_manifest_free(m);
    CHECK(is(call_version(r, "p", NULL), "v1"));
    kiln_plugin_stats st;
    CHECK(!kiln_plugin_registry_stats(r, "p", "v2", &st));
    CHECK(!kiln_plugin_registry_stats(r, "p", "v3", &st));
    CHECK(!kiln_plugin_registry_stats(r, "new", NULL, &st));
    CHECK_EQ(kn_registry_versions_alive(r), 1);
    CHECK(load_echo(r, "p", "v2", false, "self_test"));   /* nothing was kept of it */
    CHECK(kiln_plugin_registry_promote(r, "p", "v2") == NULL);
    CHECK(is(call_version(r, "p", NULL), "v2"));
    registry_done(r, eng);
}

/* ---- a version outlives its unload until its last call returns ------------------ */

typedef struct {
    kiln_plugin_registry *r;
    const char *version;
    bool ok;
} hold_call;

static void *hold_thread(void *arg)
{
    hold_call *c = arg;
    uint8_t *out = NULL;
    size_t len = 0;
    kiln_error *e = kiln_plugin_registry_call(c->r, "h", "hold", NULL, 0, NULL, 0, NULL, &out,
                                              &len, &c->version);
    c->ok = !e && len == 4 && memcmp(out, "held", 4) == 0;
    kiln_error_free(e);
    free(out);
    return NULL;
}

TEST(registry_version_freed_after_last_call)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    size_t len;
    uint8_t *b = wasm_read("registry_hold", &len);
    kiln_plugin_manifest *m = NULL;
    CHECK(r && b && kiln_plugin_manifest_from_wasm(b, len, &m) == NULL);
    free(b);
    if (!m) {
        registry_done(r, eng);
        return;
    }
    CHECK(kiln_plugin_registry_load(r, "h", "old", m, "self_test") == NULL);
    kiln_plugin_manifest_free(m);
    CHECK(load_echo(r, "h", "new", false, NULL));

    gate_set(true);
    hold_call c = {r, NULL, false};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, hold_thread, &c) == 0);
    gate_wait_entered();

    /* The call is inside "old": replace and unload it under the call. */
    CHECK(kiln_plugin_registry_promote(r, "h", "new") == NULL);
    CHECK(kiln_plugin_registry_unload(r, "h", "old") == NULL);
    kiln_plugin_stats st;
    CHECK(!kiln_plugin_registry_stats(r, "h", "old", &st));
    CHECK(is(call_version(r, "h", NULL), "new"));
    CHECK_EQ(kn_registry_versions_freed(r), 0);
    CHECK_EQ(kn_registry_versions_alive(r), 2);

    gate_set(false);
    pthread_join(t, NULL);
    CHECK(c.ok && is(c.version, "old"));   /* the string outlives the version */
    CHECK_EQ(kn_registry_versions_freed(r), 1);
    CHECK_EQ(kn_registry_versions_alive(r), 1);
    registry_done(r, eng);
}

static void *free_thread(void *arg)
{
    kiln_plugin_registry_free(arg);
    return NULL;
}

/* kiln_plugin_registry_free waits for the calls still running. */
TEST(registry_free_waits_for_calls)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    size_t len;
    uint8_t *b = wasm_read("registry_hold", &len);
    kiln_plugin_manifest *m = NULL;
    CHECK(r && b && kiln_plugin_manifest_from_wasm(b, len, &m) == NULL);
    free(b);
    CHECK(m && kiln_plugin_registry_load(r, "h", "only", m, NULL) == NULL);
    kiln_plugin_manifest_free(m);
    gate_set(true);
    hold_call c = {r, NULL, false};
    pthread_t caller, freer;
    CHECK(pthread_create(&caller, NULL, hold_thread, &c) == 0);
    gate_wait_entered();
    CHECK(pthread_create(&freer, NULL, free_thread, r) == 0);
    sleep_ms(100);
    CHECK(pthread_tryjoin_np(freer, NULL) == EBUSY);   /* still waiting */
    gate_set(false);
    pthread_join(caller, NULL);
    pthread_join(freer, NULL);
    CHECK(c.ok);
    kiln_engine_free(eng);
}

/* ---- stress: issue 10 ------------------------------------------------------------- */

typedef struct {
    kiln_plugin_registry *r;
    atomic_bool *stop;
    unsigned seed;
    _Atomic uint64_t calls;
    uint64_t failed, wrong;
} stress_worker;

static void *stress_thread(void *arg)
{
    stress_worker *w = arg;
    char key[32];
    while (!atomic_load(w->stop)) {
        w->seed = w->seed * 1103515245u + 12345u;
        bool keyed = (w->seed >> 16) & 1;
        snprintf(key, sizeof key, "k%u", (w->seed >> 8) % 5000);
        uint8_t *out = NULL;
        size_t len = 0;
        const char *version = NULL;
        kiln_error *e = kiln_plugin_registry_call(w->r, "s", "version", keyed ? key : NULL,
                                                  keyed ? strlen(key) : 0, NULL, 0, NULL, &out,
                                                  &len, &version);
        w->calls++;
        if (e) {
            if (w->failed++ == 0)
                printf("  stress call failed: %s\n", kiln_error_message(e));
            kiln_error_free(e);
        } else if (!version || len != strlen(version) || memcmp(out, version, len) != 0) {
            w->wrong++;
        }
        free(out);
    }
    return NULL;
}

/* One step of the main thread: load v<i> and do one change with it. */
static void stress_step(kiln_plugin_registry *r, int i, char (*names)[16], int *failures)
{
    snprintf(names[i], 16, "v%d", i);
    if (!load_echo(r, "s", names[i], false, "self_test")) {
        (*failures)++;
        return;
    }
    kiln_error *e = NULL;
    switch (i % 5) {
    case 0: e = kiln_plugin_registry_promote(r, "s", names[i]); break;
    case 1: e = kiln_plugin_registry_canary(r, "s", names[i], 30); break;
    case 2: e = kiln_plugin_registry_promote(r, "s", names[i - 1]); break;   /* the canary */
    case 3: e = kiln_plugin_registry_rollback(r, "s"); break;
    case 4: e = kiln_plugin_registry_canary(r, "s", names[i], 100); break;
    }
    if (e) {
        printf("  stress step %d: %s\n", i, kiln_error_message(e));
        kiln_error_free(e);
        (*failures)++;
    }
    /* Unload the versions older than the last three (the previous stable
     * among them, when it is one, so rollback must stay possible with the
     * recent ones); refusals (stable, canary) are expected. */
    for (int j = 0; j < i - 3; j++) {
        if (!names[j][0])
            continue;
        if ((e = kiln_plugin_registry_unload(r, "s", names[j])))
            kiln_error_free(e);
        else
            names[j][0] = 0;
    }
}

TEST(registry_stress_swaps_under_calls)
{
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    CHECK(r && load_echo(r, "s", "v0", false, "self_test"));
    static char names[101][16];
    memset(names, 0, sizeof names);
    strcpy(names[0], "v0");
    atomic_bool stop = false;
    stress_worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (stress_worker){.r = r, .stop = &stop, .seed = 77u + (unsigned)i};
        CHECK(pthread_create(&t[i], NULL, stress_thread, &w[i]) == 0);
    }
    int failures = 0;
    uint64_t seen_before = 0;
    for (int i = 1; i <= 100; i++) {
        stress_step(r, i, names, &failures);
        /* let the callers run on each configuration */
        uint64_t total;
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        do {
            total = 0;
            for (int k = 0; k < 4; k++)
                total += atomic_load(&w[k].calls);
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while (total < seen_before + 20 && now.tv_sec - start.tv_sec < 2);
        seen_before = total;
    }
    atomic_store(&stop, true);
    uint64_t calls = 0, failed = 0, wrong = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        calls += w[i].calls;
        failed += w[i].failed;
        wrong += w[i].wrong;
        CHECK(w[i].calls > 100);
    }
    printf("  stress: %llu calls over 100 versions\n", (unsigned long long)calls);
    CHECK_EQ(failures, 0);
    CHECK_EQ(failed, 0);
    CHECK_EQ(wrong, 0);
    /* Every version unloaded is gone: only the listed ones are alive. */
    uint64_t listed = 0;
    kiln_plugin_stats st;
    for (int i = 0; i <= 100; i++)
        if (names[i][0]) {
            listed++;
            CHECK(kiln_plugin_registry_stats(r, "s", names[i], &st));
        } else {
            CHECK(!kiln_plugin_registry_stats(r, "s", (snprintf(names[i], 16, "v%d", i), names[i]),
                                              &st));
        }
    CHECK_EQ(kn_registry_versions_alive(r), listed);
    CHECK_EQ(kn_registry_versions_freed(r), 101 - listed);
    CHECK(listed <= 6);
    registry_done(r, eng);
}

/* ---- the watched directory ------------------------------------------------------- */

/* Write bytes to dir/file atomically: a dot file renamed over it. */
static bool put_file(const char *dir, const char *file, const void *bytes, size_t len)
{
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(bytes, 1, len, f) == len;
    if (f)
        ok = fclose(f) == 0 && ok;
    return ok && rename(tmp, path) == 0;
}

static bool put_wasm(const char *dir, const char *file, const char *plugin)
{
    size_t len;
    uint8_t *b = wasm_read(plugin, &len);
    bool ok = b && put_file(dir, file, b, len);
    free(b);
    return ok;
}

/* Poll (≤ 5 s) until name's calls answer want. */
static bool wait_output(kiln_plugin_registry *r, const char *name, const char *want)
{
    for (int i = 0; i < 500; i++) {
        uint8_t *out = NULL;
        size_t len = 0;
        kiln_error *e = kiln_plugin_registry_call(r, name, "version", NULL, 0, NULL, 0, NULL,
                                                  &out, &len, NULL);
        bool hit = !e && len == strlen(want) && memcmp(out, want, len) == 0;
        kiln_error_free(e);
        free(out);
        if (hit)
            return true;
        sleep_ms(10);
    }
    return false;
}

/* Poll (≤ 5 s) until the log has more than n WARN lines. */
static bool wait_warns(int n)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&logs.lock);
        int w = logs.warns;
        pthread_mutex_unlock(&logs.lock);
        if (w > n)
            return true;
        sleep_ms(10);
    }
    return false;
}

static int warns_now(void)
{
    pthread_mutex_lock(&logs.lock);
    int w = logs.warns;
    pthread_mutex_unlock(&logs.lock);
    return w;
}

static const char *stable_of(kiln_plugin_registry *r, const char *name)
{
    uint8_t *out = NULL;
    size_t len = 0;
    const char *version = NULL;
    kiln_error *e = kiln_plugin_registry_call(r, name, "version", NULL, 0, NULL, 0, NULL, &out,
                                              &len, &version);
    kiln_error_free(e);
    free(out);
    return e ? NULL : version;
}

TEST(registry_watch_reloads)
{
    char dir[] = "/tmp/kiln-registry-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    kiln_engine *eng;
    kiln_plugin_registry *r = registry(&eng);
    CHECK(r && put_wasm(dir, "p.wasm", "registry_echo"));
    put_file(dir, "notes.txt", "x", 1);   /* ignored */

    /* A file already there is loaded before watch returns. */
    CHECK(kiln_plugin_registry_watch(r, dir, "self_test") == NULL);
    CHECK(fails_with(kiln_plugin_registry_watch(r, dir, NULL), KILN_ERR_ARG));
    const char *v1 = stable_of(r, "p");
    CHECK(v1 && strlen(v1) == 12);
    CHECK(wait_output(r, "p", "echo"));

    /* A new version renamed in replaces it. */
    CHECK(put_wasm(dir, "p.wasm", "registry_hold"));
    CHECK(wait_output(r, "p", "hold"));
    const char *v2 = stable_of(r, "p");
    CHECK(v2 && !is(v1, v2));

    /* A corrupt file is refused with a WARN line; the old version serves. */
    int w0 = warns_now();
    CHECK(put_file(dir, "p.wasm", "\0asm\1\0\0\0\xff\xff", 10));
    CHECK(wait_warns(w0));
    pthread_mutex_lock(&logs.lock);
    CHECK(strstr(logs.last_warn, "refused") && strstr(logs.last_warn, v2));
    pthread_mutex_unlock(&logs.lock);
    CHECK(is(stable_of(r, "p"), v2) && wait_output(r, "p", "hold"));

    /* A manifest whose self-test fails is refused too. */
    char json[8192];
    const char *wd = getenv("KILN_PLUGIN_DIR");
    char abs[4096];
    CHECK(realpath(wd ? wd : "build/plugin-test", abs) != NULL);
    int n = snprintf(json, sizeof json,
                     "{\"wasm\": [{\"path\": \"%s/registry_echo.wasm\"}], "
                     "\"config\": {\"version\": \"bad\", \"fail\": \"1\"}}", abs);
    w0 = warns_now();
    CHECK(put_file(dir, "p.json", json, (size_t)n));
    CHECK(wait_warns(w0));
    CHECK(is(stable_of(r, "p"), v2));

    /* A good manifest is loaded; the first version, neither stable nor
     * previous now, is unloaded by the watcher. */
    n = snprintf(json, sizeof json,
                 "{\"wasm\": [{\"path\": \"%s/registry_echo.wasm\"}], "
                 "\"config\": {\"version\": \"from-json\"}}", abs);
    CHECK(put_file(dir, "p.json", json, (size_t)n));
    CHECK(wait_output(r, "p", "from-json"));
    kiln_plugin_stats st;
    CHECK(!kiln_plugin_registry_stats(r, "p", v1, &st));
    CHECK(kiln_plugin_registry_stats(r, "p", v2, &st));
    CHECK(kiln_plugin_registry_rollback(r, "p") == NULL);
    CHECK(is(stable_of(r, "p"), v2));

    /* Writing v1's bytes again brings v1 back, as a new load. */
    CHECK(put_wasm(dir, "p.wasm", "registry_echo"));
    CHECK(wait_output(r, "p", "echo"));
    CHECK(is(stable_of(r, "p"), v1));
    registry_done(r, eng);   /* stops the watcher's thread */

    const char *files[] = {"p.wasm", "p.json", "notes.txt"};
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}
