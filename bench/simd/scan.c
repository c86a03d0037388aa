/*
 * scan — byte scanning of JSON-lines text, like a parser's first stage.
 *
 * Generates 256 KiB of JSON-lines records (objects with numbers, strings
 * containing escaped quotes and backslashes, punctuation inside strings,
 * nested arrays), then scans it repeatedly, 64 bytes at a time:
 *
 *   1. classify every byte into bit masks (quote, backslash, structural
 *      {}[]:, and whitespace, newline) — one bit per byte, 64-bit words;
 *   2. work out which quotes are escaped (odd runs of backslashes) and which
 *      bytes are inside strings (a prefix XOR of the quote mask, carried
 *      from block to block);
 *   3. count structural characters, whitespace and newlines outside strings
 *      and the strings themselves, and hash the mask words;
 *
 * plus a second pass that counts digits, key-ending `":` pairs and ASCII
 * validity with simple per-byte loops.
 *
 * Step 1 is where SIMD matters: with __wasm_simd128__ (built with
 * -msimd128) it uses <wasm_simd128.h> — 16-byte compares and
 * i8x16.bitmask — and otherwise a portable table-driven byte loop; both
 * produce the same masks, so the same checksum.  Steps 2-3 are the same
 * scalar code in every build; the second pass is plain C that clang
 * auto-vectorises under -msimd128.
 */
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define LEN    (256 * 1024)       /* a multiple of 64 */
#define ROUNDS 40

static uint8_t text[LEN];
static uint32_t rng;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* ---- text generator ------------------------------------------------------ */

static uint32_t pos;

static void put(uint8_t c)
{
    if (pos < LEN)
        text[pos++] = c;
}

static void put_str(const char *s)
{
    while (*s)
        put((uint8_t)*s++);
}

static void put_num(uint32_t v)
{
    char d[10];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put((uint8_t)d[--n]);
}

static void put_string_value(void)
{
    static const char *const words[8] = {"alpha", "beta", "gamma", "delta",
                                         "kiln", "wasm", "vector", "lane"};
    put('"');
    uint32_t n = 1 + next_rand() % 6;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = next_rand();
        put_str(words[r & 7]);
        switch ((r >> 3) % 12) {
        case 0: put('\\'); put('"'); break;          /* escaped quote */
        case 1: put('\\'); put('\\'); break;         /* escaped backslash */
        case 2: put(','); break;                     /* punctuation inside */
        case 3: put(':'); put(' '); break;
        case 4: put('{'); put(']'); break;
        case 5: put('\\'); put('n'); break;
        default: put(' '); break;
        }
    }
    put('"');
}

static void make_text(void)
{
    static const char *const keys[6] = {"\"id\":", "\"name\":", "\"tags\":",
                                        "\"score\":", "\"note\":", "\"pos\":"};
    rng = 0x6a09e667u;
    pos = 0;
    while (pos < LEN) {
        put('{');
        for (uint32_t k = 0; k < 6; k++) {
            if (k) {
                put(',');
                if (next_rand() & 1)
                    put(' ');
            }
            put_str(keys[k]);
            uint32_t r = next_rand();
            if (k == 2 || k == 5) {
                put('[');
                for (uint32_t i = 0; i < 1 + r % 4; i++) {
                    if (i)
                        put(',');
                    if (k == 2) put_string_value(); else put_num(next_rand() % 100000);
                }
                put(']');
            } else if (k == 1 || k == 4) {
                put_string_value();
            } else {
                put_num(r % 1000000);
            }
        }
        put('}');
        put(next_rand() % 5 ? '\n' : '\t');
    }
}

/* ---- step 1: classification ----------------------------------------------- */

struct masks {
    uint64_t quote, backslash, structural, space, newline;
};

#ifdef __wasm_simd128__

static inline uint64_t bits16(v128_t m)
{
    return (uint64_t)(uint16_t)wasm_i8x16_bitmask(m);
}

static void classify(const uint8_t *p, struct masks *m)
{
    m->quote = m->backslash = m->structural = m->space = m->newline = 0;
    for (uint32_t k = 0; k < 4; k++) {
        v128_t v = wasm_v128_load(p + 16 * k);
        /* '[' | 0x20 == '{' and ']' | 0x20 == '}' */
        v128_t low = wasm_v128_or(v, wasm_i8x16_splat(0x20));
        v128_t st = wasm_v128_or(
            wasm_v128_or(wasm_i8x16_eq(low, wasm_i8x16_splat('{')),
                         wasm_i8x16_eq(low, wasm_i8x16_splat('}'))),
            wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat(':')),
                         wasm_i8x16_eq(v, wasm_i8x16_splat(','))));
        v128_t nl = wasm_i8x16_eq(v, wasm_i8x16_splat('\n'));
        v128_t sp = wasm_v128_or(
            wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat(' ')), nl),
            wasm_v128_or(wasm_i8x16_eq(v, wasm_i8x16_splat('\t')),
                         wasm_i8x16_eq(v, wasm_i8x16_splat('\r'))));
        uint32_t sh = 16 * k;
        m->quote |= bits16(wasm_i8x16_eq(v, wasm_i8x16_splat('"'))) << sh;
        m->backslash |= bits16(wasm_i8x16_eq(v, wasm_i8x16_splat('\\'))) << sh;
        m->structural |= bits16(st) << sh;
        m->space |= bits16(sp) << sh;
        m->newline |= bits16(nl) << sh;
    }
}

