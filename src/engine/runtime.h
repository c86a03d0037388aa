/*
 * runtime.h — the layout of runtime objects shared by instantiation
 * (instance.c, store.c, linker.c, memory.c, table.c, global.c) and the
 * interpreter (interp.c).  Internal: embedders see only opaque handles.
 *
 * Invariants:
 *   - every object below is owned by exactly one kiln_store and freed with
 *     it (store->objects); instances hold plain pointers to imported objects
 *     of the same store, so nothing is reference counted;
 *   - a kn_slot is 8 bytes; a v128 value takes two consecutive slots;
 *   - a funcref value is a kiln_func* (NULL = null); an externref value is
 *     the embedder's void* (NULL = null);
 *   - memory bytes live in a reservation made once (see src/os/os.h), so
 *     `data` never moves when the memory grows: the interpreter may cache it
 *     across anything but a call out of the current function.
 */
#ifndef KN_RUNTIME_H
#define KN_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kiln.h"
#include "module.h"

typedef union kn_slot {
    uint32_t i32;
    uint64_t i64;
    float f32;
    double f64;
    void *ref;
} kn_slot;

#define KN_PAGE_SIZE 65536u

/* Every store-owned object starts with this header so the store can free
 * objects of any kind from one list. */
typedef enum { KN_OBJ_FUNC, KN_OBJ_MEMORY, KN_OBJ_TABLE, KN_OBJ_GLOBAL, KN_OBJ_INSTANCE } kn_objkind;
typedef struct kn_object {
    kn_objkind kind;
    struct kn_object *next;
    kiln_store *store;           /* the owner: lets the API refuse mixing stores */
} kn_object;

struct kiln_func {
    kn_object obj;
    const kn_functype *type;     /* borrowed from a module, or owned (host) */
    uint32_t canon;              /* == type->canon: checked by call_indirect */
    kiln_instance *inst;         /* wasm functions: the defining instance */
    uint32_t index;              /* wasm functions: index in that module */
    const struct kn_code *code;  /* wasm functions: lowered code, else NULL */
    /* code->native and code->frame_slots, for compiled call_indirect: one
     * load fewer on the way from the table to the callee */
    const uint8_t *native;
    uint32_t frame_slots;
    /* host functions */
    kiln_host_fn host;
    void *env;
    void (*finalize)(void *env);
    kn_functype *owned_type;     /* host functions own their type */
};

/* A guarded memory reserves the whole 32-bit index space plus this much
 * more, inaccessible, whatever its size: compiled code then needs no
 * bounds check for an access whose static offset + size fits the span. */
#define KN_GUARD_SPAN ((uint64_t)2 << 30)
#define KN_GUARDED_RESERVE (((uint64_t)4 << 30) + KN_GUARD_SPAN)

/* Written-page tracking (template.c's reset): each memory has, just below
 * data, one byte per 4 KiB of its 4 GiB index space, set when Wasm code
 * (both tiers), the bulk instructions or a reporting host write there.
 * Stores mark the page of their first byte only, after the access (an
 * access out of bounds traps first, so every mark is below 2^20); an
 * access crossing into the next page touches at most its first 15 bytes,
 * which the reset compares and rewrites.  The map is committed read-write
 * from the start and costs resident memory only where it is written.
 * KN_DIRTY_MAP is also the displacement compiled code uses. */
#define KN_DIRTY_SHIFT 12
#define KN_DIRTY_MAP ((uint64_t)1 << (32 - KN_DIRTY_SHIFT))
#define KN_DIRTY_SPILL 15        /* bytes past its page an access may reach */

static inline uint8_t *kn_dirty_map(uint8_t *data) { return data - KN_DIRTY_MAP; }
/* Mark [addr, addr+len), in bounds, as written; len may be 0. */
static inline void kn_dirty_range(uint8_t *data, uint64_t addr, uint64_t len)
{
    if (len)
        memset(kn_dirty_map(data) + (addr >> KN_DIRTY_SHIFT), 1,
               (size_t)(((addr + len - 1) >> KN_DIRTY_SHIFT) - (addr >> KN_DIRTY_SHIFT) + 1));
}

struct kiln_memory {
    kn_object obj;
    uint8_t *data;               /* start of the accessible reservation;
                                    the written-page map is below it */
    uint64_t size;               /* current size in bytes */
    uint64_t reserved;           /* bytes reserved (>= max size) */
    bool guarded;                /* reserved >= KN_GUARDED_RESERVE: any u32
                                    index + offset <= KN_GUARD_SPAN faults
                                    past the end (native tier, jit.c) */
    kn_limits limits;            /* in pages; max is the effective cap */
    kn_limits decl;              /* as declared; import matching uses this
                                    with the current size as min */
    bool untracked;              /* kiln_memory_data handed out a pointer
                                    whose writes the map does not see */
};

