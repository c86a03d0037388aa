/*
 * test_kernel.c — the Extism kernel memory (src/plugin/kernel.c) through
 * kernel.h alone: alloc/free/length with Extism's answers for null, inner
 * and freed handles, block reuse, splitting and merging, the cap, bounds
 * of every load and store at both ends of the arena, input, output and
 * error, reset, and a seeded random run checked against a model.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "unit.h"

static kn_kernel *knew(uint64_t max)
{
    kn_kernel *k = NULL;
    kiln_error *e = kn_kernel_new(max, &k);
    CHECK(e == NULL && k != NULL);
    return k;
}

TEST(kernel_alloc_zero_and_null)
{
    kn_kernel *k = knew(0);
    CHECK_EQ(kn_kernel_alloc(k, 0), 0);
    CHECK_EQ(kn_kernel_length(k, 0), 0);
    CHECK_EQ(kn_kernel_length_unsafe(k, 0), 0);
    kn_kernel_dealloc(k, 0);                      /* nothing to free */
    CHECK_EQ(kn_kernel_alloc(k, UINT64_MAX), 0);
    CHECK_EQ(kn_kernel_alloc(k, UINT64_MAX - 6), 0); /* rounding must not wrap */
    CHECK_EQ(kn_kernel_alloc(k, (1ull << 30) + 1), 0); /* over the 1 GiB default */
    uint64_t p = kn_kernel_alloc(k, 1);
    CHECK(p != 0);
    CHECK_EQ(kn_kernel_length(k, p), 1);
    CHECK_EQ(kn_kernel_length_unsafe(k, p), 1);
    kn_kernel_free(k);
}

TEST(kernel_length_only_at_block_start)
{
    kn_kernel *k = knew(0);
    uint64_t p = kn_kernel_alloc(k, 65535);
    CHECK(p != 0);
    CHECK_EQ(kn_kernel_length(k, p), 65535);
    for (uint64_t d = 1; d <= 8; d++) {
        CHECK_EQ(kn_kernel_length(k, p + d), 0);
        CHECK_EQ(kn_kernel_length_unsafe(k, p + d), 0);
        CHECK_EQ(kn_kernel_length(k, p - d), 0);
    }
    CHECK_EQ(kn_kernel_length(k, p + 65535), 0);
    CHECK_EQ(kn_kernel_length(k, UINT64_MAX), 0);
    CHECK_EQ(kn_kernel_length_unsafe(k, UINT64_MAX), 0);
    kn_kernel_free(k);
}

/* Extism's own test: a freed block of the same or a slightly smaller size
 * comes back at the same handle, with the new length. */
TEST(kernel_reuse_after_free)
{
    kn_kernel *k = knew(0);
    uint64_t p = kn_kernel_alloc(k, 65535);
    kn_kernel_dealloc(k, p);
    CHECK_EQ(kn_kernel_length(k, p), 0);
    uint64_t q = kn_kernel_alloc(k, 65535);
    CHECK_EQ(q, p);
    CHECK_EQ(kn_kernel_length(k, q), 65535);
    kn_kernel_dealloc(k, q);
    uint64_t r = kn_kernel_alloc(k, 65535 - 24);
    CHECK_EQ(r, p);
    CHECK_EQ(kn_kernel_length(k, r), 65535 - 24);
    kn_kernel_free(k);
}

TEST(kernel_double_free_and_free_of_non_block)
{
    kn_kernel *k = knew(0);
    uint64_t a = kn_kernel_alloc(k, 40), b = kn_kernel_alloc(k, 40), c = kn_kernel_alloc(k, 40);
    kn_kernel_dealloc(k, b + 1);
    kn_kernel_dealloc(k, b - 1);
    kn_kernel_dealloc(k, UINT64_MAX);
    kn_kernel_dealloc(k, 3);
    CHECK_EQ(kn_kernel_length(k, a), 40);
    CHECK_EQ(kn_kernel_length(k, b), 40);
    kn_kernel_dealloc(k, b);
    kn_kernel_dealloc(k, b);                      /* second free: nothing */
    CHECK_EQ(kn_kernel_length(k, a), 40);
    CHECK_EQ(kn_kernel_length(k, b), 0);
    CHECK_EQ(kn_kernel_length(k, c), 40);
    /* b's space is reused once, not twice */
    uint64_t d = kn_kernel_alloc(k, 40), e = kn_kernel_alloc(k, 40);
    CHECK_EQ(d, b);
    CHECK(e != b && e > c);
    kn_kernel_free(k);
}

