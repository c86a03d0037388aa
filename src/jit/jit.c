/*
 * jit.c — the native tier: Wasm functions as x86-64 machine code, made
 * from the lowered code (lower.h) in one pass, beside the interpreter.
 *
 * Why this design.  The input is the lowered code, not Wasm: it is
 * already validated, every branch is resolved, the operand stack is gone
 * (each value has a fixed 8-byte slot from fp) and the common pairs are
 * fused (compare-and-branch, address arithmetic folded into loads, shift
 * and add).  So the compiler is a direct x86-64 emitter in the style of
 * V8's Liftoff and Wasmtime's Winch: one template per internal
 * instruction, operands addressed as [fp + 8*slot], written straight into
 * a byte buffer (x64_emit.c) with no IR in between.  The alternative the
 * issue names, copy-and-patch (Xu and Kjolstad, OOPSLA 2021: their Wasm
 * compiler generated code 4.9-6.5x faster than Liftoff, and that code ran
 * 39-63% faster than Liftoff's on CoreMark and PolyBenchC), was not chosen
 * for three reasons: its stencils are made by clang at build time from
 * C with calling conventions gcc lacks (kiln must build with both); its
 * speed comes from a stencil per operand-location variant, which turns
 * each step towards register allocation into a combinatorial stencil
 * library, whereas a direct emitter owns its registers and can cache slots
 * in them incrementally; and emitting a template is already a handful of
 * byte stores per instruction, the same order of work as copying a
 * stencil and patching its holes.  The bar the paper sets stays the bar.
 *
 * How it fits the interpreter.  Compiled code runs on the same value
 * stack as interpreted code: the callee's frame starts at the caller's
 * argument slots and results are left at fp[0..).  Its own calls push no
 * kn_frame, though ("Frames" below).  Every instruction is covered
 * (x64_compile.c's `covered` is the list, by family: x64_compile.c,
 * x64_simd.c, x64_runtime.c).  Templates inline the common ones; the
 * rest call C: numeric and SIMD helpers generated from opcodes.def's
 * rows (helpers.c, simd_helpers.c: the interpreter's own expressions, in
 * the build's SIMD form), and for bulk memory and tables the engine's
 * routines with the interpreter's checks (x64_runtime.c).  So a function
 * stays interpreted only when it is too big for 32-bit displacements
 * (kn_x64_covers), and calls cross tiers both ways: interpreted code
 * enters compiled code through kn_jit_run (interp.c), compiled code calls
 * anything it does not call directly (imports, host and interpreted
 * functions) through kn_jit_call_slow → kn_call_from_native.  Fuel,
 * deadlines and interrupts are the interpreter's budget counter,
 * decremented at the same places (calls, backward branches, jump tables)
 * with the same slow path (kn_check_limits).
 *
 * The budget counter is kept in r11 while compiled code runs and stored
 * back whenever anything else may look at it (x64_compile.c, "Slots in
 * registers"); a trap stub stores it too, before it unwinds.
 *
 * Traps.  Each module's code starts with an entry trampoline that saves
 * the callee-saved registers and the previous exit point, stores its
 * stack pointer in the store (jit_exit_sp) and calls the function; a trap
 * goes (through a pad of its function, "Frames") to the module's stub for
 * its code, which loads the code into rax and takes the exit path: that
 * records the backtrace (kn_jit_unwound) and resets the stack pointer to
 * the exit point.  Results in rax below 4096 are trap codes, others a
 * kiln_error * (from a helper: a host function or interpreted code that
 * failed, its own frames already recorded); the trampoline returns 0 or
 * the kiln_error *.
 *
 * Frames.  A run of compiled code (kn_jit_run) has one kn_frame, its
 * outermost function's, pushed by the interpreter; the functions that
 * function calls directly (call, call_indirect of this instance) have
 * only a machine frame: the return address and the saved rbp, 16 bytes
 * (KN_JIT_FRAME), which is all a call costs beyond the jump itself.
 * Maintaining a kn_frame per call, a read-modify-write of the store's
 * frame_top that chains from call to call through memory, cost
 * call-heavy code 10-15%.
 * Everything the kn_frames gave is found on the machine stack instead:
 *   - which function a frame runs: the function whose code holds a pc in
 *     it (kn_jit_module.fstarts); for each frame but the innermost that is
 *     the return address the frame below it saved; for the innermost, a pc
 *     the code leaves where C can find it: call_c stores rbp and a pc in
 *     the store (jit_rbp, jit_pc) before every call into C; a trap pad
 *     calls its stub, which pops the pc into jit_pc; the fault handler
 *     pushes the faulting pc as if the instruction had called the stub;
 *   - how many frames there are: every frame is 16 bytes, the outermost's
 *     rbp is 16 below the trampoline's stack pointer (jit_exit_sp), so a
 *     frame pointer tells the count (frames_above; a signal handler's
 *     reading, which may be stale, also checks the saved rbp chain);
 *   - the call-depth limit: a prologue compares rsp with jit_stack_limit,
 *     which the trampoline sets to the higher of the thread's floor and
 *     16 bytes per frame the frame stack still has room for
 *     (jit_depth_bytes, from kn_jit_run), before it makes its frame, so a
 *     stack-exhausted trap's backtrace ends at the caller as the
 *     interpreter's does.  While compiled code calls into C that may run
 *     Wasm (kn_jit_call_ref), the frame stack ends that many frames
 *     earlier, so depth counts exactly across nested runs;
 *   - backtraces: the exit path calls kn_jit_unwound on a trap or error,
 *     while the frames are intact (C running after the trampoline returned
 *     would overwrite them), and kn_unwind adds the kn_frames;
 *   - profiles: kn_jit_seg lists the runs, innermost first, for
 *     kiln_store_stack; the sampler passes the interrupted registers, so a
 *     sample in compiled code reads rbp and pc from them (kn_jit_frames).
 * Machine-stack depth is bounded by the frame limit and by that check in
 * every prologue: jit_stack_limit is never below the low end of the
 * running thread's stack (kn_os_thread_prepare, pthread_getattr_np) plus
 * KN_JIT_STACK_MARGIN for the C that runs between two prologues and for
 * signal handling, so compiled code traps before it reaches the thread's
 * guard page, whatever the thread's stack size (KN_JIT_STACK_BYTES below
 * the outermost entry if the system cannot tell the bounds).
 *
 * Guard pages.  When the process-wide fault handler is in place
 * (kn_os_fault_init, src/os/) and the module has a memory, every memory
 * of a native-tier store reserves the 4 GiB index space plus a 2 GiB
 * guard (KN_GUARDED_RESERVE, memory.c), and address() emits no bounds
 * check for an access whose static offset + size fits the guard: the
 * effective address u32 index + offset then always lands in the
 * reservation, and past the memory's size it faults.  The module's code
 * range is registered with the handler, which resumes a fault at a pc
 * inside it and an address inside [r13, r13 + KN_GUARDED_RESERVE) at the
 * module's out-of-bounds trap stub; the stub unwinds to jit_exit_sp like
 * every trap, so the trap code and the backtrace are exactly those of
 * the explicit check.  Larger offsets keep the
 * explicit check.  Whether a module relies on guards is fixed at compile
 * time (kn_jit_module.guarded), since its code is shared by all its
 * instances; a memory that could not get the guarded reservation makes
 * instantiating such a module fail (kn_jit_memory_ok), never run
 * unchecked.  This works under ASan+UBSan too (ASan lets a program
 * install a SEGV handler by default, and ours passes ASan's reports on);
 * KN_JIT_NO_GUARD turns guard pages off in any build.
 *
 * Memory.  W^X through the OS seam: the code is written into a private
 * buffer, copied into a fresh read-write mapping, which is then sealed
 * read+execute; nothing is ever writable and executable at once.  The
 * code is shared read-only by every instance and thread (all mutable
 * state is reached through rbx/r12/r15).
 *
 * call_indirect makes the interpreter's checks inline, in its order
 * (index, null, signature, then the budget), and calls a compiled
 * function of the same instance directly; any other callee (a host
 * function, another instance's) goes through C (kn_jit_call_ref).
 *
 * Registers.  The templates address slots through SLOT(), which gives a
 * register for the slots a function keeps in registers for its whole
 * body: up to seven general ones (r8-r10, rsi, rdi, rdx, and r14 where
 * guard pages free it from holding the memory's size) for the slots only
 * inline integer templates touch, and twelve xmm registers (xmm4-xmm15)
 * for float slots, the most used ones in loops (x64_compile.c, "Slots in
 * registers"); and the encoder forwards a slot just stored to the
 * instruction that reads it next (x64_emit.c, "Forwarding").  An i32
 * address in a register indexes memory as it is where a forward pass
 * shows the register zero-extended (x64_compile.c, "Zero-extended
 * registers"), and on CPUs with AVX the float templates use the
 * three-operand VEX forms, which need no copy of their first operand.  Memory
 * stays the canonical home of every other slot, and of the allocated ones
 * around calls and returns.
 *
 * What later increments change without rewriting this: liveness, so that
 * calls store only what is live and a slot's separate lives (lowering
 * reuses a slot for many temporaries) get registers of their own; more
 * SIMD templates over xmm registers replace helper calls, behind
 * CPU-feature flags in kn_x64 (has_popcnt, has_sse41, has_avx) beyond
 * SSE2.
 *
 * Code from an artifact (.kcw, the cache; artifact.c) takes the same
 * install path as code compiled here: the buffer is position-independent
 * but for the absolute addresses of C helpers, each recorded by call_c as
 * a relocation (an index into reloc.c's table), patched into the fresh
 * read-write mapping before it is sealed.  kn_jit_load first checks that
 * the code fits this build (check_loaded).  Whether the code relies on
 * guard pages travels with it as a pseudo CPU feature (KN_CPU_GUARD,
 * artifact.c): code without bounds checks is never loaded where guard
 * pages are not available, and its module requires guarded memories.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "errors.h"
#include "jit.h"
#include "lower.h"
#include "os/os.h"
#include "x64_jit.h"

#if defined(__x86_64__) && defined(__linux__)
#define KN_JIT_X64 1
#else
#define KN_JIT_X64 0
#endif

/* Machine stack kept free at the low end of the thread's stack, below
 * anything compiled code uses: for the C it calls between two prologue
 * checks (helpers, interpreted code, host functions) and for a signal
 * handler without an alternate stack. */
