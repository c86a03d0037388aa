/*
 * kiln_wat.h — the WebAssembly text format: .wat modules to binary, and
 * .wast scripts read into a list of commands for a spec-script runner.
 *
 * A companion of kiln.h, independent of the engine: nothing here needs a
 * kiln_engine, and the engine never depends on this part of the library.
 * The parser covers what kiln runs (Wasm 2.0 with SIMD): every instruction
 * plain and folded, every abbreviation, symbolic names for every index
 * space, all numeric literal spellings and string escapes.  It does not
 * validate: the binary it writes is what the text says, and
 * kiln_module_new is where types are checked.
 *
 * Errors are values: a function that can fail returns false and fills a
 * kiln_wat_error with a message and the 1-based line and column of the
 * token at fault.  On failure the out-parameters are untouched.  The
 * library never prints and keeps no global state.  Ownership: memory
 * handed out by kiln_wat_to_wasm is released with kiln_wat_free; a script
 * owns every command, string and buffer it holds until kiln_wast_free.
 */
#ifndef KILN_WAT_H
#define KILN_WAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_wat_error {
    uint32_t line;               /* 1-based; 0 if no position applies */
    uint32_t column;             /* 1-based, in bytes */
    char message[200];
} kiln_wat_error;

/* One module in the text format (a file of `(module ...)`, or of bare
 * module fields as wat2wasm accepts) to a freshly allocated binary. */
KILN_API bool kiln_wat_to_wasm(const char *text, size_t len, uint8_t **wasm, size_t *wasm_len,
                               kiln_wat_error *err);
KILN_API void kiln_wat_free(void *p);

typedef struct kiln_wat_options {
    /* Write a "name" section with every $name (module, functions, params
     * and locals, types, tables, memories, globals, segments), laid out as
     * wat2wasm --debug-names does: traps and `kiln inspect` show them. */
    bool debug_names;
} kiln_wat_options;

/* kiln_wat_to_wasm with options (NULL: all off, as kiln_wat_to_wasm). */
KILN_API bool kiln_wat_to_wasm_opts(const char *text, size_t len, const kiln_wat_options *opts,
                                    uint8_t **wasm, size_t *wasm_len, kiln_wat_error *err);

/* True if bytes look like a text module rather than a binary: not the
 * "\0asm" magic, and the first thing after whitespace and comments is
 * "(".  Content, not file names, decides. */
KILN_API bool kiln_wat_is_text(const uint8_t *bytes, size_t len);

/* ---- .wast scripts ------------------------------------------------------ */

typedef enum kiln_wast_kind {
    KILN_WAST_MODULE,            /* module: instantiate, make current */
    KILN_WAST_REGISTER,          /* register_name, module_name */
    KILN_WAST_ACTION,            /* a bare invoke or get */
    KILN_WAST_ASSERT_RETURN,     /* action, results */
    KILN_WAST_ASSERT_TRAP,       /* action (or module: fails to instantiate), message */
    KILN_WAST_ASSERT_EXHAUSTION, /* action, message */
    KILN_WAST_ASSERT_INVALID,    /* module, message */
    KILN_WAST_ASSERT_MALFORMED,  /* module, message */
    KILN_WAST_ASSERT_UNLINKABLE, /* module, message */
    KILN_WAST_ASSERT_UNINSTANTIABLE /* module, message */
} kiln_wast_kind;

typedef enum kiln_wast_module_form {
    KILN_WAST_MODULE_TEXT,       /* bytes: the encoded binary (or error) */
    KILN_WAST_MODULE_BINARY,     /* bytes: the binary as written */
    KILN_WAST_MODULE_QUOTE       /* bytes: the quoted text, to parse when run */
} kiln_wast_module_form;

typedef struct kiln_wast_module {
    kiln_wast_module_form form;
    uint32_t line;               /* of its "module" keyword */
    const char *name;            /* the $id (without '$'), or NULL */
    const uint8_t *bytes;        /* NUL-terminated for QUOTE */
    size_t len;
    /* A text module of assert_malformed/assert_invalid that did not parse:
     * bytes is NULL and error says why (anywhere else it fails the
     * script). */
    bool parse_failed;
    kiln_wat_error error;
} kiln_wast_module;

typedef enum kiln_wast_type {
    KILN_WAST_I32, KILN_WAST_I64, KILN_WAST_F32, KILN_WAST_F64, KILN_WAST_V128,
    KILN_WAST_FUNCREF, KILN_WAST_EXTERNREF
} kiln_wast_type;

typedef enum kiln_wast_shape {   /* how a v128 was written */
    KILN_WAST_I8X16, KILN_WAST_I16X8, KILN_WAST_I32X4, KILN_WAST_I64X2,
    KILN_WAST_F32X4, KILN_WAST_F64X2
} kiln_wast_shape;

typedef enum kiln_wast_pattern { /* per float, or per float lane of a v128 */
    KILN_WAST_EXACT, KILN_WAST_NAN_CANONICAL, KILN_WAST_NAN_ARITHMETIC
} kiln_wast_pattern;

/* An argument or an expected result.  Arguments are always exact. */
typedef struct kiln_wast_value {
    kiln_wast_type type;
    bool is_null;                /* ref.null KIND */
    bool any;                    /* result `ref.extern`/`ref.func` without a
                                  * number: any non-null reference */
    uint64_t bits;               /* i32/i64/f32/f64 bits; ref.extern N, ref.func N */
    uint8_t v128[16];            /* little-endian lane bytes */
    kiln_wast_shape shape;       /* v128 only */
    kiln_wast_pattern pattern[16]; /* f32/f64: [0]; v128: one per lane of shape */
} kiln_wast_value;

/* An expected result: one value, or `(either ...)` alternatives. */
typedef struct kiln_wast_result {
    size_t nalts;                /* 1 unless either */
    const kiln_wast_value *alts;
} kiln_wast_result;

typedef struct kiln_wast_action {
    uint32_t line;               /* of its invoke/get */
    bool is_get;                 /* get: field names a global export */
    const char *module;          /* $id without '$', or NULL: the current module */
    const char *field;           /* may hold NUL bytes: see field_len */
    size_t field_len;
    size_t nargs;
    const kiln_wast_value *args;
} kiln_wast_action;

typedef struct kiln_wast_command {
    kiln_wast_kind kind;
    uint32_t line;               /* of the command's keyword */
    bool has_module;             /* module / module asserts */
    kiln_wast_module module;
    bool has_action;
    kiln_wast_action action;
    const char *register_name;   /* REGISTER: the name given to imports */
    const char *register_module; /* REGISTER: $id, or NULL: the current module */
    size_t nresults;             /* ASSERT_RETURN */
    const kiln_wast_result *results;
    const char *message;         /* asserts other than return */
} kiln_wast_command;

typedef struct kiln_wast_script kiln_wast_script;

KILN_API bool kiln_wast_parse(const char *text, size_t len, kiln_wast_script **out,
                              kiln_wat_error *err);
/* The same, text modules encoded with opts (NULL: as kiln_wast_parse). */
KILN_API bool kiln_wast_parse_opts(const char *text, size_t len, const kiln_wat_options *opts,
                                   kiln_wast_script **out, kiln_wat_error *err);
KILN_API size_t kiln_wast_count(const kiln_wast_script *s);
KILN_API const kiln_wast_command *kiln_wast_get(const kiln_wast_script *s, size_t i);
KILN_API void kiln_wast_free(kiln_wast_script *s);

#ifdef __cplusplus
}
#endif
#endif
