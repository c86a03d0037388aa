/*
 * poll.c — poll_oneoff: wait until a clock passes or an fd can be read or
 * written, whichever comes first.
 *
 * Subscriptions that can be answered at once (a bad fd, a regular file,
 * which is always ready, an unsupported clock) make the call return without
 * sleeping; otherwise the host fds go to one ppoll() whose timeout is the
 * earliest clock.  Every subscription that is ready when ppoll returns gets
 * an event, in subscription order.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_impl.h"

enum { SUB_SIZE = 48, EVENT_SIZE = 32 };
enum { EV_CLOCK = 0, EV_FD_READ = 1, EV_FD_WRITE = 2 };
enum { WASI_SUBCLOCK_ABSTIME = 1, WASI_EVENT_HANGUP = 1 };

static uint64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put_event(uint8_t *ev, const uint8_t *sub, uint16_t error, uint8_t type,
                      uint64_t nbytes, uint16_t flags)
{
    memset(ev, 0, EVENT_SIZE);
    memcpy(ev, sub, 8); /* userdata */
    put16(ev + 8, error);
    ev[10] = type;
    put64(ev + 16, nbytes);
    put16(ev + 24, flags);
}

/* Waiting to read needs the right to read, waiting to write the right to
 * write, each besides poll_fd_readwrite. */
static uint64_t poll_rights(uint8_t type)
{
    return RIGHT(POLL_FD_READWRITE) | (type == EV_FD_READ ? RIGHT(FD_READ) : RIGHT(FD_WRITE));
}

/* Per subscription: where its host fd went in the pollfd array (or -1),
 * and a clock's deadline on the monotonic clock. */
typedef struct sub_state {
    int pollfd;
    bool is_clock, ready;
    uint64_t deadline;
} sub_state;

