/*
 * x64_simd.c — the v128 instructions: moves, constants, selects and
 * globals, v128.load/store and the integer lane operations SSE2 has an
 * exact equivalent of inline (SSE2 is in every x86-64), everything else a
 * call to its helper generated from opcodes.def (simd_helpers.c).  Float
 * lane add, sub, mul, div, sqrt, pmin and pmax are inline too; the rest
 * of the float lanes (min/max, rounding, conversions) are helpers.
 *
 * A v128 is two consecutive slots (lower.h) with no alignment promise, so
 * values move through xmm registers with movdqu only and packed
 * operations take register operands.  Loads and stores compute their
 * address and bounds check with kn_x64_address, exactly as the scalar
 * ones (ea + size beyond the memory traps before any byte moves); a
 * helper that touches memory receives the checked pointer.  The SSE4.1
 * (and SSSE3) templates sit behind kn_x64.has_sse41 (tpl, inlined): without
 * it those instructions call their helpers, as the portable test build's
 * native tier does (-DKN_JIT_SSE2_ONLY, jit.c).
 */
#include <string.h>

#include "x64_fn.h"

#define XMM0 0
#define XMM1 1

static void vcopy(fn *f, x64_mem dst, x64_mem src)
{
    kn_x64_movdqu_load(B, XMM0, src);
    kn_x64_movdqu_store(B, dst, XMM0);
}

/* The lane operations with an SSE2 equivalent of exactly their
 * semantics (wrapping, saturating, unsigned or signed as Wasm says; shift
 * counts masked to the lane width first, as Wasm masks them):
 *   BIN      dst = op(a, b)         BIN_SWAP  dst = op(b, a) (lt is gt
 *                                             swapped, andnot is pandn)
 *   EXT_U    interleave with zero   EXT_S     interleave with itself, then
 *                                             an arithmetic shift right
 *   SHIFT    by a slot (op: the xmm-count form) or a constant (grp/digit)
 *   FBIN     float lanes (bits: 32 ps, 64 pd): add, sub, mul, div round
 *            each lane once as the C does; FBIN_SWAP: pmin and pmax are
 *            minps/maxps with the operands swapped (b < a ? b : a: the
 *            second operand when unordered or both zero, as x86 does)
 *   FUN      float lanes, unary (sqrt)
 *   BIN38    dst = op(a, b) in the 0f 38 map (SSE4.1: pmulld, pmin/pmax
 *            of the widths SSE2 lacks, pcmpeqq)
 *   EXTMUL   i32x4 = i16x8 a * b, widened: the low halves (pmullw) and the
 *            high halves (op: pmulhw, pmulhuw) of the products,
 *            interleaved (grp: punpcklwd for the low lanes, punpckhwd) */
enum { VT_NONE, VT_BIN, VT_BIN_SWAP, VT_EXT_U, VT_EXT_S, VT_SHIFT, VT_FBIN, VT_FBIN_SWAP, VT_FUN,
       VT_BIN38, VT_EXTMUL };
typedef struct vtpl { uint8_t kind, op, grp, digit, bits; } vtpl;

