/*
 * simd_helpers.c — the SIMD instructions compiled code does not inline:
 * one C function per V row of opcodes.def, generated from the same STMT
 * column the interpreter's handlers expand (interp.c), with simd.h's
 * vocabulary, so a helper computes exactly what the interpreter does —
 * in the vector form or, in a SIMD=scalar build, the portable lane loops,
 * as the interpreter of the same build.
 *
 * Operands arrive as pointers to their slots (a v128 is copied out of
 * its two slots and back, as the interpreter's VGET/VPUT do; a scalar
 * result writes the same slot field the interpreter writes); memory
 * operands as a pointer compiled code computed after its bounds check
 * (x64_simd.c), so no helper traps.  x64_jit.h lists the signatures.
 */
#include <string.h>

#include "simd.h"
#include "x64_jit.h"

#define VIN_V128(s) kn_v128 a = kn_v128_get(s);
#define VIN_I32(s) uint32_t x = (s)->i32;
#define VIN_I64(s) uint64_t x = (s)->i64;
#define VIN_F32(s) float x = (s)->f32;
#define VIN_F64(s) double x = (s)->f64;
#define VOUT_V128 kn_v128 r;
#define VOUT_I32 uint32_t r;
#define VOUT_I64 uint64_t r;
#define VOUT_F32 float r;
#define VOUT_F64 double r;
#define VSET_V128(d) kn_v128_put(d, r);
#define VSET_I32(d) (d)->i32 = r;
#define VSET_I64(d) (d)->i64 = r;
#define VSET_F32(d) (d)->f32 = r;
#define VSET_F64(d) (d)->f64 = r;

#define KN_VUNOP(ID, PFX, CODE, TEXT, IN, OUT, STMT)                            \
    static void v_##ID(kn_slot *d, const kn_slot *s)                            \
    {                                                                           \
        VIN_##IN(s) VOUT_##OUT STMT;                                            \
        VSET_##OUT(d)                                                           \
    }
#define KN_VBINOP(ID, PFX, CODE, TEXT, STMT)                                    \
    static void v_##ID(kn_slot *d, const kn_slot *sa, const kn_slot *sb)        \
    {                                                                           \
        kn_v128 a = kn_v128_get(sa), b = kn_v128_get(sb), r;                    \
        STMT;                                                                   \
        kn_v128_put(d, r);                                                      \
    }
#define KN_VTERNOP(ID, PFX, CODE, TEXT, STMT)                                   \
    static void v_##ID(kn_slot *d, const kn_slot *sa, const kn_slot *sb,        \
                       const kn_slot *sc)                                       \
    {                                                                           \
        kn_v128 a = kn_v128_get(sa), b = kn_v128_get(sb), c = kn_v128_get(sc), r; \
        STMT;                                                                   \
        kn_v128_put(d, r);                                                      \
    }
#define KN_VSHIFT(ID, PFX, CODE, TEXT, STMT)                                    \
    static void v_##ID(kn_slot *d, const kn_slot *sa, uint32_t n)               \
    {                                                                           \
        kn_v128 a = kn_v128_get(sa), r;                                         \
        STMT;                                                                   \
        kn_v128_put(d, r);                                                      \
    }
#define KN_VEXTRACT(ID, PFX, CODE, TEXT, OUT, LANES, STMT)                      \
    static void v_##ID(kn_slot *d, const kn_slot *sa, uint32_t l)               \
    {                                                                           \
        kn_v128 a = kn_v128_get(sa);                                            \
        VOUT_##OUT STMT;                                                        \
        VSET_##OUT(d)                                                           \
    }
#define KN_VREPLACE(ID, PFX, CODE, TEXT, IN, LANES, STMT)                       \
    static void v_##ID(kn_slot *d, const kn_slot *sa, const kn_slot *sx, uint32_t l) \
    {                                                                           \
        kn_v128 r = kn_v128_get(sa);                                            \
        VIN_##IN(sx) STMT;                                                      \
        kn_v128_put(d, r);                                                      \
    }
#define KN_VLOAD(ID, PFX, CODE, TEXT, SIZE, STMT)                               \
    static void v_##ID(kn_slot *d, const uint8_t *p)                            \
    {                                                                           \
        kn_v128 r;                                                              \
        STMT;                                                                   \
        kn_v128_put(d, r);                                                      \
    }
#define KN_VLOAD_LANE(ID, PFX, CODE, TEXT, SIZE)                                \
    static void v_##ID(kn_slot *d, const uint8_t *p, const kn_slot *sa, uint32_t l) \
    {                                                                           \
        kn_v128 r = kn_v128_get(sa);                                            \
        memcpy((uint8_t *)&r + l * (SIZE), p, SIZE);                            \
        kn_v128_put(d, r);                                                      \
    }
#define KN_VSTORE_LANE(ID, PFX, CODE, TEXT, SIZE)                               \
    static void v_##ID(uint8_t *p, const kn_slot *sa, uint32_t l)               \
    {                                                                           \
        memcpy(p, (const uint8_t *)sa + l * (SIZE), SIZE);                      \
    }
#include "opcodes.def"

void kn_jit_v128_shuffle(kn_slot *d, const kn_slot *a, const kn_slot *b, uint64_t lo, uint64_t hi)
{
    uint8_t lanes[16];
    memcpy(lanes, &lo, 8);
    memcpy(lanes + 8, &hi, 8);
    kn_v128_put(d, kn_v128_shuffle(kn_v128_get(a), kn_v128_get(b), lanes));
}

#define FN(ID) ((void (*)(void))v_##ID)
const kn_jit_vhelper kn_jit_vhelpers[KN_OP_COUNT] = {
#define KN_VUNOP(ID, PFX, CODE, TEXT, IN, OUT, STMT) [KN_OP_##ID] = {KN_VH_UNOP, 0, FN(ID)},
#define KN_VBINOP(ID, PFX, CODE, TEXT, STMT) [KN_OP_##ID] = {KN_VH_BINOP, 0, FN(ID)},
#define KN_VTERNOP(ID, PFX, CODE, TEXT, STMT) [KN_OP_##ID] = {KN_VH_TERNOP, 0, FN(ID)},
#define KN_VSHIFT(ID, PFX, CODE, TEXT, STMT) \
    [KN_OP_##ID] = {KN_VH_SHIFT, 0, FN(ID)}, [KN_OP_##ID##_K] = {KN_VH_SHIFT_K, 0, FN(ID)},
#define KN_VEXTRACT(ID, PFX, CODE, TEXT, OUT, LANES, STMT) \
    [KN_OP_##ID] = {KN_VH_EXTRACT, 0, FN(ID)},
#define KN_VREPLACE(ID, PFX, CODE, TEXT, IN, LANES, STMT) \
    [KN_OP_##ID] = {KN_VH_REPLACE, 0, FN(ID)},
#define KN_VLOAD(ID, PFX, CODE, TEXT, SIZE, STMT) \
    [KN_OP_##ID] = {KN_VH_LOAD, SIZE, FN(ID)}, [KN_OP_##ID##_A] = {KN_VH_LOAD_A, SIZE, FN(ID)},
#define KN_VLOAD_LANE(ID, PFX, CODE, TEXT, SIZE) [KN_OP_##ID] = {KN_VH_LOAD_LANE, SIZE, FN(ID)},
#define KN_VSTORE_LANE(ID, PFX, CODE, TEXT, SIZE) [KN_OP_##ID] = {KN_VH_STORE_LANE, SIZE, FN(ID)},
#include "opcodes.def"
};