#define KN_JIT_STACK_MARGIN ((uintptr_t)128 << 10)
/* When the thread's stack bounds are unknown: how much compiled code may
 * use below the outermost entry. */
#define KN_JIT_STACK_BYTES ((uintptr_t)1 << 20)
/* KN_JIT_NO_GUARD (a -D flag) keeps the explicit checks in any build. */
#if defined(KN_JIT_NO_GUARD)
#define KN_JIT_GUARD 0
#else
#define KN_JIT_GUARD KN_JIT_X64
#endif
/* Machine stack per compiled frame: the return address and rbp. */
#define KN_JIT_FRAME 16
/* Results in rax at the exit path below this are trap codes, else errors. */
#define KN_JIT_MAX_CODE 4096

typedef uintptr_t (*kn_enter_fn)(kiln_store *s, kn_slot *fp, const void *code, kiln_instance *inst,
                                 uint8_t *mbase, uint64_t msize);

bool kn_jit_available(void) { return KN_JIT_X64; }

bool kn_jit_guard_pages(void) { return KN_JIT_GUARD && kn_os_fault_init(); }

bool kn_jit_memory_ok(const kn_module *m, const kiln_memory *mem)
{
    return !m->jit || !m->jit->guarded || mem->guarded;
}

/* ---- Frames ------------------------------------------------------------ */

