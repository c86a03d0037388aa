/*
 * print.c — kiln_wat_print: a module as text in the spec's text format
 * (kiln_wat_print.h), the inverse of the text parser.
 *
 * Written for round trips first and readers second: each definition keeps
 * its index (imports come first, as in the index spaces; a (;N;) comment
 * shows the index), each function names its type by index so the type
 * section is reproduced exactly, and instructions come from the engine's
 * own text (kiln_inspect_instr), so there is one spelling of every
 * instruction.  Names from the name section become $ids, with characters
 * an id cannot hold replaced by '_' and a numeric suffix where two names
 * would collide; they are used for functions wherever one is referenced.
 *
 * Invariants: nothing here reads the module bytes except the local
 * declarations of a code entry (which kiln_inspect.h does not break out);
 * output goes to one growing buffer, and any allocation failure is
 * remembered and reported once at the end.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_inspect.h"
#include "kiln_wat_print.h"

typedef struct wbuf {
    char *p;
    size_t len, cap;
    bool nomem;
} wbuf;

static void wreserve(wbuf *b, size_t more)
{
    if (b->nomem || b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->nomem = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void w(wbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        wreserve(b, (size_t)n);
        if (!b->nomem) {
            vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap2);
            b->len += (size_t)n;
        }
    }
    va_end(ap2);
}

/* A string literal: printable ASCII as is, everything else as \hh. */
static void wstring(wbuf *b, const uint8_t *s, size_t n)
{
    w(b, "\"");
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            w(b, "%c", c);
        else
            w(b, "\\%02x", c);
    }
    w(b, "\"");
}

/* ---- Names ------------------------------------------------------------------- */

static bool idchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c));
}

/* $ids for the functions that have a name (NULL elsewhere): unique, and
 * made only of id characters. */
static char **func_ids(const kiln_module *m, size_t n, bool *nomem)
{
    char **ids = calloc(n ? n : 1, sizeof *ids);
    if (!ids) {
        *nomem = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = kiln_inspect_func_name(m, i);
        if (!name)
            continue;
        size_t len = strlen(name);
        char *id = malloc(len + 24);
        if (!id) {
            *nomem = true;
            continue;
        }
        for (size_t k = 0; k < len; k++)
            id[k] = idchar((unsigned char)name[k]) ? name[k] : '_';
        id[len] = '\0';
        if (len == 0)
            strcpy(id, "_");
        /* A clash with an earlier id gets the first free ".N". */
        size_t base = strlen(id);
        for (unsigned suffix = 1;; suffix++) {
            bool clash = false;
            for (size_t k = 0; k < i && !clash; k++)
                clash = ids[k] && strcmp(ids[k], id) == 0;
            if (!clash)
                break;
            snprintf(id + base, 24, ".%u", suffix);
        }
        ids[i] = id;
    }
    return ids;
}

typedef struct printer {
    const kiln_module *m;
    wbuf *b;
    char **ids;
    const uint8_t *bytes;
    size_t nbytes;
} printer;

static void wfunc(printer *p, uint32_t f)
{
    if (p->ids && f < kiln_inspect_func_count(p->m) && p->ids[f])
        w(p->b, "$%s", p->ids[f]);
    else
        w(p->b, "%" PRIu32, f);
}

static const char *vt(kiln_valkind k)
{
    const char *s = kiln_valkind_name(k);
    return s ? s : "?";
}

/* ---- Instructions -------------------------------------------------------------- */

/* One instruction's text, with a function index replaced by its $id. */
static bool winstr(printer *p, uint32_t off, uint32_t end, uint32_t *size, int *nest, bool *is_else,
                   bool *is_end)
{
    char small[256];
    kiln_instr in;
    if (!kiln_inspect_instr(p->m, off, end, &in, small, sizeof small))
        return false;
    char *text = small;
    if (in.text_len >= sizeof small) { /* a long br_table or shuffle */
        text = malloc(in.text_len + 1);
        if (!text) {
            p->b->nomem = true;
            return false;
        }
        kiln_inspect_instr(p->m, off, end, &in, text, in.text_len + 1);
    }
    if (in.has_func) {
        w(p->b, "%s ", in.name);
        wfunc(p, in.func);
    } else {
        w(p->b, "%s", text);
    }
    if (text != small)
        free(text);
    *size = in.size;
    *nest = in.nest;
    *is_else = in.is_else;
    *is_end = in.nest < 0;
    return true;
}

