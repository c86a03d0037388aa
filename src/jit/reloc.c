/*
 * reloc.c — the C functions compiled code may call by absolute address,
 * as a fixed table, so that a relocation in a code artifact (artifact.c)
 * names a helper by index rather than by an address that ASLR changes on
 * every run.
 *
 * The table is: the named helpers below, then three per-opcode ranges:
 * kn_jit_helpers[op] (helpers.c, scalar numeric), kn_jit_vhelpers[op].fn
 * (simd_helpers.c, SIMD) and the runtime call of op (x64_runtime.c: bulk
 * memory and tables), all generated from opcodes.def or kept beside the
 * code that calls them, so a helper added there is covered without
 * touching this file.  Indices are stable for
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
    X(kn_jit_call_slow) X(kn_jit_call_ref) X(kn_jit_memory_grow)                \
    X(kn_check_limits) X(kn_jit_v128_shuffle)

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

/* Per-opcode range r (0 numeric, 1 SIMD, 2 runtime): op's helper or NULL. */
static const void *range_addr(uint32_t r, uint32_t op)
{
    switch (r) {
    case 0: return (const void *)kn_jit_helpers[op];
    case 1: return (const void *)kn_jit_vhelpers[op].fn;
    default: return kn_x64_runtime_helper(op);
    }
}

uint32_t kn_jit_sym_count(void) { return NAMED + 3 * KN_OP_COUNT; }

const void *kn_jit_sym_addr(uint32_t sym)
{
    if (sym < NAMED)
        return named_addr(sym);
    if (sym - NAMED < 3 * KN_OP_COUNT)
        return range_addr((sym - NAMED) / KN_OP_COUNT, (sym - NAMED) % KN_OP_COUNT);
    return NULL;
}

uint32_t kn_jit_sym_of(const void *helper)
{
    if (!helper)
        return KN_JIT_SYM_NONE;
    for (uint32_t i = 0; i < NAMED; i++)
        if (named_addr(i) == helper)
            return i;
    for (uint32_t r = 0; r < 3; r++)
        for (uint32_t op = 0; op < KN_OP_COUNT; op++)
            if (range_addr(r, op) == helper)
                return NAMED + r * KN_OP_COUNT + op;
    return KN_JIT_SYM_NONE;
}
