/*
 * kiln_inspect.h — read-only views of a module's structure, for tooling.
 *
 * kiln.h answers what an embedder needs to run a module (imports, exports,
 * function types).  Tools such as `kiln inspect` also want to see how the
 * binary is laid out: its sections and where they sit, every function with
 * its body size, table/memory/global definitions, segments and their offset
 * expressions, and the names from the "name" section.  That is what this
 * companion header offers; it is a separate header so that kiln.h stays the
 * small embedding API.
 *
 * Everything here works on a kiln_module made by kiln_module_new, so only
 * valid modules can be inspected.  All functions are pure reads: they do not
 * allocate (kiln_inspect_lowered_check excepted), never fail on an index in range, and every pointer they hand out
 * (names, types, data bytes) is borrowed from the module and lives as long as
 * it does.  Index arguments out of range are a caller bug; the functions then
 * zero the output (or return NULL/false) rather than read out of bounds.
 *
 * Offsets are byte offsets into the module binary as given to
 * kiln_module_new.
 *
 * The profiling section at the end is the one part about running code
 * rather than a module: the call stack of a store, readable from a signal
 * handler, and a sampler (which allocates and uses SIGPROF) built on it.
 */
#ifndef KILN_INSPECT_H
#define KILN_INSPECT_H

#include "kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Sections ---------------------------------------------------------- */

typedef struct kiln_section_info {
    uint8_t id;             /* 0 = custom, 1 = type, ..., 12 = datacount */
    const char *name;       /* "type", "import", ...; for a custom section
                               its own name (e.g. "name") */
    uint32_t offset;        /* of the section id byte */
    uint32_t payload;       /* of the first payload byte */
    uint32_t size;          /* payload size in bytes */
    /* Entries declared in the section: types, imports, functions, ...;
     * 1 for start; the declared count for datacount; 0 for custom. */
    uint32_t count;
} kiln_section_info;

/* All sections in file order, custom sections included. */
KILN_API size_t kiln_inspect_section_count(const kiln_module *m);
KILN_API void kiln_inspect_section(const kiln_module *m, size_t i, kiln_section_info *out);

/* Custom sections only, in file order.  offset, payload and size are the
 * section's own, exactly as kiln_inspect_section gives them (the payload
 * starts with the name); data is the content after the name. */
typedef struct kiln_custom_info {
    const char *name;
    uint32_t offset;        /* of the section id byte */
    uint32_t payload;       /* of the first payload byte (the name's length) */
    uint32_t size;          /* payload size in bytes, name included */
    uint32_t data_offset;   /* of the content after the name */
    uint32_t data_size;     /* its size */
    const uint8_t *data;    /* the content itself */
} kiln_custom_info;

KILN_API size_t kiln_inspect_custom_count(const kiln_module *m);
KILN_API void kiln_inspect_custom(const kiln_module *m, size_t i, kiln_custom_info *out);

/* The module binary as given to kiln_module_new (for raw dumps). */
KILN_API const uint8_t *kiln_inspect_bytes(const kiln_module *m, size_t *len);

/* ---- Constant expressions ---------------------------------------------- */

/* A constant expression (global initialiser, segment offset, element item),
 * as a byte range of the binary including its final `end`.  size == 0 means
 * "none" (e.g. the offset of a passive segment). */
typedef struct kiln_expr {
    uint32_t offset, size;
} kiln_expr;

/* Render an expression as text, instructions separated by ", " and without
 * the final `end`: "i32.const 1024", "global.get 0, i32.const 16, i32.add",
 * "ref.func 3", "f64.const 0x1p+0".  Works like snprintf: writes at most cap
 * bytes including the NUL and returns the length the full text has. */
KILN_API size_t kiln_inspect_expr_text(const kiln_module *m, kiln_expr e, char *buf, size_t cap);

/* ---- Types and functions ----------------------------------------------- */

KILN_API size_t kiln_inspect_type_count(const kiln_module *m);
KILN_API kiln_functype kiln_inspect_type(const kiln_module *m, size_t i);

