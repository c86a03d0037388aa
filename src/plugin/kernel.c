/*
 * kernel.c — the Extism kernel memory of kernel.h, in C.
 *
 * The arena is one byte array addressed by offsets.  [0, KN_KBASE) is
 * never handed out nor readable, so handle 0 is null.  Blocks tile
 * [KN_KBASE, top) without gaps, in address order; each starts 8-aligned
 * and its size is the request rounded up to 8.  Extism's wasm kernel keeps
 * a header in front of each block inside kernel memory (where a plugin's
 * store_u64 can overwrite it) and walks every block for length and free;
 * here the bookkeeping lives outside the arena, so the plugin cannot reach
 * it and no kernel call walks the arena:
 *   - one record per block (offset, size, bytes asked for, live or free,
 *     neighbours in address order) in an array indexed by uint32;
 *   - a hash table (linear probing) from the offset of each LIVE block to
 *     its record: length, length_unsafe and free are O(1) and exact;
 *   - free blocks in lists by power-of-two size class, with a bitmap of
 *     the non-empty classes.
 * alloc takes a free block of the request's class (looking at no more
 * than KN_KSCAN of them) or the head of the smallest larger class, and
 * splits off the rest when at least KN_KSPLIT bytes remain (Extism: first
 * fit by address, split at 128); otherwise it grows a free last block, or
 * bumps top (the arena grows by doubling realloc; handles are offsets, so
 * they survive the move).  free merges the block with both free
 * neighbours at once (Extism never merges).  Every call is O(1) amortized
 * apart from that bounded scan, so no host call of a hostile plugin can
 * take long.
 *
 * What a plugin observes is Extism's: alloc(0) = 0; length of anything but
 * a live block's start is 0; free of a non-block or a freed block does
 * nothing, and freeing the input block makes input_length 0; memory stays
 * readable after free (until reset); output_set and error_set ignore
 * ranges outside kernel memory, as Extism's bounds-checked kernel does.
 * memory_bytes is top: loads and stores reach [KN_KBASE, top).
 *
 * Invariants: blocks tile [KN_KBASE, top); no two neighbours are both
 * free; the hash holds exactly the live blocks; every byte of
 * [KN_KBASE, top) was written during the current call (bytes new to a
 * block are zeroed or copied over), so a call never reads what an earlier
 * call, maybe another caller's, left in the arena.  reset is O(1): a
 * generation number empties the hash, and only buffers grown past what a
 * small call needs are given back.  max_bytes bounds host memory: arena
 * bytes plus KN_KMETA per block count against it.  Loads are
 * little-endian as in wasm (x86-64 only, like the rest of kiln).
 */
#include "kernel.h"

#include <stdlib.h>
#include <string.h>

#define KN_KBASE 8u                    /* first block offset; [0, 8) unreachable */
#define KN_KNONE UINT32_MAX
#define KN_KSCAN 8                     /* free blocks tried in the request's class */
#define KN_KSPLIT 64                   /* split a reused block leaving >= this */
#define KN_KINIT 4096u                 /* first arena size, and what reset keeps */
#define KN_KKEEP (1u << 20)            /* reset gives back arenas larger than this */
#define KN_KRECS_KEEP 4096u            /* ... and record arrays, hashes larger than this */
#define KN_KHASH_MIN 64u
#define KN_KDEFAULT_MAX (1ull << 30)

typedef struct kn_kblk {
    uint64_t off, size;
    uint64_t used;                     /* bytes asked for: what length says */
    uint32_t prev, next;               /* neighbours in address order */
    uint32_t fprev, fnext;             /* free list; fnext also chains spare records */
    bool live;
} kn_kblk;

typedef struct kn_kslot {
    uint64_t off;
    uint32_t idx;
    uint32_t gen;                      /* != kernel's gen: empty */
} kn_kslot;

/* Host bytes a block costs beyond its data: its record and, at the hash's
 * worst load, two slots. */
#define KN_KMETA (sizeof(kn_kblk) + 2 * sizeof(kn_kslot))

struct kn_kernel {
    uint8_t *mem;
    uint64_t cap, top, max;
    kn_kblk *blk;
    uint32_t nrec, reccap;             /* records ever used since reset, array size */
    uint32_t spare;                    /* chain of records given back by merges */
    uint32_t nblocks, tail;            /* blocks now; the last one in address order */
    kn_kslot *hash;
    uint32_t hcap, hcount, hshift, gen;
    uint64_t fmask;                    /* bit c: free list c is not empty */
    uint32_t fhead[64];
    uint64_t in_off, in_len, out_off, out_len, err;
};