/* Freed neighbours merge, so a request as large as all three fits where
 * they were, without growing the arena. */
TEST(kernel_merge_neighbours)
{
    kn_kernel *k = knew(0);
    uint64_t a = kn_kernel_alloc(k, 96), b = kn_kernel_alloc(k, 96), c = kn_kernel_alloc(k, 96);
    uint64_t guard = kn_kernel_alloc(k, 8);
    uint64_t top = kn_kernel_memory_bytes(k);
    kn_kernel_dealloc(k, a);
    kn_kernel_dealloc(k, c);
    kn_kernel_dealloc(k, b);                      /* joins both sides */
    uint64_t m = kn_kernel_alloc(k, 3 * 96);
    CHECK_EQ(m, a);
    CHECK_EQ(kn_kernel_length(k, m), 3 * 96);
    CHECK_EQ(kn_kernel_memory_bytes(k), top);
    CHECK_EQ(kn_kernel_length(k, guard), 8);
    kn_kernel_free(k);
}

/* A large free block is split: the rest serves later requests in place. */
TEST(kernel_split_free_block)
{
    kn_kernel *k = knew(0);
    uint64_t big = kn_kernel_alloc(k, 4000);
    uint64_t guard = kn_kernel_alloc(k, 8);
    uint64_t top = kn_kernel_memory_bytes(k);
    kn_kernel_dealloc(k, big);
    uint64_t x = kn_kernel_alloc(k, 100), y = kn_kernel_alloc(k, 1000), z = kn_kernel_alloc(k, 2000);
    CHECK(x >= big && x < guard);
    CHECK(y >= big && y < guard);
    CHECK(z >= big && z < guard);
    CHECK(x + 100 <= y || y + 1000 <= x);
    CHECK_EQ(kn_kernel_memory_bytes(k), top);
    CHECK_EQ(kn_kernel_length(k, x), 100);
    CHECK_EQ(kn_kernel_length(k, y), 1000);
    CHECK_EQ(kn_kernel_length(k, z), 2000);
    kn_kernel_free(k);
}

/* A free last block grows into fresh memory instead of staying a hole. */
TEST(kernel_free_tail_grows)
{
    kn_kernel *k = knew(0);
    kn_kernel_alloc(k, 16);
    uint64_t t = kn_kernel_alloc(k, 100);
    kn_kernel_dealloc(k, t);
    uint64_t u = kn_kernel_alloc(k, 5000);
    CHECK_EQ(u, t);
    CHECK_EQ(kn_kernel_length(k, u), 5000);
    CHECK_EQ(kn_kernel_memory_bytes(k), u + 5000);
    kn_kernel_free(k);
}

TEST(kernel_cap)
{
    kn_kernel *k = knew(4096);
    CHECK_EQ(kn_kernel_alloc(k, 4096), 0);
    CHECK_EQ(kn_kernel_alloc(k, 5000), 0);
    uint64_t p = kn_kernel_alloc(k, 1000);
    CHECK(p != 0);
    int n = 0;
    while (kn_kernel_alloc(k, 1) && n < 10000)
        n++;
    CHECK(n > 0 && n < 10000);                    /* small blocks also hit the cap */
    CHECK(kn_kernel_memory_bytes(k) <= 4096);
    CHECK_EQ(kn_kernel_length(k, p), 1000);
    kiln_error *e = kn_kernel_set_input(k, "x", 1);
    CHECK(e != NULL && kiln_error_kind_of(e) == KILN_ERR_LIMIT);
    kiln_error_free(e);
    kn_kernel_reset(k);
    CHECK(kn_kernel_alloc(k, 3000) != 0);
    static uint8_t big[8192];
    e = kn_kernel_set_input(k, big, sizeof big);
    CHECK(e != NULL && kiln_error_kind_of(e) == KILN_ERR_LIMIT);
    kiln_error_free(e);
    kn_kernel_free(k);

    k = knew(5);                                  /* smaller than the null prefix */
    CHECK_EQ(kn_kernel_alloc(k, 1), 0);
    e = kn_kernel_set_input(k, "x", 1);
    CHECK(e != NULL);
    kiln_error_free(e);
    kn_kernel_free(k);
}

