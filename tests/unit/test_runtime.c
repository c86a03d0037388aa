/*
 * test_runtime.c — unit tests of the runtime objects and their API: stores
 * and limits, memories, tables, globals, host functions, the engine's type
 * table, linking and instantiation.
 *
 * Modules are hand-written binaries (the comment above each gives its text
 * form).  Every test frees what it made, so the suite doubles as a leak
 * test under LeakSanitizer (make SAN=1).
 */
#include <stdint.h>
#include <string.h>

#include "kiln.h"
#include "module.h"
#include "runtime.h"
#include "unit.h"

/* ---- Helpers ----------------------------------------------------------- */

typedef struct fixture {
    kiln_engine *engine;
    kiln_store *store;
} fixture;

static fixture setup(const kiln_store_limits *limits)
{
    fixture f = {0};
    kiln_error *e = kiln_engine_new(NULL, &f.engine);
    CHECK(e == NULL);
    e = kiln_store_new(f.engine, limits, &f.store);
    CHECK(e == NULL);
    return f;
}

static void teardown(fixture *f)
{
    kiln_store_free(f->store);
    kiln_engine_free(f->engine);
}

/* Check that e is an error of the given kind whose message contains
 * `needle`, and free it. */
static bool error_is(kiln_error *e, kiln_error_kind kind, const char *needle)
{
    if (!e)
        return false;
    bool ok = kiln_error_kind_of(e) == kind && strstr(kiln_error_message(e), needle) != NULL;
    if (!ok)
        printf("  unexpected error (kind %d): %s\n", (int)kiln_error_kind_of(e),
               kiln_error_message(e));
    kiln_error_free(e);
    return ok;
}

static kiln_error *host_add(kiln_caller *c, void *env, const kiln_val *args, kiln_val *results)
{
    if (env)
        ++*(int *)env;
    results[0].kind = KILN_I32;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
    return NULL;
}

static kiln_error *host_nop(kiln_caller *c, void *env, const kiln_val *args, kiln_val *results)
{
    return NULL;
}

static void count_finalize(void *env) { ++*(int *)env; }

static const kiln_valkind two_i32[] = {KILN_I32, KILN_I32};
static const kiln_functype type_i32_i32_to_i32 = {2, 1, two_i32, two_i32};

/* ---- Memories ---------------------------------------------------------- */

TEST(memory_grow_within_and_beyond_max)
{
    fixture f = setup(NULL);
    kiln_memory *m = NULL;
    CHECK(kiln_memory_new(f.store, (kiln_limits){1, 3, true}, &m) == NULL);
    CHECK_EQ(kiln_memory_size(m), 65536);
    CHECK_EQ(kiln_memory_grow(m, 0), 1);
    CHECK_EQ(kiln_memory_grow(m, 1), 1);
    CHECK_EQ(kiln_memory_grow(m, 1), 2);
    CHECK_EQ(kiln_memory_grow(m, 1), -1);
    CHECK_EQ(kiln_memory_grow(m, UINT64_MAX), -1);
    CHECK_EQ(kiln_memory_size(m), 3 * 65536);
    /* New pages are zeroed and usable; the old contents stay put. */
    uint8_t *data = kiln_memory_data(m);
    CHECK(data[3 * 65536 - 1] == 0);
    data[3 * 65536 - 1] = 7;
    CHECK(kiln_memory_data(m) == data);
    teardown(&f);
}

TEST(memory_store_cap)
{
    kiln_store_limits lim = {.max_memory_bytes = 2 * 65536 + 100};
    fixture f = setup(&lim);
    kiln_memory *m = NULL;
    CHECK(kiln_memory_new(f.store, (kiln_limits){0, 0, false}, &m) == NULL);
    CHECK_EQ(kiln_memory_grow(m, 2), 0);
    CHECK_EQ(kiln_memory_grow(m, 1), -1);
    CHECK_EQ(kiln_memory_size(m), 2 * 65536);
    kiln_memory *big = NULL;
    CHECK(error_is(kiln_memory_new(f.store, (kiln_limits){3, 0, false}, &big), KILN_ERR_LIMIT,
                   "limit"));
    CHECK(big == NULL);
    teardown(&f);
}

TEST(memory_new_rejects_bad_limits)
{
    fixture f = setup(NULL);
    kiln_memory *m = NULL;
    CHECK(error_is(kiln_memory_new(f.store, (kiln_limits){2, 1, true}, &m), KILN_ERR_ARG,
                   "minimum"));
    CHECK(error_is(kiln_memory_new(f.store, (kiln_limits){65537, 0, false}, &m), KILN_ERR_ARG,
                   "65536"));
    CHECK(error_is(kiln_memory_new(f.store, (kiln_limits){0, 65537, true}, &m), KILN_ERR_ARG,
                   "65536"));
    CHECK(m == NULL);
    /* The largest 32-bit memory can be made (it is only reserved). */
    CHECK(kiln_memory_new(f.store, (kiln_limits){0, 65536, true}, &m) == NULL);
    teardown(&f);
}