static vtpl tpl_of(kn_op op)
{
    switch (op) {
    case KN_OP_V128_AND: return (vtpl){VT_BIN, X_PAND, 0, 0, 0};
    case KN_OP_V128_OR: return (vtpl){VT_BIN, X_POR, 0, 0, 0};
    case KN_OP_V128_XOR: return (vtpl){VT_BIN, X_PXOR, 0, 0, 0};
    case KN_OP_V128_ANDNOT: return (vtpl){VT_BIN_SWAP, X_PANDN, 0, 0, 0};
    case KN_OP_I8X16_ADD: return (vtpl){VT_BIN, X_PADDB, 0, 0, 0};
    case KN_OP_I16X8_ADD: return (vtpl){VT_BIN, X_PADDW, 0, 0, 0};
    case KN_OP_I32X4_ADD: return (vtpl){VT_BIN, X_PADDD, 0, 0, 0};
    case KN_OP_I64X2_ADD: return (vtpl){VT_BIN, X_PADDQ, 0, 0, 0};
    case KN_OP_I8X16_SUB: return (vtpl){VT_BIN, X_PSUBB, 0, 0, 0};
    case KN_OP_I16X8_SUB: return (vtpl){VT_BIN, X_PSUBW, 0, 0, 0};
    case KN_OP_I32X4_SUB: return (vtpl){VT_BIN, X_PSUBD, 0, 0, 0};
    case KN_OP_I64X2_SUB: return (vtpl){VT_BIN, X_PSUBQ, 0, 0, 0};
    case KN_OP_I8X16_ADD_SAT_S: return (vtpl){VT_BIN, 0xec, 0, 0, 0};   /* paddsb */
    case KN_OP_I8X16_ADD_SAT_U: return (vtpl){VT_BIN, 0xdc, 0, 0, 0};   /* paddusb */
    case KN_OP_I8X16_SUB_SAT_S: return (vtpl){VT_BIN, 0xe8, 0, 0, 0};   /* psubsb */
    case KN_OP_I8X16_SUB_SAT_U: return (vtpl){VT_BIN, 0xd8, 0, 0, 0};   /* psubusb */
    case KN_OP_I16X8_ADD_SAT_S: return (vtpl){VT_BIN, 0xed, 0, 0, 0};   /* paddsw */
    case KN_OP_I16X8_ADD_SAT_U: return (vtpl){VT_BIN, 0xdd, 0, 0, 0};   /* paddusw */
    case KN_OP_I16X8_SUB_SAT_S: return (vtpl){VT_BIN, 0xe9, 0, 0, 0};   /* psubsw */
    case KN_OP_I16X8_SUB_SAT_U: return (vtpl){VT_BIN, 0xd9, 0, 0, 0};   /* psubusw */
    case KN_OP_I8X16_MIN_U: return (vtpl){VT_BIN, 0xda, 0, 0, 0};       /* pminub */
    case KN_OP_I8X16_MAX_U: return (vtpl){VT_BIN, 0xde, 0, 0, 0};       /* pmaxub */
    case KN_OP_I16X8_MIN_S: return (vtpl){VT_BIN, 0xea, 0, 0, 0};       /* pminsw */
    case KN_OP_I16X8_MAX_S: return (vtpl){VT_BIN, 0xee, 0, 0, 0};       /* pmaxsw */
    case KN_OP_I8X16_AVGR_U: return (vtpl){VT_BIN, 0xe0, 0, 0, 0};      /* pavgb */
    case KN_OP_I16X8_AVGR_U: return (vtpl){VT_BIN, 0xe3, 0, 0, 0};      /* pavgw */
    case KN_OP_I16X8_MUL: return (vtpl){VT_BIN, 0xd5, 0, 0, 0};         /* pmullw */
    case KN_OP_I32X4_DOT_I16X8_S: return (vtpl){VT_BIN, 0xf5, 0, 0, 0}; /* pmaddwd */
    case KN_OP_I8X16_EQ: return (vtpl){VT_BIN, 0x74, 0, 0, 0};          /* pcmpeqb */
    case KN_OP_I16X8_EQ: return (vtpl){VT_BIN, 0x75, 0, 0, 0};
    case KN_OP_I32X4_EQ: return (vtpl){VT_BIN, 0x76, 0, 0, 0};
    case KN_OP_I8X16_GT_S: return (vtpl){VT_BIN, 0x64, 0, 0, 0};        /* pcmpgtb */
    case KN_OP_I16X8_GT_S: return (vtpl){VT_BIN, 0x65, 0, 0, 0};
    case KN_OP_I32X4_GT_S: return (vtpl){VT_BIN, 0x66, 0, 0, 0};
    case KN_OP_I8X16_LT_S: return (vtpl){VT_BIN_SWAP, 0x64, 0, 0, 0};
    case KN_OP_I16X8_LT_S: return (vtpl){VT_BIN_SWAP, 0x65, 0, 0, 0};
    case KN_OP_I32X4_LT_S: return (vtpl){VT_BIN_SWAP, 0x66, 0, 0, 0};
    case KN_OP_I8X16_NARROW_I16X8_S: return (vtpl){VT_BIN, 0x63, 0, 0, 0};  /* packsswb */
    case KN_OP_I8X16_NARROW_I16X8_U: return (vtpl){VT_BIN, 0x67, 0, 0, 0};  /* packuswb */
    case KN_OP_I16X8_NARROW_I32X4_S: return (vtpl){VT_BIN, 0x6b, 0, 0, 0};  /* packssdw */
    case KN_OP_I16X8_EXTEND_LOW_I8X16_U: return (vtpl){VT_EXT_U, 0x60, 0, 0, 0}; /* punpckl/h */
    case KN_OP_I16X8_EXTEND_HIGH_I8X16_U: return (vtpl){VT_EXT_U, 0x68, 0, 0, 0};
    case KN_OP_I32X4_EXTEND_LOW_I16X8_U: return (vtpl){VT_EXT_U, 0x61, 0, 0, 0};
    case KN_OP_I32X4_EXTEND_HIGH_I16X8_U: return (vtpl){VT_EXT_U, 0x69, 0, 0, 0};
    case KN_OP_I64X2_EXTEND_LOW_I32X4_U: return (vtpl){VT_EXT_U, 0x62, 0, 0, 0};
    case KN_OP_I64X2_EXTEND_HIGH_I32X4_U: return (vtpl){VT_EXT_U, 0x6a, 0, 0, 0};
    case KN_OP_I16X8_EXTEND_LOW_I8X16_S: return (vtpl){VT_EXT_S, 0x60, 0x71, 4, 8};
    case KN_OP_I16X8_EXTEND_HIGH_I8X16_S: return (vtpl){VT_EXT_S, 0x68, 0x71, 4, 8};
    case KN_OP_I32X4_EXTEND_LOW_I16X8_S: return (vtpl){VT_EXT_S, 0x61, 0x72, 4, 16};
    case KN_OP_I32X4_EXTEND_HIGH_I16X8_S: return (vtpl){VT_EXT_S, 0x69, 0x72, 4, 16};
    case KN_OP_I16X8_SHL: case KN_OP_I16X8_SHL_K: return (vtpl){VT_SHIFT, 0xf1, 0x71, 6, 16};
    case KN_OP_I16X8_SHR_U: case KN_OP_I16X8_SHR_U_K: return (vtpl){VT_SHIFT, 0xd1, 0x71, 2, 16};
    case KN_OP_I16X8_SHR_S: case KN_OP_I16X8_SHR_S_K: return (vtpl){VT_SHIFT, 0xe1, 0x71, 4, 16};
    case KN_OP_I32X4_SHL: case KN_OP_I32X4_SHL_K: return (vtpl){VT_SHIFT, 0xf2, 0x72, 6, 32};
    case KN_OP_I32X4_SHR_U: case KN_OP_I32X4_SHR_U_K: return (vtpl){VT_SHIFT, 0xd2, 0x72, 2, 32};
    case KN_OP_I32X4_SHR_S: case KN_OP_I32X4_SHR_S_K: return (vtpl){VT_SHIFT, 0xe2, 0x72, 4, 32};
    case KN_OP_I64X2_SHL: case KN_OP_I64X2_SHL_K: return (vtpl){VT_SHIFT, 0xf3, 0x73, 6, 64};
    case KN_OP_I64X2_SHR_U: case KN_OP_I64X2_SHR_U_K: return (vtpl){VT_SHIFT, 0xd3, 0x73, 2, 64};
    case KN_OP_I32X4_MUL: return (vtpl){VT_BIN38, 0x40, 0, 0, 0};     /* pmulld */
    case KN_OP_I8X16_MIN_S: return (vtpl){VT_BIN38, 0x38, 0, 0, 0};   /* pminsb */
    case KN_OP_I32X4_MIN_S: return (vtpl){VT_BIN38, 0x39, 0, 0, 0};   /* pminsd */
    case KN_OP_I16X8_MIN_U: return (vtpl){VT_BIN38, 0x3a, 0, 0, 0};   /* pminuw */
    case KN_OP_I32X4_MIN_U: return (vtpl){VT_BIN38, 0x3b, 0, 0, 0};   /* pminud */
    case KN_OP_I8X16_MAX_S: return (vtpl){VT_BIN38, 0x3c, 0, 0, 0};   /* pmaxsb */
    case KN_OP_I32X4_MAX_S: return (vtpl){VT_BIN38, 0x3d, 0, 0, 0};   /* pmaxsd */
    case KN_OP_I16X8_MAX_U: return (vtpl){VT_BIN38, 0x3e, 0, 0, 0};   /* pmaxuw */
    case KN_OP_I32X4_MAX_U: return (vtpl){VT_BIN38, 0x3f, 0, 0, 0};   /* pmaxud */
    case KN_OP_I64X2_EQ: return (vtpl){VT_BIN38, 0x29, 0, 0, 0};      /* pcmpeqq */
    case KN_OP_I32X4_EXTMUL_LOW_I16X8_S: return (vtpl){VT_EXTMUL, 0xe5, 0x61, 0, 0};
    case KN_OP_I32X4_EXTMUL_HIGH_I16X8_S: return (vtpl){VT_EXTMUL, 0xe5, 0x69, 0, 0};
    case KN_OP_I32X4_EXTMUL_LOW_I16X8_U: return (vtpl){VT_EXTMUL, 0xe4, 0x61, 0, 0};
    case KN_OP_I32X4_EXTMUL_HIGH_I16X8_U: return (vtpl){VT_EXTMUL, 0xe4, 0x69, 0, 0};
    case KN_OP_F32X4_ADD: return (vtpl){VT_FBIN, X_SSE_ADD, 0, 0, 32};
    case KN_OP_F32X4_SUB: return (vtpl){VT_FBIN, X_SSE_SUB, 0, 0, 32};
    case KN_OP_F32X4_MUL: return (vtpl){VT_FBIN, X_SSE_MUL, 0, 0, 32};
    case KN_OP_F32X4_DIV: return (vtpl){VT_FBIN, X_SSE_DIV, 0, 0, 32};
    case KN_OP_F32X4_PMIN: return (vtpl){VT_FBIN_SWAP, 0x5d, 0, 0, 32};    /* minps */
    case KN_OP_F32X4_PMAX: return (vtpl){VT_FBIN_SWAP, 0x5f, 0, 0, 32};    /* maxps */
    case KN_OP_F32X4_SQRT: return (vtpl){VT_FUN, X_SSE_SQRT, 0, 0, 32};
    case KN_OP_F64X2_ADD: return (vtpl){VT_FBIN, X_SSE_ADD, 0, 0, 64};
    case KN_OP_F64X2_SUB: return (vtpl){VT_FBIN, X_SSE_SUB, 0, 0, 64};
    case KN_OP_F64X2_MUL: return (vtpl){VT_FBIN, X_SSE_MUL, 0, 0, 64};
    case KN_OP_F64X2_DIV: return (vtpl){VT_FBIN, X_SSE_DIV, 0, 0, 64};
    case KN_OP_F64X2_PMIN: return (vtpl){VT_FBIN_SWAP, 0x5d, 0, 0, 64};
    case KN_OP_F64X2_PMAX: return (vtpl){VT_FBIN_SWAP, 0x5f, 0, 0, 64};
    case KN_OP_F64X2_SQRT: return (vtpl){VT_FUN, X_SSE_SQRT, 0, 0, 64};
    default: return (vtpl){VT_NONE, 0, 0, 0, 0};
    }
}

