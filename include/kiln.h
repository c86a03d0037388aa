/*
 * kiln.h — the whole public API of the kiln WebAssembly runtime.
 *
 * Anything not declared here is not API.  The objects and their lifetimes:
 *
 *   kiln_engine   configuration and process-wide caches (interned function
 *                 types).  Thread-safe.  Outlives everything made from it.
 *   kiln_module   a decoded, validated and lowered module.  Immutable once
 *                 made: share it between threads freely.  Outlives the
 *                 instances made from it.
 *   kiln_store    a unit of isolation and of execution: owns instances, host
 *                 functions, memories, tables and globals, carries the limits
 *                 (fuel, deadline, call depth, stack size, memory cap), and
 *                 the value stack.  Use a store from one thread at a time
 *                 (kiln_store_interrupt is the one call that is safe from any
 *                 thread).  Freeing the store frees everything it owns.
 *   kiln_instance a module instantiated in a store.  Lives until its store
 *                 is freed.
 *   kiln_linker   names the things imports resolve to (host functions,
 *                 memories, tables, globals, other instances' exports).
 *   kiln_template a module with its imports resolved once (host functions
 *                 defined without a store, in a kiln_template_builder) and
 *                 its memory image prepared, plus a pool of ready instance
 *                 slots: each kiln_template_instantiate takes a slot as a
 *                 store with one instance, and kiln_store_free gives it
 *                 back, reset.  Thread-safe.  For servers that run each
 *                 request in a fresh instance.
 *
 * So: engine → module → store → instance, each freed after what it made;
 * and engine → module → template → (pooled) store.
 *
 * Ownership, stated once: a function that returns a pointer through an
 * out-parameter or as its result hands the caller ownership only if its
 * name ends in _new or it returns kiln_error*; the caller releases those with
 * the matching _free.  Everything else returned (kiln_func*, kiln_memory*,
 * strings from accessors, ...) is borrowed from its owner.  Every _free
 * function accepts NULL and then does nothing.
 *
 * Errors are values: a function that can fail returns kiln_error* (NULL on
 * success).  On failure its out-parameters are untouched.  The library never
 * prints, never aborts on bad input and keeps no global state.
 */
#ifndef KILN_H
#define KILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_VERSION_MAJOR 0
#define KILN_VERSION_MINOR 1
#define KILN_VERSION_PATCH 0
#define KILN_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define KILN_API __attribute__((visibility("default")))
#else
#define KILN_API
#endif

typedef struct kiln_engine kiln_engine;
typedef struct kiln_module kiln_module;
typedef struct kiln_store kiln_store;
typedef struct kiln_instance kiln_instance;
typedef struct kiln_linker kiln_linker;
typedef struct kiln_func kiln_func;
typedef struct kiln_memory kiln_memory;
typedef struct kiln_table kiln_table;
typedef struct kiln_global kiln_global;
typedef struct kiln_error kiln_error;
typedef struct kiln_caller kiln_caller;

KILN_API const char *kiln_version(void);

/* ---- Errors ------------------------------------------------------------ */

typedef enum kiln_error_kind {
    KILN_ERR_DECODE = 1,  /* malformed binary; kiln_error_offset says where */
    KILN_ERR_VALIDATE,    /* well-formed but invalid module; offset too */
    KILN_ERR_LINK,        /* an import is missing or has the wrong type */
    KILN_ERR_TRAP,        /* execution trapped; see kiln_error_trap */
    KILN_ERR_LIMIT,       /* a configured limit was reached (fuel, deadline,
                             interrupt); kiln_error_trap says which */
    KILN_ERR_HOST,        /* raised by a host function */
    KILN_ERR_NOMEM,       /* out of host memory */
    KILN_ERR_ARG,         /* the embedder passed a bad argument */
    KILN_ERR_PLUGIN,      /* a plugin reported an error (kiln_plugin.h) */
    KILN_ERR_ARTIFACT,    /* compiled code (.kcw) this kiln will not run:
                             damaged, or made by another kiln build, for
                             another CPU or configuration; the message
                             says which */
} kiln_error_kind;

