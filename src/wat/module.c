/*
 * module.c — one module of the text format: its fields, index spaces and
 * types, written into per-section buffers that encode.c assembles.
 *
 * Two passes over the fields.  The first gives every name of every index
 * space its index (imports first in each space, as the binary numbers
 * them, which is why a text import after a definition is an error) and
 * reads the explicit type definitions, so that any later use can refer
 * forward.  The second parses each field whole and writes it; inline
 * type uses without a matching type append implicit types in the order
 * they occur, after all explicit ones, as the spec says.  Inline exports,
 * imports, `(table ... (elem ...))` and `(memory (data ...))` are expanded
 * where they stand.  Element segments take the smallest encoding that
 * says what was written (the one wabt picks), so output compares byte for
 * byte with wat2wasm's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat_impl.h"

/* ---- errors, buffers, LEB128 ---------------------------------------- */

void kn_wat_set_error(kiln_wat_error *err, const wat_tok *t, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->line = t ? t->line : 0;
    err->column = t ? t->col : 0;
}

_Noreturn void kn_wat_fail(wat_ctx *c, const wat_tok *t, const char *fmt, ...)
{
    if (c->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
        va_end(ap);
        c->err->line = t ? t->line : 0;
        c->err->column = t ? t->col : 0;
    }
    longjmp(c->jb, 1);
}

void *kn_wat_grow(wat_ctx *c, void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = n < SIZE_MAX / elem ? realloc(p, n * elem) : NULL;
    if (!q)
        kn_wat_fail(c, NULL, "out of memory");
    *cap = n;
    return q;
}

void kn_wat_put(wat_ctx *c, wat_buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    b->p = kn_wat_grow(c, b->p, &b->cap, b->n + n, 1);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void kn_wat_byte(wat_ctx *c, wat_buf *b, uint8_t v) { kn_wat_put(c, b, &v, 1); }

void kn_wat_u32(wat_ctx *c, wat_buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        kn_wat_byte(c, b, byte | (v ? 0x80 : 0));
    } while (v);
}

void kn_wat_s64(wat_ctx *c, wat_buf *b, int64_t v)
{
    for (;;) {
        uint8_t byte = v & 0x7f;
        v >>= 7; /* arithmetic: gcc and clang on every target kiln builds for */
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        kn_wat_byte(c, b, byte | (done ? 0 : 0x80));
        if (done)
            return;
    }
}

void kn_wat_s32(wat_ctx *c, wat_buf *b, int32_t v) { kn_wat_s64(c, b, v); }

/* ---- tokens ----------------------------------------------------------- */

const wat_tok *kn_wat_peek(wat_mod *m) { return &m->t[m->pos]; }

const wat_tok *kn_wat_next(wat_mod *m)
{
    const wat_tok *t = &m->t[m->pos];
    if (t->kind != WT_EOF)
        m->pos++;
    return t;
}

bool kn_wat_at_lpar_kw(wat_mod *m, const char *kw)
{
    return m->t[m->pos].kind == WT_LPAR && kn_wat_tok_is(&m->t[m->pos + 1], kw);
}

void kn_wat_expect_lpar(wat_mod *m)
{
    const wat_tok *t = kn_wat_next(m);
    if (t->kind != WT_LPAR)
        kn_wat_fail(m->c, t, "expected '('");
}

void kn_wat_expect_rpar(wat_mod *m)
{
    const wat_tok *t = kn_wat_next(m);
    if (t->kind != WT_RPAR)
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected ')'", (int)t->len, t->s);
}

static void expect_kw(wat_mod *m, const char *kw)
{
    const wat_tok *t = kn_wat_next(m);
    if (!kn_wat_tok_is(t, kw))
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected %s", (int)t->len, t->s, kw);
}

bool kn_wat_opt_id(wat_mod *m, const wat_tok **id)
{
    if (kn_wat_peek(m)->kind != WT_ID)
        return false;
    *id = kn_wat_next(m);
    return true;
}

size_t kn_wat_string(wat_mod *m, const wat_tok *t, uint8_t **out)
{
    if (t->kind != WT_STRING)
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected a string", (int)t->len, t->s);
    m->scratch = kn_wat_grow(m->c, m->scratch, &m->scratch_cap, t->len, 1);
    *out = m->scratch;
    return kn_wat_str_decode(t, m->scratch);
}

/* A name string (import, export): decoded, UTF-8, written with its length. */
static void put_name(wat_mod *m, wat_buf *b)
{
    const wat_tok *t = kn_wat_next(m);
    uint8_t *s;
    size_t n = kn_wat_string(m, t, &s);
    if (!kn_wat_utf8_valid(s, n))
        kn_wat_fail(m->c, t, "malformed UTF-8 encoding");
    kn_wat_u32(m->c, b, (uint32_t)n);
    kn_wat_put(m->c, b, s, n);
}

/* ---- names and index spaces -------------------------------------------- */

static const char *const space_names[WS_COUNT] = {"type", "func",  "table", "memory",
                                                   "global", "elem", "data"};

static bool name_eq(const wat_name *n, const wat_tok *t)
{
    return n->len == t->len && memcmp(n->s, t->s, t->len) == 0;
}

