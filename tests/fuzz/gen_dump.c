/*
 * gen_dump.c — kiln-gen-dump: writes the modules tests/fuzz/wasmgen.c makes,
 * for wasm-validate, wasm-objdump and by-hand debugging.  No kiln involved.
 *
 *   kiln-gen-dump [--scalar|--simd] INPUT OUT.wasm
 *       the module the fuzz target kiln-fuzz-gen makes from INPUT (e.g. a
 *       crash-* file)
 *   kiln-gen-dump [--scalar|--simd] --random N [--seed S] [--max-len L] DIR
 *       N modules from N random inputs of 0..L bytes (default 4096):
 *       DIR/gen-NNNNN.wasm, and the input as DIR/gen-NNNNN.in
 *   kiln-gen-dump [--scalar|--simd] --catalog OUT.wasm
 *       one function per instruction the generator knows; prints their
 *       names, one a line, in function order
 *
 * The mode defaults to what kiln-fuzz-gen would use (KILN_FUZZ_GEN_SIMD).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmgen.h"

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "kiln-gen-dump: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t w = fwrite(p, 1, n, f);
    if (fclose(f) != 0 || w != n) {
        fprintf(stderr, "kiln-gen-dump: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "kiln-gen-dump: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *nb = realloc(b, cap * 2);
        if (!nb)
            free(b);
        b = nb;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return b;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static int usage(void)
{
    fprintf(stderr, "usage: kiln-gen-dump [--scalar|--simd] INPUT OUT.wasm\n"
                    "       kiln-gen-dump [--scalar|--simd] --random N [--seed S] [--max-len L] DIR\n"
                    "       kiln-gen-dump [--scalar|--simd] --catalog OUT.wasm\n");
    return 2;
}

int main(int argc, char **argv)
{
    wg_options opt = {.simd = wg_simd_default()};
    long random_n = -1, max_len = 4096;
    unsigned long long seed = 1;
    const char *catalog = NULL;
    const char *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scalar") == 0)
            opt.simd = 0;
        else if (strcmp(argv[i], "--simd") == 0)
            opt.simd = 1;
        else if (strcmp(argv[i], "--random") == 0 && i + 1 < argc)
            random_n = atol(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--max-len") == 0 && i + 1 < argc)
            max_len = atol(argv[++i]);
        else if (strcmp(argv[i], "--catalog") == 0 && i + 1 < argc)
            catalog = argv[++i];
        else if (argv[i][0] == '-' || npos == 2)
            return usage();
        else
            pos[npos++] = argv[i];
    }
    wg_module m;
    if (catalog) {
        if (npos || wg_catalog(&opt, &m, stdout) != 0)
            return usage();
        int rc = write_file(catalog, m.bytes, m.len);
        wg_module_free(&m);
        return rc ? 1 : 0;
    }
    if (random_n >= 0) {
        if (npos != 1 || max_len < 0)
            return usage();
        uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
        uint8_t *in = malloc((size_t)max_len + 1);
        char path[4096];
        if (!in)
            return 1;
        for (long k = 0; k < random_n; k++) {
            size_t len = (size_t)(xorshift(&s) % (uint64_t)(max_len + 1));
            for (size_t j = 0; j < len; j++)
                in[j] = (uint8_t)(xorshift(&s) >> 24);
            if (wg_generate(in, len, &opt, &m) != 0)
                return 1;
            snprintf(path, sizeof path, "%s/gen-%05ld.in", pos[0], k);
            int rc = write_file(path, in, len);
            snprintf(path, sizeof path, "%s/gen-%05ld.wasm", pos[0], k);
            rc |= write_file(path, m.bytes, m.len);
            wg_module_free(&m);
            if (rc)
                return 1;
        }
        free(in);
        return 0;
    }
    if (npos != 2)
        return usage();
    size_t len;
    uint8_t *in = read_file(pos[0], &len);
    if (!in)
        return 1;
    if (wg_generate(in, len, &opt, &m) != 0)
        return 1;
    free(in);
    int rc = write_file(pos[1], m.bytes, m.len);
    wg_module_free(&m);
    return rc ? 1 : 0;
}
