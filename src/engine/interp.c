/*
 * interp.c — the interpreter: executes lowered code (lower.h).
 *
 * One loop, written once: with GCC/clang each handler ends in an indirect
 * jump through a table of label addresses (computed goto), elsewhere the
 * same source compiles to a `switch` (build with -DKN_NO_COMPUTED_GOTO to
 * get that form anywhere).  The numeric, load and store handlers are
 * generated from opcodes.def; the rest are written out below.
 *
 * Invariants:
 *   - Wasm calls never recurse on the C stack: a call pushes a kn_frame on
 *     the store's frame stack and continues in the same loop.  Only host
 *     functions that call back into Wasm nest the loop, and those nested
 *     runs share the frame and value stacks, so the call-depth and stack
 *     limits bound everything;
 *   - the registers ip, fp, inst, mbase and msize describe the running
 *     function; msize is reloaded after anything that can grow memory
 *     (memory.grow, calls, host functions);
 *   - fuel, deadline and interrupt cost one decrement-and-branch, at calls
 *     and loop back-edges only (s->budget; see kn_check_limits);
 *   - a trap unwinds the frames this run pushed, records a backtrace and
 *     returns an error: the store stays usable;
 *   - the frame stack (and the host marks of call_host) can be read at any
 *     instruction by a signal handler on this thread (kiln_store_stack,
 *     for profilers): frames are filled before frame_top covers them.
 *     Compiled code pushes a frame only for the first function of each
 *     run (kn_jit_run); the rest of a run is on the machine stack (jit.c,
 *     "Frames").
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "errors.h"
#include "lower.h"
#include "numeric.h"
#include "runtime.h"
#include "simd.h"
#include "jit/jit.h"

#if (defined(__GNUC__) || defined(__clang__)) && !defined(KN_NO_COMPUTED_GOTO)
#define KN_COMPUTED_GOTO 1
#else
#define KN_COMPUTED_GOTO 0
#endif

#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Push a filled frame: a signal fence, then the store of frame_top, so a
 * profiler's signal handler on this thread never sees frame_top cover a
 * frame whose fields are not written yet.  Only the compiler is held back
 * (a signal handler runs on this thread); measured, a release store here
 * costs fib(30) a quarter of its speed with GCC, this nothing. */
#define PUBLISH_FRAME(fr)                          \
    (__atomic_signal_fence(__ATOMIC_RELEASE),      \
     __atomic_store_n(&s->frame_top, (fr) + 1, __ATOMIC_RELAXED))

/* C types and slot fields of the value types named in opcodes.def. */
#define CT_I32 uint32_t
#define CT_I64 uint64_t
#define CT_F32 float
#define CT_F64 double
#define F_I32 i32
#define F_I64 i64
#define F_F32 f32
#define F_F64 f64
/* Immediates of _K forms (lower.h): word count and value, per type. */
#define KW_I32 1
#define KW_I64 1
#define KW_F32 1
#define KW_F64 2
#define IMMV_I32(k) (ip[k])
#define IMMV_I64(k) ((uint64_t)(int64_t)(int32_t)ip[k])
#define IMMV_F32(k) kn_f32_from(ip[k])
#define IMMV_F64(k) kn_f64_from(ip[k] | (uint64_t)ip[(k) + 1] << 32)

/* Nested kiln_call depth through host functions (each level is a C
 * frame of this loop); far above any real embedding. */
#define KN_MAX_HOST_NESTING 1000

static kiln_error *call_host(kiln_store *s, kiln_instance *caller_inst, kiln_func *f, kn_slot *args)
{
    const kn_functype *t = f->type;
    kiln_val small[16];
    size_t n = (size_t)t->nparams + t->nresults;
    kiln_val *vals = n <= 16 ? small : kn_malloc(kn_store_alloc(s), n * sizeof *vals);
    if (!vals)
        return kn_error_nomem();
    const kn_slot *p = args;
    for (uint32_t i = 0; i < t->nparams; i++) {
        vals[i] = kn_slots_to_val(t->types[i], p);
        p += kn_slots_of(t->types[i]);
    }
    for (uint32_t i = 0; i < t->nresults; i++) {
        memset(&vals[t->nparams + i], 0, sizeof(kiln_val));
        vals[t->nparams + i].kind = (kiln_valkind)t->types[t->nparams + i];
    }
    kiln_caller caller = {s, caller_inst};
    kn_host_mark mark = {f, s->frame_top, s->host_marks};
    __atomic_signal_fence(__ATOMIC_RELEASE); /* mark filled before it is seen */
    __atomic_store_n(&s->host_marks, &mark, __ATOMIC_RELAXED);
    s->depth++;
    kiln_error *e = s->depth > KN_MAX_HOST_NESTING ? kn_trap_new(KILN_TRAP_STACK_EXHAUSTED)
                                                   : f->host(&caller, f->env, vals, vals + t->nparams);
    s->depth--;
    __atomic_store_n(&s->host_marks, mark.prev, __ATOMIC_RELAXED);
    if (!e) {
        kn_slot *q = args;
        for (uint32_t i = 0; i < t->nresults; i++) {
            kiln_val *v = &vals[t->nparams + i];
            if ((kn_valtype)v->kind != t->types[t->nparams + i]) {
                e = kn_error_new(KILN_ERR_HOST, -1, "host function returned a value of the wrong type");
                break;
            }
            kn_val_to_slots(v, q);
            q += kn_slots_of(t->types[t->nparams + i]);
        }
    }
    if (vals != small)
        kn_free(kn_store_alloc(s), vals);
    return e;
}

