/*
 * x64_simd.c — the v128 instructions: moves, constants, selects and
 * globals, v128.load/store and the cheapest lane operations inline (SSE2,
 * which every x86-64 has), everything else a call to its helper generated
 * from opcodes.def (simd_helpers.c).
 *
 * A v128 is two consecutive slots (lower.h) with no alignment promise, so
 * values move through xmm registers with movdqu only and packed
 * operations take register operands.  Loads and stores compute their
 * address and bounds check with kn_x64_address, exactly as the scalar
 * ones (ea + size beyond the memory traps before any byte moves); a
 * helper that touches memory receives the checked pointer.  An SSE4.1
 * template would have to sit behind kn_x64.has_sse41; none is needed yet.
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

/* The packed SSE2 operation of a binary v128 instruction, if inlined;
 * *swap: the operands go in reversed (andnot: a & ~b is pandn b, a). */
static bool packed_of(kn_op op, uint8_t *sse, bool *swap)
{
    *swap = false;
    switch (op) {
    case KN_OP_V128_AND: *sse = X_PAND; return true;
    case KN_OP_V128_OR: *sse = X_POR; return true;
    case KN_OP_V128_XOR: *sse = X_PXOR; return true;
    case KN_OP_V128_ANDNOT: *sse = X_PANDN; *swap = true; return true;
    case KN_OP_I8X16_ADD: *sse = X_PADDB; return true;
    case KN_OP_I16X8_ADD: *sse = X_PADDW; return true;
    case KN_OP_I32X4_ADD: *sse = X_PADDD; return true;
    case KN_OP_I64X2_ADD: *sse = X_PADDQ; return true;
    case KN_OP_I8X16_SUB: *sse = X_PSUBB; return true;
    case KN_OP_I16X8_SUB: *sse = X_PSUBW; return true;
    case KN_OP_I32X4_SUB: *sse = X_PSUBD; return true;
    case KN_OP_I64X2_SUB: *sse = X_PSUBQ; return true;
    default: return false;
    }
}

/* rax = &inst->globals[W[2]]->value */
static void global_addr(fn *f)
{
    kn_x64_load(B, 1, X_RAX, x64_m(X_R15, OFF(kiln_instance, globals)));
    kn_x64_load(B, 1, X_RAX, x64_m(X_RAX, (int32_t)(8 * W[2])));
    kn_x64_lea(B, 1, X_RAX, x64_m(X_RAX, OFF(kiln_global, value)));
}

/* Whether op has a template here (else it calls its helper). */
static bool inlined(kn_op op)
{
    uint8_t sse;
    bool swap;
    switch (op) {
    case KN_OP_COPY2: case KN_OP_SELECT2: case KN_OP_GLOBAL_GET2: case KN_OP_GLOBAL_SET2:
    case KN_OP_V128_CONST: case KN_OP_V128_LOAD: case KN_OP_V128_LOAD_A: case KN_OP_V128_STORE:
        return true;
    default:
        return packed_of(op, &sse, &swap);
    }
}

static void inline_simd(fn *f, kn_op op)
{
    x64_mem mem = x64_mi(X_R13, X_RAX, 1, 0);
    uint8_t sse;
    bool swap;
    if (packed_of(op, &sse, &swap)) {
        kn_x64_movdqu_load(B, XMM0, SLOT(swap ? 3 : 2));
        kn_x64_movdqu_load(B, XMM1, SLOT(swap ? 2 : 3));
        kn_x64_packed_rr(B, sse, XMM0, XMM1);
        kn_x64_movdqu_store(B, SLOT(1), XMM0);
        return;
    }
    switch (op) {
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
        kn_x64_address(f, op == KN_OP_V128_LOAD ? F_LOAD : F_LOAD_A, 16);
        vcopy(f, SLOT(1), mem);
        break;
    default:                           /* V128_STORE: addr val offset */
        kn_x64_address(f, F_STORE, 16);
        vcopy(f, mem, SLOT(2));
        break;
    }
}

uint32_t kn_x64_simd_covered(const fn *f)
{
    kn_op op = (kn_op)W[0];
    if (op >= KN_OP_COUNT)
        return 0;
    if (op != KN_OP_I8X16_SHUFFLE && !inlined(op) && kn_jit_vhelpers[op].kind == KN_VH_NONE)
        return 0;
    return kn_x64_len(op);
}

/* The helper's arguments in the System V registers, then the call. */
void kn_x64_simd(fn *f)
{
    kn_op op = (kn_op)W[0];
    if (inlined(op)) {
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
        kn_x64_address(f, h->kind == KN_VH_LOAD ? F_LOAD : F_LOAD_A, h->size);
        kn_x64_lea(B, 1, X_RSI, mem);
        kn_x64_lea(B, 1, X_RDI, SLOT(1));
        break;
    case KN_VH_LOAD_LANE:                             /* dst addr x offset lane */
        kn_x64_address(f, F_VLOAD_LANE, h->size);
        kn_x64_lea(B, 1, X_RSI, mem);
        kn_x64_lea(B, 1, X_RDI, SLOT(1));
        kn_x64_lea(B, 1, X_RDX, SLOT(3));
        kn_x64_mov_imm(B, X_RCX, W[5]);
        break;
    case KN_VH_STORE_LANE:                            /* addr x offset lane */
        kn_x64_address(f, F_STORE, h->size);
        kn_x64_lea(B, 1, X_RDI, mem);
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