/* A constant expression, without its final end, instructions separated by
 * spaces. */
static void wexpr(printer *p, kiln_expr e)
{
    uint32_t end = e.offset + e.size;
    const char *sep = "";
    for (uint32_t off = e.offset; off < end;) {
        uint32_t size;
        int nest;
        bool is_else, is_end;
        size_t mark = p->b->len;
        w(p->b, "%s", sep);
        if (!winstr(p, off, end, &size, &nest, &is_else, &is_end))
            return;
        if (is_end && off + size == end) {
            p->b->len = mark; /* drop the final end */
            if (p->b->p)
                p->b->p[mark] = '\0';
            return;
        }
        sep = " ";
        off += size;
    }
}

/* ---- Sections ------------------------------------------------------------------- */

static void wfunctype(wbuf *b, const kiln_functype *t)
{
    if (t->nparams) {
        w(b, " (param");
        for (uint32_t i = 0; i < t->nparams; i++)
            w(b, " %s", vt(t->params[i]));
        w(b, ")");
    }
    if (t->nresults) {
        w(b, " (result");
        for (uint32_t i = 0; i < t->nresults; i++)
            w(b, " %s", vt(t->results[i]));
        w(b, ")");
    }
}

static void wlimits(wbuf *b, kiln_limits l)
{
    w(b, " %" PRIu64, l.min);
    if (l.has_max)
        w(b, " %" PRIu64, l.max);
}

static void wtypes(printer *p)
{
    size_t n = kiln_inspect_type_count(p->m);
    for (size_t i = 0; i < n; i++) {
        kiln_functype t = kiln_inspect_type(p->m, i);
        w(p->b, "  (type (;%zu;) (func", i);
        wfunctype(p->b, &t);
        w(p->b, "))\n");
    }
}

static void wimports(printer *p)
{
    size_t n = kiln_module_import_count(p->m);
    uint32_t next[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        kiln_import_desc d;
        kiln_module_import(p->m, i, &d);
        w(p->b, "  (import ");
        wstring(p->b, (const uint8_t *)d.module, strlen(d.module));
        w(p->b, " ");
        wstring(p->b, (const uint8_t *)d.name, strlen(d.name));
        uint32_t idx = d.type.kind <= KILN_EXTERN_GLOBAL ? next[d.type.kind]++ : 0;
        switch (d.type.kind) {
        case KILN_EXTERN_FUNC: {
            kiln_func_info f;
            kiln_inspect_func(p->m, idx, &f);
            w(p->b, " (func ");
            if (p->ids && p->ids[idx])
                w(p->b, "$%s ", p->ids[idx]);
            w(p->b, "(;%" PRIu32 ";) (type %" PRIu32 "))", idx, f.type_index);
            break;
        }
        case KILN_EXTERN_TABLE:
            w(p->b, " (table (;%" PRIu32 ";)", idx);
            wlimits(p->b, d.type.limits);
            w(p->b, " %s)", vt(d.type.elem));
            break;
        case KILN_EXTERN_MEMORY:
            w(p->b, " (memory (;%" PRIu32 ";)", idx);
            wlimits(p->b, d.type.limits);
            w(p->b, ")");
            break;
        case KILN_EXTERN_GLOBAL:
            w(p->b, " (global (;%" PRIu32 ";) ", idx);
            if (d.type.global_mutable)
                w(p->b, "(mut %s))", vt(d.type.global_type));
            else
                w(p->b, "%s)", vt(d.type.global_type));
            break;
        }
        w(p->b, ")\n");
    }
}

/* An unsigned LEB128 from the module bytes (local declarations only). */
static bool rd_u32(const uint8_t *bytes, size_t n, size_t *pos, uint32_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *pos < n && shift < 35; shift += 7) {
        uint8_t c = bytes[(*pos)++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = (uint32_t)v;
            return v <= UINT32_MAX;
        }
    }
    return false;
}

