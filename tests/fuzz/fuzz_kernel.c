/* fuzz_kernel.c — libFuzzer target for the plugin kernel memory
 * (src/plugin/kernel.c).  The input is a kernel cap and then a sequence of
 * kernel calls with arbitrary handles, offsets and lengths (some aimed
 * near live blocks and the arena's end, where the edges are).  A model
 * follows along: the live blocks, the input, and a shadow of every arena
 * byte the harness knows.  It aborts when a live block's length differs
 * from what was asked, two live blocks overlap, a block or an accepted
 * access lies outside [8, memory_bytes), an access outside is accepted,
 * memory new to the call is not zero, a byte changes that nobody wrote, or
 * output/error disagree with what was set.  ASan catches any host access
 * outside the arena itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#define FK_BASE 8u               /* the null prefix of kernel.c */
#define FK_MAXCAP (1u << 18)
#define FK_BLOCKS 128

typedef struct { uint64_t h, n; } fk_block;

typedef struct {
    const uint8_t *d;
    size_t n;
    kn_kernel *k;
    fk_block b[FK_BLOCKS];
    int nb;
    uint64_t in_off, in_len;
    uint64_t out_off, out_len, err;
    uint64_t hi;                 /* highest arena end this input reached */
    uint8_t shadow[FK_MAXCAP];
    uint8_t known[FK_MAXCAP];
} fk_state;

static fk_state S;

static void fk_fail(const char *what, uint64_t a, uint64_t b)
{
    fprintf(stderr, "fuzz_kernel: %s (%llu, %llu)\n", what, (unsigned long long)a,
            (unsigned long long)b);
    abort();
}

static uint8_t fk_u8(void)
{
    if (!S.n)
        return 0;
    S.n--;
    return *S.d++;
}

static uint64_t fk_u64(void)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)fk_u8() << (8 * i);
    return v;
}

static uint64_t fk_top(void)
{
    return kn_kernel_memory_bytes(S.k);
}

/* An offset: near a live block's edges, near the arena's end, small, or
 * any 64-bit value. */
static uint64_t fk_off(void)
{
    uint8_t mode = fk_u8();
    int64_t delta = (int8_t)fk_u8() % 17;
    switch (mode % 5) {
    case 0:
        if (S.nb) {
            const fk_block *b = &S.b[fk_u8() % S.nb];
            return (mode & 8 ? b->h + b->n : b->h) + (uint64_t)delta;
        }
        return fk_top() + (uint64_t)delta;
    case 1: return fk_top() + (uint64_t)delta;
    case 2: return S.in_off + (uint64_t)delta;
    case 3: return fk_u8();
    default: return fk_u64();
    }
}

static uint64_t fk_len(void)
{
    uint8_t mode = fk_u8();
    switch (mode % 4) {
    case 0: return mode >> 2;
    case 1: return fk_u8() | (uint64_t)fk_u8() << 8;
    case 2: return (fk_u8() | (uint64_t)fk_u8() << 8 | (uint64_t)fk_u8() << 16) & 0x1fffff;
    default: return fk_u64();
    }
}

static int fk_find(uint64_t h)
{
    for (int i = 0; i < S.nb; i++)
        if (S.b[i].h == h)
            return i;
    return -1;
}

static void fk_forget(int i)
{
    S.b[i] = S.b[--S.nb];
}

/* Every known shadow byte of [off, off+len) matches the arena. */
static void fk_check_range(uint64_t off, uint64_t len)
{
    const uint8_t *p = kn_kernel_ptr(S.k, off, len);
    if (len && !p)
        fk_fail("range inside the arena refused", off, len);
    if (!len || !memcmp(p, S.shadow + off, len))  /* the usual case, quickly */
        return;
    for (uint64_t i = 0; i < len; i++)
        if (S.known[off + i] && p[i] != S.shadow[off + i])
            fk_fail("a byte changed that nobody wrote", off + i, p[i]);
}

/* A u64 loaded from off is the arena's bytes there, and they are known. */
static void fk_check_value(uint64_t off, uint64_t v)
{
    const uint8_t *p = kn_kernel_ptr(S.k, off, 8);
    if (!p || memcmp(p, &v, 8))
        fk_fail("u64 load value", off, v);
    fk_check_range(off, 8);
}

static void fk_write(uint64_t off, const uint8_t *src, uint64_t len)
{
    memcpy(S.shadow + off, src, len);
    memset(S.known + off, 1, len);
}

/* A new block [h, h+n): inside the arena, apart from every live block,
 * its length exact, memory new to the call zero (when alloc made it;
 * set_input copies over it). */
