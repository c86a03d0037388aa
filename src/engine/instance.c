/*
 * instance.c — instantiation (after the linker has resolved the imports),
 * constant expressions, the segment operations shared with the
 * interpreter, and export lookup.
 *
 * Instantiation follows the spec's order: allocate the functions, tables,
 * memories and globals (globals and element items come from constant
 * expressions, which may name imported globals and any function), then
 * apply the active element segments in order, then the active data
 * segments in order, then run the start function.  Active and declarative
 * segments are dropped as they are applied.  A segment that does not fit
 * traps and stops instantiation, but what earlier segments wrote stays:
 * that is visible through imported tables and memories, as the spec says.
 *
 * Everything made here is pushed on the store's object list the moment it
 * exists, the instance first, so whatever point instantiation fails at,
 * the store frees it all later and nothing that escaped (a function stored
 * into an imported table, say) dangles.
 */
#include <stdlib.h>
#include <string.h>

#include "jit/jit.h"
#include "lower.h"
#include "runtime.h"

static void *alloc_array(kiln_instance *inst, size_t n, size_t size)
{
    return kn_calloc(kn_store_alloc(inst->store), n, size);
}

/* ---- Constant expressions ---------------------------------------------- */

typedef struct kn_cval {
    kn_valtype type;
    kn_slot v[2];
} kn_cval;

/* Extended-const arithmetic on the top two values, both of the op's type. */
static bool eval_arith(uint8_t op, kn_cval *stack, unsigned *sp)
{
    kn_valtype t = op <= KN_COP_I32_MUL ? KN_I32 : KN_I64;
    if (*sp < 2 || stack[*sp - 1].type != t || stack[*sp - 2].type != t)
        return false;
    kn_cval *a = &stack[*sp - 2], *b = &stack[*sp - 1];
    --*sp;
    if (t == KN_I32) {
        uint32_t x = a->v[0].i32, y = b->v[0].i32;
        a->v[0].i64 = 0;
        a->v[0].i32 = op == KN_COP_I32_ADD ? x + y : op == KN_COP_I32_SUB ? x - y : x * y;
    } else {
        uint64_t x = a->v[0].i64, y = b->v[0].i64;
        a->v[0].i64 = op == KN_COP_I64_ADD ? x + y : op == KN_COP_I64_SUB ? x - y : x * y;
    }
    return true;
}

/* The value one non-arithmetic instruction pushes, into *c (zeroed). */
static bool eval_push(const kiln_instance *inst, const kn_cinstr *ci, uint32_t globals_ready,
                      kn_cval *c)
{
    switch (ci->op) {
    case KN_COP_I32_CONST: c->type = KN_I32; c->v[0].i32 = ci->u.i32; return true;
    case KN_COP_I64_CONST: c->type = KN_I64; c->v[0].i64 = ci->u.i64; return true;
    case KN_COP_F32_CONST:                      /* raw bits, NaNs kept */
        c->type = KN_F32;
        memcpy(&c->v[0].f32, &ci->u.i32, 4);
        return true;
    case KN_COP_F64_CONST:
        c->type = KN_F64;
        memcpy(&c->v[0].f64, &ci->u.i64, 8);
        return true;
    case KN_COP_V128_CONST:
        c->type = KN_V128;
        memcpy(c->v, ci->u.v128, 16);
        return true;
    case KN_COP_REF_NULL:
        c->type = ci->u.type;
        c->v[0].ref = NULL;
        return kn_is_reftype(c->type);
    case KN_COP_REF_FUNC:
        if (ci->u.index >= inst->module->nfuncs)
            return false;
        c->type = KN_FUNCREF;
        c->v[0].ref = inst->funcs[ci->u.index];
        return true;
    case KN_COP_GLOBAL_GET: {
        if (ci->u.index >= globals_ready)
            return false;
        const kiln_global *g = inst->globals[ci->u.index];
        c->type = g->type.type;
        memcpy(c->v, g->value, sizeof c->v);
        return true;
    }
    }
    return false;
}

