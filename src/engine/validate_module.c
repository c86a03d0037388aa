/*
 * validate_module.c — the module-level validation rules of WebAssembly 2.0:
 * everything outside function bodies (those are compile.c's).
 *
 * It runs on a module kn_decode accepted, so encodings are known to be
 * well-formed; what is left are indices, limits, types of constant
 * expressions, segment targets, export names and the start function.  The
 * checks run in the reference interpreter's order (imports, function types,
 * globals, tables, memories, element and data segments, start, exports, the
 * memory count), so a module with two faults reports the one the spec
 * testsuite names.  Messages carry the index where the reference's do
 * ("unknown memory 1"), since the testsuite matches on that prefix.
 *
 * Besides checking, it fills m->func_declared: the functions that
 * `ref.func` in a body may name (C.refs in the spec), i.e. those that occur
 * in exports, element segments and constant expressions.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

/* Wasm 2.0 has no extended constant expressions.  The decoder and the
 * instantiator already handle them, so enabling the proposal is this flag. */
static const bool allow_extended_const = false;

static kiln_error *invalid(uint32_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static kiln_error *invalid(uint32_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_error *e = kn_error_vnew(KILN_ERR_VALIDATE, offset, fmt, ap);
    va_end(ap);
    return e;
}

#define TRY(call)                                                                            \
    do {                                                                                     \
        kiln_error *e_ = (call);                                                             \
        if (e_)                                                                              \
            return e_;                                                                       \
    } while (0)

/* Definitions have no offsets of their own; their section's payload is the
 * nearest place to point at. */
static uint32_t section_offset(const kn_module *m, uint8_t id)
{
    for (uint32_t i = 0; i < m->nsections; i++)
        if (m->sections[i].id == id)
            return m->sections[i].payload;
    return 0;
}

static kiln_error *check_limits(const kn_limits *l, uint64_t range, const char *too_big,
                                uint32_t offset)
{
    if (l->min > range || (l->has_max && l->max > range))
        return invalid(offset, "%s", too_big);
    if (l->has_max && l->min > l->max)
        return invalid(offset, "size minimum must not be greater than maximum");
    return NULL;
}

#define MEMORY_RANGE 65536u
#define MEMORY_TOO_BIG "memory size must be at most 65536 pages (4GiB)"
#define TABLE_RANGE 0xffffffffu
#define TABLE_TOO_BIG "table size must be at most 2^32-1"

/* The type one decoded instruction pushes, after checking its index; 0
 * with *err set when it is not allowed.  Extended-const arithmetic pops two
 * operands of its type, which must be there (else *mismatch). */
static kn_valtype const_instr_type(kn_module *m, const kn_cinstr *ci, kn_valtype *st, size_t *n,
                                   bool *mismatch, kiln_error **err)
{
    switch (ci->op) {
    case KN_COP_I32_CONST: return KN_I32;
    case KN_COP_I64_CONST: return KN_I64;
    case KN_COP_F32_CONST: return KN_F32;
    case KN_COP_F64_CONST: return KN_F64;
    case KN_COP_V128_CONST: return KN_V128;
    case KN_COP_REF_NULL: return ci->u.type;
    case KN_COP_REF_FUNC:
        if (ci->u.index >= m->nfuncs) {
            *err = invalid(ci->offset, "unknown function %u", ci->u.index);
            return 0;
        }
        if (m->func_declared)
            m->func_declared[ci->u.index] = 1;
        return KN_FUNCREF;
    case KN_COP_GLOBAL_GET:
        /* Only imports are visible: globals are initialised in order and
         * 2.0 does not let one definition read another. */
        if (ci->u.index >= m->num_global_imports) {
            *err = invalid(ci->offset, "unknown global %u", ci->u.index);
            return 0;
        }
        if (m->globals[ci->u.index].type.mut) {
            *err = invalid(ci->offset, "constant expression required");
            return 0;
        }
        return m->globals[ci->u.index].type.type;
    }
    /* i32/i64 add, sub, mul: the only other instructions decode.c keeps */
    if (!allow_extended_const) {
        *err = invalid(ci->offset, "constant expression required");
        return 0;
    }
    kn_valtype t = ci->op <= KN_COP_I32_MUL ? KN_I32 : KN_I64;
    if (*n < 2 || st[*n - 1] != t || st[*n - 2] != t)
        *mismatch = true;
    *n = *n >= 2 ? *n - 2 : 0;
    return t;
}

/* Type-check a constant expression against the single result it must leave.
 * Non-constant instructions are "constant expression required"; a wrong
 * result is "type mismatch", reported only after the whole expression was
 * found constant, as the reference does.  global.get may name only an
 * immutable imported global (the Wasm 2.0 rule), ref.func any function,
 * which it declares.  The decoder has checked every encoding, so what is
 * left is types and indices. */
static kiln_error *check_const(kn_module *m, const kn_constexpr *e, kn_valtype want)
{
    if (e->first > m->ncinstrs || e->count > m->ncinstrs - e->first)
        return invalid(e->bytes.start, "constant expression required");
    /* Each instruction pushes at most one value. */
    kn_valtype small[16], *st = small;
    if (e->count > 16 && !(st = kn_malloc(&m->alloc, e->count * sizeof *st)))
        return kn_error_nomem();
    size_t n = 0;
    bool mismatch = false;
    kiln_error *err = NULL;
    for (uint32_t i = 0; i < e->count && !err; i++) {
        kn_valtype t = const_instr_type(m, &m->cinstrs[e->first + i], st, &n, &mismatch, &err);
        if (t)
            st[n++] = t;
    }
    if (!err && (mismatch || n != 1 || st[0] != want))
        err = invalid(e->bytes.start, "type mismatch");
    if (st != small)
        kn_free(&m->alloc, st);
    return err;
}

static kiln_error *check_index(const kn_module *m, uint8_t kind, uint32_t x, uint32_t offset)
{
    switch (kind) {
    case KN_EXT_FUNC:
        if (x >= m->nfuncs)
            return invalid(offset, "unknown function %u", x);
        break;
    case KN_EXT_TABLE:
        if (x >= m->ntables)
            return invalid(offset, "unknown table %u", x);
        break;
    case KN_EXT_MEMORY:
        if (x >= m->nmemories)
            return invalid(offset, "unknown memory %u", x);
        break;
    case KN_EXT_GLOBAL:
        if (x >= m->nglobals)
            return invalid(offset, "unknown global %u", x);
        break;
    }
    return NULL;
}

typedef struct name_ref {
    const char *s;
    uint32_t len, index;
} name_ref;

static int cmp_names(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    int c = memcmp(x->s, y->s, x->len);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Export names must be distinct.  Sorting keeps hostile modules with many
 * exports from making this quadratic; the error names the earliest export
 * that repeats an earlier name, as a single pass in order would. */
static kiln_error *check_export_names(const kn_module *m)
{
    if (m->nexports < 2)
        return NULL;
    name_ref *v = kn_malloc(&m->alloc, m->nexports * sizeof *v);
    if (!v)
        return kn_error_nomem();
    for (uint32_t i = 0; i < m->nexports; i++) {
        v[i].s = m->exports[i].name;
        v[i].len = m->exports[i].name_len;
        v[i].index = i;
    }
    qsort(v, m->nexports, sizeof *v, cmp_names);
    uint32_t first_dup = UINT32_MAX;
    for (uint32_t i = 1; i < m->nexports; i++)
        if (v[i].len == v[i - 1].len && memcmp(v[i].s, v[i - 1].s, v[i].len) == 0 &&
            v[i].index < first_dup)
            first_dup = v[i].index;
    kn_free(&m->alloc, v);
    if (first_dup != UINT32_MAX)
        return invalid(m->exports[first_dup].offset, "duplicate export name");
    return NULL;
}

kiln_error *kn_validate_module(kn_module *m)
{
    kn_free(&m->alloc, m->func_declared);
    m->func_declared = kn_calloc(&m->alloc, m->nfuncs, 1);
    if (!m->func_declared)
        return kn_error_nomem();

    /* Imports: their types. */
    for (uint32_t i = 0; i < m->nimports; i++) {
        const kn_import *im = &m->imports[i];
        switch (im->kind) {
        case KN_EXT_FUNC:
            if (im->u.func_type >= m->ntypes)
                return invalid(im->offset, "unknown type %u", im->u.func_type);
            break;
        case KN_EXT_TABLE:
            TRY(check_limits(&im->u.table.limits, TABLE_RANGE, TABLE_TOO_BIG, im->offset));
            break;
        case KN_EXT_MEMORY:
            TRY(check_limits(&im->u.memory, MEMORY_RANGE, MEMORY_TOO_BIG, im->offset));
            break;
        }
    }

    /* Defined functions: their type indices. */
    uint32_t func_off = section_offset(m, 3);
    for (uint32_t i = m->num_func_imports; i < m->nfuncs; i++)
        if (m->funcs[i].type >= m->ntypes)
            return invalid(func_off, "unknown type %u", m->funcs[i].type);

    for (uint32_t i = m->num_global_imports; i < m->nglobals; i++)
        TRY(check_const(m, &m->globals[i].init, m->globals[i].type.type));

    uint32_t table_off = section_offset(m, 4);
    for (uint32_t i = m->num_table_imports; i < m->ntables; i++)
        TRY(check_limits(&m->tables[i].limits, TABLE_RANGE, TABLE_TOO_BIG, table_off));

    uint32_t memory_off = section_offset(m, 5);
    for (uint32_t i = m->num_memory_imports; i < m->nmemories; i++)
        TRY(check_limits(&m->memories[i], MEMORY_RANGE, MEMORY_TOO_BIG, memory_off));

    for (uint32_t i = 0; i < m->nelems; i++) {
        const kn_elem *e = &m->elems[i];
        uint32_t at = e->offset_in_file;
        for (uint32_t k = 0; k < e->count; k++) {
            if (e->exprs) {
                TRY(check_const(m, &e->exprs[k], e->type));
            } else if (e->func_indices) {
                uint32_t x = e->func_indices[k];
                if (x >= m->nfuncs)
                    return invalid(at, "unknown function %u", x);
                m->func_declared[x] = 1;
            }
        }
        if (e->mode == KN_SEG_ACTIVE) {
            if (e->table >= m->ntables)
                return invalid(at, "unknown table %u", e->table);
            TRY(check_const(m, &e->offset, KN_I32));
            if (m->tables[e->table].elem != e->type)
                return invalid(at, "type mismatch");
        }
    }

    for (uint32_t i = 0; i < m->ndatas; i++) {
        const kn_data *d = &m->datas[i];
        if (d->mode != KN_SEG_ACTIVE)
            continue;
        if (d->memory >= m->nmemories)
            return invalid(d->offset_in_file, "unknown memory %u", d->memory);
        TRY(check_const(m, &d->offset, KN_I32));
    }

    if (m->has_start) {
        uint32_t at = section_offset(m, 8);
        if (m->start >= m->nfuncs)
            return invalid(at, "unknown function %u", m->start);
        const kn_functype *ft = &m->types[m->funcs[m->start].type];
        if (ft->nparams || ft->nresults)
            return invalid(at, "start function");
    }

    for (uint32_t i = 0; i < m->nexports; i++) {
        const kn_export *ex = &m->exports[i];
        TRY(check_index(m, ex->kind, ex->index, ex->offset));
        if (ex->kind == KN_EXT_FUNC)
            m->func_declared[ex->index] = 1;
    }
    TRY(check_export_names(m));

    if (m->nmemories > 1) {
        uint32_t at = memory_off;       /* the second memory, wherever it is */
        if (m->num_memory_imports >= 2)
            for (uint32_t i = 0, seen = 0; i < m->nimports; i++)
                if (m->imports[i].kind == KN_EXT_MEMORY && ++seen == 2) {
                    at = m->imports[i].offset;
                    break;
                }
        return invalid(at, "multiple memories");
    }
    return NULL;
}
