/*
 * args.c — argv: prints argc and every argument in brackets, so empty
 * arguments, spaces, UTF-8 and option-like words after FILE are visible.
 * run.sh runs it with several argument lists and with --argv0.  With
 * "--summary" as argv[1] it prints only argc, the total length and a hash
 * of all the arguments (for a run with thousands of them).
 */
#include <stdint.h>

#include "check.h"

int main(int argc, char **argv)
{
    CHECK_INIT();
    if (argc > 1 && strcmp(argv[1], "--summary") == 0) {
        uint32_t h = 2166136261u; /* FNV-1a over argv[1..], each with its NUL */
        size_t total = 0;
        for (int i = 1; i < argc; i++) {
            size_t n = strlen(argv[i]) + 1;
            total += n;
            for (size_t k = 0; k < n; k++)
                h = (h ^ (unsigned char)argv[i][k]) * 16777619u;
        }
        printf("argc=%d bytes=%zu fnv1a=%08x\n", argc, total, h);
    } else {
        printf("argc=%d\n", argc);
        for (int i = 0; i < argc; i++)
            printf("argv[%d]=[%s] len=%zu\n", i, argv[i], strlen(argv[i]));
    }
    CHECK(argv[argc] == NULL, "argv[argc] is NULL");
    CHECK_DONE();
}