TEST(memory_read_write_bounds)
{
    fixture f = setup(NULL);
    kiln_memory *m = NULL;
    CHECK(kiln_memory_new(f.store, (kiln_limits){1, 1, true}, &m) == NULL);
    uint8_t buf[4] = {1, 2, 3, 4}, out[4] = {0};
    CHECK(kiln_memory_write(m, 65532, buf, 4));
    CHECK(kiln_memory_read(m, 65532, out, 4));
    CHECK(memcmp(buf, out, 4) == 0);
    CHECK(!kiln_memory_write(m, 65533, buf, 4));
    CHECK(!kiln_memory_read(m, 65533, out, 4));
    /* Zero-length accesses are fine up to and including the end. */
    CHECK(kiln_memory_read(m, 65536, out, 0));
    CHECK(!kiln_memory_read(m, 65537, out, 0));
    /* addr + len must not wrap around. */
    CHECK(!kiln_memory_read(m, UINT64_MAX, out, 1));
    CHECK(!kiln_memory_read(m, UINT64_MAX - 2, out, 4));
    CHECK(!kiln_memory_write(m, 1, buf, SIZE_MAX));
    CHECK(!kiln_memory_write(m, 65536, buf, 1));
    /* A failed write copies nothing. */
    memset(out, 0, sizeof out);
    CHECK(!kiln_memory_write(m, 65534, (uint8_t[4]){9, 9, 9, 9}, 4));
    CHECK(kiln_memory_read(m, 65532, out, 4));
    CHECK(memcmp(buf, out, 4) == 0);
    teardown(&f);
}

TEST(memory_zero_pages)
{
    fixture f = setup(NULL);
    kiln_memory *m = NULL;
    CHECK(kiln_memory_new(f.store, (kiln_limits){0, 0, true}, &m) == NULL);
    CHECK_EQ(kiln_memory_size(m), 0);
    CHECK_EQ(kiln_memory_grow(m, 0), 0);
    CHECK_EQ(kiln_memory_grow(m, 1), -1);
    uint8_t b;
    CHECK(!kiln_memory_read(m, 0, &b, 1));
    CHECK(kiln_memory_read(m, 0, &b, 0));
    teardown(&f);
}

/* ---- Tables ------------------------------------------------------------ */

TEST(table_grow_and_get)
{
    fixture f = setup(NULL);
    kiln_table *t = NULL;
    CHECK(kiln_table_new(f.store, KILN_FUNCREF, (kiln_limits){1, 3, true}, &t) == NULL);
    CHECK_EQ(kiln_table_size(t), 1);
    kiln_func *fn = NULL;
    CHECK(kiln_func_new(f.store, &type_i32_i32_to_i32, host_add, NULL, NULL, &fn) == NULL);
    CHECK_EQ(kn_table_grow(t, 2, fn), 1);
    CHECK_EQ(kn_table_grow(t, 1, NULL), -1);
    CHECK_EQ(kn_table_grow(t, UINT64_MAX, NULL), -1);
    CHECK_EQ(kn_table_grow(t, 0, NULL), 3);
    CHECK_EQ(kiln_table_size(t), 3);
    kiln_val v;
    CHECK(kiln_table_get(t, 0, &v));
    CHECK(v.kind == KILN_FUNCREF && v.of.funcref == NULL);
    CHECK(kiln_table_get(t, 2, &v));
    CHECK(v.of.funcref == fn);
    CHECK(!kiln_table_get(t, 3, &v));
    CHECK(!kiln_table_get(t, UINT64_MAX, &v));
    teardown(&f);
}

TEST(table_store_cap_and_bad_args)
{
    kiln_store_limits lim = {.max_table_elems = 5};
    fixture f = setup(&lim);
    kiln_table *t = NULL;
    CHECK(kiln_table_new(f.store, KILN_EXTERNREF, (kiln_limits){0, 0, false}, &t) == NULL);
    int x;
    for (int i = 0; i < 5; i++)
        CHECK_EQ(kn_table_grow(t, 1, &x), i);
    CHECK_EQ(kn_table_grow(t, 1, &x), -1);
    kiln_val v;
    CHECK(kiln_table_get(t, 4, &v) && v.kind == KILN_EXTERNREF && v.of.externref == &x);
    kiln_table *t2 = NULL;
    CHECK(error_is(kiln_table_new(f.store, KILN_EXTERNREF, (kiln_limits){6, 0, false}, &t2),
                   KILN_ERR_LIMIT, "limit"));
    CHECK(error_is(kiln_table_new(f.store, KILN_I32, (kiln_limits){0, 0, false}, &t2),
                   KILN_ERR_ARG, "reference"));
    CHECK(error_is(kiln_table_new(f.store, KILN_FUNCREF, (kiln_limits){2, 1, true}, &t2),
                   KILN_ERR_ARG, "minimum"));
    CHECK(t2 == NULL);
    teardown(&f);
}

/* ---- Globals ----------------------------------------------------------- */

