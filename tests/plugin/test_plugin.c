/*
 * test_plugin.c — kiln_plugin end to end with the test plugin basic.wasm
 * (tests/plugin/plugins/basic.c): input and output, errors, vars, config,
 * logs, every kernel function, traps, limits, stats.
 */
#include "manifest.h"   /* max_var_bytes, which has no setter */
#include "plugin_test.h"

static kiln_engine *engine(void)
{
    kiln_engine *e = NULL;
    kiln_error *err = kiln_engine_new(NULL, &e);
    if (err)
        kiln_error_free(err);
    return e;
}

TEST(plugin_echo_and_vowels)
{
    kiln_engine *eng = engine();
    kiln_plugin *p = pt_load(eng, "basic.wasm", NULL);
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "echo", "hello", NULL, NULL), "hello");
        CHECK_STR(pt_call(p, "echo_zero_copy", "zero copy", NULL, NULL), "zero copy");
        CHECK_STR(pt_call(p, "count_vowels", "Hello, World!", NULL, NULL), "{\"count\":3}");
        CHECK_STR(pt_call(p, "echo", "", NULL, NULL), "");
        CHECK_STR(pt_call(p, "noop", "x", NULL, NULL), "");
        CHECK_STR(pt_call(p, "unit", NULL, NULL, NULL), "unit");
        CHECK(kiln_plugin_has_function(p, "echo"));
        CHECK(kiln_plugin_has_function(p, "unit"));
        CHECK(!kiln_plugin_has_function(p, "nope"));
        CHECK(!kiln_plugin_has_function(p, "memory"));
        kiln_plugin_stats s;
        kiln_plugin_get_stats(p, &s);
        CHECK_EQ(s.calls, 6);
        CHECK_EQ(s.errors, 0);
        CHECK_EQ(s.instances, 1);
        CHECK_EQ(s.busy, 0);
        CHECK(s.memory_bytes > 0);
    }
    kiln_plugin_free(p);
    kiln_engine_free(eng);
}

TEST(plugin_errors)
{
    kiln_engine *eng = engine();
    kiln_plugin *p = pt_load(eng, "basic.wasm", NULL);
    CHECK(p);
    if (p) {
        kiln_error *e = NULL;
        CHECK(!pt_call(p, "fail", "", NULL, &e));
        CHECK(e && kiln_error_kind_of(e) == KILN_ERR_PLUGIN);
        CHECK(e && !strcmp(kiln_error_message(e), "it went wrong"));
        kiln_error_free(e);
        CHECK(!pt_call(p, "fail_rc", "", NULL, &e));
        CHECK(e && kiln_error_kind_of(e) == KILN_ERR_PLUGIN);
        CHECK(e && !strcmp(kiln_error_message(e), "plugin returned 7"));
        kiln_error_free(e);
        CHECK(!pt_call(p, "fail_zero", "", NULL, &e));
        CHECK(e && !strcmp(kiln_error_message(e), "error with rc 0"));
        kiln_error_free(e);
        /* the error does not stick to the next call */
        CHECK_STR(pt_call(p, "echo", "after", NULL, NULL), "after");
        CHECK(!pt_call(p, "nope", "", NULL, &e));
        CHECK(e && kiln_error_kind_of(e) == KILN_ERR_ARG);
        kiln_error_free(e);
        kiln_plugin_stats s;
        kiln_plugin_get_stats(p, &s);
        CHECK_EQ(s.plugin_errors, 3);
        CHECK_EQ(s.errors, 4);
        CHECK_EQ(s.instances, 1);   /* plugin errors keep the instance */
    }
    kiln_plugin_free(p);
    kiln_engine_free(eng);
}

