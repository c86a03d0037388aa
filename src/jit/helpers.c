/*
 * helpers.c — the numeric instructions compiled code does not inline:
 * one C function per opcodes.def row (unary, binary, and those that may
 * trap), generated from the same EXPR/FN columns the interpreter's
 * handlers are, so a helper computes exactly what the interpreter does.
 *
 * Compiled code calls kn_jit_helpers[op](dst, x, y) with pointers to the
 * operand slots (y unused by unary ones) and traps with the code it
 * returns when that is not KILN_TRAP_NONE.  This is the native tier's
 * floor: an instruction with a helper is never a reason to leave a
 * function interpreted; a template (x64_compile.c) replaces the call
 * where speed matters.
 */
#include "numeric.h"
#include "x64_jit.h"

#define CT_I32 uint32_t
#define CT_I64 uint64_t
#define CT_F32 float
#define CT_F64 double
#define F_I32 i32
#define F_I64 i64
#define F_F32 f32
#define F_F64 f64

#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR)                         \
    static uint32_t h_##ID(kn_slot *d, const kn_slot *a, const kn_slot *b)  \
    {                                                                       \
        (void)b;                                                            \
        CT_##IN x = a->F_##IN;                                              \
        d->F_##OUT = (CT_##OUT)(EXPR);                                      \
        return KILN_TRAP_NONE;                                              \
    }
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR)                        \
    static uint32_t h_##ID(kn_slot *d, const kn_slot *a, const kn_slot *b)  \
    {                                                                       \
        CT_##IN x = a->F_##IN, y = b->F_##IN;                               \
        d->F_##OUT = (CT_##OUT)(EXPR);                                      \
        return KILN_TRAP_NONE;                                              \
    }
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN)                         \
    static uint32_t h_##ID(kn_slot *d, const kn_slot *a, const kn_slot *b)  \
    {                                                                       \
        (void)b;                                                            \
        CT_##OUT r;                                                         \
        kiln_trap_code t = FN(a->F_##IN, &r);                               \
        if (t)                                                              \
            return t;                                                       \
        d->F_##OUT = r;                                                     \
        return KILN_TRAP_NONE;                                              \
    }
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN)                        \
    static uint32_t h_##ID(kn_slot *d, const kn_slot *a, const kn_slot *b)  \
    {                                                                       \
        CT_##OUT r;                                                         \
        kiln_trap_code t = FN(a->F_##IN, b->F_##IN, &r);                    \
        if (t)                                                              \
            return t;                                                       \
        d->F_##OUT = r;                                                     \
        return KILN_TRAP_NONE;                                              \
    }
#include "opcodes.def"

const kn_jit_helper kn_jit_helpers[KN_OP_COUNT] = {
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) [KN_OP_##ID] = h_##ID,
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) [KN_OP_##ID] = h_##ID,
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) [KN_OP_##ID] = h_##ID,
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) [KN_OP_##ID] = h_##ID,
#include "opcodes.def"
};