TEST(global_mutability_and_types)
{
    fixture f = setup(NULL);
    kiln_global *c = NULL, *v = NULL, *w = NULL;
    CHECK(kiln_global_new(f.store, (kiln_val){.kind = KILN_I32, .of.i32 = -5}, false, &c) == NULL);
    CHECK(kiln_global_type(c) == KILN_I32);
    CHECK(!kiln_global_is_mutable(c));
    CHECK_EQ(kiln_global_get(c).of.i32, -5);
    CHECK(error_is(kiln_global_set(c, (kiln_val){.kind = KILN_I32, .of.i32 = 1}), KILN_ERR_ARG,
                   "immutable"));
    CHECK_EQ(kiln_global_get(c).of.i32, -5);

    CHECK(kiln_global_new(f.store, (kiln_val){.kind = KILN_F64, .of.f64 = 1.5}, true, &v) == NULL);
    CHECK(kiln_global_is_mutable(v));
    CHECK(error_is(kiln_global_set(v, (kiln_val){.kind = KILN_I64, .of.i64 = 1}), KILN_ERR_ARG,
                   "mismatch"));
    CHECK(kiln_global_set(v, (kiln_val){.kind = KILN_F64, .of.f64 = -2.25}) == NULL);
    kiln_val got = kiln_global_get(v);
    CHECK(got.kind == KILN_F64 && got.of.f64 == -2.25);

    kiln_val vec = {.kind = KILN_V128};
    for (int i = 0; i < 16; i++)
        vec.of.v128[i] = (uint8_t)(i * 17);
    CHECK(kiln_global_new(f.store, vec, true, &w) == NULL);
    got = kiln_global_get(w);
    CHECK(got.kind == KILN_V128 && memcmp(got.of.v128, vec.of.v128, 16) == 0);

    kiln_global *bad = NULL;
    CHECK(error_is(kiln_global_new(f.store, (kiln_val){.kind = (kiln_valkind)0x42}, true, &bad),
                   KILN_ERR_ARG, "kind"));
    CHECK(bad == NULL);
    teardown(&f);
}

TEST(values_round_trip_through_slots)
{
    kn_slot s[2];
    kiln_val v = {.kind = KILN_I32, .of.i32 = -1};
    kn_val_to_slots(&v, s);
    CHECK_EQ(s[0].i64, 0xffffffffu); /* upper half zeroed */
    CHECK_EQ(kn_slots_to_val(KN_I32, s).of.i32, -1);
    v = (kiln_val){.kind = KILN_I64, .of.i64 = INT64_MIN};
    kn_val_to_slots(&v, s);
    CHECK(kn_slots_to_val(KN_I64, s).of.i64 == INT64_MIN);
    v = (kiln_val){.kind = KILN_F32, .of.f32 = 0.5f};
    kn_val_to_slots(&v, s);
    CHECK(kn_slots_to_val(KN_F32, s).of.f32 == 0.5f);
    v = (kiln_val){.kind = KILN_EXTERNREF, .of.externref = s};
    kn_val_to_slots(&v, s);
    CHECK(kn_slots_to_val(KN_EXTERNREF, s).of.externref == s);
}

/* ---- Engine ------------------------------------------------------------ */

TEST(engine_interns_types)
{
    kiln_engine *e = NULL, *e2 = NULL;
    CHECK(kiln_engine_new(NULL, &e) == NULL);
    CHECK(kiln_engine_new(NULL, &e2) == NULL);
    kn_valtype a[] = {KN_I32, KN_I64, KN_F32}, b[] = {KN_I32, KN_I64, KN_F32};
    uint32_t x = kn_engine_intern_type(e, a, 2, 1);
    CHECK_EQ(kn_engine_intern_type(e, b, 2, 1), x);
    CHECK(kn_engine_intern_type(e, a, 1, 2) != x);   /* same list, other split */
    CHECK(kn_engine_intern_type(e, a, 3, 0) != x);
    uint32_t empty = kn_engine_intern_type(e, NULL, 0, 0);
    CHECK_EQ(kn_engine_intern_type(e, a, 0, 0), empty);
    /* Enough distinct types to force the index to grow several times. */
    uint32_t ids[300];
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < 300; i++) {
            kn_valtype t[7] = {(kn_valtype)(0x7c + i % 4), (kn_valtype)(0x7c + i / 4 % 4),
                               (kn_valtype)(0x7c + i / 16 % 4), KN_I32, KN_I32, KN_I32, KN_I32};
            uint32_t id = kn_engine_intern_type(e, t, 3, i / 64);
            if (pass == 0)
                ids[i] = id;
            else
                CHECK_EQ(id, ids[i]);
            for (uint32_t j = 0; pass == 0 && j < i; j++)
                if (ids[j] == id)
                    CHECK(!"distinct types share an id");
        }
    }
    /* Engines share nothing. */
    CHECK_EQ(kn_engine_intern_type(e2, a, 3, 0), 0);
    CHECK(strcmp(kiln_version(), KILN_VERSION_STRING) == 0);
    kiln_engine_free(e);
    kiln_engine_free(e2);
}

/* ---- Stores, host functions, teardown ---------------------------------- */

