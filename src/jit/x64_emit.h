/*
 * x64_emit.h — a small x86-64 encoder: a growable byte buffer and one
 * function per instruction form the native tier uses (x64_compile.c).
 *
 * Forms are named after what they do, not after the manual's mnemonic
 * tables: kn_x64_load(b, w, r, m) is `mov r, [m]`.  A memory operand is a
 * base register, an optional index register with a scale, and a 32-bit
 * displacement (x64_mem); every encoding picks the shortest displacement
 * and handles the special cases of the ModRM byte (rsp/r12 as a base need
 * a SIB byte, rbp/r13 need a displacement).  `w` selects the operand
 * width: 0 = 32 bits (which zero-extends into the whole register, as the
 * hardware does), 1 = 64 bits.
 *
 * Invariants: the buffer never reports a partial instruction as success —
 * after an allocation failure `oom` is set, further emits are no-ops, and
 * the caller checks once at the end.  Branches to labels not yet placed
 * are emitted with a zero rel32 and patched (kn_x64_patch_rel32) once the
 * target is known.  Encodings are checked byte for byte against an
 * assembler in tests/unit/test_jit.c.
 */
#ifndef KN_X64_EMIT_H
#define KN_X64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    X_RAX, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI,
    X_R8, X_R9, X_R10, X_R11, X_R12, X_R13, X_R14, X_R15,
    X_NOREG = -1
} x64_reg;

/* Condition codes, as in Jcc/SETcc/CMOVcc (low nibble of the opcode). */
typedef enum {
    X_CC_O = 0, X_CC_NO, X_CC_B, X_CC_AE, X_CC_E, X_CC_NE, X_CC_BE, X_CC_A,
    X_CC_S, X_CC_NS, X_CC_P, X_CC_NP, X_CC_L, X_CC_GE, X_CC_LE, X_CC_G
} x64_cc;

/* The /digit of the group-1 ALU instructions (add, or, ..., cmp); the
 * reg,r/m opcode of each is 8*op + 3. */
typedef enum { X_ADD = 0, X_OR = 1, X_AND = 4, X_SUB = 5, X_XOR = 6, X_CMP = 7 } x64_alu;
/* The /digit of the group-2 shifts and rotates. */
typedef enum { X_ROL = 0, X_ROR = 1, X_SHL = 4, X_SHR = 5, X_SAR = 7 } x64_shift;

/* An r/m operand: memory [base + index*scale + disp], or, with `direct`,
 * the register `base` itself (ModRM mod = 3: what a frame slot kept in a
 * register is, x64_compile.c: a general register, or for the SSE forms an
 * xmm one).  Forms that have no register variant (lea, movdqu) must not be
 * given a direct operand. */
typedef struct x64_mem {
    x64_reg base;
    x64_reg index;              /* X_NOREG: none */
    uint8_t scale;              /* 1, 2, 4 or 8 */
    int32_t disp;
    bool direct;
    bool rip;                   /* [rip + disp] (base and index unused) */
} x64_mem;

static inline x64_mem x64_m(x64_reg base, int32_t disp)
{
    return (x64_mem){base, X_NOREG, 1, disp, false, false};
}
static inline x64_mem x64_mi(x64_reg base, x64_reg index, uint8_t scale, int32_t disp)
{
    return (x64_mem){base, index, scale, disp, false, false};
}
/* [index*scale + disp] without a base (lea's address arithmetic) */
static inline x64_mem x64_scaled(x64_reg index, uint8_t scale, int32_t disp)
{
    return (x64_mem){X_NOREG, index, scale, disp, false, false};
}
static inline x64_mem x64_direct(x64_reg r) { return (x64_mem){r, X_NOREG, 1, 0, true, false}; }
/* [rip + disp]: disp is relative to the end of the instruction, which for
 * the forms given one (no immediate after it) is where disp ends. */
static inline x64_mem x64_rip(int32_t disp)
{
    return (x64_mem){X_NOREG, X_NOREG, 1, disp, false, true};
}

