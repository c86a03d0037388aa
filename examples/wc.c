/*
 * wc.c — the example WASI command: counts lines, words and bytes of the
 * files named on its command line, like wc(1), and a total.  Built with
 *
 *   clang-19 --target=wasm32-wasi -O2 -Wl,--strip-debug -o examples/wc.wasm examples/wc.c
 *
 * and run by kiln with only the directory it needs granted, read-only:
 *
 *   build/kiln run --dir-ro examples::/ex examples/wc.wasm /ex/wc.c /ex/fib.wat
 *
 * A file it cannot open (say, one outside /ex) is reported on stderr and
 * makes it exit with 1, after counting the others.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct counts {
    unsigned long lines, words, bytes;
} counts;

static int count(const char *path, counts *c)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "wc: %s: %s\n", path, strerror(errno));
        return 1;
    }
    int ch, in_word = 0;
    while ((ch = getc(f)) != EOF) {
        c->bytes++;
        if (ch == '\n')
            c->lines++;
        if (isspace(ch)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            c->words++;
        }
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    counts total = {0, 0, 0};
    int status = 0;
    for (int i = 1; i < argc; i++) {
        counts c = {0, 0, 0};
        if (count(argv[i], &c) != 0) {
            status = 1;
            continue;
        }
        printf("%7lu %7lu %7lu %s\n", c.lines, c.words, c.bytes, argv[i]);
        total.lines += c.lines;
        total.words += c.words;
        total.bytes += c.bytes;
    }
    if (argc > 2)
        printf("%7lu %7lu %7lu total\n", total.lines, total.words, total.bytes);
    return status;
}
