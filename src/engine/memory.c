/*
 * memory.c — linear memories.
 *
 * A memory reserves, once, address space for the largest size it may ever
 * reach (its declared maximum, or 4 GiB for a 32-bit memory without one,
 * capped by the store's max_memory_bytes) plus a guard region, and commits
 * pages as it grows.  So `data` never moves: the interpreter may cache it,
 * and growth is an mprotect, not a copy.  If the address space for the full
 * reservation cannot be had, a smaller one is taken and the cap lowered to
 * match; memory.grow is allowed to fail, so this only makes growth fail
 * earlier.
 *
 * In a native-tier store, when guard pages work here (kn_jit_guard_pages),
 * a memory instead reserves KN_GUARDED_RESERVE whatever its cap, so that
 * compiled code can leave out bounds checks and let the fault handler
 * turn an access past the end into a trap (jit.c).  If that much address
 * space is not there, the memory is made as above, unguarded, and
 * instantiating a module whose code relies on guards fails (instance.c).
 *
 * The reservation starts with the written-page map (KN_DIRTY_MAP bytes,
 * runtime.h), read-write from the start, and `data` follows it.
 *
 * Invariants: size is a multiple of KN_PAGE_SIZE, limits.max (pages) is the
 * effective cap, limits.max * KN_PAGE_SIZE + KN_GUARD_BYTES <= reserved, and
 * of [data, data+reserved) exactly [data, data+size) is accessible.
 */
#include <stdlib.h>
#include <string.h>

#include "jit/jit.h"
#include "os/os.h"
#include "runtime.h"

/* A guard region past the largest size: bounds checks are the real
 * protection, the guard turns a bug in them into a fault instead of a
 * read of a neighbouring mapping. */
#define KN_GUARD_BYTES ((uint64_t)KN_PAGE_SIZE)
/* The 32-bit memory index space: 4 GiB. */
#define KN_MAX_PAGES32 65536u

kiln_error *kn_memory_create(kiln_store *s, kn_limits pages, kiln_memory **out)
{
    uint64_t cap = pages.has_max ? pages.max : KN_MAX_PAGES32;
    if (cap > KN_MAX_PAGES32)
        cap = KN_MAX_PAGES32;
    uint64_t store_cap = s->limits.max_memory_bytes / KN_PAGE_SIZE;
    if (cap > store_cap)
        cap = store_cap;
    if (pages.min > cap)
        return kn_error_new(KILN_ERR_LIMIT, -1,
                            "memory of %llu pages exceeds the limit of %llu pages",
                            (unsigned long long)pages.min, (unsigned long long)cap);

    kiln_memory *m = kn_calloc(kn_store_alloc(s), 1, sizeof *m);
    if (!m)
        return kn_error_nomem();
    uint8_t *base = NULL;        /* the map, then data */
    if (kn_engine_tier(s->engine) == KILN_TIER_NATIVE && kn_jit_guard_pages()) {
        base = kn_os_reserve_guarded(KN_DIRTY_MAP + KN_GUARDED_RESERVE);
        m->reserved = KN_GUARDED_RESERVE;
        m->guarded = base != NULL;
    }
    /* Halve the reservation until the address space is there, but never
     * below the initial size. */
    while (!base) {
        m->reserved = cap * KN_PAGE_SIZE + KN_GUARD_BYTES;
        base = kn_os_reserve(KN_DIRTY_MAP + m->reserved);
        if (base || cap == pages.min)
            break;
        cap = cap / 2 > pages.min ? cap / 2 : pages.min;
    }
    if (!base) {
        kn_free(kn_store_alloc(s), m);
        return kn_error_nomem();
    }
    m->data = base + KN_DIRTY_MAP;
    m->size = pages.min * KN_PAGE_SIZE;
    if (!kn_os_commit(base, KN_DIRTY_MAP + m->size)) {   /* the map, then the pages */
        kn_memory_release(m);
        kn_free(kn_store_alloc(s), m);
        return kn_error_nomem();
    }
    m->limits = (kn_limits){.min = pages.min, .max = cap, .has_max = true};
    m->decl = pages;
    m->obj.kind = KN_OBJ_MEMORY;
    m->obj.store = s;
    m->obj.next = s->objects;
    s->objects = &m->obj;
    *out = m;
    return NULL;
}

void kn_memory_release(kiln_memory *m)
{
    if (m->guarded)
        kn_os_release_guarded(kn_dirty_map(m->data), KN_DIRTY_MAP + m->reserved);
    else
        kn_os_release(kn_dirty_map(m->data), KN_DIRTY_MAP + m->reserved);
}

int64_t kn_memory_grow(kiln_memory *m, uint64_t delta)
{
    uint64_t old = m->size / KN_PAGE_SIZE;
    if (delta > m->limits.max - old)
        return -1;
    if (delta == 0)
        return (int64_t)old;
    uint64_t add = delta * KN_PAGE_SIZE;
    if (!kn_os_commit(m->data + m->size, add))
        return -1;
    m->size += add;
    return (int64_t)old;
}

/* ---- Public API -------------------------------------------------------- */

kiln_error *kiln_memory_new(kiln_store *store, kiln_limits pages, kiln_memory **out)
{
    if (!store || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_memory_new: NULL argument");
    if (pages.min > KN_MAX_PAGES32 || (pages.has_max && pages.max > KN_MAX_PAGES32))
        return kn_error_new(KILN_ERR_ARG, -1,
                            "memory size must be at most 65536 pages (4 GiB)");
    if (pages.has_max && pages.min > pages.max)
        return kn_error_new(KILN_ERR_ARG, -1,
                            "size minimum must not be greater than maximum");
    kn_limits l = {.min = pages.min, .max = pages.max, .has_max = pages.has_max};
    return kn_memory_create(store, l, out);
}

uint64_t kiln_memory_size(const kiln_memory *m) { return m ? m->size : 0; }

/* Phrased as subtraction so addr + len cannot wrap around. */
static bool in_bounds(const kiln_memory *m, uint64_t addr, uint64_t len)
{
    return addr <= m->size && (uint64_t)len <= m->size - addr;
}

uint8_t *kiln_memory_data(kiln_memory *m)
{
    if (!m)
        return NULL;
    m->untracked = true;
    return m->data;
}

uint8_t *kiln_memory_data_reported(kiln_memory *m) { return m ? m->data : NULL; }

void kiln_memory_wrote(kiln_memory *m, uint64_t addr, uint64_t len)
{
    if (m && in_bounds(m, addr, len))
        kn_dirty_range(m->data, addr, len);
    else if (m)
        m->untracked = true;
}

bool kiln_memory_read(const kiln_memory *m, uint64_t addr, void *dst, size_t len)
{
    if (!m || !in_bounds(m, addr, len) || (len && !dst))
        return false;
    if (len)
        memmove(dst, m->data + addr, len);
    return true;
}

bool kiln_memory_write(kiln_memory *m, uint64_t addr, const void *src, size_t len)
{
    if (!m || !in_bounds(m, addr, len) || (len && !src))
        return false;
    if (len)
        memmove(m->data + addr, src, len);
    kn_dirty_range(m->data, addr, len);
    return true;
}

int64_t kiln_memory_grow(kiln_memory *m, uint64_t delta)
{
    return m ? kn_memory_grow(m, delta) : -1;
}