typedef enum kiln_trap_code {
    KILN_TRAP_NONE = 0,
    KILN_TRAP_UNREACHABLE,
    KILN_TRAP_MEMORY_OOB,        /* out of bounds memory access */
    KILN_TRAP_TABLE_OOB,         /* out of bounds table access */
    KILN_TRAP_INT_DIV_ZERO,      /* integer divide by zero */
    KILN_TRAP_INT_OVERFLOW,      /* integer overflow */
    KILN_TRAP_BAD_CONVERSION,    /* invalid conversion to integer */
    KILN_TRAP_INDIRECT_MISMATCH, /* indirect call type mismatch */
    KILN_TRAP_UNINIT_ELEMENT,    /* uninitialized (null) element */
    KILN_TRAP_STACK_EXHAUSTED,   /* call stack exhausted */
    KILN_TRAP_OUT_OF_FUEL,       /* fuel ran out (kind KILN_ERR_LIMIT) */
    KILN_TRAP_DEADLINE,          /* deadline passed (kind KILN_ERR_LIMIT) */
    KILN_TRAP_INTERRUPT,         /* kiln_store_interrupt (KILN_ERR_LIMIT) */
    KILN_TRAP_HOST,              /* a host function raised a trap */
    KILN_TRAP_EXIT,              /* a host function asked the guest to exit
                                    (kiln_error_exit_code); e.g. proc_exit */
    KILN_TRAP_UNDEFINED_ELEMENT, /* call_indirect index beyond the table */
} kiln_trap_code;

KILN_API kiln_error_kind kiln_error_kind_of(const kiln_error *e);
KILN_API const char *kiln_error_message(const kiln_error *e);
/* Byte offset in the module binary for decode/validate errors, else -1. */
KILN_API int64_t kiln_error_offset(const kiln_error *e);
KILN_API kiln_trap_code kiln_error_trap(const kiln_error *e);
KILN_API int kiln_error_exit_code(const kiln_error *e);
/* Backtrace of a trap, innermost frame first. */
KILN_API size_t kiln_error_frame_count(const kiln_error *e);
/* Function index of frame i and its name: from the name section, else the
 * name of an export of that function, else NULL. */
KILN_API uint32_t kiln_error_frame_func(const kiln_error *e, size_t i);
KILN_API const char *kiln_error_frame_name(const kiln_error *e, size_t i);
KILN_API void kiln_error_free(kiln_error *e);

/* For host functions: make an error to return.  kind is KILN_ERR_HOST for a
 * plain trap raised by the host; message is copied. */
KILN_API kiln_error *kiln_trap_new(const char *message);
/* A host function returning this ends the whole call chain with
 * KILN_TRAP_EXIT and the given code (WASI proc_exit). */
KILN_API kiln_error *kiln_exit_new(int code);
/* For embedders' own APIs built on kiln (WASI, the server): an error of any
 * kind with a printf-style message. */
KILN_API kiln_error *kiln_error_new(kiln_error_kind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- Values ------------------------------------------------------------ */

typedef enum kiln_valkind {
    KILN_I32 = 0x7f,
    KILN_I64 = 0x7e,
    KILN_F32 = 0x7d,
    KILN_F64 = 0x7c,
    KILN_V128 = 0x7b,
    KILN_FUNCREF = 0x70,
    KILN_EXTERNREF = 0x6f,
} kiln_valkind;

typedef struct kiln_val {
    kiln_valkind kind;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        uint8_t v128[16];
        kiln_func *funcref;  /* NULL is ref.null func */
        void *externref;     /* NULL is ref.null extern */
    } of;
} kiln_val;

/* The text name of a value kind ("i32", ..., "externref"), or NULL for a
 * value that is not a kiln_valkind. */
KILN_API const char *kiln_valkind_name(kiln_valkind kind);

/* ---- Engine ------------------------------------------------------------ */

