/*
 * decode.c — the WebAssembly 2.0 binary format into a kn_module.
 *
 * The decoder copies the input into m->bytes and from then on reads only
 * that copy, so every kn_span it records stays valid for the module's life.
 * It checks what the binary format itself requires (encodings, section
 * order and sizes, UTF-8 names, counts that must agree) and leaves every
 * index and type rule to kn_validate_module and function bodies, which it
 * does not look inside, to compile.c.  Constant expressions it decodes
 * completely, into m->cinstrs, so that no later pass reads their bytes.
 *
 * Invariants it keeps for its callers and for kn_module_clear:
 *   - every array is allocated with its count already stored and zeroed,
 *     so a module abandoned half-way through is freed correctly;
 *   - nothing is allocated in proportion to a count before that count was
 *     checked against the bytes left (every item takes at least one byte),
 *     so hostile counts cannot make it allocate more than a small multiple
 *     of the input size;
 *   - it never forms a pointer beyond the end of the input: sizes that may
 *     reach past it are compared as offsets first.
 *
 * Errors follow the reference interpreter closely, message and order both,
 * because the spec testsuite's assert_malformed texts come from it.  Two of
 * its habits matter: a section is parsed with the whole rest of the module
 * in view and its size is compared only afterwards ("section size
 * mismatch"), and a length prefix is checked against the bytes left counted
 * from the prefix itself ("length out of bounds"), running out of bytes
 * after that is "unexpected end".  The malformed-module tests depend on both.
 */
#include <stdlib.h>
#include <string.h>

#include "leb.h"
#include "module.h"

#define MSG_LENGTH "length out of bounds"
#define MSG_UTF8 "malformed UTF-8 encoding"

typedef struct dec {
    kn_module *m;
    const uint8_t *base;        /* m->bytes */
    uint32_t ndefined;          /* entries of the function section */
    uint32_t ncode;             /* entries of the code section */
    uint32_t cap_sections, cap_customs;
    size_t cap_cinstrs;         /* allocated length of m->cinstrs */
    bool have_names;            /* the first "name" custom section */
    kn_span names;
} dec;

static uint32_t off_of(const dec *d, const uint8_t *p) { return (uint32_t)(p - d->base); }

static kiln_error *err_at(const dec *d, const uint8_t *at, const char *msg)
{
    return kn_error_new(KILN_ERR_DECODE, (int64_t)(at - d->base), "%s", msg);
}

static kiln_error *err_reader(const kn_reader *r)
{
    return kn_error_new(KILN_ERR_DECODE, (int64_t)kn_reader_err_offset(r), "%s",
                        r->err ? r->err : "malformed module");
}

#define RD(r, call)                                                                          \
    do {                                                                                     \
        if (!(call))                                                                         \
            return err_reader(r);                                                            \
    } while (0)

#define TRY(call)                                                                            \
    do {                                                                                     \
        kiln_error *e_ = (call);                                                             \
        if (e_)                                                                              \
            return e_;                                                                       \
    } while (0)

#define NEED(ptr)                                                                            \
    do {                                                                                     \
        if (!(ptr))                                                                          \
            return kn_error_nomem();                                                         \
    } while (0)

/* Zeroed; never NULL for a zero count, so NULL means no memory. */
static void *alloc_n(kn_module *m, size_t n, size_t size) { return kn_calloc(&m->alloc, n, size); }

/* arr grown from old to old+add elements with the new ones zeroed, or NULL
 * (arr still valid) when out of memory. */
static void *grow(kn_module *m, void *arr, size_t old, size_t add, size_t size)
{
    char *p = kn_realloc_n(&m->alloc, arr, old + add, size);
    if (p)
        memset(p + old * size, 0, add * size);
    return p;
}

/* ---- Primitive encodings ------------------------------------------------ */

/* A u32 that counts what follows (a vector length, a byte length or a size).
 * The reference interpreter bounds it by the bytes left counted from the
 * start of the number, not from after it; the testsuite depends on that. */
static bool read_len(kn_reader *r, uint32_t *out)
{
    const uint8_t *at = r->p;
    uint32_t n;
    if (!kn_read_u32(r, &n))
        return false;
    if (n > (size_t)(r->end - at)) {
        r->p = at;
        return kn_reader_fail(r, at, MSG_LENGTH);
    }
    *out = n;
    return true;
}

