/*
 * kn_alloc.h — every heap allocation of the engine (src/engine/) and of
 * WASI (src/wasi/) goes through these calls, and through them through the
 * embedder's kiln_alloc_fn (kiln.h), or malloc/realloc/free by default.
 *
 * The hook is told the old size of every block it reallocates or frees.
 * Rather than have each call site remember sizes (arrays grown by doubling,
 * partly filled ones freed on an error path), each block carries its size
 * in a header of one max_align_t in front of it; the hook sees (and counts)
 * the header too.  Allocation is never on the interpreter's hot path, so
 * the few bytes and the indirect call cost nothing that matters.
 *
 * Invariants: a NULL result always means out of memory (a zero-byte request
 * still gets a block); a block is returned to the allocator that made it;
 * kn_free(a, NULL) does nothing.  Only kiln.h is needed, so WASI, which is
 * written on the public API like any embedder, can use it too.
 */
#ifndef KN_ALLOC_H
#define KN_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

typedef struct kn_allocator {
    kiln_alloc_fn fn;            /* NULL: malloc, realloc, free */
    void *ud;
} kn_allocator;

typedef union kn_alloc_header {
    size_t size;                 /* bytes after the header */
    max_align_t align;
} kn_alloc_header;

#define KN_ALLOC_HDR sizeof(kn_alloc_header)

static inline kn_alloc_header *kn_alloc_hdr_(void *p)
{
    return (kn_alloc_header *)((char *)p - KN_ALLOC_HDR);
}

/* One call of the hook (or of libc) for a whole block, header included. */
static inline void *kn_alloc_raw_(const kn_allocator *a, void *p, size_t old, size_t n)
{
    if (a->fn)
        return a->fn(a->ud, p, old, n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}

/* p resized to n bytes (p may be NULL); NULL and p untouched on failure. */
static inline void *kn_realloc(const kn_allocator *a, void *p, size_t n)
{
    if (n > SIZE_MAX - KN_ALLOC_HDR)
        return NULL;
    /* A zero-byte block still gets one byte, so the pointer handed out lies
     * inside the block and not one past its end: a leak checker (LSan)
     * would take a block whose only pointer is past its end for a leak. */
    n += n == 0;
    kn_alloc_header *h = p ? kn_alloc_hdr_(p) : NULL;
    size_t old = h ? h->size + KN_ALLOC_HDR : 0;
    h = (kn_alloc_header *)kn_alloc_raw_(a, h, old, n + KN_ALLOC_HDR);
    if (!h)
        return NULL;
    h->size = n;
    return (char *)h + KN_ALLOC_HDR;
}

static inline void *kn_malloc(const kn_allocator *a, size_t n) { return kn_realloc(a, NULL, n); }

/* n * size bytes, zeroed; NULL also when the product overflows. */
static inline void *kn_calloc(const kn_allocator *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = kn_malloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

/* n elements of size bytes each: the array reallocated, NULL on overflow
 * or when out of memory (p untouched). */
static inline void *kn_realloc_n(const kn_allocator *a, void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return kn_realloc(a, p, n * size);
}

static inline void kn_free(const kn_allocator *a, void *p)
{
    if (!p)
        return;
    kn_alloc_header *h = kn_alloc_hdr_(p);
    kn_alloc_raw_(a, h, h->size + KN_ALLOC_HDR, 0);
}

/* A copy of the n bytes at s with a NUL after them. */
static inline char *kn_strndup(const kn_allocator *a, const char *s, size_t n)
{
    char *d = n < SIZE_MAX ? (char *)kn_malloc(a, n + 1) : NULL;
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

#endif