/* The allocator hook, after Lua's lua_Alloc.  kiln calls it for every heap
 * block the engine makes: with ptr NULL and old_size 0 to allocate
 * new_size bytes; with ptr a block it got from this hook, old_size that
 * block's exact size and new_size > 0 to resize it (the contents move as
 * with realloc); with new_size 0 to free ptr (the result is ignored).  It
 * returns NULL when it cannot allocate, leaving ptr as it was; kiln then
 * fails the operation with KILN_ERR_NOMEM and releases what it had built,
 * and the engine and its other objects stay usable.  The memory returned
 * must be aligned for any type, as malloc's is.  kiln keeps each block's
 * size in a small header in front of it, so new_size is a little more than
 * kiln uses.  The hook may be called from any thread that uses an object of
 * the engine, and concurrently from several, so it must be thread-safe if
 * the engine is shared.  ud is passed through untouched, and must stay
 * valid until the engine is freed.
 *
 * What goes through it: everything of the engine, modules, stores (with
 * their instances, functions, tables, globals, value stack and frames) and
 * linkers.  What does not: linear memories, which are address-space
 * reservations (mmap), not heap blocks (failing to reserve or commit one is
 * also KILN_ERR_NOMEM, and a failed memory.grow is -1 as the spec says;
 * table.grow does allocate through the hook, and is -1 when it fails);
 * kiln_error values, which are made with malloc because host functions make
 * them with no engine at hand and they may outlive the engine (when that
 * malloc fails the error is a shared, static KILN_ERR_NOMEM error); and what
 * libc allocates inside the calls kiln makes (opendir, getaddrinfo, ...).
 * WASI takes its own hook, see kiln_wasi.h. */
typedef void *(*kiln_alloc_fn)(void *ud, void *ptr, size_t old_size, size_t new_size);

/* Which tier runs a module's code.  KILN_TIER_NATIVE compiles functions
 * to x86-64 machine code when the module is made (kiln_module_new): it
 * covers every instruction, so only a function too big for its 32-bit
 * displacements (a frame of 2^28 slots, a br_table of 2^24 targets) stays
 * interpreted; calls between the tiers work both ways with the same
 * results, traps and limits.  The default (KILN_TIER_DEFAULT) is the
 * native tier on x86-64 Linux and the interpreter elsewhere;
 * KILN_TIER_INTERP asks for the interpreter, which is also the reference
 * the native tier is tested against.
 *
 * What the native tier asks of the process: compiled code leaves out most
 * bounds checks, so each memory of a native-tier store reserves 6 GiB of
 * address space (never committed beyond its size), and the first native
 * module installs a SIGSEGV/SIGBUS handler that turns a fault of compiled
 * code past a memory's end into the out-of-bounds trap and passes every
 * other fault to the handler that was there before (install your own
 * before, or chain to the previous one if you install it after).  Each
 * thread that runs compiled code gets a 64 KiB alternate signal stack
 * unless it has one, and compiled code uses that thread's stack down to
 * 128 KiB above its end, then traps (stack exhausted). */
typedef enum kiln_tier {
    KILN_TIER_DEFAULT = 0,  /* native where supported, else the interpreter */
    KILN_TIER_INTERP = 1,
    KILN_TIER_NATIVE = 2,
} kiln_tier;

typedef struct kiln_config {
    kiln_alloc_fn alloc;  /* NULL: malloc, realloc and free */
    void *alloc_ud;       /* passed to alloc */
    kiln_tier tier;
    /* A directory for compiled code (KILN_TIER_NATIVE only), or NULL for
     * none.  Copied.  kiln_module_new looks there for code compiled
     * before from the same module bytes by the same kiln build, on a CPU
     * with no feature this one lacks, with the same configuration (the
     * key: sha256 of the module, kiln's version and build id, the CPU
     * features and the configuration); it loads that instead of compiling,
     * or compiles and stores it.  An entry that does not match or is
     * damaged is never run: it is recompiled and replaced.  The directory
     * (and its parents) is created if missing; one that cannot be created
     * or written is not an error, the cache is then just not used
     * (kiln_module_cache_status says what happened).  Entries are files
     * written atomically (a temporary file renamed into place), so
     * processes may share a directory.  Cached code is machine code that
     * kiln runs: the directory must be writable only by those trusted to
     * run code as this process. */
    const char *cache_dir;
    /* Modules of this engine keep each memory's written-page map (see
     * kiln_memory_data_reported and Templates): what lets a template's
     * slot be reset without a system call.  On the native tier it costs a
     * compare and a branch per store (matmul, a store in its inner loop:
     * about 13%).  true leaves the map out, for an engine whose modules
     * are not pooled (kiln run does this); a template's resets then ask
     * the OS which pages were written.  Part of the code cache's key. */
    bool no_write_map;
} kiln_config;

/* config may be NULL for the defaults; it is copied. */

