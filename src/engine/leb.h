/*
 * leb.h — bounds-checked readers for the integer and float encodings of the
 * WebAssembly binary format: the engine's only LEB128 decoder, used by the
 * module decoder, the function body validator and inspect.  Nothing else
 * reads a LEB128 (constant expressions are decoded once, into
 * kn_module.cinstrs, and read from there).
 *
 * A kn_reader walks [p, end) of a buffer that begins at `start`, so the
 * offset of anything read is `pointer - start`: callers report offsets into
 * the whole module even when they read a sub-range of it.  Every reader
 * returns false on failure without moving p, and records in `err` the spec
 * testsuite's wording of the problem and in `err_at` the byte it concerns;
 * kn_reader_err_offset turns that into an offset.
 *
 * LEB128 is strict, as the spec requires: an encoding may use at most
 * ceil(N/7) bytes for an N-bit integer ("integer representation too long"),
 * and the bits of the last byte beyond N must be zero (unsigned) or copies
 * of the sign bit (signed) ("integer too large").  The checks are made byte
 * by byte in the same order as the reference interpreter, so the message for
 * an input that is wrong in two ways is the one the testsuite expects.
 */
#ifndef KN_LEB_H
#define KN_LEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KN_MSG_EOF "unexpected end of section or function"
#define KN_MSG_TOO_LONG "integer representation too long"
#define KN_MSG_TOO_LARGE "integer too large"

typedef struct kn_reader {
    const uint8_t *p, *end, *start;
    const char *err;            /* set by a failed read */
    const uint8_t *err_at;      /* where that failure is reported */
} kn_reader;

static inline kn_reader kn_reader_make(const uint8_t *start, const uint8_t *p, const uint8_t *end)
{
    kn_reader r = {p, end, start, NULL, NULL};
    return r;
}

static inline bool kn_reader_fail(kn_reader *r, const uint8_t *at, const char *msg)
{
    r->err = msg;
    r->err_at = at;
    return false;
}

static inline size_t kn_reader_offset(const kn_reader *r) { return (size_t)(r->p - r->start); }
static inline size_t kn_reader_left(const kn_reader *r) { return (size_t)(r->end - r->p); }
static inline bool kn_reader_eof(const kn_reader *r) { return r->p >= r->end; }
static inline size_t kn_reader_err_offset(const kn_reader *r)
{
    return r->err_at ? (size_t)(r->err_at - r->start) : kn_reader_offset(r);
}

static inline bool kn_read_u8(kn_reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return kn_reader_fail(r, r->end, KN_MSG_EOF);
    *out = *r->p++;
    return true;
}

static inline bool kn_peek_u8(const kn_reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return false;
    *out = *r->p;
    return true;
}

/* n raw bytes; *out points into the buffer. */
static inline bool kn_read_bytes(kn_reader *r, size_t n, const uint8_t **out)
{
    if (n > kn_reader_left(r))
        return kn_reader_fail(r, r->end, KN_MSG_EOF);
    *out = r->p;
    r->p += n;
    return true;
}

/* Unsigned LEB128 of at most `bits` bits (1..64). */
static inline bool kn_read_uleb(kn_reader *r, unsigned bits, uint64_t *out)
{
    const uint8_t *p = r->p;
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        if (p >= r->end)
            return kn_reader_fail(r, r->end, KN_MSG_EOF);
        uint8_t b = *p;
        unsigned left = bits - shift;
        if (left < 7 && (b & 0x7f) >> left)
            return kn_reader_fail(r, p, KN_MSG_TOO_LARGE);
        v |= (uint64_t)(b & 0x7f) << shift;
        p++;
        if (!(b & 0x80))
            break;
        shift += 7;
        if (shift >= bits)
            return kn_reader_fail(r, p, KN_MSG_TOO_LONG);
    }
    r->p = p;
    *out = v;
    return true;
}

/* Signed LEB128 of at most `bits` bits (7..64), sign-extended to 64. */
static inline bool kn_read_sleb(kn_reader *r, unsigned bits, int64_t *out)
{
    const uint8_t *p = r->p;
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    for (;;) {
        if (p >= r->end)
            return kn_reader_fail(r, r->end, KN_MSG_EOF);
        b = *p;
        unsigned left = bits - shift;
        if (left < 7) {
            /* The unused high bits and the sign bit must all agree. */
            uint8_t mask = (uint8_t)((0x7fu << (left - 1)) & 0x7fu);
            uint8_t hi = b & mask;
            if (hi != 0 && hi != mask)
                return kn_reader_fail(r, p, KN_MSG_TOO_LARGE);
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        p++;
        shift += 7;
        if (!(b & 0x80))
            break;
        if (shift >= bits)
            return kn_reader_fail(r, p, KN_MSG_TOO_LONG);
    }
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    r->p = p;
    *out = (int64_t)v;
    return true;
}

static inline bool kn_read_u32(kn_reader *r, uint32_t *out)
{
    uint64_t v;
    if (!kn_read_uleb(r, 32, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static inline bool kn_read_u64(kn_reader *r, uint64_t *out) { return kn_read_uleb(r, 64, out); }

static inline bool kn_read_s32(kn_reader *r, int32_t *out)
{
    int64_t v;
    if (!kn_read_sleb(r, 32, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

/* Block types are signed 33-bit so that a type index fits as a positive. */
static inline bool kn_read_s33(kn_reader *r, int64_t *out) { return kn_read_sleb(r, 33, out); }

static inline bool kn_read_s64(kn_reader *r, int64_t *out) { return kn_read_sleb(r, 64, out); }

/* Float immediates are kept as their IEEE bits: converting through a float
 * could quieten a signalling NaN. */
static inline bool kn_read_f32_bits(kn_reader *r, uint32_t *out)
{
    const uint8_t *b;
    if (!kn_read_bytes(r, 4, &b))
        return false;
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

static inline bool kn_read_f64_bits(kn_reader *r, uint64_t *out)
{
    const uint8_t *b;
    if (!kn_read_bytes(r, 8, &b))
        return false;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    *out = v;
    return true;
}

#endif
