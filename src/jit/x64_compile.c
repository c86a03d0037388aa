/*
 * x64_compile.c — lowered code (lower.h) of one module to x86-64 machine
 * code, one template per internal instruction over the frame slots.
 *
 * Register roles, fixed for all compiled code (all callee-saved in the
 * System V ABI, so calls into C keep them):
 *     rbx  fp, the frame (kn_slot *): slot k is [rbx + 8k]
 *     r12  the store (kiln_store *): budget, frame stack, exit point
 *     r13  memory 0's base, r14 its current size where the code checks
 *          bounds itself (reloaded after anything that may grow it:
 *          calls, memory.grow); with guard pages r14 holds a slot
 *     r15  the instance (kiln_instance *)
 *     rbp  the machine frame chain (push rbp; mov rbp, rsp): backtraces,
 *          the depth limit and profilers read it (jit.c, "Frames")
 * rax and rcx are scratch within one template; rsi, rdi, rdx, r8-r10
 * (and r14 with guard pages) hold the function's register slots, r11 the
 * budget ("Slots in registers" below), and are scratch only in an
 * instruction that calls (stored before, reloaded after; div and rem push
 * rdx).  Float slots are in xmm4-xmm15, and xmm0-xmm3 are scratch.  Every
 * other value lives in its slot between instructions, and every value is
 * in its slot at every call and return: that is what makes
 * a function's machine code and its interpreted code interchangeable.
 *
 * Layout of a module's code buffer: the entry trampoline (C → native),
 * the exit path, one stub per trap code, then each compiled function:
 * its body, then its out-of-line paths (budget slow paths), its jump
 * tables and its float constants (read rip-relative by the SSE forms that
 * take one).  Everything inside the buffer is reached by rel32, so the code
 * is position-independent apart from the absolute addresses of the C
 * helpers it calls (kn_check_limits, kn_jit_call_slow, ...): call_c,
 * the one place that emits them, records each as a relocation, which is
 * what the code cache (artifact.c) patches on load.
 *
 * Semantics are the interpreter's, template by template (interp.c):
 * the budget is charged at calls, backward branches and jump tables;
 * loads and stores compute the same effective address and compare
 * ea + size with the memory's size, or, with guard pages (jit.c), let the
 * access fault into the out-of-bounds stub; a store then marks its page
 * in the written-page map below r13, as the interpreter does (runtime.h);
 * a trap jumps to the stub of its code.
 *
 * Covered: everything lowering emits.  `covered` is the one list; it
 * names this file's families (every i32/i64 and f32/f64 numeric
 * instruction, templates for the common ones and helpers.c for the rest;
 * the fused compare-and-branch, shift-and-op and multiply-add forms;
 * constants, copies, select, globals; every load and store form;
 * memory.size/grow; jumps and jump tables, return, trap, call and
 * call_indirect) and asks the other two for theirs: x64_simd.c (v128)
 * and x64_runtime.c (bulk memory, tables, references).  x64_fn.h is what
 * the three share.
 */
#include <stddef.h>
#include <string.h>

#include "errors.h"
#include "lower.h"
#include "x64_fn.h"

/* ---- What each opcode is (from opcodes.def) ------------------------- */

typedef struct opinfo {
    uint8_t fam, type;
    uint8_t size;               /* loads/stores: bytes accessed */
    uint8_t sx;                 /* loads: sign-extending */
    uint16_t base;              /* the row's own opcode (KN_OP_ID) */
    uint16_t inner;             /* SHIFTOP: the shift; UNOP: output type */
} opinfo;

