/*
 * test_api.c — the promises include/kiln.h makes to embedders, each checked
 * through the public API only: every _free accepts NULL; kiln_memory_data's
 * pointer survives memory.grow, from the host and from Wasm; a host
 * function finds each result's kind already set; kiln_func_new copies the
 * function type it is given; inspect prints constant expressions.
 */
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "kiln_inspect.h"
#include "kiln_wasi.h"
#include "unit.h"

#define PAGE 65536u

TEST(api_free_null_is_a_no_op)
{
    /* A crash here fails the whole suite. */
    kiln_error_free(NULL);
    kiln_engine_free(NULL);
    kiln_module_free(NULL);
    kiln_store_free(NULL);
    kiln_linker_free(NULL);
    kiln_wasi_config_free(NULL);
    kiln_wasi_free(NULL);
    CHECK(1);
}

static bool api_store(kiln_engine **e, kiln_store **s)
{
    *e = NULL;
    *s = NULL;
    kiln_error *err = kiln_engine_new(NULL, e);
    if (!err)
        err = kiln_store_new(*e, NULL, s);
    CHECK(err == NULL);
    kiln_error_free(err);
    return *s != NULL;
}

TEST(api_memory_data_stays_put_when_the_host_grows_it)
{
    kiln_engine *e;
    kiln_store *s;
    kiln_memory *m = NULL;
    if (api_store(&e, &s) && !kiln_memory_new(s, (kiln_limits){1, 4, true}, &m)) {
        uint8_t *p = kiln_memory_data(m);
        p[0] = 7;
        CHECK_EQ(kiln_memory_grow(m, 2), 1);
        CHECK(kiln_memory_data(m) == p);
        CHECK_EQ(kiln_memory_size(m), 3 * PAGE);
        p[3 * PAGE - 1] = 9;            /* the new pages, through the old pointer */
        uint8_t b[2] = {0, 0};
        CHECK(kiln_memory_read(m, 0, &b[0], 1) && kiln_memory_read(m, 3 * PAGE - 1, &b[1], 1));
        CHECK(b[0] == 7 && b[1] == 9);
    }
    CHECK(m != NULL);
    kiln_store_free(s);
    kiln_engine_free(e);
}

/* (module (memory (export "mem") 1 3)
 *         (func (export "grow") (result i32) (memory.grow (i32.const 2)))) */
static const uint8_t mod_grow[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x05, 0x04, 0x01, 0x01, 0x01, 0x03,
    0x07, 0x0e, 0x02, 0x03, 'm', 'e', 'm', 0x02, 0x00, 0x04, 'g', 'r', 'o', 'w', 0x00, 0x00,
    0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x02, 0x40, 0x00, 0x0b,
};

TEST(api_memory_data_stays_put_across_wasm_memory_grow)
{
    kiln_engine *e;
    kiln_store *s;
    kiln_module *mod = NULL;
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    if (api_store(&e, &s) && !kiln_module_new(e, mod_grow, sizeof mod_grow, &mod) &&
        !kiln_linker_new(s, &l) && !kiln_linker_instantiate(l, mod, &inst)) {
        kiln_memory *m = kiln_instance_export_memory(inst, "mem");
        kiln_func *grow = kiln_instance_export_func(inst, "grow");
        CHECK(m && grow);
        if (m && grow) {
            uint8_t *p = kiln_memory_data(m);
            kiln_val r = {0};
            CHECK(kiln_call(s, grow, NULL, 0, &r, 1) == NULL);
            CHECK_EQ(r.of.i32, 1);
            CHECK(kiln_memory_data(m) == p);
            CHECK_EQ(kiln_memory_size(m), 3 * PAGE);
            p[3 * PAGE - 1] = 5;
            uint8_t b = 0;
            CHECK(kiln_memory_read(m, 3 * PAGE - 1, &b, 1) && b == 5);
        }
    }
    CHECK(inst != NULL);
    kiln_linker_free(l);
    kiln_store_free(s);
    kiln_engine_free(e);
    kiln_module_free(mod);
}

/* (module (func (export "") (result i32) (i32.const 1))
 *         (func (export "\00a") (result i32) (i32.const 2))) */
static const uint8_t mod_nul_names[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x03, 0x02, 0x00, 0x00,
    0x07, 0x09, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 'a', 0x00, 0x01,
    0x0a, 0x0b, 0x02, 0x04, 0x00, 0x41, 0x01, 0x0b, 0x04, 0x00, 0x41, 0x02, 0x0b,
};

static int32_t api_call_i32(kiln_store *s, kiln_func *f)
{
    kiln_val r = {0};
    if (!f || kiln_call(s, f, NULL, 0, &r, 1) != NULL)
        return -1;
    return r.of.i32;
}

TEST(api_export_names_with_a_nul_are_found_by_length)
{
    kiln_engine *e;
    kiln_store *s;
    kiln_module *mod = NULL;
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    if (api_store(&e, &s) && !kiln_module_new(e, mod_nul_names, sizeof mod_nul_names, &mod) &&
        !kiln_linker_new(s, &l) && !kiln_linker_instantiate(l, mod, &inst)) {
        CHECK_EQ(api_call_i32(s, kiln_instance_export_func(inst, "")), 1);
        CHECK_EQ(api_call_i32(s, kiln_instance_export_func_n(inst, "", 0)), 1);
        CHECK_EQ(api_call_i32(s, kiln_instance_export_func_n(inst, "\0a", 2)), 2);
        CHECK(kiln_instance_export_func_n(inst, "\0", 1) == NULL);
        CHECK(kiln_instance_export_func_n(inst, "\0ab", 3) == NULL);
    }
    CHECK(inst != NULL);
    kiln_linker_free(l);
    kiln_store_free(s);
    kiln_engine_free(e);
    kiln_module_free(mod);
}

