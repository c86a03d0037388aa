/*
 * num.c — numeric literals and string contents of the text format.
 *
 * Integers: an optional sign, then decimal or 0x hex digits, '_' allowed
 * only between two digits.  Unsigned literals (indices, offsets) take no
 * sign; signed contexts accept -2^(N-1) .. 2^N-1 unsigned-or-negative, as
 * the spec's iN = uN | sN.
 *
 * Floats: the syntax is checked here against the spec's grammar (strtod
 * alone accepts more, e.g. "infinity" or "0x.p1"), then the digits without
 * underscores go to strtof/strtod, which round correctly to nearest-even
 * for both decimal and hex spellings (glibc reads all the digits).  A
 * value that rounds to infinity is out of range; one that underflows to a
 * subnormal or zero is fine.  nan:0x... payloads must be non-zero and fit
 * the significand.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wat_impl.h"

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool digit_ok(char c, bool hex) { return hex ? hexv(c) >= 0 : (c >= '0' && c <= '9'); }

/* Length of a digit run with single underscores between digits at s, 0 if
 * none (or a misplaced '_'). */
static size_t digits(const char *s, size_t n, bool hex)
{
    size_t i = 0;
    if (i >= n || !digit_ok(s[i], hex))
        return 0;
    i++;
    while (i < n) {
        if (s[i] == '_') {
            if (i + 1 >= n || !digit_ok(s[i + 1], hex))
                return 0;
            i += 2;
        } else if (digit_ok(s[i], hex)) {
            i++;
        } else {
            break;
        }
    }
    return i;
}

/* The magnitude of an unsigned literal (no sign); SYNTAX or RANGE (> max). */
static wat_num_status magnitude(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
    if (hex)
        s += 2, n -= 2;
    if (digits(s, n, hex) != n)
        return WAT_NUM_SYNTAX;
    uint64_t v = 0;
    bool over = false;
    unsigned base = hex ? 16 : 10;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_')
            continue;
        unsigned d = (unsigned)hexv(s[i]);
        if (v > (max - d) / base)
            over = true;
        else
            v = v * base + d;
    }
    if (over)
        return WAT_NUM_RANGE;
    *out = v;
    return WAT_NUM_OK;
}

wat_num_status kn_wat_num_uint(const wat_tok *t, unsigned bits, uint64_t *out)
{
    if (t->kind != WT_ATOM)
        return WAT_NUM_SYNTAX;
    uint64_t max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    return magnitude(t->s, t->len, max, out);
}

wat_num_status kn_wat_num_int(const wat_tok *t, unsigned bits, uint64_t *out)
{
    if (t->kind != WT_ATOM)
        return WAT_NUM_SYNTAX;
    const char *s = t->s;
    size_t n = t->len;
    char sign = 0;
    if (n && (s[0] == '+' || s[0] == '-'))
        sign = s[0], s++, n--;
    uint64_t mask = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    uint64_t half = UINT64_C(1) << (bits - 1);
    uint64_t max = sign == '-' ? half : sign == '+' ? half - 1 : mask;
    uint64_t v;
    wat_num_status st = magnitude(s, n, max, &v);
    if (st != WAT_NUM_OK)
        return st;
    *out = (sign == '-' ? (uint64_t)0 - v : v) & mask;
    return WAT_NUM_OK;
}

/* Checks the float grammar on s (sign already removed); copies the digits
 * without '_' into buf (room for n+1).  *kind: 0 number, 1 inf, 2 nan, 3
 * nan:0x payload (in *payload, maybe with RANGE for huge ones). */
static wat_num_status float_syntax(const char *s, size_t n, char *buf, int *kind, uint64_t *payload)
{
    if (n == 3 && memcmp(s, "inf", 3) == 0)
        return *kind = 1, WAT_NUM_OK;
    if (n == 3 && memcmp(s, "nan", 3) == 0)
        return *kind = 2, WAT_NUM_OK;
    if (n > 6 && memcmp(s, "nan:0x", 6) == 0) {
        *kind = 3;
        if (digits(s + 6, n - 6, true) != n - 6)
            return WAT_NUM_SYNTAX;
        return magnitude(s + 4, n - 4, UINT64_MAX, payload);
    }
    *kind = 0;
    bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
    size_t i = hex ? 2 : 0, d = digits(s + i, n - i, hex);
    if (!d)
        return WAT_NUM_SYNTAX;
    i += d;
    if (i < n && s[i] == '.') {
        i++;
        i += digits(s + i, n - i, hex);
    }
    if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = digits(s + i, n - i, false);
        if (!e)
            return WAT_NUM_SYNTAX;
        i += e;
    }
    if (i != n)
        return WAT_NUM_SYNTAX;
    size_t k = 0;
    for (i = 0; i < n; i++)
        if (s[i] != '_')
            buf[k++] = s[i];
    buf[k] = 0;
    return WAT_NUM_OK;
}