typedef struct kiln_func_info {
    uint32_t type_index;
    kiln_functype type;
    bool imported;          /* if so, the code fields below are 0 */
    const char *name;       /* from the name section, or NULL */
    uint32_t code_offset;   /* of the code entry (its size field) */
    uint32_t code_size;     /* the entry's size: local decls plus body */
    uint32_t body_offset;   /* of the first instruction */
    uint32_t body_size;     /* instructions including the final end */
    uint64_t nlocals;       /* locals declared, parameters excluded */
} kiln_func_info;

/* Functions in the function index space: imports first. */
KILN_API size_t kiln_inspect_func_count(const kiln_module *m);
KILN_API size_t kiln_inspect_func_import_count(const kiln_module *m);
KILN_API void kiln_inspect_func(const kiln_module *m, size_t i, kiln_func_info *out);
/* The same name as kiln_func_info.name. */
KILN_API const char *kiln_inspect_func_name(const kiln_module *m, size_t i);
/* The module's name from the name section, or NULL. */
KILN_API const char *kiln_inspect_module_name(const kiln_module *m);

/* ---- Instructions ------------------------------------------------------ */

/* One Wasm instruction of a function body (kiln_func_info.body_offset ..
 * + body_size) or of a constant expression, as text in the spec's text
 * format: "i32.load offset=8", "block (result i32)", "br_table 0 1 2",
 * "call_indirect (type 2)", "f64.const 0.1", "v128.const i32x4 0x... ...".
 * Indices are numbers.  A text that does not fit in cap is cut
 * (text_len says how long it is). */
typedef struct kiln_instr {
    uint32_t offset;        /* of the opcode byte */
    uint32_t size;          /* in bytes, immediates included */
    const char *name;       /* "i32.add", "block", ... */
    int nest;               /* +1: opens a block (block, loop, if); -1: end */
    bool is_else;           /* else: closes the if's first arm, opens the second */
    bool has_func;          /* call, ref.func: the function index in func */
    uint32_t func;
    size_t text_len;
} kiln_instr;

/* Decodes the instruction at offset, reading no byte at or past end.
 * False if no instruction starts there (in a body of a valid module, only
 * at an offset that is not an instruction boundary). */
KILN_API bool kiln_inspect_instr(const kiln_module *m, uint32_t offset, uint32_t end,
                                 kiln_instr *out, char *text, size_t cap);

/* ---- Lowered code ------------------------------------------------------- */

/* What kiln's interpreter runs for a defined function: 32-bit words, an
 * opcode word followed by its operands, each instruction of the length its
 * operand layout says (the engine's lower.h and opcodes.def).  For tuning
 * and testing the engine; the format is internal and changes with it. */
typedef struct kiln_lowered_info {
    uint32_t nwords;
    uint32_t param_slots, local_slots, frame_slots;
} kiln_lowered_info;

/* False for an imported function (or an index out of range). */
KILN_API bool kiln_inspect_lowered(const kiln_module *m, size_t func, kiln_lowered_info *out);

typedef struct kiln_lowered_instr {
    uint32_t pc;            /* word offset of the opcode word */
    uint32_t nwords;        /* the instruction's length in words */
    const char *name;       /* "i32.add/k", "jmp.if", "i32.load/a", ... */
    /* One letter per operand word: d/s slots, i/r/W immediates, o memory
     * offset, j branch, F/t/T/g/D/E indices, ... (opcodes.def) */
    const char *layout;
    const uint32_t *words;  /* words[0] is the opcode */
    size_t text_len;
} kiln_lowered_instr;

/* The lowered instruction at word pc of function func, with its text:
 * "i64.add/k s1, s0, -5", "jmp.if s2, @14" (slots sN, branch targets @PC).
 * False if pc is not the start of an instruction of that function's code
 * (walk from 0 by nwords). */
