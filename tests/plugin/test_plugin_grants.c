/*
 * test_plugin_grants.c — capabilities: host functions of the embedder with
 * every value type (host.wasm), imports nothing grants refused at load
 * naming the import, WASI granted or not with allowed_paths read-write,
 * read-only and absent (wasi.wasm), and a plugin of two modules linked by
 * name (multi-lib.wasm + multi-main.wasm).
 */
#include <ctype.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_test.h"

static kiln_engine *engine(void)
{
    kiln_engine *e = NULL;
    kiln_error *err = kiln_engine_new(NULL, &e);
    kiln_error_free(err);
    return e;
}

static kiln_error *h_add(kiln_plugin_ctx *c, void *env, const kiln_val *a, kiln_val *r)
{
    r[0].of.i32 = (int32_t)((uint32_t)a[0].of.i32 + (uint32_t)a[1].of.i32);
    return NULL;
}
static kiln_error *h_mul(kiln_plugin_ctx *c, void *env, const kiln_val *a, kiln_val *r)
{
    r[0].of.i64 = a[0].of.i64 * a[1].of.i64;
    return NULL;
}
static kiln_error *h_half(kiln_plugin_ctx *c, void *env, const kiln_val *a, kiln_val *r)
{
    r[0].of.f32 = a[0].of.f32 / 2;
    return NULL;
}
static kiln_error *h_scale(kiln_plugin_ctx *c, void *env, const kiln_val *a, kiln_val *r)
{
    r[0].of.f64 = a[0].of.f64 * a[1].of.f32;
    return NULL;
}
/* Reads the block it is given, answers a new block; counts its calls in
 * env and checks the call's user_data. */
static kiln_error *h_upper(kiln_plugin_ctx *c, void *env, const kiln_val *a, kiln_val *r)
{
    (*(int *)env)++;
    if (kiln_plugin_ctx_user_data(c) != (void *)0x1234)
        return kiln_trap_new("wrong user_data");
    uint64_t len;
    uint8_t *b = kiln_plugin_ctx_block(c, (uint64_t)a[0].of.i64, &len);
    char buf[256];
    if (!b || len > sizeof buf)
        return kiln_trap_new("bad block");
    for (uint64_t i = 0; i < len; i++)
        buf[i] = (char)toupper(b[i]);
    uint64_t h;
    kiln_error *e = kiln_plugin_ctx_alloc(c, buf, len, &h);
    r[0].of.i64 = (int64_t)h;
    return e;
}

static const kiln_valkind I32[] = {KILN_I32, KILN_I32}, I64[] = {KILN_I64, KILN_I64},
                          F32[] = {KILN_F32}, F64F32[] = {KILN_F64, KILN_F32},
                          F64[] = {KILN_F64};

