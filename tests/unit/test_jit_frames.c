/*
 * test_jit_frames.c — the native tier's frames (jit.c, "Frames"): compiled
 * code pushes no kn_frame for its own calls, so the call-depth limit, the
 * backtraces and what a profiler sees come from the machine stack.  Each
 * must equal the interpreter's: the depth a recursion reaches before the
 * stack-exhausted trap, also when it goes through host functions that
 * call back into Wasm (runs of compiled code nested in each other); the
 * names and order of a backtrace through call_indirect and re-entry; and
 * kiln_sampler's samples of deep compiled recursion, each a whole and
 * consistent stack.
 */
#include <string.h>

#include "kiln.h"
#include "kiln_inspect.h"
#include "kiln_wat.h"
#include "unit.h"
#include "unit_wat.h"

typedef struct world {
    kiln_engine *engine;
    kiln_module *module;
    kiln_store *store;
    kiln_instance *inst;
} world;

/* down(d) records the deepest d in $max and recurses; at d = 5 mod 10 it
 * goes through the host (host.reenter calls down(d + 1) with kiln_call);
 * crash(d) recurses d times through call_indirect, then traps. */
static const char frames_wat[] =
    "(module\n"
    "  (import \"host\" \"reenter\" (func $reenter (param i32) (result i32)))\n"
    "  (global $max (mut i32) (i32.const 0))\n"
    "  (table 1 funcref) (elem (i32.const 0) $crash)\n"
    "  (type $t (func (param i32) (result i32)))\n"
    "  (func $down (export \"down\") (param $d i32) (result i32)\n"
    "    (if (i32.gt_u (local.get $d) (global.get $max)) (then (global.set $max (local.get $d))))\n"
    "    (if (result i32) (i32.eq (i32.rem_u (local.get $d) (i32.const 10)) (i32.const 5))\n"
    "      (then (call $reenter (i32.add (local.get $d) (i32.const 1))))\n"
    "      (else (i32.add (call $down (i32.add (local.get $d) (i32.const 1))) (i32.const 1)))))\n"
    "  (func (export \"max\") (result i32) (global.get $max))\n"
    "  (func $crash (export \"crash\") (param $d i32) (result i32)\n"
    "    (if (i32.eqz (local.get $d)) (then (call $boom)))\n"
    "    (i32.add (call_indirect (type $t) (i32.sub (local.get $d) (i32.const 1)) (i32.const 0))\n"
    "             (i32.const 1)))\n"
    "  (func $boom (unreachable)))\n";

static kiln_error *reenter(kiln_caller *c, void *env, const kiln_val *args, kiln_val *results)
{
    world *w = env;
    return kiln_call(kiln_caller_store(c), kiln_instance_export_func(w->inst, "down"), args, 1,
                     results, 1);
}

static bool open_world(kiln_tier tier, const char *text, uint32_t depth, world *w)
{
    memset(w, 0, sizeof *w);
    uint8_t *wasm = NULL;
    size_t len = 0;
    if (!unit_wat(text, &wasm, &len))
        return false;
    static const kiln_valkind i32[] = {KILN_I32};
    static const kiln_functype ft = {1, 1, i32, i32};
    kiln_config c = {.tier = tier};
    kiln_store_limits lim = {.max_call_depth = depth};
    kiln_linker *l = NULL;
    kiln_func *host = NULL;
    bool ok = !kiln_engine_new(&c, &w->engine) &&
              !kiln_module_new(w->engine, wasm, len, &w->module) &&
              !kiln_store_new(w->engine, &lim, &w->store) &&
              !kiln_func_new(w->store, &ft, reenter, w, NULL, &host) &&
              !kiln_linker_new(w->store, &l) &&
              !kiln_linker_define_func(l, "host", "reenter", host) &&
              !kiln_linker_instantiate(l, w->module, &w->inst);
    kiln_linker_free(l);
    kiln_wat_free(wasm);
    if (ok && tier == KILN_TIER_NATIVE) {
        uint32_t defined, n = kiln_module_native_funcs(w->module, &defined);
        ok = n == defined && defined > 0;
    }
    return ok;
}

static void close_world(world *w)
{
    kiln_store_free(w->store);
    kiln_module_free(w->module);
    kiln_engine_free(w->engine);
}

/* What a call left: its trap code, the deepest $max and the backtrace. */
typedef struct outcome {
    int trap;
    int32_t max;
    size_t nframes;
    char names[64][16];
} outcome;

