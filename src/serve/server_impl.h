/*
 * server_impl.h — what the files of the HTTP core share (server.c: start,
 * signals, reload, drain; server_app.c: app versions; server_guest.c: the
 * guest threads; server_http.c: h2o handlers).  Private to src/serve/.
 *
 * Threads and who owns what:
 *   - the control thread (the one that called kn_server_run) handles
 *     signals and inotify through signalfd/poll, loads new app versions
 *     and decides when to stop;
 *   - one worker per event loop owns its h2o context, its listener sockets
 *     and every h2o_req_t of its connections: nothing else touches them;
 *   - guest threads run kn_exec_run for jobs and hand each job back to its
 *     worker's receiver (h2o_multithread), where the response is sent;
 *   - a request of a component that has been fast lately runs inline on
 *     its worker instead, under a short time slice (server_guest.c); one
 *     that reaches the slice is rerun from scratch on a guest thread.
 * A job owns copies of everything the guest needs, so a client that goes
 * away only clears job->req (through a dispose callback on the request's
 * pool) and the result is dropped when it comes back.
 */
#ifndef KN_SERVE_SERVER_IMPL_H
#define KN_SERVE_SERVER_IMPL_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <netinet/in.h>
#include <h2o/multithread.h>
#include <pthread.h>
#include <stdatomic.h>

#include "accesslog.h"
#include "exec.h"
#include "manifest.h"
#include "metrics.h"
#include "route.h"
#include "server.h"
#include "wagi.h"

/* Request headers larger than this in total (names and values) get 431. */
#define KN_MAX_HEADER_BYTES (32u << 10)
/* Guest threads are made on demand up to this many. */
#define KN_MAX_GUEST_THREADS 1024u
/* The inline fast path (server_guest.c): a component whose recent runs
 * average (EWMA, 1/8 per run) below KN_INLINE_FAST_NS runs on the event
 * loop with a KN_INLINE_SLICE_NS deadline; reaching it marks the component
 * slow for KN_INLINE_SLOW_NS, during which its requests go to threads. */
#define KN_INLINE_FAST_NS 200000u
#define KN_INLINE_SLICE_NS 2000000u
#define KN_INLINE_SLOW_NS 2000000000u

typedef struct kn_srv kn_srv;
typedef struct kn_job kn_job;

/* A component of one app version, with its admission state (guarded by
 * the guest pool's mutex; running counts inline runs too) and what decides
 * the inline path (atomics, read and written without the mutex: a stale
 * value only sends one request down the other path). */
typedef struct kn_srv_comp {
    kn_exec_component exec;
    kn_metrics_component *metrics;
    uint32_t running, queued;
    kn_job *wait_head, *wait_tail;
    _Atomic uint64_t ewma_ns;       /* recent guest time per run */
    _Atomic uint64_t slow_until_ns; /* kn_now_ns before which: threads only */
} kn_srv_comp;

/* One loaded version of the app.  Each request holds a reference to the
 * version it started on; the last release frees it. */
typedef struct kn_srv_app {
    atomic_long refs;
    kn_app *app;
    kn_router *router;
    kn_srv_comp *comps;         /* app->ncomponents */
    kn_metrics_route **routes;  /* per trigger */
    kn_metrics_route *unrouted; /* 404s and requests refused before routing */
} kn_srv_app;

kn_srv_app *kn_srv_app_load(kn_srv *s, const char *path, char *err, size_t errlen);
void kn_srv_app_release(kn_srv_app *a);
/* The current version, with a reference the caller releases. */
kn_srv_app *kn_srv_app_acquire(kn_srv *s);
/* Makes A current (taking over the caller's reference) and releases the old. */
void kn_srv_app_swap(kn_srv *s, kn_srv_app *a);

typedef struct kn_worker {
    kn_srv *srv;
    unsigned index;
    pthread_t thread;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t done; /* jobs back from guest threads */
    h2o_multithread_receiver_t ctl;  /* control messages */
    int listen_fd, admin_fd;         /* until the loop imports them */
    h2o_socket_t *listener, *admin;
    h2o_accept_ctx_t accept, admin_accept;
    int stop;
} kn_worker;

/* A request on its way through a guest. */
struct kn_job {
    h2o_multithread_message_t msg;
    kn_job *next; /* in its component's wait queue */
    kn_worker *worker;
    h2o_req_t *req;   /* NULL once the client went away (loop thread only) */
    kn_job **guard;   /* in req's pool: points back here while req lives */
    kn_srv_app *app;
    size_t trigger;
    kn_srv_comp *comp;
    kn_wagi_env env;
    uint8_t *body;
    size_t body_len;
    kn_exec_output out;
    char id[KN_REQID_LEN + 1];
    char ip[INET6_ADDRSTRLEN]; /* the client's address, "?" when unknown */
    unsigned port;
    char client[INET6_ADDRSTRLEN + 8]; /* "ip:port", for the log */
    char *line;          /* method, then path (copies, for the log) */
    size_t method_len, path_len;
    const char *proto; /* for the log: "HTTP/1.1", "HTTP/2" */
    struct timespec arrived; /* CLOCK_REALTIME, for the log */
    uint64_t start_ns;       /* CLOCK_MONOTONIC */
};

typedef struct kn_guests {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    kn_job *head, *tail; /* admitted, waiting for a thread */
    unsigned nthreads, nidle, nready;
    int stopping;
} kn_guests;

struct kn_srv {
    kn_server_config cfg;
    kiln_engine *engine;
    kn_metrics *metrics;
    kn_accesslog *log;
    kn_reqid ids;
    pthread_mutex_t app_mu;
    kn_srv_app *app;
    atomic_int draining;
    atomic_long inflight; /* accepted requests not yet answered */
    kn_guests guests;
    h2o_globalconf_t gconf;
    h2o_hostconf_t *app_hosts[2], *admin_hosts[2];
    SSL_CTX *ssl;
    kn_worker *workers;
    unsigned nworkers;
    h2o_barrier_t started, stopped; /* the workers' loops are up / over */
    char listen_host[64];
    unsigned listen_port;
};

/* server_guest.c */
int kn_guests_init(kn_guests *g);
/* Admits J to its component: 0 when running or queued on a thread, 1 when
 * admitted to run inline (the caller then calls kn_guests_run_inline), -1
 * when the component's instances and queue are full (the caller answers
 * 503). */
int kn_guests_submit(kn_srv *s, kn_job *j);
/* Runs an admitted J on the calling worker.  1: J's output is its answer;
 * 0: J reached the slice and went to a guest thread, which sends it back
 * through the worker's receiver as any other job. */
int kn_guests_run_inline(kn_srv *s, kn_job *j);

/* server_http.c */
void kn_http_setup(kn_srv *s);
void kn_http_on_done(h2o_multithread_receiver_t *r, h2o_linklist_t *messages);
void kn_http_on_accept(h2o_socket_t *listener, const char *err);

/* The server log: one line on stderr, "kiln serve: ..." */
void kn_srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t kn_now_ns(void);

#endif