/* Well-formed UTF-8: no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated or stray continuation bytes. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint8_t lo = 0x80, hi = 0xbf;   /* allowed range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0;              /* overlong below U+0800 */
            else if (c == 0xed)
                hi = 0x9f;              /* surrogates U+D800..U+DFFF */
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;              /* overlong below U+10000 */
            else if (c == 0xf4)
                hi = 0x8f;              /* above U+10FFFF */
        } else {
            return false;               /* continuation, C0/C1 or F5..FF */
        }
        if (n - i < len)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/* A name: a length-prefixed UTF-8 string, left in place. */
static bool read_name(kn_reader *r, const uint8_t **s, uint32_t *n)
{
    const uint8_t *at = r->p;
    if (!read_len(r, n) || !kn_read_bytes(r, *n, s))
        return false;
    if (!utf8_valid(*s, *n))
        return kn_reader_fail(r, at, MSG_UTF8);
    return true;
}

static char *dup_name(kn_module *m, const uint8_t *s, uint32_t n)
{
    return kn_strndup(&m->alloc, (const char *)s, n);
}

/* Type bytes are one-byte signed LEB128 in the reference interpreter, so a
 * set continuation bit is an over-long integer rather than an unknown type. */
static bool read_type_byte(kn_reader *r, uint8_t *b)
{
    if (!kn_read_u8(r, b))
        return false;
    if (*b & 0x80)
        return kn_reader_fail(r, r->p, KN_MSG_TOO_LONG);
    return true;
}

static bool read_valtype(kn_reader *r, kn_valtype *out)
{
    const uint8_t *at = r->p;
    uint8_t b;
    if (!read_type_byte(r, &b))
        return false;
    switch (b) {
    case KN_I32: case KN_I64: case KN_F32: case KN_F64: case KN_V128:
    case KN_FUNCREF: case KN_EXTERNREF:
        *out = b;
        return true;
    }
    return kn_reader_fail(r, at, "malformed value type");
}

static bool read_reftype(kn_reader *r, kn_valtype *out)
{
    const uint8_t *at = r->p;
    uint8_t b;
    if (!read_type_byte(r, &b))
        return false;
    if (b != KN_FUNCREF && b != KN_EXTERNREF)
        return kn_reader_fail(r, at, "malformed reference type");
    *out = b;
    return true;
}

/* Limits of tables and memories: the flag is a 1-bit LEB128 in the
 * reference, hence "integer too large" for 2 (shared memories, a threads
 * feature kiln does not have) and "too long" for 0x81 0x00. */
static bool read_limits(kn_reader *r, kn_limits *out)
{
    uint64_t flag;
    uint32_t min, max = 0;
    if (!kn_read_uleb(r, 1, &flag) || !kn_read_u32(r, &min))
        return false;
    if (flag && !kn_read_u32(r, &max))
        return false;
    out->min = min;
    out->max = max;
    out->has_max = flag != 0;
    return true;
}

static bool read_globaltype(kn_reader *r, kn_globaltype *out)
{
    uint8_t mut;
    if (!read_valtype(r, &out->type) || !kn_read_u8(r, &mut))
        return false;
    if (mut > 1)
        return kn_reader_fail(r, r->p - 1, "malformed mutability");
    out->mut = mut == 1;
    return true;
}

/* Whether a one-byte opcode exists in Wasm 2.0 (0xfc and 0xfd are
 * prefixes).  Only used to tell an illegal opcode (malformed) from a real
 * instruction that is not allowed in a constant expression (invalid). */
static bool opcode_exists(uint8_t op)
{
    return op <= 0x05 || (op >= 0x0b && op <= 0x11) || (op >= 0x1a && op <= 0x1c) ||
           (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xc4) ||
           (op >= 0xd0 && op <= 0xd2) || op == 0xfc || op == 0xfd;
}

/* Appends one decoded instruction to m->cinstrs, which grows by doubling:
 * an instruction takes at least one byte, so their number is bounded by
 * the input's size. */
static kiln_error *push_cinstr(dec *d, const kn_cinstr *ci)
{
    kn_module *m = d->m;
    if (m->ncinstrs == d->cap_cinstrs) {
        size_t cap = d->cap_cinstrs ? d->cap_cinstrs * 2 : 16;
        kn_cinstr *p = kn_realloc(&m->alloc, m->cinstrs, cap * sizeof *p);
        NEED(p);
        m->cinstrs = p;
        d->cap_cinstrs = cap;
    }
    m->cinstrs[m->ncinstrs++] = *ci;
    return NULL;
}

/* The 0xfc and 0xfd prefixes in a constant expression: only v128.const is
 * decoded; anything else is an error. */