/* Store-to-load forwarding (x64_emit.c): with `forward` set, a slot load
 * right after a store of a register to the same slot (nothing emitted in
 * between, no label bound there) reads the register instead of memory. */
typedef struct x64_fwd {
    size_t end;                 /* buffer offset just past the store */
    x64_mem m;
    int8_t w, reg;
    bool valid;
    bool zx;                    /* reg's upper half was zero at a 32-bit store */
    bool imm;                   /* an immediate was stored, not reg: k */
    int32_t k;
} x64_fwd;

typedef struct x64_buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
    bool forward;               /* forwarding on (the compiler's buffers) */
    size_t ncalls;              /* call instructions emitted so far */
    x64_fwd fwd;
    /* The register whose value the flags' ZF was last set from by an ALU
     * operation (add, sub, and, or, xor) ending at zf_end, at width zf_w
     * (kn_x64_cmp0_eq); zf_end 0: none. */
    size_t zf_end;
    int8_t zf_reg, zf_w;
    /* The register the instruction ending at zx_end wrote at 32 bits
     * (which clears the upper half); zx_end 0: none.  So that a 32-bit
     * store of it can tell forwarding the register is zero-extended. */
    size_t zx_end;
    int8_t zx_reg;
    void *(*grow)(void *ud, void *ptr, size_t new_size);
    void *ud;                   /* the allocator hook and its state */
} x64_buf;

/* Room for n more bytes (b->oom if there is none). */
void kn_x64_reserve(x64_buf *b, size_t n);
void kn_x64_bytes(x64_buf *b, const void *bytes, size_t n);
void kn_x64_byte(x64_buf *b, uint8_t v);
void kn_x64_u32(x64_buf *b, uint32_t v);
/* Overwrite the rel32 at `at` so it reaches `target` (both buffer offsets;
 * a rel32 counts from the end of its own 4 bytes). */
void kn_x64_patch_rel32(x64_buf *b, size_t at, size_t target);
/* A label is bound here (a branch may arrive): forget what registers hold. */
void kn_x64_label(x64_buf *b);

/* Moves.  w: 0 = 32-bit, 1 = 64-bit. */
void kn_x64_load(x64_buf *b, int w, x64_reg r, x64_mem m);          /* mov r, [m] */
void kn_x64_store(x64_buf *b, int w, x64_mem m, x64_reg r);         /* mov [m], r */
void kn_x64_store8(x64_buf *b, x64_mem m, x64_reg r);               /* mov byte [m], r8 */
void kn_x64_store16(x64_buf *b, x64_mem m, x64_reg r);              /* mov word [m], r16 */
void kn_x64_store_imm(x64_buf *b, int w, x64_mem m, int32_t imm);   /* mov [m], imm32 (sx) */
void kn_x64_store8_imm(x64_buf *b, x64_mem m, uint8_t imm);       /* mov byte [m], imm8 */
void kn_x64_cmp8_mi(x64_buf *b, x64_mem m, uint8_t imm);         /* cmp byte [m], imm8 */
void kn_x64_mov(x64_buf *b, int w, x64_reg d, x64_reg s);           /* mov d, s */
void kn_x64_mov_imm(x64_buf *b, x64_reg r, uint64_t imm);           /* shortest mov r, imm */
/* movzx/movsx from 8/16 bits, movsxd from 32: bits = 8, 16 or 32. */
void kn_x64_load_zx(x64_buf *b, int w, int bits, x64_reg r, x64_mem m);
void kn_x64_load_sx(x64_buf *b, int w, int bits, x64_reg r, x64_mem m);
void kn_x64_sx_rr(x64_buf *b, int w, int bits, x64_reg d, x64_reg s);   /* movsx d, s8/16/32 */
void kn_x64_lea(x64_buf *b, int w, x64_reg r, x64_mem m);

