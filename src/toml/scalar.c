/*
 * scalar.c — the values that are not strings, arrays or inline tables:
 * booleans, integers (decimal, 0x, 0o, 0b), floats (with exponent, inf and
 * nan) and the four datetime kinds.
 *
 * Such a value is first cut out as one token of the characters it can be
 * made of (letters, digits, '_', '+', '-', '.', ':'; plus a space between a
 * date and a time), then classified and checked as a whole, so the grammar
 * of each kind lives in one function.  Integers are range-checked as they
 * are read (int64, overflow is an error); floats are converted with
 * strtod_l in the "C" locale, so the embedder's locale cannot change them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "toml_impl.h"

static bool is_tok(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '+' || c == '-' || c == '.' || c == ':';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int digit_in_base(int c, int base)
{
    int d = -1;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    return d < base ? d : -1;
}

/* A date followed by a space and a digit is a datetime written with a
 * space: the token goes on past the space. */
static size_t token_end(const tp *p)
{
    size_t e = p->i;
    while (e < p->n && is_tok((unsigned char)p->s[e]))
        e++;
    const char *t = p->s + p->i;
    if (e - p->i == 10 && t[4] == '-' && t[7] == '-' && e + 1 < p->n && p->s[e] == ' ' &&
        is_digit((unsigned char)p->s[e + 1])) {
        e++;
        while (e < p->n && is_tok((unsigned char)p->s[e]))
            e++;
    }
    return e;
}

/* Digits of base `base` with single underscores between them, from *k;
 * false unless at least one digit and every '_' is between two digits. */
static bool digit_run(const char *s, size_t n, size_t *k, int base)
{
    size_t i = *k;
    if (i >= n || digit_in_base((unsigned char)s[i], base) < 0)
        return false;
    while (i < n) {
        if (digit_in_base((unsigned char)s[i], base) >= 0)
            i++;
        else if (s[i] == '_' && i + 1 < n && digit_in_base((unsigned char)s[i + 1], base) >= 0)
            i++;
        else
            break;
    }
    *k = i;
    return true;
}

/* The value of an all-valid digit run, at most limit; false on overflow. */
static bool accumulate(const char *s, size_t n, int base, uint64_t limit, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digit_in_base((unsigned char)s[i], base);
        if (d < 0)
            continue;
        if (v > (limit - (uint64_t)d) / (uint64_t)base)
            return false;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool integer(tp *p, const char *t, size_t n, kiln_toml_value *v)
{
    size_t k = 0;
    int base = 10;
    bool neg = false;
    if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
        base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
        k = 2;
    } else if (t[0] == '+' || t[0] == '-') {
        neg = t[0] == '-';
        k = 1;
    }
    size_t d0 = k;
    if (!digit_run(t, n, &k, base) || k != n)
        return tp_fail(p, p->i, "invalid number '%.*s'", (int)n, t);
    if (base == 10 && t[d0] == '0' && n - d0 > 1)
        return tp_fail(p, p->i, "leading zeros are not allowed in '%.*s'", (int)n, t);
    uint64_t mag;
    if (!accumulate(t + d0, n - d0, base, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &mag))
        return tp_fail(p, p->i, "integer '%.*s' does not fit in 64 bits", (int)n, t);
    v->type = KILN_TOML_INTEGER;
    v->u.i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

/* [+-] int [. digits] [e [+-] digits], with at least a fraction or an
 * exponent; true if t is one. */
static bool float_syntax(const char *t, size_t n)
{
    size_t k = t[0] == '+' || t[0] == '-';
    size_t d0 = k;
    if (!digit_run(t, n, &k, 10) || (t[d0] == '0' && k - d0 > 1))
        return false;
    bool frac = k < n && t[k] == '.';
    if (frac) {
        k++;
        if (!digit_run(t, n, &k, 10))
            return false;
    }
    if (k < n && (t[k] == 'e' || t[k] == 'E')) {
        k++;
        if (k < n && (t[k] == '+' || t[k] == '-'))
            k++;
        return digit_run(t, n, &k, 10) && k == n;
    }
    return frac && k == n;
}

static bool special_float(const char *t, size_t n, double *out)
{
    size_t k = t[0] == '+' || t[0] == '-';
    if (n - k != 3)
        return false;
    double sign = t[0] == '-' ? -1.0 : 1.0;
    if (memcmp(t + k, "inf", 3) == 0)
        *out = sign * __builtin_inf();
    else if (memcmp(t + k, "nan", 3) == 0)
        *out = sign < 0 ? -__builtin_nan("") : __builtin_nan("");
    else
        return false;
    return true;
}

static bool floating(tp *p, const char *t, size_t n, kiln_toml_value *v)
{
    v->type = KILN_TOML_FLOAT;
    if (special_float(t, n, &v->u.f))
        return true;
    if (!float_syntax(t, n))
        return tp_fail(p, p->i, "invalid float '%.*s'", (int)n, t);
    char tmp[128];
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (t[k] != '_') {
            if (m + 1 >= sizeof tmp)
                return tp_fail(p, p->i, "float '%.*s' is too long", (int)(n > 40 ? 40 : n), t);
            tmp[m++] = t[k];
        }
    tmp[m] = 0;
    if (!p->c_locale && !(p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)))
        return tp_nomem(p);
    errno = 0;
    v->u.f = strtod_l(tmp, NULL, p->c_locale);
    if (errno == ERANGE && (v->u.f > 1.0 || v->u.f < -1.0))
        return tp_fail(p, p->i, "float '%.*s' is out of range", (int)n, t);
    return true;
}