/* Names are hashed: a module converted from a big binary (wasm2wat) has
 * tens of thousands of functions, each called by name many times. */
static uint32_t hash_name(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* The slot of t in sp's hash: its entry, or the empty slot it would take. */
static uint32_t *name_slot(wat_space *sp, const char *s, size_t len)
{
    size_t mask = sp->hash_cap - 1;
    for (size_t h = hash_name(s, len);; h++) {
        uint32_t *slot = &sp->hash[h & mask];
        if (!*slot)
            return slot;
        const wat_name *n = &sp->names[*slot - 1];
        if (n->len == len && memcmp(n->s, s, len) == 0)
            return slot;
    }
}

static void rehash(wat_mod *m, wat_space *sp)
{
    size_t cap = sp->hash_cap ? sp->hash_cap * 2 : 64;
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        kn_wat_fail(m->c, NULL, "out of memory");
    free(sp->hash);
    sp->hash = h;
    sp->hash_cap = cap;
    for (size_t i = 0; i < sp->nnames; i++)
        *name_slot(sp, sp->names[i].s, sp->names[i].len) = (uint32_t)i + 1;
}

static void bind(wat_mod *m, int space, const wat_tok *id, uint32_t idx)
{
    wat_space *sp = &m->sp[space];
    if (!id)
        return;
    if ((sp->nnames + 1) * 2 >= sp->hash_cap)
        rehash(m, sp);
    uint32_t *slot = name_slot(sp, id->s, id->len);
    if (*slot)
        kn_wat_fail(m->c, id, "duplicate %s %.*s", space_names[space], (int)id->len, id->s);
    sp->names = kn_wat_grow(m->c, sp->names, &sp->cap, sp->nnames + 1, sizeof *sp->names);
    sp->names[sp->nnames++] = (wat_name){id->s, id->len, idx};
    *slot = (uint32_t)sp->nnames;
}

uint32_t kn_wat_index(wat_mod *m, int space)
{
    const wat_tok *t = kn_wat_next(m);
    if (t->kind == WT_ID) {
        wat_space *sp = &m->sp[space];
        uint32_t *slot = sp->hash_cap ? name_slot(sp, t->s, t->len) : NULL;
        if (slot && *slot)
            return sp->names[*slot - 1].idx;
        kn_wat_fail(m->c, t, "unknown %s %.*s", space_names[space], (int)t->len, t->s);
    }
    uint64_t v;
    if (kn_wat_num_uint(t, 32, &v) != WAT_NUM_OK)
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected an index (%s)", (int)t->len, t->s,
                 space_names[space]);
    return (uint32_t)v;
}

/* ---- types ------------------------------------------------------------- */

uint8_t kn_wat_reftype_kw(wat_mod *m, const wat_tok *t)
{
    if (kn_wat_tok_is(t, "funcref"))
        return 0x70;
    if (kn_wat_tok_is(t, "externref"))
        return 0x6f;
    kn_wat_fail(m->c, t, "unexpected token '%.*s', expected a reference type", (int)t->len, t->s);
}

uint8_t kn_wat_valtype(wat_mod *m)
{
    static const struct { const char *name; uint8_t code; } vts[] = {
        {"i32", 0x7f}, {"i64", 0x7e}, {"f32", 0x7d}, {"f64", 0x7c},
        {"v128", 0x7b}, {"funcref", 0x70}, {"externref", 0x6f}};
    const wat_tok *t = kn_wat_next(m);
    for (size_t i = 0; i < sizeof vts / sizeof vts[0]; i++)
        if (kn_wat_tok_is(t, vts[i].name))
            return vts[i].code;
    kn_wat_fail(m->c, t, "unexpected token '%.*s', expected a value type", (int)t->len, t->s);
}

void kn_wat_heaptype(wat_mod *m, wat_buf *b)
{
    const wat_tok *t = kn_wat_next(m);
    if (kn_wat_tok_is(t, "func"))
        kn_wat_byte(m->c, b, 0x70);
    else if (kn_wat_tok_is(t, "extern"))
        kn_wat_byte(m->c, b, 0x6f);
    else
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected func or extern", (int)t->len, t->s);
}

static void sig_add(wat_mod *m, wat_buf *b, uint8_t vt) { kn_wat_byte(m->c, b, vt); }

static void add_local_name(wat_mod *m, const wat_tok *id)
{
    if (id)
        for (size_t i = 0; i < m->nlocals; i++)
            if (m->locals[i].s && name_eq(&m->locals[i], id))
                kn_wat_fail(m->c, id, "duplicate local %.*s", (int)id->len, id->s);
    m->locals = kn_wat_grow(m->c, m->locals, &m->locals_cap, m->nlocals + 1, sizeof *m->locals);
    m->locals[m->nlocals] = (wat_name){id ? id->s : NULL, id ? id->len : 0, (uint32_t)m->nlocals};
    m->nlocals++;
}

/* (param ...)* (result ...)* into b; the number of params in *np.  Named
 * params are bound as locals if names; refused if !allow_names. */