/* The function of m whose compiled code holds pc, or UINT32_MAX. */
static uint32_t func_at(const kn_jit_module *jm, uintptr_t pc)
{
    uintptr_t base = (uintptr_t)jm->mem;
    if (pc < base + jm->tramp_end || pc >= base + jm->size || !jm->nfstarts)
        return UINT32_MAX;
    uint32_t off = (uint32_t)(pc - base), lo = 0, hi = jm->nfstarts;
    while (hi - lo > 1) {       /* the last start <= off */
        uint32_t mid = lo + (hi - lo) / 2;
        if (jm->fstarts[mid].start <= off)
            lo = mid;
        else
            hi = mid;
    }
    return jm->fstarts[lo].func;
}

/* How many compiled frames a run whose trampoline stack pointer is sp has
 * above its outermost function's, rbp being the innermost's: -1 when rbp
 * is not a frame of that run (it has not called its function yet, or has
 * returned), or when there would be more than max.  The outermost frame's
 * rbp is sp - 16 and each callee's KN_JIT_FRAME below its caller's. */
static ptrdiff_t frames_above(uintptr_t sp, uintptr_t rbp, size_t max)
{
    uintptr_t top = sp - 16;
    if (!sp || !rbp || rbp > top || (top - rbp) % KN_JIT_FRAME)
        return -1;
    size_t k = (top - rbp) / KN_JIT_FRAME;
    return k <= max ? (ptrdiff_t)k : -1;
}

/* For a pair that may be stale (a signal handler's reading): whether the
 * k frames above rbp still chain, each saved rbp pointing at the next. */
static bool frames_chain(uintptr_t rbp, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        uintptr_t saved;
        memcpy(&saved, (const void *)(rbp + KN_JIT_FRAME * i), sizeof saved);
        if (saved != rbp + KN_JIT_FRAME * (i + 1))
            return false;
    }
    return true;
}

/* Visit the k frames above a run's outermost, innermost first: the frame
 * at rbp runs function func; each frame's return address (at rbp + 8)
 * is in the function of the frame above it (the byte before it is: a
 * call may end its function). */
static void walk(const kn_jit_module *jm, uintptr_t rbp, uint32_t func, size_t k,
                 void (*visit)(void *ud, uint32_t func), void *ud)
{
    for (size_t i = 0; i < k; i++) {
        visit(ud, func);
        uintptr_t ret;
        memcpy(&ret, (const void *)(rbp + KN_JIT_FRAME * i + 8), sizeof ret);
        func = func_at(jm, ret - 1);
    }
}

typedef struct unwind_out {
    kiln_error *e;
    const kn_module *m;
} unwind_out;

static void add_frame(void *ud, uint32_t func)
{
    unwind_out *u = ud;
    kn_error_add_frame(u->e, func, func == UINT32_MAX ? NULL : kn_func_name(u->m, func));
}

/* The exit path's call on a trap or error (r: a trap code or a
 * kiln_error *), on the machine stack below the innermost compiled frame,
 * rbp: the error, with the compiled frames of the innermost run above its
 * kn_frame in its backtrace, innermost first (jit_pc is in the function of
 * the frame at rbp). */