/* The template of a lane operation (tpl_of). */
static void lanes(fn *f, kn_op op, vtpl t)
{
    /* xmm0 = the first operand, xmm1 = the second of a binary kind */
    bool swap = t.kind == VT_BIN_SWAP || t.kind == VT_FBIN_SWAP;
    bool binary = swap || t.kind == VT_BIN || t.kind == VT_FBIN || t.kind == VT_BIN38 ||
                  t.kind == VT_EXTMUL;
    kn_x64_movdqu_load(B, XMM0, SLOT(swap ? 3 : 2));
    if (binary)
        kn_x64_movdqu_load(B, XMM1, SLOT(swap ? 2 : 3));
    switch (t.kind) {
    case VT_BIN: case VT_BIN_SWAP: kn_x64_packed_rr(B, t.op, XMM0, XMM1); break;
    case VT_FBIN: case VT_FBIN_SWAP: kn_x64_fpacked_rr(B, t.bits == 64, t.op, XMM0, XMM1); break;
    case VT_BIN38: kn_x64_packed38_rr(B, t.op, XMM0, XMM1); break;
    case VT_EXTMUL:
        kn_x64_packed_rr(B, 0x6f, 2, XMM0);               /* movdqa xmm2, xmm0 */
        kn_x64_packed_rr(B, 0xd5, XMM0, XMM1);            /* pmullw: low halves */
        kn_x64_packed_rr(B, t.op, 2, XMM1);               /* high halves */
        kn_x64_packed_rr(B, t.grp, XMM0, 2);
        break;
    case VT_FUN: kn_x64_fpacked_rr(B, t.bits == 64, t.op, XMM0, XMM0); break;
    case VT_EXT_U:
        kn_x64_packed_rr(B, X_PXOR, XMM1, XMM1);
        kn_x64_packed_rr(B, t.op, XMM0, XMM1);
        break;
    case VT_EXT_S:
        kn_x64_packed_rr(B, t.op, XMM0, XMM0);
        kn_x64_packed_shift_i(B, t.grp, t.digit, XMM0, t.bits);
        break;
    default:                                          /* VT_SHIFT */
        if (kn_jit_vhelpers[op].kind == KN_VH_SHIFT_K) {
            kn_x64_packed_shift_i(B, t.grp, t.digit, XMM0, (uint8_t)(W[3] & (t.bits - 1u)));
        } else {
            kn_x64_load(B, 0, X_RAX, SLOT(3));
            kn_x64_alu_ri(B, 0, X_AND, X_RAX, t.bits - 1);
            kn_x64_movd(B, 0, XMM1, X_RAX);
            kn_x64_packed_rr(B, t.op, XMM0, XMM1);
        }
        break;
    }
    kn_x64_movdqu_store(B, SLOT(1), XMM0);
}

