/*
 * bench/instantiate.c — what a fresh instance per request costs: µs per
 * (instantiate + call a small export + free) through kiln_template's pool,
 * and through the per-store path (kiln_store_new, kiln_linker,
 * kiln_linker_instantiate) for comparison; the same with WASI defined; the
 * RSS of 10,000 live instances; RSS and /proc/self/maps before and after
 * many cycles.
 *
 *   build/bench/instantiate [CYCLES]     (bench/run.sh instantiate runs it;
 *                                         CYCLES for the growth check,
 *                                         default 1,000,000)
 *
 * The modules are made here, byte by byte, so the data image can be any
 * size: a memory of N pages, one active data segment of D non-zero bytes at
 * 0, and `handle(i32) -> i32`, which stores its argument at 1024 and loads
 * it back plus one (one page written per request, as a small handler
 * would).  With WASI, the module also imports fd_write, which it does not
 * call: what matters is the cost of defining WASI per request.  Each row
 * is the best of 5 runs of ITER cycles, so background load shows least.
 * Exit status 1 if any instantiation or call fails.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kiln.h"
#include "kiln_wasi.h"

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            exit(2);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void byte(buf *b, uint8_t v) { put(b, &v, 1); }
static void uleb(buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        byte(b, c | (v ? 0x80 : 0));
    } while (v);
}
static void section(buf *m, uint8_t id, buf *payload)
{
    byte(m, id);
    uleb(m, payload->n);
    put(m, payload->p, payload->n);
    payload->n = 0;
}
static void name(buf *b, const char *s)
{
    uleb(b, strlen(s));
    put(b, s, strlen(s));
}

/* A module as described above; pages 0: no memory. */
static buf make_module(uint32_t pages, size_t data, int wasi)
{
    buf m = {0}, s = {0};
    put(&m, "\0asm\1\0\0\0", 8);
    /* types: 0 (i32)->i32, 1 (i32 i32 i32 i32)->i32 */
    uleb(&s, 2);
    put(&s, "\x60\x01\x7f\x01\x7f", 5);
    put(&s, "\x60\x04\x7f\x7f\x7f\x7f\x01\x7f", 8);
    section(&m, 1, &s);
    if (wasi) {
        uleb(&s, 1);
        name(&s, KILN_WASI_MODULE);
        name(&s, "fd_write");
        put(&s, "\x00\x01", 2);
        section(&m, 2, &s);
    }
    put(&s, "\x01\x00", 2);             /* one function of type 0 */
    section(&m, 3, &s);
    if (pages) {
        uleb(&s, 1);
        byte(&s, 0);
        uleb(&s, pages);
        section(&m, 5, &s);
    }
    uleb(&s, pages ? 2 : 1);
    name(&s, "handle");
    byte(&s, 0);
    uleb(&s, wasi ? 1 : 0);
    if (pages) {
        name(&s, "memory");
        put(&s, "\x02\x00", 2);
    }
    section(&m, 7, &s);
    buf body = {0};
    byte(&body, 0);                     /* no locals */
    if (pages)   /* i32.store (i32.const 1024) (local.get 0); i32.load 1024 */
        put(&body, "\x41\x80\x08\x20\x00\x36\x02\x00\x41\x80\x08\x28\x02\x00", 14);
    else
        put(&body, "\x20\x00", 2);
    put(&body, "\x41\x01\x6a\x0b", 4);  /* i32.const 1; i32.add; end */
    uleb(&s, 1);
    uleb(&s, body.n);
    put(&s, body.p, body.n);
    free(body.p);
    section(&m, 10, &s);
    if (data) {
        uleb(&s, 1);
        put(&s, "\x00\x41\x00\x0b", 4); /* memory 0, offset i32.const 0 */
        uleb(&s, data);
        uint8_t chunk[4096];
        memset(chunk, 0x5a, sizeof chunk);
        for (size_t done = 0; done < data; done += sizeof chunk)
            put(&s, chunk, data - done < sizeof chunk ? data - done : sizeof chunk);
        section(&m, 11, &s);
    }
    free(s.p);
    return m;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int failures;

static void check(kiln_error *err, const char *what)
{
    if (!err)
        return;
    fprintf(stderr, "instantiate: %s: %s\n", what, kiln_error_message(err));
    kiln_error_free(err);
    failures++;
    exit(1);
}

static void call_handle(kiln_store *s, kiln_instance *inst, int32_t arg)
{
    kiln_val a = {.kind = KILN_I32, .of.i32 = arg}, r;
    check(kiln_call(s, kiln_instance_export_func(inst, "handle"), &a, 1, &r, 1), "call");
    if (r.of.i32 != arg + 1) {
        fprintf(stderr, "instantiate: handle(%d) = %d\n", arg, r.of.i32);
        exit(1);
    }
}

static kiln_wasi_config *wasi_config(void)
{
    kiln_wasi_config *c;
    check(kiln_wasi_config_new(&c), "wasi config");
    check(kiln_wasi_config_arg(c, "handler"), "arg");
    check(kiln_wasi_config_arg(c, "--flag"), "arg");
    for (int i = 0; i < 20; i++) {
        char n[16], v[64];
        snprintf(n, sizeof n, "VAR_%d", i);
        snprintf(v, sizeof v, "value of the variable number %d", i);
        check(kiln_wasi_config_env(c, n, v), "env");
    }
    check(kiln_wasi_config_stdin_bytes(c, "request body", 12), "stdin");
    check(kiln_wasi_config_stdout_buffer(c, 65536), "stdout");
    check(kiln_wasi_config_stderr_buffer(c, 4096), "stderr");
    return c;
}

typedef struct bench_case {
    kiln_engine *e;
    kiln_module *m;
    kiln_template_builder *b;    /* outlives t (kiln.h) */
    kiln_template *t;
    kiln_wasi_config *wcfg;      /* WASI rows: a kiln_wasi per request */
} bench_case;

/* One request through the pool. */
static void pooled_once(bench_case *bc, int32_t i)
{
    kiln_store *s;
    kiln_instance *inst;
    kiln_wasi *w = NULL;
    if (bc->wcfg)
        check(kiln_wasi_new(bc->wcfg, &w), "kiln_wasi_new");
    check(kiln_template_instantiate(bc->t, NULL, w, &s, &inst), "kiln_template_instantiate");
    call_handle(s, inst, i);
    kiln_store_free(s);
    kiln_wasi_free(w);
}

/* One request the per-store way: store, linker, instantiate, call, free. */
static void per_store_once(bench_case *bc, int32_t i)
{
    kiln_store *s;
    kiln_linker *l;
    kiln_instance *inst;
    kiln_wasi *w = NULL;
    check(kiln_store_new(bc->e, NULL, &s), "kiln_store_new");
    check(kiln_linker_new(s, &l), "kiln_linker_new");
    if (bc->wcfg) {
        check(kiln_wasi_new(bc->wcfg, &w), "kiln_wasi_new");
        check(kiln_wasi_define(w, s, l), "kiln_wasi_define");
    }
    check(kiln_linker_instantiate(l, bc->m, &inst), "kiln_linker_instantiate");
    call_handle(s, inst, i);
    kiln_linker_free(l);
    kiln_store_free(s);
    kiln_wasi_free(w);
}

static double best_us(bench_case *bc, void (*once)(bench_case *, int32_t), int iter)
{
    double best = 1e30;
    for (int run = 0; run < 5; run++) {
        double t0 = now_us();
        for (int i = 0; i < iter; i++)
            once(bc, i);
        double us = (now_us() - t0) / iter;
        best = us < best ? us : best;
    }
    return best;
}

static void setup(bench_case *bc, kiln_engine *e, uint32_t pages, size_t data, int wasi)
{
    memset(bc, 0, sizeof *bc);
    bc->e = e;
    buf mod = make_module(pages, data, wasi);
    check(kiln_module_new(e, mod.p, mod.n, &bc->m), "kiln_module_new");
    free(mod.p);
    check(kiln_template_builder_new(e, &bc->b), "builder");
    if (wasi) {
        check(kiln_wasi_define_template(bc->b), "kiln_wasi_define_template");
        bc->wcfg = wasi_config();
    }
    check(kiln_template_new(bc->b, bc->m, NULL, &bc->t), "kiln_template_new");
}

static void teardown(bench_case *bc)
{
    kiln_template_free(bc->t);
    kiln_template_builder_free(bc->b);   /* the template calls its functions */
    kiln_module_free(bc->m);
    kiln_wasi_config_free(bc->wcfg);
}

static long maps_lines(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    long n = 0;
    int c;
    if (!f)
        return -1;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, rss = -1;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &rss) != 2)
            rss = -1;
        fclose(f);
    }
    return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void row(const char *what, double pooled, double per_store)
{
    if (per_store > 0)
        printf("%-34s %10.2f %12.2f %8.0fx\n", what, pooled, per_store, per_store / pooled);
    else
        printf("%-34s %10.2f %12s %9s\n", what, pooled, "-", "-");
}

