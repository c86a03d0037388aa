/*
 * wat_impl.h — what the files of the text-format parser share.
 *
 * The pipeline: lex.c turns the whole text into an array of tokens (with
 * each '(' knowing its matching ')', so a parser can skip a field or an
 * assertion whole) and checks strings and comments once; num.c reads
 * numeric literals and decodes strings; module.c parses one module's
 * fields into section buffers, instr.c the instructions of a body or a
 * constant expression, encode.c assembles the sections into a binary;
 * script.c reads a .wast script on top of the same tokens.
 *
 * Failure: a parse error longjmps to the wat_ctx of the call in progress
 * after filling its kiln_wat_error.  So everything allocated while parsing
 * hangs off a structure that the entry point frees on both paths
 * (wat_mod_free, the script's arena); nothing is allocated on the C stack
 * that must be freed.
 */
#ifndef KN_WAT_IMPL_H
#define KN_WAT_IMPL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_wat.h"

typedef enum wat_tokkind {
    WT_LPAR, WT_RPAR, WT_KEYWORD, WT_ID, WT_ATOM, WT_STRING, WT_RESERVED, WT_EOF
} wat_tokkind;

typedef struct wat_tok {
    const char *s;
    uint32_t len;
    uint32_t line, col;
    uint32_t match;              /* WT_LPAR: index of its ')' */
    uint8_t kind;
} wat_tok;

typedef struct wat_ctx {
    jmp_buf jb;
    kiln_wat_error *err;
} wat_ctx;

typedef struct wat_buf {
    uint8_t *p;
    size_t n, cap;
} wat_buf;

/* ---- lex.c ---- */
/* Tokens of text (ending with one WT_EOF); false and *err on a lexical
 * error.  *toks is malloc'd. */
bool kn_wat_lex(const char *text, size_t len, wat_tok **toks, size_t *ntoks, kiln_wat_error *err);
bool kn_wat_tok_is(const wat_tok *t, const char *kw);

/* ---- num.c ---- */
typedef enum { WAT_NUM_OK, WAT_NUM_SYNTAX, WAT_NUM_RANGE } wat_num_status;
wat_num_status kn_wat_num_int(const wat_tok *t, unsigned bits, uint64_t *out);
wat_num_status kn_wat_num_uint(const wat_tok *t, unsigned bits, uint64_t *out);
wat_num_status kn_wat_num_f32(const wat_tok *t, uint32_t *bits);
wat_num_status kn_wat_num_f64(const wat_tok *t, uint64_t *bits);
/* A string token's bytes into out (room for t->len bytes); its length. */
size_t kn_wat_str_decode(const wat_tok *t, uint8_t *out);
bool kn_wat_utf8_valid(const uint8_t *s, size_t n);