/* rax = &inst->globals[W[2]]->value */
static void global_addr(fn *f)
{
    kn_x64_load(B, 1, X_RAX, x64_m(X_R15, OFF(kiln_instance, globals)));
    kn_x64_load(B, 1, X_RAX, x64_m(X_RAX, (int32_t)(8 * W[2])));
    kn_x64_lea(B, 1, X_RAX, x64_m(X_RAX, OFF(kiln_global, value)));
}

/* tpl_of, without what this CPU lacks. */
static vtpl tpl(const fn *f, kn_op op)
{
    vtpl t = tpl_of(op);
    if (t.kind == VT_BIN38 && !f->x->has_sse41)
        t.kind = VT_NONE;
    return t;
}

/* The loads that fill a v128 from fewer bytes: the 0f 38 op that widens
 * the lanes (pmovsx/zx, SSE4.1), or 0 for the zero-extending ones (movd,
 * movq: SSE2); -1 for any other op.  *a: the base+immediate form. */
static int vload_of(kn_op op, bool *a)
{
    *a = true;
    switch (op) {
    case KN_OP_V128_LOAD8X8_S_A: return 0x20;
    case KN_OP_V128_LOAD8X8_U_A: return 0x30;
    case KN_OP_V128_LOAD16X4_S_A: return 0x23;
    case KN_OP_V128_LOAD16X4_U_A: return 0x33;
    case KN_OP_V128_LOAD32X2_S_A: return 0x25;
    case KN_OP_V128_LOAD32X2_U_A: return 0x35;
    case KN_OP_V128_LOAD32_ZERO_A: case KN_OP_V128_LOAD64_ZERO_A: return 0;
    default: break;
    }
    *a = false;
    switch (op) {
    case KN_OP_V128_LOAD8X8_S: return 0x20;
    case KN_OP_V128_LOAD8X8_U: return 0x30;
    case KN_OP_V128_LOAD16X4_S: return 0x23;
    case KN_OP_V128_LOAD16X4_U: return 0x33;
    case KN_OP_V128_LOAD32X2_S: return 0x25;
    case KN_OP_V128_LOAD32X2_U: return 0x35;
    case KN_OP_V128_LOAD32_ZERO: case KN_OP_V128_LOAD64_ZERO: return 0;
    default: return -1;
    }
}