TEST(plugin_vars_persist)
{
    kiln_engine *eng = engine();
    kiln_plugin *p = pt_load(eng, "basic.wasm", NULL);
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "count_calls", "", NULL, NULL), "1");
        CHECK_STR(pt_call(p, "count_calls", "", NULL, NULL), "2");
        CHECK_STR(pt_call(p, "count_calls", "", NULL, NULL), "3");
        CHECK_STR(pt_call(p, "var", "k=v1", NULL, NULL), "");
        CHECK_STR(pt_call(p, "var", "k", NULL, NULL), "v1");
        uint8_t *v = NULL;
        size_t n = 0;
        CHECK(kiln_plugin_var_get(p, "k", &v, &n));
        CHECK(n == 2 && v && !memcmp(v, "v1", 2));
        free(v);
        kiln_error *e = kiln_plugin_var_set(p, "k", "from host", 9);
        CHECK(!e);
        kiln_error_free(e);
        CHECK_STR(pt_call(p, "var", "k", NULL, NULL), "from host");
        CHECK_STR(pt_call(p, "var", "-k", NULL, NULL), "");
        CHECK(!kiln_plugin_var_get(p, "k", &v, &n));
        CHECK(!pt_call(p, "var", "k", NULL, &e));
        CHECK(e && !strcmp(kiln_error_message(e), "unset"));
        kiln_error_free(e);
    }
    kiln_plugin_free(p);
    kiln_engine_free(eng);
}

TEST(plugin_var_cap)
{
    kiln_engine *eng = engine();
    kiln_plugin_manifest *m = pt_manifest("basic.wasm");
    CHECK(m);
    if (!m)
        return;
    m->max_var_bytes = 16;
    kiln_plugin *p = pt_load_m(eng, m, NULL);
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "var", "a=0123456789", NULL, NULL), "");    /* 11 bytes */
        kiln_error *e = NULL;
        CHECK(!pt_call(p, "var", "b=0123456789", NULL, &e));             /* 22 > 16 */
        CHECK(e && strstr(kiln_error_message(e), "Variable store is full"));
        kiln_error_free(e);
        e = kiln_plugin_var_set(p, "c", "0123456789", 10);
        CHECK(e && kiln_error_kind_of(e) == KILN_ERR_LIMIT);
        kiln_error_free(e);
        CHECK_STR(pt_call(p, "var", "a", NULL, NULL), "0123456789");
    }
    kiln_plugin_free(p);
    m->max_var_bytes = 0;
    p = pt_load_m(eng, m, NULL);
    if (p) {
        kiln_error *e = NULL;
        CHECK(!pt_call(p, "var", "a=1", NULL, &e));
        CHECK(e && strstr(kiln_error_message(e), "Vars are disabled"));
        kiln_error_free(e);
    }
    kiln_plugin_free(p);
    kiln_plugin_manifest_free(m);
    kiln_engine_free(eng);
}

TEST(plugin_config)
{
    kiln_engine *eng = engine();
    kiln_plugin_manifest *m = pt_manifest("basic.wasm");
    CHECK(m);
    if (!m)
        return;
    kiln_error *e = kiln_plugin_manifest_set_config(m, "greeting", "hi there");
    CHECK(!e);
    kiln_error_free(e);
    kiln_plugin *p = pt_load_m(eng, m, NULL);
    kiln_plugin_manifest_free(m);   /* the plugin keeps its own copy */
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "config", "greeting", NULL, NULL), "hi there");
        CHECK(!pt_call(p, "config", "missing", NULL, &e));
        CHECK(e && !strcmp(kiln_error_message(e), "no such config"));
        kiln_error_free(e);
    }
    kiln_plugin_free(p);
    kiln_engine_free(eng);
}

typedef struct logbuf {
    char text[512];
    int lines[6];
} logbuf;

static void log_fn(void *ud, kiln_log_level level, const char *msg, size_t len)
{
    logbuf *b = ud;
    b->lines[level]++;
    strncat(b->text, msg, len < 64 ? len : 64);
    strcat(b->text, ";");
}

TEST(plugin_logs)
{
    kiln_engine *eng = engine();
    for (int lvl = KILN_LOG_TRACE; lvl <= KILN_LOG_OFF; lvl++) {
        logbuf b = {0};
        kiln_plugin_options o = {.log = log_fn, .log_ud = &b, .log_level = (kiln_log_level)lvl};
        kiln_plugin *p = pt_load(eng, "basic.wasm", &o);
        CHECK(p);
        if (!p)
            continue;
        char want[16];
        snprintf(want, sizeof want, "%d", lvl == KILN_LOG_OFF ? INT32_MAX : lvl);
        CHECK_STR(pt_call(p, "logs", "", NULL, NULL), want);
        for (int l = 0; l < 5; l++)
            CHECK_EQ(b.lines[l], l >= lvl ? 1 : 0);
        if (lvl == KILN_LOG_TRACE)
            CHECK(!strcmp(b.text, "trace line;debug line;info line;warn line;error line;"));
        if (lvl == KILN_LOG_WARN)
            CHECK(!strcmp(b.text, "warn line;error line;"));
        kiln_plugin_free(p);
    }
    kiln_engine_free(eng);
}