/* Evaluate a validated constant expression from its decoded instructions.
 * globals_ready is how many of inst->globals hold values already (imports,
 * then earlier definitions).  Besides the Wasm 2.0 forms this takes the
 * extended-constant arithmetic, which costs nothing here; the validator
 * decides what is allowed. */
static kiln_error *eval_const(const kiln_instance *inst, const kn_constexpr *e,
                              uint32_t globals_ready, kn_cval *out)
{
    const kn_module *m = inst->module;
    enum { MAX_DEPTH = 64 };
    kn_cval stack[MAX_DEPTH];
    unsigned sp = 0;
    if (e->first > m->ncinstrs || e->count > m->ncinstrs - e->first)
        goto bad;
    for (uint32_t i = 0; i < e->count; i++) {
        const kn_cinstr *ci = &m->cinstrs[e->first + i];
        if ((ci->op >= KN_COP_I32_ADD && ci->op <= KN_COP_I32_MUL) ||
            (ci->op >= KN_COP_I64_ADD && ci->op <= KN_COP_I64_MUL)) {
            if (!eval_arith(ci->op, stack, &sp))
                goto bad;
            continue;
        }
        if (sp == MAX_DEPTH)
            goto bad;
        kn_cval *c = &stack[sp++];
        memset(c, 0, sizeof *c);
        if (!eval_push(inst, ci, globals_ready, c))
            goto bad;
    }
    if (sp != 1)
        goto bad;
    *out = stack[0];
    return NULL;
bad:
    /* Validation rules this out; kept so a bug there cannot become a wild
     * read here. */
    return kn_error_new(KILN_ERR_VALIDATE, e->bytes.start, "invalid constant expression");
}

/* An offset for an active segment: i32 for 32-bit tables and memories. */
static uint64_t offset_of(const kn_cval *c)
{
    return c->type == KN_I64 ? c->v[0].i64 : (uint64_t)c->v[0].i32;
}

/* ---- Segment operations ------------------------------------------------ */

kiln_trap_code kn_table_init(kiln_instance *inst, uint32_t table, uint32_t elem, uint64_t dst,
                             uint64_t src, uint64_t n)
{
    kiln_table *t = inst->tables[table];
    uint64_t len = inst->elem_segs[elem].len;
    if (src > len || n > len - src || dst > t->size || n > t->size - dst)
        return KILN_TRAP_TABLE_OOB;
    if (n)
        memcpy(t->elems + dst, inst->elem_segs[elem].items + src, (size_t)n * sizeof(void *));
    return KILN_TRAP_NONE;
}

kiln_trap_code kn_memory_init(kiln_instance *inst, uint32_t mem, uint32_t data, uint64_t dst,
                              uint64_t src, uint64_t n)
{
    kiln_memory *mm = inst->memories[mem];
    const kn_data *d = &inst->module->datas[data];
    uint64_t len = inst->data_dropped[data] ? 0 : (uint64_t)(d->bytes.end - d->bytes.start);
    if (src > len || n > len - src || dst > mm->size || n > mm->size - dst)
        return KILN_TRAP_MEMORY_OOB;
    if (n)
        memcpy(mm->data + dst, inst->module->bytes + d->bytes.start + src, (size_t)n);
    kn_dirty_range(mm->data, dst, n);
    return KILN_TRAP_NONE;
}

static void drop_elem(kiln_instance *inst, uint32_t i)
{
    kn_free(kn_store_alloc(inst->store), inst->elem_segs[i].items);
    inst->elem_segs[i].items = NULL;
    inst->elem_segs[i].len = 0;
}

/* ---- Instantiation ----------------------------------------------------- */

static void own(kiln_store *s, kn_object *o, kn_objkind kind)
{
    o->kind = kind;
    o->store = s;
    o->next = s->objects;
    s->objects = o;
}

static kiln_error *make_funcs(kiln_instance *inst)
{
    const kn_module *m = inst->module;
    for (uint32_t i = m->num_func_imports; i < m->nfuncs; i++) {
        kiln_func *f = kn_calloc(kn_store_alloc(inst->store), 1, sizeof *f);
        if (!f)
            return kn_error_nomem();
        f->type = &m->types[m->funcs[i].type];
        f->canon = f->type->canon;
        f->inst = inst;
        f->index = i;
        f->code = m->funcs[i].code;
        f->native = f->code->native;
        f->frame_slots = f->code->frame_slots;
        own(inst->store, &f->obj, KN_OBJ_FUNC);
        inst->funcs[i] = f;
    }
    return NULL;
}