/* Bytes of one lane of an extract_lane op, or 0; *sx: sign-extending. */
static int extract_of(kn_op op, bool *sx)
{
    *sx = op == KN_OP_I8X16_EXTRACT_LANE_S || op == KN_OP_I16X8_EXTRACT_LANE_S;
    switch (op) {
    case KN_OP_I8X16_EXTRACT_LANE_S: case KN_OP_I8X16_EXTRACT_LANE_U: return 1;
    case KN_OP_I16X8_EXTRACT_LANE_S: case KN_OP_I16X8_EXTRACT_LANE_U: return 2;
    case KN_OP_I32X4_EXTRACT_LANE: case KN_OP_F32X4_EXTRACT_LANE: return 4;
    case KN_OP_I64X2_EXTRACT_LANE: case KN_OP_F64X2_EXTRACT_LANE: return 8;
    default: return 0;
    }
}

/* Whether op has a template here (else it calls its helper). */
static bool inlined(const fn *f, kn_op op)
{
    bool a, sx;
    int v = vload_of(op, &a);
    switch (op) {
    case KN_OP_COPY2: case KN_OP_SELECT2: case KN_OP_GLOBAL_GET2: case KN_OP_GLOBAL_SET2:
    case KN_OP_V128_CONST: case KN_OP_V128_LOAD: case KN_OP_V128_LOAD_A: case KN_OP_V128_STORE:
    case KN_OP_I8X16_BITMASK: case KN_OP_I16X8_BITMASK: case KN_OP_I32X4_BITMASK:
    case KN_OP_I64X2_BITMASK:
        return true;
    case KN_OP_I8X16_SHUFFLE: return f->x->has_sse41;     /* pshufb: SSSE3 */
    default:
        return v == 0 || (v > 0 && f->x->has_sse41) || extract_of(op, &sx) ||
               tpl(f, op).kind != VT_NONE;
    }
}

