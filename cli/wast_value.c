/*
 * wast_value.c — values in `kiln wast`: a script's arguments as kiln
 * values, the judgement of a result against what the script expects (NaN
 * classes per float and per float lane, lane patterns, references), the
 * text of both for failure messages, and the "spectest" host module.
 *
 * Comparisons are on bits, never on float arithmetic, so a NaN payload or
 * the sign of a zero is compared exactly.  An externref argument
 * `ref.extern N` is the host pointer N+1, so that N = 0 still differs from
 * null, and an expected `ref.extern N` is that same pointer.  A funcref
 * cannot be named from a script, so an expected `ref.func` (with or
 * without an index) means any non-null function reference.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "wast.h"

/* ---- lanes ----------------------------------------------------------------- */

static unsigned shape_lane_bits(kiln_wast_shape s)
{
    switch (s) {
    case KILN_WAST_I8X16: return 8;
    case KILN_WAST_I16X8: return 16;
    case KILN_WAST_I32X4:
    case KILN_WAST_F32X4: return 32;
    case KILN_WAST_I64X2:
    case KILN_WAST_F64X2: return 64;
    }
    return 8;
}

static bool shape_is_float(kiln_wast_shape s)
{
    return s == KILN_WAST_F32X4 || s == KILN_WAST_F64X2;
}