static void live_instances(kiln_engine *e, int n)
{
    bench_case bc;
    setup(&bc, e, 16, 64, 0);
    kiln_template_config cfg = {.max_slots = (uint32_t)n};
    kiln_template_free(bc.t);
    check(kiln_template_new(NULL, bc.m, &cfg, &bc.t), "kiln_template_new");
    kiln_store **s = calloc((size_t)n, sizeof *s);
    long rss0 = rss_kib(), maps0 = maps_lines();
    double t0 = now_us();
    for (int i = 0; i < n; i++) {
        kiln_instance *inst;
        check(kiln_template_instantiate(bc.t, NULL, NULL, &s[i], &inst), "instantiate");
        call_handle(s[i], inst, i);
    }
    double made = (now_us() - t0) / n;
    long rss1 = rss_kib(), maps1 = maps_lines();
    for (int i = 0; i < n; i++)
        kiln_store_free(s[i]);
    free(s);
    printf("%d live 1 MiB instances: RSS +%.1f MiB (%.1f KiB each), +%ld mappings, "
           "%.1f us to make each slot\n", n, (rss1 - rss0) / 1024.0,
           (double)(rss1 - rss0) / n, maps1 - maps0, made);
    teardown(&bc);
}

static void growth(kiln_engine *e, long cycles)
{
    bench_case bc;
    setup(&bc, e, 16, 64, 0);
    for (int i = 0; i < 1000; i++)
        pooled_once(&bc, i);
    long rss0 = rss_kib(), maps0 = maps_lines();
    double t0 = now_us();
    for (long i = 0; i < cycles; i++)
        pooled_once(&bc, (int32_t)i);
    double us = (now_us() - t0) / (double)cycles;
    long rss1 = rss_kib(), maps1 = maps_lines();
    printf("%ld cycles (1 MiB): RSS %ld -> %ld KiB, /proc/self/maps %ld -> %ld lines, "
           "%.2f us each\n", cycles, rss0, rss1, maps0, maps1, us);
    if (maps1 != maps0 || rss1 - rss0 > 1024) {
        fprintf(stderr, "instantiate: growth over %ld cycles\n", cycles);
        failures++;
    }
    teardown(&bc);
}