static void fk_new_block(uint64_t h, uint64_t n, uint64_t old_top, bool zeroed)
{
    uint64_t top = fk_top();
    if (h < FK_BASE || h > top || n > top - h || top > FK_MAXCAP)
        fk_fail("block outside the arena", h, n);
    if (kn_kernel_length(S.k, h) != n || kn_kernel_length_unsafe(S.k, h) != n)
        fk_fail("length of a new block", h, n);
    for (int i = 0; i < S.nb; i++)
        if (h < S.b[i].h + S.b[i].n && S.b[i].h < h + n)
            fk_fail("blocks overlap", h, S.b[i].h);
    if (top > S.hi)
        S.hi = top;
    if (zeroed && top > old_top) {
        memset(S.shadow + old_top, 0, top - old_top);
        if (memcmp(kn_kernel_ptr(S.k, old_top, top - old_top), S.shadow + old_top,
                   top - old_top))
            fk_fail("fresh memory not zero", old_top, top);
        memset(S.known + old_top, 1, top - old_top);
    }
    S.b[S.nb++] = (fk_block){h, n};
}

static void fk_alloc(void)
{
    uint64_t n = fk_len(), old_top = fk_top();
    if (S.nb == FK_BLOCKS)
        return;
    uint64_t h = kn_kernel_alloc(S.k, n);
    if (!h) {
        if (fk_top() != old_top)
            fk_fail("failed alloc moved the arena end", n, old_top);
        return;
    }
    if (!n)
        fk_fail("alloc(0) returned a block", h, 0);
    fk_new_block(h, n, old_top, true);
    uint8_t *p = kn_kernel_ptr(S.k, h, n);
    memset(p, (int)(h * 31 + n), n);
    memset(S.shadow + h, (int)(h * 31 + n), n);
    memset(S.known + h, 1, n);
}

static void fk_free(uint64_t h)
{
    int i = fk_find(h);
    kn_kernel_dealloc(S.k, h);
    if (i >= 0) {
        fk_forget(i);
        if (h == S.in_off)
            S.in_len = 0;
    }
    if (kn_kernel_length(S.k, h) != 0)
        fk_fail("length after free", h, 0);
    if (kn_kernel_input_length(S.k) != S.in_len)
        fk_fail("input length after free", h, S.in_len);
}

static void fk_length(uint64_t h)
{
    int i = fk_find(h);
    uint64_t want = i >= 0 ? S.b[i].n : 0;
    if (kn_kernel_length(S.k, h) != want || kn_kernel_length_unsafe(S.k, h) != want)
        fk_fail("length", h, want);
}

static void fk_loads(uint64_t off)
{
    uint64_t top = fk_top(), v = 0;
    uint8_t b = 0;
    bool in8 = off >= FK_BASE && off < top, in64 = off >= FK_BASE && off <= top - 8;
    if (kn_kernel_load_u8(S.k, off, &b) != in8)
        fk_fail("load_u8 bounds", off, top);
    if (in8 && S.known[off] && b != S.shadow[off])
        fk_fail("load_u8 value", off, b);
    if (kn_kernel_load_u64(S.k, off, &v) != in64)
        fk_fail("load_u64 bounds", off, top);
    if (in64)
        fk_check_value(off, v);
}

static void fk_stores(uint64_t off)
{
    uint64_t top = fk_top(), v = fk_u64();
    bool in8 = off >= FK_BASE && off < top, in64 = off >= FK_BASE && off <= top - 8;
    if (kn_kernel_store_u8(S.k, off, (uint8_t)v) != in8)
        fk_fail("store_u8 bounds", off, top);
    if (in8)
        fk_write(off, (const uint8_t *)&v, 1);
    if (kn_kernel_store_u64(S.k, off, v) != in64)
        fk_fail("store_u64 bounds", off, top);
    if (in64)
        fk_write(off, (const uint8_t *)&v, 8);
}

static void fk_input(void)
{
    uint64_t len = fk_len() % 70000, old_top = fk_top();
    if (S.nb == FK_BLOCKS)
        return;
    uint8_t *bytes = malloc(len ? len : 1);
    if (!bytes)
        return;
    for (uint64_t i = 0; i < len; i++)
        bytes[i] = (uint8_t)(i ^ len);
    kiln_error *e = kn_kernel_set_input(S.k, bytes, len);
    if (e) {
        kiln_error_free(e);
        free(bytes);
        if (fk_top() != old_top)
            fk_fail("failed set_input moved the arena end", len, old_top);
        return;
    }
    uint64_t h = kn_kernel_input_offset(S.k);
    if (kn_kernel_input_length(S.k) != len || (len == 0) != (h == 0))
        fk_fail("input offset/length", h, len);
    S.in_off = h;
    S.in_len = len;
    if (len) {
        fk_new_block(h, len, old_top, false);
        fk_write(h, bytes, len);
        /* kernel.c zeroes the padding up to the next multiple of 8 */
        uint64_t pad = (8 - len % 8) % 8;
        memset(S.shadow + h + len, 0, pad);
        memset(S.known + h + len, 1, pad);
        fk_check_range(h, len + pad);
    }
    free(bytes);
}