KILN_API bool kiln_inspect_lowered_instr(const kiln_module *m, size_t func, uint32_t pc,
                                         kiln_lowered_instr *out, char *text, size_t cap);

/* Checks that the function's lowered code walks cleanly: every instruction
 * decodes, the last ends exactly at nwords and every branch lands on an
 * instruction start.  False (and *bad_pc the first offending instruction)
 * otherwise.  Unlike the rest of this header it allocates (a bitmap), and
 * also returns false, with *bad_pc = UINT32_MAX, if that fails. */
KILN_API bool kiln_inspect_lowered_check(const kiln_module *m, size_t func, uint32_t *bad_pc);

/* ---- Tables, memories, globals ----------------------------------------- */

typedef struct kiln_table_info {
    kiln_valkind elem;
    kiln_limits limits;     /* in elements */
    bool imported;
} kiln_table_info;

typedef struct kiln_memory_info {
    kiln_limits limits;     /* in 64 KiB pages */
    bool imported;
} kiln_memory_info;

typedef struct kiln_global_info {
    kiln_valkind type;
    bool mutable_;
    bool imported;
    kiln_expr init;         /* size 0 for imports */
} kiln_global_info;

/* Each in its index space, imports first. */
KILN_API size_t kiln_inspect_table_count(const kiln_module *m);
KILN_API size_t kiln_inspect_table_import_count(const kiln_module *m);
KILN_API void kiln_inspect_table(const kiln_module *m, size_t i, kiln_table_info *out);
KILN_API size_t kiln_inspect_memory_count(const kiln_module *m);
KILN_API size_t kiln_inspect_memory_import_count(const kiln_module *m);
KILN_API void kiln_inspect_memory(const kiln_module *m, size_t i, kiln_memory_info *out);
KILN_API size_t kiln_inspect_global_count(const kiln_module *m);
KILN_API size_t kiln_inspect_global_import_count(const kiln_module *m);
KILN_API void kiln_inspect_global(const kiln_module *m, size_t i, kiln_global_info *out);

/* ---- Start function ---------------------------------------------------- */

/* True (and *func set) if the module has a start section. */
KILN_API bool kiln_inspect_start(const kiln_module *m, uint32_t *func);

/* ---- Element and data segments ----------------------------------------- */

typedef enum kiln_segment_mode {
    KILN_SEGMENT_ACTIVE = 0,
    KILN_SEGMENT_PASSIVE = 1,
    KILN_SEGMENT_DECLARATIVE = 2, /* element segments only */
} kiln_segment_mode;

typedef struct kiln_elem_info {
    kiln_segment_mode mode;
    uint32_t table;         /* active only */
    kiln_expr offset;       /* active only, else size 0 */
    kiln_valkind type;      /* funcref or externref */
    uint32_t count;         /* number of items */
    bool has_exprs;         /* items are expressions, not function indices */
    uint32_t file_offset;   /* of the segment in the binary */
} kiln_elem_info;

typedef struct kiln_elem_item {
    /* When is_func: the item is function `func` (given as an index, or as
     * the expression `ref.func func`).  Otherwise it is `expr` (e.g.
     * ref.null func, global.get 0). */
    bool is_func;
    uint32_t func;
    kiln_expr expr;         /* size 0 for a plain index */
} kiln_elem_item;

KILN_API size_t kiln_inspect_elem_count(const kiln_module *m);
KILN_API void kiln_inspect_elem(const kiln_module *m, size_t i, kiln_elem_info *out);
KILN_API void kiln_inspect_elem_item(const kiln_module *m, size_t seg, size_t item,
                                     kiln_elem_item *out);

typedef struct kiln_data_info {
    kiln_segment_mode mode; /* active or passive */
    uint32_t memory;        /* active only */
    kiln_expr offset;       /* active only, else size 0 */
    uint32_t size;          /* bytes of data */
    uint32_t data_offset;   /* where those bytes sit in the binary */
    const uint8_t *data;    /* the bytes themselves */
    uint32_t file_offset;   /* of the segment in the binary */
} kiln_data_info;

