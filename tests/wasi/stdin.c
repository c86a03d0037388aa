/*
 * stdin.c — reading standard input: run.sh pipes in the output of
 * `seq 1 30000` (168894 bytes); the program reads it with read() in
 * 7-byte pieces for the first 1000 bytes, then 64 KiB pieces, to EOF
 * (read returns 0, twice), and prints the byte and line counts, an FNV-1a
 * hash and the last line.  With "--empty" stdin is /dev/null: the first
 * read returns 0.
 */
#include <stdint.h>

#include "check.h"

static char data[1 << 20];

int main(int argc, char **argv)
{
    CHECK_INIT();
    if (argc > 1 && strcmp(argv[1], "--empty") == 0) {
        char c;
        CHECK_INT(read(0, &c, 1), 0, "read from an empty stdin returns 0");
        CHECK_DONE();
    }
    size_t n = 0;
    int reads = 0;
    for (;;) {
        size_t want = n < 1000 ? 7 : 65536;
        if (want > sizeof data - n)
            want = sizeof data - n;
        ssize_t k = read(0, data + n, want);
        if (k < 0) {
            CHECK(0, "read from stdin");
            break;
        }
        if (k == 0)
            break;
        n += (size_t)k;
        reads++;
    }
    CHECK(reads > 140, "took more than 140 reads");
    CHECK_INT(read(0, data + n, 10), 0, "read at EOF again returns 0");
    uint32_t h = 2166136261u;
    size_t lines = 0;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)data[i]) * 16777619u;
        lines += data[i] == '\n';
    }
    const char *last = data;
    if (n >= 2)
        for (size_t i = n - 1; i > 0; i--)
            if (data[i - 1] == '\n') {
                last = data + i;
                break;
            }
    printf("bytes=%zu lines=%zu fnv1a=%08x\n", n, lines, h);
    printf("last line: %.*s", (int)(data + n - last), last);
    CHECK_DONE();
}