static const uint8_t kn_kempty[1];

/* ---- Hash: live block offset -> record ---------------------------------- */

static inline uint32_t kn_kslot_of(const kn_kernel *k, uint64_t off)
{
    return (uint32_t)(((off >> 3) * 0x9E3779B97F4A7C15ull) >> k->hshift);
}

static uint32_t kn_kfind(const kn_kernel *k, uint64_t off)
{
    uint32_t m = k->hcap - 1;
    for (uint32_t i = kn_kslot_of(k, off);; i = (i + 1) & m) {
        const kn_kslot *s = &k->hash[i];
        if (s->gen != k->gen)
            return KN_KNONE;
        if (s->off == off)
            return s->idx;
    }
}

static void kn_kput(kn_kernel *k, uint64_t off, uint32_t idx)
{
    uint32_t m = k->hcap - 1, i = kn_kslot_of(k, off);
    while (k->hash[i].gen == k->gen)
        i = (i + 1) & m;
    k->hash[i] = (kn_kslot){off, idx, k->gen};
    k->hcount++;
}

static kn_kslot *kn_khash_alloc(uint32_t cap)
{
    return calloc(cap, sizeof(kn_kslot));     /* gen 0: empty (gen is never 0) */
}

static void kn_khash_install(kn_kernel *k, kn_kslot *h, uint32_t cap)
{
    free(k->hash);
    k->hash = h;
    k->hcap = cap;
    k->hshift = 64 - (uint32_t)__builtin_ctz(cap);
    k->hcount = 0;
}

/* Room for one more entry at load <= 1/2, so kn_kput cannot fail. */
static bool kn_kreserve(kn_kernel *k)
{
    if ((uint64_t)(k->hcount + 1) * 2 <= k->hcap)
        return true;
    if (k->hcap > UINT32_MAX / 2)
        return false;
    uint32_t cap = k->hcap * 2;
    kn_kslot *h = kn_khash_alloc(cap), *old = k->hash;
    if (!h)
        return false;
    uint32_t oldcap = k->hcap, gen = k->gen;
    k->hash = NULL;
    kn_khash_install(k, h, cap);
    for (uint32_t i = 0; i < oldcap; i++)
        if (old[i].gen == gen)
            kn_kput(k, old[i].off, old[i].idx);
    free(old);
    return true;
}

/* Backward-shift deletion: later entries of the probe run move up, so a
 * lookup still stops at the first empty slot. */
static void kn_kdel(kn_kernel *k, uint64_t off)
{
    uint32_t m = k->hcap - 1, i = kn_kslot_of(k, off);
    while (k->hash[i].gen == k->gen && k->hash[i].off != off)
        i = (i + 1) & m;
    if (k->hash[i].gen != k->gen)
        return;
    for (uint32_t j = (i + 1) & m; k->hash[j].gen == k->gen; j = (j + 1) & m) {
        uint32_t home = kn_kslot_of(k, k->hash[j].off);
        if (((j - home) & m) >= ((j - i) & m)) {
            k->hash[i] = k->hash[j];
            i = j;
        }
    }
    k->hash[i].gen = k->gen - 1;
    k->hcount--;
}

/* ---- Records and free lists --------------------------------------------- */

static uint32_t kn_krec_new(kn_kernel *k)
{
    if (k->spare != KN_KNONE) {
        uint32_t i = k->spare;
        k->spare = k->blk[i].fnext;
        return i;
    }
    if (k->nrec == k->reccap) {
        if (k->reccap >= UINT32_MAX / 2)
            return KN_KNONE;
        uint32_t cap = k->reccap ? k->reccap * 2 : 16;
        kn_kblk *b = realloc(k->blk, (size_t)cap * sizeof *b);
        if (!b)
            return KN_KNONE;
        k->blk = b;
        k->reccap = cap;
    }
    return k->nrec++;
}

static inline unsigned kn_kclass(uint64_t size)
{
    return 63u - (unsigned)__builtin_clzll(size);
}

static void kn_kfree_push(kn_kernel *k, uint32_t i)
{
    kn_kblk *b = &k->blk[i];
    unsigned c = kn_kclass(b->size);
    b->fprev = KN_KNONE;
    b->fnext = (k->fmask >> c & 1) ? k->fhead[c] : KN_KNONE;
    if (b->fnext != KN_KNONE)
        k->blk[b->fnext].fprev = i;
    k->fhead[c] = i;
    k->fmask |= 1ull << c;
}