/* Writes only `of`, relying on the kind kiln set; records that kind. */
static kiln_error *host_of_only(kiln_caller *c, void *env, const kiln_val *args,
                                kiln_val *results)
{
    *(kiln_valkind *)env = results[0].kind;
    results[0].of.i64 = 42;
    return NULL;
}

/* Sets the wrong kind. */
static kiln_error *host_wrong_kind(kiln_caller *c, void *env, const kiln_val *args,
                                   kiln_val *results)
{
    results[0].kind = KILN_I32;
    results[0].of.i32 = 1;
    return NULL;
}

TEST(api_host_results_come_with_their_kind)
{
    kiln_engine *e;
    kiln_store *s;
    static const kiln_valkind i64 = KILN_I64;
    static const kiln_functype type = {0, 1, NULL, &i64};
    kiln_func *ok = NULL, *bad = NULL;
    kiln_valkind seen = (kiln_valkind)0;
    if (api_store(&e, &s) && !kiln_func_new(s, &type, host_of_only, &seen, NULL, &ok) &&
        !kiln_func_new(s, &type, host_wrong_kind, NULL, NULL, &bad)) {
        kiln_val r = {0};
        CHECK(kiln_call(s, ok, NULL, 0, &r, 1) == NULL);
        CHECK(seen == KILN_I64);
        CHECK(r.kind == KILN_I64 && r.of.i64 == 42);
        kiln_error *err = kiln_call(s, bad, NULL, 0, &r, 1);
        CHECK(err && kiln_error_kind_of(err) == KILN_ERR_HOST);
        kiln_error_free(err);
    }
    CHECK(ok && bad);
    kiln_store_free(s);
    kiln_engine_free(e);
}

static kiln_error *host_sub(kiln_caller *c, void *env, const kiln_val *args, kiln_val *results)
{
    results[0].of.i32 = args[0].of.i32 - (int32_t)args[1].of.i64;
    return NULL;
}

TEST(api_func_new_copies_the_type)
{
    kiln_engine *e;
    kiln_store *s;
    kiln_func *f = NULL;
    kiln_valkind *kinds = malloc(3 * sizeof *kinds);
    kiln_functype *type = malloc(sizeof *type);
    if (kinds && type && api_store(&e, &s)) {
        kinds[0] = KILN_I32, kinds[1] = KILN_I64, kinds[2] = KILN_I32;
        *type = (kiln_functype){2, 1, kinds, kinds + 2};
        CHECK(kiln_func_new(s, type, host_sub, NULL, NULL, &f) == NULL);
        /* Clobber and free the caller's type: the function keeps its own. */
        kinds[0] = kinds[1] = kinds[2] = KILN_F64;
        type->nparams = 0;
        free(kinds);
        free(type);
        kinds = NULL;
        type = NULL;
        if (f) {
            kiln_functype t = kiln_func_type(f);
            CHECK(t.nparams == 2 && t.nresults == 1);
            CHECK(t.params[0] == KILN_I32 && t.params[1] == KILN_I64 && t.results[0] == KILN_I32);
            kiln_val args[2] = {{.kind = KILN_I32, .of.i32 = 50}, {.kind = KILN_I64, .of.i64 = 8}};
            kiln_val r = {0};
            CHECK(kiln_call(s, f, args, 2, &r, 1) == NULL);
            CHECK(r.kind == KILN_I32 && r.of.i32 == 42);
        }
        kiln_store_free(s);
        kiln_engine_free(e);
    }
    CHECK(f != NULL);
    free(kinds);
    free(type);
}

/* (module (global i64 (i64.const -1))
 *         (global v128 (v128.const i32x4 1 2 3 4))) */
static const uint8_t mod_globals[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x06, 0x1b, 0x02,
    0x7e, 0x00, 0x42, 0x7f, 0x0b,
    0x7b, 0x00, 0xfd, 0x0c, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0x0b,
};

TEST(api_inspect_prints_constant_expressions)
{
    kiln_engine *e = NULL;
    kiln_module *m = NULL;
    char buf[128];
    if (!kiln_engine_new(NULL, &e) && !kiln_module_new(e, mod_globals, sizeof mod_globals, &m)) {
        kiln_global_info g;
        kiln_inspect_global(m, 0, &g);
        CHECK(g.init.offset == 13 && g.init.size == 3);
        CHECK(kiln_inspect_expr_text(m, g.init, buf, sizeof buf) > 0);
        CHECK(strcmp(buf, "i64.const -1") == 0);
        kiln_inspect_global(m, 1, &g);
        kiln_inspect_expr_text(m, g.init, buf, sizeof buf);
        CHECK(strcmp(buf, "v128.const i32x4 0x00000001 0x00000002 0x00000003 0x00000004") == 0);
        /* A range that starts inside an instruction prints nothing. */
        kiln_expr inside = {.offset = 14, .size = 2};
        CHECK(kiln_inspect_expr_text(m, inside, buf, sizeof buf) == 0 && buf[0] == '\0');
    }
    CHECK(m != NULL);
    kiln_module_free(m);
    kiln_engine_free(e);
}
