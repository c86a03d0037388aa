/*
 * module.h — the in-memory form of a decoded module (internal).
 *
 * The decoder (decode.c) fills a kn_module from a binary; the validator and
 * lowering pass (compile.c) check it and attach lowered code to each
 * function; after that the module is immutable and shared between threads.
 *
 * Invariants after decoding:
 *   - every index stored here was range-checked against its index space
 *     only where the binary format itself requires it; the validator checks
 *     the rest (function bodies, constant expressions, segment indices);
 *   - spans (kn_span) are byte ranges into m->bytes, which the module owns;
 *   - every constant expression was decoded into m->cinstrs, and holds only
 *     instructions a constant expression may contain (extended-const
 *     arithmetic included: whether it is allowed is the validator's call);
 *   - imported entities come first in each index space, as in the spec:
 *     funcs[0 .. num_func_imports) are imports, and likewise for tables,
 *     memories and globals.
 */
#ifndef KN_MODULE_H
#define KN_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"
#include "errors.h"
#include "kn_alloc.h"

/* Value types use their binary encodings. */
typedef uint8_t kn_valtype;
enum {
    KN_I32 = 0x7f, KN_I64 = 0x7e, KN_F32 = 0x7d, KN_F64 = 0x7c,
    KN_V128 = 0x7b, KN_FUNCREF = 0x70, KN_EXTERNREF = 0x6f,
};

/* Slots (8 bytes each) a value of type t occupies in a frame. */
static inline uint32_t kn_slots_of(kn_valtype t) { return t == KN_V128 ? 2u : 1u; }
static inline bool kn_is_reftype(kn_valtype t) { return t == KN_FUNCREF || t == KN_EXTERNREF; }

typedef struct kn_span {
    uint32_t start, end;  /* byte offsets into kn_module.bytes */
} kn_span;

typedef struct kn_functype {
    uint32_t nparams, nresults;
    kn_valtype *types;          /* params then results, nparams+nresults */
    kiln_valkind *kinds;        /* the same as kiln_valkind, for the API */
    uint32_t param_slots, result_slots;
    uint32_t canon;             /* engine-wide id: equal iff types equal */
} kn_functype;

typedef struct kn_limits {
    uint64_t min, max;
    bool has_max;
} kn_limits;

typedef struct kn_tabletype {
    kn_valtype elem;
    kn_limits limits;
} kn_tabletype;

typedef struct kn_globaltype {
    kn_valtype type;
    bool mut;
} kn_globaltype;

enum { KN_EXT_FUNC = 0, KN_EXT_TABLE = 1, KN_EXT_MEMORY = 2, KN_EXT_GLOBAL = 3 };

typedef struct kn_import {
    char *module, *name;        /* NUL-terminated copies (valid UTF-8) */
    uint32_t module_len, name_len; /* byte lengths: a name may hold a NUL */
    uint8_t kind;               /* KN_EXT_* */
    union {
        uint32_t func_type;     /* type index */
        kn_tabletype table;
        kn_limits memory;
        kn_globaltype global;
    } u;
    uint32_t offset;            /* byte offset of the import entry */
} kn_import;

typedef struct kn_export {
    char *name;                 /* NUL-terminated copy (valid UTF-8) */
    uint32_t name_len;          /* byte length: a name may hold a NUL */
    uint8_t kind;
    uint32_t index;
    uint32_t offset;            /* byte offset of the export entry */
} kn_export;

/* Constant expressions are decoded once, by decode.c, into instructions
 * kept in one module-wide array (kn_module.cinstrs, in file order); the
 * validator type-checks that list, instantiation evaluates it and inspect
 * prints it, so none of them reads the expression's bytes again.  `op` is
 * the instruction's binary opcode, except that v128.const (0xfd 12) is
 * KN_COP_V128_CONST; the closing `end` is not stored. */
enum {
    KN_COP_GLOBAL_GET = 0x23, KN_COP_I32_CONST = 0x41, KN_COP_I64_CONST = 0x42,
    KN_COP_F32_CONST = 0x43, KN_COP_F64_CONST = 0x44,
    KN_COP_I32_ADD = 0x6a, KN_COP_I32_SUB = 0x6b, KN_COP_I32_MUL = 0x6c,
    KN_COP_I64_ADD = 0x7c, KN_COP_I64_SUB = 0x7d, KN_COP_I64_MUL = 0x7e,
    KN_COP_REF_NULL = 0xd0, KN_COP_REF_FUNC = 0xd2, KN_COP_V128_CONST = 0xfd,
};

typedef struct kn_cinstr {
    uint8_t op;                 /* KN_COP_* */
    uint32_t offset;            /* of the opcode byte in kn_module.bytes */
    union {
        uint32_t i32;           /* i32.const; f32.const as its bits */
        uint64_t i64;           /* i64.const; f64.const as its bits */
        uint32_t index;         /* global.get, ref.func */
        kn_valtype type;        /* ref.null */
        uint8_t v128[16];       /* v128.const, little-endian lanes */
    } u;
} kn_cinstr;

typedef struct kn_constexpr {
    kn_span bytes;              /* its encoding, through `end` */
    uint32_t first, count;      /* kn_module.cinstrs[first .. first+count) */
} kn_constexpr;

typedef struct kn_global {
    kn_globaltype type;
    kn_constexpr init;
} kn_global;

enum { KN_SEG_ACTIVE = 0, KN_SEG_PASSIVE = 1, KN_SEG_DECLARATIVE = 2 };