static void sig_lists(wat_mod *m, wat_buf *b, uint32_t *np, bool names, bool allow_names)
{
    *np = 0;
    while (kn_wat_at_lpar_kw(m, "param")) {
        m->pos += 2;
        const wat_tok *id = NULL;
        if (kn_wat_opt_id(m, &id)) {
            if (!allow_names)
                kn_wat_fail(m->c, id, "unexpected token %.*s", (int)id->len, id->s);
            sig_add(m, b, kn_wat_valtype(m));
            if (names)
                add_local_name(m, id);
            (*np)++;
        } else {
            while (kn_wat_peek(m)->kind != WT_RPAR) {
                sig_add(m, b, kn_wat_valtype(m));
                if (names)
                    add_local_name(m, NULL);
                (*np)++;
            }
        }
        kn_wat_expect_rpar(m);
    }
    while (kn_wat_at_lpar_kw(m, "result")) {
        m->pos += 2;
        while (kn_wat_peek(m)->kind != WT_RPAR)
            sig_add(m, b, kn_wat_valtype(m));
        kn_wat_expect_rpar(m);
    }
}

static uint32_t find_type(wat_mod *m, const uint8_t *types, uint32_t np, uint32_t nr)
{
    for (size_t i = 0; i < m->ntypes; i++) {
        const wat_functype *f = &m->types[i];
        if (f->nparams == np && f->nresults == nr && memcmp(f->types, types, np + nr) == 0)
            return (uint32_t)i;
    }
    return UINT32_MAX;
}

static uint32_t add_type(wat_mod *m, const uint8_t *types, uint32_t np, uint32_t nr)
{
    m->types = kn_wat_grow(m->c, m->types, &m->types_cap, m->ntypes + 1, sizeof *m->types);
    wat_functype *f = &m->types[m->ntypes];
    f->nparams = np;
    f->nresults = nr;
    f->types = malloc(np + nr + 1);
    if (!f->types)
        kn_wat_fail(m->c, NULL, "out of memory");
    memcpy(f->types, types, np + nr);
    m->sp[WS_TYPE].count++;
    return (uint32_t)m->ntypes++;
}

uint32_t kn_wat_typeuse(wat_mod *m, bool names, int mode, bool *plain_block, uint8_t *block_vt)
{
    bool block = mode == WAT_TU_BLOCK;
    uint32_t idx = UINT32_MAX;
    const wat_tok *at = kn_wat_peek(m);
    if (kn_wat_at_lpar_kw(m, "type")) {
        m->pos += 2;
        idx = kn_wat_index(m, WS_TYPE);
        kn_wat_expect_rpar(m);
    }
    wat_buf *b = kn_wat_tmp(m);
    uint32_t np;
    size_t locals_before = m->nlocals;
    sig_lists(m, b, &np, names, mode == WAT_TU_FUNC);
    uint32_t nr = (uint32_t)b->n - np;
    const uint8_t *types = b->n ? b->p : (const uint8_t *)"";
    bool inline_sig = b->n > 0 || m->nlocals != locals_before;
    if (idx != UINT32_MAX && idx >= m->ntypes) {
        /* a numeric index past the types is the validator's to reject,
         * unless an inline signature must be checked against it */
        if (inline_sig)
            kn_wat_fail(m->c, at, "unknown type %u", idx);
        if (block)
            *plain_block = false;
    } else if (idx != UINT32_MAX) {
        const wat_functype *f = &m->types[idx];
        if (inline_sig &&
            (f->nparams != np || f->nresults != nr || memcmp(f->types, types, b->n) != 0))
            kn_wat_fail(m->c, at, "inline function type does not match type %u", idx);
        if (names && !inline_sig)
            for (uint32_t i = 0; i < f->nparams; i++)
                add_local_name(m, NULL);
        if (block) {
            *plain_block = f->nparams == 0 && f->nresults <= 1;
            *block_vt = f->nresults ? f->types[f->nparams] : 0x40;
        }
    } else if (block && np == 0 && nr <= 1) {
        *plain_block = true;
        *block_vt = nr ? types[0] : 0x40;
        idx = 0;
    } else {
        if (block)
            *plain_block = false;
        idx = find_type(m, types, np, nr);
        if (idx == UINT32_MAX)
            idx = add_type(m, types, np, nr);
    }
    kn_wat_tmp_pop(m);
    return idx;
}

/* (type $id? (func (param ...)* (result ...)*)), first pass. */
static void type_def(wat_mod *m)
{
    const wat_tok *id = NULL;
    kn_wat_opt_id(m, &id);
    kn_wat_expect_lpar(m);
    expect_kw(m, "func");
    wat_buf *b = kn_wat_tmp(m);
    uint32_t np;
    sig_lists(m, b, &np, false, true);
    kn_wat_expect_rpar(m);
    kn_wat_expect_rpar(m);
    uint32_t idx = add_type(m, b->n ? b->p : (const uint8_t *)"", np, (uint32_t)b->n - np);
    kn_wat_tmp_pop(m);
    bind(m, WS_TYPE, id, idx);
}

/* ---- first pass -------------------------------------------------------- */

static const char *const field_kws[] = {"func", "table", "memory", "global"};