static void fk_input_loads(uint64_t off)
{
    uint8_t b;
    uint64_t v;
    bool in8 = off < S.in_len, in64 = off <= S.in_len && S.in_len - off >= 8;
    if (kn_kernel_input_load_u8(S.k, off, &b) != in8)
        fk_fail("input_load_u8 bounds", off, S.in_len);
    if (in8 && S.known[S.in_off + off] && b != S.shadow[S.in_off + off])
        fk_fail("input_load_u8 value", off, b);
    if (kn_kernel_input_load_u64(S.k, off, &v) != in64)
        fk_fail("input_load_u64 bounds", off, S.in_len);
    if (in64)
        fk_check_value(S.in_off + off, v);
}

static void fk_output(void)
{
    uint64_t len = 0;
    const uint8_t *o = kn_kernel_output(S.k, &len);
    if (!o || len != S.out_len)
        fk_fail("output", S.out_off, S.out_len);
    if (len)
        fk_check_range(S.out_off, len);
    int i = S.err ? fk_find(S.err) : -1;
    const uint8_t *e = kn_kernel_error(S.k, &len);
    if ((e != NULL) != (i >= 0) || kn_kernel_error_get(S.k) != S.err)
        fk_fail("error", S.err, i);
    if (e && (len != S.b[i].n || e != kn_kernel_ptr(S.k, S.err, len)))
        fk_fail("error range", S.err, len);
}

static void fk_output_set(uint64_t off)
{
    uint64_t len = fk_len(), top = fk_top();
    kn_kernel_output_set(S.k, off, len);
    if (off >= FK_BASE && off < top && len <= top - off) {
        S.out_off = off;
        S.out_len = len;
    }
    fk_output();
}

static void fk_error_set(uint64_t h)
{
    kn_kernel_error_set(S.k, h);
    if (h == 0 || (h >= FK_BASE && h < fk_top()))
        S.err = h;
    fk_output();
}

static void fk_ptr(uint64_t off)
{
    uint64_t len = fk_len(), top = fk_top();
    bool in = off >= FK_BASE && off <= top && len <= top - off;
    uint8_t *p = kn_kernel_ptr(S.k, off, len);
    if ((p && !in) || (!p && in && len))
        fk_fail("ptr bounds", off, len);
    if (p)
        fk_check_range(off, len);
}

static void fk_reset(void)
{
    uint64_t top = fk_top();
    kn_kernel_reset(S.k);
    memset(S.known, 0, top);
    S.nb = 0;
    S.in_off = S.in_len = S.out_off = S.out_len = S.err = 0;
    if (fk_top() != FK_BASE || kn_kernel_input_length(S.k) || kn_kernel_input_offset(S.k))
        fk_fail("state after reset", fk_top(), 0);
    fk_output();
}

static void fk_step(void)
{
    uint8_t op = fk_u8();
    switch (op % 12) {
    case 0: case 1: fk_alloc(); break;
    case 2: fk_free(S.nb && (op & 16) ? S.b[fk_u8() % S.nb].h : fk_off()); break;
    case 3: fk_length(S.nb && (op & 16) ? S.b[fk_u8() % S.nb].h : fk_off()); break;
    case 4: fk_loads(fk_off()); break;
    case 5: fk_stores(fk_off()); break;
    case 6: fk_input(); break;
    case 7: fk_input_loads(op & 16 ? fk_u64() : fk_u8()); break;
    case 8: fk_output_set(fk_off()); break;
    case 9: fk_error_set(S.nb && (op & 16) ? S.b[fk_u8() % S.nb].h : fk_off()); break;
    case 10: fk_ptr(fk_off()); break;
    default:
        if (op & 16)
            fk_reset();
        else
            fk_output();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t caps[4] = {200, 4096, 65536, FK_MAXCAP};
    S.d = data;
    S.n = size;
    S.nb = 0;
    S.in_off = S.in_len = S.out_off = S.out_len = S.err = 0;
    kiln_error *e = kn_kernel_new(caps[fk_u8() % 4], &S.k);
    if (e) {
        kiln_error_free(e);
        return 0;
    }
    S.hi = FK_BASE;
    while (S.n)
        fk_step();
    fk_check_range(FK_BASE, fk_top() - FK_BASE);
    for (int i = 0; i < S.nb; i++)
        fk_length(S.b[i].h);
    fk_output();
    kn_kernel_free(S.k);
    memset(S.known, 0, S.hi);
    return 0;
}
