/*
 * test_pool.c — kiln_template and its pool of instance slots: a use never
 * sees what an earlier use of the same slot wrote (memory, grown memory,
 * mutable globals, tables set and grown, dropped segments), also after a
 * trap or running out of fuel or time; start functions run on every use;
 * per-use limits and user data; pool exhaustion; link errors; four threads
 * sharing one pool; 10,000 cycles without growth of RSS or mappings; and
 * every allocation refused in turn.
 *
 * The modules (bytes below, built with wat2wasm 1.0.32):
 *
 *   (module
 *     (import "host" "get" (func $get (result i32)))
 *     (memory (export "memory") 1 100)
 *     (global $g (export "g") (mut i32) (i32.const 7))
 *     (table $t (export "t") 4 10 funcref)
 *     (elem (i32.const 0) $f1)
 *     (elem $p func $f1 $f2)
 *     (data (i32.const 16) "hello")
 *     (data $pd "passive")
 *     (func $f1 (result i32) i32.const 1)
 *     (func $f2 (result i32) i32.const 2)
 *     (func $dirty (export "dirty") (param $v i32)
 *       (i32.store (i32.const 16) (local.get $v))
 *       (i32.store (i32.const 1000) (local.get $v))
 *       (global.set $g (local.get $v))
 *       (table.set $t (i32.const 1) (ref.func $f2))
 *       (drop (table.grow $t (ref.func $f2) (i32.const 3)))
 *       (drop (memory.grow (i32.const 2)))
 *       (i32.store (i32.const 70000) (local.get $v))
 *       (elem.drop $p)
 *       (data.drop $pd))
 *     (func (export "dirty_trap") (param $v i32) (call $dirty (local.get $v)) unreachable)
 *     (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
 *     (func (export "pages") (result i32) memory.size)
 *     (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *     (func (export "call_t") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
 *     (func (export "init_p") (table.init $t $p (i32.const 2) (i32.const 0) (i32.const 2)))
 *     (func (export "init_d") (memory.init $pd (i32.const 2000) (i32.const 0) (i32.const 7)))
 *     (func (export "host") (result i32) call $get)
 *     (func (export "spin") (loop br 0)))
 *
 *   (module
 *     (memory (export "memory") 16)
 *     (global $g (export "g") (mut i32) (i32.const 0))
 *     (data (i32.const 0) "\01")
 *     (data (i32.const 1048000) "end")
 *     (func $s (global.set $g (i32.add (global.get $g) (i32.const 1)))
 *        (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1))))
 *     (start $s))
 *
 *   (module (import "env" "mem" (memory 1)))
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kiln.h"
#include "unit.h"

static const uint8_t pool_wasm[] = {
     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x11, 0x04, 0x60,
     0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f,
     0x60, 0x00, 0x00, 0x02, 0x0c, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x03,
     0x67, 0x65, 0x74, 0x00, 0x00, 0x03, 0x0d, 0x0c, 0x00, 0x00, 0x01, 0x01,
     0x02, 0x00, 0x02, 0x02, 0x03, 0x03, 0x00, 0x03, 0x04, 0x05, 0x01, 0x70,
     0x01, 0x04, 0x0a, 0x05, 0x04, 0x01, 0x01, 0x01, 0x64, 0x06, 0x06, 0x01,
     0x7f, 0x01, 0x41, 0x07, 0x0b, 0x07, 0x66, 0x0d, 0x06, 0x6d, 0x65, 0x6d,
     0x6f, 0x72, 0x79, 0x02, 0x00, 0x01, 0x67, 0x03, 0x00, 0x01, 0x74, 0x01,
     0x00, 0x05, 0x64, 0x69, 0x72, 0x74, 0x79, 0x00, 0x03, 0x0a, 0x64, 0x69,
     0x72, 0x74, 0x79, 0x5f, 0x74, 0x72, 0x61, 0x70, 0x00, 0x04, 0x04, 0x70,
     0x65, 0x65, 0x6b, 0x00, 0x05, 0x05, 0x70, 0x61, 0x67, 0x65, 0x73, 0x00,
     0x06, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x07, 0x06, 0x63, 0x61, 0x6c,
     0x6c, 0x5f, 0x74, 0x00, 0x08, 0x06, 0x69, 0x6e, 0x69, 0x74, 0x5f, 0x70,
     0x00, 0x09, 0x06, 0x69, 0x6e, 0x69, 0x74, 0x5f, 0x64, 0x00, 0x0a, 0x04,
     0x68, 0x6f, 0x73, 0x74, 0x00, 0x0b, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00,
     0x0c, 0x09, 0x0c, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01, 0x01, 0x00,
     0x02, 0x01, 0x02, 0x0c, 0x01, 0x02, 0x0a, 0x8f, 0x01, 0x0c, 0x04, 0x00,
     0x41, 0x01, 0x0b, 0x04, 0x00, 0x41, 0x02, 0x0b, 0x37, 0x00, 0x41, 0x10,
     0x20, 0x00, 0x36, 0x02, 0x00, 0x41, 0xe8, 0x07, 0x20, 0x00, 0x36, 0x02,
     0x00, 0x20, 0x00, 0x24, 0x00, 0x41, 0x01, 0xd2, 0x02, 0x26, 0x00, 0xd2,
     0x02, 0x41, 0x03, 0xfc, 0x0f, 0x00, 0x1a, 0x41, 0x02, 0x40, 0x00, 0x1a,
     0x41, 0xf0, 0xa2, 0x04, 0x20, 0x00, 0x36, 0x02, 0x00, 0xfc, 0x0d, 0x01,
     0xfc, 0x09, 0x01, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x10, 0x03, 0x00, 0x0b,
     0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b, 0x04, 0x00, 0x3f, 0x00,
     0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00,
     0x11, 0x00, 0x00, 0x0b, 0x0c, 0x00, 0x41, 0x02, 0x41, 0x00, 0x41, 0x02,
     0xfc, 0x0c, 0x01, 0x00, 0x0b, 0x0d, 0x00, 0x41, 0xd0, 0x0f, 0x41, 0x00,
     0x41, 0x07, 0xfc, 0x08, 0x01, 0x00, 0x0b, 0x04, 0x00, 0x10, 0x00, 0x0b,
     0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x0b, 0x14, 0x02, 0x00,
     0x41, 0x10, 0x0b, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x01, 0x07, 0x70,
     0x61, 0x73, 0x73, 0x69, 0x76, 0x65
};
static const uint8_t start_wasm[] = {
     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
     0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x10, 0x06,
     0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x0e, 0x02, 0x06, 0x6d,
     0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x01, 0x67, 0x03, 0x00, 0x08,
     0x01, 0x00, 0x0a, 0x18, 0x01, 0x16, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6a,
     0x24, 0x00, 0x41, 0x00, 0x41, 0x00, 0x2d, 0x00, 0x00, 0x41, 0x01, 0x6a,
     0x3a, 0x00, 0x00, 0x0b, 0x0b, 0x11, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x01,
     0x01, 0x00, 0x41, 0xc0, 0xfb, 0x3f, 0x0b, 0x03, 0x65, 0x6e, 0x64
};
static const uint8_t memimport_wasm[] = {
     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0c, 0x01, 0x03,
     0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01
};

#define PAGE 65536u

/* host.get: the int the use's user data points at. */
static kiln_error *host_get(kiln_caller *c, void *env, const kiln_val *args, kiln_val *res)
{
    const int *ud = kiln_caller_data(c);
    res[0].of.i32 = ud ? *ud : -1;
    return NULL;
}