/* Is the field at m->pos (after its keyword and $id) an inline import? */
static bool inline_import(wat_mod *m)
{
    size_t p = m->pos;
    while (m->t[p].kind == WT_LPAR && kn_wat_tok_is(&m->t[p + 1], "export"))
        p = m->t[p].match + 1;
    return m->t[p].kind == WT_LPAR && kn_wat_tok_is(&m->t[p + 1], "import");
}

/* Does the table field at m->pos carry inline elements / the memory inline
 * data? */
static bool inline_segment(wat_mod *m, const char *kw)
{
    size_t p = m->pos;
    while (m->t[p].kind == WT_LPAR && kn_wat_tok_is(&m->t[p + 1], "export"))
        p = m->t[p].match + 1;
    if (m->t[p].kind == WT_KEYWORD)
        p++;
    return m->t[p].kind == WT_LPAR && kn_wat_tok_is(&m->t[p + 1], kw);
}

static void declare(wat_mod *m, int space, const wat_tok *id, bool import, const wat_tok *at,
                    bool *defined)
{
    wat_space *sp = &m->sp[space];
    if (import) {
        if (*defined)
            kn_wat_fail(m->c, at, "import after definition");
        sp->nimports++;
    } else if (space != WS_ELEM && space != WS_DATA) {
        *defined = true;
    }
    bind(m, space, id, sp->count++);
}

static void collect_field(wat_mod *m, bool *defined)
{
    const wat_tok *open = kn_wat_next(m);
    if (open->kind != WT_LPAR)
        kn_wat_fail(m->c, open, "unexpected token '%.*s', expected a module field", (int)open->len,
                 open->s);
    const wat_tok *kw = kn_wat_next(m);
    const wat_tok *id = NULL;
    size_t end = open->match;
    if (kn_wat_tok_is(kw, "type")) {
        type_def(m);
        return;
    }
    for (int k = 0; k < 4; k++) {
        if (!kn_wat_tok_is(kw, field_kws[k]))
            continue;
        kn_wat_opt_id(m, &id);
        declare(m, WS_FUNC + k, id, inline_import(m), kw, defined);
        if (k == 1 && inline_segment(m, "elem"))
            m->sp[WS_ELEM].count++;
        if (k == 2 && inline_segment(m, "data"))
            m->sp[WS_DATA].count++;
        m->pos = end + 1;
        return;
    }
    if (kn_wat_tok_is(kw, "import")) {
        for (int k = 0; k < 2; k++)
            if (kn_wat_next(m)->kind != WT_STRING)
                kn_wat_fail(m->c, &m->t[m->pos - 1], "unexpected token, expected a name");
        const wat_tok *desc = &m->t[m->pos + 1];
        for (int k = 0; k < 4; k++)
            if (m->t[m->pos].kind == WT_LPAR && kn_wat_tok_is(desc, field_kws[k])) {
                m->pos += 2;
                kn_wat_opt_id(m, &id);
                declare(m, WS_FUNC + k, id, true, kw, defined);
            }
    } else if (kn_wat_tok_is(kw, "elem") || kn_wat_tok_is(kw, "data")) {
        kn_wat_opt_id(m, &id);
        declare(m, kn_wat_tok_is(kw, "elem") ? WS_ELEM : WS_DATA, id, false, kw, defined);
    } else if (!kn_wat_tok_is(kw, "export") && !kn_wat_tok_is(kw, "start")) {
        kn_wat_fail(m->c, kw, "unknown module field '%.*s'", (int)kw->len, kw->s);
    }
    m->pos = end + 1;
}

/* ---- second pass: fields ------------------------------------------------ */

typedef struct pass2 {
    uint32_t imps[WS_COUNT], defs[WS_COUNT];
} pass2;

/* (export "name")* of a field with index idx of kind k. */
static void inline_exports(wat_mod *m, uint8_t kind, uint32_t idx)
{
    while (kn_wat_at_lpar_kw(m, "export")) {
        m->pos += 2;
        put_name(m, &m->sec[WSEC_EXPORT]);
        kn_wat_byte(m->c, &m->sec[WSEC_EXPORT], kind);
        kn_wat_u32(m->c, &m->sec[WSEC_EXPORT], idx);
        m->count[WSEC_EXPORT]++;
        kn_wat_expect_rpar(m);
    }
}

static uint32_t limit(wat_mod *m)
{
    uint64_t v;
    const wat_tok *t = kn_wat_next(m);
    wat_num_status st = kn_wat_num_uint(t, 32, &v);
    if (st == WAT_NUM_RANGE)
        kn_wat_fail(m->c, t, "constant out of range");
    if (st != WAT_NUM_OK)
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected a limit", (int)t->len, t->s);
    return (uint32_t)v;
}

static void limits(wat_mod *m, wat_buf *b)
{
    uint32_t lo = limit(m);
    if (kn_wat_peek(m)->kind == WT_ATOM) {
        uint32_t hi = limit(m);
        kn_wat_byte(m->c, b, 1);
        kn_wat_u32(m->c, b, lo);
        kn_wat_u32(m->c, b, hi);
    } else {
        kn_wat_byte(m->c, b, 0);
        kn_wat_u32(m->c, b, lo);
    }
}

