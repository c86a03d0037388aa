/*
 * exit.c — how a program ends, chosen by argv[1]:
 *   exit N      exit(N) after printing (stdio is flushed)
 *   return N    return N from main
 *   _exit N     _Exit(N): no atexit handlers, no stdio flush of the
 *               unflushed text printed before it (run.sh expects it absent)
 *   atexit N    an atexit handler prints, then exit(N)
 *   trap        __builtin_trap(): kiln exits 134 with "kiln: trap:" on stderr
 *   stderr      writes a line to stderr and one to stdout, returns 0
 *   partial     printf without a newline, then return 0: the text appears
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void handler(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "return";
    int n = argc > 2 ? atoi(argv[2]) : 0;
    printf("mode %s %d\n", mode, n);
    if (strcmp(mode, "exit") == 0)
        exit(n);
    if (strcmp(mode, "_exit") == 0) {
        setvbuf(stdout, NULL, _IOFBF, 4096);
        fflush(stdout);
        printf("never flushed\n");
        _Exit(n);
    }
    if (strcmp(mode, "atexit") == 0) {
        atexit(handler);
        exit(n);
    }
    if (strcmp(mode, "trap") == 0) {
        fflush(stdout);
        __builtin_trap();
    }
    if (strcmp(mode, "stderr") == 0) {
        fprintf(stderr, "this goes to stderr\n");
        printf("this goes to stdout\n");
        return 0;
    }
    if (strcmp(mode, "partial") == 0) {
        printf("no newline at the end");
        return 0;
    }
    return n;
}