KILN_API kiln_error *kiln_engine_new(const kiln_config *config, kiln_engine **out);
KILN_API void kiln_engine_free(kiln_engine *engine);

/* ---- Modules ----------------------------------------------------------- */

/* Decode, validate and lower a binary module.  The bytes are copied. */
KILN_API kiln_error *kiln_module_new(kiln_engine *engine, const uint8_t *bytes,
                                     size_t len, kiln_module **out);
KILN_API void kiln_module_free(kiln_module *module);
/* How many of the module's defined functions run as native code (see
 * kiln_tier); *defined (may be NULL) gets the number of defined functions. */
KILN_API uint32_t kiln_module_native_funcs(const kiln_module *module, uint32_t *defined);

/* ---- Compiled code: artifacts, the cache, code ranges ------------------ */

/* A module with its native code as one byte string, a "kiln compiled
 * wasm" artifact (.kcw): the module's bytes, its machine code and what is
 * needed to check and relocate it (layout: src/jit/artifact.c).  The
 * module must have been made by a KILN_TIER_NATIVE engine and have
 * native code (else KILN_ERR_ARG).  *bytes is allocated with malloc (not
 * the allocator hook, as for kiln_error): release it with free(). */
KILN_API kiln_error *kiln_module_serialize(const kiln_module *module, uint8_t **bytes,
                                           size_t *len);
/* The module of an artifact, with its code taken from the artifact
 * instead of compiled (the module itself is decoded, validated and
 * lowered as by kiln_module_new).  On an interpreter engine the code is
 * not used.  KILN_ERR_ARTIFACT when the artifact is truncated, damaged
 * (checksum), its module bytes do not match their digest, or it was made
 * by another kiln version or build, for a CPU with features this one
 * lacks, or with another configuration: the message says which, and
 * nothing of it ran.  The bytes are copied.  Loading an artifact runs its
 * machine code: load only artifacts you trust as you would a shared
 * library (the checksum detects damage, not forgery). */
KILN_API kiln_error *kiln_module_deserialize(kiln_engine *engine, const uint8_t *bytes,
                                             size_t len, kiln_module **out);
/* Whether bytes start like an artifact (its magic), whatever else. */
KILN_API bool kiln_is_artifact(const uint8_t *bytes, size_t len);

/* An artifact's header, for tools.  Strings and pointers are borrowed
 * from the bytes given to kiln_artifact_inspect (or are static). */
typedef struct kiln_artifact_info {
    uint32_t format;            /* the artifact format's version */
    char kiln_version[17];      /* the kiln that made it */
    uint8_t build[32];          /* its build (a digest of its build id) */
    uint64_t cpu_features;      /* CPU features present when compiled */
    uint64_t config_hash;
    uint8_t module_sha256[32];
    uint32_t funcs;             /* functions (imports included) */
    uint32_t native_funcs;      /* of which compiled */
    uint32_t relocs;
    uint64_t code_size;
    /* The module's bytes when they are whole and match module_sha256,
     * else NULL: a rejected artifact can still be recompiled from them. */
    const uint8_t *module;
    size_t module_len;
    /* NULL when this kiln would load the artifact's code, else why not
     * (the message kiln_module_deserialize would give). */
    const char *problem;
} kiln_artifact_info;

/* Read an artifact's header.  KILN_ERR_ARTIFACT only when there is no
 * header to read (not an artifact, or cut short inside the header);
 * every other problem is reported in out->problem. */
KILN_API kiln_error *kiln_artifact_inspect(const uint8_t *bytes, size_t len,
                                           kiln_artifact_info *out);

/* What kiln_module_new did with the engine's code cache for this module. */
typedef enum kiln_cache_status {
    KILN_CACHE_UNUSED = 0,  /* no cache: none configured, the interpreter
                               tier, or no function to compile */
    KILN_CACHE_HIT,         /* the code was loaded from the cache */
    KILN_CACHE_STORED,      /* compiled, and stored in the cache */
    KILN_CACHE_REJECTED,    /* an entry was there but was rejected (detail
                               says why); compiled, and the entry replaced */
    KILN_CACHE_UNWRITABLE,  /* compiled; could not be stored (detail) */
} kiln_cache_status;
/* detail (may be NULL) gets a message borrowed from the module (or
 * static), or NULL when there is nothing to say. */
