/*
 * test_interp.c — the interpreter as an embedder sees it, through kiln.h
 * only: host functions that call back into Wasm, traps raised by Wasm and
 * by the host with their backtraces, a store that stays usable after a
 * trap or a stack overflow, interruption from another thread, deadlines,
 * and one module shared by threads that each run their own store.
 *
 * Each test runs twice: on the interpreter, and (its name ending in
 * _native) on the native tier (src/jit/), which compiles every function
 * of this module, so the same checks hold for machine code calling the
 * host, being called back and trapping.  Further tests compare the tiers
 * directly: fuel used, and recursion deeper than the machine stack.
 *
 * The module (bytes below, built with `wat2wasm --debug-names`):
 *
 *   (module $m
 *     (import "host" "cb" (func $cb (param i32) (result i32)))
 *     (import "host" "fail" (func $fail (param i32)))
 *     (memory (export "mem") 1)
 *     (func $spin (export "spin") (loop $l (br $l)))
 *     (func $deep (export "deep") (param i32) (result i32)
 *       (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
 *     (func $inner (param i32) (result i32) (call $cb (local.get 0)))
 *     (func $outer (export "outer") (param i32) (result i32) (call $inner (local.get 0)))
 *     (func $twice (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
 *     (func $boom (export "boom") (param i32) (call $fail (local.get 0)))
 *     (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *     (func $sum (export "sum") (param i32) (result i64) (local i64)
 *       (block $done (loop $l
 *         (br_if $done (i32.eqz (local.get 0)))
 *         (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
 *         (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
 *         (br $l)))
 *       (local.get 1))
 *   )
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "kiln.h"
#include "kiln_wat.h"
#include "unit.h"

static const unsigned char m_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x18, 0x05, 0x60,
  0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00, 0x60,
  0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7e, 0x02, 0x17,
  0x02, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x02, 0x63, 0x62, 0x00, 0x00, 0x04,
  0x68, 0x6f, 0x73, 0x74, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x00, 0x01, 0x03,
  0x09, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x04, 0x05, 0x03,
  0x01, 0x00, 0x01, 0x07, 0x38, 0x08, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
  0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x02, 0x04, 0x64, 0x65, 0x65, 0x70,
  0x00, 0x03, 0x05, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x00, 0x05, 0x05, 0x74,
  0x77, 0x69, 0x63, 0x65, 0x00, 0x06, 0x04, 0x62, 0x6f, 0x6f, 0x6d, 0x00,
  0x07, 0x03, 0x64, 0x69, 0x76, 0x00, 0x08, 0x03, 0x73, 0x75, 0x6d, 0x00,
  0x09, 0x0a, 0x5e, 0x08, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
  0x0c, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x03, 0x41, 0x01, 0x6a,
  0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00,
  0x10, 0x04, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x41, 0x02, 0x6c, 0x0b, 0x06,
  0x00, 0x20, 0x00, 0x10, 0x01, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01,
  0x6d, 0x0b, 0x22, 0x01, 0x01, 0x7e, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00,
  0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0xad, 0x7c, 0x21, 0x01, 0x20,
  0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01,
  0x0b, 0x00, 0x5e, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x00, 0x02, 0x01, 0x6d,
  0x01, 0x3c, 0x0a, 0x00, 0x02, 0x63, 0x62, 0x01, 0x04, 0x66, 0x61, 0x69,
  0x6c, 0x02, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x03, 0x04, 0x64, 0x65, 0x65,
  0x70, 0x04, 0x05, 0x69, 0x6e, 0x6e, 0x65, 0x72, 0x05, 0x05, 0x6f, 0x75,
  0x74, 0x65, 0x72, 0x06, 0x05, 0x74, 0x77, 0x69, 0x63, 0x65, 0x07, 0x04,
  0x62, 0x6f, 0x6f, 0x6d, 0x08, 0x03, 0x64, 0x69, 0x76, 0x09, 0x03, 0x73,
  0x75, 0x6d, 0x02, 0x15, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03,
  0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0x07, 0x00, 0x08, 0x00, 0x09,
  0x00
};
static const size_t m_wasm_len = 325;

/* The tier the fixtures' engines get (the _native twins set it). */
static kiln_tier tier = KILN_TIER_INTERP;