static kiln_error *read_prefixed_const(dec *d, kn_reader *r, uint8_t op, kn_cinstr *ci)
{
    const uint8_t *at = r->p - 1;
    uint32_t sub;
    RD(r, kn_read_u32(r, &sub));
    if (op == 0xfd && sub == 0x0c) { /* v128.const */
        const uint8_t *b;
        RD(r, kn_read_bytes(r, 16, &b));
        memcpy(ci->u.v128, b, 16);
        return NULL;
    }
    /* The SIMD space is treated as dense: the distinction only decides
     * which of two errors an invalid module gets. */
    if ((op == 0xfc && sub <= 17) || (op == 0xfd && sub <= 0xff))
        return kn_error_new(KILN_ERR_VALIDATE, (int64_t)off_of(d, at),
                            "constant expression required");
    return kn_error_new(KILN_ERR_DECODE, (int64_t)off_of(d, at), "illegal opcode %02x %02x", op,
                        sub);
}

/* One instruction of a constant expression (its opcode already read into
 * ci->op) with its immediates. */
static kiln_error *read_const_instr(dec *d, kn_reader *r, kn_cinstr *ci)
{
    const uint8_t *at = r->p - 1;
    switch (ci->op) {
    case KN_COP_I32_CONST: {
        int32_t v;
        RD(r, kn_read_s32(r, &v));
        ci->u.i32 = (uint32_t)v;
        return NULL;
    }
    case KN_COP_I64_CONST: {
        int64_t v;
        RD(r, kn_read_s64(r, &v));
        ci->u.i64 = (uint64_t)v;
        return NULL;
    }
    case KN_COP_F32_CONST:
        RD(r, kn_read_f32_bits(r, &ci->u.i32));
        return NULL;
    case KN_COP_F64_CONST:
        RD(r, kn_read_f64_bits(r, &ci->u.i64));
        return NULL;
    case KN_COP_REF_NULL:
        RD(r, read_reftype(r, &ci->u.type));
        return NULL;
    case KN_COP_GLOBAL_GET:
    case KN_COP_REF_FUNC:
        RD(r, kn_read_u32(r, &ci->u.index));
        return NULL;
    case KN_COP_I32_ADD: case KN_COP_I32_SUB: case KN_COP_I32_MUL: /* extended-const */
    case KN_COP_I64_ADD: case KN_COP_I64_SUB: case KN_COP_I64_MUL:
        return NULL;
    case 0x05:                          /* else: the expression ends without end */
        return err_at(d, at, "END opcode expected");
    case 0xfc:
    case 0xfd:
        return read_prefixed_const(d, r, ci->op, ci);
    }
    if (opcode_exists(ci->op))
        return kn_error_new(KILN_ERR_VALIDATE, (int64_t)off_of(d, at),
                            "constant expression required");
    return kn_error_new(KILN_ERR_DECODE, (int64_t)off_of(d, at), "illegal opcode %02x", ci->op);
}

/* A constant expression up to and including its `end`, decoded into
 * m->cinstrs.  Only the forms a constant expression may take are decoded;
 * meeting any other instruction ends decoding with "constant expression
 * required" (a validation error, as the spec has it), except a byte that is
 * no instruction at all, which is malformed.  Types and indices are the
 * validator's business. */
static kiln_error *read_constexpr(dec *d, kn_reader *r, kn_constexpr *out)
{
    const uint8_t *begin = r->p;
    out->first = d->m->ncinstrs;
    for (;;) {
        kn_cinstr ci;
        memset(&ci, 0, sizeof ci);
        ci.offset = off_of(d, r->p);
        RD(r, kn_read_u8(r, &ci.op));
        if (ci.op == 0x0b)              /* end */
            break;
        TRY(read_const_instr(d, r, &ci));
        TRY(push_cinstr(d, &ci));
    }
    out->bytes.start = off_of(d, begin);
    out->bytes.end = off_of(d, r->p);
    out->count = d->m->ncinstrs - out->first;
    return NULL;
}

/* ---- Sections ----------------------------------------------------------- */

