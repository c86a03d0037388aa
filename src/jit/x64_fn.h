/*
 * x64_fn.h — what the template files of the native tier share: the state
 * of one function's compilation (fn), the operand shorthands the
 * templates are written in, and the few steps every family needs.
 *
 * The templates are split by instruction family: x64_compile.c (scalar
 * numeric, memory, control, calls; it also drives a function and holds
 * `covered`, the one place that says what is covered), x64_simd.c (v128
 * moves, loads, stores and lane operations) and x64_runtime.c (bulk
 * memory, tables, references: calls into the engine's runtime).  The
 * register roles are x64_compile.c's.
 */
#ifndef KN_X64_FN_H
#define KN_X64_FN_H

#include <stddef.h>

#include "x64_jit.h"

/* What an opcode is, by operand form (x64_compile.c's table). */
enum fam {
    F_NONE, F_LOAD, F_LOAD_A, F_LOAD_X, F_LOAD_K, F_LOAD_XS, F_LOAD_AS,
    F_STORE, F_STORE_K, F_STORE_AK, F_UNOP, F_BINOP, F_BINOP_K,
    F_CMP, F_CMP_K, F_CMP_JT, F_CMP_JF, F_CMP_KJT, F_CMP_KJF,
    F_TEST, F_TEST_JT, F_TEST_JF, F_BINOP_T, F_UNOP_T, F_SHIFTOP, F_OTHER,
    F_VLOAD_LANE                /* address form only: dst addr x offset lane */
};
enum { T_I32 = 1, T_I64, T_F32, T_F64, T_V128 };

typedef struct fixup { size_t at; uint32_t target; } fixup;  /* rel32 → word index */
typedef struct slowpath { size_t at, back; bool keep_rcx; } slowpath;   /* budget */
typedef struct jtable { size_t lea_at; uint32_t pc; } jtable;
typedef struct fconst { size_t at; uint64_t v; } fconst;     /* rel32 → a pooled constant */
typedef struct trapfix { size_t at; uint16_t code; bool nf; } trapfix;  /* rel32 → a trap pad */

/* Frame slots kept in registers for a whole function (x64_compile.c,
 * "Slots in registers"): at most KN_X64_NREGS, in r8-r10, rsi, rdi and
 * rdx, which templates use only to pass arguments to calls (after the
 * spill), but for div and rem, which keep rdx on the machine stack; and
 * r14 where it does not hold the memory's size (x64_compile.c,
 * msize_in_r14: with guard pages).
 * r11 holds the store's budget counter the same way (KN_X64_BUDGET): a
 * back-edge decrements a register, not memory, so that a tight loop does
 * not wait on its own store each iteration. */
#define KN_X64_NREGS 7
static const x64_reg kn_x64_alloc_regs[KN_X64_NREGS] = {X_R8, X_R9, X_R10, X_RSI, X_RDI, X_RDX,
                                                        X_R14};
/* Float slots in xmm4-xmm15 (templates use xmm0-xmm3 as scratch); slot
 * xslot[i] is in xmm KN_X64_XMM0 + i. */
#define KN_X64_NXREGS 12
#define KN_X64_XMM0 4

typedef struct fn {
    kn_x64 *x;
    x64_buf *b;
    const kn_code *cd;
    const uint32_t *w;          /* the current instruction, at word pc */
    uint32_t pc;
    size_t *pos;                /* machine offset of each word (instruction starts) */
    uint32_t *ilen;             /* length in words of the instruction at each start */
    fixup *fix; size_t nfix, capfix;
    slowpath *slow; size_t nslow, capslow;
    jtable *jt; size_t njt, capjt;
    fconst *pool; size_t npool, cappool;   /* float constants, after the code */
    trapfix *tfix; size_t ntfix, captfix;  /* branches to its trap pads */
    uint32_t aslot[KN_X64_NREGS];   /* the slot each of kn_x64_alloc_regs holds */
    int nalloc;
    uint32_t dirty;             /* bit i: aslot[i]'s register may have upper bits set here */
    uint32_t reload32;          /* bit i: the next reload loads aslot[i] at 32 bits */
    uint32_t xslot[KN_X64_NXREGS];  /* the slot each of xmm4-xmm15 holds */
    int nxalloc;
    uint32_t xoff;              /* bit i: xslot[i] in memory for this instruction */
    uint32_t ea_off;            /* the static offset a store's index lacks (kn_x64_wrote) */
    x64_reg ea_idx;             /* ... and that index: rax, or a clean slot's register */
    bool spilled;               /* inside a wrapped instruction: slots in memory */
    bool budget_stored;         /* ... and the store's copy of the budget is the live one */
    bool oom;
} fn;

