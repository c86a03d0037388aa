/*
 * x64_jit.h — what the module driver (jit.c) and the function compiler
 * (x64_compile.c) share: the state of one module's compilation and the C
 * helpers compiled code calls.
 */
#ifndef KN_X64_JIT_H
#define KN_X64_JIT_H

#include "jit.h"
#include "lower.h"
#include "x64_emit.h"

/* Trap codes with a stub in every module's code (kiln_trap_code values
 * below this). */
#define KN_X64_NTRAPS 32

typedef struct kn_x64 {
    const kn_module *m;
    const kn_allocator *alloc;
    x64_buf b;
    bool has_popcnt, has_sse41; /* CPU features the code may use */
    bool guard;                 /* memory 0 is guarded: address() may leave
                                   out the bounds check (jit.c) */
    uint8_t *native;            /* per function index: gets native code */
    size_t *entry;              /* per function index: offset of its code */
    size_t exit;                /* offset of the exit path (rax = result) */
    size_t trap_stub[KN_X64_NTRAPS];
    struct { size_t at; uint32_t func; } *calls;   /* rel32 → function */
    size_t ncalls, capcalls;
    bool oom;
} kn_x64;

/* x64_compile.c: whether every instruction of cd is covered, and the code
 * of one function appended to x->b (its offset in *entry). */
bool kn_x64_covers(kn_x64 *x, const kn_code *cd);
bool kn_x64_function(kn_x64 *x, const kn_code *cd, size_t *entry);
/* jit.c: a direct call at rel32 offset `at` to function `func`, patched
 * once every function has its offset. */
void kn_x64_call_fixup(kn_x64 *x, size_t at, uint32_t func);

/* jit.c: the C helpers compiled code calls (System V ABI). */
kiln_error *kn_jit_call_slow(kiln_store *s, kiln_instance *inst, uint32_t func, kn_slot *nfp);
uint32_t kn_jit_memory_grow(kiln_instance *inst, uint32_t delta);
kiln_error *kn_jit_call_indirect(kiln_store *s, kiln_instance *inst, uint32_t type, uint32_t table,
                                 uint32_t i, kn_slot *nfp);

/* helpers.c: the numeric instructions as C (unary, binary, trapping),
 * indexed by opcode; NULL for every other opcode. */
typedef uint32_t (*kn_jit_helper)(kn_slot *dst, const kn_slot *x, const kn_slot *y);
extern const kn_jit_helper kn_jit_helpers[KN_OP_COUNT];

#endif
