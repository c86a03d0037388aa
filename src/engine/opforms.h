/*
 * opforms.h — every internal instruction lowering can emit, as one
 * KN_FORM(ID, TEXT, LAYOUT) per form, generated from opcodes.def.
 *
 * A row of opcodes.def may stand for several internal forms (a load has
 * six address forms, a comparison its fused branches); this file spells out
 * which forms each row kind has, with their names and operand layouts, so
 * that the length enum (lower.h) and the lowered-code listing (lowered.c)
 * come from the same expansion and cannot disagree.  Rows that lowering
 * never emits (KN_WASM) expand to nothing.  Include with KN_FORM defined;
 * it is undefined afterwards.
 */
#ifndef KN_FORM
#error "define KN_FORM(ID, TEXT, LAYOUT) before including opforms.h"
#endif

#define KN_WASM(ID, PFX, CODE, TEXT)
#define KN_CTRL(ID, PFX, CODE, TEXT, LAYOUT) KN_FORM(ID, TEXT, LAYOUT)
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT)                                   \
    KN_FORM(ID, TEXT, KN_LAYOUT_LOAD) KN_FORM(ID##_A, TEXT "/a", KN_LAYOUT_LOAD_A) \
    KN_FORM(ID##_X, TEXT "/x", KN_LAYOUT_LOAD_X)                                \
    KN_FORM(ID##_K, TEXT "/k", KN_LAYOUT_LOAD_K)                                \
    KN_FORM(ID##_XS, TEXT "/xs", KN_LAYOUT_LOAD_XS)                             \
    KN_FORM(ID##_AS, TEXT "/as", KN_LAYOUT_LOAD_AS)
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT)                                  \
    KN_FORM(ID, TEXT, KN_LAYOUT_STORE) KN_FORM(ID##_K, TEXT "/k", KN_LAYOUT_STORE_K) \
    KN_FORM(ID##_AK, TEXT "/ak", KN_LAYOUT_STORE_AK)
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) KN_FORM(ID, TEXT, KN_LAYOUT_UNOP)
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) \
    KN_FORM(ID, TEXT, KN_LAYOUT_BINOP) KN_FORM(ID##_K, TEXT "/k", "ds" KN_IMM_##IN)
#define KN_CMP(ID, PFX, CODE, TEXT, IN, EXPR)                                   \
    KN_BINOP(ID, PFX, CODE, TEXT, IN, I32, EXPR)                                \
    KN_FORM(ID##_JT, TEXT "/jt", KN_LAYOUT_CMP_J)                               \
    KN_FORM(ID##_JF, TEXT "/jf", KN_LAYOUT_CMP_J)                               \
    KN_FORM(ID##_KJT, TEXT "/kjt", "s" KN_IMM_##IN "j")                         \
    KN_FORM(ID##_KJF, TEXT "/kjf", "s" KN_IMM_##IN "j")
#define KN_TEST(ID, PFX, CODE, TEXT, IN, EXPR)                                  \
    KN_FORM(ID, TEXT, KN_LAYOUT_UNOP) KN_FORM(ID##_JT, TEXT "/jt", KN_LAYOUT_TEST_J) \
    KN_FORM(ID##_JF, TEXT "/jf", KN_LAYOUT_TEST_J)
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) KN_FORM(ID, TEXT, KN_LAYOUT_UNOP)
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) KN_FORM(ID, TEXT, KN_LAYOUT_BINOP)
#define KN_INTERNAL(ID, TEXT, LAYOUT) KN_FORM(ID, TEXT, LAYOUT)
#include "opcodes.def"
#undef KN_FORM
