/*
 * lower.h — kiln's internal code: what lowering (compile.c) produces from a
 * validated function body and what the interpreter (interp.c) executes.
 * The native tier (src/jit/) compiles the same form to machine code, with
 * the interpreter as its oracle, so this comment is the contract.
 *
 * A function's code is an array of 32-bit words.  Each instruction is an
 * opcode word (enum kn_op, generated from opcodes.def) followed by its
 * operand words.  There is no LEB128, no nested structure and nothing to
 * search for at run time: every branch target is resolved.
 *
 * Frames.  A function runs on a frame of 8-byte slots (kn_slot) addressed
 * from the frame pointer fp:
 *
 *     fp[0 .. P)          parameters (P = param_slots)
 *     fp[P .. P+L)        declared locals, zeroed on entry (L = local_slots)
 *     fp[P+L .. F)        operand-stack temporaries (F = frame_slots)
 *
 * A v128 value occupies two consecutive slots.  Because the Wasm operand
 * stack has a known height at every instruction, each stack position has a
 * fixed slot: lowering turns stack operations into operations on slot
 * numbers.  local.get emits nothing when its value can be read from the
 * local's own slot, and an instruction whose result is immediately stored
 * with local.set writes the local directly.  At every control-flow boundary
 * (block, loop, if, else, end, branches, calls) all live stack values are
 * in their canonical slots.
 *
 * Calls.  The arguments of a call are the top stack values, so they already
 * sit in consecutive slots fp[base ..).  The callee's frame starts there:
 * fp' = fp + base, and its results are written to fp'[0 ..), which is
 * exactly where the caller expects them.  Nothing is copied.
 *
 * Operands (each one word; "slot" = index from fp, "off" = a branch offset
 * in words, signed, relative to the word that holds it).  The LAYOUT column
 * of opcodes.def says the same in one letter per word, and the lengths the
 * interpreter advances by (KN_LEN_*) are generated from it:
 *
 *   UNOP         dst x                    BINOP        dst x y
 *   BINOP_K      dst x imm                (the second operand is a constant:
 *                                          imm is one word for i32, f32 (its
 *                                          bits) and i64 (sign-extended from
 *                                          32 bits), two words (low, high)
 *                                          for f64)
 *   CMP_JT/JF    x y off                  a comparison fused with the branch
 *   CMP_KJT/KJF  x imm.. off              that consumes it: jump if the
 *   TEST_JT/JF   x off                     comparison is true (JT) / false
 *                                          (JF); a negative off is a loop
 *                                          back-edge and charges the budget
 *   LOAD         dst addr offset          STORE        addr val offset
 *   LOAD_A       dst base imm offset      a load whose address is an
 *                                          i32.add of base and a constant:
 *                                          ea = u32(base + imm) + offset
 *   LOAD_X       dst base idx offset      likewise for base + idx (two slots)
 *   LOAD_K       dst k offset             a constant address: ea = k + offset
 *   LOAD_XS      dst base idx s offset    ea = u32(base + (idx << s)) + offset
 *   LOAD_AS      dst x s imm offset       ea = u32((x << s) + imm) + offset
 *   SHIFTOP      dst a x k                OUTER(a, INNER(x, k)): a shift or
 *                                          rotate by a constant fused with the
 *                                          add/xor/or/and that consumes it
 *                                          (opcodes.def); I32_ADD_SHL is the
 *                                          address form loads absorb (_XS)
 *   I32_SHL_ADD_K dst x s imm             (x << s) + imm, likewise (_AS)
 *   STORE_K      addr imm offset          a constant value: the immediate
 *                                          sign-extended to 64 bits, of which
 *                                          the store writes its width (the
 *                                          host is little-endian)
 *   STORE_AK     base add imm offset      both: ea = u32(base + add) + offset
 *   F64_MULADD   dst a x y                a + x*y, rounded twice (exactly the
 *   F64_MULSUB   dst a x y                  mul and add/sub it replaces);
 *   F64_MULRSUB  dst a x y                  MULSUB is a - x*y, MULRSUB x*y - a;
 *                                          and the same for F32
 *   COPY, COPY2  dst src                  CONST32      dst imm
 *   COPY_PAIR    d1 s1 d2 s2              two COPYs, in that order
 *   CONST64      dst lo hi                TRAP         trap_code
 *   JMP, JMP_BACK            off          (BACK: a loop back-edge; charges
 *                                          the fuel/deadline budget)
 *   JMP_IF, JMP_UNLESS       cond off     (negative off: charges the budget)
 *   JMP_TABLE    idx n off[0] .. off[n]   (off[n] is the default; charges
 *                                          the budget)
 *   RET                                   results already in fp[0 ..)
 *   CALL         func base                (charges the budget)
 *   CALL_INDIRECT type table idx base     type is the module's type index
 *   SELECT1, SELECT2  dst a b cond        GLOBAL_GET1/2  dst global
 *   GLOBAL_SET1/2     src global          MEMORY_SIZE    dst
 *   MEMORY_GROW       dst delta           MEMORY_FILL    d val n
 *   MEMORY_COPY       d s n               MEMORY_INIT    data d s n
 *   DATA_DROP         data                REF_NULL       dst
 *   REF_IS_NULL       dst src             REF_FUNC       dst func
 *   TABLE_GET         dst table i         TABLE_SET      table i val
 *   TABLE_SIZE        dst table           TABLE_GROW     dst table init delta
 *   TABLE_FILL        table i val n       TABLE_COPY     dtable stable d s n
 *   TABLE_INIT        table elem d s n    ELEM_DROP      elem
 *
 * SIMD (opcodes.def's V rows; a v128 operand names the first of its two
 * slots, a lane index is a word):
 *
 *   VUNOP        dst x                    VBINOP       dst x y
 *   VTERNOP      dst x y z                VSHIFT       dst x n (n a slot)
 *   VSHIFT_K     dst x k                  (a constant count, not masked)
 *   VEXTRACT     dst x lane               VREPLACE     dst x val lane
 *   VLOAD        dst addr offset          VLOAD_LANE   dst addr x offset lane
 *   VLOAD_A      dst base imm offset      (ea = u32(base + imm) + offset)
 *   VSTORE_LANE  addr x offset lane       V128_STORE   addr val offset
 *   V128_CONST   dst w0 w1 w2 w3          (the 16 bytes, little-endian)
 *   I8X16_SHUFFLE dst x y w0 w1 w2 w3     (the 16 lane indices, all < 32)
 *
 * Opcodes that exist only in Wasm (block, local.get, ...) are in the enum so
 * that one table serves both worlds, but lowering never emits them.
 */