static bool is_datetime(const char *t, size_t n)
{
    if (n >= 3 && is_digit((unsigned char)t[0]) && is_digit((unsigned char)t[1]) && t[2] == ':')
        return true;
    for (size_t k = 0; k < n && k < 5; k++)
        if (!is_digit((unsigned char)t[k]))
            return k == 4 && t[k] == '-';
    return false;
}

static bool datetime(tp *p, const char *t, size_t n, kiln_toml_value *v)
{
    kiln_toml_datetime dt;
    const char *why = tp_parse_datetime(t, n, &dt);
    if (why)
        return tp_fail(p, p->i, "invalid datetime '%.*s': %s", (int)n, t, why);
    char *text = malloc(n + 1);
    if (!text)
        return tp_nomem(p);
    memcpy(text, t, n);
    text[n] = 0;
    dt.text = text;
    dt.text_len = n;
    v->type = dt.kind;
    v->u.dt = dt;
    return true;
}

bool tp_read_scalar(tp *p, kiln_toml_value *v)
{
    size_t e = token_end(p);
    const char *t = p->s + p->i;
    size_t n = e - p->i;
    bool ok;
    if (n == 0) {
        int c = tp_peek(p, 0);
        if (c < 0 || c == '\n' || c == '\r' || c == '#')
            return tp_fail(p, p->i, "expected a value");
        return tp_fail(p, p->i, "expected a value, found '%c'", c < 0x20 ? '?' : c);
    }
    if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0)) {
        v->type = KILN_TOML_BOOL;
        v->u.b = n == 4;
        ok = true;
    } else if (is_datetime(t, n)) {
        ok = datetime(p, t, n, v);
    } else if (t[0] != '0' || n < 2 || (t[1] != 'x' && t[1] != 'o' && t[1] != 'b')) {
        double d;
        bool f = special_float(t, n, &d) || memchr(t, '.', n) || memchr(t, 'e', n) ||
                 memchr(t, 'E', n);
        ok = f ? floating(p, t, n, v) : integer(p, t, n, v);
    } else {
        ok = integer(p, t, n, v);
    }
    if (ok)
        p->i = e;
    return ok;
}
