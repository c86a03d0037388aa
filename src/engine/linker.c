/*
 * linker.c — kiln_linker: a map from (module, name) to a store object, and
 * import resolution for instantiation.
 *
 * The linker names things; it owns only its copies of the names, never the
 * objects, which belong to the store.  Defining a name again replaces the
 * earlier definition (a spec script registers modules under names it may
 * reuse, and an embedder may override a default).  All objects must come
 * from the linker's store: an instance holds plain pointers to its imports,
 * which would dangle if their store were freed first.
 *
 * Import matching is the spec's: functions by canonical type id, globals by
 * type and mutability, tables by element type, and tables and memories by
 * limits subtyping with the current size standing for the minimum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* Names are byte strings with lengths: a Wasm name may hold a NUL, and
 * define_instance and instantiation use the module's names as they are. */
typedef struct kn_definition {
    char *module, *name;
    size_t module_len, name_len;
    uint32_t hash;
    kn_object *obj;
} kn_definition;

struct kiln_linker {
    kiln_store *store;
    kn_definition *defs;
    uint32_t ndefs, cap_defs;
    uint32_t *slots;             /* open addressing: index+1, 0 = empty */
    uint32_t nslots;             /* power of two, or 0 */
};

kiln_error *kiln_linker_new(kiln_store *store, kiln_linker **out)
{
    if (!store || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_linker_new: NULL argument");
    kiln_linker *l = kn_calloc(kn_store_alloc(store), 1, sizeof *l);
    if (!l)
        return kn_error_nomem();
    l->store = store;
    *out = l;
    return NULL;
}

void kiln_linker_free(kiln_linker *l)
{
    if (!l)
        return;
    const kn_allocator *a = kn_store_alloc(l->store);
    for (uint32_t i = 0; i < l->ndefs; i++) {
        kn_free(a, l->defs[i].module);
        kn_free(a, l->defs[i].name);
    }
    kn_free(a, l->defs);
    kn_free(a, l->slots);
    kn_free(a, l);
}

static uint32_t hash_name(const char *module, size_t module_len, const char *name,
                          size_t name_len)
{
    /* FNV-1a over module, its length, then name: ("ab","c") and ("a","bc")
     * differ. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < module_len; i++)
        h = (h ^ (uint8_t)module[i]) * 16777619u;
    h = (h ^ (uint32_t)module_len) * 16777619u;
    for (size_t i = 0; i < name_len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h;
}

static kn_definition *lookup(const kiln_linker *l, const char *module, size_t module_len,
                             const char *name, size_t name_len)
{
    if (!l->nslots)
        return NULL;
    uint32_t h = hash_name(module, module_len, name, name_len);
    for (uint32_t i = h & (l->nslots - 1); l->slots[i]; i = (i + 1) & (l->nslots - 1)) {
        kn_definition *d = &l->defs[l->slots[i] - 1];
        if (d->hash == h && d->module_len == module_len && d->name_len == name_len &&
            memcmp(d->module, module, module_len) == 0 && memcmp(d->name, name, name_len) == 0)
            return d;
    }
    return NULL;
}

static bool rehash(kiln_linker *l)
{
    uint32_t n = l->nslots ? l->nslots * 2 : 32;
    if (n < l->nslots)
        return false;
    uint32_t *slots = kn_calloc(kn_store_alloc(l->store), n, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t k = 0; k < l->ndefs; k++) {
        uint32_t i = l->defs[k].hash & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = k + 1;
    }
    kn_free(kn_store_alloc(l->store), l->slots);
    l->slots = slots;
    l->nslots = n;
    return true;
}


static kiln_error *define_n(kiln_linker *l, const char *module, size_t module_len,
                            const char *name, size_t name_len, kn_object *obj)
{
    if (obj->store != l->store)
        return kn_error_new(KILN_ERR_ARG, -1,
                            "kiln_linker_define: \"%s\" \"%s\" belongs to another store",
                            module, name);
    kn_definition *d = lookup(l, module, module_len, name, name_len);
    if (d) {
        d->obj = obj;
        return NULL;
    }
    if (l->ndefs >= UINT32_MAX / 4)
        return kn_error_nomem();
    if ((uint64_t)(l->ndefs + 1) * 2 > l->nslots && !rehash(l))
        return kn_error_nomem();
    if (l->ndefs == l->cap_defs) {
        uint32_t cap = l->cap_defs ? l->cap_defs * 2 : 16;
        kn_definition *nd = kn_realloc_n(kn_store_alloc(l->store), l->defs, cap, sizeof *nd);
        if (!nd)
            return kn_error_nomem();
        l->defs = nd;
        l->cap_defs = cap;
    }
    /* Copies with a NUL after them, so messages can print them. */
    const kn_allocator *a = kn_store_alloc(l->store);
    char *m = kn_strndup(a, module, module_len), *n = kn_strndup(a, name, name_len);
    if (!m || !n) {
        kn_free(a, m);
        kn_free(a, n);
        return kn_error_nomem();
    }
    uint32_t k = l->ndefs++;
    l->defs[k] = (kn_definition){m, n, module_len, name_len,
                                 hash_name(module, module_len, name, name_len), obj};
    uint32_t i = l->defs[k].hash & (l->nslots - 1);
    while (l->slots[i])
        i = (i + 1) & (l->nslots - 1);
    l->slots[i] = k + 1;
    return NULL;
}

static kiln_error *define(kiln_linker *l, const char *module, const char *name, kn_object *obj)
{
    if (!l || !module || !name || !obj)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_linker_define: NULL argument");
    return define_n(l, module, strlen(module), name, strlen(name), obj);
}

kiln_error *kiln_linker_define_func(kiln_linker *l, const char *module, const char *name,
                                    kiln_func *f)
{
    return define(l, module, name, f ? &f->obj : NULL);
}

kiln_error *kiln_linker_define_memory(kiln_linker *l, const char *module, const char *name,
                                      kiln_memory *m)
{
    return define(l, module, name, m ? &m->obj : NULL);
}

kiln_error *kiln_linker_define_table(kiln_linker *l, const char *module, const char *name,
                                     kiln_table *t)
{
    return define(l, module, name, t ? &t->obj : NULL);
}

kiln_error *kiln_linker_define_global(kiln_linker *l, const char *module, const char *name,
                                      kiln_global *g)
{
    return define(l, module, name, g ? &g->obj : NULL);
}

kiln_error *kiln_linker_define_instance(kiln_linker *l, const char *module,
                                        kiln_instance *inst)
{
    if (!l || !module || !inst)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_linker_define_instance: NULL argument");
    const kn_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const kn_export *e = &m->exports[i];
        kn_object *obj = NULL;
        switch (e->kind) {
        case KN_EXT_FUNC: obj = &inst->funcs[e->index]->obj; break;
        case KN_EXT_TABLE: obj = &inst->tables[e->index]->obj; break;
        case KN_EXT_MEMORY: obj = &inst->memories[e->index]->obj; break;
        case KN_EXT_GLOBAL: obj = &inst->globals[e->index]->obj; break;
        }
        if (!obj)
            continue;
        kiln_error *err = define_n(l, module, strlen(module), e->name, e->name_len, obj);
        if (err)
            return err;
    }
    return NULL;
}