KILN_API size_t kiln_inspect_data_count(const kiln_module *m);
KILN_API void kiln_inspect_data(const kiln_module *m, size_t i, kiln_data_info *out);

/* ---- Profiling: the stack of a running store ---------------------------- */

/* The call stack of what `store` is running, innermost first: the function
 * executing, then its caller, and so on out to the function the host
 * called.  Host functions are frames too: a WASI call shows as the host
 * function, just inside the Wasm function that called it, and a host
 * function that calls back into Wasm sits between the two runs.  Writes
 * the innermost min(depth, cap) frames to out and returns depth, the
 * whole stack's size (0 when the store runs nothing).
 *
 * Async-signal-safe: it takes no lock, allocates nothing and writes only
 * to out, so a signal handler that interrupted the thread running the
 * store may call it; at every instruction the stack it sees is a
 * consistent one.  Not for other threads.  The pointers stay valid as
 * long as the store.  Any execution tier gives the same frames, with one
 * limit: compiled code (the native tier) keeps the frames of its own
 * calls on the machine stack and says where they are only when it calls
 * out (host functions, helpers), so a signal handler that interrupts
 * compiled code itself sees its frames as of its last such call.
 * kiln_sampler reads the interrupted registers instead and sees every
 * frame at every instruction. */
KILN_API size_t kiln_store_stack(const kiln_store *store, const kiln_func **out, size_t cap);

/* The name a profile shows for f, written like snprintf (at most cap bytes
 * with the NUL; returns the full length): a Wasm function's name from the
 * name section, else its first export's name, else "func[N]"; a host
 * function by the name it is imported under ("fd_write") by `caller`, the
 * next frame out in kiln_store_stack's list, when that is a Wasm function
 * importing it, else "host".  Not async-signal-safe: name frames after
 * sampling. */
KILN_API size_t kiln_func_label(const kiln_func *f, const kiln_func *caller, char *buf,
                                size_t cap);

/* A sampling profiler's clock: while it runs, every 1/hz second of the CPU
 * time of the thread that started it (hz from 1 to KILN_SAMPLER_MAX_HZ),
 * a signal interrupts that thread and fn(ud, frames, n, depth, periods)
 * gets the stack of `store` as kiln_store_stack gives it (n = min(depth,
 * KILN_SAMPLER_FRAMES) innermost frames; depth 0 when the store was not
 * running code) and the number of periods of 1/hz the sample stands for:
 * 1, unless the system delivered fewer signals than asked (Linux checks
 * CPU-time timers at the scheduler tick, CONFIG_HZ, often 250 per second,
 * so at a higher rate each sample covers several periods).  Counting
 * samples by their periods gives CPU time in units of 1/hz either way.
 * fn runs in the signal handler: it must be async-signal-safe (no malloc,
 * no stdio, no locks) and should be quick.
 *
 * Uses SIGPROF and the thread's CPU-time clock: one sampler per process at
 * a time (a second start fails with KILN_ERR_ARG), and the embedder must
 * not use SIGPROF meanwhile.  A blocking call the signal interrupts is
 * restarted (SA_RESTART), except those Linux never restarts (poll, sleep).
 * Stop it on the thread that started it, before freeing the store; after
 * kiln_sampler_stop returns, fn is not running and is never called again,
 * and SIGPROF's previous action is back. */
#define KILN_SAMPLER_MAX_HZ 100000
#define KILN_SAMPLER_FRAMES 512
typedef struct kiln_sampler kiln_sampler;
typedef void (*kiln_sample_fn)(void *ud, const kiln_func *const *frames, size_t n,
                               size_t depth, uint32_t periods);
KILN_API kiln_error *kiln_sampler_start(kiln_store *store, uint32_t hz, kiln_sample_fn fn,
                                        void *ud, kiln_sampler **out);
KILN_API void kiln_sampler_stop(kiln_sampler *sampler);

#ifdef __cplusplus
}
#endif
#endif