/* Arithmetic. */
void kn_x64_alu_rm(x64_buf *b, int w, x64_alu op, x64_reg r, x64_mem m);   /* op r, [m] */
void kn_x64_alu_rr(x64_buf *b, int w, x64_alu op, x64_reg d, x64_reg s);   /* op d, s */
void kn_x64_alu_ri(x64_buf *b, int w, x64_alu op, x64_reg r, int32_t imm); /* op r, imm */
void kn_x64_alu_mi(x64_buf *b, int w, x64_alu op, x64_mem m, int32_t imm);
/* ZF for m == 0, for a consumer of ZF alone (je/jne, sete/setne): nothing
 * when the ALU operation just emitted (no label since) set it from the
 * register m is; else cmp m, 0. */
void kn_x64_cmp0_eq(x64_buf *b, int w, x64_mem m); /* op [m], imm */
void kn_x64_alu_mr(x64_buf *b, int w, x64_alu op, x64_mem m, x64_reg r);   /* op [m], r */
void kn_x64_imul_rm(x64_buf *b, int w, x64_reg r, x64_mem m);              /* imul r, [m] */
void kn_x64_imul_rri(x64_buf *b, int w, x64_reg d, x64_reg s, int32_t imm);
void kn_x64_shift_cl(x64_buf *b, int w, x64_shift op, x64_reg r);          /* op r, cl */
void kn_x64_shift_i(x64_buf *b, int w, x64_shift op, x64_reg r, uint8_t k);
void kn_x64_test_rr(x64_buf *b, int w, x64_reg a, x64_reg c);
void kn_x64_neg(x64_buf *b, int w, x64_reg r);
void kn_x64_div(x64_buf *b, int w, bool is_signed, x64_reg r);             /* [i]div r */
void kn_x64_sign_extend_ax(x64_buf *b, int w);                             /* cdq / cqo */
/* bsr/bsf/popcnt r, [m]; op is 0xbd (bsr), 0xbc (bsf) or 0xb8 (popcnt). */
void kn_x64_bitscan(x64_buf *b, int w, uint8_t op, x64_reg r, x64_mem m);
void kn_x64_setcc(x64_buf *b, x64_cc cc, x64_reg r);                       /* setcc r8 */
void kn_x64_movzx8_rr(x64_buf *b, x64_reg d, x64_reg s);                   /* movzx d32, s8 */
void kn_x64_cmov(x64_buf *b, int w, x64_cc cc, x64_reg d, x64_reg s);
void kn_x64_cmov_rm(x64_buf *b, int w, x64_cc cc, x64_reg d, x64_mem m);
void kn_x64_dec_m(x64_buf *b, int w, x64_mem m);                           /* dec [m] */

/* SSE scalar floating point; x is an xmm register number (0-15) and
 * dbl selects the double form (sd) over the single one (ss). */
enum { X_SSE_LOAD = 0x10, X_SSE_SQRT = 0x51, X_SSE_ADD = 0x58, X_SSE_MUL = 0x59,
       X_SSE_CVT = 0x5a, X_SSE_SUB = 0x5c, X_SSE_DIV = 0x5e };
/* m may be direct, an xmm register: then a load or a store (X_SSE_LOAD,
 * sse_store) is movaps of the whole register, nothing if it is x. */
void kn_x64_sse_rm(x64_buf *b, int dbl, uint8_t op, int x, x64_mem m);  /* op x, [m] */
void kn_x64_sse_rr(x64_buf *b, int dbl, uint8_t op, int x, int y);      /* op x, y */
void kn_x64_sse_store(x64_buf *b, int dbl, x64_mem m, int x);           /* movs [m], x */
/* The AVX form of a scalar X_SSE_* arithmetic op (not X_SSE_LOAD):
 * x = v op [m] (m may be direct), three operands, so neither is
 * overwritten; the upper half of x comes from v. */
void kn_x64_vsse(x64_buf *b, int dbl, uint8_t op, int x, int v, x64_mem m);
void kn_x64_ucomis(x64_buf *b, int dbl, int x, int y);                  /* ucomis x, y */
void kn_x64_ucomis_rm(x64_buf *b, int dbl, int x, x64_mem m);  /* m direct: an xmm register */
void kn_x64_cvtsi2s(x64_buf *b, int dbl, int w, int x, x64_reg r);      /* cvtsi2s x, r */
void kn_x64_movd(x64_buf *b, int w, int x, x64_reg r);                  /* movd/movq x, r */
void kn_x64_movd_to(x64_buf *b, int w, x64_reg r, int x);               /* movd/movq r, x */
/* roundss/roundsd x, [m], mode (SSE4.1): 0 nearest, 1 floor, 2 ceil, 3
 * trunc; precision exceptions are always suppressed. */
