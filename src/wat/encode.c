/*
 * encode.c — a parsed module's sections into one binary, and the entry
 * points for a single module (kiln_wat_to_wasm, kiln_wat_free).
 *
 * Sections are written in the binary's order, each only if it has
 * entries (the data count section only when there are data segments and
 * memory.init or data.drop needs it, as wat2wasm does), with minimal LEB128 sizes, so the result
 * compares byte for byte with wat2wasm's for the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "wat_impl.h"

static void put_types(wat_mod *m, wat_buf *b)
{
    kn_wat_u32(m->c, b, (uint32_t)m->ntypes);
    for (size_t i = 0; i < m->ntypes; i++) {
        const wat_functype *f = &m->types[i];
        kn_wat_byte(m->c, b, 0x60);
        kn_wat_u32(m->c, b, f->nparams);
        kn_wat_put(m->c, b, f->types, f->nparams);
        kn_wat_u32(m->c, b, f->nresults);
        kn_wat_put(m->c, b, f->types + f->nparams, f->nresults);
    }
}

static void section(wat_mod *m, wat_buf *out, uint8_t id, const wat_buf *body)
{
    kn_wat_byte(m->c, out, id);
    kn_wat_u32(m->c, out, (uint32_t)body->n);
    kn_wat_put(m->c, out, body->p, body->n);
}

/* A vector section: its count, then the entries written while parsing. */
static void vec_section(wat_mod *m, wat_buf *out, uint8_t id, wat_buf *tmp)
{
    if (!m->count[id])
        return;
    tmp->n = 0;
    kn_wat_u32(m->c, tmp, m->count[id]);
    kn_wat_put(m->c, tmp, m->sec[id].p, m->sec[id].n);
    section(m, out, id, tmp);
}

/* One name subsection of an index space: (index, name) for each named
 * entry, in index order (names are bound in text order, which is index
 * order in every space). */
static void name_map(wat_mod *m, wat_buf *out, uint8_t id, int space, wat_buf *tmp)
{
    const wat_space *sp = &m->sp[space];
    if (!sp->nnames)
        return;
    tmp->n = 0;
    kn_wat_u32(m->c, tmp, (uint32_t)sp->nnames);
    for (size_t i = 0; i < sp->nnames; i++) {
        kn_wat_u32(m->c, tmp, sp->names[i].idx);
        kn_wat_u32(m->c, tmp, sp->names[i].len - 1);
        kn_wat_put(m->c, tmp, sp->names[i].s + 1, sp->names[i].len - 1);
    }
    section(m, out, id, tmp);
}

/* The "name" custom section, laid out as wat2wasm --debug-names does:
 * module, functions, locals (every function, even none), types, tables,
 * memories, globals, element and data segments. */
static void name_section(wat_mod *m, wat_buf *out, wat_buf *body)
{
    static const struct { uint8_t id; int space; } maps[] = {
        {4, WS_TYPE}, {5, WS_TABLE}, {6, WS_MEM}, {7, WS_GLOBAL}, {8, WS_ELEM}, {9, WS_DATA}};
    wat_buf *tmp = kn_wat_tmp(m);
    body->n = 0;
    kn_wat_u32(m->c, body, 4);
    kn_wat_put(m->c, body, "name", 4);
    if (m->module_id) {
        tmp->n = 0;
        kn_wat_u32(m->c, tmp, m->module_id->len - 1);
        kn_wat_put(m->c, tmp, m->module_id->s + 1, m->module_id->len - 1);
        section(m, body, 0, tmp);
    }
    name_map(m, body, 1, WS_FUNC, tmp);
    {   /* written even for a module without functions, as wabt does */
        tmp->n = 0;
        kn_wat_u32(m->c, tmp, m->nlocal_names);
        kn_wat_put(m->c, tmp, m->local_names.p, m->local_names.n);
        section(m, body, 2, tmp);
    }
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        name_map(m, body, maps[i].id, maps[i].space, tmp);
    section(m, out, 0, body);
    kn_wat_tmp_pop(m);
}