struct kiln_table {
    kn_object obj;
    kn_valtype elem;
    void **elems;                /* kiln_func* or externref */
    uint64_t size, capacity;
    kn_limits limits;            /* max is the effective cap */
    kn_limits decl;              /* as declared (see kiln_memory) */
};

struct kiln_global {
    kn_object obj;
    kn_globaltype type;
    kn_slot value[2];            /* two slots so a v128 fits */
};

struct kiln_instance {
    kn_object obj;
    kiln_store *store;
    const kn_module *module;
    kiln_func **funcs;           /* module->nfuncs, imports first */
    kiln_table **tables;
    kiln_memory **memories;
    kiln_global **globals;
    /* Element segments evaluated at instantiation (funcref: kiln_func*,
     * externref: the host pointer); elem.drop and active/declarative
     * segments after instantiation have len 0. */
    struct { void **items; uint32_t len; } *elem_segs;   /* module->nelems */
    uint8_t *data_dropped;       /* module->ndatas flags */
};

/* What a host function sees of its caller (made by the interpreter). */
struct kiln_caller {
    kiln_store *store;
    kiln_instance *inst;         /* NULL when called directly by kiln_call */
};

/* One activation record of the interpreter's frame stack.  Compiled code
 * (src/jit/) pushes none for its own calls: each run of it has the
 * kn_frame of its outermost function only, and its other frames are on
 * the machine stack (kn_jit_seg below). */
typedef struct kn_frame {
    const uint32_t *ret_ip;      /* where the caller resumes */
    kn_slot *fp;                 /* the caller's frame pointer, restored on return */
    kiln_func *func;             /* the callee */
    kiln_instance *inst;         /* the caller's instance, restored on return */
} kn_frame;

/* A host function running: pushed by the interpreter (on the C stack, as a
 * list through the store) for as long as the call lasts, so a profiler
 * sampling the store (sample.c) sees host calls between the Wasm frames.
 * `at` is s->frame_top when it was called: the host function sits above
 * frame at[-1], its Wasm caller (none when at == s->frames). */
typedef struct kn_host_mark {
    kiln_func *func;
    kn_frame *at;
    struct kn_host_mark *prev;
} kn_host_mark;

/* A run of compiled code (kn_jit_run, src/jit/): its outermost function
 * has the kn_frame `at`, and the functions it calls directly have only
 * machine frames (jit.c, "Frames").  While the run is the innermost, the
 * store's jit_exit_sp, jit_rbp and jit_pc say where they are; when it
 * calls out to C that enters compiled code again, the inner run keeps
 * the outer one's in outer_sp, outer_rbp and outer_pc.  Runs are listed
 * innermost first, like host marks, and read the same way from a signal
 * handler (kn_jit_frames). */
typedef struct kn_jit_seg {
    kn_frame *at;
    uintptr_t outer_sp, outer_rbp, outer_pc;
    struct kn_jit_seg *prev;
} kn_jit_seg;

struct kiln_store {
    kiln_engine *engine;
    kiln_store_limits limits;    /* with defaults filled in */
    kn_object *objects;          /* everything this store owns */

    /* Execution state, allocated on first call. */
    kn_slot *stack, *stack_end;
    kn_frame *frames, *frames_end;
    kn_frame *frame_top;         /* next free frame */
    kn_slot *stack_top;          /* first free slot for a new host entry */
    /* frame_top and host_marks are read by kiln_store_stack from a signal
     * handler interrupting this thread: a frame or mark is filled before
     * it is published (past a signal fence), and what lies below
     * frame_top always holds a live function. */
    kn_host_mark *host_marks;    /* innermost host call running, or NULL */
    uint32_t depth;              /* nested kiln_call depth (host re-entry) */

    /* Limits.  `budget` counts down at calls and loop back-edges; when it
     * reaches zero the slow path (kn_check_limits) charges fuel, checks the
     * deadline and the interrupt flag, and refills it. */
    int64_t budget;
    uint64_t fuel;               /* remaining, if limits.fuel != 0 */
    bool fuel_on;
    uint64_t deadline_ns;        /* CLOCK_MONOTONIC; 0 = none */
    atomic_int interrupt;

    /* Native tier (src/jit/, "Frames"): the machine stack pointer a trap
     * in compiled code unwinds to (the innermost trampoline's); the
     * innermost compiled frame's rbp and a pc in its function, as of the
     * last exit to C; the lowest stack address a prologue lets by (the
     * higher of the thread's floor and the call-depth limit's); the
     * thread's floor (0 outside native code); the depth the next run may
     * add, as bytes of machine stack (kn_jit_run, for its trampoline);
     * what the exit path calls on a trap (kn_jit_unwound, reached through
     * here so that compiled code holds no address of it); and the runs,
     * innermost first. */
    void *jit_exit_sp;
    uintptr_t jit_rbp, jit_pc;
    uintptr_t jit_stack_limit;
    uintptr_t jit_stack_floor;
    uintptr_t jit_depth_bytes;
    uintptr_t (*jit_unwound)(kiln_store *s, uintptr_t r, uintptr_t rbp);
    kn_jit_seg *jit_segs;

