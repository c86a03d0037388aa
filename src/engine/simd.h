/*
 * simd.h — the value type of Wasm's v128 and the lane vocabulary that the
 * SIMD rows of opcodes.def are written in: the one seam between the two
 * ways kiln computes SIMD.
 *
 *   - vector form (default with GCC/clang): kn_v128 is a union of the
 *     compilers' generic vector types (vector_size(16)), so whole-vector
 *     operations (V2, VCMP, VSHL, VSHR, VMINMAX, ...) compile to SSE
 *     instructions on x86-64 and to the target's vector unit elsewhere;
 *   - scalar form (-DKN_SIMD_SCALAR, or any other compiler): kn_v128 is a
 *     union of plain C arrays and every operation is a loop over lanes, in
 *     standard C11 only.
 *
 * Both forms define the same macros, so each instruction is written once
 * (in opcodes.def) and the build picks the form; make spec runs on both.
 * Operations that have no whole-vector form (saturation, narrowing,
 * NaN-aware float min/max, conversions, ...) are lane loops in both forms:
 * vector types can be subscripted like arrays.
 *
 * Invariants: lane i of every view is bytes [i*w, (i+1)*w) of the value, as
 * in linear memory (the host is little-endian, see runtime.h); no operation
 * relies on signed overflow or on out-of-range shifts: lane arithmetic that
 * may wrap is done in uint64_t and narrowed, and shift counts are masked
 * to the lane width as the spec says.
 *
 * The statements in opcodes.def read the operands a, b, c (kn_v128), the
 * scalar operand x or shift count n, the lane index l, the memory pointer
 * p, and write the result r.
 */
#ifndef KN_SIMD_H
#define KN_SIMD_H

#include <stdint.h>
#include <string.h>

#include "numeric.h"

#if !defined(KN_SIMD_SCALAR) && (defined(__GNUC__) || defined(__clang__))
#define KN_SIMD_VECTOR 1
typedef uint8_t kn_vt_u8 __attribute__((vector_size(16)));
typedef int8_t kn_vt_i8 __attribute__((vector_size(16)));
typedef uint16_t kn_vt_u16 __attribute__((vector_size(16)));
typedef int16_t kn_vt_i16 __attribute__((vector_size(16)));
typedef uint32_t kn_vt_u32 __attribute__((vector_size(16)));
typedef int32_t kn_vt_i32 __attribute__((vector_size(16)));
typedef uint64_t kn_vt_u64 __attribute__((vector_size(16)));
typedef int64_t kn_vt_i64 __attribute__((vector_size(16)));
typedef float kn_vt_f32 __attribute__((vector_size(16)));
typedef double kn_vt_f64 __attribute__((vector_size(16)));
typedef union kn_v128 {
    kn_vt_u8 u8;
    kn_vt_i8 i8;
    kn_vt_u16 u16;
    kn_vt_i16 i16;
    kn_vt_u32 u32;
    kn_vt_i32 i32;
    kn_vt_u64 u64;
    kn_vt_i64 i64;
    kn_vt_f32 f32;
    kn_vt_f64 f64;
} kn_v128;
#else
#define KN_SIMD_VECTOR 0
typedef union kn_v128 {
    uint8_t u8[16];
    int8_t i8[16];
    uint16_t u16[8];
    int16_t i16[8];
    uint32_t u32[4];
    int32_t i32[4];
    uint64_t u64[2];
    int64_t i64[2];
    float f32[4];
    double f64[2];
} kn_v128;
#endif

/* The build's form, for kiln --version and the tests. */
#define KN_SIMD_FORM (KN_SIMD_VECTOR ? "vector" : "scalar")

/* A v128 lives in two 8-byte slots (or anywhere else) with no alignment
 * promise: values move in and out by copying. */
