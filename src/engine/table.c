/*
 * table.c — tables of references.
 *
 * A table is a growable array of pointers: kiln_func* for funcref tables,
 * the embedder's void* for externref tables, NULL for a null reference.
 * Unlike memory it may move when it grows (nothing caches its address
 * across a table.grow).
 *
 * Invariants: size <= capacity, size <= limits.max (the effective cap: the
 * declared maximum, or 2^32-1, capped by the store's max_table_elems), and
 * elems[0 .. size) are initialised.
 */
#include <stdlib.h>

#include "runtime.h"

/* The 32-bit table index space. */
#define KN_MAX_TABLE32 UINT32_MAX

kiln_error *kn_table_create(kiln_store *s, const kn_tabletype *tt, kiln_table **out)
{
    uint64_t cap = tt->limits.has_max ? tt->limits.max : KN_MAX_TABLE32;
    if (cap > KN_MAX_TABLE32)
        cap = KN_MAX_TABLE32;
    if (cap > s->limits.max_table_elems)
        cap = s->limits.max_table_elems;
    uint64_t min = tt->limits.min;
    if (min > cap)
        return kn_error_new(KILN_ERR_LIMIT, -1,
                            "table of %llu elements exceeds the limit of %llu elements",
                            (unsigned long long)min, (unsigned long long)cap);
    if (min > SIZE_MAX / sizeof(void *))
        return kn_error_nomem();

    kiln_table *t = kn_calloc(kn_store_alloc(s), 1, sizeof *t);
    if (!t)
        return kn_error_nomem();
    t->elems = kn_malloc(kn_store_alloc(s), min ? (size_t)min * sizeof(void *) : sizeof(void *));
    if (!t->elems) {
        kn_free(kn_store_alloc(s), t);
        return kn_error_nomem();
    }
    for (uint64_t i = 0; i < min; i++)
        t->elems[i] = NULL;
    t->elem = tt->elem;
    t->size = min;
    t->capacity = min ? min : 1;
    t->limits = (kn_limits){.min = min, .max = cap, .has_max = true};
    t->decl = tt->limits;
    t->obj.kind = KN_OBJ_TABLE;
    t->obj.store = s;
    t->obj.next = s->objects;
    s->objects = &t->obj;
    *out = t;
    return NULL;
}

int64_t kn_table_grow(kiln_table *t, uint64_t delta, void *init)
{
    uint64_t old = t->size;
    if (delta > t->limits.max - old)
        return -1;
    uint64_t size = old + delta;
    if (size > t->capacity) {
        /* Double to keep repeated small grows linear overall, but never
         * allocate past the cap. */
        uint64_t cap = t->capacity * 2;
        if (cap < size)
            cap = size;
        if (cap > t->limits.max)
            cap = t->limits.max;
        if (cap > SIZE_MAX / sizeof(void *))
            return -1;
        void **e = kn_realloc(kn_store_alloc(t->obj.store), t->elems, (size_t)cap * sizeof(void *));
        if (!e)
            return -1;
        t->elems = e;
        t->capacity = cap;
    }
    for (uint64_t i = old; i < size; i++)
        t->elems[i] = init;
    t->size = size;
    return (int64_t)old;
}

/* ---- Public API -------------------------------------------------------- */

kiln_error *kiln_table_new(kiln_store *store, kiln_valkind elem, kiln_limits limits,
                           kiln_table **out)
{
    if (!store || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_table_new: NULL argument");
    if (elem != KILN_FUNCREF && elem != KILN_EXTERNREF)
        return kn_error_new(KILN_ERR_ARG, -1, "table element type must be a reference type");
    if (limits.min > KN_MAX_TABLE32 || (limits.has_max && limits.max > KN_MAX_TABLE32))
        return kn_error_new(KILN_ERR_ARG, -1, "table size must be at most 2^32-1");
    if (limits.has_max && limits.min > limits.max)
        return kn_error_new(KILN_ERR_ARG, -1,
                            "size minimum must not be greater than maximum");
    kn_tabletype tt = {.elem = (kn_valtype)elem,
                       .limits = {.min = limits.min, .max = limits.max, .has_max = limits.has_max}};
    return kn_table_create(store, &tt, out);
}

uint64_t kiln_table_size(const kiln_table *t) { return t ? t->size : 0; }

bool kiln_table_get(const kiln_table *t, uint64_t i, kiln_val *out)
{
    if (!t || !out || i >= t->size)
        return false;
    out->kind = (kiln_valkind)t->elem;
    if (t->elem == KN_FUNCREF)
        out->of.funcref = t->elems[i];
    else
        out->of.externref = t->elems[i];
    return true;
}