typedef struct fixture {
    kiln_engine *engine;
    kiln_module *module;
    kiln_store *store;
    kiln_linker *linker;
    kiln_instance *inst;
    int host_calls;
} fixture;

/* host.cb(x): calls the caller's export "twice" with x. */
static kiln_error *host_cb(kiln_caller *caller, void *env, const kiln_val *args, kiln_val *results)
{
    fixture *fx = env;
    fx->host_calls++;
    kiln_func *twice = kiln_instance_export_func(kiln_caller_instance(caller), "twice");
    if (!twice)
        return kiln_trap_new("no export twice");
    return kiln_call(kiln_caller_store(caller), twice, args, 1, results, 1);
}

/* host.fail(x): 0 raises a trap, 1 asks to exit with code 7. */
static kiln_error *host_fail(kiln_caller *caller, void *env, const kiln_val *args, kiln_val *results)
{
    (void)caller, (void)env, (void)results;
    return args[0].of.i32 == 0 ? kiln_trap_new("host says no") : kiln_exit_new(7);
}

/* A store with the host functions defined and the module instantiated. */
static bool instantiate(fixture *fx, const kiln_store_limits *limits)
{
    static const kiln_valkind i32[] = {KILN_I32};
    kiln_functype cb_t = {1, 1, i32, i32}, fail_t = {1, 0, i32, NULL};
    kiln_func *cb, *fail;
    return !kiln_store_new(fx->engine, limits, &fx->store) &&
           !kiln_func_new(fx->store, &cb_t, host_cb, fx, NULL, &cb) &&
           !kiln_func_new(fx->store, &fail_t, host_fail, NULL, NULL, &fail) &&
           !kiln_linker_new(fx->store, &fx->linker) &&
           !kiln_linker_define_func(fx->linker, "host", "cb", cb) &&
           !kiln_linker_define_func(fx->linker, "host", "fail", fail) &&
           !kiln_linker_instantiate(fx->linker, fx->module, &fx->inst);
}

/* On the native tier every defined function of the module is compiled. */
static bool tier_as_asked(const kiln_module *m)
{
    uint32_t defined, native = kiln_module_native_funcs(m, &defined);
    return tier == KILN_TIER_NATIVE ? native == defined && defined == 8 : native == 0;
}

static bool setup(fixture *fx, const kiln_store_limits *limits)
{
    memset(fx, 0, sizeof *fx);
    kiln_config config = {.tier = tier};
    return !kiln_engine_new(&config, &fx->engine) &&
           !kiln_module_new(fx->engine, m_wasm, m_wasm_len, &fx->module) &&
           tier_as_asked(fx->module) && instantiate(fx, limits);
}

static void teardown(fixture *fx, bool own_module)
{
    kiln_linker_free(fx->linker);
    kiln_store_free(fx->store);
    if (own_module) {
        kiln_module_free(fx->module);
        kiln_engine_free(fx->engine);
    }
}

static kiln_error *call1(fixture *fx, const char *name, int32_t a, int32_t b, kiln_val *out)
{
    kiln_func *f = kiln_instance_export_func(fx->inst, name);
    if (!f)
        return kiln_trap_new("no such export");
    kiln_functype t = kiln_func_type(f);
    kiln_val args[2] = {{.kind = KILN_I32, .of.i32 = a}, {.kind = KILN_I32, .of.i32 = b}};
    kiln_val res[1];
    kiln_error *e = kiln_call(fx->store, f, args, t.nparams, res, t.nresults);
    if (!e && out && t.nresults)
        *out = res[0];
    return e;
}

TEST(interp_host_reenters_wasm)
{
    fixture fx;
    CHECK(setup(&fx, NULL));
    kiln_val r = {0};
    kiln_error *e = call1(&fx, "outer", 21, 0, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.of.i32, 42);
    CHECK_EQ(fx.host_calls, 1);
    kiln_error_free(e);
    teardown(&fx, true);
}

TEST(interp_host_trap_and_exit)
{
    fixture fx;
    CHECK(setup(&fx, NULL));
    kiln_error *e = call1(&fx, "boom", 0, 0, NULL);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(kiln_error_trap(e), KILN_TRAP_HOST);
        CHECK(strstr(kiln_error_message(e), "host says no") != NULL);
        CHECK(kiln_error_frame_count(e) >= 1);
        const char *name = kiln_error_frame_name(e, 0);
        CHECK(name && strcmp(name, "boom") == 0);
    }
    kiln_error_free(e);
    e = call1(&fx, "boom", 1, 0, NULL);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(kiln_error_trap(e), KILN_TRAP_EXIT);
        CHECK_EQ(kiln_error_exit_code(e), 7);
    }
    kiln_error_free(e);
    teardown(&fx, true);
}