static void kn_kfree_pop(kn_kernel *k, uint32_t i)
{
    kn_kblk *b = &k->blk[i];
    if (b->fnext != KN_KNONE)
        k->blk[b->fnext].fprev = b->fprev;
    if (b->fprev != KN_KNONE) {
        k->blk[b->fprev].fnext = b->fnext;
    } else {
        unsigned c = kn_kclass(b->size);
        k->fhead[c] = b->fnext;
        if (b->fnext == KN_KNONE)
            k->fmask &= ~(1ull << c);
    }
}

/* b, the block after a, joins a; b's record becomes spare. */
static void kn_kabsorb(kn_kernel *k, uint32_t a, uint32_t b)
{
    k->blk[a].size += k->blk[b].size;
    k->blk[a].next = k->blk[b].next;
    if (k->blk[a].next != KN_KNONE)
        k->blk[k->blk[a].next].prev = a;
    else
        k->tail = a;
    k->blk[b].fnext = k->spare;
    k->spare = b;
    k->nblocks--;
}

/* ---- Allocation ---------------------------------------------------------- */

static bool kn_kcharge_ok(const kn_kernel *k, uint64_t top, uint32_t blocks)
{
    return top <= k->max && (uint64_t)blocks * KN_KMETA <= k->max - top;
}

/* Block i (not on a free list) keeps sz bytes; the rest, if worth it,
 * becomes a free block after it.  The rest's neighbour after it is live
 * (no two free neighbours), so it needs no merging. */
static void kn_ksplit(kn_kernel *k, uint32_t i, uint64_t sz)
{
    uint64_t rest = k->blk[i].size - sz;
    if (rest < KN_KSPLIT || !kn_kcharge_ok(k, k->top, k->nblocks + 1))
        return;
    uint32_t j = kn_krec_new(k);
    if (j == KN_KNONE)
        return;
    kn_kblk *a = &k->blk[i];
    k->blk[j] = (kn_kblk){.off = a->off + sz, .size = rest, .prev = i, .next = a->next};
    if (a->next != KN_KNONE)
        k->blk[a->next].prev = j;
    else
        k->tail = j;
    a->next = j;
    a->size = sz;
    k->nblocks++;
    kn_kfree_push(k, j);
}

static uint32_t kn_ktake_free(kn_kernel *k, uint64_t sz)
{
    unsigned c = kn_kclass(sz);
    uint32_t i = KN_KNONE;
    if (k->fmask >> c & 1) {
        uint32_t j = k->fhead[c];
        for (int n = 0; j != KN_KNONE && n < KN_KSCAN; j = k->blk[j].fnext, n++)
            if (k->blk[j].size >= sz) {
                i = j;
                break;
            }
    }
    if (i == KN_KNONE) {
        /* Any block of a larger class is big enough. */
        uint64_t larger = k->fmask & ~((2ull << c) - 1);
        if (!larger)
            return KN_KNONE;
        i = k->fhead[__builtin_ctzll(larger)];
    }
    kn_kfree_pop(k, i);
    kn_ksplit(k, i, sz);
    return i;
}

static bool kn_kgrow(kn_kernel *k, uint64_t need)
{
    if (need <= k->cap)
        return true;
    uint64_t cap = k->cap ? k->cap : KN_KINIT;
    while (cap < need)
        cap *= 2;
    if (cap > k->max)
        cap = k->max > need ? k->max : need;
    uint8_t *m = realloc(k->mem, (size_t)cap);
    if (!m)
        return false;
    k->mem = m;
    k->cap = cap;
    return true;
}

/* Memory past top: a free last block grows into it, else a new block
 * starts at top.  Bytes new to this call are zeroed when zero is set. */
static uint32_t kn_kbump(kn_kernel *k, uint64_t sz, bool zero)
{
    uint32_t t = k->tail;
    bool grow_tail = t != KN_KNONE && !k->blk[t].live;
    uint64_t start = grow_tail ? k->blk[t].off : k->top;
    if (start > k->max || sz > k->max - start)
        return KN_KNONE;
    uint64_t end = start + sz;
    if (grow_tail && end <= k->top) {          /* missed by the bounded scan */
        kn_kfree_pop(k, t);
        kn_ksplit(k, t, sz);
        return t;
    }
    if (!kn_kcharge_ok(k, end, k->nblocks + !grow_tail) || !kn_kgrow(k, end))
        return KN_KNONE;
    uint32_t i = t;
    if (grow_tail) {
        kn_kfree_pop(k, t);
    } else {
        i = kn_krec_new(k);
        if (i == KN_KNONE)
            return KN_KNONE;
        k->blk[i] = (kn_kblk){.off = start, .prev = t, .next = KN_KNONE};
        if (t != KN_KNONE)
            k->blk[t].next = i;
        k->tail = i;
        k->nblocks++;
    }
    if (zero)
        memset(k->mem + k->top, 0, (size_t)(end - k->top));
    k->blk[i].size = sz;
    k->top = end;
    return i;
}