static inline kn_v128 kn_v128_get(const void *p)
{
    kn_v128 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void kn_v128_put(void *p, kn_v128 v) { memcpy(p, &v, sizeof v); }

/* Lane C types, and the type lane arithmetic is done in (wrapping). */
#define KN_LT_u8 uint8_t
#define KN_LT_i8 int8_t
#define KN_LT_u16 uint16_t
#define KN_LT_i16 int16_t
#define KN_LT_u32 uint32_t
#define KN_LT_i32 int32_t
#define KN_LT_u64 uint64_t
#define KN_LT_i64 int64_t
#define KN_LT_f32 float
#define KN_LT_f64 double
#define KN_AT_u8 uint64_t
#define KN_AT_u16 uint64_t
#define KN_AT_u32 uint64_t
#define KN_AT_u64 uint64_t
#define KN_AT_f32 float
#define KN_AT_f64 double

/* ---- Lane loops (both forms) ---------------------------------------------- */

/* Lane loops build the result in a plain array o_ and copy it into r
 * whole: writing a vector type element by element makes GCC lose track of
 * what is initialised, and the copy compiles to one vector store. */
#define VRESULT(RL, ...)                                                    \
    do {                                                                    \
        KN_LT_##RL o_[16 / sizeof(KN_LT_##RL)] = {0};                       \
        __VA_ARGS__                                                         \
        memcpy(&r, o_, 16);                                                 \
    } while (0)

/* r.RL[i] = EXPR for i < N, with x = a.L[i] (and y = b.L[i]). */
#define VLANES1(RL, L, N, EXPR)                                             \
    VRESULT(RL, for (int i_ = 0; i_ < (N); i_++) {                          \
        KN_LT_##L x = a.L[i_];                                              \
        o_[i_] = (KN_LT_##RL)(EXPR);                                        \
    })
#define VLANES2(RL, L, N, EXPR)                                             \
    VRESULT(RL, for (int i_ = 0; i_ < (N); i_++) {                          \
        KN_LT_##L x = a.L[i_], y = b.L[i_];                                 \
        o_[i_] = (KN_LT_##RL)(EXPR);                                        \
    })
/* Widening: r.RL[i] = EXPR of x = a.L[i + FROM] (and y = b.L[i + FROM]). */
#define VWIDEN1(RL, L, N, FROM, EXPR)                                       \
    VRESULT(RL, for (int i_ = 0; i_ < (N); i_++) {                          \
        KN_LT_##L x = a.L[i_ + (FROM)];                                     \
        o_[i_] = (KN_LT_##RL)(EXPR);                                        \
    })
#define VWIDEN2(RL, L, N, FROM, EXPR)                                       \
    VRESULT(RL, for (int i_ = 0; i_ < (N); i_++) {                          \
        KN_LT_##L x = a.L[i_ + (FROM)], y = b.L[i_ + (FROM)];               \
        o_[i_] = (KN_LT_##RL)(EXPR);                                        \
    })
/* Pairwise: x, y are lanes 2i and 2i+1 of a. */
#define VPAIRS(RL, L, N, EXPR)                                              \
    VRESULT(RL, for (int i_ = 0; i_ < (N); i_++) {                          \
        KN_LT_##L x = a.L[2 * i_], y = a.L[2 * i_ + 1];                     \
        o_[i_] = (KN_LT_##RL)(EXPR);                                        \
    })
/* Narrowing with saturation: lanes of a, then lanes of b, clamped. */
#define VNARROW(RL, L, N, LO, HI)                                           \
    VRESULT(RL, for (int i_ = 0; i_ < 2 * (N); i_++) {                      \
        KN_LT_##L x = i_ < (N) ? a.L[i_] : b.L[i_ - (N)];                   \
        o_[i_] = (KN_LT_##RL)(x < (LO) ? (LO) : x > (HI) ? (HI) : x);       \
    })
/* Only the first N lanes are computed, the rest are zero ("_zero" forms
 * and the low-half conversions): VLANES1 over fewer lanes. */
#define VLOW(RL, L, N, EXPR) VLANES1(RL, L, N, EXPR)
#define VSPLAT(L, N)                                                        \
    VRESULT(L, for (int i_ = 0; i_ < (N); i_++) o_[i_] = (KN_LT_##L)x;)
/* i32x4.dot_i16x8_s: sums of adjacent products; the sum of two
 * (-2^15)^2 products wraps, so it is done in uint32_t. */
#define VDOT()                                                              \
    VRESULT(u32, for (int i_ = 0; i_ < 4; i_++) {                           \
        o_[i_] = (uint32_t)((int32_t)a.i16[2 * i_] * b.i16[2 * i_]) +       \
                 (uint32_t)((int32_t)a.i16[2 * i_ + 1] * b.i16[2 * i_ + 1]); \
    })
/* Reductions to an i32: all lanes non-zero; the lanes' sign bits. */
#define VALLTRUE(L, N)                                                      \
    do {                                                                    \
        r = 1;                                                              \
        for (int i_ = 0; i_ < (N); i_++)                                    \
            r &= a.L[i_] != 0;                                              \
    } while (0)
#define VBITMASK(L, N)                                                      \
    do {                                                                    \
        r = 0;                                                              \
        for (int i_ = 0; i_ < (N); i_++)                                    \
            r |= (uint32_t)(a.L[i_] < 0) << i_;                             \
    } while (0)
/* One lane replaced by x (r starts as a copy of a). */
#define VREPLACE(L)                                                         \
    do {                                                                    \
        KN_LT_##L v_ = (KN_LT_##L)x;                                        \
        memcpy((uint8_t *)&r + l * sizeof v_, &v_, sizeof v_);              \
    } while (0)
/* Memory: widen N values of memory type T to lanes RL; splat one; load
 * into the low bytes and zero the rest. */
#define VLOAD_EXT(RL, T, N)                                                 \
    do {                                                                    \
        T t_[N];                                                            \
        memcpy(t_, p, sizeof t_);                                           \
        VRESULT(RL, for (int i_ = 0; i_ < (N); i_++) o_[i_] = t_[i_];);     \
    } while (0)
#define VLOAD_SPLAT(L, N)                                                   \
    do {                                                                    \
        KN_LT_##L x;                                                        \
        memcpy(&x, p, sizeof x);                                            \
        VSPLAT(L, N);                                                       \
    } while (0)
#define VLOAD_ZERO(BYTES)                                                   \
    do {                                                                    \
        memset(&r, 0, sizeof r);                                            \
        memcpy(&r, p, BYTES);                                               \
    } while (0)

/* ---- Whole-vector operations (vector form) or lane loops ------------------ */

#if KN_SIMD_VECTOR
/* r = a OP b, lane by lane, wrapping. */
#define V2(L, N, OP) r.L = a.L OP b.L;
/* All-ones lanes where a.L CMP b.L holds, as lanes RL of the same width. */
#define VCMP(RL, L, N, CMP) r.RL = (kn_vt_##RL)(a.L CMP b.L);
/* Shifts by n modulo the lane width. */
#define VSHL(L, N, W) r.L = a.L << (KN_LT_##L)(n & ((W) - 1));
#define VSHR(L, N, W) r.L = a.L >> (KN_LT_##L)(n & ((W) - 1));
/* Integer min/max: pick a where a.L CMP b.L. */
#define VMINMAX(L, N, CMP)                                                  \
    do {                                                                    \
        kn_vt_##L m_ = (kn_vt_##L)(a.L CMP b.L);                            \
        r.L = (a.L & m_) | (b.L & ~m_);                                     \
    } while (0)
#define VNOT() r.u64 = ~a.u64;
#define VANDNOT() r.u64 = a.u64 & ~b.u64;
#define VBITSELECT() r.u64 = (a.u64 & c.u64) | (b.u64 & ~c.u64);
/* Float sign-bit operations on lanes of width U (u32 or u64). */
#define VSIGN(U, N, OP, MASK) r.U = a.U OP (KN_LT_##U)(MASK);
#else
#define V2(L, N, OP)                                                        \
    for (int i_ = 0; i_ < (N); i_++)                                        \
        r.L[i_] = (KN_LT_##L)((KN_AT_##L)a.L[i_] OP (KN_AT_##L)b.L[i_]);
#define VCMP(RL, L, N, CMP)                                                 \
    for (int i_ = 0; i_ < (N); i_++)                                        \
        r.RL[i_] = a.L[i_] CMP b.L[i_] ? (KN_LT_##RL)~(KN_LT_##RL)0 : 0;
#define VSHL(L, N, W)                                                       \
    for (int i_ = 0; i_ < (N); i_++)                                        \
        r.L[i_] = (KN_LT_##L)((uint64_t)a.L[i_] << (n & ((W) - 1)));
#define VSHR(L, N, W)                                                       \
    for (int i_ = 0; i_ < (N); i_++)                                        \
        r.L[i_] = (KN_LT_##L)(a.L[i_] >> (n & ((W) - 1)));
#define VMINMAX(L, N, CMP)                                                  \
    for (int i_ = 0; i_ < (N); i_++)                                        \
        r.L[i_] = a.L[i_] CMP b.L[i_] ? a.L[i_] : b.L[i_];
#define VNOT()                                                              \
    for (int i_ = 0; i_ < 2; i_++)                                          \
        r.u64[i_] = ~a.u64[i_];
#define VANDNOT()                                                           \
    for (int i_ = 0; i_ < 2; i_++)                                          \
        r.u64[i_] = a.u64[i_] & ~b.u64[i_];
#define VBITSELECT()                                                        \
    for (int i_ = 0; i_ < 2; i_++)                                          \
        r.u64[i_] = (a.u64[i_] & c.u64[i_]) | (b.u64[i_] & ~c.u64[i_]);
#define VSIGN(U, N, OP, MASK)                                               \
    for (int i_ = 0; i_ < (N); i_++)                                        \
        r.U[i_] = a.U[i_] OP (KN_LT_##U)(MASK);
#endif

/* ---- Helpers for single lanes ---------------------------------------------- */

/* |x| of a signed lane as the unsigned lane (the minimum stays itself). */
#define KN_IABS(x) ((x) < 0 ? 0 - (uint64_t)(int64_t)(x) : (uint64_t)(x))
/* Saturating lane arithmetic, done in int64_t (no lane is that wide). */
static inline int64_t kn_clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }
#define KN_SAT_S(v, W) kn_clamp64((int64_t)(v), -((int64_t)1 << ((W) - 1)), ((int64_t)1 << ((W) - 1)) - 1)
#define KN_SAT_U(v, W) kn_clamp64((int64_t)(v), 0, ((int64_t)1 << (W)) - 1)
/* Rounding average of unsigned lanes. */
#define KN_AVGR(x, y) (((uint32_t)(x) + (uint32_t)(y) + 1) >> 1)
/* Q15 multiply, rounded and saturated (only -1 * -1 saturates). */
#define KN_Q15MULR(x, y) KN_SAT_S(((int32_t)(x) * (int32_t)(y) + 0x4000) >> 15, 16)

/* i8x16.shuffle and swizzle: bytes picked from a (0..15) and b (16..31). */
static inline kn_v128 kn_v128_shuffle(kn_v128 a, kn_v128 b, const uint8_t idx[16])
{
    uint8_t cat[32], o[16];
    kn_v128 r;
    memcpy(cat, &a, 16);
    memcpy(cat + 16, &b, 16);
    for (int i = 0; i < 16; i++)
        o[i] = cat[idx[i] & 31];
    memcpy(&r, o, 16);
    return r;
}
static inline kn_v128 kn_v128_swizzle(kn_v128 a, kn_v128 b)
{
    kn_v128 r;
    uint8_t in[16], o[16];
    memcpy(in, &a, 16);
    for (int i = 0; i < 16; i++) {
        uint8_t k = b.u8[i];
        o[i] = k < 16 ? in[k] : 0;
    }
    memcpy(&r, o, 16);
    return r;
}

#endif
