/*
 * fuzz_gen.c — the structure-aware libFuzzer target: one input is a
 * sequence of choices from which wasmgen.c builds a valid module (SIMD-heavy
 * unless KILN_FUZZ_GEN_SIMD=0); the module then goes through the same
 * driver as fuzz.c (fuzz_harness.h), with every exported function called
 * with arguments chosen from the input (boundary values, v128 lanes).
 *
 * On top of fuzz.c's checks it aborts when kiln rejects a generated module
 * ("valid module rejected", with kiln's message and offset) or fails to
 * instantiate it: the generator promises validity, wasm-validate checks
 * that promise (tests/fuzz/gen-check.sh), so either kiln or the generator
 * is wrong.
 *
 * Environment:
 *   KILN_FUZZ_GEN_SIMD=0|1  scalar-only or SIMD modules (default: the
 *                           build's -DKILN_FUZZ_GEN_SIMD, else 1)
 *   KILN_FUZZ_DUMP=PATH     write each generated module to PATH (the last
 *                           one stays): run the target on one input, e.g.
 *                           a crash file, then wasm-objdump -d PATH
 *   KILN_FUZZ_VERBOSE=1     say what each step did
 *   KILN_GEN_TIER=native    run the modules on the native tier (kiln_tier)
 *
 * A crash found here is reproduced by its module: dump it and put the .wasm
 * in tests/fuzz/regress/ (regress.c runs it through fuzz.c).
 *
 * Built with -DKILN_GEN_DIFF (and no libFuzzer) the same code is
 * kiln-gen-diff, a differential test of kiln's two SIMD forms:
 *
 *   gen-diff N SEED    generates N modules from random inputs, runs them
 *                      and prints every call's results (bits) or trap, then
 *                      a hash of each exported memory and each exported
 *                      global's bits
 *
 * tests/run.sh runs it linked with the default library (vector SIMD,
 * computed goto) and with the portable one (SIMD=scalar, switch dispatch)
 * and requires identical output: the builds must agree bit for bit except
 * for NaN payloads, which the spec leaves open (see mask_nans).  With
 * KILN_GEN_TIER=native the same binary runs the native tier, whose output
 * must equal the interpreter's (tests/run.sh, suite native-diff).
 *
 * Built with -DKILN_FUZZ_DIFF (and libFuzzer) it is kiln-fuzz-diff, the
 * same comparison as a fuzz target: each input's module runs on the
 * interpreter and then on the native tier, the two printouts (as
 * kiln-gen-diff prints them) are compared, and a difference aborts with
 * both shown from the first line that differs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_harness.h"
#include "wasmgen.h"

/* Smaller than fuzz.c's: generated modules loop and call much more than
 * random bytes do, and every input runs every export. */
#define GEN_FUEL 20000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int simd = -1;
static const char *dump_path;
static kiln_tier tier;

typedef struct gen_ctx {
    uint64_t rng;
    const wg_module *m;
} gen_ctx;

