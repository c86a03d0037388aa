/*
 * util.c — the helpers behind util.h: error output, loading module files
 * (binary, or text format detected by content and converted), and
 * converting between command-line text and kiln values.
 *
 * The value syntax follows the WebAssembly text format where it has one
 * (decimal or 0x hex integers, "nan", "nan:0x...", "inf", hex floats) so
 * that what `kiln run --invoke` prints can be pasted back as an argument and
 * mean the same value (a v128 prints as wasmtime prints it, one unsigned
 * decimal, and parses from that or from 0x hex).  The one loss is NaN
 * payloads: every NaN prints as "NaN", which reads back as the canonical
 * quiet NaN.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kiln_wat.h"
#include "util.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kiln: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kiln: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (command)
        fprintf(stderr, "Run 'kiln help %s' for usage.\n", command);
    else
        fputs("Run 'kiln help' for usage.\n", stderr);
    return CLI_EXIT_USAGE;
}

/* ---- files and modules --------------------------------------------------- */

bool read_file(const char *path, uint8_t **data, size_t *len)
{
    /* "-" reads standard input, handy for piping from wat2wasm. */
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return false;
    }
    /* Read in growing chunks rather than trusting a size from stat, so
     * pipes and /dev/stdin work too. */
    size_t cap = 64 * 1024, n = 0;
    uint8_t *buf = malloc(cap);
    bool ok = buf != NULL;
    while (ok) {
        if (n == cap) {
            uint8_t *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                ok = false;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int read_errno = errno;
    if (ok && ferror(f)) {
        cli_error("%s: %s", path, strerror(read_errno ? read_errno : EIO));
        ok = false;
    } else if (!ok) {
        cli_error("%s: out of memory", path);
    }
    if (!is_stdin)
        fclose(f);
    if (!ok) {
        free(buf);
        return false;
    }
    *data = buf;
    *len = n;
    return true;
}

void print_module_error(const char *path, const kiln_error *err)
{
    int64_t off = kiln_error_offset(err);
    kiln_error_kind kind = kiln_error_kind_of(err);
    if (off >= 0 && (kind == KILN_ERR_DECODE || kind == KILN_ERR_VALIDATE))
        cli_error("%s: error at offset 0x%" PRIx64 ": %s", path, (uint64_t)off,
                  kiln_error_message(err));
    else
        cli_error("%s: %s", path, kiln_error_message(err));
}

bool new_engine(kiln_engine **out) { return new_engine_tier(KILN_TIER_DEFAULT, out); }

bool new_engine_tier(kiln_tier tier, kiln_engine **out)
{
    return new_engine_cached(tier, false, true, out);
}

bool cli_cache_dir(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')   /* the XDG spec: relative paths are ignored */
        n = snprintf(buf, cap, "%s/kiln", xdg);
    else if (home && home[0])
        n = snprintf(buf, cap, "%s/.cache/kiln", home);
    else
        return false;
    return n > 0 && (size_t)n < cap;
}

bool new_engine_cached(kiln_tier tier, bool cache, bool pooled, kiln_engine **out)
{
    char dir[4096];
    kiln_config config = {.tier = tier, .no_write_map = !pooled};
    /* the default is native where there is a native tier (the engine
     * leaves the cache alone where there is none) */
    if (cache && tier != KILN_TIER_INTERP && cli_cache_dir(dir, sizeof dir))
        config.cache_dir = dir;
    kiln_error *err = kiln_engine_new(&config, out);
    if (!err)
        return true;
    cli_error("%s", kiln_error_message(err));
    kiln_error_free(err);
    return false;
}

bool read_module_file(const char *path, bool names, uint8_t **data, size_t *len)
{
    uint8_t *bytes;
    size_t n;
    if (!read_file(path, &bytes, &n))
        return false;
    if (!kiln_wat_is_text(bytes, n)) {
        *data = bytes;
        *len = n;
        return true;
    }
    uint8_t *wasm;
    size_t wasm_len;
    kiln_wat_error err;
    kiln_wat_options opts = {.debug_names = names};
    bool ok = kiln_wat_to_wasm_opts((const char *)bytes, n, &opts, &wasm, &wasm_len, &err);
    free(bytes);
    if (!ok) {
        if (err.line)
            cli_error("%s:%u:%u: %s", path, err.line, err.column, err.message);
        else
            cli_error("%s: %s", path, err.message);
        return false;
    }
    /* the caller frees with free(): copy out of the parser's allocation */
    *data = malloc(wasm_len ? wasm_len : 1);
    if (!*data) {
        kiln_wat_free(wasm);
        cli_error("%s: out of memory", path);
        return false;
    }
    memcpy(*data, wasm, wasm_len);
    kiln_wat_free(wasm);
    *len = wasm_len;
    return true;
}

/* What the cache did, when it matters to the user: a rejected entry is a
 * warning (it was recompiled; the user may want to know why), the rest is
 * said only with KILN_CACHE_DEBUG set in the environment. */
static void report_cache(const kiln_module *m, const char *path)
{
    const char *detail = NULL;
    kiln_cache_status st = kiln_module_cache_status(m, &detail);
    if (st == KILN_CACHE_REJECTED)
        fprintf(stderr, "kiln: warning: cached code for %s rejected: %s; recompiled\n", path,
                detail ? detail : "?");
    if (!getenv("KILN_CACHE_DEBUG"))
        return;
    static const char *const names[] = {"unused", "hit", "stored", "rejected", "unwritable"};
    fprintf(stderr, "kiln: cache %s%s%s\n", (unsigned)st < 5 ? names[st] : "?",
            detail ? ": " : "", detail ? detail : "");
}

/* An artifact (.kcw): its code if this kiln can use it, else a warning
 * naming why and the module recompiled from the artifact's own copy (when
 * that copy is whole and matches its digest). */
static int load_artifact(kiln_engine *engine, const char *path, const uint8_t *bytes, size_t len,
                         kiln_module **out)
{
    kiln_error *err = kiln_module_deserialize(engine, bytes, len, out);
    if (!err)
        return CLI_EXIT_OK;
    if (kiln_error_kind_of(err) != KILN_ERR_ARTIFACT) {
        print_module_error(path, err);
        kiln_error_free(err);
        return CLI_EXIT_LOAD;
    }
    kiln_artifact_info info;
    kiln_error *ie = kiln_artifact_inspect(bytes, len, &info);
    if (ie || !info.module) {
        cli_error("%s: %s; the module cannot be recovered from it", path,
                  kiln_error_message(err));
        kiln_error_free(ie);
        kiln_error_free(err);
        return CLI_EXIT_LOAD;
    }
    fprintf(stderr, "kiln: warning: %s: %s; recompiling\n", path, kiln_error_message(err));
    kiln_error_free(err);
    err = kiln_module_new(engine, info.module, info.module_len, out);
    if (!err)
        return CLI_EXIT_OK;
    print_module_error(path, err);
    kiln_error_free(err);
    return CLI_EXIT_LOAD;
}

int load_module(kiln_engine *engine, const char *path, kiln_module **out)
{
    uint8_t *bytes;
    size_t len;
    /* names from the text: backtraces and `kiln inspect` show them */
    if (!read_module_file(path, true, &bytes, &len))
        return CLI_EXIT_LOAD;
    if (kiln_is_artifact(bytes, len)) {
        int code = load_artifact(engine, path, bytes, len, out);
        free(bytes);
        return code;
    }
    kiln_error *err = kiln_module_new(engine, bytes, len, out);
    free(bytes); /* kiln_module_new copied what it needs */
    if (err) {
        print_module_error(path, err);
        kiln_error_free(err);
        return CLI_EXIT_LOAD;
    }
    report_cache(*out, path);
    return CLI_EXIT_OK;
}

bool file_is_artifact(const char *path)
{
    if (strcmp(path, "-") == 0)
        return false;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint8_t head[8];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return kiln_is_artifact(head, n);
}

/* ---- option values ------------------------------------------------------- */

int option_value(const char *command, char **argv, int argc, int *i, const char *name,
                 const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        *i += 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        usage_error(command, "option %s needs a value", name);
        return -1;
    }
    *value = argv[*i + 1];
    *i += 2;
    return 1;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Digits only (decimal, or hex after "0x"), no sign; *end is left at the
 * first character that is not part of the number.  NUM_BAD on no digits,
 * NUM_TOO_LARGE past 64 bits (with *end still after the digits). */
static num_status scan_u64(const char *s, uint64_t *out, const char **end)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    uint64_t v = 0;
    bool over = false;
    const char *start = s;
    for (;; s++) {
        int d = hex_digit(*s);
        if (d < 0 || (unsigned)d >= base)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            over = true;
        v = v * base + (uint64_t)d;
    }
    if (s == start)
        return NUM_BAD;
    *out = v;
    *end = s;
    return over ? NUM_TOO_LARGE : NUM_OK;
}