TEST(kernel_load_store_bounds)
{
    kn_kernel *k = knew(0);
    uint8_t b;
    uint64_t v;
    CHECK(!kn_kernel_load_u8(k, 8, &b));         /* empty arena */
    CHECK(!kn_kernel_load_u64(k, 8, &v));
    CHECK(!kn_kernel_store_u8(k, 8, 1));
    CHECK(!kn_kernel_store_u64(k, 0, 1));
    uint64_t p = kn_kernel_alloc(k, 24);
    uint64_t end = kn_kernel_memory_bytes(k);
    CHECK_EQ(end, p + 24);
    CHECK(kn_kernel_store_u64(k, p, 999));
    CHECK(kn_kernel_load_u64(k, p, &v));
    CHECK_EQ(v, 999);
    for (uint64_t i = 0; i < 8; i++)
        CHECK(kn_kernel_store_u8(k, p + i, (uint8_t)i));
    CHECK(kn_kernel_load_u64(k, p, &v));
    CHECK_EQ(v, 0x0706050403020100ull);          /* little-endian, as wasm */
    CHECK(kn_kernel_load_u8(k, p + 3, &b));
    CHECK_EQ(b, 3);
    /* the last byte and the last whole u64 are in; one further is out */
    CHECK(kn_kernel_load_u8(k, end - 1, &b));
    CHECK(!kn_kernel_load_u8(k, end, &b));
    CHECK(kn_kernel_load_u64(k, end - 8, &v));
    CHECK(!kn_kernel_load_u64(k, end - 7, &v));
    CHECK(!kn_kernel_load_u64(k, end - 1, &v));
    CHECK(kn_kernel_store_u64(k, end - 8, 7));
    CHECK(!kn_kernel_store_u64(k, end - 7, 7));
    CHECK(kn_kernel_store_u8(k, end - 1, 7));
    CHECK(!kn_kernel_store_u8(k, end, 7));
    /* the null prefix and offsets that would wrap */
    for (uint64_t o = 0; o < 8; o++) {
        CHECK(!kn_kernel_load_u8(k, o, &b));
        CHECK(!kn_kernel_load_u64(k, o, &v));
        CHECK(!kn_kernel_store_u8(k, o, 1));
    }
    CHECK(!kn_kernel_load_u64(k, UINT64_MAX - 3, &v));
    CHECK(!kn_kernel_load_u64(k, UINT64_MAX, &v));
    CHECK(!kn_kernel_load_u8(k, UINT64_MAX, &b));
    CHECK(!kn_kernel_store_u64(k, UINT64_MAX - 6, 1));
    kn_kernel_free(k);
}

TEST(kernel_ptr_bounds)
{
    kn_kernel *k = knew(0);
    CHECK(kn_kernel_ptr(k, 8, 0) == NULL);       /* no arena yet */
    uint64_t p = kn_kernel_alloc(k, 32), end = kn_kernel_memory_bytes(k);
    uint8_t *q = kn_kernel_ptr(k, p, 32);
    CHECK(q != NULL);
    memcpy(q, "abcdefgh", 8);
    uint64_t v;
    CHECK(kn_kernel_load_u64(k, p, &v));
    CHECK(memcmp(&v, "abcdefgh", 8) == 0);
    CHECK(kn_kernel_ptr(k, p, 33) == NULL);
    CHECK(kn_kernel_ptr(k, end, 0) != NULL);
    CHECK(kn_kernel_ptr(k, end, 1) == NULL);
    CHECK(kn_kernel_ptr(k, end + 1, 0) == NULL);
    CHECK(kn_kernel_ptr(k, 0, 1) == NULL);
    CHECK(kn_kernel_ptr(k, p, UINT64_MAX) == NULL);
    CHECK(kn_kernel_ptr(k, UINT64_MAX, 2) == NULL);
    kn_kernel_free(k);
}