/* xmm x = the v128 whose bytes are lo, hi (tmp: another scratch xmm). */
static void vconst(fn *f, int x, int tmp, uint64_t lo, uint64_t hi)
{
    kn_x64_mov_imm(B, X_RAX, lo);
    kn_x64_movd(B, 1, x, X_RAX);
    kn_x64_mov_imm(B, X_RAX, hi);
    kn_x64_movd(B, 1, tmp, X_RAX);
    kn_x64_packed_rr(B, X_PUNPCKLQDQ, x, tmp);
}

/* i8x16.shuffle a b (lanes in W[4..7]) as two pshufb: one picks the lanes
 * from a (indices 16-31 masked to zero with 0x80), one those from b. */
static void shuffle(fn *f)
{
    uint64_t m[2][2] = {{0, 0}, {0, 0}};
    bool from[2] = {false, false};
    for (int i = 0; i < 16; i++) {
        uint8_t idx = (uint8_t)(W[4 + i / 4] >> (8 * (i % 4))) & 31;
        int src = idx >= 16;
        from[src] = true;
        m[src][i / 8] |= (uint64_t)(idx & 15) << (8 * (i % 8));
        m[!src][i / 8] |= (uint64_t)0x80 << (8 * (i % 8));
    }
    if (from[0]) {
        vconst(f, 2, 3, m[0][0], m[0][1]);
        kn_x64_movdqu_load(B, XMM0, SLOT(2));
        kn_x64_packed38_rr(B, 0x00, XMM0, 2);
    } else {
        kn_x64_packed_rr(B, X_PXOR, XMM0, XMM0);
    }
    if (from[1]) {
        vconst(f, 2, 3, m[1][0], m[1][1]);
        kn_x64_movdqu_load(B, XMM1, SLOT(3));
        kn_x64_packed38_rr(B, 0x00, XMM1, 2);
        kn_x64_packed_rr(B, X_POR, XMM0, XMM1);
    }
    kn_x64_movdqu_store(B, SLOT(1), XMM0);
}