static bool parse_u64_prefix(const char *s, uint64_t *out, const char **end)
{
    return scan_u64(s, out, end) == NUM_OK;
}

num_status parse_count(const char *text, uint64_t *out)
{
    const char *end;
    num_status r = scan_u64(text, out, &end);
    return r == NUM_BAD || *end != '\0' ? NUM_BAD : r;
}

num_status parse_size(const char *text, uint64_t *out)
{
    const char *end;
    uint64_t v;
    num_status r = scan_u64(text, &v, &end);
    if (r == NUM_BAD)
        return NUM_BAD;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: return NUM_BAD;
    }
    if (shift) {
        end++;
        /* Accept K, KB, KiB (all binary: memory comes in 64 KiB pages and
         * nobody means 1000-byte units here). */
        if (strcmp(end, "iB") == 0 || strcmp(end, "ib") == 0 || strcmp(end, "B") == 0 ||
            strcmp(end, "b") == 0)
            end += strlen(end);
        if (*end != '\0')
            return NUM_BAD;
        if (v > (UINT64_MAX >> shift))
            r = NUM_TOO_LARGE;
        v <<= shift;
    }
    *out = v;
    return r;
}

num_status parse_duration(const char *text, uint64_t *ns)
{
    /* strtod would accept leading space, "inf" and "nan"; durations are
     * plain non-negative decimals. */
    if (!((text[0] >= '0' && text[0] <= '9') || text[0] == '.'))
        return NUM_BAD;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        return NUM_BAD;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v) || v < 0 || (errno == ERANGE && v < 1))
        return errno == ERANGE && v >= 1 ? NUM_TOO_LARGE : NUM_BAD;
    double scale;
    if (*end == '\0' || strcmp(end, "s") == 0)
        scale = 1e9;
    else if (strcmp(end, "ms") == 0)
        scale = 1e6;
    else if (strcmp(end, "us") == 0)
        scale = 1e3;
    else if (strcmp(end, "ns") == 0)
        scale = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        scale = 60e9;
    else
        return NUM_BAD;
    double t = v * scale;
    if (t >= 18446744073709551615.0)
        return NUM_TOO_LARGE;
    uint64_t r = (uint64_t)t;
    /* A tiny but non-zero duration must not turn into 0, which would mean
     * "no timeout". */
    if (r == 0 && v > 0)
        r = 1;
    *ns = r;
    return NUM_OK;
}