typedef struct kn_elem {
    uint8_t mode;               /* KN_SEG_* */
    uint32_t table;             /* active only */
    kn_constexpr offset;        /* active only */
    kn_valtype type;            /* funcref or externref */
    uint32_t count;
    /* Either plain function indices (func_indices != NULL) or one constant
     * expression per item (exprs != NULL). */
    uint32_t *func_indices;
    kn_constexpr *exprs;
    uint32_t offset_in_file;
} kn_elem;

typedef struct kn_data {
    uint8_t mode;               /* KN_SEG_ACTIVE or KN_SEG_PASSIVE */
    uint32_t memory;
    kn_constexpr offset;
    kn_span bytes;
    uint32_t offset_in_file;
} kn_data;

typedef struct kn_localdecl {
    uint32_t count;
    kn_valtype type;
} kn_localdecl;

struct kn_code;                 /* lowered code, see lower.h */

typedef struct kn_func {
    uint32_t type;              /* type index */
    /* Defined functions only: */
    uint32_t nlocaldecls;
    kn_localdecl *localdecls;
    uint64_t nlocals;           /* total locals excluding params */
    kn_span body;               /* the expression after the local decls */
    uint32_t code_offset;       /* byte offset of the code entry (its size) */
    struct kn_code *code;       /* set by compile.c */
} kn_func;

typedef struct kn_custom {
    char *name;
    kn_span data;               /* payload after the name */
    uint32_t offset;            /* offset of the section id byte */
} kn_custom;

typedef struct kn_section {
    uint8_t id;
    uint32_t offset;            /* of the section id byte */
    uint32_t payload;           /* offset of the payload */
    uint32_t size;              /* payload size */
} kn_section;

typedef struct kn_module {
    kiln_engine *engine;
    kn_allocator alloc;         /* the engine's; zeroed: malloc (unit tests) */
    bool no_write_map;          /* the engine's: code leaves the map out */
    uint8_t *bytes;
    size_t len;

    uint32_t ntypes;
    kn_functype *types;

    uint32_t nimports;
    kn_import *imports;

    uint32_t nfuncs, num_func_imports;        /* funcs includes imports */
    kn_func *funcs;
    uint32_t ntables, num_table_imports;
    kn_tabletype *tables;
    uint32_t nmemories, num_memory_imports;
    kn_limits *memories;
    uint32_t nglobals, num_global_imports;
    kn_global *globals;                      /* imports have a zero init */

    uint32_t nexports;
    kn_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    kn_elem *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    kn_data *datas;

    /* Every constant expression's instructions, in file order (so also in
     * increasing offset). */
    uint32_t ncinstrs;
    kn_cinstr *cinstrs;

    uint32_t ncustoms;
    kn_custom *customs;
    uint32_t nsections;
    kn_section *sections;

    /* From the "name" custom section, if present and well-formed (a bad
     * name section is ignored, as the spec allows). */
    char *module_name;
    char **func_names;          /* nfuncs entries, NULL where unnamed; or NULL */

    /* Functions that may be referenced by ref.func (C.refs in the spec):
     * those named in exports, element segments and global initialisers. */
    uint8_t *func_declared;     /* nfuncs bytes, set by the validator */

    /* The native tier's code for this module (src/jit/), or NULL. */
    struct kn_jit_module *jit;
} kn_module;

/* The public handle is the decoded module itself, and what the code
 * cache did for it (src/jit/artifact.c). */
struct kiln_module {
    kn_module m;
    uint8_t cache;              /* kiln_cache_status */
    char *cache_detail;         /* owned (m.alloc), or NULL */
};

/* decode.c: parse a binary into *m (zeroed by the caller; m->engine set).
 * On failure returns a KILN_ERR_DECODE error with the byte offset; the
 * partially filled module must still be released with kn_module_clear. */
kiln_error *kn_decode(kn_module *m, const uint8_t *bytes, size_t len);
void kn_module_clear(kn_module *m);
/* validate_module.c: every rule of the spec's module validation except
 * function bodies (types, imports, limits, globals and their constant
 * expressions, exports, start, element and data segments), and fills
 * m->func_declared.  Errors are KILN_ERR_VALIDATE with an offset. */
kiln_error *kn_validate_module(kn_module *m);
/* compile.c: validate every function body and lower it to internal code
 * (m->funcs[i].code).  Runs after kn_validate_module. */
kiln_error *kn_compile(kn_module *m);
void kn_code_free(const kn_allocator *a, struct kn_code *code);
/* engine.c: the engine-wide id of a function type (equal ids iff equal
 * parameter and result lists).  Thread-safe. */
uint32_t kn_engine_intern_type(kiln_engine *e, const kn_valtype *types, uint32_t nparams,
                               uint32_t nresults);
/* engine.c: the tier the engine's modules get (KILN_TIER_INTERP or
 * KILN_TIER_NATIVE, the default resolved). */
kiln_tier kn_engine_tier(const kiln_engine *e);
/* The engine's code cache directory (kiln_config.cache_dir), or NULL. */
const char *kn_engine_cache_dir(const kiln_engine *e);
/* kiln_config.no_write_map. */
bool kn_engine_no_write_map(const kiln_engine *e);
/* engine.c: the allocator every module, store and linker of the engine
 * uses (kn_alloc.h); the engine outlives them all. */
const kn_allocator *kn_engine_alloc(const kiln_engine *e);


#endif