TEST(store_teardown_frees_everything)
{
    fixture f = setup(NULL);
    int finalized = 0;
    for (int i = 0; i < 10; i++) {
        kiln_func *fn;
        kiln_memory *m;
        kiln_table *t;
        kiln_global *g;
        CHECK(kiln_func_new(f.store, &type_i32_i32_to_i32, host_add, &finalized, count_finalize,
                            &fn) == NULL);
        CHECK(kiln_memory_new(f.store, (kiln_limits){1, 0, false}, &m) == NULL);
        CHECK(kiln_table_new(f.store, KILN_FUNCREF, (kiln_limits){10, 0, false}, &t) == NULL);
        CHECK(kiln_global_new(f.store, (kiln_val){.kind = KILN_I64, .of.i64 = i}, true, &g) ==
              NULL);
        CHECK_EQ(kn_table_grow(t, 100, fn), 10);
    }
    CHECK_EQ(finalized, 0);
    kiln_store_free(f.store);
    CHECK_EQ(finalized, 10);
    kiln_engine_free(f.engine);
}

TEST(store_defaults_and_fuel)
{
    fixture f = setup(NULL);
    CHECK_EQ(f.store->limits.max_memory_bytes, (uint64_t)4 << 30);
    CHECK_EQ(f.store->limits.max_table_elems, 10000000);
    CHECK_EQ(f.store->limits.max_call_depth, 10000);
    CHECK_EQ(f.store->limits.max_stack_bytes, 8 << 20);
    CHECK(!f.store->fuel_on);
    kiln_store_set_fuel(f.store, 1234);
    CHECK_EQ(kiln_store_fuel_remaining(f.store), 1234);
    teardown(&f);
}

TEST(check_limits_charges_fuel_exactly)
{
    kiln_store_limits lim = {.fuel = 25000};
    fixture f = setup(&lim);
    kiln_store *s = f.store;
    /* Play the interpreter: reset as at the outermost call, then count
     * units down, taking the slow path whenever the budget runs out. */
    s->budget = 0;
    CHECK_EQ(kn_check_limits(s), KILN_TRAP_NONE);
    uint64_t units = 0;
    kiln_trap_code tc = KILN_TRAP_NONE;
    while (tc == KILN_TRAP_NONE && units < 100000) {
        units++;
        if (--s->budget <= 0)
            tc = kn_check_limits(s);
    }
    CHECK_EQ(tc, KILN_TRAP_OUT_OF_FUEL);
    CHECK_EQ(units, 25001);    /* 25000 ran, the next one trapped */
    CHECK_EQ(kiln_store_fuel_remaining(s), 0);
    teardown(&f);
}

TEST(check_limits_interrupt_and_deadline)
{
    fixture f = setup(NULL);
    kiln_store *s = f.store;
    CHECK_EQ(kn_check_limits(s), KILN_TRAP_NONE);
    CHECK(s->budget > 0);
    kiln_store_interrupt(s);
    CHECK_EQ(kn_check_limits(s), KILN_TRAP_INTERRUPT);
    atomic_store(&s->interrupt, 0);
    s->deadline_ns = 1; /* long past */
    CHECK_EQ(kn_check_limits(s), KILN_TRAP_DEADLINE);
    s->deadline_ns = UINT64_MAX;
    CHECK_EQ(kn_check_limits(s), KILN_TRAP_NONE);
    teardown(&f);
}

TEST(call_host_function_directly)
{
    fixture f = setup(NULL);
    int calls = 0;
    kiln_func *fn = NULL;
    CHECK(kiln_func_new(f.store, &type_i32_i32_to_i32, host_add, &calls, NULL, &fn) == NULL);
    kiln_functype t = kiln_func_type(fn);
    CHECK_EQ(t.nparams, 2);
    CHECK_EQ(t.nresults, 1);
    CHECK(t.params[1] == KILN_I32 && t.results[0] == KILN_I32);
    kiln_val args[2] = {{.kind = KILN_I32, .of.i32 = 40}, {.kind = KILN_I32, .of.i32 = 2}};
    kiln_val res[1];
    CHECK(kiln_call(f.store, fn, args, 2, res, 1) == NULL);
    CHECK_EQ(res[0].of.i32, 42);
    CHECK_EQ(calls, 1);
    CHECK(error_is(kiln_call(f.store, fn, args, 1, res, 1), KILN_ERR_ARG, "arguments"));
    CHECK(error_is(kiln_call(f.store, fn, args, 2, res, 0), KILN_ERR_ARG, "results"));
    args[1].kind = KILN_I64;
    CHECK(error_is(kiln_call(f.store, fn, args, 2, res, 1), KILN_ERR_ARG, "expected i32"));
    CHECK_EQ(calls, 1);

    /* Objects of one store cannot be used with another. */
    kiln_store *other = NULL;
    CHECK(kiln_store_new(f.engine, NULL, &other) == NULL);
    args[1].kind = KILN_I32;
    CHECK(error_is(kiln_call(other, fn, args, 2, res, 1), KILN_ERR_ARG, "another store"));
    kiln_linker *l = NULL;
    CHECK(kiln_linker_new(other, &l) == NULL);
    CHECK(error_is(kiln_linker_define_func(l, "env", "add", fn), KILN_ERR_ARG, "another store"));
    kiln_linker_free(l);
    kiln_store_free(other);

    kiln_func *bad = NULL;
    kiln_valkind k = (kiln_valkind)1;
    kiln_functype bt = {1, 0, &k, NULL};
    CHECK(error_is(kiln_func_new(f.store, &bt, host_nop, NULL, NULL, &bad), KILN_ERR_ARG, "kind"));
    CHECK(bad == NULL);
    teardown(&f);
}

