/*
 * hello.c — the start-up probe: prints "hello" and exits.  Timed many times
 * by spawn_time (bench/run.sh's WASI start-up table): what is left is each
 * runner's fixed cost — process start, reading, decoding, validating and
 * compiling the module (libc's printf included), instantiating, _start.
 */
#include <stdio.h>

int main(void)
{
    printf("hello\n");
    return 0;
}