static uint32_t kn_kalloc(kn_kernel *k, uint64_t n, bool zero)
{
    if (n == 0 || n > k->max || !kn_kreserve(k))
        return KN_KNONE;
    uint64_t sz = (n + 7) & ~(uint64_t)7;
    uint32_t i = kn_ktake_free(k, sz);
    if (i == KN_KNONE)
        i = kn_kbump(k, sz, zero);
    if (i == KN_KNONE)
        return KN_KNONE;
    k->blk[i].used = n;
    k->blk[i].live = true;
    kn_kput(k, k->blk[i].off, i);
    return i;
}

/* ---- kernel.h ------------------------------------------------------------ */

kiln_error *kn_kernel_new(uint64_t max_bytes, kn_kernel **out)
{
    kn_kernel *k = calloc(1, sizeof *k);
    kn_kslot *h = kn_khash_alloc(KN_KHASH_MIN);
    if (!k || !h) {
        free(k);
        free(h);
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory creating a plugin's kernel memory");
    }
    k->max = max_bytes ? max_bytes : KN_KDEFAULT_MAX;
    k->gen = 1;
    kn_khash_install(k, h, KN_KHASH_MIN);
    k->top = KN_KBASE;
    k->tail = k->spare = KN_KNONE;
    *out = k;
    return NULL;
}

void kn_kernel_free(kn_kernel *k)
{
    if (!k)
        return;
    free(k->mem);
    free(k->blk);
    free(k->hash);
    free(k);
}

/* Buffers a large call grew are given back; each step is one free or one
 * small realloc/calloc, never a walk. */
static void kn_kshrink(kn_kernel *k)
{
    if (k->cap > KN_KKEEP) {
        uint8_t *m = realloc(k->mem, KN_KINIT);
        if (m) {
            k->mem = m;
            k->cap = KN_KINIT;
        }
    }
    if (k->reccap > KN_KRECS_KEEP) {
        free(k->blk);
        k->blk = NULL;
        k->reccap = 0;
    }
    if (k->hcap > KN_KRECS_KEEP) {
        kn_kslot *h = kn_khash_alloc(KN_KHASH_MIN);
        if (h)
            kn_khash_install(k, h, KN_KHASH_MIN);
    }
}

void kn_kernel_reset(kn_kernel *k)
{
    k->top = KN_KBASE;
    k->nrec = k->nblocks = 0;
    k->tail = k->spare = KN_KNONE;
    k->fmask = 0;
    k->hcount = 0;
    if (++k->gen == 0) {                       /* once per 2^32 resets */
        memset(k->hash, 0, (size_t)k->hcap * sizeof *k->hash);
        k->gen = 1;
    }
    k->in_off = k->in_len = k->out_off = k->out_len = k->err = 0;
    kn_kshrink(k);
}

uint64_t kn_kernel_alloc(kn_kernel *k, uint64_t n)
{
    uint32_t i = kn_kalloc(k, n, true);
    return i == KN_KNONE ? 0 : k->blk[i].off;
}

void kn_kernel_dealloc(kn_kernel *k, uint64_t handle)
{
    uint32_t i = kn_kfind(k, handle);
    if (i == KN_KNONE)
        return;
    kn_kdel(k, handle);
    k->blk[i].live = false;
    if (handle == k->in_off)
        k->in_len = 0;
    uint32_t n = k->blk[i].next, p = k->blk[i].prev;
    if (n != KN_KNONE && !k->blk[n].live) {
        kn_kfree_pop(k, n);
        kn_kabsorb(k, i, n);
    }
    if (p != KN_KNONE && !k->blk[p].live) {
        kn_kfree_pop(k, p);
        kn_kabsorb(k, p, i);
        i = p;
    }
    kn_kfree_push(k, i);
}

uint64_t kn_kernel_length(const kn_kernel *k, uint64_t handle)
{
    uint32_t i = kn_kfind(k, handle);
    return i == KN_KNONE ? 0 : k->blk[i].used;
}

/* Extism's length_unsafe skips the walk that makes length slow there; the
 * exact lookup costs the same here, so both are exact. */