KILN_API kiln_cache_status kiln_module_cache_status(const kiln_module *module,
                                                    const char **detail);

/* A range of a module's machine code, for profilers (perf maps) and
 * debuggers: func is the function index and name its name as in
 * backtraces (name section, else export, else NULL); the trampoline (entry
 * from C, exit path and trap stubs) has func UINT32_MAX and name NULL.
 * Addresses stay valid while the module lives. */
typedef struct kiln_code_range {
    const void *start;
    size_t size;
    uint32_t func;
    const char *name;
} kiln_code_range;
/* Fill out[0 .. cap) with the module's code ranges, in address order,
 * and return how many there are (0 without native code); out may be NULL
 * when cap is 0. */
KILN_API size_t kiln_module_code_ranges(const kiln_module *module, kiln_code_range *out,
                                        size_t cap);

typedef enum kiln_externkind {
    KILN_EXTERN_FUNC = 0,
    KILN_EXTERN_TABLE = 1,
    KILN_EXTERN_MEMORY = 2,
    KILN_EXTERN_GLOBAL = 3,
} kiln_externkind;

typedef struct kiln_limits {
    uint64_t min;
    uint64_t max;   /* meaningful only if has_max */
    bool has_max;
} kiln_limits;

/* A function type.  One returned by kiln (kiln_func_type, import and
 * export descriptions) is borrowed from its module or function; one given
 * to kiln_func_new is copied, arrays included. */
typedef struct kiln_functype {
    uint32_t nparams, nresults;
    const kiln_valkind *params;
    const kiln_valkind *results;
} kiln_functype;

typedef struct kiln_externtype {
    kiln_externkind kind;
    kiln_functype func;          /* KILN_EXTERN_FUNC */
    kiln_valkind elem;           /* KILN_EXTERN_TABLE: element type */
    kiln_limits limits;          /* TABLE (elements), MEMORY (64 KiB pages) */
    kiln_valkind global_type;    /* KILN_EXTERN_GLOBAL */
    bool global_mutable;
} kiln_externtype;

typedef struct kiln_import_desc {
    const char *module;
    const char *name;
    kiln_externtype type;
} kiln_import_desc;

typedef struct kiln_export_desc {
    const char *name;
    uint32_t index;              /* in its index space */
    kiln_externtype type;
} kiln_export_desc;

KILN_API size_t kiln_module_import_count(const kiln_module *m);
KILN_API void kiln_module_import(const kiln_module *m, size_t i, kiln_import_desc *out);
KILN_API size_t kiln_module_export_count(const kiln_module *m);
KILN_API void kiln_module_export(const kiln_module *m, size_t i, kiln_export_desc *out);

/* ---- Stores and limits ------------------------------------------------- */

/* The largest limits kiln_store_new accepts; above them it fails with
 * KILN_ERR_ARG naming the limit rather than change it.  A 32-bit memory or
 * table cannot grow past the first two anyway; the call and value stacks
 * are allocated whole on a store's first call. */
#define KILN_MAX_MEMORY_BYTES ((uint64_t)4 << 30)
#define KILN_MAX_TABLE_ELEMS ((uint64_t)UINT32_MAX)
#define KILN_MAX_CALL_DEPTH 1000000u
#define KILN_MAX_STACK_BYTES ((uint64_t)1 << 30)

typedef struct kiln_store_limits {
    uint64_t max_memory_bytes;  /* cap on each linear memory; 0 = 4 GiB */
    uint64_t max_table_elems;   /* cap on each table; 0 = 10,000,000 */
    uint32_t max_call_depth;    /* frames of Wasm functions on the call
                                   stack, exactly (1: the called function
                                   alone, no further calls); 0 = 10,000 */
    uint64_t max_stack_bytes;   /* value stack, in 8-byte slots (a
                                   function needs one per param, local and
                                   operand); 0 = 8 MiB */
    uint64_t fuel;              /* instruction budget (calls and loop
                                   iterations) for the store's whole life:
                                   cumulative over every call, start
                                   functions included, until
                                   kiln_store_set_fuel sets it anew;
                                   0 = unlimited */
    uint64_t timeout_ns;        /* wall-clock budget of each top-level
                                   kiln_call (and each start function),
                                   restarted by the next one; kiln_calls
                                   made from host functions share their
                                   caller's deadline; 0 = none */
} kiln_store_limits;

