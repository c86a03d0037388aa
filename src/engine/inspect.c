/*
 * inspect.c — the read-only tooling views declared in kiln_inspect.h.
 *
 * Everything is read straight out of the decoded kn_module (module.h); the
 * only work done here is translating internal layouts into the public
 * structs, re-reading a LEB128 or two (with leb.h's reader) from the kept
 * binary where the decoder did not store a number (a code entry's size),
 * and rendering constant expressions as text from the instructions the
 * decoder stored (m->cinstrs), not from their bytes.  Nothing allocates, so tools can call these freely
 * without error handling, and a caller's out-of-range index yields a zeroed
 * result instead of a stray read.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disasm.h"
#include "kiln_inspect.h"
#include "leb.h"
#include "module.h"

/* A size field the decoder did not keep, read again from the module
 * bytes at `offset` with the engine's one LEB128 reader; false if it does
 * not read (it always does in a module the decoder accepted). */
static bool reread_u32(const kn_module *m, uint32_t offset, uint32_t *out, uint32_t *after)
{
    if (offset > m->len)
        return false;
    kn_reader r = kn_reader_make(m->bytes, m->bytes + offset, m->bytes + m->len);
    if (!kn_read_u32(&r, out))
        return false;
    *after = (uint32_t)kn_reader_offset(&r);
    return true;
}

static const kn_module *mod(const kiln_module *m) { return &m->m; }

static kiln_functype functype_view(const kn_functype *t)
{
    kiln_functype f = {0};
    if (!t)
        return f;
    f.nparams = t->nparams;
    f.nresults = t->nresults;
    f.params = t->kinds;
    f.results = t->kinds ? t->kinds + t->nparams : NULL;
    return f;
}

static kiln_limits limits_view(kn_limits l)
{
    kiln_limits r = {.min = l.min, .max = l.max, .has_max = l.has_max};
    return r;
}

static kiln_expr expr_view(const kn_constexpr *c)
{
    kn_span s = c->bytes;
    kiln_expr e = {.offset = s.start, .size = s.end > s.start ? s.end - s.start : 0};
    return e;
}

/* ---- Sections ----------------------------------------------------------- */

static const char *section_name(uint8_t id)
{
    static const char *const names[] = {
        "custom", "type",   "import", "function", "table", "memory", "global",
        "export", "start",  "element", "code",    "data",  "datacount", "tag",
    };
    return id < sizeof names / sizeof names[0] ? names[id] : "unknown";
}

static const kn_custom *custom_at(const kn_module *m, uint32_t offset)
{
    for (uint32_t i = 0; i < m->ncustoms; i++)
        if (m->customs[i].offset == offset)
            return &m->customs[i];
    return NULL;
}

/* The decoder lists every section it reads, custom ones included, with the
 * payload after the size field; both views below take their ranges from
 * that one list, so they agree for the same section. */
size_t kiln_inspect_section_count(const kiln_module *km) { return mod(km)->nsections; }

static uint32_t section_count_of(const kn_module *m, uint8_t id)
{
    switch (id) {
    case 1: return m->ntypes;
    case 2: return m->nimports;
    case 3: return m->nfuncs - m->num_func_imports;
    case 4: return m->ntables - m->num_table_imports;
    case 5: return m->nmemories - m->num_memory_imports;
    case 6: return m->nglobals - m->num_global_imports;
    case 7: return m->nexports;
    case 8: return 1;
    case 9: return m->nelems;
    case 10: return m->nfuncs - m->num_func_imports;
    case 11: return m->ndatas;
    case 12: return m->datacount;
    default: return 0;
    }
}

void kiln_inspect_section(const kiln_module *km, size_t i, kiln_section_info *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (i >= m->nsections)
        return;
    const kn_section *s = &m->sections[i];
    const kn_custom *c = s->id == 0 ? custom_at(m, s->offset) : NULL;
    out->id = s->id;
    out->name = s->id == 0 ? (c && c->name ? c->name : "") : section_name(s->id);
    out->offset = s->offset;
    out->payload = s->payload;
    out->size = s->size;
    out->count = section_count_of(m, s->id);
}

size_t kiln_inspect_custom_count(const kiln_module *km) { return mod(km)->ncustoms; }

void kiln_inspect_custom(const kiln_module *km, size_t i, kiln_custom_info *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (i >= m->ncustoms)
        return;
    const kn_custom *c = &m->customs[i];
    out->name = c->name ? c->name : "";
    out->offset = c->offset;
    for (uint32_t k = 0; k < m->nsections; k++) {
        if (m->sections[k].offset == c->offset) {
            out->payload = m->sections[k].payload;
            out->size = m->sections[k].size;
        }
    }
    out->data_offset = c->data.start;
    out->data_size = c->data.end - c->data.start;
    out->data = m->bytes + c->data.start;
}

const uint8_t *kiln_inspect_bytes(const kiln_module *km, size_t *len)
{
    *len = mod(km)->len;
    return mod(km)->bytes;
}

