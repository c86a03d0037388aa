/*
 * invoke_check.c — checks `kiln run --invoke` against the spec testsuite:
 * for every assert_return in a wast2json script whose module imports
 * nothing and whose arguments and results are numbers (i32, i64, f32, f64,
 * v128), it runs the kiln command line on the module file, passing the
 * arguments as text, and compares the printed lines with the expected
 * values.
 *
 *   invoke-check KILN SCRIPT.json [EVERY]
 *
 * Arguments are written exactly (integers as unsigned decimal, floats as
 * hex floats, NaNs as nan:0xPAYLOAD), so the test covers the command's
 * parsing as well as its printing.  A printed float must read back (strtod/
 * strtof) to the expected bits, and an expected NaN must print as NaN.
 *
 * A v128 argument (a lane_type and an array of lane bit patterns, as
 * wast2json writes it) is written as one unsigned 128-bit number of its
 * little-endian bytes, alternately in decimal (the form kiln prints) and in
 * 0x hex, so both forms are parsed.  A printed v128 must be an unsigned
 * decimal below 2^128; its lanes are compared bit for bit, except float
 * lanes expected as nan:canonical (a quiet NaN with no other payload bit,
 * either sign) or nan:arithmetic (quiet bit set), which v128 results, unlike
 * scalar NaNs, print exactly enough to check.
 * EVERY (default 1) runs only every EVERY-th eligible assertion, to bound
 * the time spent starting processes.  With KILN_INVOKE_TIER set (interp or
 * native) in the environment, kiln runs with --tier of that value.  Ends
 * with "invoke FILE: N passed, N failed".
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kiln.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Does the module at path import nothing (so the CLI can run it alone)? */
static bool import_free(kiln_engine *engine, const char *path)
{
    size_t len;
    char *bytes = slurp(path, &len);
    if (!bytes)
        return false;
    kiln_module *m;
    kiln_error *e = kiln_module_new(engine, (const uint8_t *)bytes, len, &m);
    free(bytes);
    if (e) {
        kiln_error_free(e);
        return false;
    }
    bool ok = kiln_module_import_count(m) == 0;
    kiln_module_free(m);
    return ok;
}

static bool numeric(const char *type)
{
    return type && (!strcmp(type, "i32") || !strcmp(type, "i64") || !strcmp(type, "f32") ||
                    !strcmp(type, "f64"));
}

/* ---- v128 ------------------------------------------------------------------
 * wast2json's JSON conventions: {"type": "v128",
 * "lane_type": "i8" | "i16" | "i32" | "i64" | "f32" | "f64", "value": [one
 * string per lane]}, each lane an unsigned decimal bit pattern (a leading
 * '-' is taken too), or "nan:canonical" / "nan:arithmetic" for float lanes
 * of an expected value.  The 128-bit arithmetic here is deliberately not the
 * CLI's (util.c works on bytes and 32-bit words). */

__extension__ typedef unsigned __int128 u128;

/* Lane width in bits for a v128 "lane_type", or 0. */
static unsigned lane_bits(const char *lane_type)
{
    if (!lane_type)
        return 0;
    if (!strcmp(lane_type, "i8"))
        return 8;
    if (!strcmp(lane_type, "i16"))
        return 16;
    if (!strcmp(lane_type, "i32") || !strcmp(lane_type, "f32"))
        return 32;
    if (!strcmp(lane_type, "i64") || !strcmp(lane_type, "f64"))
        return 64;
    return 0;
}

static uint64_t lane_mask(unsigned bits)
{
    return bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

/* Lane i of a vector held as a number: lane 0 is the low bits, because the
 * number's bytes are the vector's bytes in little-endian order. */
static uint64_t get_lane(u128 v, unsigned bits, size_t lane)
{
    return (uint64_t)(v >> (lane * bits)) & lane_mask(bits);
}

static u128 put_lane(u128 v, unsigned bits, size_t lane, uint64_t value)
{
    u128 m = (u128)lane_mask(bits) << (lane * bits);
    return (v & ~m) | ((u128)(value & lane_mask(bits)) << (lane * bits));
}

/* A lane bit pattern from the script; negatives wrap to the lane width. */
static bool parse_lane(const char *s, unsigned bits, uint64_t *out)
{
    if (!s || !*s)
        return false;
    bool neg = *s == '-';
    const char *d = s + neg;
    if (*d < '0' || *d > '9')
        return false;
    char *end;
    errno = 0;
    uint64_t v = strtoull(d, &end, 10);
    if (errno || *end || (!neg && bits < 64 && v >> bits))
        return false;
    *out = (neg ? (uint64_t)0 - v : v) & lane_mask(bits);
    return true;
}

/* A v128 value or pattern of the script: its lane width, or 0 if malformed
 * (unknown lane type, wrong number of lanes, a lane that is not a string). */
static unsigned v128_lanes(const cJSON *v, const cJSON **lanes)
{
    unsigned lb = lane_bits(cJSON_GetStringValue(cJSON_GetObjectItem(v, "lane_type")));
    *lanes = cJSON_GetObjectItem(v, "value");
    if (!lb || !cJSON_IsArray(*lanes) || cJSON_GetArraySize(*lanes) != (int)(128 / lb))
        return 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, *lanes)
    {
        if (!cJSON_IsString(l))
            return 0;
    }
    return lb;
}