/* bitmask: the lanes' sign bits (i16x8: packed to bytes first). */
static void bitmask(fn *f, kn_op op)
{
    kn_x64_movdqu_load(B, XMM0, SLOT(2));
    switch (op) {
    case KN_OP_I8X16_BITMASK: kn_x64_movmsk(B, 0x66, 0xd7, X_RAX, XMM0); break;
    case KN_OP_I16X8_BITMASK:
        kn_x64_packed_rr(B, 0x63, XMM0, XMM0);                 /* packsswb */
        kn_x64_movmsk(B, 0x66, 0xd7, X_RAX, XMM0);
        kn_x64_movzx8_rr(B, X_RAX, X_RAX);
        break;
    case KN_OP_I32X4_BITMASK: kn_x64_movmsk(B, 0, 0x50, X_RAX, XMM0); break;
    default: kn_x64_movmsk(B, 0x66, 0x50, X_RAX, XMM0); break;   /* I64X2 */
    }
    kn_x64_store(B, 0, SLOT(1), X_RAX);
}

/* extract_lane: straight from the v128's slots (a v128 is never in a
 * register between instructions). */
static void extract(fn *f, int size, bool sx)
{
    x64_mem m = SLOT(2);
    m.disp += (int32_t)(W[3] * (uint32_t)size);
    if (size == 8)
        kn_x64_load(B, 1, X_RAX, m);
    else if (size == 4)
        kn_x64_load(B, 0, X_RAX, m);
    else if (sx)
        kn_x64_load_sx(B, 0, size * 8, X_RAX, m);
    else
        kn_x64_load_zx(B, 0, size * 8, X_RAX, m);
    kn_x64_store(B, size == 8, SLOT(1), X_RAX);
}

static void inline_simd(fn *f, kn_op op)
{
    x64_mem mem = x64_mi(X_R13, X_RAX, 1, 0);
    vtpl t = tpl(f, op);
    if (t.kind != VT_NONE) {
        lanes(f, op, t);
        return;
    }
    bool a, sx;
    int v = vload_of(op, &a), size = extract_of(op, &sx);
    if (size) {
        extract(f, size, sx);
        return;
    }
    if (v >= 0) {                      /* dst addr(..) offset */
        uint8_t bytes = kn_jit_vhelpers[op].size;
        kn_x64_address(f, a ? F_LOAD_A : F_LOAD, bytes, false);
        if (bytes == 4)
            kn_x64_movd_load(B, XMM0, mem);
        else
            kn_x64_movq_load(B, XMM0, mem);
        if (v)
            kn_x64_packed38_rr(B, (uint8_t)v, XMM0, XMM0);
        kn_x64_movdqu_store(B, SLOT(1), XMM0);
        return;
    }
    switch (op) {
    case KN_OP_I8X16_SHUFFLE: shuffle(f); break;
    case KN_OP_I8X16_BITMASK: case KN_OP_I16X8_BITMASK: case KN_OP_I32X4_BITMASK:
    case KN_OP_I64X2_BITMASK:
        bitmask(f, op);
        break;
    case KN_OP_COPY2: vcopy(f, SLOT(1), SLOT(2)); break;
    case KN_OP_SELECT2:                /* dst a b cond: the chosen source, whole */
        kn_x64_lea(B, 1, X_RAX, SLOT(2));
        kn_x64_lea(B, 1, X_RCX, SLOT(3));
        kn_x64_alu_mi(B, 0, X_CMP, SLOT(4), 0);
        kn_x64_cmov(B, 1, X_CC_E, X_RAX, X_RCX);
        vcopy(f, SLOT(1), x64_m(X_RAX, 0));
        break;
    case KN_OP_GLOBAL_GET2: global_addr(f); vcopy(f, SLOT(1), x64_m(X_RAX, 0)); break;
    case KN_OP_GLOBAL_SET2: global_addr(f); vcopy(f, x64_m(X_RAX, 0), SLOT(1)); break;
    case KN_OP_V128_CONST:             /* built in xmm0, stored whole (see COPY2 in interp.c) */
        kn_x64_mov_imm(B, X_RAX, W[2] | (uint64_t)W[3] << 32);
        kn_x64_movd(B, 1, XMM0, X_RAX);
        kn_x64_mov_imm(B, X_RAX, W[4] | (uint64_t)W[5] << 32);
        kn_x64_movd(B, 1, XMM1, X_RAX);
        kn_x64_packed_rr(B, X_PUNPCKLQDQ, XMM0, XMM1);
        kn_x64_movdqu_store(B, SLOT(1), XMM0);
        break;
    case KN_OP_V128_LOAD:
    case KN_OP_V128_LOAD_A:
        kn_x64_address(f, op == KN_OP_V128_LOAD ? F_LOAD : F_LOAD_A, 16, false);
        vcopy(f, SLOT(1), mem);
        break;
    default:                           /* V128_STORE: addr val offset */
        kn_x64_address(f, F_STORE, 16, false);
        vcopy(f, mem, SLOT(2));
        kn_x64_wrote(f);
        break;
    }
}