static kiln_error *sec_type(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    uint32_t n;
    RD(r, read_len(r, &n));
    NEED(m->types = alloc_n(m, n, sizeof *m->types));
    m->ntypes = n;
    for (uint32_t i = 0; i < n; i++) {
        kn_functype *ft = &m->types[i];
        const uint8_t *at = r->p;
        uint8_t form;
        RD(r, read_type_byte(r, &form));
        if (form != 0x60)
            return err_at(d, at, "malformed function type");
        uint32_t np, nr;
        RD(r, read_len(r, &np));
        NEED(ft->types = kn_malloc(&m->alloc, np));
        for (uint32_t j = 0; j < np; j++)
            RD(r, read_valtype(r, &ft->types[j]));
        ft->nparams = np;
        RD(r, read_len(r, &nr));
        if ((uint64_t)np + nr > UINT32_MAX / 2)
            return err_at(d, at, "function type too large");
        if (nr) {
            kn_valtype *t = kn_realloc(&m->alloc, ft->types, (size_t)np + nr);
            NEED(t);
            ft->types = t;
        }
        for (uint32_t j = 0; j < nr; j++)
            RD(r, read_valtype(r, &ft->types[np + j]));
        ft->nresults = nr;
        NEED(ft->kinds = alloc_n(m, (size_t)np + nr, sizeof *ft->kinds));
        uint32_t ps = 0, rs = 0;
        for (uint32_t j = 0; j < np + nr; j++) {
            ft->kinds[j] = (kiln_valkind)ft->types[j];
            if (j < np)
                ps += kn_slots_of(ft->types[j]);
            else
                rs += kn_slots_of(ft->types[j]);
        }
        ft->param_slots = ps;
        ft->result_slots = rs;
        /* UINT32_MAX is KN_CANON_NONE (runtime.h): out of memory */
        if (m->engine &&
            (ft->canon = kn_engine_intern_type(m->engine, ft->types, np, nr)) == UINT32_MAX)
            return kn_error_nomem();
    }
    return NULL;
}

static kiln_error *sec_import(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    uint32_t n;
    RD(r, read_len(r, &n));
    NEED(m->imports = alloc_n(m, n, sizeof *m->imports));
    m->nimports = n;
    uint32_t count[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        kn_import *im = &m->imports[i];
        im->offset = off_of(d, r->p);
        const uint8_t *s;
        uint32_t len;
        RD(r, read_name(r, &s, &len));
        NEED(im->module = dup_name(m, s, len));
        im->module_len = len;
        RD(r, read_name(r, &s, &len));
        NEED(im->name = dup_name(m, s, len));
        im->name_len = len;
        const uint8_t *at = r->p;
        RD(r, kn_read_u8(r, &im->kind));
        switch (im->kind) {
        case KN_EXT_FUNC:
            RD(r, kn_read_u32(r, &im->u.func_type));
            break;
        case KN_EXT_TABLE:
            RD(r, read_reftype(r, &im->u.table.elem));
            RD(r, read_limits(r, &im->u.table.limits));
            break;
        case KN_EXT_MEMORY:
            RD(r, read_limits(r, &im->u.memory));
            break;
        case KN_EXT_GLOBAL:
            RD(r, read_globaltype(r, &im->u.global));
            break;
        default:
            return err_at(d, at, "malformed import kind");
        }
        count[im->kind]++;
    }
    /* Imports open each index space; the definitions are appended later. */
    NEED(m->funcs = alloc_n(m, count[KN_EXT_FUNC], sizeof *m->funcs));
    NEED(m->tables = alloc_n(m, count[KN_EXT_TABLE], sizeof *m->tables));
    NEED(m->memories = alloc_n(m, count[KN_EXT_MEMORY], sizeof *m->memories));
    NEED(m->globals = alloc_n(m, count[KN_EXT_GLOBAL], sizeof *m->globals));
    for (uint32_t i = 0; i < n; i++) {
        const kn_import *im = &m->imports[i];
        switch (im->kind) {
        case KN_EXT_FUNC: m->funcs[m->nfuncs++].type = im->u.func_type; break;
        case KN_EXT_TABLE: m->tables[m->ntables++] = im->u.table; break;
        case KN_EXT_MEMORY: m->memories[m->nmemories++] = im->u.memory; break;
        case KN_EXT_GLOBAL: m->globals[m->nglobals++].type = im->u.global; break;
        }
    }
    m->num_func_imports = m->nfuncs;
    m->num_table_imports = m->ntables;
    m->num_memory_imports = m->nmemories;
    m->num_global_imports = m->nglobals;
    return NULL;
}

/* Append `add` zeroed entries to an index space of `*have` entries (imports
 * first, so the definitions follow them).  A macro because the arrays have
 * different types. */