static void wlocals(printer *p, const kiln_func_info *f)
{
    size_t pos = f->code_offset;
    uint32_t size, ngroups, count;
    if (!rd_u32(p->bytes, p->nbytes, &pos, &size) || !rd_u32(p->bytes, p->nbytes, &pos, &ngroups))
        return;
    for (uint32_t g = 0; g < ngroups && pos < f->body_offset; g++) {
        if (!rd_u32(p->bytes, p->nbytes, &pos, &count) || pos >= p->nbytes)
            return;
        const char *t = vt((kiln_valkind)p->bytes[pos++]);
        w(p->b, "\n    (local");
        for (uint32_t k = 0; k < count; k++)
            w(p->b, " %s", t);
        w(p->b, ")");
    }
}

static void wfuncs(printer *p)
{
    size_t n = kiln_inspect_func_count(p->m);
    for (size_t i = kiln_inspect_func_import_count(p->m); i < n; i++) {
        kiln_func_info f;
        kiln_inspect_func(p->m, i, &f);
        w(p->b, "  (func ");
        if (p->ids && p->ids[i])
            w(p->b, "$%s ", p->ids[i]);
        w(p->b, "(;%zu;) (type %" PRIu32 ")", i, f.type_index);
        wlocals(p, &f);
        uint32_t end = f.body_offset + f.body_size;
        int depth = 2;
        for (uint32_t off = f.body_offset; off < end;) {
            size_t mark = p->b->len;
            w(p->b, "\n%*s", 2 * depth, "");
            uint32_t size;
            int nest;
            bool is_else, is_end;
            size_t at = p->b->len;
            if (!winstr(p, off, end, &size, &nest, &is_else, &is_end))
                break;
            if (off + size == end) { /* the function's own end */
                p->b->len = mark;
                break;
            }
            if (is_end || is_else) { /* outdent: rewrite the indentation */
                size_t len = p->b->len - at;
                if (!p->b->nomem) {
                    memmove(p->b->p + at - 2, p->b->p + at, len);
                    p->b->len -= 2;
                }
            }
            depth += nest;
            off += size;
        }
        w(p->b, ")\n");
    }
}

static void wtables_memories_globals(printer *p)
{
    size_t n = kiln_inspect_table_count(p->m);
    for (size_t i = kiln_inspect_table_import_count(p->m); i < n; i++) {
        kiln_table_info t;
        kiln_inspect_table(p->m, i, &t);
        w(p->b, "  (table (;%zu;)", i);
        wlimits(p->b, t.limits);
        w(p->b, " %s)\n", vt(t.elem));
    }
    n = kiln_inspect_memory_count(p->m);
    for (size_t i = kiln_inspect_memory_import_count(p->m); i < n; i++) {
        kiln_memory_info mem;
        kiln_inspect_memory(p->m, i, &mem);
        w(p->b, "  (memory (;%zu;)", i);
        wlimits(p->b, mem.limits);
        w(p->b, ")\n");
    }
    n = kiln_inspect_global_count(p->m);
    for (size_t i = kiln_inspect_global_import_count(p->m); i < n; i++) {
        kiln_global_info g;
        kiln_inspect_global(p->m, i, &g);
        w(p->b, "  (global (;%zu;) ", i);
        if (g.mutable_)
            w(p->b, "(mut %s) (", vt(g.type));
        else
            w(p->b, "%s (", vt(g.type));
        wexpr(p, g.init);
        w(p->b, "))\n");
    }
}

static void wexports_start(printer *p)
{
    static const char *const kinds[] = {"func", "table", "memory", "global"};
    size_t n = kiln_module_export_count(p->m);
    for (size_t i = 0; i < n; i++) {
        kiln_export_desc d;
        kiln_module_export(p->m, i, &d);
        w(p->b, "  (export ");
        wstring(p->b, (const uint8_t *)d.name, strlen(d.name));
        w(p->b, " (%s ", d.type.kind <= KILN_EXTERN_GLOBAL ? kinds[d.type.kind] : "?");
        if (d.type.kind == KILN_EXTERN_FUNC)
            wfunc(p, d.index);
        else
            w(p->b, "%" PRIu32, d.index);
        w(p->b, "))\n");
    }
    uint32_t start;
    if (kiln_inspect_start(p->m, &start)) {
        w(p->b, "  (start ");
        wfunc(p, start);
        w(p->b, ")\n");
    }
}

