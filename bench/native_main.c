/*
 * native_main.c — native driver for a benchmark workload.
 *
 * Linked with one workload object; calls its run() once and prints the
 * result as an unsigned decimal.  bench/run.sh compiles this with
 * -DBENCH_RESULT_64=1 when the workload's run() returns uint64_t.
 */
#include <inttypes.h>
#include <stdio.h>

#if BENCH_RESULT_64
extern uint64_t run(void);
#else
extern uint32_t run(void);
#endif

int main(void)
{
#if BENCH_RESULT_64
    printf("%" PRIu64 "\n", run());
#else
    printf("%" PRIu32 "\n", run());
#endif
    return 0;
}