static void globaltype(wat_mod *m, wat_buf *b)
{
    if (kn_wat_at_lpar_kw(m, "mut")) {
        m->pos += 2;
        kn_wat_byte(m->c, b, kn_wat_valtype(m));
        kn_wat_byte(m->c, b, 1);
        kn_wat_expect_rpar(m);
    } else {
        kn_wat_byte(m->c, b, kn_wat_valtype(m));
        kn_wat_byte(m->c, b, 0);
    }
}

/* Limits come first in the text, the reference type first in the binary. */
static void tabletype(wat_mod *m, wat_buf *b)
{
    size_t p = m->pos;
    while (m->t[p].kind == WT_ATOM)
        p++;
    kn_wat_byte(m->c, b, kn_wat_reftype_kw(m, &m->t[p]));
    limits(m, b);
    if (m->pos != p)
        kn_wat_fail(m->c, kn_wat_peek(m), "unexpected token in table type");
    m->pos++;
}

/* The import descriptor of kind k at m->pos (after the keyword and id). */
/* The function just read's parameter and local names, for the name
 * section (every function has an entry, named or not, as wabt writes). */
static void record_local_names(wat_mod *m)
{
    if (!m->debug_names)
        return;
    wat_buf *b = &m->local_names;
    uint32_t named = 0;
    for (size_t i = 0; i < m->nlocals; i++)
        named += m->locals[i].s != NULL;
    kn_wat_u32(m->c, b, m->nlocal_names++);
    kn_wat_u32(m->c, b, named);
    for (size_t i = 0; i < m->nlocals; i++) {
        const wat_name *n = &m->locals[i];
        if (!n->s)
            continue;
        kn_wat_u32(m->c, b, (uint32_t)i);
        kn_wat_u32(m->c, b, n->len - 1);
        kn_wat_put(m->c, b, n->s + 1, n->len - 1);
    }
}

static void import_desc(wat_mod *m, int k)
{
    wat_buf *b = &m->sec[WSEC_IMPORT];
    kn_wat_byte(m->c, b, (uint8_t)k);
    if (k == 0) {
        m->nlocals = 0;
        uint32_t ti = kn_wat_typeuse(m, true, WAT_TU_FUNC, NULL, NULL);
        record_local_names(m);
        kn_wat_u32(m->c, b, ti);
    } else if (k == 1) {
        tabletype(m, b);
    } else if (k == 2) {
        limits(m, b);
    } else {
        globaltype(m, b);
    }
    m->count[WSEC_IMPORT]++;
}

static void import_field(wat_mod *m, pass2 *p)
{
    wat_buf *b = &m->sec[WSEC_IMPORT];
    put_name(m, b);
    put_name(m, b);
    kn_wat_expect_lpar(m);
    const wat_tok *kw = kn_wat_next(m);
    for (int k = 0; k < 4; k++)
        if (kn_wat_tok_is(kw, field_kws[k])) {
            const wat_tok *id;
            kn_wat_opt_id(m, &id);
            p->imps[WS_FUNC + k]++;
            import_desc(m, k);
            kn_wat_expect_rpar(m);
            kn_wat_expect_rpar(m);
            return;
        }
    kn_wat_fail(m->c, kw, "unexpected token '%.*s', expected an import kind", (int)kw->len, kw->s);
}

/* A field that may be an inline import: (kw $id? (export ..)* (import "m"
 * "n") desc); true if it was one (and is fully read). */
static bool field_import(wat_mod *m, int k, pass2 *p)
{
    if (!inline_import(m))
        return false;
    inline_exports(m, (uint8_t)k, p->imps[WS_FUNC + k]++);
    m->pos += 2;
    put_name(m, &m->sec[WSEC_IMPORT]);
    put_name(m, &m->sec[WSEC_IMPORT]);
    kn_wat_expect_rpar(m);
    import_desc(m, k);
    kn_wat_expect_rpar(m);
    return true;
}

static uint32_t next_def(wat_mod *m, int space, pass2 *p)
{
    return m->sp[space].nimports + p->defs[space]++;
}

static void func_field(wat_mod *m, pass2 *p)
{
    inline_exports(m, 0, next_def(m, WS_FUNC, p));
    m->nlocals = 0;
    uint32_t ti = kn_wat_typeuse(m, true, WAT_TU_FUNC, NULL, NULL);
    kn_wat_u32(m->c, &m->sec[WSEC_FUNC], ti);
    m->count[WSEC_FUNC]++;
    wat_buf *body = kn_wat_tmp(m);
    kn_wat_func_body(m, body);
    record_local_names(m);
    kn_wat_u32(m->c, &m->sec[WSEC_CODE], (uint32_t)body->n);
    kn_wat_put(m->c, &m->sec[WSEC_CODE], body->p, body->n);
    m->count[WSEC_CODE]++;
    kn_wat_tmp_pop(m);
    kn_wat_expect_rpar(m);
}

/* An offset: (offset instr*) or one folded instruction. */
static void offset_expr(wat_mod *m, wat_buf *b)
{
    if (kn_wat_at_lpar_kw(m, "offset")) {
        m->pos += 2;
        kn_wat_const_expr(m, b);
        kn_wat_expect_rpar(m);
        return;
    }
    const wat_tok *t = kn_wat_peek(m);
    if (t->kind != WT_LPAR)
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected an offset", (int)t->len, t->s);
    kn_wat_instrs_until(m, b, t->match + 1);
    kn_wat_byte(m->c, b, 0x0b);
}

