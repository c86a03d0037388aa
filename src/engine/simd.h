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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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
/* Half vectors (8 bytes): the source of widening operations. */
typedef uint8_t kn_vh_u8 __attribute__((vector_size(8)));
typedef int8_t kn_vh_i8 __attribute__((vector_size(8)));
typedef uint16_t kn_vh_u16 __attribute__((vector_size(8)));
typedef int16_t kn_vh_i16 __attribute__((vector_size(8)));
typedef uint32_t kn_vh_u32 __attribute__((vector_size(8)));
typedef int32_t kn_vh_i32 __attribute__((vector_size(8)));
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
/* Only the first N lanes are computed, the rest are zero ("_zero" forms
 * and the low-half conversions): VLANES1 over fewer lanes. */
#define VLOW(RL, L, N, EXPR) VLANES1(RL, L, N, EXPR)
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

/* ---- Whole-vector operations (vector form) or lane loops ------------------ */

/* Which lanes of a source feed a widening operation: the low or high half
 * (extend, extmul) or the even or odd lanes (pairwise sums, dot). */
#define KN_IDX_LO(i, N) (i)
#define KN_IDX_HI(i, N) ((i) + (N) / 2)
#define KN_IDX_EV(i, N) (2 * (i))
#define KN_IDX_OD(i, N) (2 * (i) + 1)

#if KN_SIMD_VECTOR
#define KN_LO_16(v) __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7)
#define KN_HI_16(v) __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15)
#define KN_EV_16(v) __builtin_shufflevector(v, v, 0, 2, 4, 6, 8, 10, 12, 14)
#define KN_OD_16(v) __builtin_shufflevector(v, v, 1, 3, 5, 7, 9, 11, 13, 15)
#define KN_LO_8(v) __builtin_shufflevector(v, v, 0, 1, 2, 3)
#define KN_HI_8(v) __builtin_shufflevector(v, v, 4, 5, 6, 7)
#define KN_EV_8(v) __builtin_shufflevector(v, v, 0, 2, 4, 6)
#define KN_OD_8(v) __builtin_shufflevector(v, v, 1, 3, 5, 7)
#define KN_LO_4(v) __builtin_shufflevector(v, v, 0, 1)
#define KN_HI_4(v) __builtin_shufflevector(v, v, 2, 3)
#define KN_CAT_8(x, y) __builtin_shufflevector(x, y, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define KN_CAT_4(x, y) __builtin_shufflevector(x, y, 0, 1, 2, 3, 4, 5, 6, 7)
/* Lanes H (LO, HI, EV, OD) of the N lanes L of v, widened to lanes WL. */
#define KN_WIDEN(WL, v, L, N, H) __builtin_convertvector(KN_##H##_##N(v.L), kn_vt_##WL)
/* Blend: lanes of x where the mask m is all ones, else lanes of y. */
#define KN_SEL(m, x, y) (((x) & (m)) | ((y) & ~(m)))
/* Every lane of a vector of lanes L set to the scalar v. */
#define KN_BCAST(L, v) ((kn_vt_##L){0} + (KN_LT_##L)(v))

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
/* Widening: lanes H of a (and b) as lanes WL; products and sums are taken
 * in the unsigned lanes RL of the same width, where they cannot overflow
 * or wrap differently. */