/* Memory new to a call reads as zero: nothing of the last call survives. */
TEST(kernel_fresh_memory_is_zero)
{
    kn_kernel *k = knew(0);
    for (int round = 0; round < 2; round++) {
        uint64_t p = kn_kernel_alloc(k, 3);
        uint64_t q = kn_kernel_alloc(k, 200000);
        uint64_t v = 1;
        CHECK(kn_kernel_load_u64(k, p, &v));      /* includes the padding */
        CHECK_EQ(v, 0);
        uint8_t *b = kn_kernel_ptr(k, q, 200000);
        size_t nz = 0;
        for (size_t i = 0; b && i < 200000; i++)
            nz += b[i] != 0;
        CHECK_EQ(nz, 0);
        if (b)
            memset(b, 0xab, 200000);
        CHECK(kn_kernel_store_u64(k, p, UINT64_MAX));
        kiln_error *e = kn_kernel_set_input(k, "xyz", 3);
        CHECK(e == NULL);
        CHECK(kn_kernel_load_u64(k, kn_kernel_input_offset(k), &v));
        CHECK_EQ(v, 0x7a7978);                   /* the input, then zero padding */
        kn_kernel_reset(k);
    }
    kn_kernel_free(k);
}

TEST(kernel_input)
{
    kn_kernel *k = knew(0);
    CHECK(kn_kernel_set_input(k, "hello", 5) == NULL);
    uint64_t off = kn_kernel_input_offset(k);
    uint8_t b;
    uint64_t v;
    CHECK(off != 0);
    CHECK_EQ(kn_kernel_input_length(k), 5);
    CHECK_EQ(kn_kernel_length(k, off), 5);
    CHECK(kn_kernel_input_load_u8(k, 0, &b));
    CHECK_EQ(b, 'h');
    CHECK(kn_kernel_input_load_u8(k, 4, &b));
    CHECK_EQ(b, 'o');
    CHECK(!kn_kernel_input_load_u8(k, 5, &b));   /* past the input, though in the arena */
    CHECK(!kn_kernel_input_load_u64(k, 0, &v));  /* 5 < 8 */
    CHECK(!kn_kernel_input_load_u8(k, UINT64_MAX, &b));
    CHECK(!kn_kernel_input_load_u64(k, UINT64_MAX - 3, &v));
    kn_kernel_reset(k);

    const char *s = "0123456789abcdef";
    CHECK(kn_kernel_set_input(k, s, 16) == NULL);
    CHECK(kn_kernel_input_load_u64(k, 0, &v));
    CHECK(memcmp(&v, s, 8) == 0);
    CHECK(kn_kernel_input_load_u64(k, 8, &v));
    CHECK(memcmp(&v, s + 8, 8) == 0);
    CHECK(!kn_kernel_input_load_u64(k, 9, &v));
    CHECK(!kn_kernel_input_load_u64(k, 16, &v));
    CHECK(!kn_kernel_input_load_u64(k, 17, &v));
    /* Extism: freeing the input block zeroes the input length */
    kn_kernel_dealloc(k, kn_kernel_input_offset(k));
    CHECK_EQ(kn_kernel_input_length(k), 0);
    CHECK(!kn_kernel_input_load_u8(k, 0, &b));
    kn_kernel_reset(k);

    CHECK(kn_kernel_set_input(k, NULL, 0) == NULL);
    CHECK_EQ(kn_kernel_input_offset(k), 0);
    CHECK_EQ(kn_kernel_input_length(k), 0);
    CHECK(!kn_kernel_input_load_u8(k, 0, &b));
    CHECK_EQ(kn_kernel_memory_bytes(k), 8);      /* nothing allocated */
    kn_kernel_free(k);
}

TEST(kernel_output)
{
    kn_kernel *k = knew(0);
    uint64_t len = 99;
    const uint8_t *o = kn_kernel_output(k, &len);
    CHECK(o != NULL);                             /* never set: empty output */
    CHECK_EQ(len, 0);
    uint64_t p = kn_kernel_alloc(k, 5);
    memcpy(kn_kernel_ptr(k, p, 5), "world", 5);
    kn_kernel_output_set(k, p, 5);
    o = kn_kernel_output(k, &len);
    CHECK(o != NULL && len == 5 && memcmp(o, "world", 5) == 0);
    uint64_t end = kn_kernel_memory_bytes(k);
    /* ranges outside kernel memory are ignored, as Extism's kernel does */
    kn_kernel_output_set(k, end, 1);
    kn_kernel_output_set(k, p, UINT64_MAX);
    kn_kernel_output_set(k, 0, 5);
    kn_kernel_output_set(k, UINT64_MAX - 1, 4);
    o = kn_kernel_output(k, &len);
    CHECK(o != NULL && len == 5 && memcmp(o, "world", 5) == 0);
    /* any range inside is taken, block or not */
    kn_kernel_output_set(k, p + 1, 3);
    o = kn_kernel_output(k, &len);
    CHECK(o != NULL && len == 3 && memcmp(o, "orl", 3) == 0);
    kn_kernel_output_set(k, p, 0);
    o = kn_kernel_output(k, &len);
    CHECK(o != NULL && len == 0);
    /* the output outlives a free of its block, as in Extism */
    kn_kernel_output_set(k, p, 5);
    kn_kernel_dealloc(k, p);
    o = kn_kernel_output(k, &len);
    CHECK(o != NULL && len == 5 && memcmp(o, "world", 5) == 0);
    kn_kernel_free(k);
}

