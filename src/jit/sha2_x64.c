/*
 * sha2_x64.c — SHA-256 compression with the x86 SHA extensions, for
 * sha2.c: the artifacts it hashes are megabytes (a module and its
 * machine code, hashed on every cache load), where the portable C
 * (~120 MB/s) would cost more than the compiling the cache saves.
 *
 * The state is kept the way sha256rnds2 wants it, ABEF and CDGH, for the
 * whole run of blocks; each rnds2 does two rounds, so four rounds are two
 * rnds2 with the round constants added to four message words.  The
 * message schedule is msg1 (W[t-16] + sigma0(W[t-15])), plus W[t-7] (an
 * alignr of the last two groups), then msg2 (the sigma1 terms).  Whether
 * the CPU has the extensions is asked (cpuid) on each call: a few calls
 * per artifact, and no state kept between them.
 */
#include "sha2.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

static bool has_sha_ni(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
        return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return false;
    return (b >> 29) & 1;
}

__attribute__((target("sha,sse4.1,ssse3"))) static void blocks(uint32_t h[8], const uint8_t *p,
                                                               size_t n, const uint32_t *k)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);  /* CDAB */
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); /* EFGH */
    __m128i s0 = _mm_alignr_epi8(t, s1, 8);                                         /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);                                               /* CDGH */
    for (; n; n--, p += 64) {
        __m128i a0 = s0, a1 = s1, w[4];
        for (int i = 0; i < 4; i++)
            w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
        for (int g = 0; g < 16; g++) {
            if (g >= 4) {
                __m128i x = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
                w[g & 3] = _mm_sha256msg2_epu32(x, w[(g + 3) & 3]);
            }
            __m128i m = _mm_add_epi32(w[g & 3], _mm_loadu_si128((const __m128i *)&k[4 * g]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, m);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
        }
        s0 = _mm_add_epi32(s0, a0);
        s1 = _mm_add_epi32(s1, a1);
    }
    t = _mm_shuffle_epi32(s0, 0x1B);        /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);       /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xF0);      /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);         /* HGFE */
    _mm_storeu_si128((__m128i *)&h[0], s0);
    _mm_storeu_si128((__m128i *)&h[4], s1);
}

bool kn_sha2_hw_blocks(uint32_t h[8], const uint8_t *p, size_t n, const uint32_t k[64])
{
    if (!has_sha_ni())
        return false;
    blocks(h, p, n, k);
    return true;
}
#else
bool kn_sha2_hw_blocks(uint32_t h[8], const uint8_t *p, size_t n, const uint32_t k[64])
{
    (void)h, (void)p, (void)n, (void)k;
    return false;
}
#endif