/* ---- Modules, linking, instantiation ----------------------------------- */

#define WASM_HEADER 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

/* (module (import "env" "f" (func (param i32) (result i32)))) */
static const uint8_t mod_import_func[] = {
    WASM_HEADER,
    0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x02, 0x09, 0x01, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00,
};

/* (module (import "env" "mem" (memory 1 2))) */
static const uint8_t mod_import_mem[] = {
    WASM_HEADER,
    0x02, 0x0d, 0x01, 0x03, 'e', 'n', 'v', 0x03, 'm', 'e', 'm', 0x02, 0x01, 0x01, 0x02,
};

/* (module (import "env" "g" (global i32))) */
static const uint8_t mod_import_global[] = {
    WASM_HEADER,
    0x02, 0x0a, 0x01, 0x03, 'e', 'n', 'v', 0x01, 'g', 0x03, 0x7f, 0x00,
};

/* (module (import "env" "t" (table 2 funcref))) */
static const uint8_t mod_import_table[] = {
    WASM_HEADER,
    0x02, 0x0b, 0x01, 0x03, 'e', 'n', 'v', 0x01, 't', 0x01, 0x70, 0x00, 0x02,
};

/* (module (memory (export "mem") 1 2) (data (i32.const 0) "hi")) */
static const uint8_t mod_data[] = {
    WASM_HEADER,
    0x05, 0x04, 0x01, 0x01, 0x01, 0x02,
    0x07, 0x07, 0x01, 0x03, 'm', 'e', 'm', 0x02, 0x00,
    0x0b, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 'h', 'i',
};

/* (module (import "env" "mem" (memory 1))
 *         (data (i32.const 0) "hi") (data (i32.const 65535) "hi")) */
static const uint8_t mod_data_oob[] = {
    WASM_HEADER,
    0x02, 0x0c, 0x01, 0x03, 'e', 'n', 'v', 0x03, 'm', 'e', 'm', 0x02, 0x00, 0x01,
    0x0b, 0x11, 0x02,
    0x00, 0x41, 0x00, 0x0b, 0x02, 'h', 'i',
    0x00, 0x41, 0xff, 0xff, 0x03, 0x0b, 0x02, 'h', 'i',
};

/* (module (func (export "add") (param i32 i32) (result i32)
 *           (i32.add (local.get 0) (local.get 1)))) */
static const uint8_t mod_add[] = {
    WASM_HEADER,
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x07, 0x01, 0x03, 'a', 'd', 'd', 0x00, 0x00,
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
};

/* (module (func (export "countdown") (param i32)
 *           (loop (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
 *                 (br_if 0 (local.get 0))))) */
static const uint8_t mod_countdown[] = {
    WASM_HEADER,
    0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x0d, 0x01, 0x09, 'c', 'o', 'u', 'n', 't', 'd', 'o', 'w', 'n', 0x00, 0x00,
    0x0a, 0x12, 0x01, 0x10, 0x00, 0x03, 0x40, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x20,
    0x00, 0x0d, 0x00, 0x0b, 0x0b,
};

/* (module (import "env" "poke" (func))
 *         (func (export "spin") (call 0) (loop (br 0)))) */
static const uint8_t mod_spin[] = {
    WASM_HEADER,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x02, 0x0c, 0x01, 0x03, 'e', 'n', 'v', 0x04, 'p', 'o', 'k', 'e', 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x08, 0x01, 0x04, 's', 'p', 'i', 'n', 0x00, 0x01,
    0x0a, 0x0b, 0x01, 0x09, 0x00, 0x10, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
};

/* (module (table 2 funcref) (func $f) (elem (i32.const 1) $f)
 *         (elem (i32.const 2) $f)) — the second segment does not fit */
static const uint8_t mod_elem_oob[] = {
    WASM_HEADER,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00,
    0x04, 0x04, 0x01, 0x70, 0x00, 0x02,
    0x09, 0x0d, 0x02, 0x00, 0x41, 0x01, 0x0b, 0x01, 0x00, 0x00, 0x41, 0x02, 0x0b, 0x01, 0x00,
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
};

static kiln_module *load(kiln_engine *e, const uint8_t *bytes, size_t len)
{
    kiln_module *m = NULL;
    kiln_error *err = kiln_module_new(e, bytes, len, &m);
    if (err) {
        printf("  module: %s\n", kiln_error_message(err));
        kiln_error_free(err);
    }
    CHECK(m != NULL);
    return m;
}
#define LOAD(e, arr) load((e), (arr), sizeof(arr))