/* Can this argument or expected value be written or checked? */
static bool supported(const cJSON *v, bool expected)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(v, "type"));
    if (numeric(type))
        return true;
    if (!type || strcmp(type, "v128"))
        return false;
    const cJSON *lanes, *l;
    unsigned lb = v128_lanes(v, &lanes);
    if (!lb)
        return false;
    const char *lt = cJSON_GetStringValue(cJSON_GetObjectItem(v, "lane_type"));
    uint64_t bits;
    cJSON_ArrayForEach(l, lanes)
    {
        const char *s = l->valuestring;
        bool pattern = expected && lt[0] == 'f' &&
                       (!strcmp(s, "nan:canonical") || !strcmp(s, "nan:arithmetic"));
        if (!pattern && !parse_lane(s, lb, &bits))
            return false;
    }
    return true;
}

/* The vector of a v128 argument (checked by supported()). */
static u128 v128_of(const cJSON *v)
{
    const cJSON *lanes, *l;
    unsigned lb = v128_lanes(v, &lanes);
    u128 r = 0;
    size_t i = 0;
    cJSON_ArrayForEach(l, lanes)
    {
        uint64_t bits = 0;
        parse_lane(l->valuestring, lb, &bits);
        r = put_lane(r, lb, i++, bits);
    }
    return r;
}

static void u128_decimal(u128 v, char *buf, size_t n)
{
    char rev[48];
    size_t k = 0;
    do {
        rev[k++] = (char)('0' + (unsigned)(v % 10));
        v /= 10;
    } while (v);
    size_t i = 0;
    for (; i < k && i + 1 < n; i++)
        buf[i] = rev[k - 1 - i];
    buf[i] = '\0';
}

/* 0x and the hex digits without leading zeros ("0x0" for zero), so short
 * forms are parsed too, not only 32-digit ones. */
static void u128_hex(u128 v, char *buf, size_t n)
{
    uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;
    if (hi)
        snprintf(buf, n, "0x%" PRIx64 "%016" PRIx64, hi, lo);
    else
        snprintf(buf, n, "0x%" PRIx64, lo);
}