static bool call_for(kiln_tier tier, uint32_t depth, const char *fn, int32_t arg, outcome *out)
{
    world w;
    memset(out, 0, sizeof *out);
    bool ok = open_world(tier, frames_wat, depth, &w);
    CHECK(ok);
    if (ok) {
        kiln_val a = {.kind = KILN_I32, .of.i32 = arg}, r = {0};
        kiln_error *e = kiln_call(w.store, kiln_instance_export_func(w.inst, fn), &a, 1, &r, 1);
        out->trap = e ? (int)kiln_error_trap(e) : 0;
        out->nframes = e ? kiln_error_frame_count(e) : 0;
        for (size_t i = 0; i < out->nframes && i < 64; i++) {
            const char *n = kiln_error_frame_name(e, i);
            snprintf(out->names[i], sizeof out->names[i], "%s", n ? n : "?");
        }
        kiln_error_free(e);
        e = kiln_call(w.store, kiln_instance_export_func(w.inst, "max"), NULL, 0, &r, 1);
        CHECK(e == NULL);
        kiln_error_free(e);
        out->max = r.of.i32;
    }
    close_world(&w);
    return ok;
}

static void same_outcome(uint32_t depth, const char *fn, int32_t arg, int want_trap)
{
    outcome in, nat;
    if (!call_for(KILN_TIER_INTERP, depth, fn, arg, &in) ||
        !call_for(KILN_TIER_NATIVE, depth, fn, arg, &nat))
        return;
    CHECK_EQ(in.trap, want_trap);
    CHECK_EQ(nat.trap, in.trap);
    CHECK_EQ(nat.max, in.max);
    CHECK_EQ(nat.nframes, in.nframes);
    for (size_t i = 0; i < in.nframes && i < 64; i++)
        if (strcmp(in.names[i], nat.names[i]) != 0) {
            printf("  depth %u %s(%d) frame %zu: native '%s', interpreter '%s'\n", depth, fn, arg,
                   i, nat.names[i], in.names[i]);
            CHECK(!"backtrace frame");
            break;
        }
}

/* The depth limit counts compiled frames exactly, across nested runs. */
TEST(jit_frames_depth_limit_is_exact_across_reentry)
{
    static const uint32_t depths[] = {4, 5, 6, 7, 16, 17, 25, 26, 57, 100, 1000};
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        outcome o;
        same_outcome(depths[i], "down", 0, KILN_TRAP_STACK_EXHAUSTED);
        /* and it is the limit: down(0) reaches d = depth - 1 */
        if (call_for(KILN_TIER_NATIVE, depths[i], "down", 0, &o))
            CHECK_EQ(o.max, (int32_t)depths[i] - 1);
    }
}

/* A trap deep in call_indirect recursion names every frame, in order. */
TEST(jit_frames_backtrace_matches_interpreter)
{
    same_outcome(1000, "crash", 0, KILN_TRAP_UNREACHABLE);
    same_outcome(1000, "crash", 3, KILN_TRAP_UNREACHABLE);
    same_outcome(1000, "crash", 40, KILN_TRAP_UNREACHABLE);
    same_outcome(30, "crash", 40, KILN_TRAP_STACK_EXHAUSTED);
    outcome o;
    if (call_for(KILN_TIER_NATIVE, 1000, "crash", 3, &o)) {
        CHECK_EQ(o.nframes, 5);
        CHECK(strcmp(o.names[0], "boom") == 0 && strcmp(o.names[4], "crash") == 0);
    }
}

/* ---- sampling ------------------------------------------------------------ */

#define REC_DEPTH 40

/* run(n, rounds) alternates two paths to leaf, which spins n times with
 * the path's id in memory[0] (0 outside the spin): 1 is run -> a -> rec x
 * (REC_DEPTH + 1) -> leaf, 2 is run -> b -> leaf.  n is below the budget
 * chunk, so compiled code calls into C (kn_check_limits) less often than
 * it changes paths: only the interrupted registers tell where it is. */
