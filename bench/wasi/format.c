/*
 * format.c — WASI workload: printf-heavy number formatting and parsing.
 *
 *   format [N]              (default 8000 values per format group)
 * bench-args: 8000
 *
 * Formats pseudo-random integers (%d %u %x %X %o, widths, flags, 64-bit)
 * and doubles (%f %e %g %.17g, precisions, tiny and huge exponents) with
 * snprintf, hashes all the text, and parses part of it back with strtoll,
 * strtoull and strtod, counting values that do not round-trip (the
 * %.17g ones must be exact).  Also formats whole lines into a growing
 * buffer with sprintf/strcat and scans them back with sscanf.  Prints one
 * line per group.  glibc (native) and wasi-libc (musl) both print exactly
 * rounded decimals, so the output is the same natively and in wasm.  No
 * libm calls: doubles come from integer bits and exact scaling.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x6A09E667F3BCC908ull;

static uint64_t rnd64(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}
#define FNV0 1469598103934665603ull

/* a finite double with a random mantissa and an exponent in [-e, e] */
static double rnd_double(int e)
{
    uint64_t r = rnd64();
    double m = (double)(r >> 11) / 9007199254740992.0; /* [0, 1), exact */
    int ex = (int)(rnd64() % (uint64_t)(2 * e + 1)) - e;
    double d = 1.0 + m;
    for (; ex > 0; ex--)
        d *= 2.0;
    for (; ex < 0; ex++)
        d *= 0.5;
    return (r & 1) ? -d : d;
}

typedef struct {
    const char *name;
    uint64_t hash;
    size_t bytes;
    unsigned bad;
} group;

static void report(const group *g)
{
    printf("%-10s %9zu bytes  hash %016" PRIx64 "  round-trip failures %u\n", g->name, g->bytes,
           g->hash, g->bad);
}

static void add(group *g, const char *s, int n)
{
    g->hash = fnv(g->hash, s, (size_t)n);
    g->bytes += (size_t)n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8000;
    char buf[512];
    int len;

    /* integers */
    group gi = {"integers", FNV0, 0, 0};
    for (int i = 0; i < n; i++) {
        uint64_t r = rnd64();
        int32_t s32 = (int32_t)(uint32_t)r;
        int64_t s64 = (int64_t)r >> (r % 40);
        unsigned u = (unsigned)(r >> 32) >> (r % 17);
        len = snprintf(buf, sizeof buf, "%d|%11d|%-11d|%+d|%u|%x|%08X|%#o|%" PRId64 "|%20" PRIu64 "|%#" PRIx64,
                       s32, s32 / 7, s32 % 1000, s32 >> 9, u, u, u, u & 07777, s64, r, r >> 3);
        add(&gi, buf, len);
        /* parse the decimal fields back */
        char *end;
        long long a = strtoll(buf, &end, 10);
        gi.bad += a != s32 || *end != '|';
        char *p = strchr(strchr(strchr(strchr(strchr(strchr(strchr(strchr(buf, '|') + 1, '|') + 1, '|') + 1,
                                                             '|') + 1, '|') + 1, '|') + 1, '|') + 1, '|') + 1;
        gi.bad += strtoll(p, &end, 10) != s64;
        gi.bad += strtoull(end + 1, NULL, 10) != r;
    }
    report(&gi);

    /* doubles, fixed and scientific */
    group gf = {"fixed", FNV0, 0, 0}, ge = {"scientific", FNV0, 0, 0};
    for (int i = 0; i < n; i++) {
        double d = rnd_double(40);
        len = snprintf(buf, sizeof buf, "%f %.2f %12.4f %-9.1f %.0f %+.10f", d, d, d / 3.0, d * 8.0, d,
                       d / 1024.0);
        add(&gf, buf, len);
        /* %f is within half a millionth (plus strtod's half ulp) */
        double err = strtod(buf, NULL) - d, mag = d < 0 ? -d : d;
        err = err < 0 ? -err : err;
        gf.bad += err > 5.0001e-7 + mag * 2.3e-16;
        double e = rnd_double(300);
        len = snprintf(buf, sizeof buf, "%e %.3e %E %.12e %g %G %.3g", e, e, e * 0.75, e, e, e / 10.0,
                       e);
        add(&ge, buf, len);
        /* %.12e keeps 13 significant digits: parse it back and check the error is tiny */
        double back = strtod(strchr(strchr(strchr(buf, ' ') + 1, ' ') + 1, ' ') + 1, NULL);
        double rel = (back - e) / e;
        ge.bad += rel > 1e-12 || rel < -1e-12;
    }
    report(&gf);
    report(&ge);

    /* shortest-ish exact: %.17g must read back as the same double */
    group gr = {"roundtrip", FNV0, 0, 0};
    for (int i = 0; i < n; i++) {
        double d = rnd_double(1000);
        len = snprintf(buf, sizeof buf, "%.17g", d);
        add(&gr, buf, len);
        gr.bad += strtod(buf, NULL) != d;
        float f = (float)rnd_double(100);
        len = snprintf(buf, sizeof buf, "%.9g", (double)f);
        add(&gr, buf, len);
        gr.bad += strtof(buf, NULL) != f;
    }
    report(&gr);

    /* whole lines: sprintf into a growing buffer, then sscanf them back */
    group gl = {"lines", FNV0, 0, 0};
    size_t cap = 1 << 16, used = 0;
    char *text = malloc(cap);
    text[0] = 0;
    int nlines = n / 4;
    for (int i = 0; i < nlines; i++) {
        uint64_t r = rnd64();
        len = sprintf(buf, "item %06d qty %4u price %9.2f code %s-%04x\n", i, (unsigned)(r % 10000),
                      (double)(r >> 40) / 100.0, (r & 1) ? "north" : "south", (unsigned)(r >> 16) & 0xffff);
        if (used + (size_t)len + 1 > cap) {
            cap *= 2;
            text = realloc(text, cap);
        }
        memcpy(text + used, buf, (size_t)len + 1);
        used += (size_t)len;
    }
    add(&gl, text, (int)used);
    unsigned qty_sum = 0;
    double price_sum = 0;
    char *line = text;
    for (int i = 0; i < nlines; i++) {
        int item;
        unsigned qty, code;
        double price;
        char where[8];
        if (sscanf(line, "item %d qty %u price %lf code %7[a-z]-%x", &item, &qty, &price, where, &code) != 5 ||
            item != i)
            gl.bad++;
        qty_sum += qty;
        price_sum += price;
        line = strchr(line, '\n') + 1;
    }
    report(&gl);
    printf("lines: %d, quantity %u, price total %.2f\n", nlines, qty_sum, price_sum);
    free(text);
    return gi.bad + gf.bad + ge.bad + gr.bad + gl.bad ? 1 : 0;
}
