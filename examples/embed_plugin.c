/*
 * embed_plugin.c — the plugin host from C: load Extism plugins, grant
 * them config and a host function, call them from several threads, read
 * the stats, and handle errors.
 *
 *   ./embed_plugin [DIR]     (DIR: examples/plugin, where manifest.json,
 *                             count_vowels.wasm and greet.wasm are)
 *
 * Prints (the figures on the last line vary from run to run):
 *
 *   count_vowels("Hello, World!") = {"count": 3, "total": 3, "vowels": "aeiou"}
 *   2 threads x 50 calls: 100 ok
 *   count_vowels("Hello, World!") = {"count": 3, "total": 103, "vowels": "aeiou"}
 *   count_vowels(""): error: count_vowels: no input
 *   greet without "upper": import extism:host/user.upper is not granted to the plugin
 *   greet("World") = Hello, WORLD! (upper called 1 time)
 *   stats: calls 103, errors 1 (the plugin's own 1), traps 0
 *   pool: instances 2, guest time 1503 us, log lines 102
 *
 * The plugins' log lines go to stderr.  Build, from the repository root:
 *   make && cc -std=c11 -Iinclude examples/embed_plugin.c build/libkiln-plugin.a \
 *       build/libkiln.a -lcjson -lcrypto -lm -lpthread -o embed_plugin
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "kiln_plugin.h"

static atomic_uint log_lines;

/* Log lines come on the calling thread: anything here must be
 * thread-safe. */
static void on_log(void *ud, kiln_log_level level, const char *msg, size_t len)
{
    static const char *const names[] = {"trace", "debug", "info", "warn", "error"};
    (void)ud;
    atomic_fetch_add(&log_lines, 1);
    fprintf(stderr, "[%s] %.*s\n", level < KILN_LOG_OFF ? names[level] : "?", (int)len, msg);
}

/* extism:host/user upper(i64 text) -> i64: a host function the plugin
 * imports.  Its argument and result are kernel-memory handles. */
static kiln_error *upper(kiln_plugin_ctx *ctx, void *env, const kiln_val *args,
                         kiln_val *results)
{
    uint64_t len = 0, handle = 0;
    const uint8_t *text = kiln_plugin_ctx_block(ctx, (uint64_t)args[0].of.i64, &len);
    char *buf = malloc(len + 1);
    if (!buf)
        return kiln_trap_new("upper: out of memory");
    for (uint64_t i = 0; i < len; i++)
        buf[i] = (char)toupper(text[i]);
    kiln_error *err = kiln_plugin_ctx_alloc(ctx, buf, len, &handle);
    free(buf);
    results[0] = (kiln_val){.kind = KILN_I64, .of.i64 = (int64_t)handle};
    atomic_fetch_add((atomic_uint *)env, 1);
    return err;
}

/* Call func with a string and print its output or its error. */
static void call(kiln_plugin *p, const char *func, const char *input)
{
    uint8_t *out = NULL;
    size_t len = 0;
    kiln_error *err = kiln_plugin_call(p, func, input, strlen(input), NULL, &out, &len);
    if (err)
        printf("%s(\"%s\"): error: %s\n", func, input, kiln_error_message(err));
    else
        printf("%s(\"%s\") = %.*s\n", func, input, (int)len, (const char *)out);
    kiln_error_free(err);
    free(out);
}

/* One plugin, many threads: each call gets an instance of its own. */
static void *worker(void *arg)
{
    kiln_plugin *p = arg;
    unsigned ok = 0;
    for (int i = 0; i < 50; i++) {
        uint8_t *out = NULL;
        size_t len = 0;
        kiln_error *err = kiln_plugin_call(p, "count_vowels", "banana", 6, NULL, &out, &len);
        ok += !err;
        kiln_error_free(err);
        free(out);
    }
    return (void *)(uintptr_t)ok;
}