#define EXTEND(d, arr, have, add, at)                                                        \
    do {                                                                                     \
        if ((uint64_t)(have) + (add) > UINT32_MAX)                                           \
            return err_at(d, at, "too many definitions");                                    \
        void *p_ = grow(d->m, (arr), (have), (add), sizeof *(arr));                                \
        NEED(p_);                                                                            \
        (arr) = p_;                                                                          \
        (have) += (add);                                                                     \
    } while (0)

static kiln_error *sec_function(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    const uint8_t *at = r->p;
    uint32_t n;
    RD(r, read_len(r, &n));
    uint32_t first = m->nfuncs;
    EXTEND(d, m->funcs, m->nfuncs, n, at);
    for (uint32_t i = 0; i < n; i++)
        RD(r, kn_read_u32(r, &m->funcs[first + i].type));
    d->ndefined = n;
    return NULL;
}

static kiln_error *sec_table(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    const uint8_t *at = r->p;
    uint32_t n;
    RD(r, read_len(r, &n));
    uint32_t first = m->ntables;
    EXTEND(d, m->tables, m->ntables, n, at);
    for (uint32_t i = 0; i < n; i++) {
        RD(r, read_reftype(r, &m->tables[first + i].elem));
        RD(r, read_limits(r, &m->tables[first + i].limits));
    }
    return NULL;
}

static kiln_error *sec_memory(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    const uint8_t *at = r->p;
    uint32_t n;
    RD(r, read_len(r, &n));
    uint32_t first = m->nmemories;
    EXTEND(d, m->memories, m->nmemories, n, at);
    for (uint32_t i = 0; i < n; i++)
        RD(r, read_limits(r, &m->memories[first + i]));
    return NULL;
}

static kiln_error *sec_global(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    const uint8_t *at = r->p;
    uint32_t n;
    RD(r, read_len(r, &n));
    uint32_t first = m->nglobals;
    EXTEND(d, m->globals, m->nglobals, n, at);
    for (uint32_t i = 0; i < n; i++) {
        kn_global *g = &m->globals[first + i];
        RD(r, read_globaltype(r, &g->type));
        TRY(read_constexpr(d, r, &g->init));
    }
    return NULL;
}

static kiln_error *sec_export(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    uint32_t n;
    RD(r, read_len(r, &n));
    NEED(m->exports = alloc_n(m, n, sizeof *m->exports));
    m->nexports = n;
    for (uint32_t i = 0; i < n; i++) {
        kn_export *ex = &m->exports[i];
        ex->offset = off_of(d, r->p);
        const uint8_t *s;
        RD(r, read_name(r, &s, &ex->name_len));
        NEED(ex->name = dup_name(m, s, ex->name_len));
        const uint8_t *at = r->p;
        RD(r, kn_read_u8(r, &ex->kind));
        if (ex->kind > KN_EXT_GLOBAL)
            return err_at(d, at, "malformed export kind");
        RD(r, kn_read_u32(r, &ex->index));
    }
    return NULL;
}

static kiln_error *sec_start(dec *d, kn_reader *r)
{
    RD(r, kn_read_u32(r, &d->m->start));
    d->m->has_start = true;
    return NULL;
}

/* Element segments.  The flags of the eight encodings: bit 0 set means
 * passive or declarative (bit 1 then picks declarative), clear means active
 * (bit 1 then says an explicit table index follows); bit 2 says the items
 * are expressions rather than function indices.  All but 0 and 4 name the
 * element type: an elemkind byte before indices, a reftype before exprs. */
static kiln_error *sec_elem(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    uint32_t n;
    RD(r, read_len(r, &n));
    NEED(m->elems = alloc_n(m, n, sizeof *m->elems));
    m->nelems = n;
    for (uint32_t i = 0; i < n; i++) {
        kn_elem *e = &m->elems[i];
        const uint8_t *at = r->p;
        e->offset_in_file = off_of(d, at);
        uint32_t flags;
        RD(r, kn_read_u32(r, &flags));
        if (flags > 7)
            return err_at(d, at, "malformed elements segment kind");
        bool exprs = flags & 4;
        e->type = KN_FUNCREF;
        if (flags & 1) {
            e->mode = flags & 2 ? KN_SEG_DECLARATIVE : KN_SEG_PASSIVE;
        } else {
            e->mode = KN_SEG_ACTIVE;
            if (flags & 2)
                RD(r, kn_read_u32(r, &e->table));
            TRY(read_constexpr(d, r, &e->offset));
        }
        if (flags & 3) {
            if (exprs) {
                RD(r, read_reftype(r, &e->type));
            } else {
                uint8_t kind;
                RD(r, kn_read_u8(r, &kind));
                if (kind != 0x00)
                    return err_at(d, r->p - 1, "malformed element kind");
            }
        }
        uint32_t count;
        RD(r, read_len(r, &count));
        if (exprs) {
            NEED(e->exprs = alloc_n(m, count, sizeof *e->exprs));
            e->count = count;
            for (uint32_t k = 0; k < count; k++)
                TRY(read_constexpr(d, r, &e->exprs[k]));
        } else {
            NEED(e->func_indices = alloc_n(m, count, sizeof *e->func_indices));
            e->count = count;
            for (uint32_t k = 0; k < count; k++)
                RD(r, kn_read_u32(r, &e->func_indices[k]));
        }
    }
    return NULL;
}