/* ---- Import matching --------------------------------------------------- */

static const char *extern_name(int kind)
{
    switch (kind) {
    case KN_EXT_FUNC: return "function";
    case KN_EXT_TABLE: return "table";
    case KN_EXT_MEMORY: return "memory";
    case KN_EXT_GLOBAL: return "global";
    }
    return "?";
}

static int object_extern(kn_objkind k)
{
    switch (k) {
    case KN_OBJ_FUNC: return KN_EXT_FUNC;
    case KN_OBJ_TABLE: return KN_EXT_TABLE;
    case KN_OBJ_MEMORY: return KN_EXT_MEMORY;
    case KN_OBJ_GLOBAL: return KN_EXT_GLOBAL;
    case KN_OBJ_INSTANCE: break;
    }
    return -1;
}

/* Limits subtyping: `actual` fits where `expected` is wanted. */
static bool limits_match(kn_limits actual, kn_limits expected)
{
    if (actual.min < expected.min)
        return false;
    if (!expected.has_max)
        return true;
    return actual.has_max && actual.max <= expected.max;
}

static kiln_error *incompatible(const kn_import *im, const char *why)
{
    return kn_error_new(KILN_ERR_LINK, -1, "incompatible import type for \"%s\" \"%s\": %s",
                        im->module, im->name, why);
}

static kiln_error *check_import(const kn_module *m, const kn_import *im, kn_object *obj)
{
    int kind = object_extern(obj->kind);
    if (kind != im->kind) {
        char why[64];
        snprintf(why, sizeof why, "expected %s, got %s", extern_name(im->kind),
                 extern_name(kind));
        return incompatible(im, why);
    }
    switch (im->kind) {
    case KN_EXT_FUNC: {
        const kiln_func *f = (const kiln_func *)obj;
        if (f->canon != m->types[im->u.func_type].canon)
            return incompatible(im, "function type mismatch");
        break;
    }
    case KN_EXT_TABLE: {
        const kiln_table *t = (const kiln_table *)obj;
        if (t->elem != im->u.table.elem)
            return incompatible(im, "element type mismatch");
        kn_limits actual = t->decl;
        actual.min = t->size;
        if (!limits_match(actual, im->u.table.limits))
            return incompatible(im, "table limits mismatch");
        break;
    }
    case KN_EXT_MEMORY: {
        const kiln_memory *mem = (const kiln_memory *)obj;
        kn_limits actual = mem->decl;
        actual.min = mem->size / KN_PAGE_SIZE;
        if (!limits_match(actual, im->u.memory))
            return incompatible(im, "memory limits mismatch");
        break;
    }
    case KN_EXT_GLOBAL: {
        const kiln_global *g = (const kiln_global *)obj;
        if (g->type.type != im->u.global.type || g->type.mut != im->u.global.mut)
            return incompatible(im, "global type mismatch");
        break;
    }
    }
    return NULL;
}

kiln_error *kiln_linker_instantiate(kiln_linker *l, const kiln_module *mod, kiln_instance **out)
{
    if (!l || !mod || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_linker_instantiate: NULL argument");
    const kn_module *m = &mod->m;
    if (m->engine != l->store->engine)
        return kn_error_new(KILN_ERR_ARG, -1,
                            "kiln_linker_instantiate: module and store have different engines");
    kn_object **imports = kn_calloc(kn_store_alloc(l->store), m->nimports, sizeof *imports);
    if (!imports)
        return kn_error_nomem();
    kiln_error *err = NULL;
    for (uint32_t i = 0; i < m->nimports && !err; i++) {
        const kn_import *im = &m->imports[i];
        const kn_definition *d =
            lookup(l, im->module, im->module_len, im->name, im->name_len);
        if (!d)
            err = kn_error_new(KILN_ERR_LINK, -1, "unknown import \"%s\" \"%s\"", im->module,
                               im->name);
        else if (!(err = check_import(m, im, d->obj)))
            imports[i] = d->obj;
    }
    if (!err)
        err = kn_instantiate(l->store, m, imports, out);
    kn_free(kn_store_alloc(l->store), imports);
    return err;
}