#ifndef KN_LOWER_H
#define KN_LOWER_H

#include <stdint.h>

typedef enum kn_op {
#define KN_CTRL(ID, PFX, CODE, TEXT, LAYOUT) KN_OP_##ID,
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT) \
    KN_OP_##ID, KN_OP_##ID##_A, KN_OP_##ID##_X, KN_OP_##ID##_K, KN_OP_##ID##_XS, KN_OP_##ID##_AS,
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT) KN_OP_##ID, KN_OP_##ID##_K, KN_OP_##ID##_AK,
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) KN_OP_##ID,
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) KN_OP_##ID, KN_OP_##ID##_K,
#define KN_CMP(ID, PFX, CODE, TEXT, IN, EXPR) \
    KN_OP_##ID, KN_OP_##ID##_K, KN_OP_##ID##_JT, KN_OP_##ID##_JF, KN_OP_##ID##_KJT, KN_OP_##ID##_KJF,
#define KN_TEST(ID, PFX, CODE, TEXT, IN, EXPR) KN_OP_##ID, KN_OP_##ID##_JT, KN_OP_##ID##_JF,
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) KN_OP_##ID,
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) KN_OP_##ID,
#define KN_INTERNAL(ID, TEXT, LAYOUT) KN_OP_##ID,
#include "opcodes.def"
    KN_OP_COUNT
} kn_op;

/* KN_LEN_<ID>: the length in words of each internal instruction, its
 * opcode word included, from the layout column of opcodes.def (for
 * JMP_TABLE, of the part before its offsets). */
enum kn_op_len {
#define KN_FORM(ID, TEXT, LAYOUT) KN_LEN_##ID = sizeof(LAYOUT),
#include "opforms.h"
};

typedef struct kn_code {
    uint32_t *words;
    uint32_t nwords;
    uint32_t param_slots;
    uint32_t local_slots;        /* declared locals, zeroed on entry */
    uint32_t frame_slots;        /* params + locals + deepest stack */
    const void *native;          /* machine code of this function (src/jit/,
                                    same frame), or NULL: interpreted */
} kn_code;

/* The text name of an internal opcode (for disassembly and debugging). */
const char *kn_op_name(kn_op op);
/* Its operand layout (opcodes.def), or NULL for an opcode lowering never
 * emits (a Wasm-only one, or a value past the enum). */
const char *kn_op_layout(uint32_t op);

#endif