    void *user_data;             /* kiln_store_data; set per use of a slot */
    struct kn_pool_slot *slot;   /* a template's pooled store, else NULL:
                                    kiln_store_free then returns it */
};

/* The allocator of everything a store owns: its engine's (kn_alloc.h). */
static inline const kn_allocator *kn_store_alloc(const kiln_store *s)
{
    return kn_engine_alloc(s->engine);
}

/* ---- Shared between instance code and the interpreter ------------------ */

/* memory.c */
kiln_error *kn_memory_create(kiln_store *s, kn_limits pages, kiln_memory **out);
/* Grow by delta pages; returns the old size in pages or -1. */
int64_t kn_memory_grow(kiln_memory *m, uint64_t delta_pages);
/* Give back m's reservation (guarded or not; memory.c). */
void kn_memory_release(kiln_memory *m);
/* table.c */
kiln_error *kn_table_create(kiln_store *s, const kn_tabletype *t, kiln_table **out);
/* Grow by delta, filling with init; returns old size or -1. */
int64_t kn_table_grow(kiln_table *t, uint64_t delta, void *init);

/* interp.c: run f with arguments already in args[0..param_slots) of a
 * kn_slot array, results written to the same array. */
kiln_error *kn_invoke(kiln_store *s, kiln_func *f, kn_slot *args);

/* interp.c: record the backtrace of frames [entry, s->frame_top),
 * innermost first, into e and pop them. */
kiln_error *kn_unwind(kiln_store *s, kn_frame *entry, kiln_error *e);
/* interp.c: a call made by native code (src/jit/) to a function it does
 * not call directly: a host function, an interpreted function or one of
 * another instance.  The budget is already charged; args are at nfp, in
 * the callee's frame, and results are left there. */
kiln_error *kn_call_from_native(kiln_store *s, kiln_instance *caller, kiln_func *callee,
                                kn_slot *nfp);

/* store.c: the slow path of the budget counter.  Returns a trap code or
 * KILN_TRAP_NONE after refilling s->budget. */
kiln_trap_code kn_check_limits(kiln_store *s);

/* store.c: run f (Wasm or host) as a call from the host: at the outermost
 * level (depth 0) clear the interrupt flag, start the deadline and refill
 * the budget, then kn_invoke.  args as for kn_invoke.  Used by kiln_call
 * and by instantiation for the start function. */
kiln_error *kn_store_call(kiln_store *s, kiln_func *f, kn_slot *args);

/* instance.c: kn_instantiate's steps, as a template's slot needs them:
 * KN_INST_NO_DATA marks active data segments dropped without writing them
 * (the slot maps the memory image instead), KN_INST_NO_START leaves the
 * start function to each use. */
enum { KN_INST_NO_DATA = 1, KN_INST_NO_START = 2 };
kiln_error *kn_instantiate_flags(kiln_store *s, const kn_module *m, kn_object *const *imports,
                                 unsigned flags, kiln_instance **out);

/* store.c: free the objects pushed on s->objects after `keep` (the list's
 * head when the caller looked), leaving keep and what is older. */
void kn_store_free_objects_until(kiln_store *s, kn_object *keep);
/* template.c: what kiln_store_free does with a pooled store. */
void kn_pool_release(kiln_store *s);

/* instance.c: make an instance of m whose imports are the already resolved
 * and type-checked objects imports[0 .. m->nimports), in import order, and
 * run its initialisation and start function (linker.c resolves). */
kiln_error *kn_instantiate(kiln_store *s, const kn_module *m, kn_object *const *imports,
                           kiln_instance **out);

/* engine.c: kn_engine_intern_type returns this when it is out of memory. */
#define KN_CANON_NONE UINT32_MAX

/* store.c: an engine-allocated copy of an API function type, checked and
 * with its canonical id; who names the API call in errors. */
kiln_error *kn_functype_copy(kiln_engine *e, const kiln_functype *type, const char *who,
                             kn_functype **out);

/* Conversions between API values and slots (store.c). */
void kn_val_to_slots(const kiln_val *v, kn_slot *out);
kiln_val kn_slots_to_val(kn_valtype t, const kn_slot *in);

/* Segment operations used both by instantiation (active segments) and by
 * the interpreter (memory.init, table.init); instance.c.  Return a trap
 * code (KILN_TRAP_NONE on success). */
kiln_trap_code kn_table_init(kiln_instance *inst, uint32_t table, uint32_t elem, uint64_t dst,
                             uint64_t src, uint64_t n);
kiln_trap_code kn_memory_init(kiln_instance *inst, uint32_t mem, uint32_t data, uint64_t dst,
                              uint64_t src, uint64_t n);

#endif