TEST(plugin_host_functions)
{
    kiln_engine *eng = engine();
    int upper_calls = 0;
    kiln_plugin_func funcs[] = {
        {NULL, "add_i32", {2, 1, I32, I32}, h_add, NULL},
        {NULL, "mul_i64", {2, 1, I64, I64}, h_mul, NULL},
        {"extism:host/user", "half_f32", {1, 1, F32, F32}, h_half, NULL},
        {NULL, "scale_f64", {2, 1, F64F32, F64}, h_scale, NULL},
        {NULL, "upper", {1, 1, I64, I64}, h_upper, &upper_calls},
    };
    kiln_plugin_options o = {.funcs = funcs, .nfuncs = 5};
    kiln_plugin *p = pt_load(eng, "host.wasm", &o);
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "numbers", "", NULL, NULL), "ok 42");
        kiln_plugin_call_opts co = {.user_data = (void *)0x1234};
        CHECK_STR(pt_call(p, "shout", "make it loud", &co, NULL), "MAKE IT LOUD");
        CHECK_EQ(upper_calls, 1);
        kiln_error *e = NULL;
        CHECK(!pt_call(p, "shout", "no user data", NULL, &e));
        CHECK(e && strstr(kiln_error_message(e), "wrong user_data"));
        kiln_error_free(e);
    }
    kiln_plugin_free(p);

    /* nothing granted: refused at load, naming the first missing import */
    kiln_plugin_manifest *m = pt_manifest("host.wasm");
    kiln_error *e = m ? kiln_plugin_new(eng, m, NULL, &p) : NULL;
    CHECK(e && kiln_error_kind_of(e) == KILN_ERR_LINK);
    CHECK(e && strstr(kiln_error_message(e), "extism:host/user.add_i32"));
    kiln_error_free(e);
    /* granted with another type */
    kiln_plugin_func wrong[] = {{NULL, "add_i32", {2, 1, I64, I64}, h_mul, NULL}};
    kiln_plugin_options ow = {.funcs = wrong, .nfuncs = 1};
    e = m ? kiln_plugin_new(eng, m, &ow, &p) : NULL;
    CHECK(e && kiln_error_kind_of(e) == KILN_ERR_LINK && strstr(kiln_error_message(e), "add_i32"));
    kiln_error_free(e);
    kiln_plugin_manifest_free(m);
    kiln_engine_free(eng);
}

TEST(plugin_wasi_not_granted)
{
    kiln_engine *eng = engine();
    kiln_plugin_manifest *m = pt_manifest("wasi.wasm");
    kiln_plugin *p = NULL;
    kiln_error *e = m ? kiln_plugin_new(eng, m, NULL, &p) : NULL;
    CHECK(e && kiln_error_kind_of(e) == KILN_ERR_LINK);
    CHECK(e && strstr(kiln_error_message(e), "wasi_snapshot_preview1."));
    kiln_error_free(e);
    kiln_plugin_manifest_free(m);
    kiln_engine_free(eng);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void log_into(void *ud, kiln_log_level level, const char *msg, size_t len)
{
    char *b = ud;
    size_t at = strlen(b);
    snprintf(b + at, 256 - at, "%d:%.*s;", (int)level, (int)len, msg);
}

TEST(plugin_wasi_paths)
{
    kiln_engine *eng = engine();
    char dir[] = "/tmp/kiln-plugin-wasi-XXXXXX", rw[256], ro[256], out[300];
    CHECK(mkdtemp(dir));
    snprintf(rw, sizeof rw, "%s/rw", dir);
    snprintf(ro, sizeof ro, "%s/ro", dir);
    mkdir(rw, 0700);
    mkdir(ro, 0700);
    snprintf(out, sizeof out, "%s/hello.txt", ro);
    write_text(out, "hello from the host\n");
    snprintf(out, sizeof out, "%s/secret.txt", dir);
    write_text(out, "not for plugins\n");

    kiln_plugin_manifest *m = pt_manifest("wasi.wasm");
    kiln_error *e = m ? kiln_plugin_manifest_allow_path(m, rw, "/data", false) : NULL;
    kiln_error_free(e);
    e = m ? kiln_plugin_manifest_allow_path(m, ro, "/ro", true) : NULL;
    kiln_error_free(e);
    char logged[256] = "";
    kiln_plugin_options o = {.wasi = true, .log = log_into, .log_ud = logged};
    kiln_plugin *p = pt_load_m(eng, m, &o);
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "read_file", "/ro/hello.txt", NULL, NULL), "hello from the host\n");
        CHECK_STR(pt_call(p, "write_file", "/data/new.txt", NULL, NULL), "written");
        CHECK_STR(pt_call(p, "read_file", "/data/new.txt", NULL, NULL),
                  "written by the plugin\n");
        kiln_error *ce = NULL;
        CHECK(!pt_call(p, "write_file", "/ro/new.txt", NULL, &ce));   /* read-only */
        CHECK(ce && !strcmp(kiln_error_message(ce), "cannot create"));
        kiln_error_free(ce);
        CHECK(!pt_call(p, "read_file", "/ro/../secret.txt", NULL, &ce));   /* outside */
        CHECK(ce && !strcmp(kiln_error_message(ce), "cannot open"));
        kiln_error_free(ce);
        CHECK(!pt_call(p, "read_file", "/etc/passwd", NULL, &ce));
        kiln_error_free(ce);
        CHECK_STR(pt_call(p, "say", "", NULL, NULL), "said");
        CHECK(!strcmp(logged, "2:to stdout\n;3:to stderr\n;"));
        snprintf(out, sizeof out, "%s/new.txt", ro);
        CHECK(access(out, F_OK) != 0);
    }
    kiln_plugin_free(p);
    kiln_plugin_manifest_free(m);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    kiln_engine_free(eng);
}

