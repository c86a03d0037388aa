/*
 * numeric.h — the parts of Wasm numeric semantics that are not plain C
 * operators: trapping division and conversion, saturating conversion,
 * IEEE min/max with Wasm's NaN and signed-zero rules, and sign/bit
 * manipulation that must not touch NaN payloads.  Used by the rows of
 * opcodes.def, so by the interpreter (and later the compiler's helpers).
 *
 * Floating-point arithmetic itself is plain C: on x86-64 (SSE, FLT_EVAL_METHOD
 * 0, no contraction: the Makefile passes -ffp-contract=off) it is exactly
 * IEEE binary32/binary64 with round-to-nearest-even, and NaN results are
 * quiet NaNs, which is what Wasm's "arithmetic NaN" allows.
 */
#ifndef KN_NUMERIC_H
#define KN_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kiln.h"

static inline uint32_t kn_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline uint64_t kn_f64_bits(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }
static inline float kn_f32_from(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline double kn_f64_from(uint64_t u) { double f; memcpy(&f, &u, 8); return f; }

static inline uint32_t kn_clz32(uint32_t x) { return x ? (uint32_t)__builtin_clz(x) : 32; }
static inline uint32_t kn_ctz32(uint32_t x) { return x ? (uint32_t)__builtin_ctz(x) : 32; }
static inline uint32_t kn_popcnt32(uint32_t x) { return (uint32_t)__builtin_popcount(x); }
static inline uint64_t kn_clz64(uint64_t x) { return x ? (uint64_t)__builtin_clzll(x) : 64; }
static inline uint64_t kn_ctz64(uint64_t x) { return x ? (uint64_t)__builtin_ctzll(x) : 64; }
static inline uint64_t kn_popcnt64(uint64_t x) { return (uint64_t)__builtin_popcountll(x); }
static inline uint32_t kn_rotl32(uint32_t x, uint32_t n) { n &= 31; return (x << n) | (x >> ((32 - n) & 31)); }
static inline uint32_t kn_rotr32(uint32_t x, uint32_t n) { n &= 31; return (x >> n) | (x << ((32 - n) & 31)); }
static inline uint64_t kn_rotl64(uint64_t x, uint64_t n) { n &= 63; return (x << n) | (x >> ((64 - n) & 63)); }
static inline uint64_t kn_rotr64(uint64_t x, uint64_t n) { n &= 63; return (x >> n) | (x << ((64 - n) & 63)); }

static inline kiln_trap_code kn_div_s32(uint32_t x, uint32_t y, uint32_t *r)
{
    if (y == 0) return KILN_TRAP_INT_DIV_ZERO;
    if (x == 0x80000000u && y == 0xffffffffu) return KILN_TRAP_INT_OVERFLOW;
    *r = (uint32_t)((int32_t)x / (int32_t)y);
    return KILN_TRAP_NONE;
}
static inline kiln_trap_code kn_div_u32(uint32_t x, uint32_t y, uint32_t *r)
{
    if (y == 0) return KILN_TRAP_INT_DIV_ZERO;
    *r = x / y;
    return KILN_TRAP_NONE;
}
static inline kiln_trap_code kn_rem_s32(uint32_t x, uint32_t y, uint32_t *r)
{
    if (y == 0) return KILN_TRAP_INT_DIV_ZERO;
    *r = (y == 0xffffffffu) ? 0 : (uint32_t)((int32_t)x % (int32_t)y);
    return KILN_TRAP_NONE;
}
static inline kiln_trap_code kn_rem_u32(uint32_t x, uint32_t y, uint32_t *r)
{
    if (y == 0) return KILN_TRAP_INT_DIV_ZERO;
    *r = x % y;
    return KILN_TRAP_NONE;
}
static inline kiln_trap_code kn_div_s64(uint64_t x, uint64_t y, uint64_t *r)
{
    if (y == 0) return KILN_TRAP_INT_DIV_ZERO;
    if (x == 0x8000000000000000ull && y == ~0ull) return KILN_TRAP_INT_OVERFLOW;
    *r = (uint64_t)((int64_t)x / (int64_t)y);
    return KILN_TRAP_NONE;
}
static inline kiln_trap_code kn_div_u64(uint64_t x, uint64_t y, uint64_t *r)
{
    if (y == 0) return KILN_TRAP_INT_DIV_ZERO;
    *r = x / y;
    return KILN_TRAP_NONE;
}
static inline kiln_trap_code kn_rem_s64(uint64_t x, uint64_t y, uint64_t *r)
{
    if (y == 0) return KILN_TRAP_INT_DIV_ZERO;
    *r = (y == ~0ull) ? 0 : (uint64_t)((int64_t)x % (int64_t)y);
    return KILN_TRAP_NONE;
}
static inline kiln_trap_code kn_rem_u64(uint64_t x, uint64_t y, uint64_t *r)
{
    if (y == 0) return KILN_TRAP_INT_DIV_ZERO;
    *r = x % y;
    return KILN_TRAP_NONE;
}

/* Sign and magnitude operate on bits so NaN payloads pass through. */
static inline float kn_fabs32(float x) { return kn_f32_from(kn_f32_bits(x) & 0x7fffffffu); }
static inline float kn_fneg32(float x) { return kn_f32_from(kn_f32_bits(x) ^ 0x80000000u); }
static inline float kn_copysign32(float x, float y)
{
    return kn_f32_from((kn_f32_bits(x) & 0x7fffffffu) | (kn_f32_bits(y) & 0x80000000u));
}
static inline double kn_fabs64(double x) { return kn_f64_from(kn_f64_bits(x) & 0x7fffffffffffffffull); }
static inline double kn_fneg64(double x) { return kn_f64_from(kn_f64_bits(x) ^ 0x8000000000000000ull); }
static inline double kn_copysign64(double x, double y)
{
    return kn_f64_from((kn_f64_bits(x) & 0x7fffffffffffffffull) | (kn_f64_bits(y) & 0x8000000000000000ull));
}

/* Rounding: libm may hand a signalling NaN back unchanged, but Wasm wants
 * an arithmetic (quiet) NaN; x + x quiets it. */
#define KN_ROUND(NAME, FT, FN) \
    static inline FT NAME(FT x) { return x != x ? x + x : FN(x); }
KN_ROUND(kn_ceil32, float, ceilf)
KN_ROUND(kn_floor32, float, floorf)
KN_ROUND(kn_trunc32, float, truncf)
KN_ROUND(kn_nearest32, float, nearbyintf)
KN_ROUND(kn_ceil64, double, ceil)
KN_ROUND(kn_floor64, double, floor)
KN_ROUND(kn_trunc64, double, trunc)
KN_ROUND(kn_nearest64, double, nearbyint)
#undef KN_ROUND

/* min/max: any NaN operand gives a NaN (n + n quiets and propagates it:
 * the first NaN operand's, never left to which operand order the compiler
 * picks for x + y, so every build and tier gives the same bits); -0 is
 * smaller than +0. */
static inline float kn_fmin32(float x, float y)
{
    if (x != x || y != y) return x != x ? x + x : y + y;
    if (x == y) return kn_f32_from(kn_f32_bits(x) | kn_f32_bits(y));
    return x < y ? x : y;
}
static inline float kn_fmax32(float x, float y)
{
    if (x != x || y != y) return x != x ? x + x : y + y;
    if (x == y) return kn_f32_from(kn_f32_bits(x) & kn_f32_bits(y));
    return x > y ? x : y;
}
static inline double kn_fmin64(double x, double y)
{
    if (x != x || y != y) return x != x ? x + x : y + y;
    if (x == y) return kn_f64_from(kn_f64_bits(x) | kn_f64_bits(y));
    return x < y ? x : y;
}
static inline double kn_fmax64(double x, double y)
{
    if (x != x || y != y) return x != x ? x + x : y + y;
    if (x == y) return kn_f64_from(kn_f64_bits(x) & kn_f64_bits(y));
    return x > y ? x : y;
}

/* Truncation to integer.  The bounds are exact powers of two written as
 * float/double constants, so each test is exact: a value is in range iff
 * trunc(x) fits, i.e. -2^(N-1) - 1 < x < 2^(N-1) for signed, -1 < x < 2^N
 * for unsigned. */
#define KN_TRUNC(NAME, FT, IT, UT, LO, HI)                                            \
    static inline kiln_trap_code NAME(FT x, UT *r)                                    \
    {                                                                                 \
        if (x != x) return KILN_TRAP_BAD_CONVERSION;                                  \
        if (!(x > (LO) && x < (HI))) return KILN_TRAP_INT_OVERFLOW;                   \
        *r = (UT)(IT)x;                                                               \
        return KILN_TRAP_NONE;                                                        \
    }
KN_TRUNC(kn_trunc_i32_f32_s, float, int32_t, uint32_t, -2147483904.0f, 2147483648.0f)
KN_TRUNC(kn_trunc_i32_f32_u, float, uint32_t, uint32_t, -1.0f, 4294967296.0f)
KN_TRUNC(kn_trunc_i32_f64_s, double, int32_t, uint32_t, -2147483649.0, 2147483648.0)
KN_TRUNC(kn_trunc_i32_f64_u, double, uint32_t, uint32_t, -1.0, 4294967296.0)
KN_TRUNC(kn_trunc_i64_f32_s, float, int64_t, uint64_t, -9223373136366403584.0f, 9223372036854775808.0f)
KN_TRUNC(kn_trunc_i64_f32_u, float, uint64_t, uint64_t, -1.0f, 18446744073709551616.0f)
KN_TRUNC(kn_trunc_i64_f64_s, double, int64_t, uint64_t, -9223372036854777856.0, 9223372036854775808.0)
KN_TRUNC(kn_trunc_i64_f64_u, double, uint64_t, uint64_t, -1.0, 18446744073709551616.0)
#undef KN_TRUNC

/* Saturating truncation: NaN -> 0, out of range -> the nearest bound. */
#define KN_SAT(NAME, FT, IT, UT, LO, HI, MINV, MAXV)                                  \
    static inline UT NAME(FT x)                                                       \
    {                                                                                 \
        if (x != x) return 0;                                                         \
        if (!(x > (LO))) return (UT)(MINV);                                           \
        if (!(x < (HI))) return (UT)(MAXV);                                           \
        return (UT)(IT)x;                                                             \
    }
KN_SAT(kn_i32_sat_f32_s, float, int32_t, uint32_t, -2147483904.0f, 2147483648.0f, INT32_MIN, INT32_MAX)
KN_SAT(kn_i32_sat_f32_u, float, uint32_t, uint32_t, -1.0f, 4294967296.0f, 0, UINT32_MAX)
KN_SAT(kn_i32_sat_f64_s, double, int32_t, uint32_t, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
KN_SAT(kn_i32_sat_f64_u, double, uint32_t, uint32_t, -1.0, 4294967296.0, 0, UINT32_MAX)
KN_SAT(kn_i64_sat_f32_s, float, int64_t, uint64_t, -9223373136366403584.0f, 9223372036854775808.0f, INT64_MIN, INT64_MAX)
KN_SAT(kn_i64_sat_f32_u, float, uint64_t, uint64_t, -1.0f, 18446744073709551616.0f, 0, UINT64_MAX)
KN_SAT(kn_i64_sat_f64_s, double, int64_t, uint64_t, -9223372036854777856.0, 9223372036854775808.0, INT64_MIN, INT64_MAX)
KN_SAT(kn_i64_sat_f64_u, double, uint64_t, uint64_t, -1.0, 18446744073709551616.0, 0, UINT64_MAX)
#undef KN_SAT

#endif
