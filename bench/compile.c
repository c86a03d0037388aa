/*
 * bench/compile.c — how fast kiln turns Wasm bytes into something it can
 * run: for each module, the best of N kiln_module_new calls (decode,
 * validate, lower, and on the native tier compile to machine code) with
 * the interpreter and with the native tier, no cache involved.
 *
 *   build/bench/compile [-n RUNS] FILE.wasm...     (bench/run.sh compile)
 *
 * Prints one line per module: name, bytes, ms on each tier, the native
 * tier's extra ms (the machine-code pass alone), MB of Wasm per second on
 * the native tier, and how many defined functions got native code.  Exit
 * status 1 if a module fails to load.  node's Liftoff is measured the same
 * way by bench/node_compile.js.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *p = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *q = realloc(p, cap);
            if (!q) {
                free(p);
                fclose(f);
                return NULL;
            }
            p = q;
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
    } while (got);
    fclose(f);
    *len = n;
    return p;
}

/* Best of runs kiln_module_new on one tier, in ms; -1 on an error (printed). */
static double best_load(const char *path, const uint8_t *bytes, size_t len, kiln_tier tier, int runs,
                        uint32_t *native, uint32_t *defined)
{
    kiln_config cfg = {.tier = tier};
    kiln_engine *e;
    kiln_error *err = kiln_engine_new(&cfg, &e);
    if (err) {
        fprintf(stderr, "compile: engine: %s\n", kiln_error_message(err));
        kiln_error_free(err);
        return -1;
    }
    double best = -1;
    for (int i = 0; i < runs; i++) {
        kiln_module *m;
        double t0 = now_ms();
        err = kiln_module_new(e, bytes, len, &m);
        double t = now_ms() - t0;
        if (err) {
            fprintf(stderr, "compile: %s: %s\n", path, kiln_error_message(err));
            kiln_error_free(err);
            best = -1;
            break;
        }
        *native = kiln_module_native_funcs(m, defined);
        kiln_module_free(m);
        if (best < 0 || t < best)
            best = t;
    }
    kiln_engine_free(e);
    return best;
}

int main(int argc, char **argv)
{
    int runs = 5, first = 1, rc = 0;
    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        runs = atoi(argv[2]);
        first = 3;
    }
    if (runs < 1 || first >= argc) {
        fprintf(stderr, "usage: compile [-n RUNS] FILE.wasm...\n");
        return 2;
    }
    printf("%-14s %9s %10s %10s %10s %9s %11s\n", "module", "KiB", "interp ms", "native ms",
           "+jit ms", "MB/s", "native fns");
    for (int i = first; i < argc; i++) {
        size_t len;
        uint8_t *bytes = slurp(argv[i], &len);
        if (!bytes) {
            fprintf(stderr, "compile: cannot read %s\n", argv[i]);
            rc = 1;
            continue;
        }
        uint32_t nat = 0, def = 0, nat_i, def_i;
        double ti = best_load(argv[i], bytes, len, KILN_TIER_INTERP, runs, &nat_i, &def_i);
        double tn = best_load(argv[i], bytes, len, KILN_TIER_NATIVE, runs, &nat, &def);
        free(bytes);
        if (ti < 0 || tn < 0) {
            rc = 1;
            continue;
        }
        const char *name = strrchr(argv[i], '/');
        name = name ? name + 1 : argv[i];
        char fns[32];
        snprintf(fns, sizeof fns, "%u/%u", nat, def);
        printf("%-14s %9.1f %10.3f %10.3f %10.3f %9.1f %11s\n", name, (double)len / 1024, ti, tn,
               tn - ti, (double)len / 1e6 / (tn / 1e3), fns);
    }
    return rc;
}