TEST(linker_missing_and_incompatible_func)
{
    fixture f = setup(NULL);
    kiln_module *m = LOAD(f.engine, mod_import_func);
    if (!m) {
        teardown(&f);
        return;
    }
    CHECK_EQ(kiln_module_import_count(m), 1);
    kiln_import_desc d;
    kiln_module_import(m, 0, &d);
    CHECK(strcmp(d.module, "env") == 0 && strcmp(d.name, "f") == 0);
    CHECK(d.type.kind == KILN_EXTERN_FUNC && d.type.func.nparams == 1 &&
          d.type.func.params[0] == KILN_I32 && d.type.func.results[0] == KILN_I32);

    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    CHECK(kiln_linker_new(f.store, &l) == NULL);
    kiln_error *e = kiln_linker_instantiate(l, m, &inst);
    CHECK(e && strstr(kiln_error_message(e), "\"env\" \"f\"") != NULL);
    CHECK(error_is(e, KILN_ERR_LINK, "unknown import"));

    /* (i32 i32) -> i32 is not (i32) -> i32 */
    kiln_func *wrong = NULL, *right = NULL;
    CHECK(kiln_func_new(f.store, &type_i32_i32_to_i32, host_add, NULL, NULL, &wrong) == NULL);
    CHECK(kiln_linker_define_func(l, "env", "f", wrong) == NULL);
    CHECK(error_is(kiln_linker_instantiate(l, m, &inst), KILN_ERR_LINK,
                   "incompatible import type"));

    /* A memory where a function is wanted. */
    kiln_memory *mem = NULL;
    CHECK(kiln_memory_new(f.store, (kiln_limits){0, 0, false}, &mem) == NULL);
    CHECK(kiln_linker_define_memory(l, "env", "f", mem) == NULL);
    CHECK(error_is(kiln_linker_instantiate(l, m, &inst), KILN_ERR_LINK,
                   "incompatible import type"));

    /* Redefinition replaces; the right type links. */
    static const kiln_valkind i32[] = {KILN_I32};
    kiln_functype ft = {1, 1, i32, i32};
    CHECK(kiln_func_new(f.store, &ft, host_nop, NULL, NULL, &right) == NULL);
    CHECK(kiln_linker_define_func(l, "env", "f", right) == NULL);
    CHECK(kiln_linker_instantiate(l, m, &inst) == NULL);
    CHECK(inst != NULL && kiln_instance_module(inst) == m);
    CHECK(right->canon == m->m.types[0].canon);

    kiln_linker_free(l);
    teardown(&f);
    kiln_module_free(m);
}