static const char spin_wat[] =
    "(module\n"
    "  (import \"host\" \"reenter\" (func (param i32) (result i32)))\n"
    "  (memory (export \"mem\") 1)\n"
    "  (func $leaf (export \"leaf\") (param $n i32) (param $id i32) (result i32) (local $i i32)\n"
    "    (i32.store (i32.const 0) (local.get $id))\n"
    "    (loop $l\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))\n"
    "    (i32.store (i32.const 0) (i32.const 0))\n"
    "    (local.get $i))\n"
    "  (func $rec (export \"rec\") (param $d i32) (param $n i32) (result i32)\n"
    "    (if (result i32) (i32.eqz (local.get $d))\n"
    "      (then (call $leaf (local.get $n) (i32.const 1)))\n"
    "      (else (i32.add (call $rec (i32.sub (local.get $d) (i32.const 1)) (local.get $n))\n"
    "                     (i32.const 1)))))\n"
    "  (func $a (export \"a\") (param $n i32) (result i32) (call $rec (i32.const 40) (local.get $n)))\n"
    "  (func $b (export \"b\") (param $n i32) (result i32) (call $leaf (local.get $n) (i32.const 2)))\n"
    "  (func (export \"run\") (param $n i32) (param $rounds i32) (result i32) (local $s i32)\n"
    "    (loop $r\n"
    "      (local.set $s (i32.add (local.get $s) (call $a (local.get $n))))\n"
    "      (local.set $s (i32.add (local.get $s) (call $b (local.get $n))))\n"
    "      (br_if $r (local.tee $rounds (i32.sub (local.get $rounds) (i32.const 1)))))\n"
    "    (local.get $s)))\n";

typedef struct shape {
    const kiln_func *leaf, *rec, *a, *b, *run;
    const volatile uint8_t *mem;
    volatile unsigned long samples, whole[3], bad;
} shape;

/* In the signal handler: while leaf spins (memory[0] names the path) the
 * sample must be that path's whole stack; at any time it must read
 * [leaf] rec{k} [a] run or [leaf] [b] run (a path being entered or left). */
static void on_sample(void *ud, const kiln_func *const *frames, size_t n, size_t depth,
                      uint32_t periods)
{
    (void)periods;
    shape *sh = ud;
    sh->samples++;
    uint8_t path = sh->mem[0];
    if (depth == 0)
        return;
    size_t i = 0, k = 0;
    bool leaf = frames[0] == sh->leaf;
    i += leaf;
    while (i < n && frames[i] == sh->rec)
        i++, k++;
    bool via_a = i < n && frames[i] == sh->a, via_b = !k && i < n && frames[i] == sh->b;
    i += via_a || via_b;
    bool ok = n == depth && i + 1 == n && frames[i] == sh->run && k <= REC_DEPTH + 1 &&
              (!k || via_a);
    if (ok && path == 1)
        ok = leaf && k == REC_DEPTH + 1 && via_a;
    if (ok && path == 2)
        ok = leaf && via_b;
    if (!ok)
        sh->bad++;
    else if (path <= 2)
        sh->whole[path]++;
}

TEST(jit_frames_sampler_sees_whole_compiled_stacks)
{
    world w;
    bool ok = open_world(KILN_TIER_NATIVE, spin_wat, 10000, &w);
    CHECK(ok);
    if (ok) {
        kiln_memory *mem = kiln_instance_export_memory(w.inst, "mem");
        shape sh = {kiln_instance_export_func(w.inst, "leaf"),
                    kiln_instance_export_func(w.inst, "rec"),
                    kiln_instance_export_func(w.inst, "a"),
                    kiln_instance_export_func(w.inst, "b"),
                    kiln_instance_export_func(w.inst, "run"),
                    kiln_memory_data(mem), 0, {0, 0, 0}, 0};
        kiln_sampler *sp = NULL;
        kiln_error *err = kiln_sampler_start(w.store, 1000, on_sample, &sh, &sp);
        CHECK(err == NULL);
        kiln_error_free(err);
        kiln_val a[2] = {{.kind = KILN_I32, .of.i32 = 3000}, {.kind = KILN_I32, .of.i32 = 20000}};
        kiln_val r = {0};
        for (int i = 0; !err && i < 50 && (i == 0 || sh.whole[1] < 10 || sh.whole[2] < 10); i++)
            CHECK(kiln_call(w.store, kiln_instance_export_func(w.inst, "run"), a, 2, &r, 1) ==
                  NULL);
        kiln_sampler_stop(sp);
        CHECK_EQ(r.of.i32, 20000 * (2 * 3000 + REC_DEPTH));
        CHECK_EQ(sh.bad, 0);
        CHECK(sh.whole[1] >= 10 && sh.whole[2] >= 10);
        if (sh.bad || sh.whole[1] < 10 || sh.whole[2] < 10)
            printf("  samples %lu, whole %lu + %lu, bad %lu\n", sh.samples, sh.whole[1],
                   sh.whole[2], sh.bad);
    }
    close_world(&w);
}
