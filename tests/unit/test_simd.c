/*
 * test_simd.c — v128 values at every boundary an embedder sees, through
 * kiln.h only: arguments and results of kiln_call, parameters and results
 * of host functions, an exported mutable v128 global, declared v128 locals
 * (zero on entry), v128 values kept across Wasm calls, a SIMD loop over
 * linear memory checked against the same sum computed in C, and v128
 * loads and stores that trap out of bounds.  The instruction semantics
 * themselves are covered by the spec testsuite's simd_*.wast files.
 *
 * The module (bytes below, built with `wat2wasm --debug-names`):
 *
 *   (module $simd
 *     (import "host" "vscale" (func $vscale (param v128 i32) (result v128)))
 *     (memory (export "mem") 1)
 *     (global $acc (export "acc") (mut v128) (v128.const i64x2 0 0))
 *     ;; a * b lane-wise (i32x4), passed through the host (which multiplies by k)
 *     (func $mulk (export "mulk") (param $a v128) (param $b v128) (param $k i32) (result v128)
 *       (call $vscale (i32x4.mul (local.get $a) (local.get $b)) (local.get $k)))
 *     ;; adds v to the exported global and returns the new value
 *     (func $accum (export "accum") (param $v v128) (result v128)
 *       (global.set $acc (i64x2.add (global.get $acc) (local.get $v)))
 *       (global.get $acc))
 *     ;; a declared v128 local starts at zero; lanes survive a Wasm call
 *     (func $keep (param $x v128) (result v128) (local.get $x))
 *     (func $zero_local (export "zero_local") (param $a v128) (result v128) (local $z v128)
 *       (i8x16.add (call $keep (local.get $a)) (local.get $z)))
 *     ;; sum of n bytes at address 0, 16 at a time (n a multiple of 16)
 *     (func $sum_bytes (export "sum_bytes") (param $n i32) (result i32)
 *       (local $i i32) (local $s v128)
 *       (block $done (loop $l
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
 *         (local.set $s (i32x4.add (local.get $s)
 *           (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (v128.load (local.get $i))))))
 *         (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *         (br $l)))
 *       (i32.add
 *         (i32.add (i32x4.extract_lane 0 (local.get $s)) (i32x4.extract_lane 1 (local.get $s)))
 *         (i32.add (i32x4.extract_lane 2 (local.get $s)) (i32x4.extract_lane 3 (local.get $s)))))
 *     ;; an unaligned v128 store and load past the end of memory trap
 *     (func $oob (export "oob") (param $addr i32) (result v128)
 *       (v128.store offset=1 (local.get $addr) (v128.const i32x4 1 2 3 4))
 *       (v128.load (local.get $addr)))
 *   )
 */
#include <string.h>

#include "kiln.h"
#include "unit.h"