static kiln_error *make_globals(kiln_instance *inst)
{
    const kn_module *m = inst->module;
    for (uint32_t i = m->num_global_imports; i < m->nglobals; i++) {
        kn_cval v;
        kiln_error *err = eval_const(inst, &m->globals[i].init, i, &v);
        if (err)
            return err;
        kiln_global *g = kn_calloc(kn_store_alloc(inst->store), 1, sizeof *g);
        if (!g)
            return kn_error_nomem();
        g->type = m->globals[i].type;
        memcpy(g->value, v.v, sizeof g->value);
        own(inst->store, &g->obj, KN_OBJ_GLOBAL);
        inst->globals[i] = g;
    }
    return NULL;
}

static kiln_error *eval_elems(kiln_instance *inst)
{
    const kn_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const kn_elem *e = &m->elems[i];
        void **items = alloc_array(inst, e->count, sizeof *items);
        if (!items)
            return kn_error_nomem();
        inst->elem_segs[i].items = items;
        inst->elem_segs[i].len = e->count;
        for (uint32_t j = 0; j < e->count; j++) {
            if (e->func_indices) {
                if (e->func_indices[j] >= m->nfuncs)
                    return kn_error_new(KILN_ERR_VALIDATE, e->offset_in_file,
                                        "unknown function %u", e->func_indices[j]);
                items[j] = inst->funcs[e->func_indices[j]];
            } else {
                kn_cval v;
                kiln_error *err = eval_const(inst, &e->exprs[j], m->nglobals, &v);
                if (err)
                    return err;
                items[j] = v.v[0].ref;
            }
        }
    }
    return NULL;
}

static kiln_error *init_segments(kiln_instance *inst, unsigned flags)
{
    const kn_module *m = inst->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const kn_elem *e = &m->elems[i];
        if (e->mode == KN_SEG_ACTIVE) {
            kn_cval off;
            kiln_error *err = eval_const(inst, &e->offset, m->nglobals, &off);
            if (err)
                return err;
            kiln_trap_code trap = kn_table_init(inst, e->table, i, offset_of(&off), 0, e->count);
            if (trap)
                return kn_trap_new(trap);
        }
        if (e->mode != KN_SEG_PASSIVE)
            drop_elem(inst, i);
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const kn_data *d = &m->datas[i];
        if (d->mode != KN_SEG_ACTIVE)
            continue;
        if (flags & KN_INST_NO_DATA) {
            inst->data_dropped[i] = 1;
            continue;
        }
        kn_cval off;
        kiln_error *err = eval_const(inst, &d->offset, m->nglobals, &off);
        if (err)
            return err;
        kiln_trap_code trap = kn_memory_init(inst, d->memory, i, offset_of(&off), 0,
                                             d->bytes.end - d->bytes.start);
        if (trap)
            return kn_trap_new(trap);
        inst->data_dropped[i] = 1;
    }
    return NULL;
}

kiln_error *kn_instantiate(kiln_store *s, const kn_module *m, kn_object *const *imports,
                           kiln_instance **out)
{
    return kn_instantiate_flags(s, m, imports, 0, out);
}