/* Declared locals start at zero.  Most functions have a handful, for which
 * a call to memset costs more than the stores. */
static inline void zero_locals(kn_slot *p, uint32_t n)
{
    if (n > 8) {
        memset(p, 0, n * sizeof(kn_slot));
        return;
    }
    switch (n) {
    case 8: p[7].i64 = 0; /* fall through */
    case 7: p[6].i64 = 0; /* fall through */
    case 6: p[5].i64 = 0; /* fall through */
    case 5: p[4].i64 = 0; /* fall through */
    case 4: p[3].i64 = 0; /* fall through */
    case 3: p[2].i64 = 0; /* fall through */
    case 2: p[1].i64 = 0; /* fall through */
    case 1: p[0].i64 = 0; /* fall through */
    default: break;
    }
}

static bool ensure_stacks(kiln_store *s)
{
    if (s->stack)
        return true;
    /* Exactly the limits asked for (kiln_store_new bounds them): a depth
     * of N lets N frames in, and the value stack holds whole slots.  The
     * +1 keeps malloc from seeing 0. */
    size_t nslots = s->limits.max_stack_bytes / sizeof(kn_slot);
    size_t nframes = s->limits.max_call_depth;
    const kn_allocator *a = kn_store_alloc(s);
    s->stack = kn_malloc(a, (nslots + 1) * sizeof(kn_slot));
    s->frames = kn_malloc(a, (nframes + 1) * sizeof(kn_frame));
    if (!s->stack || !s->frames) {
        kn_free(a, s->stack);
        kn_free(a, s->frames);
        s->stack = NULL;
        s->frames = NULL;
        return false;
    }
    s->stack_end = s->stack + nslots;
    s->frames_end = s->frames + nframes;
    s->frame_top = s->frames;
    s->stack_top = s->stack;
    return true;
}

/* Record the backtrace of frames [entry, s->frame_top) innermost first and
 * pop them. */
kiln_error *kn_unwind(kiln_store *s, kn_frame *entry, kiln_error *e)
{
    for (kn_frame *fr = s->frame_top; fr-- > entry;) {
        kiln_func *f = fr->func;
        const kn_module *m = f->inst ? f->inst->module : NULL;
        const char *name = m ? kn_func_name(m, f->index) : NULL;
        kn_error_add_frame(e, f->index, name);
    }
    s->frame_top = entry;
    return e;
}