TEST(kernel_error)
{
    kn_kernel *k = knew(0);
    uint64_t len = 99;
    CHECK_EQ(kn_kernel_error_get(k), 0);
    CHECK(kn_kernel_error(k, &len) == NULL);
    CHECK_EQ(len, 0);
    uint64_t p = kn_kernel_alloc(k, 4);
    memcpy(kn_kernel_ptr(k, p, 4), "oops", 4);
    kn_kernel_error_set(k, p);
    CHECK_EQ(kn_kernel_error_get(k), p);
    const uint8_t *e = kn_kernel_error(k, &len);
    CHECK(e != NULL && len == 4 && memcmp(e, "oops", 4) == 0);
    kn_kernel_error_set(k, UINT64_MAX);           /* out of range: ignored */
    kn_kernel_error_set(k, 3);
    CHECK_EQ(kn_kernel_error_get(k), p);
    kn_kernel_error_set(k, p + 1);                /* in range but no block: kept, no text */
    CHECK_EQ(kn_kernel_error_get(k), p + 1);
    CHECK(kn_kernel_error(k, &len) == NULL);
    kn_kernel_error_set(k, p);
    kn_kernel_dealloc(k, p);                      /* Extism: length 0, so no error */
    CHECK_EQ(kn_kernel_error_get(k), p);
    CHECK(kn_kernel_error(k, &len) == NULL);
    CHECK_EQ(len, 0);
    kn_kernel_error_set(k, 0);
    CHECK_EQ(kn_kernel_error_get(k), 0);
    kn_kernel_free(k);
}

TEST(kernel_reset)
{
    kn_kernel *k = knew(0);
    uint64_t first = kn_kernel_alloc(k, 65536 + 1024);
    uint64_t p = kn_kernel_alloc(k, 10);
    CHECK(kn_kernel_set_input(k, "in", 2) == NULL);
    kn_kernel_output_set(k, p, 10);
    kn_kernel_error_set(k, p);
    kn_kernel_reset(k);
    CHECK_EQ(kn_kernel_length(k, first), 0);
    CHECK_EQ(kn_kernel_length(k, p), 0);
    CHECK_EQ(kn_kernel_input_offset(k), 0);
    CHECK_EQ(kn_kernel_input_length(k), 0);
    CHECK_EQ(kn_kernel_error_get(k), 0);
    uint64_t len = 99;
    CHECK(kn_kernel_output(k, &len) != NULL && len == 0);
    CHECK_EQ(kn_kernel_memory_bytes(k), 8);
    uint8_t b;
    CHECK(!kn_kernel_load_u8(k, p, &b));         /* the old blocks are gone */
    kn_kernel_dealloc(k, p);                      /* a stale handle frees nothing */
    /* Extism: after a reset the first block is where it was */
    uint64_t q = kn_kernel_alloc(k, 65536 + 1024);
    CHECK_EQ(q, first);
    CHECK_EQ(kn_kernel_length(k, q), 65536 + 1024);
    CHECK_EQ(kn_kernel_length(k, p), 0);
    kn_kernel_reset(k);
    kn_kernel_reset(k);                           /* twice is fine */
    CHECK_EQ(kn_kernel_memory_bytes(k), 8);
    kn_kernel_free(k);
}

/* Thousands of blocks (the hash and record array grow, then reset gives
 * them back); freeing all of them leaves one free block. */