/* The xmm register slot s is in, or -1. */
static inline int kn_x64_xmm_of(const fn *f, uint32_t s)
{
    if (!f->spilled)
        for (int i = 0; i < f->nxalloc; i++)
            if (f->xslot[i] == s && !(f->xoff >> i & 1))
                return KN_X64_XMM0 + i;
    return -1;
}

/* The index in kn_x64_alloc_regs of the general register slot s has
 * (whether or not spilled), or -1. */
static inline int kn_x64_gpr_index(const fn *f, uint32_t s)
{
    for (int i = 0; i < f->nalloc; i++)
        if (f->aslot[i] == s)
            return i;
    return -1;
}

/* Slot s as an operand: its register while it has one (a general one, or
 * an xmm one, which only SSE forms are given), else [rbx + 8s]. */
static inline x64_mem kn_x64_slot(const fn *f, uint32_t s)
{
    if (!f->spilled) {
        int i = kn_x64_gpr_index(f, s);
        if (i >= 0)
            return x64_direct(kn_x64_alloc_regs[i]);
        int x = kn_x64_xmm_of(f, s);
        if (x >= 0)
            return x64_direct((x64_reg)x);
    }
    return x64_m(X_RBX, (int32_t)(8 * s));
}

/* Slot s's general register when it holds a zero-extended 32-bit value
 * here (x64_compile.c, find_clean), so that it can index memory as it
 * is; else X_NOREG. */
static inline x64_reg kn_x64_clean_reg(const fn *f, uint32_t s)
{
    int i = f->spilled ? -1 : kn_x64_gpr_index(f, s);
    return i < 0 || f->dirty >> i & 1 ? X_NOREG : kn_x64_alloc_regs[i];
}

#define B (f->b)
#define W (f->w)
#define SLOT(k) kn_x64_slot(f, W[k])
#define OFF(T, field) ((int32_t)offsetof(T, field))

/* x64_compile.c: rax = the effective address of a load/store form (`family`
 * says which words hold the address operands and the offset), after the
 * bounds check (ea + size beyond the memory traps, as the interpreter).
 * With guard pages the check is left to the fault handler, which knows
 * only compiled code: by_c says a C helper will make the access, so the
 * explicit check stays. */
void kn_x64_address(fn *f, uint8_t family, uint8_t size, bool by_c);
void kn_x64_wrote(fn *f);
/* x64_compile.c: a call to C (System V; rsp is 16-aligned between
 * instructions).  Every call from compiled code to C goes through here. */
void kn_x64_call_c(fn *f, const void *helper);
/* After a call to C that returned a trap code in eax: leave with it when
 * it is not zero. */
void kn_x64_exit_if_trap(fn *f);

/* The length in words of the current instruction if its family covers it,
 * else 0 (x64_compile.c's `covered` asks each family), and its code. */
uint32_t kn_x64_simd_covered(const fn *f);
void kn_x64_simd(fn *f);
uint32_t kn_x64_runtime_covered(const fn *f);
void kn_x64_runtime(fn *f);

/* Length of an instruction with a fixed layout (opcodes.def's LAYOUT). */
uint32_t kn_x64_len(uint32_t op);

#endif