typedef struct pool_fixture {
    kiln_engine *e;
    kiln_module *m;
    kiln_template_builder *b;
    kiln_template *t;
} pool_fixture;

static bool fixture(pool_fixture *f, const uint8_t *bytes, size_t len, uint32_t max_slots,
                    const kiln_store_limits *limits)
{
    memset(f, 0, sizeof *f);
    static const kiln_valkind i32[] = {KILN_I32};
    kiln_functype ft = {.nresults = 1, .results = i32};
    kiln_template_config cfg = {.max_slots = max_slots};
    if (limits)
        cfg.limits = *limits;
    kiln_error *err = kiln_engine_new(NULL, &f->e);
    if (!err)
        err = kiln_module_new(f->e, bytes, len, &f->m);
    if (!err)
        err = kiln_template_builder_new(f->e, &f->b);
    if (!err)
        err = kiln_template_builder_func(f->b, "host", "get", &ft, host_get, NULL, NULL);
    if (!err)
        err = kiln_template_new(f->b, f->m, &cfg, &f->t);
    if (err)
        printf("  fixture: %s\n", kiln_error_message(err));
    CHECK(err == NULL);
    kiln_error_free(err);
    return f->t != NULL;
}

static void fixture_free(pool_fixture *f)
{
    kiln_template_free(f->t);
    kiln_template_builder_free(f->b);
    kiln_module_free(f->m);
    kiln_engine_free(f->e);
}