static const unsigned char simd_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1d, 0x05, 0x60,
  0x02, 0x7b, 0x7f, 0x01, 0x7b, 0x60, 0x03, 0x7b, 0x7b, 0x7f, 0x01, 0x7b,
  0x60, 0x01, 0x7b, 0x01, 0x7b, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01,
  0x7f, 0x01, 0x7b, 0x02, 0x0f, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x06,
  0x76, 0x73, 0x63, 0x61, 0x6c, 0x65, 0x00, 0x00, 0x03, 0x07, 0x06, 0x01,
  0x02, 0x02, 0x02, 0x03, 0x04, 0x05, 0x03, 0x01, 0x00, 0x01, 0x06, 0x16,
  0x01, 0x7b, 0x01, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x07, 0x3b,
  0x07, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x03, 0x61, 0x63, 0x63, 0x03,
  0x00, 0x04, 0x6d, 0x75, 0x6c, 0x6b, 0x00, 0x01, 0x05, 0x61, 0x63, 0x63,
  0x75, 0x6d, 0x00, 0x02, 0x0a, 0x7a, 0x65, 0x72, 0x6f, 0x5f, 0x6c, 0x6f,
  0x63, 0x61, 0x6c, 0x00, 0x04, 0x09, 0x73, 0x75, 0x6d, 0x5f, 0x62, 0x79,
  0x74, 0x65, 0x73, 0x00, 0x05, 0x03, 0x6f, 0x6f, 0x62, 0x00, 0x06, 0x0a,
  0x95, 0x01, 0x06, 0x0d, 0x00, 0x20, 0x00, 0x20, 0x01, 0xfd, 0xb5, 0x01,
  0x20, 0x02, 0x10, 0x00, 0x0b, 0x0d, 0x00, 0x23, 0x00, 0x20, 0x00, 0xfd,
  0xce, 0x01, 0x24, 0x00, 0x23, 0x00, 0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b,
  0x0c, 0x01, 0x01, 0x7b, 0x20, 0x00, 0x10, 0x03, 0x20, 0x01, 0xfd, 0x6e,
  0x0b, 0x44, 0x02, 0x01, 0x7f, 0x01, 0x7b, 0x02, 0x40, 0x03, 0x40, 0x20,
  0x01, 0x20, 0x00, 0x4f, 0x0d, 0x01, 0x20, 0x02, 0x20, 0x01, 0xfd, 0x00,
  0x04, 0x00, 0xfd, 0x7d, 0xfd, 0x7f, 0xfd, 0xae, 0x01, 0x21, 0x02, 0x20,
  0x01, 0x41, 0x10, 0x6a, 0x21, 0x01, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x02,
  0xfd, 0x1b, 0x00, 0x20, 0x02, 0xfd, 0x1b, 0x01, 0x6a, 0x20, 0x02, 0xfd,
  0x1b, 0x02, 0x20, 0x02, 0xfd, 0x1b, 0x03, 0x6a, 0x6a, 0x0b, 0x20, 0x00,
  0x20, 0x00, 0xfd, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
  0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xfd, 0x0b, 0x04, 0x01,
  0x20, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x0b, 0x00, 0x83, 0x01, 0x04, 0x6e,
  0x61, 0x6d, 0x65, 0x00, 0x05, 0x04, 0x73, 0x69, 0x6d, 0x64, 0x01, 0x38,
  0x07, 0x00, 0x06, 0x76, 0x73, 0x63, 0x61, 0x6c, 0x65, 0x01, 0x04, 0x6d,
  0x75, 0x6c, 0x6b, 0x02, 0x05, 0x61, 0x63, 0x63, 0x75, 0x6d, 0x03, 0x04,
  0x6b, 0x65, 0x65, 0x70, 0x04, 0x0a, 0x7a, 0x65, 0x72, 0x6f, 0x5f, 0x6c,
  0x6f, 0x63, 0x61, 0x6c, 0x05, 0x09, 0x73, 0x75, 0x6d, 0x5f, 0x62, 0x79,
  0x74, 0x65, 0x73, 0x06, 0x03, 0x6f, 0x6f, 0x62, 0x02, 0x33, 0x07, 0x00,
  0x00, 0x01, 0x03, 0x00, 0x01, 0x61, 0x01, 0x01, 0x62, 0x02, 0x01, 0x6b,
  0x02, 0x01, 0x00, 0x01, 0x76, 0x03, 0x01, 0x00, 0x01, 0x78, 0x04, 0x02,
  0x00, 0x01, 0x61, 0x01, 0x01, 0x7a, 0x05, 0x03, 0x00, 0x01, 0x6e, 0x01,
  0x01, 0x69, 0x02, 0x01, 0x73, 0x06, 0x01, 0x00, 0x04, 0x61, 0x64, 0x64,
  0x72, 0x07, 0x06, 0x01, 0x00, 0x03, 0x61, 0x63, 0x63
};
static const size_t simd_wasm_len = 441;

typedef struct fixture {
    kiln_engine *engine;
    kiln_module *module;
    kiln_store *store;
    kiln_linker *linker;
    kiln_instance *inst;
    int host_calls;
} fixture;

static kiln_val v128_of_i32x4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    kiln_val v = {.kind = KILN_V128};
    uint32_t lanes[4] = {a, b, c, d};
    memcpy(v.of.v128, lanes, 16); /* lanes are little-endian, like memory */
    return v;
}

static uint32_t lane32(const kiln_val *v, int i)
{
    uint32_t x;
    memcpy(&x, v->of.v128 + 4 * i, 4);
    return x;
}

/* host.vscale(v, k): every i32 lane times k. */
static kiln_error *host_vscale(kiln_caller *caller, void *env, const kiln_val *args, kiln_val *results)
{
    (void)caller;
    fixture *fx = env;
    fx->host_calls++;
    if (args[0].kind != KILN_V128 || args[1].kind != KILN_I32)
        return kiln_trap_new("host got the wrong kinds");
    uint32_t k = (uint32_t)args[1].of.i32;
    results[0] = v128_of_i32x4(lane32(&args[0], 0) * k, lane32(&args[0], 1) * k,
                               lane32(&args[0], 2) * k, lane32(&args[0], 3) * k);
    return NULL;
}

static bool setup(fixture *fx)
{
    static const kiln_valkind params[] = {KILN_V128, KILN_I32}, results[] = {KILN_V128};
    kiln_functype t = {2, 1, params, results};
    kiln_func *f;
    memset(fx, 0, sizeof *fx);
    return !kiln_engine_new(NULL, &fx->engine) &&
           !kiln_module_new(fx->engine, simd_wasm, simd_wasm_len, &fx->module) &&
           !kiln_store_new(fx->engine, NULL, &fx->store) &&
           !kiln_func_new(fx->store, &t, host_vscale, fx, NULL, &f) &&
           !kiln_linker_new(fx->store, &fx->linker) &&
           !kiln_linker_define_func(fx->linker, "host", "vscale", f) &&
           !kiln_linker_instantiate(fx->linker, fx->module, &fx->inst);
}

