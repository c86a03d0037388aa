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
    bool guarded;               /* accesses rely on guard pages */
} kn_jit_module;

#endif