/* ---- Constant expressions ----------------------------------------------- */

/* snprintf into a running buffer that may be too small: keeps counting the
 * full length so the caller can retry with a bigger buffer. */
typedef struct outbuf {
    char *buf;
    size_t cap, len;
} outbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void out_printf(outbuf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = o->len < o->cap ? o->buf + o->len : NULL;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void out_float(outbuf *o, uint64_t bits, bool is_f32)
{
    char tmp[48];
    kn_float_text(tmp, sizeof tmp, bits, is_f32);
    out_printf(o, "%s", tmp);
}

static const char *reftype_name(uint8_t t)
{
    return t == KN_FUNCREF ? "func" : t == KN_EXTERNREF ? "extern" : "?";
}

/* The first decoded constant-expression instruction at `offset`, or
 * m->ncinstrs if no instruction starts there.  cinstrs is in file order. */
static uint32_t cinstr_at(const kn_module *m, uint32_t offset)
{
    uint32_t lo = 0, hi = m->ncinstrs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->cinstrs[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->ncinstrs && m->cinstrs[lo].offset == offset ? lo : m->ncinstrs;
}

static void out_cinstr(outbuf *o, const kn_cinstr *ci)
{
    static const char *const arith[] = {"i32.add", "i32.sub", "i32.mul",
                                        "i64.add", "i64.sub", "i64.mul"};
    switch (ci->op) {
    case KN_COP_I32_CONST: out_printf(o, "i32.const %" PRId32, (int32_t)ci->u.i32); return;
    case KN_COP_I64_CONST: out_printf(o, "i64.const %" PRId64, (int64_t)ci->u.i64); return;
    case KN_COP_F32_CONST:
        out_printf(o, "f32.const ");
        out_float(o, ci->u.i32, true);
        return;
    case KN_COP_F64_CONST:
        out_printf(o, "f64.const ");
        out_float(o, ci->u.i64, false);
        return;
    case KN_COP_GLOBAL_GET: out_printf(o, "global.get %" PRIu32, ci->u.index); return;
    case KN_COP_REF_NULL: out_printf(o, "ref.null %s", reftype_name(ci->u.type)); return;
    case KN_COP_REF_FUNC: out_printf(o, "ref.func %" PRIu32, ci->u.index); return;
    case KN_COP_V128_CONST:
        /* i32x4 lanes, the way WAT writes v128 constants by default */
        out_printf(o, "v128.const i32x4");
        for (int lane = 0; lane < 4; lane++) {
            uint32_t u = 0;
            for (int k = 0; k < 4; k++)
                u |= (uint32_t)ci->u.v128[4 * lane + k] << (8 * k);
            out_printf(o, " 0x%08" PRIx32, u);
        }
        return;
    }
    if (ci->op >= KN_COP_I32_ADD && ci->op <= KN_COP_I32_MUL)
        out_printf(o, "%s", arith[ci->op - KN_COP_I32_ADD]);
    else if (ci->op >= KN_COP_I64_ADD && ci->op <= KN_COP_I64_MUL)
        out_printf(o, "%s", arith[3 + ci->op - KN_COP_I64_ADD]);
    else
        out_printf(o, "<opcode 0x%02x>", ci->op);
}

/* Prints the decoded instructions that start within [offset, offset+size):
 * an expression handed out by this header prints whole; a range that
 * starts at no instruction prints nothing. */
size_t kiln_inspect_expr_text(const kiln_module *km, kiln_expr e, char *buf, size_t cap)
{
    const kn_module *m = mod(km);
    outbuf o = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    if (e.size == 0 || (uint64_t)e.offset + e.size > m->len)
        return 0;
    uint64_t end = (uint64_t)e.offset + e.size;
    for (uint32_t i = cinstr_at(m, e.offset); i < m->ncinstrs && m->cinstrs[i].offset < end;
         i++) {
        if (m->cinstrs[i].offset != e.offset)
            out_printf(&o, ", ");
        out_cinstr(&o, &m->cinstrs[i]);
    }
    return o.len;
}

/* ---- Types and functions ------------------------------------------------ */

size_t kiln_inspect_type_count(const kiln_module *km) { return mod(km)->ntypes; }

kiln_functype kiln_inspect_type(const kiln_module *km, size_t i)
{
    const kn_module *m = mod(km);
    return functype_view(i < m->ntypes ? &m->types[i] : NULL);
}

size_t kiln_inspect_func_count(const kiln_module *km) { return mod(km)->nfuncs; }
size_t kiln_inspect_func_import_count(const kiln_module *km) { return mod(km)->num_func_imports; }

const char *kiln_inspect_func_name(const kiln_module *km, size_t i)
{
    const kn_module *m = mod(km);
    if (!m->func_names || i >= m->nfuncs)
        return NULL;
    return m->func_names[i];
}

const char *kiln_inspect_module_name(const kiln_module *km) { return mod(km)->module_name; }

void kiln_inspect_func(const kiln_module *km, size_t i, kiln_func_info *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (i >= m->nfuncs)
        return;
    const kn_func *f = &m->funcs[i];
    out->type_index = f->type;
    out->type = functype_view(f->type < m->ntypes ? &m->types[f->type] : NULL);
    out->imported = i < m->num_func_imports;
    out->name = kiln_inspect_func_name(km, i);
    if (out->imported)
        return;
    out->code_offset = f->code_offset;
    out->body_offset = f->body.start;
    out->body_size = f->body.end - f->body.start;
    out->nlocals = f->nlocals;
    /* The decoder keeps where the entry starts but not its size field's
     * value; it is cheap to read again. */
    uint32_t size, after;
    out->code_size = reread_u32(m, f->code_offset, &size, &after) ? size
                                                                    : f->body.end - f->code_offset;
}

/* ---- Tables, memories, globals ------------------------------------------ */

size_t kiln_inspect_table_count(const kiln_module *km) { return mod(km)->ntables; }
size_t kiln_inspect_table_import_count(const kiln_module *km) { return mod(km)->num_table_imports; }

void kiln_inspect_table(const kiln_module *km, size_t i, kiln_table_info *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (i >= m->ntables)
        return;
    out->elem = (kiln_valkind)m->tables[i].elem;
    out->limits = limits_view(m->tables[i].limits);
    out->imported = i < m->num_table_imports;
}

size_t kiln_inspect_memory_count(const kiln_module *km) { return mod(km)->nmemories; }
size_t kiln_inspect_memory_import_count(const kiln_module *km) { return mod(km)->num_memory_imports; }

void kiln_inspect_memory(const kiln_module *km, size_t i, kiln_memory_info *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (i >= m->nmemories)
        return;
    out->limits = limits_view(m->memories[i]);
    out->imported = i < m->num_memory_imports;
}

size_t kiln_inspect_global_count(const kiln_module *km) { return mod(km)->nglobals; }
size_t kiln_inspect_global_import_count(const kiln_module *km) { return mod(km)->num_global_imports; }

void kiln_inspect_global(const kiln_module *km, size_t i, kiln_global_info *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (i >= m->nglobals)
        return;
    out->type = (kiln_valkind)m->globals[i].type.type;
    out->mutable_ = m->globals[i].type.mut;
    out->imported = i < m->num_global_imports;
    if (!out->imported)
        out->init = expr_view(&m->globals[i].init);
}

/* ---- Start -------------------------------------------------------------- */

bool kiln_inspect_start(const kiln_module *km, uint32_t *func)
{
    const kn_module *m = mod(km);
    if (!m->has_start)
        return false;
    if (func)
        *func = m->start;
    return true;
}

/* ---- Segments ----------------------------------------------------------- */

size_t kiln_inspect_elem_count(const kiln_module *km) { return mod(km)->nelems; }

void kiln_inspect_elem(const kiln_module *km, size_t i, kiln_elem_info *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (i >= m->nelems)
        return;
    const kn_elem *e = &m->elems[i];
    out->mode = (kiln_segment_mode)e->mode;
    out->type = (kiln_valkind)e->type;
    out->count = e->count;
    out->has_exprs = e->exprs != NULL;
    out->file_offset = e->offset_in_file;
    if (e->mode == KN_SEG_ACTIVE) {
        out->table = e->table;
        out->offset = expr_view(&e->offset);
    }
}

void kiln_inspect_elem_item(const kiln_module *km, size_t seg, size_t item, kiln_elem_item *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (seg >= m->nelems || item >= m->elems[seg].count)
        return;
    const kn_elem *e = &m->elems[seg];
    if (e->func_indices) {
        out->is_func = true;
        out->func = e->func_indices[item];
        return;
    }
    if (!e->exprs)
        return;
    const kn_constexpr *x = &e->exprs[item];
    out->expr = expr_view(x);
    /* `ref.func N end` is just function N; saying so lets tools print the
     * function's name instead of the raw expression. */
    if (x->count == 1 && x->first < m->ncinstrs && m->cinstrs[x->first].op == KN_COP_REF_FUNC) {
        out->is_func = true;
        out->func = m->cinstrs[x->first].u.index;
    }
}

size_t kiln_inspect_data_count(const kiln_module *km) { return mod(km)->ndatas; }

void kiln_inspect_data(const kiln_module *km, size_t i, kiln_data_info *out)
{
    const kn_module *m = mod(km);
    memset(out, 0, sizeof *out);
    if (i >= m->ndatas)
        return;
    const kn_data *d = &m->datas[i];
    out->mode = (kiln_segment_mode)d->mode;
    out->size = d->bytes.end - d->bytes.start;
    out->data_offset = d->bytes.start;
    out->data = m->bytes + d->bytes.start;
    out->file_offset = d->offset_in_file;
    if (d->mode == KN_SEG_ACTIVE) {
        out->memory = d->memory;
        out->offset = expr_view(&d->offset);
    }
}