/* Calls export `name` of inst with up to one i32 argument; the i32 result
 * (0 when there is none), or INT32_MIN when the call failed. */
static int32_t call(kiln_store *s, kiln_instance *inst, const char *name, int nargs, int32_t arg)
{
    kiln_func *fn = kiln_instance_export_func(inst, name);
    if (!fn)
        return INT32_MIN;
    kiln_val a = {.kind = KILN_I32, .of.i32 = arg}, r = {.kind = KILN_I32};
    kiln_error *err = kiln_call(s, fn, &a, (size_t)nargs, &r, kiln_func_type(fn).nresults);
    kiln_error_free(err);
    return err ? INT32_MIN : r.of.i32;
}

/* Everything dirty() and dirty_trap() change, as it is in a fresh instance. */
static void check_pristine(kiln_store *s, kiln_instance *inst)
{
    kiln_memory *mem = kiln_instance_export_memory(inst, "memory");
    uint8_t hello[5] = {0};
    CHECK(kiln_memory_read(mem, 16, hello, 5) && memcmp(hello, "hello", 5) == 0);
    CHECK_EQ(call(s, inst, "peek", 1, 1000), 0);
    CHECK_EQ(kiln_memory_size(mem), PAGE);
    CHECK_EQ(call(s, inst, "pages", 0, 0), 1);
    CHECK_EQ(kiln_global_get(kiln_instance_export_global(inst, "g")).of.i32, 7);
    kiln_table *t = kiln_instance_export_table(inst, "t");
    CHECK_EQ(kiln_table_size(t), 4);
    kiln_val v;
    CHECK(kiln_table_get(t, 1, &v) && v.of.funcref == NULL);
    CHECK_EQ(call(s, inst, "call_t", 1, 0), 1);
    CHECK_EQ(call(s, inst, "call_t", 1, 1), INT32_MIN);    /* null element */
    /* Grown memory comes back zeroed, not with the old secret. */
    CHECK_EQ(call(s, inst, "grow", 1, 2), 1);
    CHECK_EQ(call(s, inst, "peek", 1, 70000), 0);
    /* The segments dropped last time are there again. */
    CHECK_EQ(call(s, inst, "init_p", 0, 0), 0);
    CHECK_EQ(call(s, inst, "call_t", 1, 3), 2);
    CHECK_EQ(call(s, inst, "init_d", 0, 0), 0);
    uint8_t pd[7] = {0};
    CHECK(kiln_memory_read(mem, 2000, pd, 7) && memcmp(pd, "passive", 7) == 0);
}

static void check_dirty(kiln_store *s, kiln_instance *inst, int32_t secret)
{
    CHECK_EQ(call(s, inst, "peek", 1, 1000), secret);
    CHECK_EQ(call(s, inst, "peek", 1, 70000), secret);
    CHECK_EQ(kiln_global_get(kiln_instance_export_global(inst, "g")).of.i32, secret);
    CHECK_EQ(kiln_table_size(kiln_instance_export_table(inst, "t")), 7);
    CHECK_EQ(call(s, inst, "init_d", 0, 0), INT32_MIN);   /* dropped */
}

TEST(pool_a_use_never_sees_the_last_uses_state)
{
    pool_fixture f;
    if (!fixture(&f, pool_wasm, sizeof pool_wasm, 1, NULL))
        return;
    kiln_store *first = NULL;
    for (int round = 0; round < 3; round++) {
        kiln_store *s;
        kiln_instance *inst;
        kiln_error *err = kiln_template_instantiate(f.t, NULL, NULL, &s, &inst);
        CHECK(err == NULL);
        kiln_error_free(err);
        if (err)
            break;
        if (!first)
            first = s;
        CHECK(s == first);                  /* max_slots 1: the same slot */
        check_pristine(s, inst);
        CHECK_EQ(call(s, inst, "dirty", 1, 0x5ec7e7 + round), 0);
        check_dirty(s, inst, 0x5ec7e7 + round);
        /* The host writes too, and grows memory past the guest's growth. */
        kiln_memory *mem = kiln_instance_export_memory(inst, "memory");
        CHECK_EQ(kiln_memory_grow(mem, 1), 5);
        memset(kiln_memory_data(mem) + 5 * PAGE, 0xab, PAGE);
        kiln_store_free(s);
    }
    uint32_t slots = 9, in_use = 9;
    kiln_template_stats(f.t, &slots, &in_use);
    CHECK_EQ(slots, 1);
    CHECK_EQ(in_use, 0);
    fixture_free(&f);
}

