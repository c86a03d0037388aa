/*
 * smallwrites.c — WASI workload: many small writes to stdout.
 *
 *   smallwrites [N]          (default 60000; stdout should be a file or /dev/null)
 * bench-args: 60000
 *
 * Three phases, each producing a few hundred KB of stdout:
 *   1. N records of 12-20 bytes, each its own write(1, ...) call: one
 *      fd_write per record, the cost of a host call plus a system call;
 *   2. N short lines through stdio with stdout unbuffered-per-line
 *      (fflush after every printf): libc formatting plus one write each;
 *   3. 8N characters through putchar into the default, fully buffered
 *      stdout: libc call overhead, few writes.
 * Ends with a summary line (byte counts and a checksum).  The whole stdout
 * is compared byte for byte between native and the WASI runners.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t rng_state = 2463534242u;

static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static uint64_t hash = 1469598103934665603ull;

static void mix(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hash = (hash ^ (unsigned char)p[i]) * 1099511628211ull;
}

/* unsigned to decimal, without printf */
static size_t utoa(uint32_t v, char *out)
{
    char tmp[12];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while (v /= 10);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 60000;
    size_t bytes1 = 0, bytes2 = 0, bytes3 = 0;
    unsigned writes = 0;

    /* 1: one write(2) per record */
    for (int i = 0; i < n; i++) {
        char rec[32];
        size_t len = 0;
        memcpy(rec, "rec ", 4), len = 4;
        len += utoa((uint32_t)i, rec + len);
        rec[len++] = ' ';
        len += utoa(rnd() % 100000, rec + len);
        rec[len++] = '\n';
        ssize_t w = write(1, rec, len);
        if (w != (ssize_t)len) {
            fprintf(stderr, "smallwrites: write returned %zd, wanted %zu\n", w, len);
            return 1;
        }
        mix(rec, len);
        bytes1 += len;
        writes++;
    }

    /* 2: printf + fflush per line */
    for (int i = 0; i < n; i++) {
        uint32_t r = rnd();
        char line[64];
        int len = snprintf(line, sizeof line, "line %d: %08" PRIx32 " %5u\n", i, r, r % 65536);
        fputs(line, stdout);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "smallwrites: fflush failed\n");
            return 1;
        }
        mix(line, (size_t)len);
        bytes2 += (size_t)len;
        writes++;
    }

    /* 3: putchar into the buffered stream */
    for (int i = 0; i < 8 * n; i++) {
        char c = (i % 64 == 63) ? '\n' : (char)('a' + rnd() % 26);
        putchar(c);
        mix(&c, 1);
        bytes3++;
    }
    printf("bytes: %zu by write, %zu by printf+fflush, %zu by putchar; %u flushed writes; "
           "checksum %016" PRIx64 "\n",
           bytes1, bytes2, bytes3, writes, hash);
    return 0;
}