static void gen_args(void *ctx, const kiln_functype *ft, kiln_val *args)
{
    gen_ctx *c = ctx;
    for (uint32_t i = 0; i < ft->nparams; i++) {
        uint8_t b[16];
        kiln_val *v = &args[i];
        switch (ft->params[i]) {
        case KILN_I32:
        case KILN_I64:
        case KILN_F32:
        case KILN_F64:
        case KILN_V128: wg_value(&c->rng, (uint8_t)ft->params[i], b); break;
        default: continue; /* references stay null */
        }
        switch (ft->params[i]) {
        case KILN_I32: memcpy(&v->of.i32, b, 4); break;
        case KILN_I64: memcpy(&v->of.i64, b, 8); break;
        case KILN_F32: memcpy(&v->of.f32, b, 4); break;
        case KILN_F64: memcpy(&v->of.f64, b, 8); break;
        default: memcpy(v->of.v128, b, 16); break;
        }
    }
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static void on_reject(void *ctx, const kiln_error *e)
{
    const gen_ctx *c = ctx;
    (void)e;
    fprintf(stderr, "kiln-fuzz-gen: the generator (%s mode) promised a valid module.\n",
            simd ? "SIMD" : "scalar");
    if (dump_path && *dump_path)
        fprintf(stderr, "kiln-fuzz-gen: the module is in %s (wasm-validate / wasm-objdump -d it)\n",
                dump_path);
    else
        fprintf(stderr, "kiln-fuzz-gen: rerun with KILN_FUZZ_DUMP=module.wasm on this input to get "
                        "the module (%zu bytes), then wasm-validate / wasm-objdump -d it\n",
                c->m->len);
}

/* Makes the module for one input and runs it through the harness with o
 * (whose generator-specific fields are filled in here); false when out of
 * memory. */
static bool run_input(const uint8_t *data, size_t size, fz_opts o)
{
    wg_options opt = {.simd = simd};
    wg_module m;
    if (wg_generate(data, size, &opt, &m) != 0)
        return false;
    if (dump_path && *dump_path && write_file(dump_path, m.bytes, m.len) != 0)
        fprintf(stderr, "%s: cannot write %s\n", o.tool, dump_path);
    gen_ctx c = {m.arg_seed, &m};
    o.fuel = GEN_FUEL;
    o.valid = 1;
    o.tier = tier;
    o.make_args = gen_args;
    o.on_reject = on_reject;
    o.ctx = &c;
    fz_run(m.bytes, m.len, &o);
    wg_module_free(&m);
    return true;
}

#if defined(KILN_GEN_DIFF) || defined(KILN_FUZZ_DIFF)
static unsigned long diff_module;
static FILE *out; /* where print_result and print_state write */

/* The spec leaves a NaN result's payload and sign open when an operand is
 * NaN (which operand's payload propagates depends on the order the C
 * compiler chose for a commutative operation), so NaNs print as "nan":
 * any 64-bit or 32-bit lane that is a NaN as f64 or f32.  Integer lanes
 * with those bit patterns are masked too; that is the price. */
static void mask_nans(uint8_t *b, size_t w)
{
    for (size_t o = 0; o + 8 <= w; o += 8) {
        uint64_t x;
        memcpy(&x, b + o, 8);
        if ((x & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (x & 0x000fffffffffffffull))
            memset(b + o, 0xee, 8);
    }
    for (size_t o = 0; o + 4 <= w; o += 4) {
        uint32_t x;
        memcpy(&x, b + o, 4);
        if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x007fffffu) && x != 0xeeeeeeeeu)
            memset(b + o, 0xee, 4);
    }
}

static void print_result(void *ctx, const char *name, const kiln_error *e, const kiln_val *res,
                         uint32_t n)
{
    (void)ctx;
    fprintf(out, "m%lu %s", diff_module, name);
    if (e)
        fprintf(out, " trap %d kind %d", (int)kiln_error_trap(e), (int)kiln_error_kind_of(e));
    for (uint32_t i = 0; !e && i < n; i++) {
        uint8_t b[16] = {0};
        size_t w = 0;
        switch (res[i].kind) {
        case KILN_I32: memcpy(b, &res[i].of.i32, w = 4); break;
        case KILN_I64: memcpy(b, &res[i].of.i64, w = 8); break;
        case KILN_F32: memcpy(b, &res[i].of.f32, w = 4); break;
        case KILN_F64: memcpy(b, &res[i].of.f64, w = 8); break;
        case KILN_V128: memcpy(b, res[i].of.v128, w = 16); break;
        default: fprintf(out, " ref"); break;
        }
        mask_nans(b, w);
        if (w)
            fprintf(out, " ");
        for (size_t k = w; k-- > 0;)
            fprintf(out, "%02x", b[k]);
    }
    fprintf(out, "\n");
}

/* What the calls left behind: a hash of each exported memory (FNV-1a) and
 * the bits of each exported global, NaNs masked. */
static unsigned long native_funcs, defined_funcs;

static void print_state(void *ctx, kiln_instance *inst, const kiln_module *m)
{
    (void)ctx;
    uint32_t defined;
    native_funcs += kiln_module_native_funcs(m, &defined);
    defined_funcs += defined;
    size_t n = kiln_module_export_count(m);
    for (size_t i = 0; i < n; i++) {
        kiln_export_desc ex;
        memset(&ex, 0, sizeof ex);
        kiln_module_export(m, i, &ex);
        if (ex.type.kind == KILN_EXTERN_MEMORY) {
            kiln_memory *mem = kiln_instance_export_memory(inst, ex.name);
            const uint8_t *d = mem ? kiln_memory_data(mem) : NULL;
            uint64_t h = 0xcbf29ce484222325ull, size = mem ? kiln_memory_size(mem) : 0;
            for (uint64_t k = 0; d && k < size; k++)
                h = (h ^ d[k]) * 0x100000001b3ull;
            fprintf(out, "m%lu %s memory %llu %016llx\n", diff_module, ex.name, (unsigned long long)size,
                   (unsigned long long)h);
        } else if (ex.type.kind == KILN_EXTERN_GLOBAL) {
            kiln_global *g = kiln_instance_export_global(inst, ex.name);
            if (g) {
                kiln_val v = kiln_global_get(g);
                print_result(NULL, ex.name, NULL, &v, 1);
            }
        }
    }
}