TEST(pool_a_slot_is_reset_after_a_trap_and_after_fuel_or_time_ran_out)
{
    pool_fixture f;
    if (!fixture(&f, pool_wasm, sizeof pool_wasm, 1, NULL))
        return;
    kiln_store *s;
    kiln_instance *inst;
    /* A trap in the middle of a dirtying call. */
    if (!kiln_template_instantiate(f.t, NULL, NULL, &s, &inst)) {
        kiln_func *fn = kiln_instance_export_func(inst, "dirty_trap");
        kiln_val a = {.kind = KILN_I32, .of.i32 = 42};
        kiln_error *err = kiln_call(s, fn, &a, 1, NULL, 0);
        CHECK(err && kiln_error_trap(err) == KILN_TRAP_UNREACHABLE);
        kiln_error_free(err);
        check_dirty(s, inst, 42);
        kiln_store_free(s);
    }
    /* Out of fuel after dirtying; the next use has its own fuel. */
    kiln_store_limits lim = {.fuel = 5000};
    for (int i = 0; i < 2; i++) {
        if (kiln_template_instantiate(f.t, &lim, NULL, &s, &inst))
            break;
        check_pristine(s, inst);
        CHECK_EQ(call(s, inst, "dirty", 1, 99), 0);
        kiln_error *err = kiln_call(s, kiln_instance_export_func(inst, "spin"), NULL, 0, NULL, 0);
        CHECK(err && kiln_error_trap(err) == KILN_TRAP_OUT_OF_FUEL);
        kiln_error_free(err);
        kiln_store_free(s);
    }
    /* A deadline per use. */
    lim = (kiln_store_limits){.timeout_ns = 20 * 1000000ull};
    if (!kiln_template_instantiate(f.t, &lim, NULL, &s, &inst)) {
        check_pristine(s, inst);
        CHECK_EQ(call(s, inst, "dirty", 1, 98), 0);
        kiln_error *err = kiln_call(s, kiln_instance_export_func(inst, "spin"), NULL, 0, NULL, 0);
        CHECK(err && kiln_error_trap(err) == KILN_TRAP_DEADLINE);
        kiln_error_free(err);
        kiln_store_free(s);
    }
    /* And without limits, the template's (none): the same slot, clean. */
    if (!kiln_template_instantiate(f.t, NULL, NULL, &s, &inst)) {
        CHECK_EQ(kiln_store_fuel_remaining(s), UINT64_MAX);
        check_pristine(s, inst);
        kiln_store_free(s);
    }
    fixture_free(&f);
}

static int finalized;
static void count_finalize(void *env) { finalized++; }

TEST(pool_user_data_and_objects_made_during_a_use)
{
    pool_fixture f;
    if (!fixture(&f, pool_wasm, sizeof pool_wasm, 4, NULL))
        return;
    int a = 11, b = 22;
    kiln_store *sa, *sb;
    kiln_instance *ia, *ib;
    if (!kiln_template_instantiate(f.t, NULL, &a, &sa, &ia)) {
        if (!kiln_template_instantiate(f.t, NULL, &b, &sb, &ib)) {
            CHECK(sa != sb);
            CHECK(kiln_store_data(sa) == &a && kiln_store_data(sb) == &b);
            CHECK_EQ(call(sa, ia, "host", 0, 0), 11);
            CHECK_EQ(call(sb, ib, "host", 0, 0), 22);
            kiln_store_free(sb);
        }
        /* A host function made in the pooled store lives until release. */
        static const kiln_valkind i32[] = {KILN_I32};
        kiln_functype ft = {.nresults = 1, .results = i32};
        kiln_func *hf = NULL;
        finalized = 0;
        kiln_error *err = kiln_func_new(sa, &ft, host_get, NULL, count_finalize, &hf);
        CHECK(err == NULL);
        kiln_error_free(err);
        kiln_store_free(sa);
        CHECK_EQ(finalized, 1);
    }
    CHECK(kiln_store_data(NULL) == NULL);
    fixture_free(&f);
}