/* Element items, kept both ways until the segment's encoding is chosen:
 * as expressions, and as plain function indices while every item is a
 * lone ref.func (wabt writes those as an index vector). */
typedef struct elem_items {
    wat_buf *exprs, *funcs, *one;
    uint32_t n;
    bool all_func;
} elem_items;

static void item_expr(wat_mod *m, elem_items *it)
{
    wat_buf *one = it->one;
    one->n = 0;
    if (kn_wat_at_lpar_kw(m, "item")) {
        m->pos += 2;
        kn_wat_const_expr(m, one);
        kn_wat_expect_rpar(m);
    } else {
        const wat_tok *t = kn_wat_peek(m);
        if (t->kind != WT_LPAR)
            kn_wat_fail(m->c, t, "unexpected token '%.*s', expected an element expression",
                     (int)t->len, t->s);
        kn_wat_instrs_until(m, one, t->match + 1);
        kn_wat_byte(m->c, one, 0x0b);
    }
    size_t k = 1;
    while (k < one->n && (one->p[k] & 0x80))
        k++;
    if (it->all_func && one->n >= 3 && one->p[0] == 0xd2 && k == one->n - 2)
        kn_wat_put(m->c, it->funcs, one->p + 1, one->n - 2);
    else
        it->all_func = false;
    kn_wat_put(m->c, it->exprs, one->p, one->n);
    it->n++;
}

static void func_indices(wat_mod *m, elem_items *it)
{
    while (kn_wat_peek(m)->kind == WT_ID || kn_wat_peek(m)->kind == WT_ATOM) {
        uint32_t f = kn_wat_index(m, WS_FUNC);
        kn_wat_u32(m->c, it->funcs, f);
        kn_wat_byte(m->c, it->exprs, 0xd2);
        kn_wat_u32(m->c, it->exprs, f);
        kn_wat_byte(m->c, it->exprs, 0x0b);
        it->n++;
    }
}

/* elemlist: `func idx*`, `reftype expr*`, or (legacy) bare `idx*`. */
static uint8_t elem_list(wat_mod *m, elem_items *it)
{
    const wat_tok *t = kn_wat_peek(m);
    if (kn_wat_tok_is(t, "func")) {
        kn_wat_next(m);
        func_indices(m, it);
        return 0x70;
    }
    if (t->kind == WT_KEYWORD) {
        uint8_t type = kn_wat_reftype_kw(m, kn_wat_next(m));
        while (kn_wat_peek(m)->kind == WT_LPAR)
            item_expr(m, it);
        return type;
    }
    func_indices(m, it);
    return 0x70;
}

enum { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARE };

static void write_elem(wat_mod *m, int mode, uint32_t table, const wat_buf *offset, uint8_t type,
                       elem_items *it)
{
    wat_buf *b = &m->sec[WSEC_ELEM];
    uint8_t flags = mode == SEG_PASSIVE ? 1 : mode == SEG_DECLARE ? 3 : 0;
    bool exprs = !(it->all_func && type == 0x70);
    if (mode == SEG_ACTIVE && (table != 0 || type != 0x70))
        flags |= 2;
    if (exprs)
        flags |= 4;
    kn_wat_byte(m->c, b, flags);
    if (mode == SEG_ACTIVE) {
        if (flags & 2)
            kn_wat_u32(m->c, b, table);
        kn_wat_put(m->c, b, offset->p, offset->n);
    }
    if (flags & 3)
        kn_wat_byte(m->c, b, exprs ? type : 0x00);
    kn_wat_u32(m->c, b, it->n);
    if (exprs)
        kn_wat_put(m->c, b, it->exprs->p, it->exprs->n);
    else
        kn_wat_put(m->c, b, it->funcs->p, it->funcs->n);
    m->count[WSEC_ELEM]++;
}

static elem_items items_begin(wat_mod *m)
{
    elem_items it = {.all_func = true};
    it.exprs = kn_wat_tmp(m);
    it.funcs = kn_wat_tmp(m);
    it.one = kn_wat_tmp(m);
    return it;
}

static void items_end(wat_mod *m)
{
    kn_wat_tmp_pop(m);
    kn_wat_tmp_pop(m);
    kn_wat_tmp_pop(m);
}

static void elem_field(wat_mod *m)
{
    const wat_tok *id;
    kn_wat_opt_id(m, &id);
    int mode = SEG_PASSIVE;
    uint32_t table = 0;
    wat_buf *off = kn_wat_tmp(m);
    const wat_tok *t = kn_wat_peek(m);
    if (kn_wat_tok_is(t, "declare")) {
        kn_wat_next(m);
        mode = SEG_DECLARE;
    } else if (t->kind == WT_LPAR ||
               ((t->kind == WT_ATOM || t->kind == WT_ID) && m->t[m->pos + 1].kind == WT_LPAR)) {
        if (kn_wat_at_lpar_kw(m, "table")) {
            m->pos += 2;
            table = kn_wat_index(m, WS_TABLE);
            kn_wat_expect_rpar(m);
        } else if (t->kind != WT_LPAR) {
            table = kn_wat_index(m, WS_TABLE); /* (elem 0 (offset ...) ...) */
        }
        mode = SEG_ACTIVE;
        offset_expr(m, off);
    }
    elem_items it = items_begin(m);
    uint8_t type = elem_list(m, &it);
    kn_wat_expect_rpar(m);
    write_elem(m, mode, table, off, type, &it);
    items_end(m);
    kn_wat_tmp_pop(m);
}