#define VEXTEND(WL, L, N, H) r.WL = KN_WIDEN(WL, a, L, N, H);
#define VEXTMUL(RL, WL, L, N, H) \
    r.RL = (kn_vt_##RL)KN_WIDEN(WL, a, L, N, H) * (kn_vt_##RL)KN_WIDEN(WL, b, L, N, H);
#define VEXTADD(RL, WL, L, N) \
    r.RL = (kn_vt_##RL)KN_WIDEN(WL, a, L, N, EV) + (kn_vt_##RL)KN_WIDEN(WL, a, L, N, OD);
#if defined(__SSE2__)
/* x86: pmaddwd is exactly i32x4.dot_i16x8_s (including the one wrapping
 * sum), and with every other lane zeroed it is the signed i16 extmul. */
#define VDOT() r.i32 = (kn_vt_i32)_mm_madd_epi16((__m128i)a.i16, (__m128i)b.i16);
#define KN_MADD_HALF(v, H) (__m128i)__builtin_shufflevector(v.i16, (kn_vt_i16){0}, KN_ZIP_##H)
#define KN_ZIP_LO 0, 8, 1, 8, 2, 8, 3, 8
#define KN_ZIP_HI 4, 8, 5, 8, 6, 8, 7, 8
#define VEXTMUL_I16(H) r.i32 = (kn_vt_i32)_mm_madd_epi16(KN_MADD_HALF(a, H), KN_MADD_HALF(b, H));
#else
#define VDOT()                                                              \
    r.u32 = (kn_vt_u32)(KN_WIDEN(i32, a, i16, 8, EV) * KN_WIDEN(i32, b, i16, 8, EV)) + \
            (kn_vt_u32)(KN_WIDEN(i32, a, i16, 8, OD) * KN_WIDEN(i32, b, i16, 8, OD));
#define VEXTMUL_I16(H) VEXTMUL(u32, i32, i16, 8, H)
#endif
/* Saturating narrowing: clamp the N lanes L of a and b, convert, join. */
#define VNARROW(RL, L, N, LO, HI)                                           \
    do {                                                                    \
        kn_vt_##L x_ = a.L, y_ = b.L, lo_ = KN_BCAST(L, LO), hi_ = KN_BCAST(L, HI); \
        x_ = KN_SEL((kn_vt_##L)(x_ < lo_), lo_, x_);                        \
        x_ = KN_SEL((kn_vt_##L)(x_ > hi_), hi_, x_);                        \
        y_ = KN_SEL((kn_vt_##L)(y_ < lo_), lo_, y_);                        \
        y_ = KN_SEL((kn_vt_##L)(y_ > hi_), hi_, y_);                        \
        r.RL = KN_CAT_##N(__builtin_convertvector(x_, kn_vh_##RL),          \
                          __builtin_convertvector(y_, kn_vh_##RL));         \
    } while (0)
#define VSPLAT(L, N, V) r.L = KN_BCAST(L, V);
/* Saturating add/sub: unsigned lanes clamp at 0 and the maximum; signed
 * lanes saturate toward the sign of a when the wrapped result overflowed. */
#define VADDSAT_U(L, N) \
    do { kn_vt_##L s_ = a.L + b.L; r.L = s_ | (kn_vt_##L)(s_ < a.L); } while (0)
#define VSUBSAT_U(L, N) \
    do { kn_vt_##L d_ = a.L - b.L; r.L = d_ & ~(kn_vt_##L)(a.L < b.L); } while (0)
#define VADDSAT_S(S, U, N, W)                                               \
    do {                                                                    \
        kn_vt_##S s_ = (kn_vt_##S)(a.U + b.U);                              \
        kn_vt_##S o_ = ((a.S ^ s_) & (b.S ^ s_)) >> ((W) - 1);              \
        r.S = KN_SEL(o_, (a.S >> ((W) - 1)) ^ KN_BCAST(S, ((KN_LT_##U)1 << ((W) - 1)) - 1), s_); \
    } while (0)
#define VSUBSAT_S(S, U, N, W)                                               \
    do {                                                                    \
        kn_vt_##S s_ = (kn_vt_##S)(a.U - b.U);                              \
        kn_vt_##S o_ = ((a.S ^ b.S) & (a.S ^ s_)) >> ((W) - 1);             \
        r.S = KN_SEL(o_, (a.S >> ((W) - 1)) ^ KN_BCAST(S, ((KN_LT_##U)1 << ((W) - 1)) - 1), s_); \
    } while (0)
/* Rounding average: (a + b + 1) >> 1 without the carry out. */
#define VAVGR(L, N) r.L = (a.L | b.L) - ((a.L ^ b.L) >> 1);
/* |a| and -a, wrapping (the minimum stays itself). */
#define VABS(U, S, N, W) \
    do { kn_vt_##S m_ = a.S >> ((W) - 1); r.U = (kn_vt_##U)(a.S ^ m_) - (kn_vt_##U)m_; } while (0)
#define VNEG(U, N) r.U = (KN_LT_##U)0 - a.U;
/* pmin/pmax: b < a ? b : a and a < b ? b : a, on the lanes' bits. */
#define VPMIN(U, F, N) r.U = KN_SEL((kn_vt_##U)(b.F < a.F), b.U, a.U);
#define VPMAX(U, F, N) r.U = KN_SEL((kn_vt_##U)(a.F < b.F), b.U, a.U);
/* Memory: N values widened to lanes RL; one value splatted. */
#define VLOAD_EXT(RL, L, N)                                                 \
    do {                                                                    \
        kn_vh_##L t_;                                                       \
        memcpy(&t_, p, sizeof t_);                                          \
        r.RL = __builtin_convertvector(t_, kn_vt_##RL);                     \
    } while (0)
static inline kn_v128 kn_v128_of_u64(uint64_t lo, uint64_t hi)
{
    kn_v128 r;
    r.u64 = (kn_vt_u64){lo, hi};
    return r;
}
/* Memory: one 32- or 64-bit value into lane 0, the rest zero (built in a
 * register: a partial store into r reloaded whole would stall). */
#define VLOAD_ZERO(L)                                                       \
    do {                                                                    \
        KN_LT_##L x_;                                                       \
        memcpy(&x_, p, sizeof x_);                                          \
        r.L = (kn_vt_##L){x_};                                              \
    } while (0)
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
#define VEXTEND(WL, L, N, H)                                                \
    for (int i_ = 0; i_ < (N) / 2; i_++)                                    \
        r.WL[i_] = a.L[KN_IDX_##H(i_, N)];
#define VEXTMUL(RL, WL, L, N, H)                                            \
    for (int i_ = 0; i_ < (N) / 2; i_++)                                    \
        r.RL[i_] = (KN_LT_##RL)((KN_LT_##WL)a.L[KN_IDX_##H(i_, N)] *        \
                                (KN_LT_##WL)b.L[KN_IDX_##H(i_, N)]);
#define VEXTADD(RL, WL, L, N)                                               \
    for (int i_ = 0; i_ < (N) / 2; i_++)                                    \
        r.RL[i_] = (KN_LT_##RL)((KN_LT_##WL)a.L[2 * i_] + (KN_LT_##WL)a.L[2 * i_ + 1]);
#define VDOT()                                                              \
    for (int i_ = 0; i_ < 4; i_++)                                          \
        r.u32[i_] = (uint32_t)((int32_t)a.i16[2 * i_] * b.i16[2 * i_]) +    \
                    (uint32_t)((int32_t)a.i16[2 * i_ + 1] * b.i16[2 * i_ + 1]);
#define VNARROW(RL, L, N, LO, HI)                                           \
    for (int i_ = 0; i_ < 2 * (N); i_++) {                                  \
        KN_LT_##L x_ = i_ < (N) ? a.L[i_] : b.L[i_ - (N)];                  \
        r.RL[i_] = (KN_LT_##RL)(x_ < (LO) ? (LO) : x_ > (HI) ? (HI) : x_);  \
    }
#define VSPLAT(L, N, V)                                                     \
    for (int i_ = 0; i_ < (N); i_++)                                        \
        r.L[i_] = (KN_LT_##L)(V);
#define VADDSAT_U(L, N) VLANES2(L, L, N, KN_SAT_U((int64_t)x + y, 8 * sizeof x))
#define VSUBSAT_U(L, N) VLANES2(L, L, N, KN_SAT_U((int64_t)x - y, 8 * sizeof x))
#define VADDSAT_S(S, U, N, W) VLANES2(S, S, N, KN_SAT_S((int64_t)x + y, W))
#define VSUBSAT_S(S, U, N, W) VLANES2(S, S, N, KN_SAT_S((int64_t)x - y, W))
#define VAVGR(L, N) VLANES2(L, L, N, ((uint32_t)x + y + 1) >> 1)
#define VABS(U, S, N, W) VLANES1(U, S, N, KN_IABS(x))
#define VNEG(U, N) VLANES1(U, U, N, 0 - (uint64_t)x)
#define VPMIN(U, F, N) VLANES2(F, F, N, y < x ? y : x)
#define VPMAX(U, F, N) VLANES2(F, F, N, x < y ? y : x)
#define VEXTMUL_I16(H) VEXTMUL(u32, i32, i16, 8, H)
#define VLOAD_EXT(RL, L, N)                                                 \
    do {                                                                    \
        KN_LT_##L t_[N];                                                    \
        memcpy(t_, p, sizeof t_);                                           \
        for (int i_ = 0; i_ < (N); i_++)                                    \
            r.RL[i_] = t_[i_];                                              \
    } while (0)
static inline kn_v128 kn_v128_of_u64(uint64_t lo, uint64_t hi)
{
    kn_v128 r;
    r.u64[0] = lo;
    r.u64[1] = hi;
    return r;
}
#define VLOAD_ZERO(L)                                                       \
    do {                                                                    \
        memset(&r, 0, sizeof r);                                            \
        memcpy(&r.L[0], p, sizeof r.L[0]);                                  \
    } while (0)
#endif
#define VLOAD_SPLAT(L, N)                                                   \
    do {                                                                    \
        KN_LT_##L x;                                                        \
        memcpy(&x, p, sizeof x);                                            \
        VSPLAT(L, N, x)                                                     \
    } while (0)

/* ---- Helpers for single lanes ---------------------------------------------- */

/* |x| of a signed lane as the unsigned lane (the minimum stays itself). */
#define KN_IABS(x) ((x) < 0 ? 0 - (uint64_t)(int64_t)(x) : (uint64_t)(x))
/* Saturating lane arithmetic, done in int64_t (no lane is that wide). */
static inline int64_t kn_clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }
#define KN_SAT_S(v, W) kn_clamp64((int64_t)(v), -((int64_t)1 << ((W) - 1)), ((int64_t)1 << ((W) - 1)) - 1)
#define KN_SAT_U(v, W) kn_clamp64((int64_t)(v), 0, ((int64_t)1 << (W)) - 1)
/* Q15 multiply, rounded and saturated (only -1 * -1 saturates). */
#define KN_Q15MULR(x, y) KN_SAT_S(((int32_t)(x) * (int32_t)(y) + 0x4000) >> 15, 16)

/* i8x16.shuffle and swizzle: bytes picked from a (0..15) and b (16..31).
 * Portably the bytes are gathered into two 64-bit halves in registers
 * (building the result byte by byte in memory and reloading it whole
 * stalls store forwarding).  On x86-64 with SSSE3, which baseline x86-64
 * does not promise, pshufb does it: the check is the compiler runtime's
 * CPU model, one load and a test, and the SSSE3 code lives in functions of
 * its own because code for another target cannot be inlined. */
static inline kn_v128 kn_v128_shuffle_gather(kn_v128 a, kn_v128 b, const uint8_t idx[16])
{
    uint8_t cat[32];
    uint64_t lo = 0, hi = 0;
    memcpy(cat, &a, 16);
    memcpy(cat + 16, &b, 16);
    for (int i = 0; i < 8; i++) {
        lo |= (uint64_t)cat[idx[i] & 31] << (8 * i);
        hi |= (uint64_t)cat[idx[i + 8] & 31] << (8 * i);
    }
    return kn_v128_of_u64(lo, hi);
}
static inline kn_v128 kn_v128_swizzle_gather(kn_v128 a, kn_v128 b)
{
    uint8_t in[32] = {0}, k[16]; /* indices >= 16 pick zero */
    uint64_t lo = 0, hi = 0;
    memcpy(in, &a, 16);
    memcpy(k, &b, 16);
    for (int i = 0; i < 8; i++) {
        lo |= (uint64_t)in[k[i] < 16 ? k[i] : 16] << (8 * i);
        hi |= (uint64_t)in[k[i + 8] < 16 ? k[i + 8] : 16] << (8 * i);
    }
    return kn_v128_of_u64(lo, hi);
}

#if KN_SIMD_VECTOR && defined(__x86_64__)
#include <tmmintrin.h>
#if defined(__SSSE3__)
#define KN_SSSE3_FN static inline
#define KN_HAVE_SSSE3() 1
#else
#define KN_SSSE3_FN __attribute__((target("ssse3"), noinline)) static
#define KN_HAVE_SSSE3() __builtin_cpu_supports("ssse3")
#endif
/* pshufb zeroes a byte whose index has the high bit set: indices 16..31
 * are masked out of the shuffle of a, 0..15 out of the shuffle of b. */
KN_SSSE3_FN kn_v128 kn_v128_shuffle_ssse3(kn_v128 a, kn_v128 b, const uint8_t idx[16])
{
    __m128i m = _mm_loadu_si128((const __m128i *)(const void *)idx);
    __m128i ma = _mm_or_si128(m, _mm_cmpgt_epi8(m, _mm_set1_epi8(15)));
    __m128i mb = _mm_or_si128(_mm_sub_epi8(m, _mm_set1_epi8(16)), _mm_cmplt_epi8(m, _mm_set1_epi8(16)));
    kn_v128 r;
    r.u8 = (kn_vt_u8)_mm_or_si128(_mm_shuffle_epi8((__m128i)a.u8, ma), _mm_shuffle_epi8((__m128i)b.u8, mb));
    return r;
}
/* Saturating +0x70 keeps indices 0..15 in the low nibble with the high
 * bit clear and sends every index >= 16 to 0x80 or above. */
KN_SSSE3_FN kn_v128 kn_v128_swizzle_ssse3(kn_v128 a, kn_v128 b)
{
    kn_v128 r;
    r.u8 = (kn_vt_u8)_mm_shuffle_epi8((__m128i)a.u8, _mm_adds_epu8((__m128i)b.u8, _mm_set1_epi8(0x70)));
    return r;
}
static inline kn_v128 kn_v128_shuffle(kn_v128 a, kn_v128 b, const uint8_t idx[16])
{
    return KN_HAVE_SSSE3() ? kn_v128_shuffle_ssse3(a, b, idx) : kn_v128_shuffle_gather(a, b, idx);
}
static inline kn_v128 kn_v128_swizzle(kn_v128 a, kn_v128 b)
{
    return KN_HAVE_SSSE3() ? kn_v128_swizzle_ssse3(a, b) : kn_v128_swizzle_gather(a, b);
}
#else
#define kn_v128_shuffle kn_v128_shuffle_gather
#define kn_v128_swizzle kn_v128_swizzle_gather
#endif

#endif