uint64_t kn_kernel_length_unsafe(const kn_kernel *k, uint64_t handle)
{
    return kn_kernel_length(k, handle);
}

uint64_t kn_kernel_memory_bytes(const kn_kernel *k)
{
    return k->top;
}

bool kn_kernel_load_u8(const kn_kernel *k, uint64_t off, uint8_t *v)
{
    if (off < KN_KBASE || off >= k->top)
        return false;
    *v = k->mem[off];
    return true;
}

/* top >= KN_KBASE = 8, so top - 8 cannot wrap. */
bool kn_kernel_load_u64(const kn_kernel *k, uint64_t off, uint64_t *v)
{
    if (off < KN_KBASE || off > k->top - 8)
        return false;
    memcpy(v, k->mem + off, 8);
    return true;
}

bool kn_kernel_store_u8(kn_kernel *k, uint64_t off, uint8_t v)
{
    if (off < KN_KBASE || off >= k->top)
        return false;
    k->mem[off] = v;
    return true;
}

bool kn_kernel_store_u64(kn_kernel *k, uint64_t off, uint64_t v)
{
    if (off < KN_KBASE || off > k->top - 8)
        return false;
    memcpy(k->mem + off, &v, 8);
    return true;
}

uint8_t *kn_kernel_ptr(kn_kernel *k, uint64_t off, uint64_t len)
{
    if (!k->mem || off < KN_KBASE || off > k->top || len > k->top - off)
        return NULL;
    return k->mem + off;
}

kiln_error *kn_kernel_set_input(kn_kernel *k, const void *bytes, uint64_t len)
{
    if (len == 0) {                            /* Extism: alloc(0) is the null handle */
        k->in_off = k->in_len = 0;
        return NULL;
    }
    uint32_t i = kn_kalloc(k, len, false);
    if (i == KN_KNONE) {
        if (len > k->max || !kn_kcharge_ok(k, k->top + len, k->nblocks + 1))
            return kiln_error_new(KILN_ERR_LIMIT,
                                  "plugin input of %llu bytes exceeds the kernel memory "
                                  "limit of %llu bytes",
                                  (unsigned long long)len, (unsigned long long)k->max);
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory copying %llu bytes of plugin input",
                              (unsigned long long)len);
    }
    uint64_t off = k->blk[i].off, sz = (len + 7) & ~(uint64_t)7;
    memcpy(k->mem + off, bytes, (size_t)len);
    memset(k->mem + off + len, 0, (size_t)(sz - len));
    k->in_off = off;
    k->in_len = len;
    return NULL;
}

uint64_t kn_kernel_input_offset(const kn_kernel *k)
{
    return k->in_off;
}

uint64_t kn_kernel_input_length(const kn_kernel *k)
{
    return k->in_len;
}

/* in_len is 0 unless the input block is live, so the range is in the arena. */
bool kn_kernel_input_load_u8(const kn_kernel *k, uint64_t off, uint8_t *v)
{
    if (off >= k->in_len)
        return false;
    *v = k->mem[k->in_off + off];
    return true;
}

bool kn_kernel_input_load_u64(const kn_kernel *k, uint64_t off, uint64_t *v)
{
    if (off > k->in_len || k->in_len - off < 8)
        return false;
    memcpy(v, k->mem + k->in_off + off, 8);
    return true;
}

void kn_kernel_output_set(kn_kernel *k, uint64_t off, uint64_t len)
{
    if (off < KN_KBASE || off >= k->top || len > k->top - off)
        return;
    k->out_off = off;
    k->out_len = len;
}

void kn_kernel_error_set(kn_kernel *k, uint64_t handle)
{
    if (handle == 0 || (handle >= KN_KBASE && handle < k->top))
        k->err = handle;
}

uint64_t kn_kernel_error_get(const kn_kernel *k)
{
    return k->err;
}

const uint8_t *kn_kernel_output(kn_kernel *k, uint64_t *len)
{
    *len = 0;
    if (k->out_len == 0)
        return kn_kempty;
    const uint8_t *p = kn_kernel_ptr(k, k->out_off, k->out_len);
    if (p)
        *len = k->out_len;
    return p;
}

/* Extism reads the error as the block at the handle, length(handle) long:
 * a handle that is not a live block's start means no error. */
const uint8_t *kn_kernel_error(kn_kernel *k, uint64_t *len)
{
    *len = 0;
    uint32_t i = k->err ? kn_kfind(k, k->err) : KN_KNONE;
    if (i == KN_KNONE)
        return NULL;
    *len = k->blk[i].used;
    return k->mem + k->blk[i].off;
}
