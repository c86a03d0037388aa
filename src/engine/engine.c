/*
 * engine.c — the engine: the one object shared by every module and store
 * made from it, and the table that gives each distinct function type an
 * engine-wide id.
 *
 * Canonical ids make type checks at call_indirect and at import matching a
 * single integer compare, across modules and host functions.  Ids are dense
 * (0, 1, 2, ...) and never reused while the engine lives, so two functions
 * have the same id iff their parameter and result lists are equal.  The
 * table only grows; it is guarded by a mutex because modules may be built
 * on several threads at once.  There is no global state: each engine has
 * its own table.
 *
 * The engine also holds the embedder's allocator hook (kn_alloc.h), fixed
 * for its life; everything made from the engine allocates through it.
 */
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "jit/jit.h"
#include "kn_alloc.h"
#include "module.h"
#include "runtime.h"

typedef struct kn_typeentry {
    uint32_t hash;
    uint32_t nparams, nresults;
    kn_valtype *types;           /* owned copy, nparams+nresults */
} kn_typeentry;

struct kiln_engine {
    kn_allocator alloc;          /* the embedder's hook; fixed for life */
    kiln_tier tier;              /* resolved: INTERP or NATIVE */
    bool no_write_map;           /* kiln_config.no_write_map */
    char *cache_dir;             /* owned copy, or NULL */
    mtx_t lock;
    kn_typeentry *entries;       /* indexed by canonical id */
    uint32_t nentries, cap_entries;
    uint32_t *slots;             /* open addressing: id+1, 0 = empty */
    uint32_t nslots;             /* power of two */
};

const char *kiln_version(void) { return KILN_VERSION_STRING; }

kiln_error *kiln_engine_new(const kiln_config *config, kiln_engine **out)
{
    if (!out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_engine_new: out is NULL");
    kn_allocator a = {config ? config->alloc : NULL, config ? config->alloc_ud : NULL};
    kiln_engine *e = kn_calloc(&a, 1, sizeof *e);
    if (!e)
        return kn_error_nomem();
    e->alloc = a;
    /* The native tier wherever it exists, unless asked for the interpreter. */
    e->tier = (config && config->tier == KILN_TIER_INTERP) || !kn_jit_available()
                  ? KILN_TIER_INTERP : KILN_TIER_NATIVE;
    e->no_write_map = config && config->no_write_map;
    if (config && config->cache_dir &&
        !(e->cache_dir = kn_strndup(&a, config->cache_dir, strlen(config->cache_dir)))) {
        kn_free(&a, e);
        return kn_error_nomem();
    }
    if (mtx_init(&e->lock, mtx_plain) != thrd_success) {
        kn_free(&a, e->cache_dir);
        kn_free(&a, e);
        return kn_error_nomem();
    }
    *out = e;
    return NULL;
}

void kiln_engine_free(kiln_engine *e)
{
    if (!e)
        return;
    kn_allocator a = e->alloc;
    for (uint32_t i = 0; i < e->nentries; i++)
        kn_free(&a, e->entries[i].types);
    kn_free(&a, e->entries);
    kn_free(&a, e->slots);
    kn_free(&a, e->cache_dir);
    mtx_destroy(&e->lock);
    kn_free(&a, e);
}

const kn_allocator *kn_engine_alloc(const kiln_engine *e) { return &e->alloc; }

kiln_tier kn_engine_tier(const kiln_engine *e) { return e->tier; }

bool kn_engine_no_write_map(const kiln_engine *e) { return e->no_write_map; }

const char *kn_engine_cache_dir(const kiln_engine *e) { return e->cache_dir; }

static uint32_t hash_type(const kn_valtype *types, uint32_t nparams, uint32_t nresults)
{
    /* FNV-1a; the counts go in first so (a)->(b) and (a b)->() differ. */
    uint32_t h = 2166136261u;
    uint32_t counts[2] = {nparams, nresults};
    const uint8_t *c = (const uint8_t *)counts;
    for (size_t i = 0; i < sizeof counts; i++)
        h = (h ^ c[i]) * 16777619u;
    for (uint64_t i = 0; i < (uint64_t)nparams + nresults; i++)
        h = (h ^ types[i]) * 16777619u;
    return h;
}

static bool same_type(const kn_typeentry *t, uint32_t hash, const kn_valtype *types,
                      uint32_t nparams, uint32_t nresults)
{
    return t->hash == hash && t->nparams == nparams && t->nresults == nresults &&
           (nparams + nresults == 0 ||
            memcmp(t->types, types, (size_t)nparams + nresults) == 0);
}

/* Rebuild the index at twice the size; entries keep their ids. */
static bool rehash(kiln_engine *e)
{
    uint32_t n = e->nslots ? e->nslots * 2 : 64;
    if (n < e->nslots)
        return false;
    uint32_t *slots = kn_calloc(&e->alloc, n, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t id = 0; id < e->nentries; id++) {
        uint32_t i = e->entries[id].hash & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = id + 1;
    }
    kn_free(&e->alloc, e->slots);
    e->slots = slots;
    e->nslots = n;
    return true;
}

static uint32_t intern_locked(kiln_engine *e, const kn_valtype *types, uint32_t nparams,
                              uint32_t nresults)
{
    uint32_t h = hash_type(types, nparams, nresults);
    if (e->nslots) {
        uint32_t i = h & (e->nslots - 1);
        for (; e->slots[i]; i = (i + 1) & (e->nslots - 1)) {
            const kn_typeentry *t = &e->entries[e->slots[i] - 1];
            if (same_type(t, h, types, nparams, nresults))
                return e->slots[i] - 1;
        }
    }
    /* Keep the index at most half full so probes stay short; the last id
     * is KN_CANON_NONE's, never handed out. */
    if (e->nentries >= KN_CANON_NONE - 1)
        return KN_CANON_NONE;
    if ((uint64_t)(e->nentries + 1) * 2 > e->nslots && !rehash(e))
        return KN_CANON_NONE;
    if (e->nentries == e->cap_entries) {
        uint32_t cap = e->cap_entries ? e->cap_entries * 2 : 32;
        kn_typeentry *ne = kn_realloc_n(&e->alloc, e->entries, cap, sizeof *ne);
        if (!ne)
            return KN_CANON_NONE;
        e->entries = ne;
        e->cap_entries = cap;
    }
    size_t n = (size_t)nparams + nresults;
    kn_valtype *copy = kn_malloc(&e->alloc, n);
    if (!copy)
        return KN_CANON_NONE;
    if (n)
        memcpy(copy, types, n);
    uint32_t id = e->nentries++;
    e->entries[id] = (kn_typeentry){h, nparams, nresults, copy};
    uint32_t i = h & (e->nslots - 1);
    while (e->slots[i])
        i = (i + 1) & (e->nslots - 1);
    e->slots[i] = id + 1;
    return id;
}

uint32_t kn_engine_intern_type(kiln_engine *e, const kn_valtype *types, uint32_t nparams,
                               uint32_t nresults)
{
    if (mtx_lock(&e->lock) != thrd_success)
        return KN_CANON_NONE;
    uint32_t id = intern_locked(e, types, nparams, nresults);
    mtx_unlock(&e->lock);
    return id;
}

const char *kiln_valkind_name(kiln_valkind k)
{
    switch (k) {
    case KILN_I32: return "i32";
    case KILN_I64: return "i64";
    case KILN_F32: return "f32";
    case KILN_F64: return "f64";
    case KILN_V128: return "v128";
    case KILN_FUNCREF: return "funcref";
    case KILN_EXTERNREF: return "externref";
    }
    return NULL;
}