/* The shared part of f32/f64: sign, syntax, specials; kind 0 leaves the
 * cleaned digits in buf for the caller's strtof/strtod. */
static wat_num_status float_start(const wat_tok *t, char *buf, bool *neg, int *kind,
                                  uint64_t *payload)
{
    if (t->kind != WT_ATOM && t->kind != WT_KEYWORD)
        return WAT_NUM_SYNTAX;
    const char *s = t->s;
    size_t n = t->len;
    *neg = false;
    if (n && (s[0] == '+' || s[0] == '-'))
        *neg = s[0] == '-', s++, n--;
    if (n == 0)
        return WAT_NUM_SYNTAX;
    return float_syntax(s, n, buf, kind, payload);
}

wat_num_status kn_wat_num_f32(const wat_tok *t, uint32_t *bits)
{
    char *buf = malloc(t->len + 1);
    if (!buf)
        return WAT_NUM_RANGE;
    bool neg = false;
    int kind = 0;
    uint64_t payload = 0;
    wat_num_status st = float_start(t, buf, &neg, &kind, &payload);
    uint32_t sign = neg ? 0x80000000u : 0;
    if (st == WAT_NUM_OK) {
        if (kind == 1) {
            *bits = sign | 0x7f800000u;
        } else if (kind == 2) {
            *bits = sign | 0x7fc00000u;
        } else if (kind == 3) {
            if (payload == 0 || payload > 0x7fffff)
                st = WAT_NUM_RANGE;
            else
                *bits = sign | 0x7f800000u | (uint32_t)payload;
        } else {
            float f = strtof(buf, NULL);
            if (isinf(f))
                st = WAT_NUM_RANGE;
            uint32_t u;
            memcpy(&u, &f, 4);
            *bits = u | sign;
        }
    }
    free(buf);
    return st;
}

wat_num_status kn_wat_num_f64(const wat_tok *t, uint64_t *bits)
{
    char *buf = malloc(t->len + 1);
    if (!buf)
        return WAT_NUM_RANGE;
    bool neg = false;
    int kind = 0;
    uint64_t payload = 0;
    wat_num_status st = float_start(t, buf, &neg, &kind, &payload);
    uint64_t sign = neg ? UINT64_C(1) << 63 : 0;
    uint64_t exp = UINT64_C(0x7ff) << 52;
    if (st == WAT_NUM_OK) {
        if (kind == 1) {
            *bits = sign | exp;
        } else if (kind == 2) {
            *bits = sign | exp | UINT64_C(1) << 51;
        } else if (kind == 3) {
            if (payload == 0 || payload >= UINT64_C(1) << 52)
                st = WAT_NUM_RANGE;
            else
                *bits = sign | exp | payload;
        } else {
            double d = strtod(buf, NULL);
            if (isinf(d))
                st = WAT_NUM_RANGE;
            uint64_t u;
            memcpy(&u, &d, 8);
            *bits = u | sign;
        }
    }
    free(buf);
    return st;
}

size_t kn_wat_str_decode(const wat_tok *t, uint8_t *out)
{
    size_t k = 0;
    const char *s = t->s + 1, *end = t->s + t->len - 1;
    while (s < end) {
        if (*s != '\\') {
            out[k++] = (uint8_t)*s++;
            continue;
        }
        s++;
        char e = *s++;
        switch (e) {
        case 't': out[k++] = '\t'; break;
        case 'n': out[k++] = '\n'; break;
        case 'r': out[k++] = '\r'; break;
        case '"': case '\'': case '\\': out[k++] = (uint8_t)e; break;
        case 'u': {
            uint32_t cp = 0;
            for (s++; *s != '}'; s++)
                if (*s != '_')
                    cp = cp * 16 + (uint32_t)hexv(*s);
            s++;
            if (cp < 0x80) {
                out[k++] = (uint8_t)cp;
            } else if (cp < 0x800) {
                out[k++] = (uint8_t)(0xc0 | cp >> 6);
                out[k++] = (uint8_t)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                out[k++] = (uint8_t)(0xe0 | cp >> 12);
                out[k++] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
                out[k++] = (uint8_t)(0x80 | (cp & 0x3f));
            } else {
                out[k++] = (uint8_t)(0xf0 | cp >> 18);
                out[k++] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
                out[k++] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
                out[k++] = (uint8_t)(0x80 | (cp & 0x3f));
            }
            break;
        }
        default:
            out[k++] = (uint8_t)(hexv(e) * 16 + hexv(*s++));
        }
    }
    return k;
}