#else

enum { C_QUOTE = 1, C_BACKSLASH = 2, C_STRUCT = 4, C_SPACE = 8, C_NEWLINE = 16 };
static uint8_t cls[256];

static void init_classes(void)
{
    cls['"'] = C_QUOTE;
    cls['\\'] = C_BACKSLASH;
    cls['{'] = cls['}'] = cls['['] = cls[']'] = cls[':'] = cls[','] = C_STRUCT;
    cls[' '] = cls['\t'] = cls['\r'] = C_SPACE;
    cls['\n'] = C_SPACE | C_NEWLINE;
}

static void classify(const uint8_t *p, struct masks *m)
{
    uint64_t q = 0, b = 0, s = 0, w = 0, n = 0;
    for (uint32_t i = 0; i < 64; i++) {
        uint64_t c = cls[p[i]];
        q |= (c & 1) << i;
        b |= (c >> 1 & 1) << i;
        s |= (c >> 2 & 1) << i;
        w |= (c >> 3 & 1) << i;
        n |= (c >> 4 & 1) << i;
    }
    m->quote = q, m->backslash = b, m->structural = s, m->space = w, m->newline = n;
}

#endif

/* ---- steps 2-3: strings and counts (the same code in every build) -------- */

struct totals {
    uint32_t structural, space, newline, strings, blocks;
    uint64_t hash;
};

static inline uint32_t popcount64(uint64_t x)
{
    return (uint32_t)__builtin_popcountll(x);
}

/* prefix XOR: bit i of the result is the XOR of bits 0..i of x */
static inline uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

static void scan_text(const uint8_t *p, uint32_t len, struct totals *t)
{
    uint64_t in_string = 0;       /* all ones if the previous block ended inside a string */
    uint32_t escape_next = 0;     /* previous block ended with an unescaped backslash */
    t->structural = t->space = t->newline = t->strings = t->blocks = 0;
    t->hash = 0xcbf29ce484222325ull;
    for (uint32_t off = 0; off < len; off += 64) {
        struct masks m;
        classify(p + off, &m);

        /* escaped bytes: the byte after each backslash that is itself not
         * escaped (backslashes are rare, so walk them one by one) */
        uint64_t escaped = 0, bs = m.backslash;
        if (escape_next) {
            escaped = 1;
            bs &= ~1ull;
        }
        escape_next = 0;
        while (bs) {
            uint32_t i = (uint32_t)__builtin_ctzll(bs);
            if (i == 63) {
                escape_next = 1;
                break;
            }
            escaped |= 2ull << i;
            bs &= ~(3ull << i);
        }

        uint64_t quotes = m.quote & ~escaped;
        /* inside = opening quote up to (not including) the closing quote */
        uint64_t inside = prefix_xor(quotes) ^ in_string;
        in_string = 0 - (inside >> 63);
        uint64_t outside = ~inside & ~quotes;

        uint64_t st = m.structural & outside;
        t->structural += popcount64(st);
        t->space += popcount64(m.space & outside);
        t->newline += popcount64(m.newline & outside);
        t->strings += popcount64(quotes & inside);   /* opening quotes */
        t->blocks++;
        t->hash = (t->hash ^ st) * 0x100000001b3ull;
        t->hash = (t->hash ^ (inside >> 7)) * 0x100000001b3ull;
    }
}

/* ---- second pass: simple per-byte loops ---------------------------------- */

static uint64_t byte_stats(const uint8_t *p, uint32_t len)
{
    uint32_t digits = 0, keys = 0, sum = 0;
    uint8_t any = 0;
    for (uint32_t i = 0; i < len; i++) {
        digits += (uint8_t)(p[i] - '0') < 10;
        sum += p[i];
        any |= p[i];
    }
    for (uint32_t i = 0; i + 1 < len; i++)
        keys += (p[i] == '"') & (p[i + 1] == ':');
    return (uint64_t)digits << 40 ^ (uint64_t)keys << 20 ^ sum ^ (uint64_t)(any >> 7) << 63;
}

uint64_t run(void)
{
#ifndef __wasm_simd128__
    init_classes();
#endif
    make_text();
    uint64_t acc = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        struct totals t;
        scan_text(text, LEN, &t);
        acc = acc * 0x9e3779b97f4a7c15ull + t.hash;
        acc += (uint64_t)t.structural << 32 | t.strings;
        acc ^= (uint64_t)t.space << 40 ^ (uint64_t)t.newline << 8 ^ t.blocks;
        acc = acc * 31 + byte_stats(text, LEN);
        /* change one byte so every round scans different text */
        static const uint8_t edits[8] = {'"', '\\', ',', '{', ' ', '\n', 'x', ']'};
        uint32_t e = next_rand();
        text[e % LEN] = edits[(e >> 24) & 7];
    }
    return acc;
}