/* string* concatenated into b. */
static void strings(wat_mod *m, wat_buf *b)
{
    while (kn_wat_peek(m)->kind == WT_STRING) {
        uint8_t *p;
        size_t n = kn_wat_string(m, kn_wat_next(m), &p);
        kn_wat_put(m->c, b, p, n);
    }
}

static void write_data(wat_mod *m, bool active, uint32_t mem, const wat_buf *off,
                       const wat_buf *bytes)
{
    wat_buf *b = &m->sec[WSEC_DATA];
    kn_wat_byte(m->c, b, !active ? 1 : mem ? 2 : 0);
    if (active && mem)
        kn_wat_u32(m->c, b, mem);
    if (active)
        kn_wat_put(m->c, b, off->p, off->n);
    kn_wat_u32(m->c, b, (uint32_t)bytes->n);
    kn_wat_put(m->c, b, bytes->p, bytes->n);
    m->count[WSEC_DATA]++;
}

static void data_field(wat_mod *m)
{
    const wat_tok *id;
    kn_wat_opt_id(m, &id);
    wat_buf *off = kn_wat_tmp(m), *bytes = kn_wat_tmp(m);
    bool active = false;
    uint32_t mem = 0;
    if (kn_wat_peek(m)->kind == WT_LPAR || kn_wat_peek(m)->kind == WT_ATOM ||
        kn_wat_peek(m)->kind == WT_ID) {
        if (kn_wat_at_lpar_kw(m, "memory")) {
            m->pos += 2;
            mem = kn_wat_index(m, WS_MEM);
            kn_wat_expect_rpar(m);
        } else if (kn_wat_peek(m)->kind != WT_LPAR) {
            mem = kn_wat_index(m, WS_MEM); /* (data 0 (offset ...) ...) */
        }
        active = true;
        offset_expr(m, off);
    }
    strings(m, bytes);
    kn_wat_expect_rpar(m);
    write_data(m, active, mem, off, bytes);
    kn_wat_tmp_pop(m);
    kn_wat_tmp_pop(m);
}

/* (table $id? (export ..)* reftype (elem ...)): limits from the count. */
static void table_inline_elem(wat_mod *m, uint32_t idx)
{
    uint8_t type = kn_wat_reftype_kw(m, kn_wat_next(m));
    kn_wat_expect_lpar(m);
    kn_wat_next(m); /* elem */
    elem_items it = items_begin(m);
    if (kn_wat_peek(m)->kind == WT_LPAR)
        while (kn_wat_peek(m)->kind == WT_LPAR)
            item_expr(m, &it);
    else
        func_indices(m, &it);
    kn_wat_expect_rpar(m);
    wat_buf *t = &m->sec[WSEC_TABLE];
    kn_wat_byte(m->c, t, type);
    kn_wat_byte(m->c, t, 1);
    kn_wat_u32(m->c, t, it.n);
    kn_wat_u32(m->c, t, it.n);
    m->count[WSEC_TABLE]++;
    static const uint8_t zero[] = {0x41, 0, 0x0b};
    wat_buf off = {(uint8_t *)zero, sizeof zero, sizeof zero};
    write_elem(m, SEG_ACTIVE, idx, &off, type, &it);
    items_end(m);
}

/* (memory $id? (export ..)* (data string*)): as many pages as it takes. */
static void memory_inline_data(wat_mod *m, uint32_t idx)
{
    kn_wat_expect_lpar(m);
    kn_wat_next(m); /* data */
    wat_buf *bytes = kn_wat_tmp(m);
    strings(m, bytes);
    kn_wat_expect_rpar(m);
    uint32_t pages = (uint32_t)((bytes->n + 65535) / 65536);
    wat_buf *b = &m->sec[WSEC_MEM];
    kn_wat_byte(m->c, b, 1);
    kn_wat_u32(m->c, b, pages);
    kn_wat_u32(m->c, b, pages);
    m->count[WSEC_MEM]++;
    static const uint8_t zero[] = {0x41, 0, 0x0b};
    wat_buf off = {(uint8_t *)zero, sizeof zero, sizeof zero};
    write_data(m, true, idx, &off, bytes);
    kn_wat_tmp_pop(m);
}

