/*
 * bench/wasi/shim/setjmp.h — setjmp/longjmp for the wasm32-wasi build of
 * bench/wasi/js.c only (found first on its include path; the native build
 * uses libc's).  wasi-libc offers setjmp only with Wasm exception handling,
 * which the bench's runners do not all have; Duktape uses longjmp only to
 * throw JavaScript errors, and the bench script throws none, so setjmp
 * returns 0 and a longjmp would abort the run (a failed bench row, never a
 * wrong answer).
 */
#ifndef BENCH_SHIM_SETJMP_H
#define BENCH_SHIM_SETJMP_H
#include <stdlib.h>
typedef int jmp_buf[1];
static inline int bench_setjmp(jmp_buf b) { (void)b; return 0; }
static inline _Noreturn void bench_longjmp(jmp_buf b, int v) { (void)b; (void)v; abort(); }
#define setjmp bench_setjmp
#define longjmp bench_longjmp
#endif
