/*
 * clocks.c — clock_gettime for CLOCK_REALTIME, CLOCK_MONOTONIC,
 * CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID; clock_getres for
 * each (positive; at most 1 ms for the first two, under 1 s for CPU time);
 * realtime within 5 minutes of the host's time (run.sh passes `date +%s`
 * as argv[1]) and agreeing with time() and gettimeofday(); monotonic never going backwards over 100000 readings and
 * advancing across a 20 ms sleep; CPU time growing during a busy loop;
 * __wasi_clock_time_get with an unknown clock id failing with EINVAL.
 */
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <wasi/api.h>

#include "check.h"

static long long ns(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t) != 0)
        return -1;
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
    CHECK_INIT();
    struct timespec t;
    const struct {
        clockid_t id;
        const char *name;
    } clocks[] = {{CLOCK_REALTIME, "CLOCK_REALTIME"},
                  {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
                  {CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
                  {CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"}};
    for (int i = 0; i < 4; i++) {
        CHECK_INT(clock_gettime(clocks[i].id, &t), 0, "clock_gettime(%s)", clocks[i].name);
        CHECK(t.tv_nsec >= 0 && t.tv_nsec < 1000000000 && t.tv_sec >= 0,
              "%s gives a normalized timespec", clocks[i].name);
        CHECK_INT(clock_getres(clocks[i].id, &t), 0, "clock_getres(%s)", clocks[i].name);
        if (i < 2) /* the wall and monotonic clocks: fine-grained */
            CHECK(t.tv_sec == 0 && t.tv_nsec > 0 && t.tv_nsec <= 1000000,
                  "%s resolution is between 1 ns and 1 ms", clocks[i].name);
        else
            CHECK(t.tv_sec == 0 && t.tv_nsec > 0, "%s resolution is between 1 ns and 1 s",
                  clocks[i].name);
    }

    long long host = argc > 1 ? atoll(argv[1]) : 0;
    clock_gettime(CLOCK_REALTIME, &t);
    CHECK(t.tv_sec > 1577836800, "realtime is after 2020-01-01");
    CHECK(host > 0 && llabs(t.tv_sec - host) < 300, "realtime is within 5 minutes of the host's clock");
    time_t tt = time(NULL);
    CHECK(llabs((long long)tt - t.tv_sec) <= 2, "time() agrees with CLOCK_REALTIME");
    struct timeval tv;
    CHECK(gettimeofday(&tv, NULL) == 0 && llabs((long long)tv.tv_sec - t.tv_sec) <= 2,
          "gettimeofday agrees with CLOCK_REALTIME");

    long long prev = ns(CLOCK_MONOTONIC), back = 0;
    for (int i = 0; i < 100000; i++) {
        long long now = ns(CLOCK_MONOTONIC);
        back += now < prev;
        prev = now;
    }
    CHECK_INT(back, 0, "monotonic never went backwards in 100000 readings");
    long long before = ns(CLOCK_MONOTONIC);
    struct timespec sl = {0, 20000000};
    CHECK_INT(nanosleep(&sl, NULL), 0, "nanosleep 20 ms");
    long long slept = ns(CLOCK_MONOTONIC) - before;
    CHECK(slept >= 18000000 /* 2 ms slack, see poll.c */ && slept < 2000000000LL, "monotonic advanced by 20 ms .. 2 s across it");

    long long c0 = ns(CLOCK_PROCESS_CPUTIME_ID), th0 = ns(CLOCK_THREAD_CPUTIME_ID);
    volatile uint32_t x = 1;
    long long start = ns(CLOCK_MONOTONIC);
    while (ns(CLOCK_MONOTONIC) - start < 50000000) /* 50 ms of busy work */
        for (int i = 0; i < 1000; i++)
            x = x * 1664525u + 1013904223u;
    long long c1 = ns(CLOCK_PROCESS_CPUTIME_ID), th1 = ns(CLOCK_THREAD_CPUTIME_ID);
    CHECK(c1 > c0, "process CPU time grew during 50 ms of busy work");
    CHECK(th1 > th0, "thread CPU time grew during 50 ms of busy work");
    CHECK(c1 - c0 < 5000000000LL, "and by less than 5 s");

    __wasi_timestamp_t ts = 0;
    CHECK_WASI(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &ts), 0,
               "__wasi_clock_time_get(monotonic, precision 1)");
    CHECK(ts > 0, "monotonic timestamp is nonzero");
    CHECK_WASI(__wasi_clock_time_get(99, 1, &ts), __WASI_ERRNO_INVAL, "clock id 99: EINVAL");
    CHECK_WASI(__wasi_clock_res_get(99, &ts), __WASI_ERRNO_INVAL, "clock_res_get of clock id 99: EINVAL");
    CHECK_DONE();
}