uintptr_t kn_jit_unwound(kiln_store *s, uintptr_t r, uintptr_t rbp)
{
    kiln_error *e = r < KN_JIT_MAX_CODE ? kn_trap_new((kiln_trap_code)r) : (kiln_error *)r;
    const kn_module *m = s->jit_segs->at->func->inst->module;
    ptrdiff_t k = frames_above((uintptr_t)s->jit_exit_sp, rbp, s->limits.max_call_depth);
    unwind_out u = {e, m};
    if (k > 0)      /* jit_pc follows an instruction of the function: - 1 */
        walk(m->jit, rbp, func_at(m->jit, s->jit_pc - 1), (size_t)k, add_frame, &u);
    return (uintptr_t)e;
}

typedef struct sample_out {
    const kiln_instance *inst;
    const kiln_func **out;
    size_t n, cap;
} sample_out;

static void add_sample(void *ud, uint32_t func)
{
    sample_out *o = ud;
    if (o->n < o->cap)
        o->out[o->n] = func < o->inst->module->nfuncs ? o->inst->funcs[func] : NULL;
    o->n++;
}

size_t kn_jit_frames(const kiln_store *s, const kn_jit_seg *g, const kn_jit_seg *inner,
                     const kn_jit_ctx *ctx, const kiln_func **out, size_t n, size_t cap)
{
    uintptr_t sp, rbp, pc;
    uint32_t lead = UINT32_MAX, func;
    if (inner) {
        sp = inner->outer_sp, rbp = inner->outer_rbp, pc = inner->outer_pc;
    } else {
        sp = (uintptr_t)__atomic_load_n(&s->jit_exit_sp, __ATOMIC_RELAXED);
        rbp = __atomic_load_n(&s->jit_rbp, __ATOMIC_RELAXED);
        pc = __atomic_load_n(&s->jit_pc, __ATOMIC_RELAXED);
    }
    if (sp == g->outer_sp)      /* its trampoline has not started, or is done */
        return n;
    const kiln_instance *inst = g->at->func->inst;
    const kn_jit_module *jm = inst->module->jit;
    uintptr_t base = (uintptr_t)jm->mem;
    if (!inner && ctx && ctx->pc >= base && ctx->pc < base + jm->size) {
        /* interrupted in this run's code: in its trampoline, exit path or
         * stubs it shows no compiled frames; in a prologue before the
         * frame is made, or at a ret after it is gone, the function is
         * listed first and its caller's frame is rbp */
        func = func_at(jm, ctx->pc);
        if (func == UINT32_MAX)
            return n;
        uintptr_t off = ctx->pc - (uintptr_t)inst->module->funcs[func].code->native;
        const void *ret = NULL;
        if (off < KN_X64_PROLOGUE_PUSH || *(const uint8_t *)ctx->pc == 0xc3)
            ret = (const void *)ctx->sp;
        else if (off < KN_X64_PROLOGUE_FRAME)
            ret = (const void *)(ctx->sp + 8);
        rbp = ctx->fp;
        if (ret) {
            lead = func;
            memcpy(&pc, ret, sizeof pc);
            func = func_at(jm, pc - 1);
        }
    } else {
        func = func_at(jm, pc - 1);     /* pc follows an instruction of it */
    }
    ptrdiff_t k = frames_above(sp, rbp, s->limits.max_call_depth);
    sample_out o = {inst, out, n, cap};
    if (k < 0 || !frames_chain(rbp, (size_t)k))
        return n;
    if (lead != UINT32_MAX)
        add_sample(&o, lead);
    walk(jm, rbp, func, (size_t)k, add_sample, &o);
    return o.n;
}

/* A call out of compiled code into C that may run Wasm: the innermost
 * run's compiled frames above its kn_frame count against the call depth
 * while it lasts, so the frame stack ends that much earlier. */
kiln_error *kn_jit_call_ref(kiln_store *s, kiln_instance *inst, kiln_func *callee, kn_slot *nfp)
{
    ptrdiff_t d = frames_above((uintptr_t)s->jit_exit_sp, s->jit_rbp, s->limits.max_call_depth);
    size_t k = d > 0 ? (size_t)d : 0;
    if (k > (size_t)(s->frames_end - s->frame_top))   /* the prologues' check prevents it */
        return kn_trap_new(KILN_TRAP_STACK_EXHAUSTED);
    s->frames_end -= k;
    kiln_error *e = kn_call_from_native(s, inst, callee, nfp);
    s->frames_end += k;
    return e;
}

kiln_error *kn_jit_call_slow(kiln_store *s, kiln_instance *inst, uint32_t func, kn_slot *nfp)
{
    return kn_jit_call_ref(s, inst, inst->funcs[func], nfp);
}

uint32_t kn_jit_memory_grow(kiln_instance *inst, uint32_t delta)
{
    return (uint32_t)kn_memory_grow(inst->memories[0], delta);
}