KILN_API kiln_error *kiln_store_new(kiln_engine *engine, const kiln_store_limits *limits,
                                    kiln_store **out);
KILN_API void kiln_store_free(kiln_store *store);
/* Ask running code to stop with KILN_TRAP_INTERRUPT.  Safe from any thread
 * and from signal handlers.  Running code looks at the flag (and at the
 * deadline) every 10,000 calls or loop iterations, so it stops after at
 * most that much more work: tens of microseconds for tight loops.  The
 * flag is cleared when the next top-level call starts. */
KILN_API void kiln_store_interrupt(kiln_store *store);
/* For host functions that block (a WASI poll or read): nanoseconds until
 * the running call's deadline, UINT64_MAX when it has none, 0 once it has
 * passed or the store was interrupted.  A blocking host function should
 * wake up by then and return kiln_store_limit_error's error, so that a
 * deadline or an interrupt also ends a guest that is waiting. */
KILN_API uint64_t kiln_store_time_left_ns(const kiln_store *store);
/* The error for a deadline that has passed or an interrupt (KILN_ERR_LIMIT,
 * with its trap code), or NULL if neither has happened. */
KILN_API kiln_error *kiln_store_limit_error(kiln_store *store);
/* Fuel left (only meaningful when a fuel limit was set). */
KILN_API uint64_t kiln_store_fuel_remaining(const kiln_store *store);
KILN_API void kiln_store_set_fuel(kiln_store *store, uint64_t fuel);

/* ---- Host objects ------------------------------------------------------ */

/* A host function.  args/results follow the function type.  Return NULL on
 * success or an error (kiln_trap_new / kiln_exit_new) to trap.  Each
 * results[i] arrives zeroed with its kind already set to the i-th result
 * type, so a host function need only write results[i].of; changing a kind
 * to another type makes the call fail with KILN_ERR_HOST. */
typedef kiln_error *(*kiln_host_fn)(kiln_caller *caller, void *env,
                                    const kiln_val *args, kiln_val *results);

/* *type is copied (and its arrays): the caller may free it on return. */
KILN_API kiln_error *kiln_func_new(kiln_store *store, const kiln_functype *type,
                                   kiln_host_fn fn, void *env, void (*finalize)(void *env),
                                   kiln_func **out);
KILN_API kiln_error *kiln_memory_new(kiln_store *store, kiln_limits pages, kiln_memory **out);
KILN_API kiln_error *kiln_table_new(kiln_store *store, kiln_valkind elem, kiln_limits limits,
                                    kiln_table **out);
KILN_API kiln_error *kiln_global_new(kiln_store *store, kiln_val value, bool mutable_,
                                     kiln_global **out);

/* What a caller's host function may do with its caller. */
KILN_API kiln_store *kiln_caller_store(kiln_caller *caller);
KILN_API kiln_instance *kiln_caller_instance(kiln_caller *caller);
/* The caller's memory 0, or NULL if it has none. */
KILN_API kiln_memory *kiln_caller_memory(kiln_caller *caller);

/* ---- Linking and instantiation ----------------------------------------- */

KILN_API kiln_error *kiln_linker_new(kiln_store *store, kiln_linker **out);
KILN_API void kiln_linker_free(kiln_linker *linker);
KILN_API kiln_error *kiln_linker_define_func(kiln_linker *l, const char *module, const char *name,
                                             kiln_func *f);
KILN_API kiln_error *kiln_linker_define_memory(kiln_linker *l, const char *module,
                                               const char *name, kiln_memory *m);
KILN_API kiln_error *kiln_linker_define_table(kiln_linker *l, const char *module,
                                              const char *name, kiln_table *t);
KILN_API kiln_error *kiln_linker_define_global(kiln_linker *l, const char *module,
                                               const char *name, kiln_global *g);
/* Make every export of inst importable as (module, export name). */
KILN_API kiln_error *kiln_linker_define_instance(kiln_linker *l, const char *module,
                                                 kiln_instance *inst);
/* Resolve imports, allocate, initialise tables and memories, run the start
 * function.  On a trap during start the instance is not returned (the
 * writes it made to imported memories/tables stay, as the spec says). */