static const char *shape_name(kiln_wast_shape s)
{
    static const char *const names[] = {"i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static uint64_t get_lane(const uint8_t *v128, unsigned bits, unsigned lane)
{
    uint64_t value = 0; /* lanes are little-endian, like linear memory */
    for (unsigned b = 0; b < bits / 8; b++)
        value |= (uint64_t)v128[lane * (bits / 8) + b] << (8 * b);
    return value;
}

/* ---- arguments --------------------------------------------------------------- */

bool wast_arg(const kiln_wast_value *v, kiln_val *out, char *why, size_t n)
{
    memset(out, 0, sizeof *out);
    uint32_t b32 = (uint32_t)v->bits;
    switch (v->type) {
    case KILN_WAST_I32: out->kind = KILN_I32, out->of.i32 = (int32_t)b32; return true;
    case KILN_WAST_I64: out->kind = KILN_I64, out->of.i64 = (int64_t)v->bits; return true;
    /* memcpy keeps NaN payloads bit for bit. */
    case KILN_WAST_F32: out->kind = KILN_F32, memcpy(&out->of.f32, &b32, 4); return true;
    case KILN_WAST_F64: out->kind = KILN_F64, memcpy(&out->of.f64, &v->bits, 8); return true;
    case KILN_WAST_V128: out->kind = KILN_V128, memcpy(out->of.v128, v->v128, 16); return true;
    case KILN_WAST_EXTERNREF:
        out->kind = KILN_EXTERNREF;
        if (!v->is_null)
            out->of.externref = (void *)(uintptr_t)(v->bits + 1);
        return true;
    case KILN_WAST_FUNCREF:
        out->kind = KILN_FUNCREF;
        if (v->is_null)
            return true;
        snprintf(why, n, "a ref.func argument cannot be made outside an instance");
        return false;
    }
    snprintf(why, n, "an argument of unknown type %d", (int)v->type);
    return false;
}

/* ---- matching ------------------------------------------------------------------ */

/* A canonical NaN has only the top fraction bit set (either sign); an
 * arithmetic NaN has at least that bit set. */
static bool float_matches(kiln_wast_pattern p, unsigned width, uint64_t got, uint64_t want)
{
    uint64_t sign = UINT64_C(1) << (width - 1);
    uint64_t quiet = width == 32 ? UINT64_C(0x7fc00000) : UINT64_C(0x7ff8000000000000);
    switch (p) {
    case KILN_WAST_NAN_CANONICAL: return (got & ~sign) == quiet;
    case KILN_WAST_NAN_ARITHMETIC: return (got & quiet) == quiet;
    case KILN_WAST_EXACT: return got == want;
    }
    return false;
}

static bool v128_matches(const kiln_wast_value *want, const uint8_t *got)
{
    unsigned bits = shape_lane_bits(want->shape), lanes = 128 / bits;
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t g = get_lane(got, bits, i), w = get_lane(want->v128, bits, i);
        if (shape_is_float(want->shape) ? !float_matches(want->pattern[i], bits, g, w) : g != w)
            return false;
    }
    return true;
}

static bool ref_matches(const kiln_wast_value *want, const void *got)
{
    if (want->is_null)
        return got == NULL;
    if (want->any || want->type == KILN_WAST_FUNCREF)
        return got != NULL;
    return got == (const void *)(uintptr_t)(want->bits + 1);
}

static bool value_matches(const kiln_wast_value *want, const kiln_val *got)
{
    uint32_t g32;
    uint64_t g64;
    switch (want->type) {
    case KILN_WAST_I32: return got->kind == KILN_I32 && (uint32_t)got->of.i32 == (uint32_t)want->bits;
    case KILN_WAST_I64: return got->kind == KILN_I64 && (uint64_t)got->of.i64 == want->bits;
    case KILN_WAST_F32:
        if (got->kind != KILN_F32)
            return false;
        memcpy(&g32, &got->of.f32, 4);
        return float_matches(want->pattern[0], 32, g32, (uint32_t)want->bits);
    case KILN_WAST_F64:
        if (got->kind != KILN_F64)
            return false;
        memcpy(&g64, &got->of.f64, 8);
        return float_matches(want->pattern[0], 64, g64, want->bits);
    case KILN_WAST_V128: return got->kind == KILN_V128 && v128_matches(want, got->of.v128);
    case KILN_WAST_FUNCREF: return got->kind == KILN_FUNCREF && ref_matches(want, got->of.funcref);
    case KILN_WAST_EXTERNREF:
        return got->kind == KILN_EXTERNREF && ref_matches(want, got->of.externref);
    }
    return false;
}

bool wast_result_matches(const kiln_wast_result *want, const kiln_val *got)
{
    for (size_t i = 0; i < want->nalts; i++)
        if (value_matches(&want->alts[i], got))
            return true;
    return false;
}

/* ---- text -------------------------------------------------------------------------- */

/* Appends to buf at *o, never past n. */
static void put(char *buf, size_t n, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t n, size_t *o, const char *fmt, ...)
{
    if (*o >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *o, n - *o, fmt, ap);
    va_end(ap);
    if (k > 0)
        *o = *o + (size_t)k < n ? *o + (size_t)k : n;
}

static const char *pattern_text(kiln_wast_pattern p)
{
    return p == KILN_WAST_NAN_CANONICAL ? "nan:canonical" : "nan:arithmetic";
}

/* A scalar as "i32 -1 (0xffffffff)" or "f32 1.5 (0x3fc00000)": the value
 * as `kiln run --invoke` prints it, then its bits. */
static void put_scalar(char *buf, size_t n, size_t *o, kiln_valkind k, uint64_t bits)
{
    kiln_val v = {.kind = k};
    uint32_t b32 = (uint32_t)bits;
    switch (k) {
    case KILN_I32: v.of.i32 = (int32_t)b32; break;
    case KILN_I64: v.of.i64 = (int64_t)bits; break;
    case KILN_F32: memcpy(&v.of.f32, &b32, 4); break;
    default: memcpy(&v.of.f64, &bits, 8); break;
    }
    char text[64];
    format_value(&v, text, sizeof text);
    int digits = (k == KILN_I32 || k == KILN_F32) ? 8 : 16;
    put(buf, n, o, "%s %s (0x%0*" PRIx64 ")", valkind_name(k), text, digits, bits);
}

/* v128 lanes in a shape: integers as signed decimals, floats as bits. */
static void put_lanes(char *buf, size_t n, size_t *o, kiln_wast_shape shape, const uint8_t *v,
                      const kiln_wast_pattern *patterns)
{
    unsigned bits = shape_lane_bits(shape), lanes = 128 / bits;
    put(buf, n, o, "v128 %s", shape_name(shape));
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t lane = get_lane(v, bits, i);
        if (shape_is_float(shape) && patterns && patterns[i] != KILN_WAST_EXACT)
            put(buf, n, o, " %s", pattern_text(patterns[i]));
        else if (shape_is_float(shape))
            put(buf, n, o, " 0x%0*" PRIx64, (int)bits / 4, lane);
        else {
            int64_t s = bits == 64 ? (int64_t)lane
                                   : (int64_t)(lane ^ (UINT64_C(1) << (bits - 1))) -
                                         (int64_t)(UINT64_C(1) << (bits - 1));
            put(buf, n, o, " %" PRId64, s);
        }
    }
}