void kn_x64_call_fixup(kn_x64 *x, size_t at, uint32_t func)
{
    if (x->ncalls == x->capcalls) {
        size_t nc = x->capcalls ? x->capcalls * 2 : 64;
        void *p = kn_realloc_n(x->alloc, x->calls, nc, sizeof *x->calls);
        if (!p) {
            x->oom = true;
            return;
        }
        x->calls = p;
        x->capcalls = nc;
    }
    x->calls[x->ncalls].at = at;
    x->calls[x->ncalls++].func = func;
}

void kn_x64_reloc(kn_x64 *x, size_t at, const void *helper)
{
    if (x->nrelocs == x->caprelocs) {
        size_t nc = x->caprelocs ? x->caprelocs * 2 : 64;
        void *p = kn_realloc_n(x->alloc, x->relocs, nc, sizeof *x->relocs);
        if (!p) {
            x->oom = true;
            return;
        }
        x->relocs = p;
        x->caprelocs = nc;
    }
    uint32_t sym = kn_jit_sym_of(helper);
    x->relocs[x->nrelocs].at = at <= UINT32_MAX ? (uint32_t)at : UINT32_MAX;
    x->relocs[x->nrelocs++].sym = at <= UINT32_MAX ? sym : KN_JIT_SYM_NONE;
}

static void *buf_grow(void *ud, void *ptr, size_t new_size)
{
    return kn_realloc((const kn_allocator *)ud, ptr, new_size);
}

/* The entry trampoline (offset 0): kn_enter_fn, System V.  Then the exit
 * path, entered with the result in rax from any depth of compiled code,
 * and the trap stubs.  The trampoline saves the store's exit point and
 * stack limit (an outer run's, when this one is nested in it) and puts
 * them back on the way out.  Its stack limit is the higher of the
 * thread's floor and the depth limit, jit_depth_bytes below its stack
 * pointer (kn_jit_run).  A trap stub is called from a function's trap
 * pad (or entered with a pc pushed by the fault handler, or jumped to
 * from a prologue with the caller's return address on top): it pops that
 * pc into jit_pc.  On a trap or error the exit path calls jit_unwound
 * (kn_jit_unwound) while the compiled frames are still intact: below
 * them, on the stack they were using, since any C that ran after the
 * trampoline returned would overwrite them.  It is called through the
 * store so that the trampoline holds no absolute address (artifacts
 * compare it byte for byte). */
static void trampoline(kn_x64 *x)
{
    x64_buf *b = &x->b;
#define STORE_FIELD(name) x64_m(X_R12, (int32_t)offsetof(kiln_store, name))
    x64_mem exit_sp = STORE_FIELD(jit_exit_sp), limit = STORE_FIELD(jit_stack_limit);
    x64_mem budget = STORE_FIELD(budget);
    kn_x64_push(b, X_RBP);
    kn_x64_mov(b, 1, X_RBP, X_RSP);
    kn_x64_push(b, X_RBX);
    kn_x64_push(b, X_R12);
    kn_x64_push(b, X_R13);
    kn_x64_push(b, X_R14);
    kn_x64_push(b, X_R15);
    kn_x64_mov(b, 1, X_R12, X_RDI);
    kn_x64_load(b, 1, X_RAX, exit_sp);
    kn_x64_push(b, X_RAX);
    kn_x64_load(b, 1, X_RAX, limit);
    kn_x64_push(b, X_RAX);
    kn_x64_push(b, X_RAX);                 /* 9 pushes: rsp is 16-aligned */
    kn_x64_store(b, 1, exit_sp, X_RSP);
    kn_x64_load(b, 1, X_R10, STORE_FIELD(jit_stack_floor));
    kn_x64_mov(b, 1, X_RAX, X_RSP);
    kn_x64_alu_rm(b, 1, X_SUB, X_RAX, STORE_FIELD(jit_depth_bytes));
    kn_x64_cmov(b, 1, X_CC_B, X_RAX, X_R10);  /* below address 0: the floor */
    kn_x64_alu_rr(b, 1, X_CMP, X_RAX, X_R10);
    kn_x64_cmov(b, 1, X_CC_B, X_RAX, X_R10);
    kn_x64_store(b, 1, limit, X_RAX);
    kn_x64_mov(b, 1, X_RBX, X_RSI);
    kn_x64_mov(b, 1, X_R15, X_RCX);
    kn_x64_mov(b, 1, X_R13, X_R8);
    kn_x64_mov(b, 1, X_R14, X_R9);
    kn_x64_load(b, 1, KN_X64_BUDGET, budget);
    if (x->has_avx)
        kn_x64_vzeroupper(b);
    kn_x64_call_r(b, X_RDX);
    kn_x64_store(b, 1, budget, KN_X64_BUDGET);
    kn_x64_alu_rr(b, 0, X_XOR, X_RAX, X_RAX);
    x->exit = b->len;
    kn_x64_test_rr(b, 1, X_RAX, X_RAX);
    size_t done = kn_x64_jcc32(b, X_CC_E);
    kn_x64_mov(b, 1, X_RDI, X_R12);
    kn_x64_mov(b, 1, X_RSI, X_RAX);
    kn_x64_mov(b, 1, X_RDX, X_RBP);
    kn_x64_alu_ri(b, 1, X_AND, X_RSP, -16);
    kn_x64_call_m(b, STORE_FIELD(jit_unwound));
    kn_x64_patch_rel32(b, done, b->len);
    kn_x64_load(b, 1, X_RSP, exit_sp);
    kn_x64_pop(b, X_RCX);
    kn_x64_pop(b, X_RCX);
    kn_x64_store(b, 1, limit, X_RCX);
    kn_x64_pop(b, X_RCX);
    kn_x64_store(b, 1, exit_sp, X_RCX);
    kn_x64_pop(b, X_R15);
    kn_x64_pop(b, X_R14);
    kn_x64_pop(b, X_R13);
    kn_x64_pop(b, X_R12);
    kn_x64_pop(b, X_RBX);
    kn_x64_pop(b, X_RBP);
    kn_x64_ret(b);
    for (uint32_t code = 0; code < KN_X64_NTRAPS; code++) {
        x->trap_stub[code] = b->len;
        kn_x64_store(b, 1, budget, KN_X64_BUDGET);
        x->trap_stub_nf[code] = b->len;
        kn_x64_pop(b, X_RCX);
        kn_x64_store(b, 1, STORE_FIELD(jit_pc), X_RCX);
        kn_x64_mov_imm(b, X_RAX, code);
        kn_x64_patch_rel32(b, kn_x64_jmp32(b), x->exit);
    }
#undef STORE_FIELD
}