KILN_API kiln_error *kiln_linker_instantiate(kiln_linker *l, const kiln_module *m,
                                             kiln_instance **out);

KILN_API const kiln_module *kiln_instance_module(const kiln_instance *inst);
/* Exports by name; NULL when absent or of another kind. */
KILN_API kiln_func *kiln_instance_export_func(kiln_instance *inst, const char *name);
KILN_API kiln_memory *kiln_instance_export_memory(kiln_instance *inst, const char *name);
KILN_API kiln_table *kiln_instance_export_table(kiln_instance *inst, const char *name);
KILN_API kiln_global *kiln_instance_export_global(kiln_instance *inst, const char *name);
/* The same for a function export whose name is given with its length, as
 * a name may hold a NUL byte (the binary format allows any UTF-8). */
KILN_API kiln_func *kiln_instance_export_func_n(kiln_instance *inst, const char *name,
                                                size_t len);

/* ---- Templates: pre-linked, pooled instantiation ----------------------- */

/* A template instantiates one module again and again, cheaply and in
 * isolation.  Everything that does not depend on the use is done once: the
 * imports are resolved (to host functions defined in a builder, which
 * belong to no store), the data segments are applied to a memory image,
 * and each instance slot -- a store with its value stack, its instance, its
 * functions, tables, globals and a memory reservation -- is made the first
 * time it is needed and then kept.  kiln_template_instantiate takes a free
 * slot; kiln_store_free on that store gives it back after resetting it:
 * memory back to the image (the pages written rewritten, grown pages given
 * back to the OS), tables, globals, dropped segments, the stacks and the
 * limits back to their initial state, and every object the embedder made in the
 * store meanwhile freed.  Nothing one use wrote is visible to the next.
 * The pages written are known from the memory's written-page map, which
 * Wasm code, the bulk instructions, WASI and kiln_memory_write keep; a use
 * that took kiln_memory_data, or an engine with kiln_config.no_write_map,
 * makes its reset ask the OS instead (kiln_template_resets).
 *
 * Host functions serve every slot, so the per-use context they need (a
 * request, a kiln_wasi) travels as the user_data given to
 * kiln_template_instantiate: kiln_caller_data returns it.
 *
 * Only function imports can be satisfied this way; a module importing a
 * memory, table or global is refused (KILN_ERR_LINK).  Threads may share a
 * template: instantiation and release are thread-safe; each store is still
 * used by one thread at a time. */
typedef struct kiln_template_builder kiln_template_builder;
typedef struct kiln_template kiln_template;

KILN_API kiln_error *kiln_template_builder_new(kiln_engine *engine, kiln_template_builder **out);
/* Runs the finalizers given to kiln_template_builder_func.  Free the
 * builder after the templates made from it: they call its functions with
 * their env. */
KILN_API void kiln_template_builder_free(kiln_template_builder *b);
/* Define (module, name) as a host function of the given type, for every
 * template made from b afterwards.  *type is copied; env is passed to fn
 * on every call, from any slot and any thread; finalize (may be NULL) runs
 * on env when the builder is freed.  Defining a name again replaces it. */
KILN_API kiln_error *kiln_template_builder_func(kiln_template_builder *b, const char *module,
                                                const char *name, const kiln_functype *type,
                                                kiln_host_fn fn, void *env,
                                                void (*finalize)(void *env));

typedef struct kiln_template_config {
    /* The ceiling of every use: memory and table caps, call depth and
     * value stack size (as for kiln_store_new; the stacks are allocated at
     * this size once per slot), and the fuel and timeout a use gets when
     * kiln_template_instantiate is given no limits. */
    kiln_store_limits limits;
    uint32_t max_slots;          /* instances alive at once; 0 = 1024 */
} kiln_template_config;

/* Resolve m's imports against b (which may be NULL when m imports
 * nothing), apply its data segments to an image (so a segment that does
 * not fit fails here, as a trap) and prepare the pool.  No slot is made
 * yet.  m and b must outlive the template; config may be NULL. */
KILN_API kiln_error *kiln_template_new(const kiln_template_builder *b, const kiln_module *m,
                                       const kiln_template_config *config,
                                       kiln_template **out);