/* ---- values -------------------------------------------------------------- */

const char *valkind_name(kiln_valkind k)
{
    const char *n = kiln_valkind_name(k);
    return n ? n : "?";
}

/* An integer of `bits` bits: signed values down to -2^(bits-1), unsigned up
 * to 2^bits - 1 (wrapped, so 4294967295 is the i32 -1). */
static bool parse_int(const char *s, unsigned bits, uint64_t *out)
{
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    const char *end;
    uint64_t mag;
    if (!parse_u64_prefix(s, &mag, &end) || *end != '\0')
        return false;
    uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    uint64_t nmax = UINT64_C(1) << (bits - 1); /* magnitude of the minimum */
    if (neg ? mag > nmax : mag > umax)
        return false;
    *out = neg ? (uint64_t)0 - mag : mag;
    return true;
}

/* A v128: one unsigned 128-bit number whose little-endian bytes are the
 * vector, either in decimal (the form format_value prints, so a printed
 * result can be passed back in) or as "0x" and hex digits.  Digits only: no
 * sign, no blanks, no trailing text; false on no digits or a value of 2^128
 * or more.  Leading zeros are allowed in both forms. */
static bool parse_u128(const char *s, uint8_t v[16])
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == '\0')
        return false;
    uint8_t acc[16] = {0};
    for (; *s; s++) {
        int d = hex_digit(*s);
        if (d < 0 || (unsigned)d >= base)
            return false;
        /* acc = acc * base + d, a byte at a time from the least
         * significant; a carry out of the top byte is an overflow. */
        unsigned carry = (unsigned)d;
        for (int i = 0; i < 16; i++) {
            unsigned t = acc[i] * base + carry;
            acc[i] = (uint8_t)t;
            carry = t >> 8;
        }
        if (carry)
            return false;
    }
    memcpy(v, acc, 16);
    return true;
}