/* Which functions get native code, then their code, then the calls
 * between them. */
static bool compile_all(kn_x64 *x)
{
    const kn_module *m = x->m;
    uint32_t n = 0;
    for (uint32_t i = m->num_func_imports; i < m->nfuncs; i++)
        if (m->funcs[i].code && kn_x64_covers(x, m->funcs[i].code))
            x->native[i] = 1, n++;
    if (!n)
        return true;
    /* Room for the whole code at once (it takes about 6 bytes per word of
     * lowered code), so that it is not copied as the buffer grows. */
    size_t words = 0;
    for (uint32_t i = m->num_func_imports; i < m->nfuncs; i++)
        if (x->native[i])
            words += m->funcs[i].code->nwords;
    kn_x64_reserve(&x->b, 4096 + 8 * words);
    trampoline(x);
    for (uint32_t i = m->num_func_imports; i < m->nfuncs; i++)
        if (x->native[i] && !kn_x64_function(x, i, &x->entry[i]))
            return false;
    for (size_t i = 0; i < x->ncalls; i++)
        kn_x64_patch_rel32(&x->b, x->calls[i].at, x->entry[x->calls[i].func]);
    return !x->oom && !x->b.oom;
}

/* Write every helper address into the code, from the table (reloc.c):
 * for freshly compiled code this rewrites the same values, for code from
 * an artifact it fills the zeros the artifact holds there.  A helper the
 * table lacks keeps the address call_c wrote (compiled code only: an
 * artifact never names one). */
static void relocate(uint8_t *mem, const kn_x64 *x)
{
    for (size_t i = 0; i < x->nrelocs; i++) {
        const void *addr = kn_jit_sym_addr(x->relocs[i].sym);
        if (!addr)
            continue;
        uint64_t a = (uint64_t)(uintptr_t)addr;
        memcpy(mem + x->relocs[i].at, &a, sizeof a);  /* x86-64: little-endian */
    }
}

/* Keep what an artifact needs to write this code again (artifact.c). */
static bool keep_relocs(kn_module *m, kn_jit_module *jm, const kn_x64 *x)
{
    jm->relocs = kn_calloc(&m->alloc, x->nrelocs ? x->nrelocs : 1, sizeof *jm->relocs);
    if (!jm->relocs)
        return false;
    for (size_t i = 0; i < x->nrelocs; i++) {
        jm->relocs[i] = x->relocs[i];
        if (x->relocs[i].sym == KN_JIT_SYM_NONE)
            jm->unrelocatable = true;
    }
    jm->nrelocs = x->nrelocs;
    jm->cpu = x->cpu;
    return true;
}

/* Copy the code into executable memory (W^X), relocate it while it is
 * still only writable, seal it, and publish it. */