TEST(pool_exhaustion_and_per_use_limits)
{
    pool_fixture f;
    if (!fixture(&f, pool_wasm, sizeof pool_wasm, 2, NULL))
        return;
    kiln_store *s[3] = {NULL, NULL, NULL};
    kiln_instance *inst[3];
    CHECK(kiln_template_instantiate(f.t, NULL, NULL, &s[0], &inst[0]) == NULL);
    CHECK(kiln_template_instantiate(f.t, NULL, NULL, &s[1], &inst[1]) == NULL);
    kiln_error *err = kiln_template_instantiate(f.t, NULL, NULL, &s[2], &inst[2]);
    CHECK(err && kiln_error_kind_of(err) == KILN_ERR_LIMIT);
    CHECK(err && strstr(kiln_error_message(err), "pool exhausted"));
    CHECK(s[2] == NULL);
    kiln_error_free(err);
    kiln_store_free(s[1]);
    /* A per-use memory cap below the template's: growth stops there. */
    kiln_store_limits lim = {.max_memory_bytes = 2 * PAGE};
    err = kiln_template_instantiate(f.t, &lim, NULL, &s[2], &inst[2]);
    CHECK(err == NULL);
    kiln_error_free(err);
    if (!err) {
        CHECK_EQ(call(s[2], inst[2], "grow", 1, 2), -1);
        CHECK_EQ(call(s[2], inst[2], "grow", 1, 1), 1);
        kiln_store_free(s[2]);
    }
    /* ... and the next use has the template's cap (100 pages) again. */
    err = kiln_template_instantiate(f.t, NULL, NULL, &s[2], &inst[2]);
    if (!err) {
        CHECK_EQ(call(s[2], inst[2], "grow", 1, 50), 1);
        kiln_store_free(s[2]);
    }
    kiln_error_free(err);
    /* A cap below the initial size refuses the use, and frees the slot. */
    lim.max_memory_bytes = PAGE / 2;
    err = kiln_template_instantiate(f.t, &lim, NULL, &s[2], &inst[2]);
    CHECK(err && kiln_error_kind_of(err) == KILN_ERR_LIMIT);
    kiln_error_free(err);
    uint32_t in_use = 9;
    kiln_template_stats(f.t, NULL, &in_use);
    CHECK_EQ(in_use, 1);
    kiln_store_free(s[0]);
    fixture_free(&f);
}

TEST(pool_start_function_runs_on_every_use_and_images_reset)
{
    pool_fixture f;
    if (!fixture(&f, start_wasm, sizeof start_wasm, 1, NULL))
        return;
    for (int i = 0; i < 3; i++) {
        kiln_store *s;
        kiln_instance *inst;
        if (kiln_template_instantiate(f.t, NULL, NULL, &s, &inst))
            break;
        CHECK_EQ(kiln_global_get(kiln_instance_export_global(inst, "g")).of.i32, 1);
        kiln_memory *mem = kiln_instance_export_memory(inst, "memory");
        uint8_t *p = kiln_memory_data(mem);
        CHECK_EQ(p[0], 2);                  /* the image's 1, plus one */
        CHECK(memcmp(p + 1048000, "end", 3) == 0);
        memset(p, 0x77, kiln_memory_size(mem));
        kiln_store_free(s);
    }
    fixture_free(&f);
}

/* A memory too large to be rewritten whole, with a few scattered pages
 * written: the pages found written are the ones rewritten. */
TEST(pool_scattered_writes_in_a_large_memory_are_reset)
{
    pool_fixture f;
    if (!fixture(&f, start_wasm, sizeof start_wasm, 1, NULL))
        return;
    for (int i = 0; i < 4; i++) {
        kiln_store *s;
        kiln_instance *inst;
        if (kiln_template_instantiate(f.t, NULL, NULL, &s, &inst))
            break;
        uint8_t *p = kiln_memory_data(kiln_instance_export_memory(inst, "memory"));
        CHECK_EQ(p[0], 2);
        CHECK_EQ(p[5000], 0);
        CHECK_EQ(p[600000 + i], 0);
        CHECK(memcmp(p + 1048000, "end", 3) == 0);
        p[5000] = 0x55;
        p[600000 + i] = 0x55;
        memcpy(p + 1048000, "END", 3);
        kiln_store_free(s);
    }
    fixture_free(&f);
}