/* Frees the slots.  Every store taken from t must have been freed first. */
KILN_API void kiln_template_free(kiln_template *t);
/* Take a slot (making one if none is free): a store holding one instance
 * of the template's module, in its initial state, whose start function
 * (if any) has just run.  limits may be NULL (the template's); its zero
 * fields take the template's values, and it can lower but not raise the
 * template's memory, table, call depth and stack caps (larger values are
 * capped).  user_data is what kiln_caller_data and kiln_store_data return
 * during this use.  KILN_ERR_LIMIT "pool exhausted" when max_slots are in
 * use.  *store is owned by the caller (it is the instance's store, as
 * usual) and kiln_store_free returns it to the pool; *instance lives until
 * then. */
KILN_API kiln_error *kiln_template_instantiate(kiln_template *t, const kiln_store_limits *limits,
                                               void *user_data, kiln_store **store,
                                               kiln_instance **instance);
/* Slots made so far, and how many of them are in use. */
KILN_API void kiln_template_stats(const kiln_template *t, uint32_t *slots, uint32_t *in_use);
/* How the memories of slots given back so far were reset: from the map of
 * pages written (no system call), or by asking the OS which pages changed
 * (after kiln_memory_data was called in that use, or when many pages were
 * written). */
KILN_API void kiln_template_resets(const kiln_template *t, uint64_t *by_map, uint64_t *by_scan);

/* The user_data of the use a store is in (NULL for stores from
 * kiln_store_new), and that of a host function's caller. */
KILN_API void *kiln_store_data(const kiln_store *store);
KILN_API void *kiln_caller_data(kiln_caller *caller);

/* ---- Functions, memories, tables, globals ------------------------------ */

KILN_API kiln_functype kiln_func_type(const kiln_func *f);
/* Call f (from any instance of this store).  args must match the type;
 * results has room for nresults values. */
KILN_API kiln_error *kiln_call(kiln_store *store, kiln_func *f, const kiln_val *args,
                               size_t nargs, kiln_val *results, size_t nresults);

/* The memory's bytes, [data, data + kiln_memory_size).  The pointer never
 * changes: a memory reserves the address space for its largest size when
 * it is made, so the pointer stays valid across memory.grow and
 * kiln_memory_grow (only the accessible size changes) until the store is
 * freed.  Bytes past kiln_memory_size must not be touched. */
KILN_API uint8_t *kiln_memory_data(kiln_memory *m);
/* The same pointer, for a host that reports what it writes.  kiln keeps a
 * map of the pages written, which lets a template's slot (below) be reset
 * without asking the OS which pages changed.  kiln_memory_data gives that
 * up for the rest of the slot's use: kiln cannot see writes through the
 * pointer, so the reset costs a system call.  Through this pointer, call
 * kiln_memory_wrote for every range written before the host function
 * returns or the store is freed; a range not inside the memory gives the
 * map up as kiln_memory_data does.  kiln_memory_write reports itself. */
KILN_API uint8_t *kiln_memory_data_reported(kiln_memory *m);
KILN_API void kiln_memory_wrote(kiln_memory *m, uint64_t addr, uint64_t len);
KILN_API uint64_t kiln_memory_size(const kiln_memory *m); /* in bytes */
/* Bounds-checked copies between host buffers and linear memory: return
 * false (and copy nothing) if [addr, addr+len) is not inside the memory. */
KILN_API bool kiln_memory_read(const kiln_memory *m, uint64_t addr, void *dst, size_t len);
KILN_API bool kiln_memory_write(kiln_memory *m, uint64_t addr, const void *src, size_t len);
/* Grow by delta pages; returns the old size in pages or -1. */
KILN_API int64_t kiln_memory_grow(kiln_memory *m, uint64_t delta);

KILN_API uint64_t kiln_table_size(const kiln_table *t);
KILN_API bool kiln_table_get(const kiln_table *t, uint64_t i, kiln_val *out);

KILN_API kiln_val kiln_global_get(const kiln_global *g);
KILN_API kiln_valkind kiln_global_type(const kiln_global *g);
KILN_API bool kiln_global_is_mutable(const kiln_global *g);
/* Fails on an immutable global or a value of the wrong type. */
KILN_API kiln_error *kiln_global_set(kiln_global *g, kiln_val v);

#ifdef __cplusplus
}
#endif
#endif