bool kn_wat_encode(wat_mod *m, uint8_t **out, size_t *len)
{
    static const uint8_t order[] = {WSEC_IMPORT, WSEC_FUNC,   WSEC_TABLE, WSEC_MEM,
                                    WSEC_GLOBAL, WSEC_EXPORT, WSEC_START, WSEC_ELEM,
                                    WSEC_DATACOUNT, WSEC_CODE, WSEC_DATA};
    wat_buf b = {0};
    wat_buf *tmp = kn_wat_tmp(m);
    /* b is not in m: on failure (out of memory) free it before leaving */
    wat_ctx ctx = {.err = m->c->err}, *outer = m->c;
    m->c = &ctx;
    if (setjmp(ctx.jb)) {
        free(b.p);
        m->c = outer;
        return false;
    }
    kn_wat_put(m->c, &b, "\0asm\1\0\0\0", 8);
    if (m->ntypes) {
        put_types(m, tmp);
        section(m, &b, WSEC_TYPE, tmp);
    }
    for (size_t i = 0; i < sizeof order; i++) {
        uint8_t id = order[i];
        if (id == WSEC_START) {
            if (m->has_start)
                section(m, &b, id, &m->sec[id]);
        } else if (id == WSEC_DATACOUNT) {
            if (m->uses_datacount && m->count[WSEC_DATA]) {
                tmp->n = 0;
                kn_wat_u32(m->c, tmp, m->count[WSEC_DATA]);
                section(m, &b, id, tmp);
            }
        } else {
            vec_section(m, &b, id, tmp);
        }
    }
    if (m->debug_names)
        name_section(m, &b, tmp);
    m->c = outer;
    kn_wat_tmp_pop(m);
    *out = b.p;
    *len = b.n;
    return true;
}

/* ---- one module ------------------------------------------------------------ */

/* Concatenated strings of (module binary "..."*) from token i on. */
static bool binary_strings(const wat_tok *t, size_t i, size_t end, uint8_t **out, size_t *len,
                           kiln_wat_error *err)
{
    size_t total = 0;
    for (size_t k = i; k < end; k++) {
        if (t[k].kind != WT_STRING) {
            kn_wat_set_error(err, &t[k], "unexpected token '%.*s', expected a string",
                          (int)t[k].len, t[k].s);
            return false;
        }
        total += t[k].len;
    }
    uint8_t *p = malloc(total + 1);
    if (!p) {
        kn_wat_set_error(err, &t[i], "out of memory");
        return false;
    }
    size_t n = 0;
    for (size_t k = i; k < end; k++)
        n += kn_wat_str_decode(&t[k], p + n);
    *out = p;
    *len = n;
    return true;
}

bool kiln_wat_to_wasm(const char *text, size_t len, uint8_t **wasm, size_t *wasm_len,
                      kiln_wat_error *err)
{
    return kiln_wat_to_wasm_opts(text, len, NULL, wasm, wasm_len, err);
}

bool kiln_wat_to_wasm_opts(const char *text, size_t len, const kiln_wat_options *opts,
                           uint8_t **wasm, size_t *wasm_len, kiln_wat_error *err)
{
    bool names = opts && opts->debug_names;
    kiln_wat_error scratch;
    if (!err)
        err = &scratch;
    if (!text && len) {
        kn_wat_set_error(err, NULL, "no text");
        return false;
    }
    wat_tok *t;
    size_t n;
    if (!kn_wat_lex(text ? text : "", len, &t, &n, err))
        return false;
    bool ok;
    uint8_t *out = NULL;
    size_t out_len = 0;
    if (t[0].kind == WT_LPAR && kn_wat_tok_is(&t[1], "module")) {
        size_t close = t[0].match, i = 2;
        if (t[close + 1].kind != WT_EOF) {
            kn_wat_set_error(err, &t[close + 1], "unexpected token after the module");
            free(t);
            return false;
        }
        if (t[i].kind == WT_ID)
            i++;
        if (kn_wat_tok_is(&t[i], "binary"))
            ok = binary_strings(t, i + 1, close, &out, &out_len, err);
        else if (kn_wat_tok_is(&t[i], "quote"))
            ok = false, kn_wat_set_error(err, &t[i], "a quoted module is a script command");
        else
            ok = kn_wat_parse_module(t, 0, close, false, names, &out, &out_len, err);
    } else {
        ok = kn_wat_parse_module(t, 0, n - 1, true, names, &out, &out_len, err);
    }
    free(t);
    if (ok) {
        *wasm = out;
        *wasm_len = out_len;
    }
    return ok;
}

void kiln_wat_free(void *p) { free(p); }