static kiln_error *run(kiln_store *s, kn_frame *entry, kn_slot *fp, const uint32_t *ip)
{
    kiln_instance *inst = entry->func->inst;
    kiln_memory *mem0;
    uint8_t *mbase;
    uint64_t msize;
    kiln_trap_code tc = KILN_TRAP_NONE;
    kiln_error *err = NULL;
    kiln_func *callee;
    kn_slot *nfp;
    const uint32_t *ret;

#define LOAD_MEM()                                         \
    do {                                                   \
        mem0 = inst->module->nmemories ? inst->memories[0] : NULL; \
        mbase = mem0 ? mem0->data : NULL;                  \
        msize = mem0 ? mem0->size : 0;                     \
    } while (0)
#define TRAP(code)        \
    do {                  \
        tc = (code);      \
        goto trap;        \
    } while (0)
#define BUDGET()                                \
    do {                                        \
        if (UNLIKELY(--s->budget <= 0)) {       \
            tc = kn_check_limits(s);            \
            if (tc)                             \
                goto trap;                      \
        }                                       \
    } while (0)
#define SLOT(k) fp[ip[k]]

    LOAD_MEM();

#if KN_COMPUTED_GOTO
    static const void *const labels[KN_OP_COUNT] = {
#define KN_WASM(ID, PFX, CODE, TEXT) [KN_OP_##ID] = &&L_BAD,
#define KN_CTRL(ID, PFX, CODE, TEXT, LAYOUT) [KN_OP_##ID] = &&L_##ID,
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT)                                         \
    [KN_OP_##ID] = &&L_##ID, [KN_OP_##ID##_A] = &&L_##ID##_A, [KN_OP_##ID##_X] = &&L_##ID##_X, \
    [KN_OP_##ID##_K] = &&L_##ID##_K, [KN_OP_##ID##_XS] = &&L_##ID##_XS,                      \
    [KN_OP_##ID##_AS] = &&L_##ID##_AS,
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT) \
    [KN_OP_##ID] = &&L_##ID, [KN_OP_##ID##_K] = &&L_##ID##_K, [KN_OP_##ID##_AK] = &&L_##ID##_AK,
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) [KN_OP_##ID] = &&L_##ID,
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) \
    [KN_OP_##ID] = &&L_##ID, [KN_OP_##ID##_K] = &&L_##ID##_K,
#define KN_CMP(ID, PFX, CODE, TEXT, IN, EXPR)                                       \
    [KN_OP_##ID] = &&L_##ID, [KN_OP_##ID##_K] = &&L_##ID##_K,                       \
    [KN_OP_##ID##_JT] = &&L_##ID##_JT, [KN_OP_##ID##_JF] = &&L_##ID##_JF,           \
    [KN_OP_##ID##_KJT] = &&L_##ID##_KJT, [KN_OP_##ID##_KJF] = &&L_##ID##_KJF,
#define KN_TEST(ID, PFX, CODE, TEXT, IN, EXPR) \
    [KN_OP_##ID] = &&L_##ID, [KN_OP_##ID##_JT] = &&L_##ID##_JT, [KN_OP_##ID##_JF] = &&L_##ID##_JF,
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) [KN_OP_##ID] = &&L_##ID,
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) [KN_OP_##ID] = &&L_##ID,
#define KN_INTERNAL(ID, TEXT, LAYOUT) [KN_OP_##ID] = &&L_##ID,
#include "opcodes.def"
    };
#define CASE(ID) L_##ID:
#define NEXT() goto *labels[*ip]
    NEXT();
#else
#define CASE(ID) case KN_OP_##ID:
#define NEXT() goto dispatch
dispatch:
    switch ((kn_op)*ip) {
#endif

    /* ---- Generated handlers ---- */
/* Memory access: the forms of a load or store differ only in how the
 * effective address is computed (lower.h); ea stays below 2^34, so the
 * bounds check cannot overflow. */
#define LOAD_AT(T, MEMT, EA, LEN)                                           \
    {                                                                       \
        uint64_t ea = (EA);                                                 \
        if (UNLIKELY(ea + sizeof(MEMT) > msize))                            \
            TRAP(KILN_TRAP_MEMORY_OOB);                                     \
        MEMT v;                                                             \
        memcpy(&v, mbase + ea, sizeof v);                                   \
        SLOT(1).F_##T = (CT_##T)v;                                          \
        ip += (LEN);                                                        \
        NEXT();                                                             \
    }
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT)                                \
    CASE(ID) LOAD_AT(T, MEMT, (uint64_t)SLOT(2).i32 + ip[3], KN_LEN_##ID)    \
    CASE(ID##_A)                                                            \
    LOAD_AT(T, MEMT, (uint64_t)(uint32_t)(SLOT(2).i32 + ip[3]) + ip[4],     \
            KN_LEN_##ID##_A)                                                \
    CASE(ID##_X)                                                            \
    LOAD_AT(T, MEMT, (uint64_t)(uint32_t)(SLOT(2).i32 + SLOT(3).i32) + ip[4], \
            KN_LEN_##ID##_X)                                                \
    CASE(ID##_K) LOAD_AT(T, MEMT, (uint64_t)ip[2] + ip[3], KN_LEN_##ID##_K) \
    CASE(ID##_XS)                                                           \
    LOAD_AT(T, MEMT,                                                        \
            (uint64_t)(uint32_t)(SLOT(2).i32 + (SLOT(3).i32 << ip[4])) + ip[5], \
            KN_LEN_##ID##_XS)                                               \
    CASE(ID##_AS)                                                           \
    LOAD_AT(T, MEMT, (uint64_t)(uint32_t)((SLOT(2).i32 << ip[3]) + ip[4]) + ip[5], \
            KN_LEN_##ID##_AS)
/* The written-page map (runtime.h): after the access, which traps first
 * when out of bounds. */
#define WROTE(EA)                                                           \
    do {                                                                    \
        uint8_t *mark_ = kn_dirty_map(mbase) + ((EA) >> KN_DIRTY_SHIFT);    \
        if (!*mark_) /* a loop over one page would store it every time */   \
            *mark_ = 1;                                                     \
    } while (0)
/* Constant values are stored from a sign-extended 32-bit immediate, of
 * which the store writes its width (little-endian host). */
#define STORE_AT(MEMT, EA, VALUE, LEN)                                      \
    {                                                                       \
        uint64_t ea = (EA);                                                 \
        if (UNLIKELY(ea + sizeof(MEMT) > msize))                            \
            TRAP(KILN_TRAP_MEMORY_OOB);                                     \
        VALUE;                                                              \
        memcpy(mbase + ea, &v, sizeof(MEMT));                               \
        WROTE(ea);                                                          \
        ip += (LEN);                                                        \
        NEXT();                                                             \
    }
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT)                              \
    CASE(ID)                                                                \
    STORE_AT(MEMT, (uint64_t)SLOT(1).i32 + ip[3], MEMT v = (MEMT)SLOT(2).F_##T, \
             KN_LEN_##ID)                                                   \
    CASE(ID##_K)                                                            \
    STORE_AT(MEMT, (uint64_t)SLOT(1).i32 + ip[3],                           \
             uint64_t v = (uint64_t)(int64_t)(int32_t)ip[2], KN_LEN_##ID##_K) \
    CASE(ID##_AK)                                                           \
    STORE_AT(MEMT, (uint64_t)(uint32_t)(SLOT(1).i32 + ip[2]) + ip[4],       \
             uint64_t v = (uint64_t)(int64_t)(int32_t)ip[3], KN_LEN_##ID##_AK)
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR)                         \
    CASE(ID)                                                                \
    {                                                                       \
        CT_##IN x = SLOT(2).F_##IN;                                         \
        SLOT(1).F_##OUT = (CT_##OUT)(EXPR);                                 \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR)                        \
    CASE(ID)                                                                \
    {                                                                       \
        CT_##IN x = SLOT(2).F_##IN, y = SLOT(3).F_##IN;                     \
        SLOT(1).F_##OUT = (CT_##OUT)(EXPR);                                 \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }                                                                       \
    CASE(ID##_K)                                                            \
    {                                                                       \
        CT_##IN x = SLOT(2).F_##IN, y = IMMV_##IN(3);                       \
        SLOT(1).F_##OUT = (CT_##OUT)(EXPR);                                 \
        ip += KN_LEN_##ID##_K;                                              \
        NEXT();                                                             \
    }
/* Conditional jumps: taken with offset word at ip[k]; a backward jump is a
 * loop back-edge and charges the budget. */
#define TAKE(k)                                                             \
    do {                                                                    \
        int32_t o_ = (int32_t)ip[k];                                        \
        if (o_ < 0)                                                         \
            BUDGET();                                                       \
        ip += (k) + o_;                                                     \
    } while (0)
#define KN_CMP(ID, PFX, CODE, TEXT, IN, EXPR)                               \
    KN_BINOP(ID, PFX, CODE, TEXT, IN, I32, EXPR)                            \
    CASE(ID##_JT)                                                           \
    {                                                                       \
        CT_##IN x = SLOT(1).F_##IN, y = SLOT(2).F_##IN;                     \
        if (EXPR) TAKE(3); else ip += KN_LEN_##ID##_JT;                     \
        NEXT();                                                             \
    }                                                                       \
    CASE(ID##_JF)                                                           \
    {                                                                       \
        CT_##IN x = SLOT(1).F_##IN, y = SLOT(2).F_##IN;                     \
        if (!(EXPR)) TAKE(3); else ip += KN_LEN_##ID##_JF;                  \
        NEXT();                                                             \
    }                                                                       \
    CASE(ID##_KJT)                                                          \
    {                                                                       \
        CT_##IN x = SLOT(1).F_##IN, y = IMMV_##IN(2);                       \
        if (EXPR) TAKE(2 + KW_##IN); else ip += KN_LEN_##ID##_KJT;          \
        NEXT();                                                             \
    }                                                                       \
    CASE(ID##_KJF)                                                          \
    {                                                                       \
        CT_##IN x = SLOT(1).F_##IN, y = IMMV_##IN(2);                       \
        if (!(EXPR)) TAKE(2 + KW_##IN); else ip += KN_LEN_##ID##_KJF;       \
        NEXT();                                                             \
    }
#define KN_TEST(ID, PFX, CODE, TEXT, IN, EXPR)                              \
    KN_UNOP(ID, PFX, CODE, TEXT, IN, I32, EXPR)                             \
    CASE(ID##_JT)                                                           \
    {                                                                       \
        CT_##IN x = SLOT(1).F_##IN;                                         \
        if (EXPR) TAKE(2); else ip += KN_LEN_##ID##_JT;                     \
        NEXT();                                                             \
    }                                                                       \
    CASE(ID##_JF)                                                           \
    {                                                                       \
        CT_##IN x = SLOT(1).F_##IN;                                         \
        if (!(EXPR)) TAKE(2); else ip += KN_LEN_##ID##_JF;                  \
        NEXT();                                                             \
    }
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN)                         \
    CASE(ID)                                                                \
    {                                                                       \
        CT_##OUT r;                                                         \
        kiln_trap_code t_ = FN(SLOT(2).F_##IN, &r);                         \
        if (UNLIKELY(t_))                                                   \
            TRAP(t_);                                                       \
        SLOT(1).F_##OUT = r;                                                \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN)                        \
    CASE(ID)                                                                \
    {                                                                       \
        CT_##OUT r;                                                         \
        kiln_trap_code t_ = FN(SLOT(2).F_##IN, SLOT(3).F_##IN, &r);         \
        if (UNLIKELY(t_))                                                   \
            TRAP(t_);                                                       \
        SLOT(1).F_##OUT = r;                                                \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
/* SIMD: a v128 operand is copied out of its two slots (a, b, c), a scalar
 * one read as its type (x); the statement writes r (simd.h). */
#define VGET(k) kn_v128_get(&fp[ip[k]])
#define VPUT(k, v) kn_v128_put(&fp[ip[k]], v)
#define VIN_V128(k) kn_v128 a = VGET(k);
#define VIN_I32(k) uint32_t x = SLOT(k).i32;
#define VIN_I64(k) uint64_t x = SLOT(k).i64;
#define VIN_F32(k) float x = SLOT(k).f32;
#define VIN_F64(k) double x = SLOT(k).f64;
#define VOUT_V128 kn_v128 r;
#define VOUT_I32 uint32_t r;
#define VOUT_I64 uint64_t r;
#define VOUT_F32 float r;
#define VOUT_F64 double r;
#define VSET_V128(k) VPUT(k, r);
#define VSET_I32(k) SLOT(k).i32 = r;
#define VSET_I64(k) SLOT(k).i64 = r;
#define VSET_F32(k) SLOT(k).f32 = r;
#define VSET_F64(k) SLOT(k).f64 = r;
#define KN_VUNOP(ID, PFX, CODE, TEXT, IN, OUT, STMT)                        \
    CASE(ID)                                                                \
    {                                                                       \
        VIN_##IN(2) VOUT_##OUT STMT;                                        \
        VSET_##OUT(1) ip += KN_LEN_##ID;                                    \
        NEXT();                                                             \
    }
#define KN_VBINOP(ID, PFX, CODE, TEXT, STMT)                                \
    CASE(ID)                                                                \
    {                                                                       \
        kn_v128 a = VGET(2), b = VGET(3), r;                                \
        STMT;                                                               \
        VPUT(1, r);                                                         \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
#define KN_VTERNOP(ID, PFX, CODE, TEXT, STMT)                               \
    CASE(ID)                                                                \
    {                                                                       \
        kn_v128 a = VGET(2), b = VGET(3), c = VGET(4), r;                   \
        STMT;                                                               \
        VPUT(1, r);                                                         \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
#define KN_VSHIFT(ID, PFX, CODE, TEXT, STMT)                                \
    CASE(ID)                                                                \
    {                                                                       \
        kn_v128 a = VGET(2), r;                                             \
        uint32_t n = SLOT(3).i32;                                           \
        STMT;                                                               \
        VPUT(1, r);                                                         \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }                                                                       \
    CASE(ID##_K)                                                            \
    {                                                                       \
        kn_v128 a = VGET(2), r;                                             \
        uint32_t n = ip[3];                                                 \
        STMT;                                                               \
        VPUT(1, r);                                                         \
        ip += KN_LEN_##ID##_K;                                              \
        NEXT();                                                             \
    }
#define KN_VEXTRACT(ID, PFX, CODE, TEXT, OUT, LANES, STMT)                  \
    CASE(ID)                                                                \
    {                                                                       \
        kn_v128 a = VGET(2);                                                \
        uint32_t l = ip[3];                                                 \
        VOUT_##OUT STMT;                                                    \
        VSET_##OUT(1) ip += KN_LEN_##ID;                                    \
        NEXT();                                                             \
    }
#define KN_VREPLACE(ID, PFX, CODE, TEXT, IN, LANES, STMT)                   \
    CASE(ID)                                                                \
    {                                                                       \
        kn_v128 r = VGET(2);                                                \
        VIN_##IN(3) uint32_t l = ip[4];                                     \
        STMT;                                                               \
        VPUT(1, r);                                                         \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
/* Memory: ea = addr + offset, bounds-checked for the bytes accessed. */
#define VMEM(EA, SIZE)                                                      \
    uint64_t ea = (EA);                                                     \
    if (UNLIKELY(ea + (SIZE) > msize))                                      \
        TRAP(KILN_TRAP_MEMORY_OOB);
#define VLOAD_AT(EA, SIZE, STMT, LEN)                                       \
    {                                                                       \
        VMEM(EA, SIZE)                                                      \
        const uint8_t *p = mbase + ea;                                      \
        kn_v128 r;                                                          \
        STMT;                                                               \
        VPUT(1, r);                                                         \
        ip += (LEN);                                                        \
        NEXT();                                                             \
    }
#define KN_VLOAD(ID, PFX, CODE, TEXT, SIZE, STMT)                           \
    CASE(ID) VLOAD_AT((uint64_t)SLOT(2).i32 + ip[3], SIZE, STMT, 4)         \
    CASE(ID##_A) VLOAD_AT((uint64_t)(uint32_t)(SLOT(2).i32 + ip[3]) + ip[4], SIZE, STMT, 5)
#define KN_VLOAD_LANE(ID, PFX, CODE, TEXT, SIZE)                            \
    CASE(ID)                                                                \
    {                                                                       \
        VMEM((uint64_t)SLOT(2).i32 + ip[4], SIZE)                           \
        kn_v128 r = VGET(3);                                                \
        memcpy((uint8_t *)&r + ip[5] * (SIZE), mbase + ea, SIZE);           \
        VPUT(1, r);                                                         \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
#define KN_VSTORE_LANE(ID, PFX, CODE, TEXT, SIZE)                           \
    CASE(ID)                                                                \
    {                                                                       \
        VMEM((uint64_t)SLOT(1).i32 + ip[3], SIZE)                           \
        memcpy(mbase + ea, (const uint8_t *)&fp[ip[2]] + ip[4] * (SIZE), SIZE); \
        WROTE(ea);                                                          \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
#include "opcodes.def"

    /* ---- SIMD instructions with immediates ---- */
    CASE(V128_CONST)
    {
        memcpy(&fp[ip[1]], &ip[2], 16);
        ip += KN_LEN_V128_CONST;
        NEXT();
    }
    CASE(V128_STORE)
    {
        VMEM((uint64_t)SLOT(1).i32 + ip[3], 16)
        memcpy(mbase + ea, &fp[ip[2]], 16);
        WROTE(ea);
        ip += KN_LEN_V128_STORE;
        NEXT();
    }
    CASE(I8X16_SHUFFLE)
    {
        VPUT(1, kn_v128_shuffle(VGET(2), VGET(3), (const uint8_t *)&ip[4]));
        ip += KN_LEN_I8X16_SHUFFLE;
        NEXT();
    }

    /* ---- Moves and constants ---- */
    CASE(COPY) { SLOT(1) = SLOT(2); ip += KN_LEN_COPY; NEXT(); }
    CASE(COPY_PAIR)
    {
        SLOT(1) = SLOT(2);
        SLOT(3) = SLOT(4);
        ip += KN_LEN_COPY_PAIR;
        NEXT();
    }
    /* v128 moves copy all 16 bytes at once: a value written in two 8-byte
     * halves and read back whole would stall store forwarding. */
    CASE(COPY2)
    {
        VPUT(1, VGET(2));
        ip += KN_LEN_COPY2;
        NEXT();
    }
    CASE(CONST32) { SLOT(1).i64 = ip[2]; ip += KN_LEN_CONST32; NEXT(); }
    CASE(CONST64) { SLOT(1).i64 = ip[2] | (uint64_t)ip[3] << 32; ip += KN_LEN_CONST64; NEXT(); }
    CASE(SELECT1) { SLOT(1) = SLOT(4).i32 ? SLOT(2) : SLOT(3); ip += KN_LEN_SELECT1; NEXT(); }
    CASE(SELECT2)
    {
        VPUT(1, kn_v128_get(&fp[SLOT(4).i32 ? ip[2] : ip[3]]));
        ip += KN_LEN_SELECT2;
        NEXT();
    }
    CASE(I32_SHL_ADD_K)
    {
        SLOT(1).i32 = (SLOT(2).i32 << ip[3]) + ip[4];
        ip += KN_LEN_I32_SHL_ADD_K;
        NEXT();
    }
#define KN_SHIFTOP(ID, T, OUTER, INNER, TEXT, EXPR)                         \
    CASE(ID)                                                                \
    {                                                                       \
        CT_##T a = SLOT(2).F_##T, x = SLOT(3).F_##T;                        \
        uint32_t k = ip[4];                                                 \
        SLOT(1).F_##T = EXPR;                                               \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
#include "opcodes.def"
    /* Multiply fused with the add/sub that consumes it: two roundings, as
     * the two Wasm instructions would do. */
#define MULOP(ID, F, EXPR)                                                  \
    CASE(ID)                                                                \
    {                                                                       \
        SLOT(1).F = EXPR;                                                   \
        ip += KN_LEN_##ID;                                                  \
        NEXT();                                                             \
    }
    MULOP(F32_MULADD, f32, SLOT(2).f32 + SLOT(3).f32 * SLOT(4).f32)
    MULOP(F32_MULSUB, f32, SLOT(2).f32 - SLOT(3).f32 * SLOT(4).f32)
    MULOP(F32_MULRSUB, f32, SLOT(3).f32 * SLOT(4).f32 - SLOT(2).f32)
    MULOP(F64_MULADD, f64, SLOT(2).f64 + SLOT(3).f64 * SLOT(4).f64)
    MULOP(F64_MULSUB, f64, SLOT(2).f64 - SLOT(3).f64 * SLOT(4).f64)
    MULOP(F64_MULRSUB, f64, SLOT(3).f64 * SLOT(4).f64 - SLOT(2).f64)
#undef MULOP
    CASE(GLOBAL_GET1) { SLOT(1) = inst->globals[ip[2]]->value[0]; ip += KN_LEN_GLOBAL_GET1; NEXT(); }
    CASE(GLOBAL_SET1) { inst->globals[ip[2]]->value[0] = SLOT(1); ip += KN_LEN_GLOBAL_SET1; NEXT(); }
    CASE(GLOBAL_GET2)
    {
        VPUT(1, kn_v128_get(inst->globals[ip[2]]->value));
        ip += KN_LEN_GLOBAL_GET2;
        NEXT();
    }
    CASE(GLOBAL_SET2)
    {
        kn_v128_put(inst->globals[ip[2]]->value, VGET(1));
        ip += KN_LEN_GLOBAL_SET2;
        NEXT();
    }

    /* ---- Branches ---- */
    CASE(JMP) { ip += 1 + (int32_t)ip[1]; NEXT(); }
    CASE(JMP_BACK)
    {
        BUDGET();
        ip += 1 + (int32_t)ip[1];
        NEXT();
    }
    CASE(JMP_IF)
    {
        if (SLOT(1).i32) TAKE(2); else ip += KN_LEN_JMP_IF;
        NEXT();
    }
    CASE(JMP_UNLESS)
    {
        if (!SLOT(1).i32) TAKE(2); else ip += KN_LEN_JMP_UNLESS;
        NEXT();
    }
    CASE(JMP_TABLE)
    {
        uint32_t i = SLOT(1).i32, n = ip[2];
        const uint32_t *o = ip + KN_LEN_JMP_TABLE + (i < n ? i : n);
        BUDGET();
        ip = o + (int32_t)*o;
        NEXT();
    }
    CASE(TRAP) { TRAP((kiln_trap_code)ip[1]); }

    /* ---- Calls ---- */
    CASE(CALL)
    {
        callee = inst->funcs[ip[1]];
        nfp = fp + ip[2];
        ret = ip + KN_LEN_CALL;
        goto do_call;
    }
    CASE(CALL_INDIRECT)
    {
        const kn_functype *ty = &inst->module->types[ip[1]];
        kiln_table *t = inst->tables[ip[2]];
        uint32_t i = SLOT(3).i32;
        if (UNLIKELY(i >= t->size))
            TRAP(KILN_TRAP_UNDEFINED_ELEMENT);
        callee = (kiln_func *)t->elems[i];
        if (UNLIKELY(!callee))
            TRAP(KILN_TRAP_UNINIT_ELEMENT);
        if (UNLIKELY(callee->canon != ty->canon))
            TRAP(KILN_TRAP_INDIRECT_MISMATCH);
        nfp = fp + ip[4];
        ret = ip + KN_LEN_CALL_INDIRECT;
        goto do_call;
    }
do_call:
    BUDGET();
    if (callee->code) {
        const kn_code *cd = callee->code;
        if (UNLIKELY(s->frame_top == s->frames_end || nfp + cd->frame_slots > s->stack_end))
            TRAP(KILN_TRAP_STACK_EXHAUSTED);
        kn_frame *fr = s->frame_top;
        fr->ret_ip = ret;
        fr->fp = fp;
        fr->func = callee;
        fr->inst = inst;
        PUBLISH_FRAME(fr);
        if (UNLIKELY(cd->native != NULL)) {
            /* Machine code runs on the same frame; its trap has already
             * recorded and popped fr and what it pushed. */
            err = kn_jit_run(s, fr, nfp);
            if (err)
                goto fail;
            s->frame_top = fr;
            LOAD_MEM();
            ip = ret;
            NEXT();
        }
        fp = nfp;
        zero_locals(fp + cd->param_slots, cd->local_slots);
        ip = cd->words;
        if (callee->inst != inst) {
            inst = callee->inst;
            LOAD_MEM();
        }
        NEXT();
    } else {
        const kn_functype *ty = callee->type;
        kn_slot *saved = s->stack_top;
        s->stack_top = nfp + (ty->param_slots > ty->result_slots ? ty->param_slots : ty->result_slots);
        err = call_host(s, inst, callee, nfp);
        s->stack_top = saved;
        LOAD_MEM();
        if (err)
            goto fail;
        ip = ret;
        NEXT();
    }
    CASE(RET)
    {
        kn_frame *fr = --s->frame_top;
        if (fr == entry)
            return NULL;
        ip = fr->ret_ip;
        fp = fr->fp;
        if (UNLIKELY(fr->inst != inst)) {
            inst = fr->inst;
            LOAD_MEM();
        } else if (mem0) {
            msize = mem0->size; /* the callee may have grown it */
        }
        NEXT();
    }

    /* ---- Memory ---- */
    CASE(MEMORY_SIZE) { SLOT(1).i32 = (uint32_t)(msize / KN_PAGE_SIZE); ip += KN_LEN_MEMORY_SIZE; NEXT(); }
    CASE(MEMORY_GROW)
    {
        SLOT(1).i32 = (uint32_t)kn_memory_grow(mem0, SLOT(2).i32);
        LOAD_MEM();
        ip += KN_LEN_MEMORY_GROW;
        NEXT();
    }
    CASE(MEMORY_FILL)
    {
        uint64_t d = SLOT(1).i32, n = SLOT(3).i32;
        if (UNLIKELY(d + n > msize))
            TRAP(KILN_TRAP_MEMORY_OOB);
        memset(mbase + d, (int)(uint8_t)SLOT(2).i32, n);
        kn_dirty_range(mbase, d, n);
        ip += KN_LEN_MEMORY_FILL;
        NEXT();
    }
    CASE(MEMORY_COPY)
    {
        uint64_t d = SLOT(1).i32, src = SLOT(2).i32, n = SLOT(3).i32;
        if (UNLIKELY(d + n > msize || src + n > msize))
            TRAP(KILN_TRAP_MEMORY_OOB);
        memmove(mbase + d, mbase + src, n);
        kn_dirty_range(mbase, d, n);
        ip += KN_LEN_MEMORY_COPY;
        NEXT();
    }
    CASE(MEMORY_INIT)
    {
        kiln_trap_code t_ = kn_memory_init(inst, 0, ip[1], SLOT(2).i32, SLOT(3).i32, SLOT(4).i32);
        if (UNLIKELY(t_))
            TRAP(t_);
        ip += KN_LEN_MEMORY_INIT;
        NEXT();
    }
    CASE(DATA_DROP) { inst->data_dropped[ip[1]] = 1; ip += KN_LEN_DATA_DROP; NEXT(); }

    /* ---- References and tables ---- */
    CASE(REF_NULL) { SLOT(1).ref = NULL; ip += KN_LEN_REF_NULL; NEXT(); }
    CASE(REF_IS_NULL) { SLOT(1).i64 = SLOT(2).ref == NULL; ip += KN_LEN_REF_IS_NULL; NEXT(); }
    CASE(REF_FUNC) { SLOT(1).ref = inst->funcs[ip[2]]; ip += KN_LEN_REF_FUNC; NEXT(); }
    CASE(TABLE_GET)
    {
        kiln_table *t = inst->tables[ip[2]];
        uint32_t i = SLOT(3).i32;
        if (UNLIKELY(i >= t->size))
            TRAP(KILN_TRAP_TABLE_OOB);
        SLOT(1).ref = t->elems[i];
        ip += KN_LEN_TABLE_GET;
        NEXT();
    }
    CASE(TABLE_SET)
    {
        kiln_table *t = inst->tables[ip[1]];
        uint32_t i = SLOT(2).i32;
        if (UNLIKELY(i >= t->size))
            TRAP(KILN_TRAP_TABLE_OOB);
        t->elems[i] = SLOT(3).ref;
        ip += KN_LEN_TABLE_SET;
        NEXT();
    }
    CASE(TABLE_SIZE) { SLOT(1).i32 = (uint32_t)inst->tables[ip[2]]->size; ip += KN_LEN_TABLE_SIZE; NEXT(); }
    CASE(TABLE_GROW)
    {
        SLOT(1).i32 = (uint32_t)kn_table_grow(inst->tables[ip[2]], SLOT(4).i32, SLOT(3).ref);
        ip += KN_LEN_TABLE_GROW;
        NEXT();
    }
    CASE(TABLE_FILL)
    {
        kiln_table *t = inst->tables[ip[1]];
        uint64_t i = SLOT(2).i32, n = SLOT(4).i32;
        void *v = SLOT(3).ref;
        if (UNLIKELY(i + n > t->size))
            TRAP(KILN_TRAP_TABLE_OOB);
        for (uint64_t k = 0; k < n; k++)
            t->elems[i + k] = v;
        ip += KN_LEN_TABLE_FILL;
        NEXT();
    }
    CASE(TABLE_COPY)
    {
        kiln_table *td = inst->tables[ip[1]], *ts = inst->tables[ip[2]];
        uint64_t d = SLOT(3).i32, src = SLOT(4).i32, n = SLOT(5).i32;
        if (UNLIKELY(d + n > td->size || src + n > ts->size))
            TRAP(KILN_TRAP_TABLE_OOB);
        memmove(td->elems + d, ts->elems + src, n * sizeof(void *));
        ip += KN_LEN_TABLE_COPY;
        NEXT();
    }
    CASE(TABLE_INIT)
    {
        kiln_trap_code t_ = kn_table_init(inst, ip[1], ip[2], SLOT(3).i32, SLOT(4).i32, SLOT(5).i32);
        if (UNLIKELY(t_))
            TRAP(t_);
        ip += KN_LEN_TABLE_INIT;
        NEXT();
    }
    CASE(ELEM_DROP) { inst->elem_segs[ip[1]].len = 0; ip += KN_LEN_ELEM_DROP; NEXT(); }

#if KN_COMPUTED_GOTO
L_BAD:
#else
    default:
        break;
    }
#endif
    /* Lowering never emits anything else: reaching here is an engine bug,
     * reported as a trap rather than undefined behaviour. */
    err = kn_error_new(KILN_ERR_TRAP, -1, "internal error: bad opcode %u", *ip);
    goto fail;

trap:
    err = kn_trap_new(tc);
fail:
    return kn_unwind(s, entry, err);
#undef CASE
#undef NEXT
#undef TRAP
#undef BUDGET
#undef SLOT
#undef LOAD_MEM
#undef TAKE
#undef LOAD_AT
#undef STORE_AT
#undef WROTE
}

kiln_error *kn_invoke(kiln_store *s, kiln_func *f, kn_slot *args)
{
    if (!f->code)
        return call_host(s, NULL, f, args);
    if (!ensure_stacks(s))
        return kn_error_nomem();
    const kn_code *cd = f->code;
    kn_slot *fp = s->stack_top;
    if (s->frame_top == s->frames_end || (size_t)(s->stack_end - fp) < cd->frame_slots)
        return kn_trap_new(KILN_TRAP_STACK_EXHAUSTED);
    memcpy(fp, args, cd->param_slots * sizeof(kn_slot));
    zero_locals(fp + cd->param_slots, cd->local_slots);
    kn_frame *entry = s->frame_top;
    entry->ret_ip = NULL;
    entry->fp = NULL;
    entry->func = f;
    entry->inst = NULL;
    PUBLISH_FRAME(entry);
    kiln_error *e;
    if (cd->native) {
        e = kn_jit_run(s, entry, fp);
        if (!e)
            s->frame_top = entry;
    } else {
        e = run(s, entry, fp, cd->words);
    }
    if (!e)
        memcpy(args, fp, f->type->result_slots * sizeof(kn_slot));
    return e;
}

kiln_error *kn_call_from_native(kiln_store *s, kiln_instance *caller, kiln_func *callee,
                                kn_slot *nfp)
{
    const kn_code *cd = callee->code;
    if (!cd) {
        const kn_functype *ty = callee->type;
        kn_slot *saved = s->stack_top;
        s->stack_top = nfp + (ty->param_slots > ty->result_slots ? ty->param_slots : ty->result_slots);
        kiln_error *e = call_host(s, caller, callee, nfp);
        s->stack_top = saved;
        return e;
    }
    if (s->frame_top == s->frames_end || nfp + cd->frame_slots > s->stack_end)
        return kn_trap_new(KILN_TRAP_STACK_EXHAUSTED);
    kn_frame *fr = s->frame_top++;
    fr->ret_ip = NULL;
    fr->fp = NULL;
    fr->func = callee;
    fr->inst = caller;
    kiln_error *e;
    if (cd->native) {
        e = kn_jit_run(s, fr, nfp);
        if (!e)
            s->frame_top = fr;
    } else {
        zero_locals(nfp + cd->param_slots, cd->local_slots);
        e = run(s, fr, nfp, cd->words); /* pops fr at its RET */
    }
    return e;
}
