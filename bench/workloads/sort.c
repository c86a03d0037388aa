/*
 * sort — quicksort and merge sort of pseudo-random arrays.
 *
 * Each round fills an array from a xorshift generator, sorts one copy with
 * an in-place quicksort (median-of-three, Hoare partition, insertion sort for
 * short ranges) and another with a bottom-up merge sort, checks both agree
 * and are ordered, then folds the result into a checksum.  Branchy integer
 * code with lots of loads/stores.
 */
#include <stdint.h>

#define N      100000
#define ROUNDS 4

static uint32_t qa[N], ma[N], scratch[N];
static uint32_t rng;

static uint32_t next_rand(void)
{
    uint32_t x = rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng = x;
}

static void insertion_sort(uint32_t *v, int32_t lo, int32_t hi)
{
    for (int32_t i = lo + 1; i <= hi; i++) {
        uint32_t key = v[i];
        int32_t j = i - 1;
        while (j >= lo && v[j] > key) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = key;
    }
}

static inline void swap_u32(uint32_t *a, uint32_t *b)
{
    uint32_t t = *a;
    *a = *b;
    *b = t;
}

static void quick_sort(uint32_t *v, int32_t lo, int32_t hi)
{
    while (hi - lo > 16) {
        int32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap_u32(&v[mid], &v[lo]);
        if (v[hi] < v[lo]) swap_u32(&v[hi], &v[lo]);
        if (v[hi] < v[mid]) swap_u32(&v[hi], &v[mid]);
        uint32_t pivot = v[mid];
        int32_t i = lo - 1, j = hi + 1;
        for (;;) {
            do i++; while (v[i] < pivot);
            do j--; while (v[j] > pivot);
            if (i >= j)
                break;
            swap_u32(&v[i], &v[j]);
        }
        /* recurse into the smaller half, iterate on the larger one */
        if (j - lo < hi - j) {
            quick_sort(v, lo, j);
            lo = j + 1;
        } else {
            quick_sort(v, j + 1, hi);
            hi = j;
        }
    }
    insertion_sort(v, lo, hi);
}

/* bottom-up merge sort; result ends up back in v */
static void merge_sort(uint32_t *v, uint32_t *tmp, int32_t n)
{
    uint32_t *src = v, *dst = tmp;
    for (int32_t width = 1; width < n; width *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * width) {
            int32_t mid = lo + width < n ? lo + width : n;
            int32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        for (int32_t i = 0; i < n; i++)
            v[i] = src[i];
}

uint64_t run(void)
{
    uint64_t acc = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        rng = 0x9E3779B9u ^ (r * 0x85EBCA6Bu);
        if (rng == 0)
            rng = 1;
        /* alternate full-range values and values with many duplicates */
        uint32_t mask = (r & 1) ? 0x3FFu : 0xFFFFFFFFu;
        for (int32_t i = 0; i < N; i++) {
            uint32_t x = next_rand() & mask;
            qa[i] = x;
            ma[i] = x;
        }
        quick_sort(qa, 0, N - 1);
        merge_sort(ma, scratch, N);
        uint64_t h = 0xCBF29CE484222325ull;
        for (int32_t i = 0; i < N; i++) {
            if (qa[i] != ma[i] || (i > 0 && qa[i - 1] > qa[i]))
                return 0xBADBADu + (uint64_t)i;   /* sorting bug */
            h = (h ^ qa[i]) * 0x100000001B3ull;
        }
        acc = acc * 31u + h;
    }
    return acc;
}