static bool ieq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

/* Floats in the bit patterns of a format with `mant` mantissa bits and
 * `expbits` exponent bits.  Special values are built from bits so that
 * "nan", "-nan" and payloads are exact and independent of the C library. */
static bool parse_float_special(const char *s, unsigned mant, unsigned expbits, uint64_t *bits)
{
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    uint64_t sign = neg ? UINT64_C(1) << (mant + expbits) : 0;
    uint64_t exp_all = ((UINT64_C(1) << expbits) - 1) << mant;
    uint64_t mant_mask = (UINT64_C(1) << mant) - 1;
    if (ieq(s, "inf") || ieq(s, "infinity")) {
        *bits = sign | exp_all;
        return true;
    }
    if (ieq(s, "nan")) {
        *bits = sign | exp_all | (UINT64_C(1) << (mant - 1));
        return true;
    }
    if (strncasecmp(s, "nan:0x", 6) == 0) {
        const char *end;
        uint64_t payload;
        if (!parse_u64_prefix(s + 4, &payload, &end) || *end != '\0' || payload == 0 ||
            payload > mant_mask)
            return false;
        *bits = sign | exp_all | payload;
        return true;
    }
    return false;
}

/* What strtod/strtof may see: an optional sign then a digit or '.', which
 * rules out the C library's own "nan(...)"/"infinity" spellings, leading
 * blanks and empty strings. */
static bool plain_number(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    return (*s >= '0' && *s <= '9') || *s == '.';
}

bool parse_value(const char *text, kiln_valkind k, kiln_val *out)
{
    memset(out, 0, sizeof *out);
    out->kind = k;
    uint64_t u;
    char *end;
    switch (k) {
    case KILN_I32:
        if (!parse_int(text, 32, &u))
            return false;
        out->of.i32 = (int32_t)(uint32_t)u;
        return true;
    case KILN_I64:
        if (!parse_int(text, 64, &u))
            return false;
        out->of.i64 = (int64_t)u;
        return true;
    case KILN_F32:
        if (parse_float_special(text, 23, 8, &u)) {
            uint32_t b = (uint32_t)u;
            memcpy(&out->of.f32, &b, 4);
            return true;
        }
        if (!plain_number(text))
            return false;
        /* strtof rounds correctly on its own; strtod then a cast to float
         * could round twice. */
        out->of.f32 = strtof(text, &end);
        /* A literal too big for the type is a typo, not a request for
         * infinity (which has its own spelling). */
        return end != text && *end == '\0' && !isinf(out->of.f32);
    case KILN_F64:
        if (parse_float_special(text, 52, 11, &u)) {
            memcpy(&out->of.f64, &u, 8);
            return true;
        }
        if (!plain_number(text))
            return false;
        out->of.f64 = strtod(text, &end);
        return end != text && *end == '\0' && !isinf(out->of.f64);
    case KILN_V128:
        return parse_u128(text, out->of.v128);
    case KILN_FUNCREF:
    case KILN_EXTERNREF:
        /* Only null can be spelled on a command line. */
        return strcmp(text, "null") == 0 || strcmp(text, "ref.null") == 0;
    }
    return false;
}

/* Shortest %g text that reads back to the same value. */
/* Results print as wasmtime prints them (Rust's Display for floats): the
 * shortest digits that read back to the same value, written out in
 * positional notation (1e21 as 1000000000000000000000, 1e-7 as 0.0000001),
 * integers without a fraction, -0 with its sign, inf/-inf, and NaN for every
 * NaN.  The digits come from the shortest %.*e that round-trips. */
static void format_finite(double d, bool is_f32, char *buf, size_t cap)
{
    char e[40];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, d);
        if (is_f32 ? strtof(e, NULL) == (float)d : strtod(e, NULL) == d)
            break;
    }
    /* e is [-]D[.DDD]e[+-]X: collect the digits and the decimal exponent. */
    char digits[24];
    size_t nd = 0;
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < sizeof digits - 1)
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    /* value = 0.D1D2... * 10^(exp10 + 1): point after `point` digits. */
    int point = exp10 + 1;
    size_t n = 0;