static const char *wast_type_name(kiln_wast_type t)
{
    static const char *const names[] = {"i32", "i64", "f32", "f64", "v128", "func", "extern"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static void put_expected(char *buf, size_t n, size_t *o, const kiln_wast_value *w)
{
    static const kiln_valkind kinds[] = {KILN_I32, KILN_I64, KILN_F32, KILN_F64};
    switch (w->type) {
    case KILN_WAST_I32:
    case KILN_WAST_I64:
        put_scalar(buf, n, o, kinds[w->type], w->bits);
        return;
    case KILN_WAST_F32:
    case KILN_WAST_F64:
        if (w->pattern[0] != KILN_WAST_EXACT)
            put(buf, n, o, "%s %s", wast_type_name(w->type), pattern_text(w->pattern[0]));
        else
            put_scalar(buf, n, o, kinds[w->type], w->bits);
        return;
    case KILN_WAST_V128: put_lanes(buf, n, o, w->shape, w->v128, w->pattern); return;
    case KILN_WAST_FUNCREF:
    case KILN_WAST_EXTERNREF:
        if (w->is_null)
            put(buf, n, o, "ref.null %s", wast_type_name(w->type));
        else if (w->any || w->type == KILN_WAST_FUNCREF)
            put(buf, n, o, "ref.%s (any non-null)", wast_type_name(w->type));
        else
            put(buf, n, o, "ref.extern %" PRIu64, w->bits);
        return;
    }
    put(buf, n, o, "a value of unknown type %d", (int)w->type);
}

void wast_format_result(const kiln_wast_result *want, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    if (want->nalts != 1)
        put(buf, n, &o, "either(");
    for (size_t i = 0; i < want->nalts; i++) {
        if (i)
            put(buf, n, &o, " | ");
        put_expected(buf, n, &o, &want->alts[i]);
    }
    if (want->nalts != 1)
        put(buf, n, &o, ")");
}

void wast_format_got(const kiln_val *got, const kiln_wast_result *like, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    uint32_t b32;
    uint64_t b64;
    switch (got->kind) {
    case KILN_I32: put_scalar(buf, n, &o, KILN_I32, (uint32_t)got->of.i32); return;
    case KILN_I64: put_scalar(buf, n, &o, KILN_I64, (uint64_t)got->of.i64); return;
    case KILN_F32:
        memcpy(&b32, &got->of.f32, 4);
        put_scalar(buf, n, &o, KILN_F32, b32);
        return;
    case KILN_F64:
        memcpy(&b64, &got->of.f64, 8);
        put_scalar(buf, n, &o, KILN_F64, b64);
        return;
    case KILN_V128: {
        kiln_wast_shape shape = KILN_WAST_I32X4;
        if (like && like->nalts && like->alts[0].type == KILN_WAST_V128)
            shape = like->alts[0].shape;
        put_lanes(buf, n, &o, shape, got->of.v128, NULL);
        return;
    }
    case KILN_FUNCREF:
        put(buf, n, &o, got->of.funcref ? "ref.func (non-null)" : "ref.null func");
        return;
    case KILN_EXTERNREF:
        if (!got->of.externref)
            put(buf, n, &o, "ref.null extern");
        else
            put(buf, n, &o, "ref.extern %" PRIuPTR, (uintptr_t)got->of.externref - 1);
        return;
    }
    put(buf, n, &o, "a value of unknown kind %d", (int)got->kind);
}

static const char *kind_name(kiln_error_kind k)
{
    switch (k) {
    case KILN_ERR_DECODE: return "decode";
    case KILN_ERR_VALIDATE: return "validation";
    case KILN_ERR_LINK: return "link";
    case KILN_ERR_TRAP: return "trap";
    case KILN_ERR_LIMIT: return "limit";
    case KILN_ERR_HOST: return "host";
    case KILN_ERR_NOMEM: return "out-of-memory";
    case KILN_ERR_ARG: return "argument";
    case KILN_ERR_PLUGIN: return "plugin";
    case KILN_ERR_ARTIFACT: return "artifact";
    }
    return "unknown";
}

const char *wast_describe_error(const kiln_error *e, char *buf, size_t n)
{
    const char *msg = kiln_error_message(e);
    snprintf(buf, n, "%s error: %s", kind_name(kiln_error_kind_of(e)), msg ? msg : "(no message)");
    return buf;
}

/* ---- spectest ------------------------------------------------------------------------ */

/* The print functions exist to be imported and called; they print nothing,
 * so a script's output is its verdicts only. */
static kiln_error *spectest_print(kiln_caller *caller, void *env, const kiln_val *args,
                                  kiln_val *results)
{
    return NULL;
}

static kiln_error *define_prints(kiln_store *store, kiln_linker *linker)
{
    static const kiln_valkind i32[] = {KILN_I32}, i64[] = {KILN_I64}, f32[] = {KILN_F32},
                              f64[] = {KILN_F64}, i32_f32[] = {KILN_I32, KILN_F32},
                              f64_f64[] = {KILN_F64, KILN_F64};
    static const struct {
        const char *name;
        uint32_t nparams;
        const kiln_valkind *params;
    } funcs[] = {
        {"print", 0, NULL},        {"print_i32", 1, i32},         {"print_i64", 1, i64},
        {"print_f32", 1, f32},     {"print_f64", 1, f64},         {"print_i32_f32", 2, i32_f32},
        {"print_f64_f64", 2, f64_f64},
    };
    kiln_error *err = NULL;
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0] && !err; i++) {
        kiln_functype ft = {.nparams = funcs[i].nparams, .params = funcs[i].params};
        kiln_func *f;
        err = kiln_func_new(store, &ft, spectest_print, NULL, NULL, &f);
        if (!err)
            err = kiln_linker_define_func(linker, "spectest", funcs[i].name, f);
    }
    return err;
}