static void teardown(fixture *fx)
{
    kiln_linker_free(fx->linker);
    kiln_store_free(fx->store);
    kiln_module_free(fx->module);
    kiln_engine_free(fx->engine);
}

static kiln_error *call(fixture *fx, const char *name, const kiln_val *args, size_t nargs, kiln_val *out)
{
    kiln_func *f = kiln_instance_export_func(fx->inst, name);
    if (!f)
        return kiln_trap_new("no such export");
    return kiln_call(fx->store, f, args, nargs, out, 1);
}

TEST(simd_values_cross_host_calls)
{
    fixture fx;
    CHECK(setup(&fx));
    kiln_val args[3] = {v128_of_i32x4(1, 2, 3, 0x80000000u), v128_of_i32x4(5, 6, 7, 2),
                        {.kind = KILN_I32, .of.i32 = 3}};
    kiln_val r = {0};
    kiln_error *e = call(&fx, "mulk", args, 3, &r);
    CHECK(e == NULL);
    CHECK(r.kind == KILN_V128);
    CHECK_EQ(lane32(&r, 0), 15u);
    CHECK_EQ(lane32(&r, 1), 36u);
    CHECK_EQ(lane32(&r, 2), 63u);
    CHECK_EQ(lane32(&r, 3), 0u); /* 0x80000000 * 2 * 3 wraps to 0 */
    CHECK_EQ(fx.host_calls, 1);
    kiln_error_free(e);
    teardown(&fx);
}

TEST(simd_global_and_locals)
{
    fixture fx;
    CHECK(setup(&fx));
    kiln_global *acc = kiln_instance_export_global(fx.inst, "acc");
    CHECK(acc != NULL);
    kiln_val v = v128_of_i32x4(0xffffffffu, 0, 7, 0), r = {0};
    CHECK(call(&fx, "accum", &v, 1, &r) == NULL);
    CHECK(call(&fx, "accum", &v, 1, &r) == NULL);
    /* i64x2 lanes: 0x00000000ffffffff * 2 and 7 * 2 */
    CHECK_EQ(lane32(&r, 0), 0xfffffffeu);
    CHECK_EQ(lane32(&r, 1), 1u);
    CHECK_EQ(lane32(&r, 2), 14u);
    kiln_val g = kiln_global_get(acc);
    CHECK(g.kind == KILN_V128 && memcmp(g.of.v128, r.of.v128, 16) == 0);
    CHECK(kiln_global_set(acc, v128_of_i32x4(1, 1, 1, 1)) == NULL);
    CHECK(call(&fx, "accum", &v, 1, &r) == NULL);
    CHECK_EQ(lane32(&r, 0), 0u); /* 1 + 0xffffffff carries into lane 1 */
    CHECK_EQ(lane32(&r, 1), 2u);

    kiln_val a = v128_of_i32x4(0x01020304u, 0xa0b0c0d0u, 0, 0xffffffffu);
    CHECK(call(&fx, "zero_local", &a, 1, &r) == NULL);
    CHECK(memcmp(r.of.v128, a.of.v128, 16) == 0);
    teardown(&fx);
}

TEST(simd_loop_over_memory)
{
    fixture fx;
    CHECK(setup(&fx));
    kiln_memory *mem = kiln_instance_export_memory(fx.inst, "mem");
    CHECK(mem != NULL);
    uint8_t *data = kiln_memory_data(mem);
    uint32_t want = 0, n = 4096;
    for (uint32_t i = 0; i < n; i++) {
        data[i] = (uint8_t)(i * 2654435761u >> 24);
        want += data[i];
    }
    kiln_val arg = {.kind = KILN_I32, .of.i32 = (int32_t)n}, r = {0};
    CHECK(call(&fx, "sum_bytes", &arg, 1, &r) == NULL);
    CHECK(r.kind == KILN_I32);
    CHECK_EQ((uint32_t)r.of.i32, want);
    teardown(&fx);
}

TEST(simd_access_out_of_bounds_traps)
{
    fixture fx;
    CHECK(setup(&fx));
    kiln_val arg = {.kind = KILN_I32, .of.i32 = 65536 - 17}, r = {0};
    CHECK(call(&fx, "oob", &arg, 1, &r) == NULL); /* bytes 65520 .. 65535 */
    arg.of.i32 = 65536 - 16;                        /* the store's last byte is out */
    kiln_error *e = call(&fx, "oob", &arg, 1, &r);
    CHECK(e != NULL && kiln_error_trap(e) == KILN_TRAP_MEMORY_OOB);
    kiln_error_free(e);
    uint8_t *data = kiln_memory_data(kiln_instance_export_memory(fx.inst, "mem"));
    CHECK_EQ(data[65521], 0); /* the trapping store wrote nothing (it would put 1 here) */
    arg.of.i32 = -1;
    e = call(&fx, "oob", &arg, 1, &r);
    CHECK(e != NULL && kiln_error_trap(e) == KILN_TRAP_MEMORY_OOB);
    kiln_error_free(e);
    teardown(&fx);
}