static void definition(wat_mod *m, int k, pass2 *p)
{
    if (field_import(m, k, p))
        return;
    if (k == 0) {
        func_field(m, p);
        return;
    }
    uint32_t idx = next_def(m, WS_FUNC + k, p);
    inline_exports(m, (uint8_t)k, idx);
    if (k == 1 && kn_wat_peek(m)->kind == WT_KEYWORD) {
        p->defs[WS_ELEM]++;
        table_inline_elem(m, idx);
    } else if (k == 1) {
        tabletype(m, &m->sec[WSEC_TABLE]);
        m->count[WSEC_TABLE]++;
    } else if (k == 2 && kn_wat_at_lpar_kw(m, "data")) {
        p->defs[WS_DATA]++;
        memory_inline_data(m, idx);
    } else if (k == 2) {
        limits(m, &m->sec[WSEC_MEM]);
        m->count[WSEC_MEM]++;
    } else {
        globaltype(m, &m->sec[WSEC_GLOBAL]);
        kn_wat_const_expr(m, &m->sec[WSEC_GLOBAL]);
        m->count[WSEC_GLOBAL]++;
    }
    kn_wat_expect_rpar(m);
}

static void export_field(wat_mod *m)
{
    wat_buf *b = &m->sec[WSEC_EXPORT];
    put_name(m, b);
    kn_wat_expect_lpar(m);
    const wat_tok *kw = kn_wat_next(m);
    for (int k = 0; k < 4; k++)
        if (kn_wat_tok_is(kw, field_kws[k])) {
            kn_wat_byte(m->c, b, (uint8_t)k);
            kn_wat_u32(m->c, b, kn_wat_index(m, WS_FUNC + k));
            kn_wat_expect_rpar(m);
            kn_wat_expect_rpar(m);
            m->count[WSEC_EXPORT]++;
            return;
        }
    kn_wat_fail(m->c, kw, "unexpected token '%.*s', expected an export kind", (int)kw->len, kw->s);
}

static void parse_field(wat_mod *m, pass2 *p)
{
    const wat_tok *open = kn_wat_next(m);
    const wat_tok *kw = kn_wat_next(m);
    if (kn_wat_tok_is(kw, "type")) {
        m->pos = open->match + 1;
        return;
    }
    int k = 0;
    while (k < 4 && !kn_wat_tok_is(kw, field_kws[k]))
        k++;
    if (k < 4) {
        const wat_tok *id;
        kn_wat_opt_id(m, &id);
        definition(m, k, p);
    } else if (kn_wat_tok_is(kw, "import")) {
        import_field(m, p);
    } else if (kn_wat_tok_is(kw, "export")) {
        export_field(m);
    } else if (kn_wat_tok_is(kw, "start")) {
        if (m->has_start)
            kn_wat_fail(m->c, kw, "multiple start sections");
        m->has_start = true;
        kn_wat_u32(m->c, &m->sec[WSEC_START], kn_wat_index(m, WS_FUNC));
        kn_wat_expect_rpar(m);
    } else if (kn_wat_tok_is(kw, "elem")) {
        p->defs[WS_ELEM]++;
        elem_field(m);
    } else {
        p->defs[WS_DATA]++;
        data_field(m);
    }
    if (m->pos != open->match + 1)
        kn_wat_fail(m->c, &m->t[m->pos], "unexpected token '%.*s'", (int)m->t[m->pos].len,
                 m->t[m->pos].s);
}

/* ---- scratch buffers and the entry point ---------------------------------- */

wat_buf *kn_wat_tmp(wat_mod *m)
{
    if (m->ntmp == WAT_NTMP)
        kn_wat_fail(m->c, kn_wat_peek(m), "nesting too deep");
    wat_buf *b = &m->tmp[m->ntmp++];
    b->n = 0;
    return b;
}

void kn_wat_tmp_pop(wat_mod *m) { m->ntmp--; }

static void mod_free(wat_mod *m)
{
    for (int i = 0; i < WS_COUNT; i++) {
        free(m->sp[i].names);
        free(m->sp[i].hash);
    }
    for (size_t i = 0; i < m->ntypes; i++)
        free(m->types[i].types);
    free(m->types);
    for (int i = 0; i < WSEC_N; i++)
        free(m->sec[i].p);
    for (int i = 0; i < WAT_NTMP; i++)
        free(m->tmp[i].p);
    free(m->local_names.p);
    free(m->locals);
    free(m->labels);
    free(m->scratch);
    free(m->optab);
}

/* Both passes over the fields between start and end (or of the module
 * at start); longjmps on error. */
static void parse_fields(wat_mod *m, size_t start, size_t end, bool bare)
{
    if (!bare) {
        end = m->t[start].match;
        m->pos = start + 2; /* ( module */
        kn_wat_opt_id(m, &m->module_id);
        start = m->pos;
    }
    bool defined = false;
    m->pos = start;
    while (m->pos < end)
        collect_field(m, &defined);
    m->pos = start;
    pass2 p = {{0}, {0}};
    while (m->pos < end)
        parse_field(m, &p);
}

bool kn_wat_parse_module(const wat_tok *t, size_t start, size_t end, bool bare, bool names,
                         uint8_t **out, size_t *len, kiln_wat_error *err)
{
    wat_ctx c = {.err = err};
    wat_mod m = {.c = &c, .t = t, .pos = start, .debug_names = names};
    if (setjmp(c.jb)) {
        mod_free(&m);
        return false;
    }
    parse_fields(&m, start, end, bare);
    if (!kn_wat_encode(&m, out, len))
        kn_wat_fail(&c, NULL, "out of memory");
    mod_free(&m);
    return true;
}