static kiln_error *install(kn_module *m, kn_x64 *x)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        n += x->native[i];
    if (!n)
        return NULL;
    kn_jit_module *jm = kn_calloc(&m->alloc, 1, sizeof *jm);
    struct kn_jit_fstart *fstarts = kn_calloc(&m->alloc, n, sizeof *fstarts);
    void *mem = jm && fstarts && keep_relocs(m, jm, x) ? kn_os_exec_map(x->b.len) : NULL;
    if (!mem) {
        if (jm)
            kn_free(&m->alloc, jm->relocs);
        kn_free(&m->alloc, jm);
        kn_free(&m->alloc, fstarts);
        return kn_error_nomem();
    }
    memcpy(mem, x->b.p, x->b.len);
    relocate(mem, x);
    if (!kn_os_exec_seal(mem, x->b.len)) {
        kn_os_exec_unmap(mem, x->b.len);
        kn_free(&m->alloc, jm->relocs);
        kn_free(&m->alloc, jm);
        kn_free(&m->alloc, fstarts);
        return kn_error_new(KILN_ERR_NOMEM, -1, "cannot make compiled code executable");
    }
    /* A fault of this code inside memory 0's reservation (r13 is its
     * base) is an access past the end: the out-of-bounds trap. */
    if (x->guard && !kn_os_code_register(mem, x->b.len,
                                         (const uint8_t *)mem + x->trap_stub[KILN_TRAP_MEMORY_OOB],
                                         X_R13, KN_GUARDED_RESERVE)) {
        kn_os_exec_unmap(mem, x->b.len);
        kn_free(&m->alloc, jm->relocs);
        kn_free(&m->alloc, jm);
        kn_free(&m->alloc, fstarts);
        return kn_error_nomem();
    }
    jm->mem = mem;
    jm->size = x->b.len;
    jm->ncompiled = n;
    jm->tramp_end = x->b.len;
    jm->guarded = x->guard;
    jm->fstarts = fstarts;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (x->native[i]) {
            m->funcs[i].code->native = (const uint8_t *)mem + x->entry[i];
            if (x->entry[i] < jm->tramp_end)
                jm->tramp_end = x->entry[i];
            /* entries increase in function order (check_loaded) */
            fstarts[jm->nfstarts++] = (struct kn_jit_fstart){(uint32_t)x->entry[i], i};
        }
    m->jit = jm;
    return NULL;
}

/* The CPU features the templates may use, for compiling and for
 * checking loaded code alike (check_loaded asks kn_x64_covers, whose
 * answer may depend on them): one place to add a feature.  With
 * -DKN_JIT_SSE2_ONLY the templates use none (the x86-64 baseline), as on
 * an old CPU: the portable test build does, so that their fallbacks (the C
 * helpers) are tested too. */
static void detect_cpu(kn_x64 *x)
{
#if KN_JIT_X64 && !defined(KN_JIT_SSE2_ONLY)
    x->has_popcnt = __builtin_cpu_supports("popcnt");
    x->has_sse41 = __builtin_cpu_supports("sse4.1");
    x->has_avx = __builtin_cpu_supports("avx");
#endif
    x->cpu = kn_jit_cpu_features();
}

kiln_error *kn_jit_compile(kn_module *m)
{
    if (!KN_JIT_X64)
        return NULL;
    kn_x64 x = {.m = m, .alloc = &m->alloc};
    x.b.grow = buf_grow;
    x.b.ud = (void *)&m->alloc;
    detect_cpu(&x);
    x.guard = m->nmemories && kn_jit_guard_pages();
    x.no_marks = m->no_write_map;
    x.native = kn_calloc(&m->alloc, m->nfuncs + 1, 1);
    x.entry = kn_calloc(&m->alloc, m->nfuncs + 1, sizeof *x.entry);
    kiln_error *err = NULL;
    if (!x.native || !x.entry || !compile_all(&x))
        err = kn_error_nomem();
    else
        err = install(m, &x);
    kn_free(&m->alloc, x.native);
    kn_free(&m->alloc, x.entry);
    kn_free(&m->alloc, x.calls);
    kn_free(&m->alloc, x.relocs);
    kn_free(&m->alloc, x.b.p);
    return err;
}

/* The checks that make code from an artifact safe to map, given that the
 * artifact's checksum, build and CPU were verified (artifact.c): the
 * trampoline is byte for byte the one this build makes (so its exit and
 * trap stubs are where x says), each native function is one this build
 * would compile, entries increase in function order after the trampoline
 * (the order compile_all emits them, which perf maps rely on), and every
 * relocation is a movabs rax immediate inside the code, in order, naming
 * a helper of the table. */
static const char *check_loaded(kn_x64 *x, const uint8_t *code, size_t len,
                                const uint32_t *entry)
{
    const kn_module *m = x->m;
    trampoline(x);
    if (x->b.oom)
        return "out of memory";
    if (len < x->b.len || memcmp(code, x->b.p, x->b.len) != 0)
        return "its entry trampoline differs from this build's";
    size_t prev = x->b.len;
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (!entry[i])
            continue;
        if (i < m->num_func_imports || !m->funcs[i].code || !kn_x64_covers(x, m->funcs[i].code))
            return "it has code for a function this build would not compile";
        if (entry[i] < prev || (n && entry[i] == prev) || entry[i] >= len)
            return "a function entry is out of order or outside the code";
        prev = entry[i];
        x->native[i] = 1;
        x->entry[i] = entry[i];
        n++;
    }
    if (!n)
        return "it has no compiled function";
    size_t end = 0;
    for (size_t i = 0; i < x->nrelocs; i++) {
        size_t at = x->relocs[i].at;
        if (at < x->b.len || at < end + 2 || at > len - 10 || code[at - 2] != 0x48 ||
            code[at - 1] != 0xb8 || !kn_jit_sym_addr(x->relocs[i].sym))
            return "a relocation is out of place or names no helper";
        end = at + 8;
    }
    return NULL;
}