uint32_t kn_x64_simd_covered(const fn *f)
{
    kn_op op = (kn_op)W[0];
    if (op >= KN_OP_COUNT)
        return 0;
    if (op != KN_OP_I8X16_SHUFFLE && !inlined(f, op) && kn_jit_vhelpers[op].kind == KN_VH_NONE)
        return 0;
    return kn_x64_len(op);
}

/* The helper's arguments in the System V registers, then the call. */
void kn_x64_simd(fn *f)
{
    kn_op op = (kn_op)W[0];
    if (inlined(f, op)) {
        inline_simd(f, op);
        return;
    }
    if (op == KN_OP_I8X16_SHUFFLE) {
        kn_x64_lea(B, 1, X_RDI, SLOT(1));
        kn_x64_lea(B, 1, X_RSI, SLOT(2));
        kn_x64_lea(B, 1, X_RDX, SLOT(3));
        kn_x64_mov_imm(B, X_RCX, W[4] | (uint64_t)W[5] << 32);
        kn_x64_mov_imm(B, X_R8, W[6] | (uint64_t)W[7] << 32);
        kn_x64_call_c(f, (const void *)kn_jit_v128_shuffle);
        return;
    }
    const kn_jit_vhelper *h = &kn_jit_vhelpers[op];
    x64_mem mem = x64_mi(X_R13, X_RAX, 1, 0);
    switch (h->kind) {
    case KN_VH_LOAD: case KN_VH_LOAD_A:               /* dst addr(..) offset */
        kn_x64_address(f, h->kind == KN_VH_LOAD ? F_LOAD : F_LOAD_A, h->size, true);
        kn_x64_lea(B, 1, X_RSI, mem);
        kn_x64_lea(B, 1, X_RDI, SLOT(1));
        break;
    case KN_VH_LOAD_LANE:                             /* dst addr x offset lane */
        kn_x64_address(f, F_VLOAD_LANE, h->size, true);
        kn_x64_lea(B, 1, X_RSI, mem);
        kn_x64_lea(B, 1, X_RDI, SLOT(1));
        kn_x64_lea(B, 1, X_RDX, SLOT(3));
        kn_x64_mov_imm(B, X_RCX, W[5]);
        break;
    case KN_VH_STORE_LANE:                            /* addr x offset lane */
        kn_x64_address(f, F_STORE, h->size, true);
        kn_x64_lea(B, 1, X_RDI, mem);
        kn_x64_wrote(f);               /* checked in bounds: before is safe */
        kn_x64_lea(B, 1, X_RSI, SLOT(2));
        kn_x64_mov_imm(B, X_RDX, W[4]);
        break;
    default:                                          /* dst a ... */
        kn_x64_lea(B, 1, X_RDI, SLOT(1));
        kn_x64_lea(B, 1, X_RSI, SLOT(2));
        switch (h->kind) {
        case KN_VH_TERNOP:
            kn_x64_lea(B, 1, X_RCX, SLOT(4));
            /* fall through */
        case KN_VH_BINOP: kn_x64_lea(B, 1, X_RDX, SLOT(3)); break;
        case KN_VH_SHIFT: kn_x64_load(B, 0, X_RDX, SLOT(3)); break;
        case KN_VH_SHIFT_K: case KN_VH_EXTRACT: kn_x64_mov_imm(B, X_RDX, W[3]); break;
        case KN_VH_REPLACE:
            kn_x64_lea(B, 1, X_RDX, SLOT(3));
            kn_x64_mov_imm(B, X_RCX, W[4]);
            break;
        default: break;                               /* UNOP */
        }
        break;
    }
    kn_x64_call_c(f, (const void *)h->fn);
}