/* Writes a two-module manifest into dir and loads it. */
TEST(plugin_multi_module)
{
    kiln_engine *eng = engine();
    const char *pdir = getenv("KILN_PLUGIN_DIR");
    char abs[1024], json[3000], path[1100];
    CHECK(realpath(pdir ? pdir : "build/plugin-test", abs) != NULL);
    snprintf(json, sizeof json,
             "{\"wasm\": [{\"path\": \"%s/multi-lib.wasm\", \"name\": \"lib\"},"
             " {\"path\": \"%s/multi-main.wasm\", \"name\": \"main\"}]}",
             abs, abs);
    kiln_plugin_manifest *m = NULL;
    kiln_error *e = kiln_plugin_manifest_parse(json, strlen(json), NULL, &m);
    CHECK(!e);
    if (e)
        printf("  %s\n", kiln_error_message(e));
    kiln_error_free(e);
    kiln_plugin *p = pt_load_m(eng, m, NULL);
    CHECK(p);
    if (p) {
        CHECK_STR(pt_call(p, "run", "14", NULL, NULL), "42");
        CHECK_STR(pt_call(p, "run", "100", NULL, NULL), "300");
        CHECK(kiln_plugin_has_function(p, "run"));
        CHECK(!kiln_plugin_has_function(p, "triple"));   /* lib's, not the plugin's */
    }
    kiln_plugin_free(p);
    kiln_plugin_manifest_free(m);
    /* without the library module, its import is not granted */
    snprintf(path, sizeof path, "%s/multi-main.wasm", abs);
    m = NULL;
    e = kiln_plugin_manifest_load(path, &m);
    kiln_error_free(e);
    p = NULL;
    e = m ? kiln_plugin_new(eng, m, NULL, &p) : NULL;
    CHECK(e && kiln_error_kind_of(e) == KILN_ERR_LINK && strstr(kiln_error_message(e), "lib.triple"));
    kiln_error_free(e);
    kiln_plugin_manifest_free(m);
    kiln_engine_free(eng);
}

/* A WASI command: _start may be called; exit(0) is success, another
 * status an error; each _start gets a fresh instance, as in Extism. */
TEST(plugin_wasi_command_start)
{
    kiln_engine *eng = engine();
    kiln_plugin_options o = {.wasi = true};
    kiln_plugin *p = pt_load(eng, "cmd.wasm", &o);
    CHECK(p);
    if (p) {
        CHECK(kiln_plugin_has_function(p, "_start"));
        CHECK_STR(pt_call(p, "_start", "", NULL, NULL), "1");
        CHECK_STR(pt_call(p, "_start", "0", NULL, NULL), "1");
        kiln_error *e = NULL;
        CHECK(!pt_call(p, "_start", "3", NULL, &e));
        CHECK(e && kiln_error_trap(e) == KILN_TRAP_EXIT && kiln_error_exit_code(e) == 3);
        kiln_error_free(e);
        kiln_plugin_stats s;
        kiln_plugin_get_stats(p, &s);
        CHECK_EQ(s.instances, 0);
    }
    kiln_plugin_free(p);
    kiln_engine_free(eng);
}