TEST(linker_memory_limits_matching)
{
    fixture f = setup(NULL);
    kiln_module *m = LOAD(f.engine, mod_import_mem);
    if (!m) {
        teardown(&f);
        return;
    }
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    CHECK(kiln_linker_new(f.store, &l) == NULL);
    struct { kiln_limits lim; uint64_t grow; bool ok; } cases[] = {
        {{1, 0, false}, 0, false},   /* no max where max 2 is wanted */
        {{1, 3, true}, 0, false},    /* max too large */
        {{0, 2, true}, 0, false},    /* too small now ... */
        {{0, 2, true}, 1, true},     /* ... but the current size counts */
        {{1, 2, true}, 0, true},
        {{2, 2, true}, 0, true},
        {{1, 1, true}, 0, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kiln_memory *mem = NULL;
        CHECK(kiln_memory_new(f.store, cases[i].lim, &mem) == NULL);
        CHECK(kiln_memory_grow(mem, cases[i].grow) >= 0);
        CHECK(kiln_linker_define_memory(l, "env", "mem", mem) == NULL);
        kiln_error *e = kiln_linker_instantiate(l, m, &inst);
        if (cases[i].ok) {
            CHECK(e == NULL);
            kiln_error_free(e);
        } else {
            CHECK(error_is(e, KILN_ERR_LINK, "incompatible import type"));
        }
    }
    kiln_linker_free(l);
    teardown(&f);
    kiln_module_free(m);
}

TEST(linker_global_and_table_matching)
{
    fixture f = setup(NULL);
    kiln_module *mg = LOAD(f.engine, mod_import_global);
    kiln_module *mt = LOAD(f.engine, mod_import_table);
    if (!mg || !mt) {
        teardown(&f);
        kiln_module_free(mg);
        kiln_module_free(mt);
        return;
    }
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    CHECK(kiln_linker_new(f.store, &l) == NULL);
    kiln_global *g;
    CHECK(kiln_global_new(f.store, (kiln_val){.kind = KILN_I32, .of.i32 = 1}, true, &g) == NULL);
    CHECK(kiln_linker_define_global(l, "env", "g", g) == NULL);
    CHECK(error_is(kiln_linker_instantiate(l, mg, &inst), KILN_ERR_LINK, "incompatible"));
    CHECK(kiln_global_new(f.store, (kiln_val){.kind = KILN_I64, .of.i64 = 1}, false, &g) == NULL);
    CHECK(kiln_linker_define_global(l, "env", "g", g) == NULL);
    CHECK(error_is(kiln_linker_instantiate(l, mg, &inst), KILN_ERR_LINK, "incompatible"));
    CHECK(kiln_global_new(f.store, (kiln_val){.kind = KILN_I32, .of.i32 = 1}, false, &g) == NULL);
    CHECK(kiln_linker_define_global(l, "env", "g", g) == NULL);
    CHECK(kiln_linker_instantiate(l, mg, &inst) == NULL);

    kiln_table *t;
    CHECK(kiln_table_new(f.store, KILN_EXTERNREF, (kiln_limits){2, 0, false}, &t) == NULL);
    CHECK(kiln_linker_define_table(l, "env", "t", t) == NULL);
    CHECK(error_is(kiln_linker_instantiate(l, mt, &inst), KILN_ERR_LINK, "incompatible"));
    CHECK(kiln_table_new(f.store, KILN_FUNCREF, (kiln_limits){1, 0, false}, &t) == NULL);
    CHECK(kiln_linker_define_table(l, "env", "t", t) == NULL);
    CHECK(error_is(kiln_linker_instantiate(l, mt, &inst), KILN_ERR_LINK, "incompatible"));
    CHECK_EQ(kn_table_grow(t, 1, NULL), 1);    /* current size 2 now fits */
    CHECK(kiln_linker_instantiate(l, mt, &inst) == NULL);

    kiln_linker_free(l);
    teardown(&f);
    kiln_module_free(mg);
    kiln_module_free(mt);
}

TEST(instantiate_data_and_exports)
{
    fixture f = setup(NULL);
    kiln_module *m = LOAD(f.engine, mod_data);
    if (!m) {
        teardown(&f);
        return;
    }
    CHECK_EQ(kiln_module_export_count(m), 1);
    kiln_export_desc d;
    kiln_module_export(m, 0, &d);
    CHECK(strcmp(d.name, "mem") == 0 && d.type.kind == KILN_EXTERN_MEMORY &&
          d.type.limits.min == 1 && d.type.limits.has_max && d.type.limits.max == 2);
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    CHECK(kiln_linker_new(f.store, &l) == NULL);
    CHECK(kiln_linker_instantiate(l, m, &inst) == NULL);
    kiln_memory *mem = kiln_instance_export_memory(inst, "mem");
    CHECK(mem != NULL);
    CHECK(kiln_instance_export_func(inst, "mem") == NULL);
    CHECK(kiln_instance_export_memory(inst, "me") == NULL);
    char buf[3] = {0};
    CHECK(mem && kiln_memory_read(mem, 0, buf, 2) && strcmp(buf, "hi") == 0);
    /* Another instance's exports can satisfy imports. */
    CHECK(kiln_linker_define_instance(l, "env", inst) == NULL);
    kiln_module *mi = LOAD(f.engine, mod_import_mem);
    kiln_instance *inst2 = NULL;
    CHECK(mi && kiln_linker_instantiate(l, mi, &inst2) == NULL);
    kiln_linker_free(l);
    teardown(&f);
    kiln_module_free(mi);
    kiln_module_free(m);
}

TEST(instantiate_segment_out_of_bounds_keeps_earlier_writes)
{
    fixture f = setup(NULL);
    kiln_module *m = LOAD(f.engine, mod_data_oob);
    kiln_module *me = LOAD(f.engine, mod_elem_oob);
    if (!m || !me) {
        teardown(&f);
        kiln_module_free(m);
        kiln_module_free(me);
        return;
    }
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    kiln_memory *mem = NULL;
    CHECK(kiln_linker_new(f.store, &l) == NULL);
    CHECK(kiln_memory_new(f.store, (kiln_limits){1, 0, false}, &mem) == NULL);
    CHECK(kiln_linker_define_memory(l, "env", "mem", mem) == NULL);
    kiln_error *e = kiln_linker_instantiate(l, m, &inst);
    CHECK(e && kiln_error_trap(e) == KILN_TRAP_MEMORY_OOB);
    CHECK(error_is(e, KILN_ERR_TRAP, "out of bounds memory access"));
    CHECK(inst == NULL);
    char buf[3] = {0};
    CHECK(kiln_memory_read(mem, 0, buf, 2) && strcmp(buf, "hi") == 0);
    uint8_t last;
    CHECK(kiln_memory_read(mem, 65535, &last, 1) && last == 0);

    e = kiln_linker_instantiate(l, me, &inst);
    CHECK(e && kiln_error_trap(e) == KILN_TRAP_TABLE_OOB);
    CHECK(error_is(e, KILN_ERR_TRAP, "out of bounds table access"));
    CHECK(inst == NULL);
    kiln_linker_free(l);
    teardown(&f);
    kiln_module_free(m);
    kiln_module_free(me);
}

TEST(call_wasm_function)
{
    fixture f = setup(NULL);
    kiln_module *m = LOAD(f.engine, mod_add);
    if (!m) {
        teardown(&f);
        return;
    }
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    CHECK(kiln_linker_new(f.store, &l) == NULL);
    CHECK(kiln_linker_instantiate(l, m, &inst) == NULL);
    kiln_func *add = inst ? kiln_instance_export_func(inst, "add") : NULL;
    CHECK(add != NULL);
    if (add) {
        kiln_val args[2] = {{.kind = KILN_I32, .of.i32 = 7}, {.kind = KILN_I32, .of.i32 = -9}};
        kiln_val r;
        CHECK(kiln_call(f.store, add, args, 2, &r, 1) == NULL);
        CHECK(r.kind == KILN_I32 && r.of.i32 == -2);
        args[0].kind = KILN_F32;
        CHECK(error_is(kiln_call(f.store, add, args, 2, &r, 1), KILN_ERR_ARG, "argument 0"));
    }
    kiln_linker_free(l);
    teardown(&f);
    kiln_module_free(m);
}

TEST(fuel_runs_out_and_refills)
{
    kiln_store_limits lim = {.fuel = 100000};
    fixture f = setup(&lim);
    kiln_module *m = LOAD(f.engine, mod_countdown);
    if (!m) {
        teardown(&f);
        return;
    }
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    CHECK(kiln_linker_new(f.store, &l) == NULL);
    CHECK(kiln_linker_instantiate(l, m, &inst) == NULL);
    kiln_func *fn = inst ? kiln_instance_export_func(inst, "countdown") : NULL;
    CHECK(fn != NULL);
    if (fn) {
        kiln_val n = {.kind = KILN_I32, .of.i32 = 10};
        CHECK(kiln_call(f.store, fn, &n, 1, NULL, 0) == NULL);
        uint64_t left = kiln_store_fuel_remaining(f.store);
        CHECK(left < 100000 && left >= 100000 - 20);
        n.of.i32 = 1000000000;
        kiln_error *e = kiln_call(f.store, fn, &n, 1, NULL, 0);
        CHECK(e && kiln_error_trap(e) == KILN_TRAP_OUT_OF_FUEL);
        CHECK(error_is(e, KILN_ERR_LIMIT, "fuel"));
        CHECK_EQ(kiln_store_fuel_remaining(f.store), 0);
        n.of.i32 = 10;
        CHECK(error_is(kiln_call(f.store, fn, &n, 1, NULL, 0), KILN_ERR_LIMIT, "fuel"));
        kiln_store_set_fuel(f.store, 50);
        CHECK(kiln_call(f.store, fn, &n, 1, NULL, 0) == NULL);
        CHECK(kiln_store_fuel_remaining(f.store) < 50);
    }
    kiln_linker_free(l);
    teardown(&f);
    kiln_module_free(m);
}

static kiln_error *host_interrupt(kiln_caller *c, void *env, const kiln_val *args,
                                  kiln_val *results)
{
    kiln_store_interrupt(kiln_caller_store(c));
    CHECK(kiln_caller_instance(c) != NULL);
    CHECK(kiln_caller_memory(c) == NULL);
    return NULL;
}

TEST(interrupt_and_deadline_stop_loops)
{
    kiln_store_limits lim = {.timeout_ns = 20 * 1000 * 1000};
    fixture f = setup(&lim);
    kiln_module *m = LOAD(f.engine, mod_spin);
    if (!m) {
        teardown(&f);
        return;
    }
    static const kiln_functype none = {0, 0, NULL, NULL};
    kiln_func *poke = NULL, *nop = NULL;
    CHECK(kiln_func_new(f.store, &none, host_interrupt, NULL, NULL, &poke) == NULL);
    CHECK(kiln_func_new(f.store, &none, host_nop, NULL, NULL, &nop) == NULL);
    kiln_linker *l = NULL;
    kiln_instance *a = NULL, *b = NULL;
    CHECK(kiln_linker_new(f.store, &l) == NULL);
    CHECK(kiln_linker_define_func(l, "env", "poke", poke) == NULL);
    CHECK(kiln_linker_instantiate(l, m, &a) == NULL);
    CHECK(kiln_linker_define_func(l, "env", "poke", nop) == NULL);
    CHECK(kiln_linker_instantiate(l, m, &b) == NULL);
    if (a && b) {
        kiln_error *e = kiln_call(f.store, kiln_instance_export_func(a, "spin"), NULL, 0, NULL, 0);
        CHECK(e && kiln_error_trap(e) == KILN_TRAP_INTERRUPT);
        CHECK(error_is(e, KILN_ERR_LIMIT, "interrupt"));
        /* The flag is cleared by the next top-level call; the deadline
         * then stops the loop. */
        e = kiln_call(f.store, kiln_instance_export_func(b, "spin"), NULL, 0, NULL, 0);
        CHECK(e && kiln_error_trap(e) == KILN_TRAP_DEADLINE);
        CHECK(error_is(e, KILN_ERR_LIMIT, "deadline"));
    }
    kiln_linker_free(l);
    teardown(&f);
    kiln_module_free(m);
}