TEST(plugin_kernel_functions)
{
    kiln_engine *eng = engine();
    kiln_plugin *p = pt_load(eng, "basic.wasm", NULL);
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "kernel", "0123456789abcdef", NULL, NULL), "kernel ok");
        CHECK_STR(pt_call(p, "kernel", "", NULL, NULL), "kernel ok");
        kiln_error *e = NULL;
        CHECK(!pt_call(p, "kernel_oob", "", NULL, &e));
        CHECK(e && strstr(kiln_error_message(e), "outside kernel memory"));
        kiln_error_free(e);
        CHECK(!pt_call(p, "input_oob", "abc", NULL, &e));
        CHECK(e && strstr(kiln_error_message(e), "input_load_u8"));
        kiln_error_free(e);
        kiln_plugin_stats s;
        kiln_plugin_get_stats(p, &s);
        CHECK_EQ(s.traps, 2);
        CHECK_EQ(s.instances, 0);   /* trapped instances are thrown away */
        CHECK_STR(pt_call(p, "echo", "still works", NULL, NULL), "still works");
    }
    kiln_plugin_free(p);
    kiln_engine_free(eng);
}

TEST(plugin_traps_and_limits)
{
    kiln_engine *eng = engine();
    kiln_plugin_manifest *m = pt_manifest("basic.wasm");
    CHECK(m);
    if (!m)
        return;
    kiln_plugin_manifest_set_timeout_ms(m, 50);
    kiln_plugin_options o = {.fuel = 0};
    kiln_plugin *p = pt_load_m(eng, m, &o);
    CHECK(p);
    if (p) {
        kiln_error *e = NULL;
        CHECK(!pt_call(p, "trap", "", NULL, &e));
        CHECK(e && kiln_error_kind_of(e) == KILN_ERR_TRAP &&
              kiln_error_trap(e) == KILN_TRAP_UNREACHABLE);
        kiln_error_free(e);
        CHECK(!pt_call(p, "loop", "", NULL, &e));
        CHECK(e && kiln_error_kind_of(e) == KILN_ERR_LIMIT &&
              kiln_error_trap(e) == KILN_TRAP_DEADLINE);
        kiln_error_free(e);
        /* per-call fuel */
        kiln_plugin_call_opts co = {.fuel = 100000};
        CHECK(!pt_call(p, "loop", "", &co, &e));
        CHECK(e && kiln_error_trap(e) == KILN_TRAP_OUT_OF_FUEL);
        kiln_error_free(e);
        CHECK_STR(pt_call(p, "echo", "fuel enough", &co, NULL), "fuel enough");
        /* a per-call timeout overrides the manifest's */
        kiln_plugin_call_opts to = {.timeout_ms = 10};
        CHECK(!pt_call(p, "loop", "", &to, &e));
        CHECK(e && kiln_error_trap(e) == KILN_TRAP_DEADLINE);
        kiln_error_free(e);
        kiln_plugin_stats s;
        kiln_plugin_get_stats(p, &s);
        CHECK_EQ(s.traps, 1);
        CHECK_EQ(s.limit_timeout, 2);
        CHECK_EQ(s.limit_fuel, 1);
        CHECK(s.fuel_used >= 100000);
        CHECK(s.guest_ns >= 50000000);
    }
    kiln_plugin_free(p);
    kiln_plugin_manifest_free(m);
    kiln_engine_free(eng);
}

TEST(plugin_memory_limits)
{
    kiln_engine *eng = engine();
    kiln_plugin_manifest *m = pt_manifest("basic.wasm");
    CHECK(m);
    if (!m)
        return;
    kiln_plugin_manifest_set_max_pages(m, 8);
    kiln_plugin *p = pt_load_m(eng, m, NULL);
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "grow", "", NULL, NULL), "8");
        kiln_error *e = NULL;
        CHECK(!pt_call(p, "kernel_fill", "", NULL, &e));
        CHECK(e && !strcmp(kiln_error_message(e), "kernel memory full"));
        kiln_error_free(e);
    }
    kiln_plugin_free(p);
    kiln_plugin_manifest_free(m);
    kiln_engine_free(eng);
}