TEST(interp_trap_leaves_store_usable)
{
    fixture fx;
    CHECK(setup(&fx, NULL));
    kiln_val r = {0};
    kiln_error *e = call1(&fx, "div", 1, 0, &r);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(kiln_error_kind_of(e), KILN_ERR_TRAP);
        CHECK_EQ(kiln_error_trap(e), KILN_TRAP_INT_DIV_ZERO);
        CHECK(strcmp(kiln_error_message(e), "integer divide by zero") == 0);
        CHECK_EQ(kiln_error_frame_count(e), 1);
        const char *name = kiln_error_frame_name(e, 0);
        CHECK(name && strcmp(name, "div") == 0);
    }
    kiln_error_free(e);
    e = call1(&fx, "div", 7, 2, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.of.i32, 3);
    kiln_error_free(e);
    teardown(&fx, true);
}

TEST(interp_deep_recursion_is_a_trap)
{
    fixture fx;
    kiln_store_limits lim = {.max_call_depth = 5000};
    CHECK(setup(&fx, &lim));
    kiln_val r = {0};
    kiln_error *e = call1(&fx, "deep", 0, 0, &r);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(kiln_error_trap(e), KILN_TRAP_STACK_EXHAUSTED);
        CHECK(kiln_error_frame_count(e) >= 4000);
    }
    kiln_error_free(e);
    e = call1(&fx, "sum", 100, 0, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.of.i64, 5050);
    kiln_error_free(e);
    teardown(&fx, true);
}

static void *interrupter(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    kiln_store_interrupt(arg);
    return NULL;
}

TEST(interp_interrupt_from_another_thread)
{
    fixture fx;
    CHECK(setup(&fx, NULL));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, interrupter, fx.store) == 0);
    kiln_error *e = call1(&fx, "spin", 0, 0, NULL);
    pthread_join(t, NULL);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(kiln_error_kind_of(e), KILN_ERR_LIMIT);
        CHECK_EQ(kiln_error_trap(e), KILN_TRAP_INTERRUPT);
    }
    kiln_error_free(e);
    kiln_val r = {0};
    e = call1(&fx, "sum", 10, 0, &r); /* the flag is cleared by the next call */
    CHECK(e == NULL);
    CHECK_EQ(r.of.i64, 55);
    kiln_error_free(e);
    teardown(&fx, true);
}

TEST(interp_deadline_stops_a_loop)
{
    fixture fx;
    kiln_store_limits lim = {.timeout_ns = 50 * 1000 * 1000};
    CHECK(setup(&fx, &lim));
    kiln_error *e = call1(&fx, "spin", 0, 0, NULL);
    CHECK(e != NULL);
    if (e)
        CHECK_EQ(kiln_error_trap(e), KILN_TRAP_DEADLINE);
    kiln_error_free(e);
    teardown(&fx, true);
}

typedef struct worker {
    kiln_engine *engine;
    kiln_module *module;
    int64_t result;
    bool ok;
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    fixture fx;
    memset(&fx, 0, sizeof fx);
    fx.engine = w->engine;
    fx.module = w->module;
    w->ok = instantiate(&fx, NULL);
    w->result = 0;
    for (int i = 0; w->ok && i < 50; i++) {
        kiln_val r = {0};
        kiln_error *e = call1(&fx, "sum", 20000, 0, &r);
        if (e) {
            w->ok = false;
            kiln_error_free(e);
        }
        w->result += r.of.i64;
    }
    kiln_linker_free(fx.linker);
    kiln_store_free(fx.store);
    return NULL;
}