kiln_error *kn_instantiate_flags(kiln_store *s, const kn_module *m, kn_object *const *imports,
                                 unsigned flags, kiln_instance **out)
{
    kiln_instance *inst = kn_calloc(kn_store_alloc(s), 1, sizeof *inst);
    if (!inst)
        return kn_error_nomem();
    inst->store = s;
    inst->module = m;
    own(s, &inst->obj, KN_OBJ_INSTANCE);
    inst->funcs = alloc_array(inst, m->nfuncs, sizeof *inst->funcs);
    inst->tables = alloc_array(inst, m->ntables, sizeof *inst->tables);
    inst->memories = alloc_array(inst, m->nmemories, sizeof *inst->memories);
    inst->globals = alloc_array(inst, m->nglobals, sizeof *inst->globals);
    inst->elem_segs = alloc_array(inst, m->nelems, sizeof *inst->elem_segs);
    inst->data_dropped = alloc_array(inst, m->ndatas, sizeof *inst->data_dropped);
    if (!inst->funcs || !inst->tables || !inst->memories || !inst->globals ||
        !inst->elem_segs || !inst->data_dropped)
        return kn_error_nomem();

    uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        switch (m->imports[i].kind) {
        case KN_EXT_FUNC: inst->funcs[nf++] = (kiln_func *)imports[i]; break;
        case KN_EXT_TABLE: inst->tables[nt++] = (kiln_table *)imports[i]; break;
        case KN_EXT_MEMORY: inst->memories[nm++] = (kiln_memory *)imports[i]; break;
        case KN_EXT_GLOBAL: inst->globals[ng++] = (kiln_global *)imports[i]; break;
        }
    }

    kiln_error *err = make_funcs(inst);
    for (uint32_t i = m->num_table_imports; !err && i < m->ntables; i++)
        err = kn_table_create(s, &m->tables[i], &inst->tables[i]);
    for (uint32_t i = m->num_memory_imports; !err && i < m->nmemories; i++)
        err = kn_memory_create(s, m->memories[i], &inst->memories[i]);
    if (!err && m->nmemories && !kn_jit_memory_ok(m, inst->memories[0]))
        err = kn_error_new(KILN_ERR_NOMEM, -1,
                           "no address space for the guard region of memory 0, which the "
                           "module's native code relies on");
    if (!err)
        err = make_globals(inst);
    if (!err)
        err = eval_elems(inst);
    if (!err)
        err = init_segments(inst, flags);
    if (!err && m->has_start && !(flags & KN_INST_NO_START)) {
        kn_slot slots[2] = {{0}};
        err = kn_store_call(s, inst->funcs[m->start], slots);
    }
    if (err)
        return err;
    *out = inst;
    return NULL;
}

/* ---- Exports ----------------------------------------------------------- */

const kiln_module *kiln_instance_module(const kiln_instance *inst)
{
    /* kiln_module is a kn_module wrapped in a struct; the first member
     * shares its address. */
    return inst ? (const kiln_module *)inst->module : NULL;
}

static const kn_export *find_export_n(const kiln_instance *inst, const char *name, size_t len,
                                      uint8_t kind)
{
    if (!inst || !name)
        return NULL;
    /* Compare lengths too: an export name may hold a NUL, and "a" must
     * not find "a\0b". */
    const kn_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const kn_export *e = &m->exports[i];
        if (e->kind == kind && e->name_len == len && memcmp(e->name, name, len) == 0)
            return e;
    }
    return NULL;
}

static const kn_export *find_export(const kiln_instance *inst, const char *name, uint8_t kind)
{
    return name ? find_export_n(inst, name, strlen(name), kind) : NULL;
}

kiln_func *kiln_instance_export_func(kiln_instance *inst, const char *name)
{
    const kn_export *e = find_export(inst, name, KN_EXT_FUNC);
    return e ? inst->funcs[e->index] : NULL;
}

kiln_func *kiln_instance_export_func_n(kiln_instance *inst, const char *name, size_t len)
{
    const kn_export *e = find_export_n(inst, name, len, KN_EXT_FUNC);
    return e ? inst->funcs[e->index] : NULL;
}

kiln_memory *kiln_instance_export_memory(kiln_instance *inst, const char *name)
{
    const kn_export *e = find_export(inst, name, KN_EXT_MEMORY);
    return e ? inst->memories[e->index] : NULL;
}

kiln_table *kiln_instance_export_table(kiln_instance *inst, const char *name)
{
    const kn_export *e = find_export(inst, name, KN_EXT_TABLE);
    return e ? inst->tables[e->index] : NULL;
}

kiln_global *kiln_instance_export_global(kiln_instance *inst, const char *name)
{
    const kn_export *e = find_export(inst, name, KN_EXT_GLOBAL);
    return e ? inst->globals[e->index] : NULL;
}