static kiln_error *sec_datacount(dec *d, kn_reader *r)
{
    RD(r, kn_read_u32(r, &d->m->datacount));
    d->m->has_datacount = true;
    return NULL;
}

static kiln_error *sec_code(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    uint32_t n;
    RD(r, read_len(r, &n));
    d->ncode = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *entry = r->p;
        uint32_t size;
        RD(r, read_len(r, &size));
        if (size > kn_reader_left(r))
            return err_at(d, r->end, KN_MSG_EOF);
        const uint8_t *entry_end = r->p + size;
        /* A code section longer than the function section is reported once
         * the whole module is read, like the reference does; until then its
         * extra entries are checked and dropped. */
        kn_func spare = {0};
        kn_func *f = i < d->ndefined ? &m->funcs[m->num_func_imports + i] : &spare;
        f->code_offset = off_of(d, entry);
        kn_reader lr = kn_reader_make(d->base, r->p, entry_end);
        const uint8_t *locals_at = lr.p;
        uint32_t nd;
        kiln_error *err = NULL;
        if (!read_len(&lr, &nd)) {
            err = err_reader(&lr);
        } else if (!(f->localdecls = alloc_n(m, nd, sizeof *f->localdecls))) {
            err = kn_error_nomem();
        } else {
            f->nlocaldecls = nd;
            uint64_t total = 0;
            for (uint32_t k = 0; k < nd && !err; k++) {
                kn_localdecl *ld = &f->localdecls[k];
                if (!kn_read_u32(&lr, &ld->count) || !read_valtype(&lr, &ld->type))
                    err = err_reader(&lr);
                total += ld->count;
            }
            if (!err && total > UINT32_MAX)
                err = err_at(d, locals_at, "too many locals");
            f->nlocals = total;
        }
        if (f == &spare)
            kn_free(&m->alloc, spare.localdecls);
        if (err)
            return err;
        f->body.start = off_of(d, lr.p);
        f->body.end = off_of(d, entry_end);
        r->p = entry_end;
    }
    return NULL;
}

static kiln_error *sec_data(dec *d, kn_reader *r)
{
    kn_module *m = d->m;
    uint32_t n;
    RD(r, read_len(r, &n));
    NEED(m->datas = alloc_n(m, n, sizeof *m->datas));
    m->ndatas = n;
    for (uint32_t i = 0; i < n; i++) {
        kn_data *s = &m->datas[i];
        const uint8_t *at = r->p;
        s->offset_in_file = off_of(d, at);
        uint32_t flags;
        RD(r, kn_read_u32(r, &flags));
        switch (flags) {
        case 0:
            s->mode = KN_SEG_ACTIVE;
            TRY(read_constexpr(d, r, &s->offset));
            break;
        case 1:
            s->mode = KN_SEG_PASSIVE;
            break;
        case 2:
            s->mode = KN_SEG_ACTIVE;
            RD(r, kn_read_u32(r, &s->memory));
            TRY(read_constexpr(d, r, &s->offset));
            break;
        default:
            return err_at(d, at, "malformed data segment kind");
        }
        uint32_t len;
        const uint8_t *b;
        RD(r, read_len(r, &len));
        RD(r, kn_read_bytes(r, len, &b));
        s->bytes.start = off_of(d, b);
        s->bytes.end = s->bytes.start + len;
    }
    return NULL;
}