TEST(kernel_many_blocks)
{
    kn_kernel *k = knew(0);
    for (int round = 0; round < 3; round++) {
        enum { N = 20000 };
        static uint64_t h[N];
        for (int i = 0; i < N; i++) {
            h[i] = kn_kernel_alloc(k, (uint64_t)(i % 13) + 1);
            CHECK(h[i] != 0);
        }
        int bad = 0;
        for (int i = 0; i < N; i++)
            bad += kn_kernel_length(k, h[i]) != (uint64_t)(i % 13) + 1;
        CHECK_EQ(bad, 0);
        uint64_t top = kn_kernel_memory_bytes(k);
        for (int i = 0; i < N; i += 2)
            kn_kernel_dealloc(k, h[i]);
        for (int i = 1; i < N; i += 2)
            CHECK_EQ(kn_kernel_length(k, h[i]), (uint64_t)(i % 13) + 1);
        for (int i = 1; i < N; i += 2)
            kn_kernel_dealloc(k, h[i]);
        uint64_t all = kn_kernel_alloc(k, top - h[0]);
        CHECK_EQ(all, h[0]);
        CHECK_EQ(kn_kernel_memory_bytes(k), top);
        kn_kernel_reset(k);
    }
    kn_kernel_free(k);
}

/* 16 MiB through input, output and reset (the plugin suite goes to
 * 64 MiB through a real plugin). */
TEST(kernel_large)
{
    kn_kernel *k = knew(0);
    size_t n = 16u << 20;
    uint8_t *buf = malloc(n);
    CHECK(buf != NULL);
    if (!buf)
        return;
    for (size_t i = 0; i < n; i += 4096)
        memset(buf + i, (int)(i >> 12), 4096);
    CHECK(kn_kernel_set_input(k, buf, n) == NULL);
    uint64_t in = kn_kernel_input_offset(k);
    uint64_t out = kn_kernel_alloc(k, n);
    CHECK(out != 0);
    memcpy(kn_kernel_ptr(k, out, n), kn_kernel_ptr(k, in, n), n);
    kn_kernel_output_set(k, out, n);
    uint64_t len;
    const uint8_t *o = kn_kernel_output(k, &len);
    CHECK(o != NULL && len == n && memcmp(o, buf, n) == 0);
    uint8_t b;
    CHECK(kn_kernel_input_load_u8(k, n - 1, &b));
    CHECK_EQ(b, (uint8_t)((n - 1) >> 12));
    kn_kernel_reset(k);
    CHECK_EQ(kn_kernel_memory_bytes(k), 8);
    free(buf);
    kn_kernel_free(k);
}

/* A seeded random run of alloc/free/reset checked against a model: every
 * live block keeps its length and its fill byte (so blocks never overlap)
 * and lies inside the arena. */
enum { KM_SLOTS = 64 };
typedef struct { uint64_t h, n; uint8_t fill; } km_block;

static uint64_t km_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int km_check(kn_kernel *k, const km_block *m)
{
    int bad = 0;
    for (int i = 0; i < KM_SLOTS; i++) {
        if (!m[i].h)
            continue;
        bad += kn_kernel_length(k, m[i].h) != m[i].n;
        const uint8_t *p = kn_kernel_ptr(k, m[i].h, m[i].n);
        if (!p) {
            bad++;
            continue;
        }
        for (uint64_t j = 0; j < m[i].n; j++)
            bad += p[j] != m[i].fill;
    }
    return bad;
}

TEST(kernel_random_model)
{
    kn_kernel *k = knew(1 << 20);
    km_block m[KM_SLOTS] = {{0}};
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    int bad = 0;
    for (int step = 0; step < 20000; step++) {
        uint64_t r = km_rand(&seed);
        int s = (int)(r % KM_SLOTS);
        if ((r >> 8) % 500 == 0) {
            kn_kernel_reset(k);
            memset(m, 0, sizeof m);
        } else if (m[s].h) {
            kn_kernel_dealloc(k, m[s].h);
            bad += kn_kernel_length(k, m[s].h) != 0;
            m[s].h = 0;
        } else {
            uint64_t n = (r >> 16) % ((r >> 40) % 4 == 0 ? 20000 : 300) + 1;
            uint64_t h = kn_kernel_alloc(k, n);
            if (h) {
                uint8_t *p = kn_kernel_ptr(k, h, n);
                bad += p == NULL;
                if (p)
                    memset(p, (int)(step & 0xff), n);
                m[s] = (km_block){h, n, (uint8_t)step};
            }
        }
        if (step % 97 == 0)
            bad += km_check(k, m);
    }
    bad += km_check(k, m);
    CHECK_EQ(bad, 0);
    kn_kernel_free(k);
}