void kn_x64_round(x64_buf *b, int dbl, int x, x64_mem m, uint8_t mode);

/* SSE2 packed (x, y: xmm register numbers).  Only movdqu touches memory:
 * the slots and linear memory promise no 16-byte alignment. */
enum { X_PAND = 0xdb, X_PANDN = 0xdf, X_POR = 0xeb, X_PXOR = 0xef,
       X_PADDB = 0xfc, X_PADDW = 0xfd, X_PADDD = 0xfe, X_PADDQ = 0xd4,
       X_PSUBB = 0xf8, X_PSUBW = 0xf9, X_PSUBD = 0xfa, X_PSUBQ = 0xfb,
       X_PUNPCKLQDQ = 0x6c };
void kn_x64_movdqu_load(x64_buf *b, int x, x64_mem m);                  /* movdqu x, [m] */
void kn_x64_movdqu_store(x64_buf *b, x64_mem m, int x);                 /* movdqu [m], x */
void kn_x64_packed_rr(x64_buf *b, uint8_t op, int x, int y);            /* op x, y (66 0f op) */
/* Packed float: op x, y as ps (0f op) or, dbl, pd (66 0f op); op is an
 * X_SSE_* arithmetic one, 0x5d (min) or 0x5f (max). */
void kn_x64_fpacked_rr(x64_buf *b, int dbl, uint8_t op, int x, int y);
/* SSSE3/SSE4.1 packed op x, y (66 0f 38 op): pshufb 0x00, pmulld 0x40,
 * the pmin/pmax family 0x38-0x3f, pcmpeqq 0x29, pmovsx/zx 0x20-0x35. */
void kn_x64_packed38_rr(x64_buf *b, uint8_t op, int x, int y);
/* r = the sign bits of x's lanes: pmovmskb (66 0f d7), movmskps (0 0f 50),
 * movmskpd (66 0f 50). */
void kn_x64_movmsk(x64_buf *b, uint8_t pre, uint8_t op, x64_reg r, int x);
void kn_x64_movd_load(x64_buf *b, int x, x64_mem m);                    /* movd x, [m] */
void kn_x64_movq_load(x64_buf *b, int x, x64_mem m);                    /* movq x, [m] */
/* Packed shift by an immediate: grp 0x71 (words), 0x72 (dwords), 0x73
 * (qwords); digit 6 = shl, 2 = logical shr, 4 = arithmetic shr. */
void kn_x64_packed_shift_i(x64_buf *b, uint8_t grp, int digit, int x, uint8_t imm);

/* Control.  The rel32 forms return the buffer offset of their rel32. */
size_t kn_x64_jmp32(x64_buf *b);
size_t kn_x64_jcc32(x64_buf *b, x64_cc cc);
size_t kn_x64_call32(x64_buf *b);
void kn_x64_call_r(x64_buf *b, x64_reg r);
void kn_x64_call_m(x64_buf *b, x64_mem m);                 /* call [m] */
void kn_x64_jmp_r(x64_buf *b, x64_reg r);
void kn_x64_ret(x64_buf *b);
void kn_x64_vzeroupper(x64_buf *b);                 /* AVX only */
void kn_x64_nops(x64_buf *b, size_t n);     /* n bytes of padding */
void kn_x64_push(x64_buf *b, x64_reg r);
void kn_x64_pop(x64_buf *b, x64_reg r);
void kn_x64_rep_stosq(x64_buf *b);
void kn_x64_lea_rip(x64_buf *b, x64_reg r, int32_t disp);  /* lea r, [rip + disp] */
size_t kn_x64_lea_rip32(x64_buf *b, x64_reg r);            /* same, to be patched */

#endif
