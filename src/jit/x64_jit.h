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
    /* AVX: compiled code is entered, and goes on after C, with vzeroupper,
     * since an SSE instruction that writes an xmm register while the
     * upper halves of the ymm registers are dirty (left so by code
     * outside kiln) may wait on them: matmul ran 14% slower for it. */
    bool has_avx;
    uint64_t cpu;               /* every feature present (KN_CPU_*) */
    bool no_marks;              /* stores leave the written-page map out
                                   (kiln_config.no_write_map) */
    bool guard;                 /* memory 0 is guarded: address() may leave
                                   out the bounds check (jit.c) */
    uint8_t *native;            /* per function index: gets native code */
    size_t *entry;              /* per function index: offset of its code */
    size_t exit;                /* offset of the exit path (rax = result) */
    /* Per trap code: trap_stub stores the budget register (r11) to the
     * store first, for code that holds it there; trap_stub_nf does not,
     * for code past a spill (the store's copy is the live one). */
    size_t trap_stub[KN_X64_NTRAPS], trap_stub_nf[KN_X64_NTRAPS];
/* Where a compiled function's prologue (x64_compile.c) has its push rbp
 * and where its frame is made (the first instruction after mov rbp, rsp). */
#define KN_X64_PROLOGUE_PUSH 14
#define KN_X64_PROLOGUE_FRAME 18
#define KN_X64_BUDGET X_R11     /* kiln_store.budget while compiled code runs */
    struct { size_t at; uint32_t func; } *calls;   /* rel32 → function */
    size_t ncalls, capcalls;
    kn_jit_reloc *relocs;       /* absolute helper addresses (call_c) */
    size_t nrelocs, caprelocs;
    bool oom;
    /* Per opcode, what x64_compile.c's classifiers answer (op_class):
     * they depend on the opcode and the CPU alone, and the passes over a
     * function ask them of every instruction several times.  0: not yet. */
    uint8_t opclass[KN_OP_COUNT], oplen[KN_OP_COUNT], opxmm[KN_OP_COUNT];
} kn_x64;

/* x64_compile.c: whether every instruction of cd is covered, and the code
 * of one function appended to x->b (its offset in *entry). */
bool kn_x64_covers(kn_x64 *x, const kn_code *cd);
bool kn_x64_function(kn_x64 *x, uint32_t func, size_t *entry);
/* jit.c: a direct call at rel32 offset `at` to function `func`, patched
 * once every function has its offset. */
void kn_x64_call_fixup(kn_x64 *x, size_t at, uint32_t func);
/* jit.c: the 8-byte absolute address of C function `helper` at offset
 * `at` (a movabs immediate), recorded so that cached code can be patched
 * with this process's address (reloc.c names the helpers). */
void kn_x64_reloc(kn_x64 *x, size_t at, const void *helper);

/* jit.c: the C helpers compiled code calls (System V ABI). */
kiln_error *kn_jit_call_slow(kiln_store *s, kiln_instance *inst, uint32_t func, kn_slot *nfp);
uint32_t kn_jit_memory_grow(kiln_instance *inst, uint32_t delta);
kiln_error *kn_jit_call_ref(kiln_store *s, kiln_instance *inst, kiln_func *callee, kn_slot *nfp);
uintptr_t kn_jit_unwound(kiln_store *s, uintptr_t r, uintptr_t rbp);

/* helpers.c: the numeric instructions as C (unary, binary, trapping),
 * indexed by opcode; NULL for every other opcode. */
typedef uint32_t (*kn_jit_helper)(kn_slot *dst, const kn_slot *x, const kn_slot *y);
extern const kn_jit_helper kn_jit_helpers[KN_OP_COUNT];

/* simd_helpers.c: the SIMD instructions as C, indexed by opcode, generated
 * from opcodes.def's V rows (kind NONE for every other opcode).  Each
 * kind has its own signature; operands are pointers to slots, memory
 * operands a pointer into linear memory already bounds-checked:
 *   UNOP      (kn_slot *d, const kn_slot *a)
 *   BINOP     (d, a, b)              TERNOP   (d, a, b, c)
 *   SHIFT(_K) (d, a, uint32_t n)     EXTRACT  (d, a, uint32_t lane)
 *   REPLACE   (d, a, const kn_slot *x, uint32_t lane)
 *   LOAD(_A)  (d, const uint8_t *p)
 *   LOAD_LANE (d, const uint8_t *p, a, uint32_t lane)
 *   STORE_LANE (uint8_t *p, a, uint32_t lane) */
enum {
    KN_VH_NONE, KN_VH_UNOP, KN_VH_BINOP, KN_VH_TERNOP, KN_VH_SHIFT, KN_VH_SHIFT_K,
    KN_VH_EXTRACT, KN_VH_REPLACE, KN_VH_LOAD, KN_VH_LOAD_A, KN_VH_LOAD_LANE, KN_VH_STORE_LANE
};
typedef struct kn_jit_vhelper {
    uint8_t kind;
    uint8_t size;               /* memory kinds: bytes accessed */
    void (*fn)(void);           /* cast to the kind's signature */
} kn_jit_vhelper;
extern const kn_jit_vhelper kn_jit_vhelpers[KN_OP_COUNT];
/* x64_runtime.c: the C function the runtime instruction op calls (bulk
 * memory, tables), or NULL (for reloc.c's table). */
const void *kn_x64_runtime_helper(uint32_t op);
/* i8x16.shuffle: the 16 lane indices as two little-endian words. */
void kn_jit_v128_shuffle(kn_slot *d, const kn_slot *a, const kn_slot *b, uint64_t lo, uint64_t hi);

#endif