static void welems(printer *p)
{
    size_t n = kiln_inspect_elem_count(p->m);
    for (size_t i = 0; i < n; i++) {
        kiln_elem_info e;
        kiln_inspect_elem(p->m, i, &e);
        w(p->b, "  (elem (;%zu;)", i);
        if (e.mode == KILN_SEGMENT_ACTIVE) {
            if (e.table)
                w(p->b, " (table %" PRIu32 ")", e.table);
            w(p->b, " (offset ");
            wexpr(p, e.offset);
            w(p->b, ")");
        } else if (e.mode == KILN_SEGMENT_DECLARATIVE) {
            w(p->b, " declare");
        }
        w(p->b, e.has_exprs ? " %s" : " func", vt(e.type));
        for (uint32_t k = 0; k < e.count; k++) {
            kiln_elem_item it;
            kiln_inspect_elem_item(p->m, i, k, &it);
            w(p->b, " ");
            if (!e.has_exprs) {
                wfunc(p, it.func);
            } else if (it.is_func) {
                w(p->b, "(ref.func ");
                wfunc(p, it.func);
                w(p->b, ")");
            } else {
                w(p->b, "(");
                wexpr(p, it.expr);
                w(p->b, ")");
            }
        }
        w(p->b, ")\n");
    }
}

static void wdatas(printer *p)
{
    size_t n = kiln_inspect_data_count(p->m);
    for (size_t i = 0; i < n; i++) {
        kiln_data_info d;
        kiln_inspect_data(p->m, i, &d);
        w(p->b, "  (data (;%zu;)", i);
        if (d.mode == KILN_SEGMENT_ACTIVE) {
            if (d.memory)
                w(p->b, " (memory %" PRIu32 ")", d.memory);
            w(p->b, " (offset ");
            wexpr(p, d.offset);
            w(p->b, ")");
        }
        w(p->b, " ");
        wstring(p->b, d.data, d.size);
        w(p->b, ")\n");
    }
}

static void wcustoms(printer *p)
{
    size_t n = kiln_inspect_custom_count(p->m);
    for (size_t i = 0; i < n; i++) {
        kiln_custom_info c;
        kiln_inspect_custom(p->m, i, &c);
        w(p->b, "  ;; custom section ");
        wstring(p->b, (const uint8_t *)c.name, strlen(c.name));
        w(p->b, " (%" PRIu32 " bytes) not printed\n", c.size);
    }
}

kiln_error *kiln_wat_print(const kiln_module *m, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    wbuf b = {0};
    bool nomem = false;
    size_t nfuncs = kiln_inspect_func_count(m);
    printer p = {.m = m, .b = &b, .ids = func_ids(m, nfuncs, &nomem)};
    p.bytes = kiln_inspect_bytes(m, &p.nbytes);
    w(&b, "(module");
    const char *name = kiln_inspect_module_name(m);
    if (name) {
        w(&b, " $");
        for (const char *c = name; *c; c++)
            w(&b, "%c", idchar((unsigned char)*c) ? *c : '_');
    }
    w(&b, "\n");
    wtypes(&p);
    wimports(&p);
    wfuncs(&p);
    wtables_memories_globals(&p);
    wexports_start(&p);
    welems(&p);
    wdatas(&p);
    wcustoms(&p);
    w(&b, ")\n");
    if (p.ids) {
        for (size_t i = 0; i < nfuncs; i++)
            free(p.ids[i]);
        free(p.ids);
    }
    if (nomem || b.nomem) {
        free(b.p);
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory printing the module");
    }
    *out = b.p;
    *len = b.len;
    return NULL;
}

void kiln_wat_print_free(char *text) { free(text); }