kiln_error *wast_define_spectest(kiln_store *store, kiln_linker *linker)
{
    kiln_error *err = define_prints(store, linker);
    kiln_val globals[4];
    static const char *const gnames[4] = {"global_i32", "global_i64", "global_f32", "global_f64"};
    memset(globals, 0, sizeof globals);
    globals[0].kind = KILN_I32, globals[0].of.i32 = 666;
    globals[1].kind = KILN_I64, globals[1].of.i64 = 666;
    globals[2].kind = KILN_F32, globals[2].of.f32 = 666.6f;
    globals[3].kind = KILN_F64, globals[3].of.f64 = 666.6;
    for (size_t i = 0; i < 4 && !err; i++) {
        kiln_global *g;
        err = kiln_global_new(store, globals[i], false, &g);
        if (!err)
            err = kiln_linker_define_global(linker, "spectest", gnames[i], g);
    }
    kiln_table *t;
    if (!err)
        err = kiln_table_new(store, KILN_FUNCREF, (kiln_limits){10, 20, true}, &t);
    if (!err)
        err = kiln_linker_define_table(linker, "spectest", "table", t);
    kiln_memory *m;
    if (!err)
        err = kiln_memory_new(store, (kiln_limits){1, 2, true}, &m);
    if (!err)
        err = kiln_linker_define_memory(linker, "spectest", "memory", m);
    return err;
}