/* ---- errors and buffers (module.c) ---- */
_Noreturn void kn_wat_fail(wat_ctx *c, const wat_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void kn_wat_put(wat_ctx *c, wat_buf *b, const void *p, size_t n);
void kn_wat_byte(wat_ctx *c, wat_buf *b, uint8_t v);
void kn_wat_u32(wat_ctx *c, wat_buf *b, uint32_t v);
void kn_wat_s32(wat_ctx *c, wat_buf *b, int32_t v);
void kn_wat_s64(wat_ctx *c, wat_buf *b, int64_t v);
void *kn_wat_grow(wat_ctx *c, void *p, size_t *cap, size_t need, size_t elem);

/* ---- the module being parsed (module.c) ---- */
typedef struct wat_name {
    const char *s;               /* the $id's text, '$' included */
    uint32_t len;
    uint32_t idx;
} wat_name;

typedef struct wat_space {
    wat_name *names;
    size_t nnames, cap;
    uint32_t *hash;              /* open addressing: names index + 1, or 0 */
    size_t hash_cap;             /* a power of two, over twice nnames */
    uint32_t count;              /* imports and definitions so far */
    uint32_t nimports;
} wat_space;

enum { WS_TYPE, WS_FUNC, WS_TABLE, WS_MEM, WS_GLOBAL, WS_ELEM, WS_DATA, WS_COUNT };

typedef struct wat_functype {
    uint32_t nparams, nresults;
    uint8_t *types;              /* params then results */
} wat_functype;

enum { WSEC_TYPE = 1, WSEC_IMPORT, WSEC_FUNC, WSEC_TABLE, WSEC_MEM, WSEC_GLOBAL, WSEC_EXPORT,
       WSEC_START, WSEC_ELEM, WSEC_CODE, WSEC_DATA, WSEC_DATACOUNT, WSEC_N };

typedef struct wat_mod {
    wat_ctx *c;
    const wat_tok *t;            /* the whole token array */
    size_t pos;
    wat_space sp[WS_COUNT];
    wat_functype *types;
    size_t ntypes, types_cap;
    wat_buf sec[WSEC_N];
    uint32_t count[WSEC_N];      /* entries in each vector section */
    bool has_start;
    bool uses_datacount;         /* memory.init / data.drop seen */
    /* scratch for one function (instr.c) */
    wat_name *locals;
    size_t nlocals, locals_cap;
    wat_name *labels;            /* innermost last; s NULL if unnamed */
    size_t nlabels, labels_cap;
    uint8_t *scratch;            /* decoded strings */
    size_t scratch_cap;
    unsigned depth;              /* nesting of folded instructions/blocks */
    bool debug_names;            /* write a name section */
    const wat_tok *module_id;    /* (module $id ...) */
    wat_buf local_names;         /* name subsection 2's entries, so far */
    uint32_t nlocal_names;       /* its entries: one per function, in order */
    uint16_t *optab;             /* instruction name hash -> table row + 1 */
    /* scratch buffers, used as a stack (kn_wat_tmp/kn_wat_tmp_pop), freed with
     * the module whether or not parsing failed */
#define WAT_NTMP 16
    wat_buf tmp[WAT_NTMP];
    int ntmp;
} wat_mod;

wat_buf *kn_wat_tmp(wat_mod *m);
void kn_wat_tmp_pop(wat_mod *m);

const wat_tok *kn_wat_peek(wat_mod *m);
const wat_tok *kn_wat_next(wat_mod *m);
bool kn_wat_at_lpar_kw(wat_mod *m, const char *kw);
void kn_wat_expect_lpar(wat_mod *m);
void kn_wat_expect_rpar(wat_mod *m);
bool kn_wat_opt_id(wat_mod *m, const wat_tok **id);
uint32_t kn_wat_index(wat_mod *m, int space);      /* a numeric or symbolic index */
uint8_t kn_wat_valtype(wat_mod *m);
uint8_t kn_wat_reftype_kw(wat_mod *m, const wat_tok *t); /* funcref/externref or fail */
void kn_wat_heaptype(wat_mod *m, wat_buf *b);        /* func / extern after ref.null */
/* A typeuse ((type x)? (param ...)* (result ...)*): its type index,
 * appending an implicit type if needed.  Named params go into m->locals
 * when names is true; blocks and call_indirect take no param names.  A
 * block whose type fits in one byte (no params, at most one result) gets
 * *plain_block and the byte in *block_vt instead. */
enum { WAT_TU_FUNC, WAT_TU_BLOCK, WAT_TU_CALL };
uint32_t kn_wat_typeuse(wat_mod *m, bool names, int mode, bool *plain_block, uint8_t *block_vt);
size_t kn_wat_string(wat_mod *m, const wat_tok *t, uint8_t **out);

/* ---- instr.c ---- */
void kn_wat_instrs_until(wat_mod *m, wat_buf *b, size_t end); /* tokens before end */
void kn_wat_const_expr(wat_mod *m, wat_buf *b); /* instrs then end */
void kn_wat_func_body(wat_mod *m, wat_buf *b);  /* locals, instrs, end */

/* ---- encode.c ---- */
bool kn_wat_encode(wat_mod *m, uint8_t **out, size_t *len);

/* ---- module.c: one module from the tokens at t (at '(' of "module",
 * or the first of the bare fields), ending before end. ---- */
bool kn_wat_parse_module(const wat_tok *t, size_t start, size_t end, bool bare, bool names,
                         uint8_t **out, size_t *len, kiln_wat_error *err);
void kn_wat_set_error(kiln_wat_error *err, const wat_tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