TEST(interp_module_shared_by_threads)
{
    kiln_engine *engine;
    kiln_module *module;
    kiln_config config = {.tier = tier};
    CHECK(kiln_engine_new(&config, &engine) == NULL);
    CHECK(kiln_module_new(engine, m_wasm, m_wasm_len, &module) == NULL);
    CHECK(tier_as_asked(module));
    worker w[2] = {{engine, module, 0, false}, {engine, module, 0, false}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, run_worker, &w[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        CHECK(w[i].ok);
        CHECK_EQ(w[i].result, 50 * (int64_t)20000 * 20001 / 2);
    }
    kiln_module_free(module);
    kiln_engine_free(engine);
}

#define NATIVE_TWIN(name)                                                   \
    TEST(name##_native)                                                     \
    {                                                                       \
        tier = KILN_TIER_NATIVE;                                            \
        name();                                                             \
        tier = KILN_TIER_INTERP;                                            \
    }
NATIVE_TWIN(interp_host_reenters_wasm)
NATIVE_TWIN(interp_host_trap_and_exit)
NATIVE_TWIN(interp_trap_leaves_store_usable)
NATIVE_TWIN(interp_deep_recursion_is_a_trap)
NATIVE_TWIN(interp_interrupt_from_another_thread)
NATIVE_TWIN(interp_deadline_stops_a_loop)
NATIVE_TWIN(interp_module_shared_by_threads)

/* Fuel is charged at the same places on both tiers: the same calls leave
 * the same fuel, and run out at the same unit. */
TEST(native_fuel_same_as_interp)
{
    uint64_t left[2] = {0, 0};
    kiln_trap_code traps[2] = {KILN_TRAP_NONE, KILN_TRAP_NONE};
    for (int k = 0; k < 2; k++) {
        tier = k ? KILN_TIER_NATIVE : KILN_TIER_INTERP;
        fixture fx;
        kiln_store_limits lim = {.fuel = 1000};
        CHECK(setup(&fx, &lim));
        kiln_val r = {0};
        kiln_error *e = call1(&fx, "sum", 300, 0, &r);   /* 301 back-edges */
        CHECK(e == NULL);
        kiln_error_free(e);
        e = call1(&fx, "outer", 5, 0, &r);                /* calls, host re-entry */
        CHECK(e == NULL);
        kiln_error_free(e);
        left[k] = kiln_store_fuel_remaining(fx.store);
        e = call1(&fx, "spin", 0, 0, NULL);               /* a loop with no calls */
        CHECK(e != NULL);
        traps[k] = e ? kiln_error_trap(e) : KILN_TRAP_NONE;
        CHECK_EQ(kiln_store_fuel_remaining(fx.store), 0);
        kiln_error_free(e);
        teardown(&fx, true);
    }
    tier = KILN_TIER_INTERP;
    CHECK(left[0] > 0 && left[0] < 1000);
    CHECK_EQ(left[0], left[1]);
    CHECK_EQ(traps[0], KILN_TRAP_OUT_OF_FUEL);
    CHECK_EQ(traps[1], KILN_TRAP_OUT_OF_FUEL);
}

/* call_indirect in a loop, under fuel and a deadline: the deadline makes
 * the budget's slow path run (and return) every 10,000 units, in the
 * middle of compiled call_indirect sequences, and the same fuel is left
 * on both tiers; a small fuel then runs out at the same unit.  The table
 * holds a function of the module, a host function and a null. */
static const char indirect_wat[] =
    "(module (type $t (func (param i32) (result i32)))\n"
    "  (import \"host\" \"id\" (func $id (type $t)))\n"
    "  (table 4 funcref) (elem (i32.const 0) $inc $id $inc)\n"
    "  (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))\n"
    "  (func (export \"loop\") (param $n i32) (result i32) (local $acc i32)\n"
    "    (loop $l\n"
    "      (local.set $acc (call_indirect (type $t) (local.get $acc)\n"
    "        (i32.and (local.get $n) (i32.const 1))))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
    "    (local.get $acc))\n"
    "  (func (export \"at\") (param i32) (result i32)\n"
    "    (call_indirect (type $t) (i32.const 5) (local.get 0))))\n";

static kiln_error *host_id(kiln_caller *caller, void *env, const kiln_val *args, kiln_val *results)
{
    (void)caller, (void)env;
    results[0] = args[0];
    return NULL;
}

static kiln_error *indirect_run(kiln_tier t, uint64_t fuel, const char *name, int32_t arg,
                                int32_t *result, uint64_t *left)
{
    uint8_t *wasm = NULL;
    size_t len = 0;
    kiln_wat_error werr;
    kiln_engine *engine = NULL;
    kiln_module *module = NULL;
    kiln_store *store = NULL;
    kiln_linker *linker = NULL;
    kiln_instance *inst = NULL;
    kiln_func *id = NULL;
    kiln_error *e = NULL;
    kiln_config config = {.tier = t};
    kiln_store_limits lim = {.fuel = fuel, .timeout_ns = 60000000000ull};
    static const kiln_valkind i32[] = {KILN_I32};
    kiln_functype id_t = {1, 1, i32, i32};
    if (!kiln_wat_to_wasm(indirect_wat, sizeof indirect_wat - 1, &wasm, &len, &werr))
        return kiln_trap_new("indirect_wat does not assemble");
    if ((e = kiln_engine_new(&config, &engine)) || (e = kiln_module_new(engine, wasm, len, &module)) ||
        (e = kiln_store_new(engine, &lim, &store)) ||
        (e = kiln_func_new(store, &id_t, host_id, NULL, NULL, &id)) ||
        (e = kiln_linker_new(store, &linker)) ||
        (e = kiln_linker_define_func(linker, "host", "id", id)) ||
        (e = kiln_linker_instantiate(linker, module, &inst)))
        goto out;
    kiln_func *f = kiln_instance_export_func(inst, name);
    kiln_val a = {.kind = KILN_I32, .of.i32 = arg}, r = {0};
    e = f ? kiln_call(store, f, &a, 1, &r, 1) : kiln_trap_new("no such export");
    *result = r.of.i32;
    *left = kiln_store_fuel_remaining(store);
out:
    kiln_linker_free(linker);
    kiln_store_free(store);
    kiln_module_free(module);
    kiln_engine_free(engine);
    kiln_wat_free(wasm);
    return e;
}

TEST(native_call_indirect_under_fuel_and_deadline)
{
    int32_t result[2] = {0, 0};
    uint64_t left[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        kiln_error *e = indirect_run(k ? KILN_TIER_NATIVE : KILN_TIER_INTERP, 1000000, "loop",
                                     50001, &result[k], &left[k]);
        CHECK(e == NULL);
        kiln_error_free(e);
    }
    CHECK_EQ(result[0], 25000); /* $inc on even n, the host's id on odd */
    CHECK_EQ(result[1], 25000);
    CHECK(left[0] > 0 && left[0] < 1000000);
    CHECK_EQ(left[0], left[1]);
    for (int k = 0; k < 2; k++) {
        kiln_error *e = indirect_run(k ? KILN_TIER_NATIVE : KILN_TIER_INTERP, 777, "loop", 50001,
                                     &result[k], &left[k]);
        CHECK(e && kiln_error_trap(e) == KILN_TRAP_OUT_OF_FUEL);
        CHECK_EQ(left[k], 0);
        kiln_error_free(e);
    }
    /* the traps of the checks: past the end, a null, on both tiers */
    static const struct { int32_t i; kiln_trap_code want; } bad[] = {
        {4, KILN_TRAP_UNDEFINED_ELEMENT}, {3, KILN_TRAP_UNINIT_ELEMENT}};
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
        for (int k = 0; k < 2; k++) {
            kiln_error *e = indirect_run(k ? KILN_TIER_NATIVE : KILN_TIER_INTERP, 0, "at", bad[b].i,
                                         &result[k], &left[k]);
            CHECK(e && kiln_error_trap(e) == bad[b].want);
            kiln_error_free(e);
        }
}

/* Recursion allowed a million frames: compiled code runs out of its
 * machine-stack budget (or the value stack) first, and that is a trap,
 * not a crash; the store stays usable. */
TEST(native_recursion_past_the_machine_stack_is_a_trap)
{
    tier = KILN_TIER_NATIVE;
    fixture fx;
    kiln_store_limits lim = {.max_call_depth = 1000000, .max_stack_bytes = (uint64_t)64 << 20};
    CHECK(setup(&fx, &lim));
    kiln_val r = {0};
    kiln_error *e = call1(&fx, "deep", 0, 0, &r);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(kiln_error_trap(e), KILN_TRAP_STACK_EXHAUSTED);
        const char *name = kiln_error_frame_name(e, 0);
        CHECK(name && strcmp(name, "deep") == 0);
    }
    kiln_error_free(e);
    e = call1(&fx, "sum", 100, 0, &r);
    CHECK(e == NULL);
    CHECK_EQ(r.of.i64, 5050);
    kiln_error_free(e);
    teardown(&fx, true);
    tier = KILN_TIER_INTERP;
}