/* A custom section: its name must be UTF-8; the payload is opaque here. */
static kiln_error *sec_custom(dec *d, kn_reader *r, size_t sec_end, uint32_t id_off)
{
    kn_module *m = d->m;
    const uint8_t *s;
    uint32_t n;
    RD(r, read_name(r, &s, &n));
    if (sec_end > m->len)
        return err_at(d, r->end, KN_MSG_EOF);
    if (kn_reader_offset(r) > sec_end)
        return err_at(d, d->base + sec_end, KN_MSG_EOF);
    if (m->ncustoms == d->cap_customs) {
        uint32_t cap = d->cap_customs ? d->cap_customs * 2 : 4;
        kn_custom *p = grow(m, m->customs, m->ncustoms, cap - m->ncustoms, sizeof *m->customs);
        NEED(p);
        m->customs = p;
        d->cap_customs = cap;
    }
    kn_custom *c = &m->customs[m->ncustoms];
    NEED(c->name = dup_name(m, s, n));
    m->ncustoms++;
    c->data.start = off_of(d, r->p);
    c->data.end = (uint32_t)sec_end;
    c->offset = id_off;
    if (!d->have_names && n == 4 && memcmp(s, "name", 4) == 0) {
        d->have_names = true;
        d->names = c->data;
    }
    r->p = d->base + sec_end;
    return NULL;
}

/* ---- The name section --------------------------------------------------- */

/* Subsections 0 (module name) and 1 (function names) of the "name" custom
 * section.  The spec makes this section advisory, so anything wrong in it
 * discards it and the module stays valid; running out of memory does not
 * (it is an error, not a property of the module). */
static kiln_error *decode_names(kn_module *m, kn_span sp)
{
    bool nomem = false;
    kn_reader r = kn_reader_make(m->bytes, m->bytes + sp.start, m->bytes + sp.end);
    char *modname = NULL;
    char **names = NULL;
    int last = -1;
    while (!kn_reader_eof(&r)) {
        uint8_t id;
        uint32_t size;
        if (!kn_read_u8(&r, &id) || !kn_read_u32(&r, &size) || size > kn_reader_left(&r))
            goto bad;
        if ((int)id <= last)            /* each at most once, in order */
            goto bad;
        last = id;
        kn_reader sub = kn_reader_make(m->bytes, r.p, r.p + size);
        r.p += size;
        const uint8_t *s;
        uint32_t n;
        if (id == 0) {
            if (!read_name(&sub, &s, &n) || !kn_reader_eof(&sub))
                goto bad;
            if (!(modname = dup_name(m, s, n)))
                goto nomem;
        } else if (id == 1) {
            uint32_t count;
            if (!read_len(&sub, &count))
                goto bad;
            if (!(names = alloc_n(m, m->nfuncs, sizeof *names)))
                goto nomem;
            int64_t prev = -1;
            for (uint32_t k = 0; k < count; k++) {
                uint32_t idx;
                if (!kn_read_u32(&sub, &idx) || !read_name(&sub, &s, &n))
                    goto bad;
                if (idx >= m->nfuncs || (int64_t)idx <= prev)
                    goto bad;
                prev = idx;
                if (!(names[idx] = dup_name(m, s, n)))
                    goto nomem;
            }
            if (!kn_reader_eof(&sub))
                goto bad;
        }
    }
    m->module_name = modname;
    m->func_names = names;
    return NULL;
nomem:
    nomem = true;
bad:
    kn_free(&m->alloc, modname);
    if (names) {
        for (uint32_t i = 0; i < m->nfuncs; i++)
            kn_free(&m->alloc, names[i]);
        kn_free(&m->alloc, names);
    }
    return nomem ? kn_error_nomem() : NULL;
}

/* ---- The module --------------------------------------------------------- */

/* Position of each known section id in the required order; the data count
 * section (12) sits between element (9) and code (10). */
static const uint8_t section_rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

static kiln_error *add_section(dec *d, uint8_t id, uint32_t offset, uint32_t payload,
                               uint32_t size)
{
    kn_module *m = d->m;
    if (m->nsections == d->cap_sections) {
        uint32_t cap = d->cap_sections ? d->cap_sections * 2 : 16;
        kn_section *p = grow(m, m->sections, m->nsections, cap - m->nsections, sizeof *m->sections);
        NEED(p);
        m->sections = p;
        d->cap_sections = cap;
    }
    kn_section *s = &m->sections[m->nsections++];
    s->id = id;
    s->offset = offset;
    s->payload = payload;
    s->size = size;
    return NULL;
}

