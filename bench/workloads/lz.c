/*
 * lz — LZ77 compression and decompression of generated text.
 *
 * Builds ~192 KiB of pseudo-English (words made of random syllables, with
 * punctuation and numbers), compresses it with a hash-chain LZ77 matcher
 * (3-byte hash, bounded chain depth, 64 KiB window) into a byte-oriented
 * token stream, decompresses it again and checks the round trip.  Byte
 * loads/compares, hash-table updates and data-dependent branches.
 */
#include <stdint.h>

#define IN_MAX     (192 * 1024)
#define OUT_MAX    (IN_MAX + IN_MAX / 64 + 64)
#define HASH_BITS  15
#define WINDOW     65535
#define MAX_CHAIN  48
#define MIN_MATCH  4
#define MAX_MATCH  (MIN_MATCH + 127)
#define ROUNDS     3

static uint8_t input[IN_MAX];
static uint8_t packed[OUT_MAX];
static uint8_t unpacked[IN_MAX];
static int32_t head[1 << HASH_BITS];
static int32_t prev_pos[IN_MAX];
static uint32_t rng;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* ---- text generator ------------------------------------------------------ */

static char words[256][12];
static uint8_t word_len[256];

static void make_text(uint32_t seed, uint32_t len)
{
    static const char *const syl[16] = {"ka", "lo", "min", "ter", "a", "sun",
                                        "dra", "ve", "o", "pli", "st", "en",
                                        "qua", "ri", "mo", "th"};
    rng = seed ? seed : 1;
    for (int w = 0; w < 256; w++) {
        int n = 0, parts = 1 + (int)(next_rand() % 3);
        for (int p = 0; p < parts; p++) {
            const char *s = syl[next_rand() & 15];
            while (*s && n < 11)
                words[w][n++] = *s++;
        }
        word_len[w] = (uint8_t)n;
    }
    uint32_t pos = 0;
    int cap = 1;
    while (pos + 16 < len) {
        uint32_t r = next_rand();
        /* skewed word choice: small indices are much more common */
        uint32_t w = (r & 0xFF) & ((r >> 8) & 0xFF);
        for (int i = 0; i < word_len[w]; i++) {
            char c = words[w][i];
            if (cap && i == 0)
                c = (char)(c - 'a' + 'A');
            input[pos++] = (uint8_t)c;
        }
        cap = 0;
        uint32_t k = (r >> 16) % 29;
        if (k == 0) {
            input[pos++] = '.';
            cap = 1;
        } else if (k == 1) {
            input[pos++] = ',';
        } else if (k == 2) {
            input[pos++] = ' ';
            uint32_t v = (r >> 21) % 2000;
            if (v >= 1000) input[pos++] = (uint8_t)('0' + v / 1000);
            if (v >= 100) input[pos++] = (uint8_t)('0' + v / 100 % 10);
            if (v >= 10) input[pos++] = (uint8_t)('0' + v / 10 % 10);
            input[pos++] = (uint8_t)('0' + v % 10);
        } else if (k == 3) {
            input[pos++] = '.';
            input[pos++] = '\n';
            cap = 1;
            continue;
        }
        input[pos++] = ' ';
    }
    while (pos < len)
        input[pos++] = '\n';
}

/* ---- compressor ---------------------------------------------------------- */
/*
 * Token stream: a control byte c.
 *   c < 0x80  : c+1 literal bytes follow.
 *   c >= 0x80 : a match of length (c & 0x7F) + MIN_MATCH; a 16-bit little-
 *               endian distance (1..WINDOW) follows.
 */

static inline uint32_t hash3(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static uint32_t compress(const uint8_t *in, uint32_t n, uint8_t *out)
{
    for (int i = 0; i < (1 << HASH_BITS); i++)
        head[i] = -1;
    uint32_t o = 0, lit_start = 0, i = 0;

    while (i < n) {
        uint32_t best_len = 0, best_dist = 0;
        if (i + MIN_MATCH <= n) {
            uint32_t h = hash3(in + i);
            int32_t cand = head[h];
            uint32_t limit = n - i < MAX_MATCH ? n - i : MAX_MATCH;
            for (int chain = 0; cand >= 0 && chain < MAX_CHAIN; chain++) {
                uint32_t dist = i - (uint32_t)cand;
                if (dist > WINDOW)
                    break;
                if (in[cand + best_len] == in[i + best_len]) {
                    uint32_t l = 0;
                    while (l < limit && in[cand + l] == in[i + l])
                        l++;
                    if (l > best_len) {
                        best_len = l;
                        best_dist = dist;
                        if (l == limit)
                            break;
                    }
                }
                cand = prev_pos[cand];
            }
            prev_pos[i] = head[h];
            head[h] = (int32_t)i;
        }
        if (best_len >= MIN_MATCH) {
            /* flush pending literals */
            while (lit_start < i) {
                uint32_t run = i - lit_start > 128 ? 128 : i - lit_start;
                out[o++] = (uint8_t)(run - 1);
                for (uint32_t k = 0; k < run; k++)
                    out[o++] = in[lit_start + k];
                lit_start += run;
            }
            out[o++] = (uint8_t)(0x80 | (best_len - MIN_MATCH));
            out[o++] = (uint8_t)best_dist;
            out[o++] = (uint8_t)(best_dist >> 8);
            /* index the positions covered by the match */
            for (uint32_t k = 1; k < best_len && i + k + 3 <= n; k++) {
                uint32_t h = hash3(in + i + k);
                prev_pos[i + k] = head[h];
                head[h] = (int32_t)(i + k);
            }
            i += best_len;
            lit_start = i;
        } else {
            i++;
        }
    }
    while (lit_start < n) {
        uint32_t run = n - lit_start > 128 ? 128 : n - lit_start;
        out[o++] = (uint8_t)(run - 1);
        for (uint32_t k = 0; k < run; k++)
            out[o++] = in[lit_start + k];
        lit_start += run;
    }
    return o;
}

/* returns the decompressed length, or 0 on a malformed stream */
static uint32_t decompress(const uint8_t *in, uint32_t n, uint8_t *out, uint32_t cap)
{
    uint32_t i = 0, o = 0;
    while (i < n) {
        uint32_t c = in[i++];
        if (c < 0x80) {
            uint32_t run = c + 1;
            if (i + run > n || o + run > cap)
                return 0;
            for (uint32_t k = 0; k < run; k++)
                out[o++] = in[i++];
        } else {
            if (i + 2 > n)
                return 0;
            uint32_t len = (c & 0x7F) + MIN_MATCH;
            uint32_t dist = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8;
            i += 2;
            if (dist == 0 || dist > o || o + len > cap)
                return 0;
            for (uint32_t k = 0; k < len; k++, o++)
                out[o] = out[o - dist];
        }
    }
    return o;
}

uint64_t run(void)
{
    uint64_t acc = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        uint32_t len = IN_MAX - r * 333u;
        make_text(0xA5A5A5A5u ^ (r * 0x9E3779B9u), len);
        uint32_t clen = compress(input, len, packed);
        uint32_t dlen = decompress(packed, clen, unpacked, IN_MAX);
        if (dlen != len)
            return 0xDEAD0000u | r;
        uint64_t h = 0xcbf29ce484222325ull;
        for (uint32_t k = 0; k < len; k++) {
            if (unpacked[k] != input[k])
                return 0xBAD00000u | k;
        }
        for (uint32_t k = 0; k < clen; k++)
            h = (h ^ packed[k]) * 0x100000001b3ull;
        acc = acc * 1000003u + h + ((uint64_t)clen << 32);
    }
    return acc;
}
