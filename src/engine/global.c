/*
 * global.c — globals made by the host, and the API to read and write any
 * global.
 *
 * A global keeps its value in slot form (the interpreter reads and writes
 * it directly), so the API converts on every access.  The type never
 * changes; mutability is enforced here for the host and by validation for
 * Wasm code.
 */
#include <stdlib.h>

#include "runtime.h"

static bool valid_kind(kiln_valkind k)
{
    switch (k) {
    case KILN_I32: case KILN_I64: case KILN_F32: case KILN_F64: case KILN_V128:
    case KILN_FUNCREF: case KILN_EXTERNREF:
        return true;
    }
    return false;
}

kiln_error *kiln_global_new(kiln_store *store, kiln_val value, bool mutable_, kiln_global **out)
{
    if (!store || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_global_new: NULL argument");
    if (!valid_kind(value.kind))
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_global_new: bad value kind 0x%x",
                            (unsigned)value.kind);
    if (value.kind == KILN_FUNCREF && value.of.funcref && value.of.funcref->obj.store != store)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_global_new: function of another store");
    kiln_global *g = kn_calloc(kn_store_alloc(store), 1, sizeof *g);
    if (!g)
        return kn_error_nomem();
    g->type.type = (kn_valtype)value.kind;
    g->type.mut = mutable_;
    kn_val_to_slots(&value, g->value);
    g->obj.kind = KN_OBJ_GLOBAL;
    g->obj.store = store;
    g->obj.next = store->objects;
    store->objects = &g->obj;
    *out = g;
    return NULL;
}

kiln_val kiln_global_get(const kiln_global *g) { return kn_slots_to_val(g->type.type, g->value); }

kiln_valkind kiln_global_type(const kiln_global *g) { return (kiln_valkind)g->type.type; }

bool kiln_global_is_mutable(const kiln_global *g) { return g->type.mut; }

kiln_error *kiln_global_set(kiln_global *g, kiln_val v)
{
    if (!g)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_global_set: NULL global");
    if (!g->type.mut)
        return kn_error_new(KILN_ERR_ARG, -1, "global is immutable");
    if (v.kind != (kiln_valkind)g->type.type)
        return kn_error_new(KILN_ERR_ARG, -1, "global type mismatch: expected 0x%x, got 0x%x",
                            (unsigned)g->type.type, (unsigned)v.kind);
    if (v.kind == KILN_FUNCREF && v.of.funcref && v.of.funcref->obj.store != g->obj.store)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_global_set: function of another store");
    kn_val_to_slots(&v, g->value);
    return NULL;
}