int main(int argc, char **argv)
{
    long cycles = argc > 1 ? atol(argv[1]) : 1000000;
    kiln_engine *e;
    check(kiln_engine_new(NULL, &e), "kiln_engine_new");
    printf("%-34s %10s %12s %9s\n", "us per instantiate+call+free", "template", "per-store",
           "ratio");
    static const struct {
        const char *what;
        uint32_t pages;
        size_t data;
        int wasi, iter;
    } cases[] = {
        {"no memory", 0, 0, 0, 20000},
        {"1 MiB memory, 64 B data", 16, 64, 0, 20000},
        {"30 MiB memory, 30 MiB data image", 480, 30u << 20, 0, 2000},
        {"WASI, 1 MiB memory (+kiln_wasi)", 16, 64, 1, 5000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bench_case bc;
        setup(&bc, e, cases[i].pages, cases[i].data, cases[i].wasi);
        int iter = cases[i].iter;
        double pooled = best_us(&bc, pooled_once, iter);
        double per_store = best_us(&bc, per_store_once, iter / 10 > 0 ? iter / 10 : 1);
        row(cases[i].what, pooled, per_store);
        teardown(&bc);
    }
    /* What a per-request kiln_wasi costs by itself, with fds vs buffers. */
    kiln_wasi_config *c = wasi_config();
    double t0 = now_us();
    for (int i = 0; i < 20000; i++) {
        kiln_wasi *w;
        check(kiln_wasi_new(c, &w), "kiln_wasi_new");
        kiln_wasi_free(w);
    }
    printf("kiln_wasi_new+free, args, 20 env, in-memory stdio: %.2f us\n",
           (now_us() - t0) / 20000);
    check(kiln_wasi_config_stdio(c, 0, KILN_WASI_STDIO_NULL), "stdio");
    check(kiln_wasi_config_stdio(c, 1, KILN_WASI_STDIO_NULL), "stdio");
    check(kiln_wasi_config_preopen_dir(c, ".", "/", KILN_WASI_DIR_READ), "preopen");
    t0 = now_us();
    for (int i = 0; i < 20000; i++) {
        kiln_wasi *w;
        check(kiln_wasi_new(c, &w), "kiln_wasi_new");
        kiln_wasi_free(w);
    }
    printf("kiln_wasi_new+free, + stdin/stdout host fds, 1 preopen: %.2f us\n",
           (now_us() - t0) / 20000);
    kiln_wasi_config_free(c);
    live_instances(e, 10000);
    growth(e, cycles);
    kiln_engine_free(e);
    return failures ? 1 : 0;
}