#endif

#if defined(KILN_GEN_DIFF)
int main(int argc, char **argv)
{
    out = stdout;
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
    uint64_t rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    static uint8_t input[4096];
    simd = wg_simd_default();
    dump_path = getenv("KILN_FUZZ_DUMP");
    const char *t = getenv("KILN_GEN_TIER");
    tier = t && strcmp(t, "native") == 0 ? KILN_TIER_NATIVE : KILN_TIER_INTERP;
    for (diff_module = 0; diff_module < n; diff_module++) {
        size_t len = 256 + (size_t)(rng % (sizeof input - 256));
        for (size_t i = 0; i < len; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17; /* xorshift64 */
            input[i] = (uint8_t)(rng >> 24);
        }
        fz_opts o = {.tool = "kiln-gen-diff", .on_result = print_result, .on_done = print_state};
        if (!run_input(input, len, o))
            return 1;
    }
    if (tier == KILN_TIER_NATIVE) /* on stderr: stdout must equal the interpreter's */
        fprintf(stderr, "kiln-gen-diff: native code for %lu of %lu functions\n", native_funcs,
                defined_funcs);
    return 0;
}
#elif defined(KILN_FUZZ_DIFF)
/* One run of the input's module on one tier, its printout in *text. */
static bool run_tier(const uint8_t *data, size_t size, kiln_tier t, char **text, size_t *len)
{
    out = open_memstream(text, len);
    if (!out)
        return false;
    tier = t;
    fz_opts o = {.tool = "kiln-fuzz-diff", .on_result = print_result, .on_done = print_state};
    bool ok = run_input(data, size, o);
    fclose(out);
    out = NULL;
    return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    simd = wg_simd_default();
    dump_path = getenv("KILN_FUZZ_DUMP");
    fprintf(stderr, "kiln-fuzz-diff: %s modules on the interpreter and the native tier "
                    "(KILN_FUZZ_GEN_SIMD=%d)\n",
            simd ? "SIMD" : "scalar-only", simd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (simd < 0)
        LLVMFuzzerInitialize(NULL, NULL);
    char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (run_tier(data, size, KILN_TIER_INTERP, &a, &na) &&
        run_tier(data, size, KILN_TIER_NATIVE, &b, &nb) && (na != nb || memcmp(a, b, na) != 0)) {
        size_t i = 0, line = 0;
        while (i < na && i < nb && a[i] == b[i])
            if (a[i++] == '\n')
                line = i;
        fprintf(stderr, "kiln-fuzz-diff: the tiers disagree from byte %zu of the printout\n"
                        "--- interpreter (from that line):\n%.*s\n--- native:\n%.*s\n"
                        "kiln-fuzz-diff: KILN_FUZZ_DUMP=m.wasm on this input writes the module\n",
                i, (int)(na - line < 2000 ? na - line : 2000), a + line,
                (int)(nb - line < 2000 ? nb - line : 2000), b + line);
        abort();
    }
    free(a);
    free(b);
    return 0;
}
#else
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    simd = wg_simd_default();
    dump_path = getenv("KILN_FUZZ_DUMP");
    const char *t = getenv("KILN_GEN_TIER");
    tier = t && strcmp(t, "native") == 0 ? KILN_TIER_NATIVE : KILN_TIER_INTERP;
    fprintf(stderr, "kiln-fuzz-gen: generating %s modules (KILN_FUZZ_GEN_SIMD=%d)\n",
            simd ? "SIMD" : "scalar-only", simd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (simd < 0)
        LLVMFuzzerInitialize(NULL, NULL);
    run_input(data, size, (fz_opts){.tool = "kiln-fuzz-gen"});
    return 0;
}
#endif
