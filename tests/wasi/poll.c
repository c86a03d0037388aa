/*
 * poll.c — waiting: poll() with no fds and a 100 ms timeout returns 0 after
 * 100 ms (and well under 2 s); nanosleep and usleep; __wasi_poll_oneoff
 * with two relative clock subscriptions (the earlier one fires first, with
 * its userdata), an absolute one on the monotonic clock, and a clock plus
 * an fd_read on a regular file (ready at once); poll() on stdin, into
 * which run.sh pipes "ping\n": ready for reading at once, and the data
 * reads back.
 */
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <wasi/api.h>

#include "check.h"

#define D "/sandbox"
/* A wait may end up to 2 ms early: node's libuv timers count whole
 * milliseconds of a cached loop time, so 50 ms can be 49.x ms. */
#define SLACK 2000000LL

static long long mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static __wasi_subscription_t clock_sub(uint64_t userdata, __wasi_clockid_t id, uint64_t timeout,
                                       __wasi_subclockflags_t flags)
{
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = userdata;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = id;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.precision = 1000;
    s.u.u.clock.flags = flags;
    return s;
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    long long t0 = mono();
    CHECK_INT(poll(NULL, 0, 100), 0, "poll(no fds, 100 ms) returns 0");
    long long dt = mono() - t0;
    CHECK(dt >= 100000000LL - SLACK, "it waited at least 100 ms");
    CHECK(dt < 2000000000LL, "and less than 2 s");

    t0 = mono();
    struct timespec sl = {0, 50000000};
    CHECK_INT(nanosleep(&sl, NULL), 0, "nanosleep 50 ms");
    dt = mono() - t0;
    CHECK(dt >= 50000000LL - SLACK && dt < 2000000000LL, "nanosleep took 50 ms .. 2 s");
    t0 = mono();
    CHECK_INT(usleep(30000), 0, "usleep 30 ms");
    dt = mono() - t0;
    CHECK(dt >= 30000000LL - SLACK && dt < 2000000000LL, "usleep took 30 ms .. 2 s");

    /* two relative clocks: the 30 ms one fires, not the 600 ms one */
    __wasi_subscription_t subs[2] = {
        clock_sub(600, __WASI_CLOCKID_MONOTONIC, 600000000ull, 0),
        clock_sub(30, __WASI_CLOCKID_MONOTONIC, 30000000ull, 0),
    };
    __wasi_event_t ev[2];
    __wasi_size_t nev = 0;
    t0 = mono();
    CHECK_WASI(__wasi_poll_oneoff(subs, ev, 2, &nev), 0, "poll_oneoff with 30 ms and 600 ms clocks");
    dt = mono() - t0;
    CHECK_INT(nev, 1, "one event");
    CHECK(nev >= 1 && ev[0].userdata == 30 && ev[0].type == __WASI_EVENTTYPE_CLOCK &&
              ev[0].error == 0,
          "it is the 30 ms clock's (userdata 30, type clock, no error)");
    CHECK(dt >= 30000000LL - SLACK && dt < 500000000LL, "after 30 ms, well before 600 ms");

    /* an absolute deadline on the monotonic clock */
    if (SECTION("abstime")) {
        __wasi_timestamp_t now = 0;
        CHECK_WASI(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now), 0,
                   "read the monotonic clock");
        subs[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, now + 40000000ull, 
                            __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
        t0 = mono();
        CHECK_WASI(__wasi_poll_oneoff(subs, ev, 1, &nev), 0,
                   "poll_oneoff with an absolute deadline 40 ms ahead");
        dt = mono() - t0;
        CHECK(nev == 1 && ev[0].userdata == 7, "its event arrives");
        CHECK(dt >= 40000000LL - SLACK && dt < 2000000000LL, "after about 40 ms");
        subs[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, now, 
                            __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
        CHECK_WASI(__wasi_poll_oneoff(subs, ev, 1, &nev), 0, "an absolute deadline in the past");
        CHECK(nev == 1 && ev[0].userdata == 8, "fires at once");
    }

    if (SECTION("poll-file")) {
        /* a regular file is always readable */
        CHECK_INT(write_file(D "/p.txt", "12345", 5), 0, "create p.txt, 5 bytes");
        int fd = open(D "/p.txt", O_RDONLY);
        memset(subs, 0, sizeof subs);
        subs[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
        subs[1].userdata = 2;
        subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
        subs[1].u.u.fd_read.file_descriptor = fd;
        t0 = mono();
        CHECK_WASI(__wasi_poll_oneoff(subs, ev, 2, &nev), 0,
                   "poll_oneoff: fd_read on a file and a 5 s clock");
        dt = mono() - t0;
        CHECK(nev >= 1 && ev[0].userdata == 2 && ev[0].type == __WASI_EVENTTYPE_FD_READ &&
                  ev[0].error == 0,
              "the file is ready for reading");
        CHECK(dt < 1000000000LL, "at once, not after the 5 s clock");
        struct pollfd pf = {.fd = fd, .events = POLLRDNORM};
        CHECK_INT(poll(&pf, 1, 5000), 1, "poll() on the file returns 1");
        CHECK(pf.revents & POLLRDNORM, "with POLLRDNORM");
        close(fd);
    }

    if (SECTION("poll-stdin")) {
        /* stdin, with "ping\n" piped in */
        struct pollfd pf;
        pf.fd = 0;
        pf.events = POLLRDNORM;
        pf.revents = 0;
        t0 = mono();
        CHECK_INT(poll(&pf, 1, 5000), 1, "poll() on stdin with data piped in returns 1");
        CHECK(pf.revents & POLLRDNORM, "stdin is readable");
        CHECK(mono() - t0 < 2000000000LL, "without waiting for the timeout");
        char buf[16] = {0};
        CHECK_INT(read(0, buf, sizeof buf - 1), 5, "read 5 bytes from stdin");
        CHECK(strcmp(buf, "ping\n") == 0, "they are \"ping\\n\"");
    }
    SECTION("end");
    CHECK_DONE();
}
