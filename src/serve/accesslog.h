/*
 * accesslog.h — the access log of `kiln serve`: one JSON object per line
 * per request, and the request ids that name requests in it.
 *
 *   {"ts":"2026-12-03T18:20:00.123456Z","id":"9f3c0a17e2b4d5c8","method":"GET",
 *    "path":"/hello?x=1","route":"/hello","component":"hello","status":200,
 *    "bytes":123,"us":456,"guest_us":300,"client":"127.0.0.1:5555",
 *    "proto":"HTTP/1.1"}                           (on one line)
 *
 * plus "error" when the request failed in the guest (a trap message, a
 * limit).  route and component are null when no route matched.  Every line
 * is valid JSON and valid UTF-8 whatever the client sent: control bytes are
 * escaped and each byte that is not part of well-formed UTF-8 becomes
 * U+FFFD (as Go's encoding/json and Rust's from_utf8_lossy do).
 *
 * Lines are queued by the request's thread and written by a thread of the
 * log's own, so a slow log consumer never stalls an event loop; the price
 * is a bounded buffer: when it is full, lines are dropped and counted
 * (kn_accesslog_dropped) rather than blocking requests.
 */
#ifndef KN_SERVE_ACCESSLOG_H
#define KN_SERVE_ACCESSLOG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- request ids ------------------------------------------------------------ */

/* 16 lowercase hex digits: a random 64-bit boot value xor a counter, so
 * ids are unique within a process (for 2^64 requests) and differ between
 * runs.  Not secret, not unguessable. */
#define KN_REQID_LEN 16

typedef struct kn_reqid {
    uint64_t boot;
    _Atomic uint64_t next;
} kn_reqid;

/* Seeds G from getrandom(2) (from the clock and pid if that fails). */
void kn_reqid_init(kn_reqid *g);
/* The next id into OUT, NUL-terminated.  Lock-free; any thread. */
void kn_reqid_next(kn_reqid *g, char out[KN_REQID_LEN + 1]);

/* ---- lines ---------------------------------------------------------------- */

typedef struct kn_access_entry {
    struct timespec ts; /* when the request arrived (CLOCK_REALTIME) */
    const char *id;
    const char *method; /* METHOD_LEN bytes, as received */
    size_t method_len;
    const char *path; /* PATH_LEN bytes: the request target, query included */
    size_t path_len;
    const char *route, *component; /* NULL when no route matched */
    int status;
    uint64_t bytes;    /* response body bytes sent */
    uint64_t us;       /* request to response, µs */
    uint64_t guest_us; /* inside the guest, µs (0 if none ran) */
    const char *client; /* "ip:port" */
    const char *proto;  /* "HTTP/1.1", "HTTP/2" */
    const char *error;  /* NULL: no "error" field */
} kn_access_entry;

/* Writes E's line, '\n' included, into DST (CAP bytes; NUL-terminated when
 * it fits) and returns its length; when that is >= CAP nothing useful was
 * written and the caller retries with a buffer of length + 1, as with
 * snprintf. */
size_t kn_accesslog_format(const kn_access_entry *e, char *dst, size_t cap);

/* ---- the log ------------------------------------------------------------------ */

typedef struct kn_accesslog kn_accesslog;

/* A log writing to FD (not closed by kn_accesslog_free), queueing at most
 * MAX_PENDING bytes (0: 4 MiB) while the writer thread is behind.  NULL
 * when out of memory or no thread could be started. */
kn_accesslog *kn_accesslog_new(int fd, size_t max_pending);
/* Queues E's line.  Never blocks on I/O: the lock it takes is held only to
 * copy the line.  Returns 0, or -1 when the line was dropped (queue full,
 * out of memory). */
int kn_accesslog_write(kn_accesslog *l, const kn_access_entry *e);
/* Lines dropped so far: queue full, out of memory, or failed writes. */
uint64_t kn_accesslog_dropped(kn_accesslog *l);
/* Writes what is queued, stops the writer and frees the log. */
void kn_accesslog_free(kn_accesslog *l);

#endif