static uint32_t wasi_poll_oneoff(wasi_call *c, const kiln_val *a)
{
    uint32_t n = A32(2);
    const uint8_t *in = wasi_mem_in(c, A32(0), (uint64_t)n * SUB_SIZE);
    uint8_t *out = wasi_mem(c, A32(1), (uint64_t)n * EVENT_SIZE);
    uint8_t *nevents = wasi_mem(c, A32(3), 4);
    if (!in || !out || !nevents)
        return WASI_EFAULT;
    if (n == 0)
        return WASI_EINVAL;
    /* Validate everything before anything is written or waited for. */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + (size_t)i * SUB_SIZE;
        if (s[8] > EV_FD_WRITE)
            return WASI_EINVAL;
        if (s[8] == EV_CLOCK && (get16(s + 40) & ~WASI_SUBCLOCK_ABSTIME))
            return WASI_EINVAL;
    }
    const kn_allocator *al = &c->w->alloc;
    sub_state *st = kn_calloc(al, n, sizeof *st);
    struct pollfd *pfd = kn_calloc(al, n, sizeof *pfd);
    if (!st || !pfd) {
        kn_free(al, st);
        kn_free(al, pfd);
        return WASI_ENOMEM;
    }
    uint64_t mono = now_ns(CLOCK_MONOTONIC), earliest = UINT64_MAX;
    uint32_t npfd = 0, count = 0;
    /* First the subscriptions that need no waiting; the events they make go
     * out in subscription order after the wait, with the others. */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + (size_t)i * SUB_SIZE;
        st[i].pollfd = -1;
        if (s[8] == EV_CLOCK) {
            uint32_t id = get32(s + 16);
            uint64_t t = get64(s + 24), rel;
            st[i].is_clock = true;
            if (id != WASI_CLOCK_REALTIME && id != WASI_CLOCK_MONOTONIC) {
                st[i].ready = true; /* reported below with an error */
                continue;
            }
            if (get16(s + 40) & WASI_SUBCLOCK_ABSTIME) {
                uint64_t now = id == WASI_CLOCK_REALTIME ? now_ns(CLOCK_REALTIME) : mono;
                rel = t > now ? t - now : 0;
            } else {
                rel = t;
            }
            st[i].deadline = rel > UINT64_MAX - mono ? UINT64_MAX : mono + rel;
            if (st[i].deadline < earliest)
                earliest = st[i].deadline;
            continue;
        }
        uint32_t err;
        wasi_fd *f = kn_wasi_fd_get(c->w, get32(s + 16), poll_rights(s[8]), &err);
        if (!f || f->mem || f->type == WASI_FILETYPE_REGULAR_FILE ||
            f->type == WASI_FILETYPE_DIRECTORY) {
            st[i].ready = true; /* an error, a file or a buffer: always ready */
            continue;
        }
        pfd[npfd] = (struct pollfd){.fd = f->host,
                                    .events = s[8] == EV_FD_READ ? POLLIN : POLLOUT};
        st[i].pollfd = (int)npfd++;
    }
    bool any_ready = false;
    for (uint32_t i = 0; i < n; i++)
        any_ready |= st[i].ready;
    /* Never sleep past the caller's deadline: a guest waiting for an hour
     * under a one-second --timeout must stop after one second.  A signal
     * that is not about this store (a profiler's SIGPROF: ppoll is never
     * restarted) and waking a hair before the deadline both mean waiting
     * on, for what is left of the same wait. */
    int rc, host_errno = 0;
    bool limited;
    for (;;) {
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        uint64_t left = kiln_store_time_left_ns(c->store), wait = UINT64_MAX;
        if (any_ready || earliest <= now)
            wait = 0;
        else if (earliest != UINT64_MAX)
            wait = earliest - now;
        limited = left < wait;
        if (limited)
            wait = left;
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000u),
                              .tv_nsec = (long)(wait % 1000000000u)};
        rc = ppoll(pfd, npfd, wait == UINT64_MAX ? NULL : &ts, NULL);
        host_errno = errno;
        bool interrupted = rc < 0 && host_errno == EINTR;
        if ((interrupted || (rc == 0 && limited)) &&
            !(c->trap = kiln_store_limit_error(c->store)))
            continue;
        break;
    }
    if (rc < 0 || (rc == 0 && limited)) {
        kn_free(al, st);
        kn_free(al, pfd);
        return rc < 0 ? kn_wasi_errno_from_host(host_errno) : WASI_EINTR;
    }
    uint64_t after = now_ns(CLOCK_MONOTONIC);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + (size_t)i * SUB_SIZE;
        uint8_t *ev = out + (size_t)count * EVENT_SIZE;
        uint8_t type = s[8];
        if (st[i].is_clock) {
            if (st[i].ready) {
                uint32_t id = get32(s + 16);
                bool cpu = id == WASI_CLOCK_PROCESS_CPUTIME || id == WASI_CLOCK_THREAD_CPUTIME;
                put_event(ev, s, cpu ? WASI_ENOTSUP : WASI_EINVAL, EV_CLOCK, 0, 0);
                count++;
            } else if (st[i].deadline <= after) {
                put_event(ev, s, 0, EV_CLOCK, 0, 0);
                count++;
            }
            continue;
        }
        uint32_t err;
        wasi_fd *f = kn_wasi_fd_get(c->w, get32(s + 16), poll_rights(type), &err);
        if (!f) {
            put_event(ev, s, (uint16_t)err, type, 0, 0);
            count++;
        } else if (st[i].pollfd < 0) {
            /* A file or a buffer: readable up to its end, writable at once. */
            uint64_t left = 0;
            struct stat sb;
            off_t pos = f->mem ? 0 : lseek(f->host, 0, SEEK_CUR);
            if (f->mem && type == EV_FD_READ)
                left = f->mem->in_len - f->mem->in_pos;
            else if (type == EV_FD_READ && pos >= 0 && fstat(f->host, &sb) == 0 &&
                     sb.st_size > pos)
                left = (uint64_t)(sb.st_size - pos);
            put_event(ev, s, 0, type, left, 0);
            count++;
        } else {
            short re = pfd[st[i].pollfd].revents;
            if (!re)
                continue;
            if (re & POLLNVAL) {
                put_event(ev, s, WASI_EBADF, type, 0, 0);
            } else {
                int avail = 0;
                if (type == EV_FD_READ && ioctl(f->host, FIONREAD, &avail) != 0)
                    avail = 0;
                put_event(ev, s, (re & POLLERR) && !(re & (POLLIN | POLLOUT)) ? WASI_EIO : 0,
                          type, avail > 0 ? (uint64_t)avail : 0,
                          (re & POLLHUP) ? WASI_EVENT_HANGUP : 0);
            }
            count++;
        }
    }
    kn_free(al, st);
    kn_free(al, pfd);
    put32(nevents, count);
    return WASI_ESUCCESS;
}

const wasi_import kn_wasi_poll_imports[] = {
    WASI_IMPORT(poll_oneoff, "iiii"),
};
const size_t kn_wasi_poll_nimports = sizeof kn_wasi_poll_imports / sizeof kn_wasi_poll_imports[0];
