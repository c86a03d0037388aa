/*
 * lowered.h — reading lowered code back (lowered.c): one instruction at a
 * time, with its name and operand layout from opcodes.def, as text, and a
 * check that a function's code walks cleanly.  The engine's debug view of
 * what the interpreter runs; kiln_inspect.h exposes it to tools.
 */
#ifndef KN_LOWERED_H
#define KN_LOWERED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "kn_alloc.h"
#include "lower.h"

typedef struct kn_lowered {
    uint32_t pc;            /* word offset of the opcode word */
    uint32_t len;           /* words, opcode word and a jump table's offsets included */
    uint32_t op;
    const char *name;
    const char *layout;     /* one letter per operand word (opcodes.def) */
    const uint32_t *words;  /* words[0] is the opcode */
} kn_lowered;

/* The instruction at word pc; false if pc is not inside the code, the word
 * there is not an opcode lowering emits, or the instruction runs past the
 * end. */
bool kn_lowered_at(const kn_code *code, uint32_t pc, kn_lowered *out);
/* Where operand word k (a branch offset) of `in` jumps to; false if word
 * k is not a branch or its target lies outside the code. */
bool kn_lowered_target(const kn_code *code, const kn_lowered *in, uint32_t k, uint32_t *target);
/* The instruction as text: name, then its operands separated by ", "
 * (slots as sN, branch targets as @PC).  snprintf-like. */
size_t kn_lowered_text(const kn_code *code, const kn_lowered *in, char *buf, size_t cap);
/* Walks the whole code: true if every instruction decodes, the last one
 * ends exactly at nwords and every branch lands on an instruction start;
 * else *bad_pc is the first offending instruction (*nomem if the check
 * could not allocate its bitmap). */
bool kn_lowered_check(const kn_allocator *a, const kn_code *code, uint32_t *bad_pc, bool *nomem);

#endif