#define OUT(ch)                     \
    do {                            \
        if (n + 1 < cap)            \
            buf[n++] = (char)(ch);  \
    } while (0)
    if (neg)
        OUT('-');
    if (nd == 1 && digits[0] == '0') {
        OUT('0');
    } else if (point <= 0) {
        OUT('0');
        OUT('.');
        for (int i = 0; i < -point; i++)
            OUT('0');
        for (size_t i = 0; i < nd; i++)
            OUT(digits[i]);
    } else {
        for (int i = 0; i < point; i++)
            OUT((size_t)i < nd ? digits[i] : '0');
        if ((size_t)point < nd) {
            OUT('.');
            for (size_t i = (size_t)point; i < nd; i++)
                OUT(digits[i]);
        }
    }
#undef OUT
    if (cap)
        buf[n < cap ? n : cap - 1] = '\0';
}

static void format_float_bits(uint64_t bits, unsigned mant, unsigned expbits, double value,
                              char *buf, size_t cap)
{
    bool neg = (bits >> (mant + expbits)) & 1;
    uint64_t exp = (bits >> mant) & ((UINT64_C(1) << expbits) - 1);
    uint64_t payload = bits & ((UINT64_C(1) << mant) - 1);
    if (exp == (UINT64_C(1) << expbits) - 1) {
        if (payload == 0)
            snprintf(buf, cap, "%sinf", neg ? "-" : "");
        else
            snprintf(buf, cap, "NaN");
        return;
    }
    format_finite(value, mant == 23, buf, cap);
}

/* A v128 as wasmtime prints it: the unsigned 128-bit decimal value of its
 * little-endian bytes. */
static void format_u128(const uint8_t b[16], char *buf, size_t cap)
{
    uint32_t w[4]; /* most significant first */
    for (int i = 0; i < 4; i++)
        w[i] = (uint32_t)b[15 - 4 * i] << 24 | (uint32_t)b[14 - 4 * i] << 16 |
               (uint32_t)b[13 - 4 * i] << 8 | b[12 - 4 * i];
    char rev[48];
    size_t n = 0;
    do {
        uint64_t rem = 0;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = rem << 32 | w[i];
            w[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
        }
        rev[n++] = (char)('0' + rem);
    } while (w[0] | w[1] | w[2] | w[3]);
    size_t k = 0;
    for (; k < n && k + 1 < cap; k++)
        buf[k] = rev[n - 1 - k];
    if (cap)
        buf[k] = '\0';
}

void format_value(const kiln_val *v, char *buf, size_t cap)
{
    switch (v->kind) {
    case KILN_I32:
        snprintf(buf, cap, "%" PRId32, v->of.i32);
        return;
    case KILN_I64:
        snprintf(buf, cap, "%" PRId64, v->of.i64);
        return;
    case KILN_F32: {
        uint32_t b;
        memcpy(&b, &v->of.f32, 4);
        format_float_bits(b, 23, 8, v->of.f32, buf, cap);
        return;
    }
    case KILN_F64: {
        uint64_t b;
        memcpy(&b, &v->of.f64, 8);
        format_float_bits(b, 52, 11, v->of.f64, buf, cap);
        return;
    }
    case KILN_V128:
        format_u128(v->of.v128, buf, cap);
        return;
    case KILN_FUNCREF:
        snprintf(buf, cap, "%s", v->of.funcref ? "<funcref>" : "<null funcref>");
        return;
    case KILN_EXTERNREF:
        snprintf(buf, cap, "%s", v->of.externref ? "<externref>" : "<null externref>");
        return;
    }
    snprintf(buf, cap, "?");
}

char *format_functype(const kiln_functype *t, char *buf, size_t cap)
{
    size_t n = 0;
    /* Accumulate with snprintf; clamp n so later writes stay in bounds. */
#define PUT(...)                                                              \
    do {                                                                      \
        int w_ = snprintf(buf + n, cap - n, __VA_ARGS__);                     \
        if (w_ > 0)                                                           \
            n = n + (size_t)w_ < cap ? n + (size_t)w_ : cap - 1;              \
    } while (0)
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    PUT("(");
    for (uint32_t i = 0; i < t->nparams; i++)
        PUT("%s%s", i ? ", " : "", valkind_name(t->params[i]));
    PUT(") -> (");
    for (uint32_t i = 0; i < t->nresults; i++)
        PUT("%s%s", i ? ", " : "", valkind_name(t->results[i]));
    PUT(")");
#undef PUT
    return buf;
}

int parse_help_only(const char *cmd, const char *usage, int argc, char **argv, int *first)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0)
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        return usage_error(cmd, "unknown option '%s'", a);
    }
    *first = i;
    return -1;
}
