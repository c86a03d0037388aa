/*
 * plugin_bench.c — the kiln side of the plugin benchmark: calls per second
 * and microseconds per call through libkiln-plugin's kiln_plugin_call, and
 * what 1,000 loaded plugins cost.
 *
 *   plugin_bench PLUGIN.wasm [SECONDS] [NPLUGINS]
 *
 * PLUGIN.wasm is bench/plugin/bench_plugin.c built for wasm32.  Each row
 * calls one plugin (one instance, reused, as an embedder does) for about
 * SECONDS (default 0.3) three times and keeps the best round; every output
 * is checked, so a broken call cannot look fast.  Then NPLUGINS (default
 * 1000) plugins are loaded from the same bytes and each called once (so
 * each has its instance), and the growth of the process's RSS is printed.
 * Output, one tab-separated line per row, read by bench/plugin/run.sh:
 *   ROW  us_per_call  calls_per_s
 *   load N_PLUGINS  N_INSTANCES  RSS_MIB  MS_TO_LOAD
 * Exit status 1 if anything failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln_plugin.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static int fail(const char *what, kiln_error *e)
{
    fprintf(stderr, "plugin_bench: %s: %s\n", what, e ? kiln_error_message(e) : "wrong output");
    kiln_error_free(e);
    return 1;
}

typedef struct row {
    const char *name, *func;
    size_t in_len;
    const char *want; /* expected output; NULL: the input itself */
} row;

/* One call, checked. */
static int call_once(kiln_plugin *p, const row *r, const uint8_t *in)
{
    uint8_t *out = NULL;
    size_t n = 0;
    kiln_error *e = kiln_plugin_call(p, r->func, in, r->in_len, NULL, &out, &n);
    if (e)
        return fail(r->name, e);
    const void *want = r->want ? (const void *)r->want : in;
    size_t want_len = r->want ? strlen(r->want) : r->in_len;
    int bad = n != want_len || (n && memcmp(out, want, n) != 0);
    free(out);
    return bad ? fail(r->name, NULL) : 0;
}

static int bench_row(kiln_plugin *p, const row *r, const uint8_t *in, double secs)
{
    double best = 1e30;
    for (int round = 0; round < 3; round++) {
        long calls = 0;
        double t0 = now_s(), t;
        do {
            for (int k = 0; k < 16; k++, calls++)
                if (call_once(p, r, in))
                    return 1;
            t = now_s();
        } while (t - t0 < secs);
        double us = (t - t0) * 1e6 / (double)calls;
        if (us < best)
            best = us;
    }
    printf("%s\t%.3f\t%.0f\n", r->name, best, 1e6 / best);
    fflush(stdout);
    return 0;
}

static int bench_load(kiln_engine *engine, const kiln_plugin_manifest *m, int n)
{
    kiln_plugin **ps = calloc((size_t)n, sizeof *ps);
    if (!ps)
        return fail("load", NULL);
    row r = {"load", "empty", 0, ""};
    long before = rss_kib();
    double t0 = now_s();
    int rc = 0, made = 0;
    for (; made < n && !rc; made++) {
        kiln_error *e = kiln_plugin_new(engine, m, NULL, &ps[made]);
        if (e) {
            rc = fail("kiln_plugin_new", e);
            break;
        }
        rc = call_once(ps[made], &r, (const uint8_t *)"");
    }
    double ms = (now_s() - t0) * 1e3;
    long after = rss_kib();
    unsigned long instances = 0;
    for (int i = 0; i < made; i++) {
        kiln_plugin_stats st;
        kiln_plugin_get_stats(ps[i], &st);
        instances += st.instances;
    }
    if (!rc)
        printf("load\t%d\t%lu\t%.1f\t%.1f\n", made, instances, (after - before) / 1024.0, ms);
    for (int i = 0; i < made; i++)
        kiln_plugin_free(ps[i]);
    free(ps);
    return rc;
}

/* The text the 1 KiB rows send: ordinary prose, 1024 bytes. */
static void fill_text(uint8_t *buf, size_t n)
{
    static const char s[] = "The quick brown fox jumps over the lazy dog; ";
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)s[i % (sizeof s - 1)];
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: plugin_bench PLUGIN.wasm [SECONDS] [NPLUGINS]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 0.3;
    int nplugins = argc > 3 ? atoi(argv[3]) : 1000;
    static uint8_t big[1 << 20];
    fill_text(big, sizeof big);
    char vowels[40];
    size_t count = 0;
    for (size_t i = 0; i < 1024; i++)
        count += strchr("aeiouAEIOU", big[i]) != NULL;
    snprintf(vowels, sizeof vowels, "{\"count\":%zu}", count);
    const row rows[] = {
        {"empty", "empty", 0, ""},
        {"count_vowels_1k", "count_vowels", 1024, vowels},
        {"echo_1k", "echo", 1024, NULL},
        {"echo_1m", "echo", sizeof big, NULL},
    };

    kiln_engine *engine;
    kiln_plugin_manifest *m;
    kiln_plugin *p;
    kiln_error *e = kiln_engine_new(NULL, &engine);
    if (e)
        return fail("engine", e);
    if ((e = kiln_plugin_manifest_load(argv[1], &m)))
        return fail(argv[1], e);
    if ((e = kiln_plugin_new(engine, m, NULL, &p)))
        return fail("kiln_plugin_new", e);
    int rc = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && !rc; i++)
        rc = bench_row(p, &rows[i], big, secs);
    kiln_plugin_free(p);
    if (!rc && nplugins > 0)
        rc = bench_load(engine, m, nplugins);
    kiln_plugin_manifest_free(m);
    kiln_engine_free(engine);
    return rc;
}