/* A printed v128: digits only, below 2^128. */
static bool parse_u128_decimal(const char *s, u128 *out)
{
    if (!*s)
        return false;
    u128 v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (~(u128)0 - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Per the spec: a canonical NaN has only the top fraction bit set (either
 * sign); an arithmetic NaN has at least that bit set. */
static bool lane_matches(const char *want, bool is_float, unsigned lb, uint64_t got)
{
    uint64_t sign = UINT64_C(1) << (lb - 1);
    uint64_t quiet_nan = lb == 32 ? UINT64_C(0x7fc00000) : UINT64_C(0x7ff8000000000000);
    if (is_float && !strcmp(want, "nan:canonical"))
        return (got & ~sign) == quiet_nan;
    if (is_float && !strcmp(want, "nan:arithmetic"))
        return (got & quiet_nan) == quiet_nan;
    uint64_t bits;
    return parse_lane(want, lb, &bits) && got == bits;
}

/* Does the printed line match the expected v128 (lanes or patterns)? */
static bool v128_matches(const cJSON *exp, const char *line)
{
    const cJSON *lanes, *l;
    unsigned lb = v128_lanes(exp, &lanes);
    u128 got;
    if (!lb || !parse_u128_decimal(line, &got))
        return false;
    bool is_float = cJSON_GetStringValue(cJSON_GetObjectItem(exp, "lane_type"))[0] == 'f';
    size_t i = 0;
    cJSON_ArrayForEach(l, lanes)
    {
        if (!lane_matches(l->valuestring, is_float, lb, get_lane(got, lb, i++)))
            return false;
    }
    return true;
}

/* For failure reports: the lanes of a printed v128, or "" if it is not one. */
static void describe_v128(const cJSON *exp, const char *line, char *buf, size_t n)
{
    const cJSON *lanes, *l;
    unsigned lb = v128_lanes(exp, &lanes);
    u128 got;
    buf[0] = '\0';
    if (!lb || !parse_u128_decimal(line, &got))
        return;
    size_t o = (size_t)snprintf(buf, n, " (%s lanes [",
                                cJSON_GetStringValue(cJSON_GetObjectItem(exp, "lane_type")));
    for (size_t i = 0; i < 128 / lb && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%" PRIu64, i ? " " : "", get_lane(got, lb, i));
    if (o < n)
        o += (size_t)snprintf(buf + o, n - o, "], expected [");
    cJSON_ArrayForEach(l, lanes)
    {
        if (o < n)
            o += (size_t)snprintf(buf + o, n - o, "%s%s", l == lanes->child ? "" : " ",
                                  l->valuestring);
    }
    if (o < n)
        snprintf(buf + o, n - o, "])");
}

/* Export names passed on a shell command line: keep to the plain ones. */
static bool plain_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* The argument as the command line takes it. */
static void arg_text(const char *type, uint64_t bits, char *buf, size_t n)
{
    if (!strcmp(type, "i32") || !strcmp(type, "i64")) {
        snprintf(buf, n, "%" PRIu64, bits);
        return;
    }
    bool f32 = !strcmp(type, "f32");
    unsigned mant = f32 ? 23 : 52, expbits = f32 ? 8 : 11;
    bool neg = (bits >> (mant + expbits)) & 1;
    uint64_t exp = (bits >> mant) & ((UINT64_C(1) << expbits) - 1);
    uint64_t payload = bits & ((UINT64_C(1) << mant) - 1);
    if (exp == (UINT64_C(1) << expbits) - 1 && payload) {
        snprintf(buf, n, "%snan:0x%" PRIx64, neg ? "-" : "", payload);
    } else if (f32) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, 4);
        snprintf(buf, n, "%a", (double)f);
    } else {
        double d;
        memcpy(&d, &bits, 8);
        snprintf(buf, n, "%a", d);
    }
}

/* Does the printed line match the expected value? */
static bool line_matches(const char *type, const char *want, const char *line)
{
    if (!strncmp(want, "nan:", 4))
        return !strcmp(line, "NaN");
    uint64_t bits = strtoull(want, NULL, 10);
    /* Every NaN prints as NaN (as wasmtime prints it): its bits are lost. */
    bool f32 = !strcmp(type, "f32");
    if (!strcmp(type, "f64") || f32) {
        unsigned mant = f32 ? 23 : 52, expbits = f32 ? 8 : 11;
        uint64_t e = (bits >> mant) & ((UINT64_C(1) << expbits) - 1);
        if (e == (UINT64_C(1) << expbits) - 1 && (bits & ((UINT64_C(1) << mant) - 1)))
            return !strcmp(line, "NaN");
    }
    char *end;
    errno = 0;
    if (!strcmp(type, "i32")) {
        long long v = strtoll(line, &end, 10);
        return !*end && (uint32_t)v == (uint32_t)bits;
    }
    if (!strcmp(type, "i64")) {
        long long v = strtoll(line, &end, 10);
        return !*end && !errno && (uint64_t)v == bits;
    }
    if (!strcmp(type, "f32")) {
        float f = strtof(line, &end);
        uint32_t b;
        memcpy(&b, &f, 4);
        return !*end && *line && b == (uint32_t)bits;
    }
    double d = strtod(line, &end);
    uint64_t b;
    memcpy(&b, &d, 8);
    return !*end && *line && b == bits;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: invoke-check KILN SCRIPT.json [EVERY]\n");
        return 2;
    }
    const char *kiln = argv[1], *json_path = argv[2];
    long every = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
    if (every < 1)
        every = 1;
    size_t len;
    char *text = slurp(json_path, &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!root) {
        fprintf(stderr, "invoke-check: cannot read %s\n", json_path);
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", json_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    const char *base = slash ? slash + 1 : json_path;

    kiln_engine *engine;
    if (kiln_engine_new(NULL, &engine)) {
        cJSON_Delete(root);
        return 2;
    }
    int passed = 0, failed = 0;
    long seen = 0, v128_args = 0;
    char module[4200] = "";
    bool module_ok = false;
    const cJSON *cmd;
    cJSON_ArrayForEach(cmd, cJSON_GetObjectItemCaseSensitive(root, "commands"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(cmd, "type");
        if (!cJSON_IsString(t))
            continue;
        if (!strcmp(t->valuestring, "module")) {
            const cJSON *fn = cJSON_GetObjectItemCaseSensitive(cmd, "filename");
            module_ok = cJSON_IsString(fn) && !cJSON_GetObjectItemCaseSensitive(cmd, "name");
            if (module_ok) {
                snprintf(module, sizeof module, "%s/%s", dir, fn->valuestring);
                module_ok = import_free(engine, module);
            }
            continue;
        }
        if (!strcmp(t->valuestring, "register") || !strcmp(t->valuestring, "action"))
            module_ok = false; /* state the command line cannot reproduce */
        if (strcmp(t->valuestring, "assert_return") || !module_ok)
            continue;
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
        const cJSON *field = cJSON_GetObjectItemCaseSensitive(action, "field");
        const cJSON *atype = cJSON_GetObjectItemCaseSensitive(action, "type");
        if (!cJSON_IsString(atype) || strcmp(atype->valuestring, "invoke") ||
            cJSON_GetObjectItemCaseSensitive(action, "module") || !cJSON_IsString(field) ||
            !plain_name(field->valuestring))
            continue;
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
        const cJSON *exps = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
        bool ok = cJSON_GetArraySize(exps) > 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, args) ok = ok && supported(v, false);
        cJSON_ArrayForEach(v, exps) ok = ok && supported(v, true);
        if (!ok || seen++ % every)
            continue;

        char command[8192];
        const char *tier = getenv("KILN_INVOKE_TIER");
        size_t n = (size_t)snprintf(command, sizeof command, "'%s' run%s%s --invoke %s '%s'", kiln,
                                    tier ? " --tier " : "", tier ? tier : "",
                                    field->valuestring, module);
        cJSON_ArrayForEach(v, args)
        {
            char a[64];
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(v, "type"));
            if (!strcmp(type, "v128")) {
                /* Decimal and hex by turns, across the whole script. */
                if (v128_args++ % 2 == 0)
                    u128_decimal(v128_of(v), a, sizeof a);
                else
                    u128_hex(v128_of(v), a, sizeof a);
            } else {
                const char *val = cJSON_GetStringValue(cJSON_GetObjectItem(v, "value"));
                arg_text(type, strtoull(val ? val : "0", NULL, 10), a, sizeof a);
            }
            n += (size_t)snprintf(command + n, sizeof command - n, " '%s'", a);
        }
        /* Everything after FILE is an argument, negative numbers too. */
        snprintf(command + n, sizeof command - n, " 2>&1");

        FILE *out = popen(command, "r");
        char got[64][512];
        int lines = 0;
        if (out) {
            while (lines < 64 && fgets(got[lines], sizeof got[lines], out)) {
                got[lines][strcspn(got[lines], "\n")] = '\0';
                lines++;
            }
            int status = pclose(out);
            ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        } else {
            ok = false;
        }
        int i = 0;
        char detail[1024] = "";
        cJSON_ArrayForEach(v, exps)
        {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(v, "type"));
            bool match;
            if (!strcmp(type, "v128")) {
                match = i < lines && v128_matches(v, got[i]);
                if (!match && ok && i < lines)
                    describe_v128(v, got[i], detail, sizeof detail);
            } else {
                const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(v, "value"));
                match = i < lines && want && line_matches(type, want, got[i]);
            }
            ok = ok && match;
            i++;
        }
        ok = ok && i == lines;
        if (ok) {
            passed++;
        } else {
            failed++;
            printf("FAIL %s:%d: %s -> %s%s\n", base,
                   cJSON_GetNumberValue(cJSON_GetObjectItem(cmd, "line")) > 0
                       ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cmd, "line"))
                       : 0,
                   command, lines ? got[0] : "(no output)", detail);
        }
    }
    kiln_engine_free(engine);
    cJSON_Delete(root);
    printf("invoke %s: %d passed, %d failed\n", base, passed, failed);
    return failed ? 1 : 0;
}