TEST(pool_template_link_errors)
{
    kiln_engine *e = NULL;
    kiln_module *m = NULL, *mi = NULL;
    kiln_template *t = NULL;
    kiln_error *err = kiln_engine_new(NULL, &e);
    if (!err)
        err = kiln_module_new(e, pool_wasm, sizeof pool_wasm, &m);
    if (!err)
        err = kiln_module_new(e, memimport_wasm, sizeof memimport_wasm, &mi);
    CHECK(err == NULL);
    kiln_error_free(err);
    if (err)
        return;
    err = kiln_template_new(NULL, m, NULL, &t);       /* host.get missing */
    CHECK(err && kiln_error_kind_of(err) == KILN_ERR_LINK && t == NULL);
    kiln_error_free(err);
    kiln_template_builder *b = NULL;
    err = kiln_template_builder_new(e, &b);
    CHECK(err == NULL);
    kiln_error_free(err);
    static const kiln_valkind i64[] = {KILN_I64};
    kiln_functype wrong = {.nresults = 1, .results = i64};
    CHECK((err = kiln_template_builder_func(b, "host", "get", &wrong, host_get, NULL, NULL)) == NULL);
    kiln_error_free(err);
    err = kiln_template_new(b, m, NULL, &t);
    CHECK(err && kiln_error_kind_of(err) == KILN_ERR_LINK &&
          strstr(kiln_error_message(err), "type mismatch"));
    kiln_error_free(err);
    err = kiln_template_new(b, mi, NULL, &t);
    CHECK(err && kiln_error_kind_of(err) == KILN_ERR_LINK &&
          strstr(kiln_error_message(err), "must be functions"));
    kiln_error_free(err);
    kiln_template_builder_free(b);
    kiln_module_free(m);
    kiln_module_free(mi);
    kiln_engine_free(e);
}

/* ---- threads --------------------------------------------------------------- */

typedef struct pool_worker {
    kiln_template *t;
    int id, iterations, bad;
} pool_worker;

static void *worker(void *arg)
{
    pool_worker *w = arg;
    for (int i = 0; i < w->iterations; i++) {
        kiln_store *s;
        kiln_instance *inst;
        kiln_error *err = kiln_template_instantiate(w->t, NULL, &w->id, &s, &inst);
        if (err) {
            /* 4 threads, 4 slots: never exhausted */
            kiln_error_free(err);
            w->bad++;
            continue;
        }
        int32_t secret = w->id * 100000 + i;
        if (call(s, inst, "peek", 1, 1000) != 0 ||
            kiln_global_get(kiln_instance_export_global(inst, "g")).of.i32 != 7 ||
            call(s, inst, "host", 0, 0) != w->id || call(s, inst, "dirty", 1, secret) != 0 ||
            call(s, inst, "peek", 1, 70000) != secret)
            w->bad++;
        kiln_store_free(s);
    }
    return NULL;
}

