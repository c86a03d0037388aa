/*
 * jit.h — the native tier's interface to the rest of the engine.
 *
 * The design and its invariants are described at the top of jit.c.  The
 * engine sees four calls: whether this build and CPU have a native tier,
 * compiling a module's lowered code (after kn_compile), freeing what that
 * made, and running one compiled function on a frame the caller set up.
 */
#ifndef KN_JIT_H
#define KN_JIT_H

#include <stdbool.h>

#include "module.h"
#include "runtime.h"

/* True when this build targets x86-64 and native code can run here. */
bool kn_jit_available(void);

/* Compile every defined function of m whose lowered code uses only what
 * the native tier covers (the rest stay interpreted): sets code->native
 * and m->jit.  Errors: out of memory, or no executable memory. */
kiln_error *kn_jit_compile(kn_module *m);
void kn_jit_free(kn_module *m);

/* Run entry->func, which has native code, on the frame at fp (its
 * parameters in place): entry is the frame already pushed for it, left
 * in place on success; on a trap the backtrace of entry and of every
 * frame above it is recorded and they are popped (as kn_unwind). */
kiln_error *kn_jit_run(kiln_store *s, kn_frame *entry, kn_slot *fp);

/* An absolute address in the code: the 8 bytes at offset `at` hold the
 * address of helper `sym` (reloc.c: KN_JIT_SYM_*, an index into a fixed
 * table of C functions, the same in every build of one kiln). */
typedef struct kn_jit_reloc {
    uint32_t at, sym;
} kn_jit_reloc;
/* Whether this process can use guard pages instead of explicit bounds
 * checks (the fault handler is in place, kn_os_fault_init, and the build
 * did not turn them off, see jit.c); memories of native-tier stores are
 * then reserved guarded (memory.c). */
bool kn_jit_guard_pages(void);
/* Whether m's native code may run with mem as its memory 0: false only
 * when the code left out bounds checks and mem has no guard region. */
bool kn_jit_memory_ok(const kn_module *m, const kiln_memory *mem);

/* m->jit: a module's machine code, shared read-only by every instance
 * and thread; NULL when no function was compiled. */
typedef struct kn_jit_module {
    void *mem;                  /* the sealed (read+execute) code */
    size_t size;
    uint32_t ncompiled;         /* defined functions with native code */
    size_t tramp_end;           /* [0, tramp_end): trampoline, exit, trap stubs */
    kn_jit_reloc *relocs;       /* every absolute address in the code */
    size_t nrelocs;
    bool unrelocatable;         /* a helper outside reloc.c's table: no .kcw */
    uint64_t cpu;               /* CPU features present when compiled */
    bool guarded;               /* accesses rely on guard pages */
    struct kn_jit_fstart { uint32_t start, func; } *fstarts;   /* by start: */
    uint32_t nfstarts;          /* which function a pc is in (kn_jit_frames) */
} kn_jit_module;

/* A pc, stack pointer and frame pointer of the thread a signal
 * interrupted (all 0 when unknown). */
typedef struct kn_jit_ctx {
    uintptr_t pc, sp, fp;
} kn_jit_ctx;

/* The compiled frames of run g above g->at (runtime.h's kn_jit_seg),
 * innermost first, as functions of g->at->func's instance: written to
 * out[n..cap), returning n plus their number (whether written or not).
 * inner is the run nested in g (NULL when g is the innermost), whose
 * outer_* fields say where g is; else the store's state does, or, when
 * ctx->pc is in g's compiled code, the interrupted context.  Reads only
 * memory the runs own, and validates what it reads, so a signal handler
 * on the running thread may call it (sample.c). */
size_t kn_jit_frames(const kiln_store *s, const kn_jit_seg *g, const kn_jit_seg *inner,
                     const kn_jit_ctx *ctx, const kiln_func **out, size_t n, size_t cap);

/* artifact.c: this module's code from a parsed artifact instead of
 * compiling it (the module itself is decoded, validated and lowered as
 * usual).  entry[i] is function i's offset (0: interpreted).  Every offset
 * is checked before use; errors are KILN_ERR_ARTIFACT. */
kiln_error *kn_jit_load(kn_module *m, const uint8_t *code, size_t len, const uint32_t *entry,
                        const kn_jit_reloc *relocs, size_t nrelocs, uint64_t cpu);
/* artifact.c, for kiln_module_new and kiln_module_deserialize: parse an
 * artifact for loading (*parsed, freed with kn_free(a, ...)), or the
 * KILN_ERR_ARTIFACT error naming the first problem; the module bytes it
 * holds; loading its code into m, made from those bytes.  And the
 * cache: load m's code from dir or compile it and store it there,
 * recording what happened in mod (kiln_module_cache_status). */
kiln_error *kn_artifact_parse(const uint8_t *bytes, size_t len, void **parsed,
                              const kn_allocator *a);
const uint8_t *kn_artifact_module(const void *parsed, size_t *len);
kiln_error *kn_artifact_load(kn_module *m, const void *parsed);
kiln_error *kn_cache_compile(kiln_module *mod, const char *dir);
/* The CPU features this process has (KN_CPU_* bits, artifact.c), and
 * KN_CPU_GUARD when it can rely on guard pages (kn_jit_guard_pages): code
 * compiled without bounds checks needs it where it is loaded. */
#define KN_CPU_GUARD ((uint64_t)1 << 63)
uint64_t kn_jit_cpu_features(void);

/* reloc.c: the helper table.  kn_jit_sym_of gives the index of a helper's
 * address (KN_JIT_SYM_NONE if it is not in the table), kn_jit_sym_addr the
 * address of an index (NULL past the end). */
#define KN_JIT_SYM_NONE UINT32_MAX
uint32_t kn_jit_sym_of(const void *helper);
const void *kn_jit_sym_addr(uint32_t sym);
uint32_t kn_jit_sym_count(void);

#endif