#define TY(T) T_##T
#define SIGNED(C) ((C)-1 < (C)1)
static const opinfo infos[KN_OP_COUNT] = {
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT)                                                 \
    [KN_OP_##ID] = {F_LOAD, TY(T), sizeof(MEMT), SIGNED(MEMT), KN_OP_##ID, 0},                \
    [KN_OP_##ID##_A] = {F_LOAD_A, TY(T), sizeof(MEMT), SIGNED(MEMT), KN_OP_##ID, 0},          \
    [KN_OP_##ID##_X] = {F_LOAD_X, TY(T), sizeof(MEMT), SIGNED(MEMT), KN_OP_##ID, 0},          \
    [KN_OP_##ID##_K] = {F_LOAD_K, TY(T), sizeof(MEMT), SIGNED(MEMT), KN_OP_##ID, 0},          \
    [KN_OP_##ID##_XS] = {F_LOAD_XS, TY(T), sizeof(MEMT), SIGNED(MEMT), KN_OP_##ID, 0},        \
    [KN_OP_##ID##_AS] = {F_LOAD_AS, TY(T), sizeof(MEMT), SIGNED(MEMT), KN_OP_##ID, 0},
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT)                                                \
    [KN_OP_##ID] = {F_STORE, TY(T), sizeof(MEMT), 0, KN_OP_##ID, 0},                          \
    [KN_OP_##ID##_K] = {F_STORE_K, TY(T), sizeof(MEMT), 0, KN_OP_##ID, 0},                    \
    [KN_OP_##ID##_AK] = {F_STORE_AK, TY(T), sizeof(MEMT), 0, KN_OP_##ID, 0},
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) \
    [KN_OP_##ID] = {F_UNOP, TY(IN), 0, 0, KN_OP_##ID, TY(OUT)},
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) \
    [KN_OP_##ID] = {F_BINOP, TY(IN), 0, 0, KN_OP_##ID, 0}, \
    [KN_OP_##ID##_K] = {F_BINOP_K, TY(IN), 0, 0, KN_OP_##ID, 0},
#define KN_CMP(ID, PFX, CODE, TEXT, IN, EXPR)                                                 \
    [KN_OP_##ID] = {F_CMP, TY(IN), 0, 0, KN_OP_##ID, 0},                                      \
    [KN_OP_##ID##_K] = {F_CMP_K, TY(IN), 0, 0, KN_OP_##ID, 0},                                \
    [KN_OP_##ID##_JT] = {F_CMP_JT, TY(IN), 0, 0, KN_OP_##ID, 0},                              \
    [KN_OP_##ID##_JF] = {F_CMP_JF, TY(IN), 0, 0, KN_OP_##ID, 0},                              \
    [KN_OP_##ID##_KJT] = {F_CMP_KJT, TY(IN), 0, 0, KN_OP_##ID, 0},                            \
    [KN_OP_##ID##_KJF] = {F_CMP_KJF, TY(IN), 0, 0, KN_OP_##ID, 0},
#define KN_TEST(ID, PFX, CODE, TEXT, IN, EXPR)                                                \
    [KN_OP_##ID] = {F_TEST, TY(IN), 0, 0, KN_OP_##ID, 0},                                     \
    [KN_OP_##ID##_JT] = {F_TEST_JT, TY(IN), 0, 0, KN_OP_##ID, 0},                             \
    [KN_OP_##ID##_JF] = {F_TEST_JF, TY(IN), 0, 0, KN_OP_##ID, 0},
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) \
    [KN_OP_##ID] = {F_BINOP_T, TY(IN), 0, 0, KN_OP_##ID, 0},
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) \
    [KN_OP_##ID] = {F_UNOP_T, TY(IN), 0, 0, KN_OP_##ID, TY(OUT)},
#define KN_SHIFTOP(ID, T, OUTER, INNER, TEXT, EXPR) \
    [KN_OP_##ID] = {F_SHIFTOP, TY(T), 0, 0, KN_OP_##OUTER, KN_OP_##INNER},
#include "opcodes.def"
};

/* ---- Per-function state (fn: x64_fn.h) ----------------------------- */

static bool push_item(fn *f, void **arr, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        void *p = kn_realloc_n(f->x->alloc, *arr, nc, size);
        if (!p) {
            f->oom = true;
            return false;
        }
        *arr = p;
        *cap = nc;
    }
    (*n)++;
    return true;
}

static void jump_to(fn *f, size_t at, uint32_t target)
{
    if (push_item(f, (void **)&f->fix, &f->nfix, &f->capfix, sizeof *f->fix))
        f->fix[f->nfix - 1] = (fixup){at, target};
}

/* A conditional trap: jcc to the module's stub of `code`. */
/* A trap goes through a pad of its function (epilogue: `call` the
 * module's stub for its code), so that the stub finds a pc of the
 * trapping function on the stack: the backtrace's innermost frame (jit.c,
 * "Frames"). */
static void trap_at(fn *f, size_t at, kiln_trap_code code)
{
    if (push_item(f, (void **)&f->tfix, &f->ntfix, &f->captfix, sizeof *f->tfix))
        f->tfix[f->ntfix - 1] = (trapfix){at, (uint16_t)code, f->budget_stored};
}

static void trap_if(fn *f, x64_cc cc, kiln_trap_code code)
{
    trap_at(f, kn_x64_jcc32(B, cc), code);
}

/* Charge one unit of budget (a back-edge or budget_keeping then branches
 * to the out-of-line slow path, kn_check_limits, when none is left). */
static void charge(fn *f)
{
    kn_x64_alu_ri(B, 1, X_SUB, KN_X64_BUDGET, 1);
    if (f->budget_stored)      /* past the spill the store's copy is the live one */
        kn_x64_store(B, 1, x64_m(X_R12, OFF(kiln_store, budget)), KN_X64_BUDGET);
}

static void budget_keeping(fn *f, bool keep_rcx)
{
    charge(f);
    size_t at = kn_x64_jcc32(B, X_CC_LE);
    if (push_item(f, (void **)&f->slow, &f->nslow, &f->capslow, sizeof *f->slow))
        f->slow[f->nslow - 1] = (slowpath){at, B->len, keep_rcx};
}

static void budget(fn *f) { budget_keeping(f, false); }

/* A loop's back-edge to the word `target`, already emitted: one unit of
 * budget, and on to the target while some is left, else to the slow
 * path (kn_check_limits), which goes on at the target. */
static void back_edge(fn *f, uint32_t target)
{
    if (target > f->pc) {      /* not a backward one after all */
        budget(f);
        jump_to(f, kn_x64_jmp32(B), target);
        return;
    }
    charge(f);
    kn_x64_patch_rel32(B, kn_x64_jcc32(B, X_CC_G), f->pos[target]);
    size_t at = kn_x64_jmp32(B);
    if (push_item(f, (void **)&f->slow, &f->nslow, &f->capslow, sizeof *f->slow))
        f->slow[f->nslow - 1] = (slowpath){at, f->pos[target], false};
}

/* The branch of the offset word k of the current instruction (relative
 * to that word, lower.h): a backward target is a loop back-edge and
 * charges the budget first. */
static void branch_if(fn *f, x64_cc cc, uint32_t k)
{
    int32_t off = (int32_t)W[k];
    uint32_t target = (uint32_t)((int64_t)f->pc + k + off);
    if (off >= 0) {
        jump_to(f, kn_x64_jcc32(B, cc), target);
        return;
    }
    size_t skip = kn_x64_jcc32(B, (x64_cc)(cc ^ 1));
    back_edge(f, target);
    kn_x64_patch_rel32(B, skip, B->len);
}

/* The budget register to the store's copy (load: back), around C. */
static void sync_budget(fn *f, bool load)
{
    x64_mem bud = x64_m(X_R12, OFF(kiln_store, budget));
    if (load)
        kn_x64_load(B, 1, KN_X64_BUDGET, bud);
    else
        kn_x64_store(B, 1, bud, KN_X64_BUDGET);
}

/* Whether r14 holds memory 0's size: only where the code checks bounds
 * itself; with guard pages (or no memory) r14 holds a slot instead. */
static bool msize_in_r14(const fn *f) { return f->x->m->nmemories && !f->x->guard; }

/* rax = memory 0's kiln_memory. */
static void memory0(fn *f)
{
    kn_x64_load(B, 1, X_RAX, x64_m(X_R15, OFF(kiln_instance, memories)));
    kn_x64_load(B, 1, X_RAX, x64_m(X_RAX, 0));
}

static void reload_msize(fn *f)
{
    if (!msize_in_r14(f))
        return;
    memory0(f);
    kn_x64_load(B, 1, X_R14, x64_m(X_RAX, OFF(kiln_memory, size)));
}

/* Always the 10-byte movabs (REX.W B8+rax imm64), never the shorter
 * forms kn_x64_mov_imm picks for small addresses: every helper address
 * is then an 8-byte field at a recorded offset, which is what lets
 * cached code be relocated (jit.c, artifact.c). */
static void call_c(fn *f, const void *helper)
{
    /* where C finds the innermost compiled frame (jit.c, "Frames") */
    kn_x64_store(B, 1, x64_m(X_R12, OFF(kiln_store, jit_rbp)), X_RBP);
    kn_x64_lea_rip(B, X_RAX, 0);
    kn_x64_store(B, 1, x64_m(X_R12, OFF(kiln_store, jit_pc)), X_RAX);
    kn_x64_byte(B, 0x48);
    kn_x64_byte(B, 0xb8);
    kn_x64_reloc(f->x, B->len, helper);
    uint64_t a = (uint64_t)(uintptr_t)helper;
    kn_x64_u32(B, (uint32_t)a);
    kn_x64_u32(B, (uint32_t)(a >> 32));
    kn_x64_call_r(B, X_RAX);
    if (f->x->has_avx)
        kn_x64_vzeroupper(B);
}

void kn_x64_call_c(fn *f, const void *helper) { call_c(f, helper); }

void kn_x64_exit_if_trap(fn *f)
{
    kn_x64_mov(B, 0, X_RAX, X_RAX);            /* a trap code: zero-extend */
    kn_x64_test_rr(B, 0, X_RAX, X_RAX);
    kn_x64_patch_rel32(B, kn_x64_jcc32(B, X_CC_NE), f->x->exit);
}

uint32_t kn_x64_len(uint32_t op)
{
    const char *layout = kn_op_layout(op);
    return layout ? (uint32_t)strlen(layout) + 1 : 0;
}

/* ---- Integer arithmetic ----------------------------------------------- */

static int width(uint8_t type) { return type == T_I64 || type == T_F64; }

static bool alu_of(uint16_t op, x64_alu *alu)
{
    switch (op) {
    case KN_OP_I32_ADD: case KN_OP_I64_ADD: *alu = X_ADD; return true;
    case KN_OP_I32_SUB: case KN_OP_I64_SUB: *alu = X_SUB; return true;
    case KN_OP_I32_AND: case KN_OP_I64_AND: *alu = X_AND; return true;
    case KN_OP_I32_OR: case KN_OP_I64_OR: *alu = X_OR; return true;
    case KN_OP_I32_XOR: case KN_OP_I64_XOR: *alu = X_XOR; return true;
    default: return false;
    }
}

static bool shift_of(uint16_t op, x64_shift *sh)
{
    switch (op) {
    case KN_OP_I32_SHL: case KN_OP_I64_SHL: *sh = X_SHL; return true;
    case KN_OP_I32_SHR_S: case KN_OP_I64_SHR_S: *sh = X_SAR; return true;
    case KN_OP_I32_SHR_U: case KN_OP_I64_SHR_U: *sh = X_SHR; return true;
    case KN_OP_I32_ROTL: case KN_OP_I64_ROTL: *sh = X_ROL; return true;
    case KN_OP_I32_ROTR: case KN_OP_I64_ROTR: *sh = X_ROR; return true;
    default: return false;
    }
}

static bool is_mul(uint16_t op) { return op == KN_OP_I32_MUL || op == KN_OP_I64_MUL; }

/* dst = x OP y, y a slot (k = false) or the immediate at word 3. */
static void binop(fn *f, const opinfo *in, bool k)
{
    int w = width(in->type);
    x64_alu alu;
    x64_shift sh;
    /* in the destination's register, unless it is the second operand's */
    x64_mem d = SLOT(1), x = SLOT(2), y = k ? d : SLOT(3);
    int32_t imm = (int32_t)W[3];     /* i64: sign-extended, as lower.h says */
    /* an add of registers into a third: one lea (32-bit: it wraps too) */
    if (in->base == (w ? KN_OP_I64_ADD : KN_OP_I32_ADD) && d.direct && x.direct &&
        x.base != d.base && (k || y.direct)) {
        kn_x64_lea(B, w, d.base, k ? x64_m(x.base, imm) : x64_mi(x.base, y.base, 1, 0));
        return;
    }
    x64_reg r = d.direct && (k || !y.direct || y.base != d.base) ? d.base : X_RAX;
    if (!x.direct || x.base != r)
        kn_x64_load(B, w, r, x);
    if (alu_of(in->base, &alu)) {
        if (k)
            kn_x64_alu_ri(B, w, alu, r, imm);
        else
            kn_x64_alu_rm(B, w, alu, r, y);
    } else if (is_mul(in->base)) {
        if (k)
            kn_x64_imul_rri(B, w, r, r, imm);
        else
            kn_x64_imul_rm(B, w, r, y);
    } else if (shift_of(in->base, &sh)) {
        if (k) {
            kn_x64_shift_i(B, w, sh, r, (uint8_t)(imm & (w ? 63 : 31)));
        } else {
            kn_x64_load(B, 0, X_RCX, y);
            kn_x64_shift_cl(B, w, sh, r);
        }
    }
    if (r == X_RAX)
        kn_x64_store(B, w, d, X_RAX);
}

static bool binop_ok(const opinfo *in)
{
    x64_alu alu;
    x64_shift sh;
    return (in->type == T_I32 || in->type == T_I64) &&
           (alu_of(in->base, &alu) || is_mul(in->base) || shift_of(in->base, &sh));
}

/* Whether general register r holds a slot in this function. */
static bool holds_slot(const fn *f, x64_reg r)
{
    for (int i = 0; i < f->nalloc; i++)
        if (kn_x64_alloc_regs[i] == r)
            return !f->spilled;
    return false;
}

/* i32/i64 div and rem: the interpreter's traps, in its order (divide by
 * zero first, then overflow of div_s; rem_s of INT_MIN by -1 is 0). */
static void divrem(fn *f, const opinfo *in)
{
    int w = width(in->type);
    uint16_t op = in->base;
    bool sgn = op == KN_OP_I32_DIV_S || op == KN_OP_I64_DIV_S || op == KN_OP_I32_REM_S ||
               op == KN_OP_I64_REM_S;
    bool rem = op == KN_OP_I32_REM_S || op == KN_OP_I64_REM_S || op == KN_OP_I32_REM_U ||
               op == KN_OP_I64_REM_U;
    kn_x64_load(B, w, X_RAX, SLOT(2));
    kn_x64_load(B, w, X_RCX, SLOT(3));
    /* div takes rdx: kept on the machine stack while it holds a slot (a
     * trap resets rsp, so the traps below need no pop) */
    bool keep_rdx = holds_slot(f, X_RDX);
    if (keep_rdx)
        kn_x64_push(B, X_RDX);
    kn_x64_test_rr(B, w, X_RCX, X_RCX);
    trap_if(f, X_CC_E, KILN_TRAP_INT_DIV_ZERO);
    size_t done = 0;
    if (sgn) {
        kn_x64_alu_ri(B, w, X_CMP, X_RCX, -1);
        size_t normal = kn_x64_jcc32(B, X_CC_NE);
        if (rem) {
            kn_x64_alu_rr(B, 0, X_XOR, X_RDX, X_RDX);   /* x rem -1 = 0 */
            done = kn_x64_jmp32(B);
        } else {
            /* x / -1 = -x, which overflows only for INT_MIN */
            kn_x64_neg(B, w, X_RAX);
            trap_if(f, X_CC_O, KILN_TRAP_INT_OVERFLOW);
            done = kn_x64_jmp32(B);
        }
        kn_x64_patch_rel32(B, normal, B->len);
        kn_x64_sign_extend_ax(B, w);
    } else {
        kn_x64_alu_rr(B, 0, X_XOR, X_RDX, X_RDX);
    }
    kn_x64_div(B, w, sgn, X_RCX);
    if (done)
        kn_x64_patch_rel32(B, done, B->len);
    x64_reg r = rem ? X_RDX : X_RAX;
    if (keep_rdx) {
        if (rem)
            kn_x64_mov(B, 1, X_RAX, X_RDX);
        kn_x64_pop(B, X_RDX);
        r = X_RAX;
    }
    kn_x64_store(B, w, SLOT(1), r);
}

static bool divrem_ok(const opinfo *in)
{
    switch (in->base) {
    case KN_OP_I32_DIV_S: case KN_OP_I32_DIV_U: case KN_OP_I32_REM_S: case KN_OP_I32_REM_U:
    case KN_OP_I64_DIV_S: case KN_OP_I64_DIV_U: case KN_OP_I64_REM_S: case KN_OP_I64_REM_U:
        return true;
    default:
        return false;
    }
}

/* Unary operations that only move or extend bits, and the bit counts. */
static bool unop(fn *f, const opinfo *in, bool emit)
{
    int w = width(in->type);
    x64_reg a = X_RAX;
    switch (in->base) {
    case KN_OP_I32_WRAP_I64: case KN_OP_I64_EXTEND_I32_U:
    case KN_OP_I32_REINTERPRET_F32: case KN_OP_F32_REINTERPRET_I32:
        if (emit) {
            kn_x64_load(B, 0, a, SLOT(2));
            kn_x64_store(B, in->base == KN_OP_I64_EXTEND_I32_U, SLOT(1), a);
        }
        return true;
    case KN_OP_I64_REINTERPRET_F64: case KN_OP_F64_REINTERPRET_I64:
        if (emit) {
            kn_x64_load(B, 1, a, SLOT(2));
            kn_x64_store(B, 1, SLOT(1), a);
        }
        return true;
    case KN_OP_I64_EXTEND_I32_S: case KN_OP_I64_EXTEND32_S:
        if (emit) {
            kn_x64_load_sx(B, 1, 32, a, SLOT(2));
            kn_x64_store(B, 1, SLOT(1), a);
        }
        return true;
    case KN_OP_I32_EXTEND8_S: case KN_OP_I64_EXTEND8_S:
    case KN_OP_I32_EXTEND16_S: case KN_OP_I64_EXTEND16_S: {
        int bits = in->base == KN_OP_I32_EXTEND8_S || in->base == KN_OP_I64_EXTEND8_S ? 8 : 16;
        if (emit) {
            kn_x64_load_sx(B, w, bits, a, SLOT(2));
            kn_x64_store(B, w, SLOT(1), a);
        }
        return true;
    }
    case KN_OP_I32_CLZ: case KN_OP_I64_CLZ:
        /* bsr gives the index of the top bit (ZF and an undefined result
         * for 0): clz = index ^ (bits-1), and 0 maps to 2*bits-1 ^ ... */
        if (emit) {
            kn_x64_bitscan(B, w, 0xbd, a, SLOT(2));
            kn_x64_mov_imm(B, X_RCX, w ? 127 : 63);
            kn_x64_cmov(B, w, X_CC_E, a, X_RCX);
            kn_x64_alu_ri(B, w, X_XOR, a, w ? 63 : 31);
            kn_x64_store(B, w, SLOT(1), a);
        }
        return true;
    case KN_OP_I32_CTZ: case KN_OP_I64_CTZ:
        if (emit) {
            kn_x64_bitscan(B, w, 0xbc, a, SLOT(2));
            kn_x64_mov_imm(B, X_RCX, w ? 64 : 32);
            kn_x64_cmov(B, w, X_CC_E, a, X_RCX);
            kn_x64_store(B, w, SLOT(1), a);
        }
        return true;
    case KN_OP_I32_POPCNT: case KN_OP_I64_POPCNT:
        if (!f->x->has_popcnt)
            return false;
        if (emit) {
            kn_x64_bitscan(B, w, 0xb8, a, SLOT(2));
            kn_x64_store(B, w, SLOT(1), a);
        }
        return true;
    default:
        return false;
    }
}

/* ---- Comparisons -------------------------------------------------- */

static bool cc_of(uint16_t op, x64_cc *cc)
{
    switch (op) {
    case KN_OP_I32_EQ: case KN_OP_I64_EQ: *cc = X_CC_E; return true;
    case KN_OP_I32_NE: case KN_OP_I64_NE: *cc = X_CC_NE; return true;
    case KN_OP_I32_LT_S: case KN_OP_I64_LT_S: *cc = X_CC_L; return true;
    case KN_OP_I32_LT_U: case KN_OP_I64_LT_U: *cc = X_CC_B; return true;
    case KN_OP_I32_GT_S: case KN_OP_I64_GT_S: *cc = X_CC_G; return true;
    case KN_OP_I32_GT_U: case KN_OP_I64_GT_U: *cc = X_CC_A; return true;
    case KN_OP_I32_LE_S: case KN_OP_I64_LE_S: *cc = X_CC_LE; return true;
    case KN_OP_I32_LE_U: case KN_OP_I64_LE_U: *cc = X_CC_BE; return true;
    case KN_OP_I32_GE_S: case KN_OP_I64_GE_S: *cc = X_CC_GE; return true;
    case KN_OP_I32_GE_U: case KN_OP_I64_GE_U: *cc = X_CC_AE; return true;
    case KN_OP_I32_EQZ: case KN_OP_I64_EQZ: *cc = X_CC_E; return true;
    default: return false;
    }
}

/* Set the flags for the comparison of slot word x with slot word y or
 * the immediate at word y (k). */
static void compare(fn *f, int w, uint32_t x, uint32_t y, bool k)
{
    x64_mem a = SLOT(x);
    x64_reg r = a.direct ? a.base : X_RAX;
    if (!a.direct)
        kn_x64_load(B, w, X_RAX, a);
    if (k)
        kn_x64_alu_ri(B, w, X_CMP, r, (int32_t)W[y]);
    else
        kn_x64_alu_rm(B, w, X_CMP, r, SLOT(y));
}

static void set_bool(fn *f, x64_cc cc, uint32_t dst)
{
    kn_x64_setcc(B, cc, X_RAX);
    kn_x64_movzx8_rr(B, X_RAX, X_RAX);
    kn_x64_store(B, 0, SLOT(dst), X_RAX);
}

/* ---- Floating point (SSE2; the roundings need SSE4.1) ----------------- */

static int is_dbl(uint8_t type) { return type == T_F64; }
static uint32_t imm_words(uint8_t type) { return type == T_F64 ? 2 : 1; }

static bool fbin_of(uint16_t op, uint8_t *sse)
{
    switch (op) {
    case KN_OP_F32_ADD: case KN_OP_F64_ADD: *sse = X_SSE_ADD; return true;
    case KN_OP_F32_SUB: case KN_OP_F64_SUB: *sse = X_SSE_SUB; return true;
    case KN_OP_F32_MUL: case KN_OP_F64_MUL: *sse = X_SSE_MUL; return true;
    case KN_OP_F32_DIV: case KN_OP_F64_DIV: *sse = X_SSE_DIV; return true;
    default: return false;
    }
}

static bool is_copysign(uint16_t op) { return op == KN_OP_F32_COPYSIGN || op == KN_OP_F64_COPYSIGN; }

/* SSE op (X_SSE_LOAD: a load) of xmm x with the constant v, read from
 * the function's constant pool (epilogue) through rip. */
static void pool_const(fn *f, uint64_t v)
{
    if (push_item(f, (void **)&f->pool, &f->npool, &f->cappool, sizeof *f->pool))
        f->pool[f->npool - 1] = (fconst){B->len - 4, v};
}
static void sse_const(fn *f, int dbl, uint8_t op, int x, uint64_t v)
{
    kn_x64_sse_rm(B, dbl, op, x, x64_rip(0));
    pool_const(f, v);
}
/* The same in the AVX form: x = xmm a op the constant. */
static void vsse_const(fn *f, int dbl, uint8_t op, int x, int a, uint64_t v)
{
    kn_x64_vsse(B, dbl, op, x, a, x64_rip(0));
    pool_const(f, v);
}

/* The constant at word k (f32: its bits; f64: low, high). */
static uint64_t fimm_bits(fn *f, int dbl, uint32_t k)
{
    return dbl ? W[k] | (uint64_t)W[k + 1] << 32 : W[k];
}

/* xmm x = the constant at word k. */
static void fimm(fn *f, int dbl, int x, uint32_t k)
{
    sse_const(f, dbl, X_SSE_LOAD, x, fimm_bits(f, dbl, k));
}

/* The sign bit of rcx onto the magnitude of rax (copysign, abs), as bit
 * operations: NaNs keep their payload, as in numeric.h. */
static void sign_bits(fn *f, int dbl, bool keep_rcx_sign)
{
    uint8_t top = dbl ? 63 : 31;
    kn_x64_shift_i(B, dbl, X_SHL, X_RAX, 1);
    kn_x64_shift_i(B, dbl, X_SHR, X_RAX, 1);
    if (keep_rcx_sign) {
        kn_x64_shift_i(B, dbl, X_SHR, X_RCX, top);
        kn_x64_shift_i(B, dbl, X_SHL, X_RCX, top);
        kn_x64_alu_rr(B, dbl, X_OR, X_RAX, X_RCX);
    }
}

static void fbinop(fn *f, const opinfo *in, bool k)
{
    int d = is_dbl(in->type);
    if (is_copysign(in->base)) {
        kn_x64_load(B, d, X_RAX, SLOT(2));
        if (k)
            kn_x64_mov_imm(B, X_RCX, d ? (W[3] | (uint64_t)W[4] << 32) : W[3]);
        else
            kn_x64_load(B, d, X_RCX, SLOT(3));
        sign_bits(f, d, true);
        kn_x64_store(B, d, SLOT(1), X_RAX);
        return;
    }
    uint8_t op = X_SSE_ADD;
    fbin_of(in->base, &op);
    int x = kn_x64_xmm_of(f, W[1]), a = kn_x64_xmm_of(f, W[2]);
    if (f->x->has_avx) {    /* x = a op y: no copy of a first */
        if (x < 0 || (a < 0 && !k && kn_x64_xmm_of(f, W[3]) == x))
            x = 0;
        if (a < 0) {
            kn_x64_sse_rm(B, d, X_SSE_LOAD, x, SLOT(2));
            a = x;
        }
        if (k)
            vsse_const(f, d, op, x, a, fimm_bits(f, d, 3));
        else
            kn_x64_vsse(B, d, op, x, a, SLOT(3));
        kn_x64_sse_store(B, d, SLOT(1), x);
        return;
    }
    /* in the destination's xmm register, unless it is the second operand's */
    if (x < 0 || (!k && kn_x64_xmm_of(f, W[3]) == x))
        x = 0;
    kn_x64_sse_rm(B, d, X_SSE_LOAD, x, SLOT(2));
    if (k) {
        sse_const(f, d, op, x, fimm_bits(f, d, 3));
    } else {
        kn_x64_sse_rm(B, d, op, x, SLOT(3));
    }
    kn_x64_sse_store(B, d, SLOT(1), x);
}

static bool fbinop_ok(const opinfo *in)
{
    uint8_t op;
    return (in->type == T_F32 || in->type == T_F64) && (fbin_of(in->base, &op) || is_copysign(in->base));
}

static int round_mode(uint16_t op)
{
    switch (op) {
    case KN_OP_F32_NEAREST: case KN_OP_F64_NEAREST: return 0;
    case KN_OP_F32_FLOOR: case KN_OP_F64_FLOOR: return 1;
    case KN_OP_F32_CEIL: case KN_OP_F64_CEIL: return 2;
    case KN_OP_F32_TRUNC: case KN_OP_F64_TRUNC: return 3;
    default: return -1;
    }
}

/* u64 → float: below 2^63 it is the signed conversion; above, halve it
 * keeping the low bit (so rounding sees it), convert and double: the
 * same result, in the same rounding, as the C conversion. */
static void convert_u64(fn *f, int dbl)
{
    kn_x64_load(B, 1, X_RAX, SLOT(2));
    kn_x64_test_rr(B, 1, X_RAX, X_RAX);
    size_t big = kn_x64_jcc32(B, X_CC_S);
    kn_x64_cvtsi2s(B, dbl, 1, 0, X_RAX);
    size_t done = kn_x64_jmp32(B);
    kn_x64_patch_rel32(B, big, B->len);
    kn_x64_mov(B, 1, X_RCX, X_RAX);
    kn_x64_shift_i(B, 1, X_SHR, X_RCX, 1);
    kn_x64_alu_ri(B, 0, X_AND, X_RAX, 1);
    kn_x64_alu_rr(B, 1, X_OR, X_RCX, X_RAX);
    kn_x64_cvtsi2s(B, dbl, 1, 0, X_RCX);
    kn_x64_sse_rr(B, dbl, X_SSE_ADD, 0, 0);
    kn_x64_patch_rel32(B, done, B->len);
    kn_x64_sse_store(B, dbl, SLOT(1), 0);
}

/* Float unary operations and conversions; in->type is the input type,
 * in->inner the output's. */
static bool funop(fn *f, const opinfo *in, bool emit)
{
    int di = is_dbl(in->type), dout = is_dbl((uint8_t)in->inner);
    uint16_t op = in->base;
    int mode = round_mode(op);
    if (mode >= 0) {
        if (!f->x->has_sse41)
            return false;
        if (emit) {
            kn_x64_round(B, di, 0, SLOT(2), (uint8_t)mode);
            kn_x64_sse_store(B, di, SLOT(1), 0);
        }
        return true;
    }
    switch (op) {
    case KN_OP_F32_ABS: case KN_OP_F64_ABS: case KN_OP_F32_NEG: case KN_OP_F64_NEG:
        if (emit) {
            kn_x64_load(B, di, X_RAX, SLOT(2));
            if (op == KN_OP_F32_ABS || op == KN_OP_F64_ABS) {
                sign_bits(f, di, false);
            } else {
                kn_x64_mov_imm(B, X_RCX, di ? (uint64_t)1 << 63 : (uint64_t)1 << 31);
                kn_x64_alu_rr(B, di, X_XOR, X_RAX, X_RCX);
            }
            kn_x64_store(B, di, SLOT(1), X_RAX);
        }
        return true;
    case KN_OP_F32_SQRT: case KN_OP_F64_SQRT:
    case KN_OP_F64_PROMOTE_F32: case KN_OP_F32_DEMOTE_F64:
        if (emit) {
            uint8_t sop = op == KN_OP_F32_SQRT || op == KN_OP_F64_SQRT ? X_SSE_SQRT : X_SSE_CVT;
            int a = kn_x64_xmm_of(f, W[2]), x = kn_x64_xmm_of(f, W[1]);
            if (f->x->has_avx && a >= 0) {      /* the rest of x from a: no false dependency */
                x = x < 0 ? 0 : x;
                kn_x64_vsse(B, di, sop, x, a, x64_direct((x64_reg)a));
            } else {
                x = 0;
                kn_x64_sse_rm(B, di, sop, 0, SLOT(2));
            }
            kn_x64_sse_store(B, dout, SLOT(1), x);
        }
        return true;
    case KN_OP_F32_CONVERT_I64_U: case KN_OP_F64_CONVERT_I64_U:
        if (emit)
            convert_u64(f, dout);
        return true;
    case KN_OP_F32_CONVERT_I32_S: case KN_OP_F64_CONVERT_I32_S:
    case KN_OP_F32_CONVERT_I32_U: case KN_OP_F64_CONVERT_I32_U:
    case KN_OP_F32_CONVERT_I64_S: case KN_OP_F64_CONVERT_I64_S: {
        /* an unsigned i32 is converted as the (exact) i64 it widens to */
        bool wide = op != KN_OP_F32_CONVERT_I32_S && op != KN_OP_F64_CONVERT_I32_S;
        if (emit) {
            kn_x64_load(B, in->type == T_I64, X_RAX, SLOT(2));
            kn_x64_cvtsi2s(B, dout, wide, 0, X_RAX);
            kn_x64_sse_store(B, dout, SLOT(1), 0);
        }
        return true;
    }
    default:
        return false;
    }
}

/* Flags for a float comparison of words x and y (k: y is a constant).
 * LT/LE compare the operands the other way round, so that every
 * condition is false when unordered with a single flag (A/AE), except EQ
 * (E and not P: returns 1) and NE (NE or P: returns 2). */
static int fcompare(fn *f, const opinfo *in, uint32_t x, uint32_t y, bool k, x64_cc *cc)
{
    int d = is_dbl(in->type);
    bool swap = in->base == KN_OP_F32_LT || in->base == KN_OP_F64_LT ||
                in->base == KN_OP_F32_LE || in->base == KN_OP_F64_LE;
    /* the first operand in an xmm register (its own, or xmm0/xmm1), the
     * second wherever it is: a register, its slot, or the constant pool */
    if (!swap) {
        int a = kn_x64_xmm_of(f, W[x]);
        if (a < 0)
            kn_x64_sse_rm(B, d, X_SSE_LOAD, a = 0, SLOT(x));
        if (k) {
            kn_x64_ucomis_rm(B, d, a, x64_rip(0));
            pool_const(f, fimm_bits(f, d, y));
        } else {
            kn_x64_ucomis_rm(B, d, a, SLOT(y));
        }
    } else {
        int a = k ? -1 : kn_x64_xmm_of(f, W[y]);
        if (k)
            fimm(f, d, a = 1, y);
        else if (a < 0)
            kn_x64_sse_rm(B, d, X_SSE_LOAD, a = 1, SLOT(y));
        kn_x64_ucomis_rm(B, d, a, SLOT(x));
    }
    switch (in->base) {
    case KN_OP_F32_EQ: case KN_OP_F64_EQ: *cc = X_CC_E; return 1;
    case KN_OP_F32_NE: case KN_OP_F64_NE: *cc = X_CC_NE; return 2;
    case KN_OP_F32_GT: case KN_OP_F64_GT: case KN_OP_F32_LT: case KN_OP_F64_LT: *cc = X_CC_A; return 0;
    default: *cc = X_CC_AE; return 0;                                   /* GE, LE */
    }
}

static void fset_bool(fn *f, x64_cc cc, int kind, uint32_t dst)
{
    kn_x64_setcc(B, cc, X_RAX);
    if (kind) {
        kn_x64_setcc(B, kind == 1 ? X_CC_NP : X_CC_P, X_RCX);
        kn_x64_alu_rr(B, 0, kind == 1 ? X_AND : X_OR, X_RAX, X_RCX);
    }
    kn_x64_movzx8_rr(B, X_RAX, X_RAX);
    kn_x64_store(B, 0, SLOT(dst), X_RAX);
}

/* Jump to the target of offset word k if the comparison is `sense`. */
static void fbranch(fn *f, x64_cc cc, int kind, bool sense, uint32_t k)
{
    if (!kind) {
        branch_if(f, sense ? cc : (x64_cc)(cc ^ 1), k);
    } else if ((kind == 1) == sense) {           /* equal and ordered */
        size_t skip = kn_x64_jcc32(B, X_CC_P);
        branch_if(f, X_CC_E, k);
        kn_x64_patch_rel32(B, skip, B->len);
    } else {                                     /* unequal or unordered */
        branch_if(f, X_CC_P, k);
        branch_if(f, X_CC_NE, k);
    }
}

static void fcmp(fn *f, const opinfo *in)
{
    x64_cc cc = X_CC_E;
    uint32_t kw = imm_words(in->type);
    int kind;
    switch (in->fam) {
    case F_CMP: kind = fcompare(f, in, 2, 3, false, &cc); fset_bool(f, cc, kind, 1); break;
    case F_CMP_K: kind = fcompare(f, in, 2, 3, true, &cc); fset_bool(f, cc, kind, 1); break;
    case F_CMP_JT: kind = fcompare(f, in, 1, 2, false, &cc); fbranch(f, cc, kind, true, 3); break;
    case F_CMP_JF: kind = fcompare(f, in, 1, 2, false, &cc); fbranch(f, cc, kind, false, 3); break;
    case F_CMP_KJT: kind = fcompare(f, in, 1, 2, true, &cc); fbranch(f, cc, kind, true, 2 + kw); break;
    default: kind = fcompare(f, in, 1, 2, true, &cc); fbranch(f, cc, kind, false, 2 + kw); break;
    }
}

/* a + x*y and friends: two roundings, as the interpreter does. */
static void fmuladd(fn *f, kn_op op)
{
    int d = op == KN_OP_F64_MULADD || op == KN_OP_F64_MULSUB || op == KN_OP_F64_MULRSUB;
    int p = kn_x64_xmm_of(f, W[3]);
    if (f->x->has_avx && p >= 0) {
        kn_x64_vsse(B, d, X_SSE_MUL, 0, p, SLOT(4));
    } else {
        kn_x64_sse_rm(B, d, X_SSE_LOAD, 0, SLOT(3));
        kn_x64_sse_rm(B, d, X_SSE_MUL, 0, SLOT(4));
    }
    if (op == KN_OP_F32_MULRSUB || op == KN_OP_F64_MULRSUB) {
        kn_x64_sse_rm(B, d, X_SSE_SUB, 0, SLOT(2));
        kn_x64_sse_store(B, d, SLOT(1), 0);
        return;
    }
    bool add = op == KN_OP_F32_MULADD || op == KN_OP_F64_MULADD;
    /* x*y is in xmm0, so a destination in a register may take a first
     * (a += x*y, the common case, is then one instruction) */
    int x = kn_x64_xmm_of(f, W[1]), a = kn_x64_xmm_of(f, W[2]);
    if (x < 0)
        x = 1;
    if (f->x->has_avx && a >= 0) {
        kn_x64_vsse(B, d, add ? X_SSE_ADD : X_SSE_SUB, x, a, x64_direct(X_RAX));   /* xmm0 */
    } else {
        if (x == 1 || a != x)
            kn_x64_sse_rm(B, d, X_SSE_LOAD, x, SLOT(2));
        kn_x64_sse_rr(B, d, add ? X_SSE_ADD : X_SSE_SUB, x, 0);
    }
    if (x == 1)
        kn_x64_sse_store(B, d, SLOT(1), 1);
}

/* An instruction without a template: its helper (helpers.c) on pointers
 * to its slots, trapping with the code the helper returns. */
static void helper(fn *f, const opinfo *in, bool binary)
{
    bool k = in->fam == F_BINOP_K;
    if (k) {                                   /* the constant, on the stack */
        uint64_t v = in->type == T_F64 ? W[3] | (uint64_t)W[4] << 32
                   : in->type == T_I64 ? (uint64_t)(int64_t)(int32_t)W[3] : W[3];
        kn_x64_alu_ri(B, 1, X_SUB, X_RSP, 16);
        kn_x64_mov_imm(B, X_RAX, v);
        kn_x64_store(B, 1, x64_m(X_RSP, 0), X_RAX);
        kn_x64_mov(B, 1, X_RDX, X_RSP);
    } else if (binary) {
        kn_x64_lea(B, 1, X_RDX, SLOT(3));
    }
    kn_x64_lea(B, 1, X_RDI, SLOT(1));
    kn_x64_lea(B, 1, X_RSI, SLOT(2));
    call_c(f, (const void *)kn_jit_helpers[in->base]);
    kn_x64_mov(B, 0, X_RAX, X_RAX);            /* a trap code: zero-extend */
    if (k)
        kn_x64_alu_ri(B, 1, X_ADD, X_RSP, 16);
    kn_x64_test_rr(B, 0, X_RAX, X_RAX);
    kn_x64_patch_rel32(B, kn_x64_jcc32(B, X_CC_NE), f->x->exit);
}

/* ---- Memory ----------------------------------------------------------- */

/* Slot word k as a 32-bit value in a general register: its own register
 * when it has one (the caller must use only the low half), else scratch,
 * loaded (and zero-extended). */
static x64_reg reg32(fn *f, uint32_t k, x64_reg scratch)
{
    x64_mem m = SLOT(k);
    if (m.direct)
        return m.base;
    kn_x64_load(B, 0, scratch, m);
    return scratch;
}

/* The u32 index of a load/store form (lower.h): everything but the static
 * offset, in rax (32-bit operations wrap it as Wasm's i32 arithmetic does
 * and clear rax's upper half), or, for a single address slot, in that
 * slot's own register when it is a clean one (find_clean).  Returns the
 * word that holds the static offset. */
static uint32_t index_of(fn *f, uint8_t family, x64_reg *idx)
{
    *idx = X_RAX;
    switch (family) {
    case F_VLOAD_LANE:                           /* dst addr x offset lane */
        kn_x64_load(B, 0, X_RAX, SLOT(2));
        return 4;
    case F_LOAD: case F_STORE: case F_STORE_K: { /* dst/addr, addr, offset */
        uint32_t k = family == F_LOAD ? 2 : 1;
        x64_reg r = kn_x64_clean_reg(f, W[k]);
        if (r != X_NOREG)
            *idx = r;
        else
            kn_x64_load(B, 0, X_RAX, SLOT(k));
        return 3;
    }
    case F_LOAD_A: case F_STORE_AK: {            /* dst base imm offset; base add imm offset */
        uint32_t k = family == F_LOAD_A ? 2 : 1;
        x64_mem base = SLOT(k);
        if (base.direct) {
            kn_x64_lea(B, 0, X_RAX, x64_m(base.base, (int32_t)W[k + 1]));
        } else {
            kn_x64_load(B, 0, X_RAX, base);
            kn_x64_alu_ri(B, 0, X_ADD, X_RAX, (int32_t)W[k + 1]);
        }
        return 4;
    }
    case F_LOAD_X: {                             /* dst base idx offset */
        x64_mem base = SLOT(2), idx = SLOT(3);
        if (base.direct && idx.direct) {
            kn_x64_lea(B, 0, X_RAX, x64_mi(base.base, idx.base, 1, 0));
        } else {
            kn_x64_load(B, 0, X_RAX, base);
            kn_x64_alu_rm(B, 0, X_ADD, X_RAX, idx);
        }
        return 4;
    }
    case F_LOAD_K:                               /* dst k offset */
        kn_x64_mov_imm(B, X_RAX, W[2]);
        return 3;
    case F_LOAD_XS:                              /* dst base idx s offset */
        if ((W[4] & 31) <= 3) {
            x64_reg base = reg32(f, 2, X_RCX), idx = reg32(f, 3, X_RAX);
            kn_x64_lea(B, 0, X_RAX, x64_mi(base, idx, (uint8_t)(1u << (W[4] & 31)), 0));
        } else {
            kn_x64_load(B, 0, X_RAX, SLOT(3));
            kn_x64_shift_i(B, 0, X_SHL, X_RAX, (uint8_t)(W[4] & 31));
            kn_x64_alu_rm(B, 0, X_ADD, X_RAX, SLOT(2));
        }
        return 5;
    default: {                                   /* F_LOAD_AS: dst x s imm offset */
        x64_mem x = SLOT(2);
        if ((W[3] & 31) <= 3) {                 /* lea, which wraps at 32 bits too */
            x64_reg r = x.direct ? x.base : X_RAX;
            if (!x.direct)
                kn_x64_load(B, 0, X_RAX, x);
            kn_x64_lea(B, 0, X_RAX, x64_scaled(r, (uint8_t)(1u << (W[3] & 31)), (int32_t)W[4]));
            return 5;
        }
        kn_x64_load(B, 0, X_RAX, x);
        kn_x64_shift_i(B, 0, X_SHL, X_RAX, (uint8_t)(W[3] & 31));
        kn_x64_alu_ri(B, 0, X_ADD, X_RAX, (int32_t)W[4]);
        return 5;
    }
    }
}

/* The memory operand of a load/store form: [r13 + index + offset], after
 * the bounds check (ea + size beyond the memory traps, as the
 * interpreter), and the index and the offset it lacks in f->ea_idx and
 * f->ea_off.  The index is rax unless guard pages make the check. */
static x64_mem access(fn *f, uint8_t family, uint8_t size, bool by_c)
{
    /* a constant address that fits a disp32 with its offset: [r13 + k + off]
     * (f->ea_off is only for stores, which have no such form) */
    if (family == F_LOAD_K && f->x->guard && !by_c &&
        (uint64_t)W[2] + W[3] + size <= KN_GUARD_SPAN)
        return x64_m(X_R13, (int32_t)(W[2] + W[3]));
    x64_reg idx = X_RAX;
    uint32_t off = W[index_of(f, family, &idx)];
    /* idx is the u32 index, so idx + off + size stays inside a guarded
     * reservation when off + size fits the guard span (2 GiB, so off
     * fits a disp32): a fault there is the trap (jit.c). */
    f->ea_idx = X_RAX;
    if (f->x->guard && !by_c && (uint64_t)off + size <= KN_GUARD_SPAN) {
        f->ea_off = off;
        f->ea_idx = idx;
        return x64_mi(X_R13, idx, 1, (int32_t)off);
    }
    if (idx != X_RAX)
        kn_x64_mov(B, 0, X_RAX, idx);
    if (off <= INT32_MAX) {
        if (off)
            kn_x64_alu_ri(B, 1, X_ADD, X_RAX, (int32_t)off);
    } else {
        kn_x64_mov_imm(B, X_RCX, off);
        kn_x64_alu_rr(B, 1, X_ADD, X_RAX, X_RCX);
    }
    kn_x64_lea(B, 1, X_RCX, x64_m(X_RAX, size));
    if (msize_in_r14(f)) {
        kn_x64_alu_rr(B, 1, X_CMP, X_RCX, X_R14);
    } else {   /* the few explicit checks of guarded code: the size from memory */
        kn_x64_push(B, X_RAX);
        memory0(f);
        kn_x64_alu_rm(B, 1, X_CMP, X_RCX, x64_m(X_RAX, OFF(kiln_memory, size)));
        kn_x64_pop(B, X_RAX);  /* (keeps the flags; a trap resets rsp) */
    }
    trap_if(f, X_CC_A, KILN_TRAP_MEMORY_OOB);
    f->ea_off = 0;
    return x64_mi(X_R13, X_RAX, 1, 0);
}

/* rax = the whole effective address of a load/store form, checked. */
void kn_x64_address(fn *f, uint8_t family, uint8_t size, bool by_c)
{
    x64_mem m = access(f, family, size, by_c);
    if (m.index == X_NOREG)
        kn_x64_mov_imm(B, X_RAX, (uint32_t)m.disp);
    else if (m.disp || m.index != X_RAX)
        kn_x64_lea(B, 1, X_RAX, x64_m(m.index, m.disp));
    f->ea_off = 0;
    f->ea_idx = X_RAX;
}

/* After a store at f->ea_idx + f->ea_off (access's): mark its page in the
 * memory's written-page map, which sits KN_DIRTY_MAP bytes below r13
 * (runtime.h).  After, so that an access that faults out of bounds marks
 * nothing; and a store that did not fault is below the memory's size, so
 * its page is in the map. */
void kn_x64_wrote(fn *f)
{
    if (f->x->no_marks)
        return;
    if (f->ea_off || f->ea_idx != X_RAX)
        kn_x64_lea(B, 1, X_RAX, x64_m(f->ea_idx, (int32_t)f->ea_off));
    x64_mem mark = x64_mi(X_R13, X_RAX, 1, -(int32_t)KN_DIRTY_MAP);
    kn_x64_shift_i(B, 1, X_SHR, X_RAX, KN_DIRTY_SHIFT);
    /* Test before setting: in a loop over one page the store would be
     * repeated at every iteration, and stores are the scarcer port. */
    kn_x64_cmp8_mi(B, mark, 0);
    size_t skip = kn_x64_jcc32(B, X_CC_NE);
    kn_x64_store8_imm(B, mark, 1);
    kn_x64_patch_rel32(B, skip, B->len);
    kn_x64_label(B);
}

static void load(fn *f, const opinfo *in)
{
    x64_mem m = access(f, in->fam, in->size, false);
    int w = width(in->type);
    int x = in->type == T_F32 || in->type == T_F64 ? kn_x64_xmm_of(f, W[1]) : -1;
    x64_mem d = SLOT(1);
    x64_reg r = d.direct && x < 0 ? d.base : X_RAX;   /* straight into its register */
    if (x >= 0)
        kn_x64_sse_rm(B, in->size == 8, X_SSE_LOAD, x, m);
    else if (in->size == 8)
        kn_x64_load(B, 1, r, m);
    else if (in->sx && in->size < 4 + 4 * w)
        kn_x64_load_sx(B, w, in->size * 8, r, m);
    else
        kn_x64_load_zx(B, 0, in->size * 8, r, m);
    if (r == X_RAX && x < 0)
        kn_x64_store(B, w, d, X_RAX);
}

static void store(fn *f, const opinfo *in)
{
    x64_mem m = access(f, in->fam, in->size, false);
    int x = in->fam == F_STORE && (in->type == T_F32 || in->type == T_F64)
          ? kn_x64_xmm_of(f, W[2]) : -1;
    if (x >= 0) {
        kn_x64_sse_store(B, in->size == 8, m, x);
        kn_x64_wrote(f);
        return;
    }
    if (in->fam == F_STORE)
        kn_x64_load(B, 1, X_RCX, SLOT(2));
    else   /* a constant, sign-extended from 32 bits */
        kn_x64_mov_imm(B, X_RCX, (uint64_t)(int64_t)(int32_t)W[in->fam == F_STORE_K ? 2 : 3]);
    switch (in->size) {
    case 1: kn_x64_store8(B, m, X_RCX); break;
    case 2: kn_x64_store16(B, m, X_RCX); break;
    case 4: kn_x64_store(B, 0, m, X_RCX); break;
    default: kn_x64_store(B, 1, m, X_RCX); break;
    }
    kn_x64_wrote(f);
}

/* ---- Calls, returns, tables ------------------------------------------ */

/* A direct call to a compiled function of this module: check the value
 * stack, move fp and call.  The callee's prologue checks the call depth
 * and makes its machine frame; there is no kn_frame (jit.c, "Frames"). */

/* Trap when the callee's frame, ending at frame_end (computed into a
 * register by the caller), passes the value stack's end. */
static void stack_room(fn *f, x64_reg frame_end)
{
    kn_x64_alu_rm(B, 1, X_CMP, frame_end, x64_m(X_R12, OFF(kiln_store, stack_end)));
    trap_if(f, X_CC_A, KILN_TRAP_STACK_EXHAUSTED);
}

/* Move fp to the arguments at slot base, call (target, or function func
 * of this module when target is X_NOREG), and move it back. */
static void frame_call(fn *f, uint32_t base, x64_reg target, uint32_t func)
{
    if (base)
        kn_x64_alu_ri(B, 1, X_ADD, X_RBX, (int32_t)(8 * base));
    if (target != X_NOREG)
        kn_x64_call_r(B, target);
    else
        kn_x64_call_fixup(f->x, kn_x64_call32(B), func);
    if (base)
        kn_x64_alu_ri(B, 1, X_SUB, X_RBX, (int32_t)(8 * base));
}

static void call_native(fn *f, uint32_t func, uint32_t base)
{
    const kn_code *callee = f->x->m->funcs[func].code;
    kn_x64_lea(B, 1, X_RCX, x64_m(X_RBX, (int32_t)(8 * ((int64_t)base + callee->frame_slots))));
    stack_room(f, X_RCX);
    frame_call(f, base, X_NOREG, func);
}

/* Anything else (an import, an interpreted function): through C. */
static void call_slow(fn *f, uint32_t func, uint32_t base)
{
    kn_x64_mov(B, 1, X_RDI, X_R12);
    kn_x64_mov(B, 1, X_RSI, X_R15);
    kn_x64_mov_imm(B, X_RDX, func);
    kn_x64_lea(B, 1, X_RCX, x64_m(X_RBX, (int32_t)(8 * base)));
    sync_budget(f, false);
    call_c(f, (const void *)kn_jit_call_slow);
    sync_budget(f, true);
    kn_x64_test_rr(B, 1, X_RAX, X_RAX);
    kn_x64_patch_rel32(B, kn_x64_jcc32(B, X_CC_NE), f->x->exit);
}

/* call_indirect: the interpreter's checks in its order (index, null,
 * signature, then the budget), inline.  A compiled function of this
 * instance is called as call_native calls, with its frame size read
 * from its kn_code; any other callee goes through C. */
static void call_indirect(fn *f)
{
    uint32_t canon = f->x->m->types[W[1]].canon, base = W[4];
    kn_x64_load(B, 0, X_RAX, SLOT(3));                    /* the index, zero-extended */
    kn_x64_load(B, 1, X_RCX, x64_m(X_R15, OFF(kiln_instance, tables)));
    kn_x64_load(B, 1, X_RCX, x64_m(X_RCX, (int32_t)(8 * W[2])));
    kn_x64_alu_rm(B, 1, X_CMP, X_RAX, x64_m(X_RCX, OFF(kiln_table, size)));
    trap_if(f, X_CC_AE, KILN_TRAP_UNDEFINED_ELEMENT);
    kn_x64_load(B, 1, X_RCX, x64_m(X_RCX, OFF(kiln_table, elems)));
    kn_x64_load(B, 1, X_RCX, x64_mi(X_RCX, X_RAX, 8, 0));
    kn_x64_test_rr(B, 1, X_RCX, X_RCX);
    trap_if(f, X_CC_E, KILN_TRAP_UNINIT_ELEMENT);
    kn_x64_alu_mi(B, 0, X_CMP, x64_m(X_RCX, OFF(kiln_func, canon)), (int32_t)canon);
    trap_if(f, X_CC_NE, KILN_TRAP_INDIRECT_MISMATCH);
    budget_keeping(f, true);   /* its slow path keeps rcx, the callee */
    kn_x64_alu_rm(B, 1, X_CMP, X_R15, x64_m(X_RCX, OFF(kiln_func, inst)));
    size_t other = kn_x64_jcc32(B, X_CC_NE);
    kn_x64_load(B, 1, X_RSI, x64_m(X_RCX, OFF(kiln_func, native)));
    kn_x64_test_rr(B, 1, X_RSI, X_RSI);
    size_t interp = kn_x64_jcc32(B, X_CC_E);
    kn_x64_load(B, 0, X_RDI, x64_m(X_RCX, OFF(kiln_func, frame_slots)));
    kn_x64_lea(B, 1, X_RDI, x64_mi(X_RBX, X_RDI, 8, (int32_t)(8 * base)));
    stack_room(f, X_RDI);
    frame_call(f, base, X_RSI, 0);
    size_t done = kn_x64_jmp32(B);
    kn_x64_patch_rel32(B, other, B->len);
    kn_x64_patch_rel32(B, interp, B->len);
    kn_x64_mov(B, 1, X_RDX, X_RCX);
    kn_x64_mov(B, 1, X_RDI, X_R12);
    kn_x64_mov(B, 1, X_RSI, X_R15);
    kn_x64_lea(B, 1, X_RCX, x64_m(X_RBX, (int32_t)(8 * base)));
    sync_budget(f, false);
    call_c(f, (const void *)kn_jit_call_ref);
    sync_budget(f, true);
    kn_x64_test_rr(B, 1, X_RAX, X_RAX);
    kn_x64_patch_rel32(B, kn_x64_jcc32(B, X_CC_NE), f->x->exit);
    kn_x64_patch_rel32(B, done, B->len);
    reload_msize(f);
}

static void call(fn *f)
{
    uint32_t func = W[1], base = W[2];
    budget(f);
    if (f->x->native[func])
        call_native(f, func, base);
    else
        call_slow(f, func, base);
    reload_msize(f);
}

static void jump_table(fn *f, uint32_t pc)
{
    uint32_t n = W[2];
    budget(f);
    kn_x64_load(B, 0, X_RAX, SLOT(1));
    /* an index past the table goes to its default by a branch: predicted,
     * and off the path from the index to the entry (a cmov was on it) */
    uint32_t at = pc + 3 + n;
    kn_x64_alu_ri(B, 0, X_CMP, X_RAX, (int32_t)n);
    jump_to(f, kn_x64_jcc32(B, X_CC_AE), (uint32_t)((int64_t)at + (int32_t)W[3 + n]));
    size_t lea = kn_x64_lea_rip32(B, X_RCX);
    kn_x64_load_sx(B, 1, 32, X_RAX, x64_mi(X_RCX, X_RAX, 4, 0));
    kn_x64_alu_rr(B, 1, X_ADD, X_RAX, X_RCX);
    kn_x64_jmp_r(B, X_RAX);
    if (push_item(f, (void **)&f->jt, &f->njt, &f->capjt, sizeof *f->jt))
        f->jt[f->njt - 1] = (jtable){lea, pc};
}

static void globals(fn *f, bool set)
{
    kn_x64_load(B, 1, X_RAX, x64_m(X_R15, OFF(kiln_instance, globals)));
    kn_x64_load(B, 1, X_RAX, x64_m(X_RAX, (int32_t)(8 * W[2])));
    x64_mem v = x64_m(X_RAX, OFF(kiln_global, value));
    if (set) {
        kn_x64_load(B, 1, X_RCX, SLOT(1));
        kn_x64_store(B, 1, v, X_RCX);
    } else {
        kn_x64_load(B, 1, X_RCX, v);
        kn_x64_store(B, 1, SLOT(1), X_RCX);
    }
}

/* ---- One instruction ---------------------------------------------------- */

static uint32_t covered(fn *f);

/* The length in words of the instruction at W if the native tier covers
 * it, else 0.  Also the one place that says what is covered.  Through
 * covered(), which caches it for all but TRAP and JMP_TABLE (op_class). */
static uint32_t covered_op(fn *f)
{
    const uint32_t *ip = W;
    kn_op op = (kn_op)ip[0];
    if (op >= KN_OP_COUNT)
        return 0;
    const opinfo *in = &infos[op];
    bool intty = in->type == T_I32 || in->type == T_I64;
    switch (in->fam) {
    case F_LOAD: case F_LOAD_K: return 4;
    case F_LOAD_A: case F_LOAD_X: return 5;
    case F_LOAD_XS: case F_LOAD_AS: return 6;
    case F_STORE: case F_STORE_K: return 4;
    case F_STORE_AK: return 5;
    case F_BINOP: return binop_ok(in) || fbinop_ok(in) || kn_jit_helpers[op] ? 4 : 0;
    case F_BINOP_K:
        return binop_ok(in) || fbinop_ok(in) || kn_jit_helpers[in->base] ? 3 + imm_words(in->type) : 0;
    case F_CMP: case F_CMP_JT: case F_CMP_JF: return in->type <= T_F64 ? 4 : 0;
    case F_CMP_K: case F_CMP_KJT: case F_CMP_KJF:
        return in->type <= T_F64 ? 3 + imm_words(in->type) : 0;
    case F_TEST: case F_TEST_JT: case F_TEST_JF: return intty ? 3 : 0;
    case F_BINOP_T: return divrem_ok(in) || kn_jit_helpers[op] ? 4 : 0;
    case F_UNOP: return unop(f, in, false) || funop(f, in, false) || kn_jit_helpers[op] ? 3 : 0;
    case F_UNOP_T: return kn_jit_helpers[op] ? 3 : 0;
    case F_SHIFTOP: return 5;
    default: break;
    }
    switch (op) {
    case KN_OP_COPY: case KN_OP_CONST32: case KN_OP_JMP_IF: case KN_OP_JMP_UNLESS:
    case KN_OP_CALL: case KN_OP_GLOBAL_GET1: case KN_OP_GLOBAL_SET1: case KN_OP_MEMORY_GROW:
        return 3;
    case KN_OP_COPY_PAIR: case KN_OP_SELECT1: case KN_OP_I32_SHL_ADD_K: case KN_OP_CALL_INDIRECT:
    case KN_OP_F32_MULADD: case KN_OP_F32_MULSUB: case KN_OP_F32_MULRSUB:
    case KN_OP_F64_MULADD: case KN_OP_F64_MULSUB: case KN_OP_F64_MULRSUB:
        return 5;
    case KN_OP_CONST64: return 4;
    case KN_OP_JMP: case KN_OP_JMP_BACK: case KN_OP_MEMORY_SIZE: return 2;
    case KN_OP_TRAP: return ip[1] < KN_X64_NTRAPS ? 2 : 0;
    case KN_OP_RET: return 1;
    case KN_OP_JMP_TABLE: return ip[2] < (1u << 24) ? 4 + ip[2] : 0;
    default: break;
    }
    uint32_t n = kn_x64_simd_covered(f);
    return n ? n : kn_x64_runtime_covered(f);
}

static void emit_fused(fn *f, const opinfo *in)
{
    int w = width(in->type);
    x64_cc cc = X_CC_E;
    cc_of(in->base, &cc);
    switch (in->fam) {
    case F_CMP: compare(f, w, 2, 3, false); set_bool(f, cc, 1); break;
    case F_CMP_K: compare(f, w, 2, 3, true); set_bool(f, cc, 1); break;
    case F_CMP_JT: compare(f, w, 1, 2, false); branch_if(f, cc, 3); break;
    case F_CMP_JF: compare(f, w, 1, 2, false); branch_if(f, (x64_cc)(cc ^ 1), 3); break;
    case F_CMP_KJT: compare(f, w, 1, 2, true); branch_if(f, cc, 3); break;
    case F_CMP_KJF: compare(f, w, 1, 2, true); branch_if(f, (x64_cc)(cc ^ 1), 3); break;
    case F_TEST:
        kn_x64_alu_mi(B, w, X_CMP, SLOT(2), 0);
        set_bool(f, cc, 1);
        break;
    case F_TEST_JT: kn_x64_cmp0_eq(B, w, SLOT(1)); branch_if(f, cc, 2); break;
    default: kn_x64_cmp0_eq(B, w, SLOT(1)); branch_if(f, (x64_cc)(cc ^ 1), 2); break;
    }
}

static void shiftop(fn *f, const opinfo *in)
{
    int w = width(in->type);
    x64_alu alu = X_ADD;
    x64_shift sh = X_SHL;
    alu_of(in->base, &alu);
    shift_of(in->inner, &sh);
    /* in the destination's register, unless it is the other operand's */
    x64_mem d = SLOT(1), a = SLOT(2), x = SLOT(3);
    if (alu == X_ADD && sh == X_SHL && (W[4] & (w ? 63 : 31)) <= 3 && a.direct && x.direct) {
        /* a + (x << s): one lea, with either width's wrap */
        x64_reg r = d.direct ? d.base : X_RAX;
        kn_x64_lea(B, w, r, x64_mi(a.base, x.base, (uint8_t)(1u << (W[4] & 3)), 0));
        if (!d.direct)
            kn_x64_store(B, w, d, X_RAX);
        return;
    }
    if (d.direct && a.direct && a.base == d.base && !(x.direct && x.base == d.base)) {
        /* d = d OP shift(x): op d, rax, with no copy back from rax */
        kn_x64_load(B, w, X_RAX, x);
        kn_x64_shift_i(B, w, sh, X_RAX, (uint8_t)(W[4] & (w ? 63 : 31)));
        kn_x64_alu_rr(B, w, alu, d.base, X_RAX);
        return;
    }
    x64_reg r = d.direct && !(a.direct && a.base == d.base) ? d.base : X_RAX;
    if (!x.direct || x.base != r)
        kn_x64_load(B, w, r, x);
    kn_x64_shift_i(B, w, sh, r, (uint8_t)(W[4] & (w ? 63 : 31)));
    kn_x64_alu_rm(B, w, alu, r, a);
    if (r == X_RAX)
        kn_x64_store(B, w, d, X_RAX);
}

/* Slot word d = slot word s, all 8 bytes, wherever each of them lives:
 * memory, a general register or an xmm register. */
static void move_slot(fn *f, uint32_t d, uint32_t s)
{
    int xd = kn_x64_xmm_of(f, W[d]), xs = kn_x64_xmm_of(f, W[s]);
    x64_mem md = SLOT(d), ms = SLOT(s);
    if (xd >= 0 && ms.direct && xs < 0)
        kn_x64_movd(B, 1, xd, ms.base);
    else if (xd >= 0)
        kn_x64_sse_rm(B, 1, X_SSE_LOAD, xd, ms);
    else if (xs >= 0 && md.direct)
        kn_x64_movd_to(B, 1, md.base, xs);
    else if (xs >= 0)
        kn_x64_sse_store(B, 1, md, xs);
    else if (md.direct)
        kn_x64_load(B, 1, md.base, ms);
    else if (ms.direct)
        kn_x64_store(B, 1, md, ms.base);
    else {
        kn_x64_load(B, 1, X_RAX, ms);
        kn_x64_store(B, 1, md, X_RAX);
    }
}

static void emit_other(fn *f, uint32_t pc)
{
    switch ((kn_op)W[0]) {
    case KN_OP_COPY: move_slot(f, 1, 2); break;
    case KN_OP_COPY_PAIR:
        move_slot(f, 1, 2);
        move_slot(f, 3, 4);
        break;
    case KN_OP_CONST32:
    case KN_OP_CONST64: {
        uint64_t v = W[2];
        int x = kn_x64_xmm_of(f, W[1]);
        if ((kn_op)W[0] == KN_OP_CONST64)
            v |= (uint64_t)W[3] << 32;
        if (x >= 0 && !v) {
            kn_x64_packed_rr(B, X_PXOR, x, x);
        } else if (x >= 0) {
            sse_const(f, 1, X_SSE_LOAD, x, v);
        } else if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) {
            kn_x64_store_imm(B, 1, SLOT(1), (int32_t)v);
        } else {
            kn_x64_mov_imm(B, X_RAX, v);
            kn_x64_store(B, 1, SLOT(1), X_RAX);
        }
        break;
    }
    case KN_OP_SELECT1: {                   /* dst a b cond: dst = cond ? a : b */
        x64_mem d = SLOT(1);
        if (d.direct && (W[1] == W[2] || W[1] == W[3])) {   /* a cmov into dst itself */
            kn_x64_alu_mi(B, 0, X_CMP, SLOT(4), 0);
            if (W[1] == W[2])
                kn_x64_cmov_rm(B, 1, X_CC_E, d.base, SLOT(3));
            else
                kn_x64_cmov_rm(B, 1, X_CC_NE, d.base, SLOT(2));
            break;
        }
        x64_reg r = d.direct && W[1] != W[4] ? d.base : X_RAX;   /* cond read after */
        kn_x64_load(B, 1, r, SLOT(2));
        kn_x64_alu_mi(B, 0, X_CMP, SLOT(4), 0);
        kn_x64_cmov_rm(B, 1, X_CC_E, r, SLOT(3));
        if (r == X_RAX)
            kn_x64_store(B, 1, d, X_RAX);
        break;
    }
    case KN_OP_I32_SHL_ADD_K:
        if ((W[3] & 31) <= 3) {      /* one lea: [x*2^s + imm], which wraps at 32 bits too */
            x64_mem x = SLOT(2), d = SLOT(1);
            if (!x.direct)
                kn_x64_load(B, 0, X_RAX, x);
            x64_reg r = d.direct ? d.base : X_RAX;
            kn_x64_lea(B, 0, r, x64_scaled(x.direct ? x.base : X_RAX, (uint8_t)(1u << (W[3] & 31)),
                                           (int32_t)W[4]));
            if (!d.direct)
                kn_x64_store(B, 0, d, X_RAX);
            break;
        }
        kn_x64_load(B, 0, X_RAX, SLOT(2));
        kn_x64_shift_i(B, 0, X_SHL, X_RAX, (uint8_t)(W[3] & 31));
        kn_x64_alu_ri(B, 0, X_ADD, X_RAX, (int32_t)W[4]);
        kn_x64_store(B, 0, SLOT(1), X_RAX);
        break;
    case KN_OP_JMP:
        jump_to(f, kn_x64_jmp32(B), (uint32_t)((int64_t)pc + 1 + (int32_t)W[1]));
        break;
    case KN_OP_JMP_BACK:
        back_edge(f, (uint32_t)((int64_t)pc + 1 + (int32_t)W[1]));
        break;
    case KN_OP_JMP_IF:
    case KN_OP_JMP_UNLESS:
        kn_x64_cmp0_eq(B, 0, SLOT(1));
        branch_if(f, (kn_op)W[0] == KN_OP_JMP_IF ? X_CC_NE : X_CC_E, 2);
        break;
    case KN_OP_JMP_TABLE: jump_table(f, pc); break;
    case KN_OP_RET: kn_x64_pop(B, X_RBP); kn_x64_ret(B); break;
    case KN_OP_TRAP: trap_at(f, kn_x64_jmp32(B), (kiln_trap_code)W[1]); break;
    case KN_OP_CALL: call(f); break;
    case KN_OP_CALL_INDIRECT: call_indirect(f); break;
    case KN_OP_F32_MULADD: case KN_OP_F32_MULSUB: case KN_OP_F32_MULRSUB:
    case KN_OP_F64_MULADD: case KN_OP_F64_MULSUB: case KN_OP_F64_MULRSUB:
        fmuladd(f, (kn_op)W[0]);
        break;
    case KN_OP_GLOBAL_GET1: globals(f, false); break;
    case KN_OP_GLOBAL_SET1: globals(f, true); break;
    case KN_OP_MEMORY_SIZE:
        if (msize_in_r14(f)) {
            kn_x64_mov(B, 1, X_RAX, X_R14);
        } else {
            memory0(f);
            kn_x64_load(B, 1, X_RAX, x64_m(X_RAX, OFF(kiln_memory, size)));
        }
        kn_x64_shift_i(B, 1, X_SHR, X_RAX, 16);
        kn_x64_store(B, 0, SLOT(1), X_RAX);
        break;
    case KN_OP_MEMORY_GROW:
        kn_x64_mov(B, 1, X_RDI, X_R15);
        kn_x64_load(B, 0, X_RSI, SLOT(2));
        call_c(f, (const void *)kn_jit_memory_grow);
        kn_x64_store(B, 0, SLOT(1), X_RAX);
        reload_msize(f);
        break;
    default:
        break;
    }
}

static void emit_one(fn *f, uint32_t pc)
{
    const opinfo *in = &infos[W[0]];
    switch (in->fam) {
    case F_LOAD: case F_LOAD_A: case F_LOAD_X: case F_LOAD_K: case F_LOAD_XS: case F_LOAD_AS:
        load(f, in);
        break;
    case F_STORE: case F_STORE_K: case F_STORE_AK: store(f, in); break;
    case F_BINOP: case F_BINOP_K:
        if (binop_ok(in))
            binop(f, in, in->fam == F_BINOP_K);
        else if (fbinop_ok(in))
            fbinop(f, in, in->fam == F_BINOP_K);
        else
            helper(f, in, true);
        break;
    case F_BINOP_T:
        if (divrem_ok(in))
            divrem(f, in);
        else
            helper(f, in, true);
        break;
    case F_UNOP:
        if (!unop(f, in, true) && !funop(f, in, true))
            helper(f, in, false);
        break;
    case F_UNOP_T: helper(f, in, false); break;
    case F_SHIFTOP: shiftop(f, in); break;
    case F_CMP: case F_CMP_K: case F_CMP_JT: case F_CMP_JF: case F_CMP_KJT: case F_CMP_KJF:
        if (in->type == T_F32 || in->type == T_F64)
            fcmp(f, in);
        else
            emit_fused(f, in);
        break;
    case F_TEST: case F_TEST_JT: case F_TEST_JF:
        emit_fused(f, in);
        break;
    default:
        if (kn_x64_simd_covered(f))
            kn_x64_simd(f);
        else if (kn_x64_runtime_covered(f))
            kn_x64_runtime(f);
        else
            emit_other(f, pc);
        break;
    }
}

/* ---- Whole functions ----------------------------------------------------- */

bool kn_x64_covers(kn_x64 *x, const kn_code *cd)
{
    fn f = {.x = x, .cd = cd};
    if ((uint64_t)cd->frame_slots * 8 + 8 > INT32_MAX)
        return false;
    for (uint32_t pc = 0; pc < cd->nwords;) {
        f.w = cd->words + pc;
        uint32_t n = covered(&f);
        if (!n || n > cd->nwords - pc)
            return false;
        if ((kn_op)f.w[0] == KN_OP_CALL && f.w[1] >= x->m->nfuncs)
            return false;
        pc += n;
    }
    return true;
}

/* The depth check, then the frame (jit.c, "Frames"): the check comes
 * first, so that a stack-exhausted trap's pc (the return address, on top
 * of the stack) and rbp are the caller's and its backtrace ends there, as
 * the interpreter's does.  jit_stack_limit holds both the thread's floor
 * and the call-depth limit (every compiled frame takes 16 bytes of
 * machine stack, so depth is distance).  KN_X64_PROLOGUE_PUSH and _FRAME
 * are where push rbp and the first instruction with the frame made are
 * (a profiler's sample of a pc before the latter sees no frame yet). */
static void prologue(fn *f)
{
    const kn_code *cd = f->cd;
    size_t start = B->len;
    kn_x64_alu_rm(B, 1, X_CMP, X_RSP, x64_m(X_R12, OFF(kiln_store, jit_stack_limit)));
    kn_x64_patch_rel32(B, kn_x64_jcc32(B, X_CC_B), f->x->trap_stub[KILN_TRAP_STACK_EXHAUSTED]);
    kn_x64_push(B, X_RBP);
    kn_x64_mov(B, 1, X_RBP, X_RSP);
    if (B->len - start != KN_X64_PROLOGUE_FRAME)
        f->oom = true;          /* cannot happen: the layout is fixed */
    uint32_t p = cd->param_slots, n = cd->local_slots;
    if (n <= 8) {
        for (uint32_t i = 0; i < n; i++)
            kn_x64_store_imm(B, 1, x64_m(X_RBX, (int32_t)(8 * (p + i))), 0);
    } else {
        kn_x64_lea(B, 1, X_RDI, x64_m(X_RBX, (int32_t)(8 * p)));
        kn_x64_mov_imm(B, X_RCX, n);
        kn_x64_alu_rr(B, 0, X_XOR, X_RAX, X_RAX);
        kn_x64_rep_stosq(B);
    }
}

static void spill(fn *f, bool load);
static uint32_t dirty_after(fn *f, uint32_t dirty, uint32_t *reload32);

/* Whether op always calls (C or compiled code): no need to find out by
 * emitting it. */
static bool always_calls(kn_op op)
{
    return op == KN_OP_CALL || op == KN_OP_CALL_INDIRECT || op == KN_OP_MEMORY_GROW;
}

/* An instruction that is not inline (see "Slots in registers"): as it
 * is if it calls nothing, else again between a spill and a reload.  A
 * call keeps the budget in r11 (compiled callees take it there, and its
 * paths into C store and reload it themselves); anything else that calls
 * gives it to the store's copy for its duration. */
static void emit_wrapped(fn *f, uint32_t pc)
{
    kn_op op = (kn_op)W[0];
    if (op == KN_OP_RET) {
        spill(f, false);
        emit_one(f, pc);
        return;
    }
    if (!always_calls(op)) {
        size_t len = B->len, calls = B->ncalls, nfix = f->nfix, nslow = f->nslow, njt = f->njt;
        size_t ntfix = f->ntfix;
        size_t npool = f->npool;
        size_t ncalls = f->x->ncalls, nrelocs = f->x->nrelocs;
        x64_fwd fwd = B->fwd;
        size_t zf_end = B->zf_end, zx_end = B->zx_end;
        int8_t zf_reg = B->zf_reg, zf_w = B->zf_w, zx_reg = B->zx_reg;
        emit_one(f, pc);
        if (B->ncalls == calls || B->oom || f->oom)
            return;
        B->len = len;
        B->ncalls = calls;
        B->fwd = fwd;
        B->zf_end = zf_end;
        B->zf_reg = zf_reg;
        B->zf_w = zf_w;
        B->zx_end = zx_end;
        B->zx_reg = zx_reg;
        f->nfix = nfix;
        f->ntfix = ntfix;
        f->nslow = nslow;
        f->njt = njt;
        f->npool = npool;
        f->x->ncalls = ncalls;
        f->x->nrelocs = nrelocs;
    }
    bool in_c = op != KN_OP_CALL && op != KN_OP_CALL_INDIRECT;
    spill(f, false);
    if (in_c)
        sync_budget(f, false);
    f->spilled = true;
    f->budget_stored = in_c;
    emit_one(f, pc);
    f->spilled = f->budget_stored = false;
    dirty_after(f, f->dirty, &f->reload32);     /* a call's i32 results */
    spill(f, true);
    f->reload32 = 0;
    if (in_c)
        sync_budget(f, true);
}

/* Out-of-line paths and jump tables, then every branch patched. */
static void epilogue(fn *f)
{
    for (size_t i = 0; i < f->nslow; i++) {
        kn_x64_patch_rel32(B, f->slow[i].at, B->len);
        spill(f, false);
        sync_budget(f, false);
        if (f->slow[i].keep_rcx) {     /* twice: the call stays 16-aligned */
            kn_x64_push(B, X_RCX);
            kn_x64_push(B, X_RCX);
        }
        kn_x64_mov(B, 1, X_RDI, X_R12);
        call_c(f, (const void *)kn_check_limits);
        if (f->slow[i].keep_rcx) {
            kn_x64_pop(B, X_RCX);
            kn_x64_pop(B, X_RCX);
        }
        spill(f, true);
        sync_budget(f, true);
        kn_x64_mov(B, 0, X_RAX, X_RAX);          /* a trap code: zero-extend */
        kn_x64_test_rr(B, 0, X_RAX, X_RAX);
        kn_x64_patch_rel32(B, kn_x64_jcc32(B, X_CC_NE), f->x->exit);
        kn_x64_patch_rel32(B, kn_x64_jmp32(B), f->slow[i].back);
    }
    /* one trap pad per code (and budget state) the function uses */
    size_t pad[2][KN_X64_NTRAPS] = {{0}};
    for (size_t i = 0; i < f->ntfix; i++) {
        const trapfix *t = &f->tfix[i];
        if (!pad[t->nf][t->code]) {
            pad[t->nf][t->code] = B->len;
            kn_x64_patch_rel32(B, kn_x64_call32(B),
                               t->nf ? f->x->trap_stub_nf[t->code] : f->x->trap_stub[t->code]);
        }
        kn_x64_patch_rel32(B, t->at, pad[t->nf][t->code]);
    }
    for (size_t i = 0; i < f->njt; i++) {
        while (B->len % 4)
            kn_x64_byte(B, 0xcc);
        size_t table = B->len;
        kn_x64_patch_rel32(B, f->jt[i].lea_at, table);
        uint32_t pc = f->jt[i].pc, n = f->cd->words[pc + 2];
        for (uint32_t k = 0; k <= n; k++) {
            uint32_t at = pc + 3 + k;
            uint32_t target = (uint32_t)((int64_t)at + (int32_t)f->cd->words[at]);
            kn_x64_u32(B, (uint32_t)(f->pos[target] - table));
        }
    }
    while (f->npool && B->len % 8)
        kn_x64_byte(B, 0xcc);
    for (size_t i = 0; i < f->npool; i++) {
        size_t at = B->len;
        for (size_t j = 0; j < i; j++)          /* the same constant once */
            if (f->pool[j].v == f->pool[i].v) {
                at = f->pool[j].at;             /* (patched: its constant's offset) */
                break;
            }
        if (at == B->len)
            for (int k = 0; k < 8; k++)
                kn_x64_byte(B, (uint8_t)(f->pool[i].v >> (8 * k)));
        kn_x64_patch_rel32(B, f->pool[i].at, at);
        f->pool[i].at = at;
    }
    for (size_t i = 0; i < f->nfix; i++)
        kn_x64_patch_rel32(B, f->fix[i].at, f->pos[f->fix[i].target]);
}

/* ---- Slots in registers ------------------------------------------------
 *
 * Every value lives in its frame slot, and templates address slots through
 * SLOT(), so a slot can live in a register instead by making SLOT() return
 * that register as a direct r/m operand: every integer form the inline
 * templates use has a register variant.  The allocation is per function and
 * fixed (no state to reconcile at labels): the KN_X64_NREGS slots with the
 * most uses, weighted by loop nesting, among those whose every use can
 * take a register (`gpr_operands`: the inline integer templates, the
 * numeric helpers, which run spilled, a call's frame, and the integer
 * source of a conversion to float).  Any other operand is a slot in
 * memory (never allocated, nor the slot after it when the instruction
 * names v128 values, for their second halves); the instructions that are
 * not inline and turn out to call anything (found by emitting them once and counting calls;
 * then the buffer, its fixups, call sites and relocations are rewound)
 * are emitted again wrapped: the registers are
 * stored to their slots before (SLOT() gives memory while `spilled`) and
 * loaded back after, since the callee may read or write any slot (a
 * call's arguments and results) and clobbers the registers.  A wrapped
 * instruction must not branch to a label after a call (none does: calls
 * leave only through the trap exit).  `ret` stores them (the results), the
 * budget's out-of-line path stores and reloads around kn_check_limits, and
 * the prologue loads them once the locals are zeroed.
 *
 * The store's budget counter lives in r11 (KN_X64_BUDGET) for all of
 * compiled code: the entry trampoline loads it and stores it back on
 * return, and a direct call between compiled functions passes it along in
 * r11, so calls and returns touch no memory for it.  Whatever else calls
 * C stores it first and reloads it after (sync_budget: kn_check_limits
 * and C see the store's copy), and the trap stubs store it (trap_stub;
 * past such a store, where the store's copy is the live one and r11 may
 * be a C call's leftover, trap_stub_nf: f->budget_stored).  A back-edge
 * then costs a register decrement instead of a read-modify-write of
 * memory that the next iteration's would wait on.  Fuel stays exact: the
 * same units are charged at the same places.
 * Floats: xmm4-xmm15 hold the KN_X64_NXREGS best float slots (xmm_operands
 * says which operands may be one; an instruction that names such a slot
 * elsewhere gets it lent to memory around it, xmm_lend). */

/* Whether the instruction at W is an inline integer template whose slot
 * operands are all reached through SLOT() (see above). */
static bool is_inline_op(fn *f)
{
    kn_op op = (kn_op)W[0];
    const opinfo *in = &infos[op];
    bool intty = in->type == T_I32 || in->type == T_I64;
    switch (in->fam) {
    case F_LOAD: case F_LOAD_A: case F_LOAD_X: case F_LOAD_K: case F_LOAD_XS: case F_LOAD_AS:
    case F_STORE: case F_STORE_K: case F_STORE_AK: case F_SHIFTOP:
        return true;
    case F_BINOP: case F_BINOP_K: return binop_ok(in);
    case F_BINOP_T: return divrem_ok(in);
    case F_UNOP: return unop(f, in, false);
    case F_CMP: case F_CMP_K: case F_CMP_JT: case F_CMP_JF: case F_CMP_KJT: case F_CMP_KJF:
    case F_TEST: case F_TEST_JT: case F_TEST_JF:
        return intty;
    default: break;
    }
    switch (op) {
    case KN_OP_COPY: case KN_OP_COPY_PAIR: case KN_OP_CONST32: case KN_OP_CONST64:
    case KN_OP_SELECT1: case KN_OP_I32_SHL_ADD_K: case KN_OP_JMP: case KN_OP_JMP_BACK:
    case KN_OP_JMP_IF: case KN_OP_JMP_UNLESS: case KN_OP_JMP_TABLE: case KN_OP_GLOBAL_GET1:
    case KN_OP_GLOBAL_SET1: case KN_OP_MEMORY_SIZE:
        return true;
    default:
        return false;
    }
}

/* Whether the instruction at W is a numeric one without a template: its
 * helper (helpers.c) reads and writes its slots in memory, between a
 * spill and a reload (emit_wrapped). */
static bool by_helper_op(fn *f)
{
    const opinfo *in = &infos[W[0]];
    switch (in->fam) {
    case F_UNOP_T: return true;
    case F_BINOP_T: return !divrem_ok(in);
    case F_UNOP: return !unop(f, in, false) && !funop(f, in, false);
    case F_BINOP: case F_BINOP_K: return !binop_ok(in) && !fbinop_ok(in);
    default: return false;
    }
}

/* The operand words of the instruction at W (bit k: W[k]) that its
 * template reaches only through SSE forms or move_slot, so that they may
 * be slots in xmm registers: the float operands of the float templates
 * that call nothing, float loads' destinations and stores' values,
 * copies and constants. */
static uint32_t xmm_operands_op(fn *f)
{
    kn_op op = (kn_op)W[0];
    const opinfo *in = &infos[op];
    bool flt = in->type == T_F32 || in->type == T_F64;
    uint8_t sse;
    switch (in->fam) {
    case F_LOAD: case F_LOAD_A: case F_LOAD_X: case F_LOAD_K: case F_LOAD_XS: case F_LOAD_AS:
        return flt ? 1u << 1 : 0;
    case F_STORE: return flt ? 1u << 2 : 0;
    case F_BINOP: return flt && fbin_of(in->base, &sse) ? 7u << 1 : 0;
    case F_BINOP_K: return flt && fbin_of(in->base, &sse) ? 3u << 1 : 0;
    case F_CMP: return flt ? 3u << 2 : 0;
    case F_CMP_K: return flt ? 1u << 2 : 0;
    case F_CMP_JT: case F_CMP_JF: return flt ? 3u << 1 : 0;
    case F_CMP_KJT: case F_CMP_KJF: return flt ? 1u << 1 : 0;
    case F_UNOP:
        if (!funop(f, in, false))
            return 0;
        switch (in->base) {
        case KN_OP_F32_ABS: case KN_OP_F64_ABS: case KN_OP_F32_NEG: case KN_OP_F64_NEG:
            return 0;                               /* bit operations on rax */
        default:
            return flt ? 3u << 1 : 1u << 1;         /* from an integer: the result */
        }
    default: break;
    }
    switch (op) {
    case KN_OP_COPY: return 3u << 1;
    case KN_OP_COPY_PAIR: return 15u << 1;
    case KN_OP_CONST32: case KN_OP_CONST64: return 1u << 1;
    case KN_OP_F32_MULADD: case KN_OP_F32_MULSUB: case KN_OP_F32_MULRSUB:
    case KN_OP_F64_MULADD: case KN_OP_F64_MULSUB: case KN_OP_F64_MULRSUB:
        return 15u << 1;
    default: return 0;
    }
}

/* Whether the instruction at W may have an xmm slot lent to memory around
 * it (xmm_lend): any but the v128 and runtime ones, which name slot
 * ranges. */
static bool lendable_op(fn *f)
{
    return infos[W[0]].type != T_V128 && !kn_x64_simd_covered(f) && !kn_x64_runtime_covered(f);
}

/* Whether the instruction at W may name v128 operands, two slots each. */
static bool names_v128_op(fn *f)
{
    kn_op op = (kn_op)W[0];
    return op == KN_OP_COPY2 || op == KN_OP_SELECT2 || op == KN_OP_GLOBAL_GET2 ||
           op == KN_OP_GLOBAL_SET2 || infos[op].type == T_V128 || kn_x64_simd_covered(f);
}

/* The answers of the classifiers above for the instruction at W, an
 * opcode below KN_OP_COUNT, cached per opcode in f->x (they depend on the
 * opcode and the CPU features alone; covered_op's on operands too for
 * TRAP and JMP_TABLE, which covered() asks afresh). */
enum { OC_KNOWN = 1, OC_INLINE = 2, OC_HELPER = 4, OC_V128 = 8, OC_LENDABLE = 16 };
static unsigned op_class_fill(fn *f)
{
    kn_x64 *x = f->x;
    kn_op op = (kn_op)W[0];
    x->oplen[op] = (uint8_t)covered_op(f);
    x->opxmm[op] = (uint8_t)xmm_operands_op(f);
    x->opclass[op] = (uint8_t)(OC_KNOWN | (is_inline_op(f) ? OC_INLINE : 0) |
                               (by_helper_op(f) ? OC_HELPER : 0) |
                               (names_v128_op(f) ? OC_V128 : 0) |
                               (lendable_op(f) ? OC_LENDABLE : 0));
    return x->opclass[op];
}

static inline unsigned op_class(fn *f)
{
    unsigned c = f->x->opclass[W[0]];
    return c ? c : op_class_fill(f);
}

static bool is_inline(fn *f) { return op_class(f) & OC_INLINE; }
static bool by_helper(fn *f) { return op_class(f) & OC_HELPER; }
static bool names_v128(fn *f) { return op_class(f) & OC_V128; }
static bool lendable(fn *f) { return op_class(f) & OC_LENDABLE; }
static uint32_t xmm_operands(fn *f) { return op_class(f), f->x->opxmm[W[0]]; }

/* The operand words of the instruction at W (bit k: W[k]) that may be
 * slots in general registers: every one of an inline template (is_inline)
 * and of a helper's (by_helper), and the integer source of a conversion
 * to float, which its template loads through SLOT(). */
static uint32_t gpr_operands(fn *f)
{
    if (is_inline(f) || by_helper(f))
        return ~1u;
    const opinfo *in = &infos[W[0]];
    if (in->fam == F_UNOP && (in->type == T_I32 || in->type == T_I64) &&
        (in->inner == T_F32 || in->inner == T_F64) && funop(f, in, false))
        return 1u << 2;
    return 0;
}

static uint32_t covered(fn *f)
{
    kn_op op = (kn_op)W[0];
    if (op >= KN_OP_COUNT)
        return 0;
    if (op == KN_OP_TRAP || op == KN_OP_JMP_TABLE)
        return covered_op(f);
    return op_class(f), f->x->oplen[op];
}

/* The n slots of the highest weights above `best` into picks (taking them
 * out of weight); how many there were. */
static int pick_slots(uint64_t *weight, uint32_t ns, uint64_t best, uint32_t *picks, int n)
{
    int got = 0;
    while (got < n) {
        uint64_t top = best;
        uint32_t pick = UINT32_MAX;
        for (uint32_t s = 0; s < ns; s++)
            if (weight[s] != UINT64_MAX && weight[s] > top)
                top = weight[s], pick = s;
        if (pick == UINT32_MAX)
            break;
        picks[got++] = pick;
        weight[pick] = UINT64_MAX;
    }
    return got;
}

/* Choose f->aslot and f->xslot: weight each slot by its uses, x8 per
 * enclosing loop (a backward branch spans one); never a general register
 * for a slot some instruction names outside gpr_operands, nor an xmm
 * register for a slot some instruction names outside xmm_operands or no
 * float template names.  Returns false when out of memory. */
static bool allocate(fn *f)
{
    const kn_code *cd = f->cd;
    uint32_t ns = cd->frame_slots;
    f->nalloc = f->nxalloc = 0;
    if (!ns)
        return true;
    uint64_t *weight = kn_calloc(f->x->alloc, 3 * (size_t)ns, sizeof *weight);
    uint64_t *xweight = weight ? weight + ns : NULL, *xlend = weight ? weight + 2 * ns : NULL;
    int32_t *depth = kn_calloc(f->x->alloc, cd->nwords + 1, sizeof *depth);
    uint8_t *fuse = kn_calloc(f->x->alloc, ns, 1);    /* some float template names it */
    if (!weight || !depth || !fuse) {
        kn_free(f->x->alloc, weight);
        kn_free(f->x->alloc, depth);
        kn_free(f->x->alloc, fuse);
        return false;
    }
    for (uint32_t pc = 0; pc < cd->nwords;) {     /* loops: backward branches */
        f->w = cd->words + pc;
        uint32_t n = f->ilen[pc];
        const char *lay = kn_op_layout(W[0]);
        for (uint32_t i = 0; lay && lay[i]; i++) {
            int32_t off = (int32_t)W[1 + i];
            if (lay[i] == 'j' && off < 0) {
                uint32_t at = pc + 1 + i, t = (uint32_t)((int64_t)at + off);
                depth[t]++;
                depth[pc + n]--;
            }
        }
        pc += n;
    }
    int32_t d = 0;
    uint64_t cost = 4;          /* the prologue's load, once per call */
    for (uint32_t pc = 0; pc < cd->nwords;) {
        f->w = cd->words + pc;
        uint32_t n = f->ilen[pc];
        for (uint32_t i = pc; i < pc + n; i++)
            d += depth[i];
        bool ok = is_inline(f);
        uint32_t gm = gpr_operands(f);
        uint32_t xm = xmm_operands(f);
        uint64_t wt = (uint64_t)1 << (3 * (d < 0 ? 0 : d > 6 ? 6 : d));
        kn_op op = (kn_op)W[0];
        if (always_calls(op))
            cost += 4 * wt;     /* stored before, loaded after: on the critical path */
        else if (op == KN_OP_RET)
            cost += wt;
        const char *lay = kn_op_layout(W[0]);
        for (uint32_t i = 0; lay && lay[i]; i++) {
            if (lay[i] != 'd' && lay[i] != 's' && lay[i] != 'b')
                continue;
            uint32_t s = W[1 + i];
            if (s >= ns)
                continue;
            if (lay[i] == 'b') {
                /* a call's frame (arguments, then results): no template
                 * reads it, the registers go to their slots before the call
                 * and come back after it (emit_wrapped) */
            } else if (!(gm >> (1 + i) & 1)) {         /* never: see gpr_operands */
                weight[s] = UINT64_MAX;
                if (s + 1 < ns && names_v128(f))
                    weight[s + 1] = UINT64_MAX;      /* the second half */
            } else if (weight[s] != UINT64_MAX)
                weight[s] += wt;
            if (lay[i] == 'b') {
                xweight[s] = UINT64_MAX;
            } else if (xm >> (1 + i) & 1) {
                if (xweight[s] != UINT64_MAX)
                    xweight[s] += wt;
                if (op != KN_OP_COPY && op != KN_OP_COPY_PAIR && op != KN_OP_CONST32 &&
                    op != KN_OP_CONST64)
                    fuse[s] = 1;
            } else if (lendable(f)) {
                xlend[s] += 2 * wt;             /* lent to memory: a store, maybe a load */
            } else {
                xweight[s] = UINT64_MAX;
                if (!ok && !xm && s + 1 < ns && names_v128(f))  /* the second half */
                    xweight[s + 1] = UINT64_MAX;
            }
        }
        pc += n;
    }
    /* A slot is worth a register when its weighted uses (each a memory
     * access saved) outnumber the weighted stores and loads that calls,
     * returns and the prologue add for it. */
    uint64_t best = cost + 1 > 2 ? cost + 1 : 2;
    f->nalloc = pick_slots(weight, ns, best, f->aslot,
                           msize_in_r14(f) ? KN_X64_NREGS - 1 : KN_X64_NREGS);
    for (int i = 0; i < f->nalloc; i++)
        xweight[f->aslot[i]] = UINT64_MAX;
    /* an xmm register only for a float value: a slot only copied and set
     * to constants there, but read by integer templates, would be lent to
     * memory at each of those reads */
    for (uint32_t s = 0; s < ns; s++)
        if (xweight[s] != UINT64_MAX)
            xweight[s] = !fuse[s] ? 0 : xweight[s] > xlend[s] ? xweight[s] - xlend[s] : 0;
    f->nxalloc = pick_slots(xweight, ns, best, f->xslot, KN_X64_NXREGS);
    kn_free(f->x->alloc, weight);
    kn_free(f->x->alloc, depth);
    kn_free(f->x->alloc, fuse);
    return true;
}

/* ---- Zero-extended registers -------------------------------------------
 *
 * An i32 address in a register indexes memory as it is, [r13 + r + off],
 * only when the register's upper half is zero ("clean"); otherwise it
 * costs a `mov eax, r32` first.  The 32-bit templates write their
 * register with 32-bit operations, which clear the upper half, but a slot
 * may also be written by a 64-bit template (lowering reuses a slot for
 * values of several types), by a copy or a select (64 bits: clean when
 * their sources are), by a caller (a parameter) and by a callee (a
 * result).  find_clean follows the registers through the code, forward
 * to a fixpoint, and records at each instruction which of them may be
 * dirty (f->dirty while that instruction is emitted).  Spilling and
 * reloading a register is a 64-bit round trip that keeps it as it was;
 * the two loads of values written elsewhere are 32-bit for i32 values,
 * which makes them clean whatever the slot's upper half in memory holds
 * (a 32-bit store leaves it, and the interpreter's slots too): i32
 * parameters in the prologue and i32 results after a call (f->reload32).
 * Past a call every other register of a slot from its base on is dirty:
 * the callee's frame, which it may have written. */

static uint32_t alloc_bit(const fn *f, uint32_t s)
{
    int i = kn_x64_gpr_index(f, s);
    return i < 0 ? 0 : 1u << i;
}

/* Whether the instruction at W leaves its destination, word k, clean when
 * the registers of `dirty` may not be. */
static bool writes_clean(fn *f, uint32_t k, uint32_t dirty)
{
    const opinfo *in = &infos[W[0]];
    if (by_helper(f))           /* written in memory, reloaded at 64 bits */
        return false;
    switch (in->fam) {
    case F_LOAD: case F_LOAD_A: case F_LOAD_X: case F_LOAD_K: case F_LOAD_XS: case F_LOAD_AS:
    case F_BINOP: case F_BINOP_K: case F_BINOP_T: case F_SHIFTOP:
        return in->type == T_I32;
    case F_CMP: case F_CMP_K: case F_TEST:
        return true;                        /* set_bool: a 32-bit write */
    case F_UNOP:
        return in->inner == T_I32 || in->base == KN_OP_I64_EXTEND_I32_U;
    default: break;
    }
    uint32_t a, b;
    switch ((kn_op)W[0]) {
    case KN_OP_CONST32: case KN_OP_MEMORY_SIZE: case KN_OP_I32_SHL_ADD_K:
        return true;
    case KN_OP_CONST64:
        return W[3] == 0;
    case KN_OP_COPY: case KN_OP_COPY_PAIR:
        a = alloc_bit(f, W[k + 1]);
        return a && !(dirty & a);
    case KN_OP_SELECT1:
        a = alloc_bit(f, W[2]), b = alloc_bit(f, W[3]);
        return a && b && !(dirty & (a | b));
    default:
        return false;
    }
}

/* The registers of the i32 results of a call of type ty at slot base. */
static uint32_t i32_results(const fn *f, const kn_functype *ty, uint32_t base)
{
    uint32_t bits = 0;
    for (uint32_t i = 0, s = base; i < ty->nresults; s += kn_slots_of(ty->types[ty->nparams + i]), i++)
        if (ty->types[ty->nparams + i] == KN_I32)
            bits |= alloc_bit(f, s);
    return bits;
}

/* The registers at or above slot base. */
static uint32_t regs_from(const fn *f, uint32_t base)
{
    uint32_t bits = 0;
    for (int i = 0; i < f->nalloc; i++)
        if (f->aslot[i] >= base)
            bits |= 1u << i;
    return bits;
}

/* The dirty registers after the instruction at W, from those before;
 * *reload32: the registers its reload after a call loads at 32 bits. */
static uint32_t dirty_after(fn *f, uint32_t dirty, uint32_t *reload32)
{
    const kn_module *m = f->x->m;
    const char *lay = kn_op_layout(W[0]);
    *reload32 = 0;
    for (uint32_t i = 0; lay && lay[i]; i++) {
        uint32_t bit = lay[i] == 'd' ? alloc_bit(f, W[1 + i]) : 0;
        if (bit && writes_clean(f, 1 + i, dirty))
            dirty &= ~bit;
        else
            dirty |= bit;
    }
    kn_op op = (kn_op)W[0];
    if (op == KN_OP_CALL || op == KN_OP_CALL_INDIRECT) {
        uint32_t base = op == KN_OP_CALL ? W[2] : W[4];
        const kn_functype *ty = op == KN_OP_CALL ? &m->types[m->funcs[W[1]].type] : &m->types[W[1]];
        *reload32 = i32_results(f, ty, base);
        dirty = (dirty | regs_from(f, base)) & ~*reload32;
    }
    return dirty;
}

enum { REACHED = 0x100 };

/* Join dirty into the state at t, a successor of pc.  The pass visits pcs
 * in order, so only a change behind it (a loop's back-edge) needs another
 * pass: a loop-free function takes one. */
static void flow_to(uint16_t *state, uint32_t t, uint32_t pc, uint32_t dirty, bool *again)
{
    uint16_t v = (uint16_t)(state[t] | dirty | REACHED);
    if (v != state[t]) {
        state[t] = v;
        if (t <= pc)
            *again = true;
    }
}

/* state[pc]: REACHED and the registers that may be dirty before the
 * instruction at pc; the prologue's entry state in *entry_reload32 (the
 * i32 parameters, loaded at 32 bits). */
static void find_clean(fn *f, const kn_functype *ty, uint16_t *state, uint32_t *entry_reload32)
{
    const kn_code *cd = f->cd;
    uint32_t dirty = 0, i32 = 0;
    if (!f->nalloc)
        return;                 /* no register to be dirty */
    for (uint32_t i = 0, s = 0; i < ty->nparams; s += kn_slots_of(ty->types[i]), i++)
        if (ty->types[i] == KN_I32)
            i32 |= alloc_bit(f, s);
        else
            dirty |= alloc_bit(f, s);
    *entry_reload32 = i32;
    state[0] = (uint16_t)(dirty | REACHED);
    for (bool again = true; again;) {
        again = false;
        for (uint32_t pc = 0; pc < cd->nwords; pc += f->ilen[pc]) {
            if (!(state[pc] & REACHED))
                continue;
            f->w = cd->words + pc;
            uint32_t r32, out = dirty_after(f, state[pc] & 0xff, &r32);
            kn_op op = (kn_op)W[0];
            const char *lay = kn_op_layout(W[0]);
            for (uint32_t i = 0; lay && lay[i]; i++)
                if (lay[i] == 'j')
                    flow_to(state, (uint32_t)((int64_t)pc + 1 + i + (int32_t)W[1 + i]), pc, out, &again);
            if (op == KN_OP_JMP_TABLE)
                for (uint32_t k = 0; k <= W[2]; k++)
                    flow_to(state, (uint32_t)((int64_t)pc + 3 + k + (int32_t)W[3 + k]), pc, out, &again);
            if (op != KN_OP_JMP && op != KN_OP_JMP_BACK && op != KN_OP_JMP_TABLE &&
                op != KN_OP_RET && op != KN_OP_TRAP && pc + f->ilen[pc] < cd->nwords)
                flow_to(state, pc + f->ilen[pc], pc, out, &again);
        }
    }
}

/* The xmm register slot s has (whether or not lent), or -1. */
static int xmm_index(const fn *f, uint32_t s)
{
    for (int i = 0; i < f->nxalloc; i++)
        if (f->xslot[i] == s)
            return i;
    return -1;
}

/* Before the instruction at W: the xmm slots it names outside
 * xmm_operands are lent to memory for it (stored, and f->xoff makes
 * SLOT() give memory); returns those it writes, to load back after it
 * (xmm_return).  No instruction that writes a slot branches, so the
 * registers of the slots it only reads still hold their values on every
 * path out of it. */
static uint32_t xmm_lend(fn *f)
{
    if (!f->nxalloc)
        return 0;
    const char *lay = kn_op_layout(W[0]);
    uint32_t xm = xmm_operands(f), writes = 0;
    for (uint32_t i = 0; lay && lay[i]; i++) {
        int j = lay[i] == 'd' || lay[i] == 's' ? xmm_index(f, W[1 + i]) : -1;
        if (j < 0 || (xm >> (1 + i) & 1) || (f->xoff >> j & 1))
            continue;
        kn_x64_sse_store(B, 1, x64_m(X_RBX, (int32_t)(8 * W[1 + i])), KN_X64_XMM0 + j);
        f->xoff |= 1u << j;
    }
    for (uint32_t i = 0; f->xoff && lay[i]; i++) {
        int j = lay[i] == 'd' ? xmm_index(f, W[1 + i]) : -1;
        if (j >= 0 && (f->xoff >> j & 1))
            writes |= 1u << j;
    }
    return writes;
}

static void xmm_return(fn *f, uint32_t writes)
{
    for (int j = 0; j < f->nxalloc; j++)
        if (writes >> j & 1)
            kn_x64_sse_rm(B, 1, X_SSE_LOAD, KN_X64_XMM0 + j, x64_m(X_RBX, (int32_t)(8 * f->xslot[j])));
    f->xoff = 0;
}

/* Store the registers to their slots (load: the slots to the registers). */
static void spill(fn *f, bool load)
{
    for (int i = 0; i < f->nalloc; i++) {
        x64_mem m = x64_m(X_RBX, (int32_t)(8 * f->aslot[i]));
        if (load)
            kn_x64_load(B, !(f->reload32 >> i & 1), kn_x64_alloc_regs[i], m);
        else
            kn_x64_store(B, 1, m, kn_x64_alloc_regs[i]);
    }
    for (int i = 0; i < f->nxalloc; i++) {
        x64_mem m = x64_m(X_RBX, (int32_t)(8 * f->xslot[i]));
        if (load)
            kn_x64_sse_rm(B, 1, X_SSE_LOAD, KN_X64_XMM0 + i, m);
        else
            kn_x64_sse_store(B, 1, m, KN_X64_XMM0 + i);
    }
}

/* Mark every word a branch may reach (the 'j' operands of opcodes.def's
 * layouts, and jump tables' entries), so that forwarding (x64_emit.c)
 * stops there: another path arrives with other registers; and the
 * targets of backward branches, loop heads, which are aligned to 16
 * bytes (where a loop's code starts decides how the front end fetches
 * it: matmul's inner loop ran 14% apart between two placements).  Also
 * each instruction's length, in f->ilen. */
enum { BRANCH_TARGET = 1, LOOP_HEAD = 2 };
static void mark_targets(fn *f, uint8_t *target)
{
    const kn_code *cd = f->cd;
    for (uint32_t pc = 0; pc < cd->nwords;) {
        f->w = cd->words + pc;
        uint32_t n = f->ilen[pc] = covered(f);
        const char *lay = kn_op_layout(cd->words[pc]);
        for (uint32_t i = 0; lay && lay[i]; i++) {
            uint32_t at = pc + 1 + i;
            if (lay[i] == 'j' && at < cd->nwords)
                target[(uint32_t)((int64_t)at + (int32_t)cd->words[at])] |=
                    (int32_t)cd->words[at] < 0 ? BRANCH_TARGET | LOOP_HEAD : BRANCH_TARGET;
        }
        if ((kn_op)cd->words[pc] == KN_OP_JMP_TABLE) {
            for (uint32_t k = 0; k <= cd->words[pc + 2]; k++) {
                uint32_t at = pc + 3 + k;
                target[(uint32_t)((int64_t)at + (int32_t)cd->words[at])] |= BRANCH_TARGET;
            }
        }
        pc += n;
    }
}

bool kn_x64_function(kn_x64 *x, uint32_t func, size_t *entry)
{
    const kn_code *cd = x->m->funcs[func].code;
    fn f = {.x = x, .b = &x->b, .cd = cd};
    f.pos = kn_calloc(x->alloc, cd->nwords + 1, sizeof *f.pos);
    f.ilen = kn_calloc(x->alloc, cd->nwords + 1, sizeof *f.ilen);
    uint8_t *target = kn_calloc(x->alloc, cd->nwords + 1, 1);
    uint16_t *state = kn_calloc(x->alloc, cd->nwords + 1, sizeof *state);
    bool ok = f.pos && f.ilen && target && state;
    if (ok)
        mark_targets(&f, target);       /* and f.ilen */
    if (!ok || !allocate(&f)) {
        kn_free(x->alloc, f.pos);
        kn_free(x->alloc, f.ilen);
        kn_free(x->alloc, target);
        kn_free(x->alloc, state);
        return false;
    }
    find_clean(&f, &x->m->types[x->m->funcs[func].type], state, &f.reload32);
    x->b.forward = true;
    *entry = x->b.len;
    prologue(&f);
    spill(&f, true);
    f.reload32 = 0;
    for (uint32_t pc = 0; pc < cd->nwords;) {
        f.w = cd->words + pc;
        f.pc = pc;
        if (target[pc] & LOOP_HEAD)
            kn_x64_nops(&x->b, (16 - x->b.len % 16) % 16);
        f.pos[pc] = x->b.len;
        if (target[pc])
            kn_x64_label(&x->b);
        uint32_t n = f.ilen[pc];
        /* unreached code (none, but for dead code) assumes the worst */
        f.dirty = state[pc] & REACHED ? state[pc] & 0xffu : 0xffu;
        uint32_t writes = xmm_lend(&f);
        if (is_inline(&f)) {   /* else wrapped: r11 always holds the budget */
            emit_one(&f, pc);
        } else {
            emit_wrapped(&f, pc);
        }
        xmm_return(&f, writes);
        pc += n;
    }
    kn_x64_label(&x->b);
    epilogue(&f);
    x->b.forward = false;
    ok = !f.oom && !x->b.oom;
    kn_free(x->alloc, target);
    kn_free(x->alloc, state);
    kn_free(x->alloc, f.ilen);
    kn_free(x->alloc, f.pos);
    kn_free(x->alloc, f.fix);
    kn_free(x->alloc, f.slow);
    kn_free(x->alloc, f.jt);
    kn_free(x->alloc, f.pool);
    kn_free(x->alloc, f.tfix);
    return ok;
}
