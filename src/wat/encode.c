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
            ok = kn_wat_parse_module(t, 0, close, false, &out, &out_len, err);
    } else {
        ok = kn_wat_parse_module(t, 0, n - 1, true, &out, &out_len, err);
    }
    free(t);
    if (ok) {
        *wasm = out;
        *wasm_len = out_len;
    }
    return ok;
}

void kiln_wat_free(void *p) { free(p); }