static kiln_error *load(kiln_engine *engine, const char *dir, const char *file,
                        const kiln_plugin_options *opts, kiln_plugin **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    kiln_plugin_manifest *m = NULL;
    kiln_error *err = kiln_plugin_manifest_load(path, &m);
    /* a grant of the embedder's, on top of the manifest's own config */
    if (!err)
        err = kiln_plugin_manifest_set_config(m, "vowels", "aeiou");
    if (!err)
        err = kiln_plugin_new(engine, m, opts, out);
    kiln_plugin_manifest_free(m);   /* the plugin keeps what it needs */
    return err;
}

static void demo_threads(kiln_plugin *p)
{
    pthread_t t[2];
    uintptr_t ok = 0;
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, p);
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        ok += (uintptr_t)r;
    }
    printf("2 threads x 50 calls: %u ok\n", (unsigned)ok);
}

static void demo_host_function(kiln_engine *engine, const char *dir)
{
    kiln_plugin *greet = NULL;
    /* deny by default: no options, no host functions, no load */
    kiln_error *err = load(engine, dir, "greet.wasm", NULL, &greet);
    printf("greet without \"upper\": %s\n", err ? kiln_error_message(err) : "loaded?!");
    kiln_error_free(err);

    static atomic_uint upper_calls;
    static const kiln_valkind i64[] = {KILN_I64};
    kiln_plugin_func fn = {
        .name = "upper",  /* module NULL: "extism:host/user" */
        .type = {.nparams = 1, .nresults = 1, .params = i64, .results = i64},
        .fn = upper,
        .env = &upper_calls,
    };
    kiln_plugin_options opts = {.funcs = &fn, .nfuncs = 1, .log_level = KILN_LOG_OFF};
    err = load(engine, dir, "greet.wasm", &opts, &greet);
    if (err) {
        printf("greet: %s\n", kiln_error_message(err));
        kiln_error_free(err);
        return;
    }
    uint8_t *out = NULL;
    size_t len = 0;
    err = kiln_plugin_call(greet, "greet", "World", 5, NULL, &out, &len);
    if (!err)
        printf("greet(\"World\") = %.*s (upper called %u time)\n", (int)len, (const char *)out,
               atomic_load(&upper_calls));
    kiln_error_free(err);
    free(out);
    kiln_plugin_free(greet);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "examples/plugin";
    kiln_engine *engine = NULL;
    kiln_plugin *p = NULL;
    kiln_plugin_options opts = {.log_level = KILN_LOG_INFO, .log = on_log};
    kiln_error *err = kiln_engine_new(NULL, &engine);
    if (!err)
        err = load(engine, dir, "manifest.json", &opts, &p);
    if (err) {
        fprintf(stderr, "embed_plugin: %s\n", kiln_error_message(err));
        kiln_error_free(err);
        kiln_engine_free(engine);
        return 1;
    }

    call(p, "count_vowels", "Hello, World!");
    demo_threads(p);
    /* Vars are shared by every instance of the plugin, but a plugin's
     * var_get then var_set is not atomic: concurrent calls may lose updates
     * to "total" (as in Extism).  Set it from the host to start afresh. */
    kiln_error_free(kiln_plugin_var_set(p, "total", "100", 3));
    call(p, "count_vowels", "Hello, World!");
    call(p, "count_vowels", "");   /* the plugin's own error */
    demo_host_function(engine, dir);

    kiln_plugin_stats s;
    kiln_plugin_get_stats(p, &s);
    printf("stats: calls %llu, errors %llu (the plugin's own %llu), traps %llu\n",
           (unsigned long long)s.calls, (unsigned long long)s.errors,
           (unsigned long long)s.plugin_errors, (unsigned long long)s.traps);
    printf("pool: instances %u, guest time %llu us, log lines %u\n", s.instances,
           (unsigned long long)(s.guest_ns / 1000), atomic_load(&log_lines));

    kiln_plugin_free(p);
    kiln_engine_free(engine);
    return 0;
}