kiln_error *kn_decode(kn_module *m, const uint8_t *bytes, size_t len)
{
    if (len > UINT32_MAX)               /* spans are 32-bit */
        return kn_error_new(KILN_ERR_DECODE, 0, "module too large");
    NEED(m->bytes = kn_malloc(&m->alloc, len));
    if (len)
        memcpy(m->bytes, bytes, len);
    m->len = len;

    dec dd = {.m = m, .base = m->bytes};
    dec *d = &dd;
    kn_reader r = kn_reader_make(m->bytes, m->bytes, m->bytes + len);
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    if (len < 4)
        return err_at(d, r.end, "unexpected end");
    if (memcmp(m->bytes, magic, 4) != 0)
        return err_at(d, m->bytes, "magic header not detected");
    if (len < 8)
        return err_at(d, r.end, "unexpected end");
    if (memcmp(m->bytes + 4, version, 4) != 0)
        return err_at(d, m->bytes + 4, "unknown binary version");
    r.p += 8;

    unsigned last_rank = 0;
    while (!kn_reader_eof(&r)) {
        const uint8_t *idp = r.p;
        uint8_t id = *r.p++;
        if (id > 12)
            return err_at(d, idp, "malformed section id");
        if (id != 0) {
            if (section_rank[id] <= last_rank)
                return err_at(d, idp, "unexpected content after last section");
            last_rank = section_rank[id];
        }
        uint32_t size;
        RD(&r, read_len(&r, &size));
        uint32_t payload = off_of(d, r.p);
        size_t sec_end = (size_t)payload + size; /* may lie past the input */
        TRY(add_section(d, id, off_of(d, idp), payload, size));
        switch (id) {
        case 0: TRY(sec_custom(d, &r, sec_end, off_of(d, idp))); break;
        case 1: TRY(sec_type(d, &r)); break;
        case 2: TRY(sec_import(d, &r)); break;
        case 3: TRY(sec_function(d, &r)); break;
        case 4: TRY(sec_table(d, &r)); break;
        case 5: TRY(sec_memory(d, &r)); break;
        case 6: TRY(sec_global(d, &r)); break;
        case 7: TRY(sec_export(d, &r)); break;
        case 8: TRY(sec_start(d, &r)); break;
        case 9: TRY(sec_elem(d, &r)); break;
        case 10: TRY(sec_code(d, &r)); break;
        case 11: TRY(sec_data(d, &r)); break;
        case 12: TRY(sec_datacount(d, &r)); break;
        }
        if (kn_reader_offset(&r) != sec_end)
            return err_at(d, d->base + payload, "section size mismatch");
    }
    if (d->ndefined != d->ncode)
        return err_at(d, r.end, "function and code section have inconsistent lengths");
    if (m->has_datacount && m->datacount != m->ndatas)
        return err_at(d, r.end, "data count and data section have inconsistent lengths");
    if (d->have_names)
        return decode_names(m, d->names);
    return NULL;
}

void kn_module_clear(kn_module *m)
{
    kiln_engine *engine = m->engine;
    kn_allocator a = m->alloc;
    kn_free(&a, m->bytes);
    for (uint32_t i = 0; i < m->ntypes; i++) {
        kn_free(&a, m->types[i].types);
        kn_free(&a, m->types[i].kinds);
    }
    kn_free(&a, m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        kn_free(&a, m->imports[i].module);
        kn_free(&a, m->imports[i].name);
    }
    kn_free(&a, m->imports);
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        kn_free(&a, m->funcs[i].localdecls);
        if (m->funcs[i].code)
            kn_code_free(&a, m->funcs[i].code);
    }
    kn_free(&a, m->funcs);
    kn_free(&a, m->tables);
    kn_free(&a, m->memories);
    kn_free(&a, m->globals);
    for (uint32_t i = 0; i < m->nexports; i++)
        kn_free(&a, m->exports[i].name);
    kn_free(&a, m->exports);
    for (uint32_t i = 0; i < m->nelems; i++) {
        kn_free(&a, m->elems[i].func_indices);
        kn_free(&a, m->elems[i].exprs);
    }
    kn_free(&a, m->elems);
    kn_free(&a, m->datas);
    kn_free(&a, m->cinstrs);
    for (uint32_t i = 0; i < m->ncustoms; i++)
        kn_free(&a, m->customs[i].name);
    kn_free(&a, m->customs);
    kn_free(&a, m->sections);
    kn_free(&a, m->module_name);
    if (m->func_names) {
        for (uint32_t i = 0; i < m->nfuncs; i++)
            kn_free(&a, m->func_names[i]);
        kn_free(&a, m->func_names);
    }
    kn_free(&a, m->func_declared);
    memset(m, 0, sizeof *m);
    m->engine = engine;
    m->alloc = a;
}