TEST(pool_four_threads_share_one_template)
{
    pool_fixture f;
    if (!fixture(&f, pool_wasm, sizeof pool_wasm, 4, NULL))
        return;
    pthread_t th[4];
    pool_worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (pool_worker){.t = f.t, .id = i + 1, .iterations = 2000};
        CHECK(pthread_create(&th[i], NULL, worker, &w[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(w[i].bad, 0);
    }
    uint32_t slots = 0, in_use = 9;
    kiln_template_stats(f.t, &slots, &in_use);
    CHECK(slots >= 1 && slots <= 4);
    CHECK_EQ(in_use, 0);
    fixture_free(&f);
}

/* ---- no growth ------------------------------------------------------------- */

static long maps_lines(void)
{
    FILE *fp = fopen("/proc/self/maps", "r");
    long n = 0;
    int c;
    if (!fp)
        return -1;
    while ((c = fgetc(fp)) != EOF)
        n += c == '\n';
    fclose(fp);
    return n;
}

static long rss_kib(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    long size = 0, rss = -1;
    if (fp) {
        if (fscanf(fp, "%ld %ld", &size, &rss) != 2)
            rss = -1;
        fclose(fp);
    }
    return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static bool cycle(kiln_template *t, int32_t secret)
{
    kiln_store *s;
    kiln_instance *inst;
    kiln_error *err = kiln_template_instantiate(t, NULL, NULL, &s, &inst);
    kiln_error_free(err);
    if (err)
        return false;
    bool ok = call(s, inst, "peek", 1, 1000) == 0 && call(s, inst, "dirty", 1, secret) == 0;
    kiln_store_free(s);
    return ok;
}

TEST(pool_10000_cycles_grow_neither_rss_nor_mappings)
{
    pool_fixture f;
    if (!fixture(&f, pool_wasm, sizeof pool_wasm, 2, NULL))
        return;
    bool ok = true;
    for (int i = 0; i < 100; i++)
        ok &= cycle(f.t, i + 1);
    long maps0 = maps_lines(), rss0 = rss_kib();
    for (int i = 0; i < 10000; i++)
        ok &= cycle(f.t, i + 1);
    long maps1 = maps_lines(), rss1 = rss_kib();
    CHECK(ok);
    CHECK(maps0 > 0 && rss0 > 0);
    /* A leak per cycle would add thousands of lines; the slack is for
     * tools that map memory of their own meanwhile (valgrind). */
    if (maps1 != maps0)
        printf("  /proc/self/maps: %ld lines, then %ld\n", maps0, maps1);
    CHECK(maps1 - maps0 <= 4);
    if (rss1 - rss0 > 1024)
        printf("  RSS grew from %ld to %ld KiB\n", rss0, rss1);
    CHECK(rss1 - rss0 <= 1024);
    fixture_free(&f);
}

/* ---- out of memory ---------------------------------------------------------- */

/* Refuses the allocation numbered `fail_at` (counting from 1) and counts
 * the bytes live, so a leak shows. */
typedef struct oom_alloc {
    long n, fail_at;
    long long live;
} oom_alloc;

static void *oom_fn(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    oom_alloc *o = ud;
    if (new_size == 0) {
        o->live -= (long long)old_size;
        free(ptr);
        return NULL;
    }
    if (++o->n == o->fail_at)
        return NULL;
    void *p = realloc(ptr, new_size);
    if (p)
        o->live += (long long)new_size - (long long)old_size;
    return p;
}

/* Builder, template, two uses (a slot made, then reused) and teardown,
 * with each allocation in turn refused: every failure is KILN_ERR_NOMEM,
 * nothing leaks, and once the count passes the run's allocations it
 * completes.  (Refusing table.grow's allocation is no error: the guest's
 * table.grow returns -1, as the spec allows.) */
TEST(pool_out_of_memory_at_every_allocation)
{
    bool completed = false;
    for (long k = 1; k < 2000 && !completed; k++) {
        oom_alloc o = {.fail_at = k};
        kiln_config cfg = {.alloc = oom_fn, .alloc_ud = &o};
        kiln_engine *e = NULL;
        kiln_module *m = NULL;
        kiln_template_builder *b = NULL;
        kiln_template *t = NULL;
        static const kiln_valkind i32[] = {KILN_I32};
        kiln_functype ft = {.nresults = 1, .results = i32};
        kiln_error *err = kiln_engine_new(&cfg, &e);
        if (!err)
            err = kiln_module_new(e, pool_wasm, sizeof pool_wasm, &m);
        if (!err)
            err = kiln_template_builder_new(e, &b);
        if (!err)
            err = kiln_template_builder_func(b, "host", "get", &ft, host_get, NULL, NULL);
        if (!err)
            err = kiln_template_new(b, m, NULL, &t);
        for (int use = 0; use < 2 && !err; use++) {
            kiln_store *s;
            kiln_instance *inst;
            err = kiln_template_instantiate(t, NULL, NULL, &s, &inst);
            if (!err) {
                int32_t r = call(s, inst, "dirty", 1, 5);
                kiln_store_free(s);
                if (r == INT32_MIN)
                    err = kiln_error_new(KILN_ERR_NOMEM, "the call failed");
            }
        }
        if (err) {
            if (kiln_error_kind_of(err) != KILN_ERR_NOMEM)
                printf("  allocation %ld refused: %s\n", k, kiln_error_message(err));
            CHECK_EQ(kiln_error_kind_of(err), KILN_ERR_NOMEM);
        } else {
            completed = true;
            CHECK(k > 20);              /* the run makes many allocations */
        }
        kiln_error_free(err);
        kiln_template_free(t);
        kiln_template_builder_free(b);
        kiln_module_free(m);
        kiln_engine_free(e);
        CHECK_EQ(o.live, 0);
        if (o.live)
            break;
    }
    CHECK(completed);
}