kiln_error *kn_jit_load(kn_module *m, const uint8_t *code, size_t len, const uint32_t *entry,
                        const kn_jit_reloc *relocs, size_t nrelocs, uint64_t cpu)
{
    if (!KN_JIT_X64)
        return kn_error_new(KILN_ERR_ARTIFACT, -1, "compiled code rejected: no native tier here");
    kn_x64 x = {.m = m, .alloc = &m->alloc};
    x.b.grow = buf_grow;
    x.b.ud = (void *)&m->alloc;
    detect_cpu(&x);
    x.cpu = cpu;
    x.guard = m->nmemories && (cpu & KN_CPU_GUARD);   /* as it was compiled */
    x.no_marks = m->no_write_map;                     /* checked: config hash */
    x.native = kn_calloc(&m->alloc, m->nfuncs + 1, 1);
    x.entry = kn_calloc(&m->alloc, m->nfuncs + 1, sizeof *x.entry);
    x.relocs = (kn_jit_reloc *)relocs;
    x.nrelocs = nrelocs;
    kiln_error *err = NULL;
    const char *why = !x.native || !x.entry ? "out of memory" : check_loaded(&x, code, len, entry);
    if (why && strcmp(why, "out of memory") == 0) {
        err = kn_error_nomem();
    } else if (why) {
        err = kn_error_new(KILN_ERR_ARTIFACT, -1, "compiled code rejected: %s", why);
    } else {
        kn_free(&m->alloc, x.b.p);
        x.b.p = (uint8_t *)code;  /* install only reads it */
        x.b.len = len;
        err = install(m, &x);
        x.b.p = NULL;
    }
    kn_free(&m->alloc, x.native);
    kn_free(&m->alloc, x.entry);
    kn_free(&m->alloc, x.calls);
    kn_free(&m->alloc, x.b.p);
    return err;
}

void kn_jit_free(kn_module *m)
{
    if (!m->jit)
        return;
    if (m->jit->guarded)
        kn_os_code_unregister(m->jit->mem);
    kn_os_exec_unmap(m->jit->mem, m->jit->size);
    kn_free(&m->alloc, m->jit->relocs);
    kn_free(&m->alloc, m->jit->fstarts);
    kn_free(&m->alloc, m->jit);
    m->jit = NULL;
}

/* The call through `enter` goes to generated code, which has no type
 * signature in front of it: clang's -fsanitize=function (part of UBSan)
 * would read one from the bytes before the code mapping and fault. */
#if defined(__clang__)
__attribute__((no_sanitize("function")))
#endif
kiln_error *kn_jit_run(kiln_store *s, kn_frame *entry, kn_slot *fp)
{
    kiln_instance *inst = entry->func->inst;
    const kn_module *m = inst->module;
    kiln_memory *mem = m->nmemories ? inst->memories[0] : NULL;
    kn_enter_fn enter;
    void *tramp = m->jit->mem;
    memcpy(&enter, &tramp, sizeof enter);
    bool outer = s->jit_stack_floor == 0;
    if (outer) {
        uintptr_t here = (uintptr_t)__builtin_frame_address(0), lo = kn_os_thread_prepare();
        s->jit_stack_floor = lo ? lo + KN_JIT_STACK_MARGIN : here - KN_JIT_STACK_BYTES;
        s->jit_unwound = kn_jit_unwound;
    }
    /* entry is pushed: the frames the frame stack still has room for are
     * what this run's compiled calls may add (see "Frames") */
    s->jit_depth_bytes = KN_JIT_FRAME * (uintptr_t)(s->frames_end - s->frame_top) + 8;
    kn_jit_seg seg = {entry, (uintptr_t)s->jit_exit_sp, s->jit_rbp, s->jit_pc, s->jit_segs};
    __atomic_signal_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&s->jit_segs, &seg, __ATOMIC_RELAXED);
    uintptr_t r = enter(s, fp, entry->func->code->native, inst, mem ? mem->data : NULL,
                        mem ? mem->size : 0);
    kiln_error *e = (kiln_error *)r;   /* its compiled frames recorded (kn_jit_unwound) */
    s->jit_rbp = seg.outer_rbp;
    s->jit_pc = seg.outer_pc;
    __atomic_signal_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&s->jit_segs, seg.prev, __ATOMIC_RELAXED);
    if (outer)
        s->jit_stack_floor = 0;
    return e ? kn_unwind(s, entry, e) : NULL;
}
