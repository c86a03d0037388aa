/*
 * reloc.c — the C functions compiled code may call by absolute address,
 * as a fixed table, so that a relocation in a code artifact (artifact.c)
 * names a helper by index rather than by an address that ASLR changes on
 * every run.
 *
 * The table is: the named helpers below, then kn_jit_helpers[op] for
 * every opcode (helpers.c, generated from opcodes.def, so a helper added
 * there is covered without touching this file).  Indices are stable for
 * one build of kiln, which is all an artifact needs: artifacts from
 * another build are rejected before any index is read.
 *
 * A helper that call_c is given and this table lacks still works when
 * compiling, but marks the module unrelocatable (kn_jit_module): it is
 * then never written to an artifact or the cache.  Add new named helpers
 * to KN_JIT_NAMED_HELPERS.
 */
#include "x64_jit.h"

#define KN_JIT_NAMED_HELPERS(X)                                                 \
    X(kn_jit_call_slow) X(kn_jit_call_indirect) X(kn_jit_memory_grow)           \
    X(kn_check_limits)

static const void *named_addr(uint32_t i)
{
    uint32_t k = 0;
#define KN_X(fn)                                                                \
    if (i == k++)                                                               \
        return (const void *)fn;
    KN_JIT_NAMED_HELPERS(KN_X)
#undef KN_X
    return NULL;
}

#define KN_X(fn) +1
enum { NAMED = 0 KN_JIT_NAMED_HELPERS(KN_X) };
#undef KN_X

uint32_t kn_jit_sym_count(void) { return NAMED + KN_OP_COUNT; }

const void *kn_jit_sym_addr(uint32_t sym)
{
    if (sym < NAMED)
        return named_addr(sym);
    if (sym - NAMED < KN_OP_COUNT)
        return (const void *)kn_jit_helpers[sym - NAMED];
    return NULL;
}

uint32_t kn_jit_sym_of(const void *helper)
{
    if (!helper)
        return KN_JIT_SYM_NONE;
    for (uint32_t i = 0; i < NAMED; i++)
        if (named_addr(i) == helper)
            return i;
    for (uint32_t op = 0; op < KN_OP_COUNT; op++)
        if ((const void *)kn_jit_helpers[op] == helper)
            return NAMED + op;
    return KN_JIT_SYM_NONE;
}
