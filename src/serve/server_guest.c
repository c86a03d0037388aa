/*
 * server_guest.c — the guest threads: where WAGI handlers run, away from
 * the event loops, so a slow or looping guest never delays another request.
 *
 * Admission is per component: at most max_concurrency of its requests run
 * at once, and as many more wait in a FIFO queue of the same length; a
 * request beyond that is refused at once (503 with Retry-After) instead of
 * piling up.  Admitted jobs go to one shared ready queue; threads are made
 * on demand whenever a job is admitted and no thread is idle (up to
 * KN_MAX_GUEST_THREADS), so components never wait for each other's
 * threads.  Threads that become idle stay parked for the next job.  A
 * finished job goes back to its worker's receiver, which sends the
 * response on the loop that owns the request.
 *
 * The inline fast path: handing a job to a thread and back costs two
 * context switches and futex wake-ups, far more than a small handler's
 * few microseconds.  So a component whose recent runs were short (an EWMA
 * of its guest times below KN_INLINE_FAST_NS, and not marked slow) runs
 * on the worker that received the request, under a deadline of
 * KN_INLINE_SLICE_NS instead of its timeout.  This is safe to cut short:
 * a WAGI guest touches nothing outside its fresh instance (in-memory
 * stdio, read-only files, no sockets), so a run stopped at the slice is
 * thrown away and rerun from scratch on a guest thread with its full
 * timeout and fuel, and the component is marked slow for
 * KN_INLINE_SLOW_NS, so one that sleeps or loops delays its worker's
 * other requests by at most one slice now and then.  Blocking WASI calls
 * end at the deadline too (they wait at most kiln_store_time_left_ns).
 * An inline run is admitted like any other: it holds one of the
 * component's max_concurrency places, and its rerun keeps that place.
 */
#include <stdio.h>

#include "server_impl.h"

int kn_guests_init(kn_guests *g)
{
    memset(g, 0, sizeof *g);
    if (pthread_mutex_init(&g->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&g->cv, NULL) != 0) {
        pthread_mutex_destroy(&g->mu);
        return -1;
    }
    return 0;
}

/* Under g->mu. */
static void ready_push(kn_guests *g, kn_job *j)
{
    j->next = NULL;
    if (g->tail)
        g->tail->next = j;
    else
        g->head = j;
    g->tail = j;
    g->nready++;
}

static kn_job *ready_pop(kn_guests *g)
{
    kn_job *j = g->head;
    if (j) {
        if (!(g->head = j->next))
            g->tail = NULL;
        g->nready--;
    }
    return j;
}

/* One run's guest time into C's average.  Guest time is wall time, so a
 * thread run descheduled on a busy machine looks slow: one sample counts
 * at most twice the slice, and only an inline run that reached the slice
 * marks C slow at once. */
static void note_time(kn_srv_comp *c, uint64_t ns)
{
    if (ns > 2 * (uint64_t)KN_INLINE_SLICE_NS)
        ns = 2 * (uint64_t)KN_INLINE_SLICE_NS;
    uint64_t avg = atomic_load_explicit(&c->ewma_ns, memory_order_relaxed);
    avg = avg - avg / 8 + ns / 8;
    atomic_store_explicit(&c->ewma_ns, avg, memory_order_relaxed);
}

static int comp_fast(kn_srv_comp *c)
{
    return atomic_load_explicit(&c->ewma_ns, memory_order_relaxed) < KN_INLINE_FAST_NS &&
           kn_now_ns() >= atomic_load_explicit(&c->slow_until_ns, memory_order_relaxed);
}

/* Runs J, under SLICE_NS when nonzero.  A run stopped at the slice counts
 * only as such: its rerun is the run the metrics see. */
static void run_job(kn_srv *s, kn_job *j, uint64_t slice_ns)
{
    kn_srv_comp *c = j->comp;
    const kn_trigger *t = &j->app->app->triggers[j->trigger];
    kn_exec_input in = {
        .argv = j->env.argv,
        .env_names = j->env.names,
        .env_values = j->env.values,
        .nenv = j->env.nvars,
        .entrypoint = t->entrypoint ? t->entrypoint : "_start",
        .body = j->body,
        .body_len = j->body_len,
        .slice_ns = slice_ns,
    };
    unsigned shard = j->worker->index;
    kn_metrics_live_add(c->metrics, shard, 1);
    kn_exec_run(&c->exec, s->engine, &in, &j->out);
    kn_metrics_live_add(c->metrics, shard, -1);
    kn_metrics_inline(c->metrics, shard, slice_ns != 0, j->out.outcome == KN_EXEC_SLICE);
    if (j->out.outcome == KN_EXEC_SLICE)
        return;
    note_time(c, j->out.guest_ns);
    kn_metrics_instantiation(c->metrics, shard, j->out.instantiate_ns);
    kn_metrics_guest(c->metrics, shard, j->out.guest_ns, j->out.fuel_used, j->out.memory_bytes);
    if (j->out.outcome == KN_EXEC_TIMEOUT)
        kn_metrics_limit(c->metrics, shard, KN_LIMIT_DEADLINE);
    else if (j->out.outcome == KN_EXEC_FUEL)
        kn_metrics_limit(c->metrics, shard, KN_LIMIT_FUEL);
    else if (j->out.outcome == KN_EXEC_TRAP)
        kn_metrics_trap(c->metrics, shard, j->out.trap);
}

/* One line per line of stderr, prefixed with the component and request. */
static void log_stderr(const kn_job *j)
{
    const char *p = j->out.err;
    if (!p)
        return;
    const char *id = j->app->app->components[j->comp - j->app->comps].id;
    while (*p) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "[%s %s] %.*s\n", id, j->id, len, p);
        p += len + (nl ? 1 : 0);
    }
}

/* Under g->mu: a run of C ended; its place goes to C's next waiting job. */
static void leave(kn_guests *g, kn_srv_comp *c)
{
    c->running--;
    kn_job *next = c->wait_head;
    if (next) {
        if (!(c->wait_head = next->next))
            c->wait_tail = NULL;
        c->queued--;
        c->running++;
        ready_push(g, next);
    }
}

static void *guest_main(void *arg)
{
    kn_srv *s = arg;
    kn_guests *g = &s->guests;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        kn_job *j;
        while (!(j = ready_pop(g)) && !g->stopping) {
            g->nidle++;
            pthread_cond_wait(&g->cv, &g->mu);
            g->nidle--;
        }
        if (!j)
            break;
        pthread_mutex_unlock(&g->mu);
        run_job(s, j, 0);
        log_stderr(j);
        pthread_mutex_lock(&g->mu);
        leave(g, j->comp);
        /* The job belongs to its worker from here on.  Sent outside g->mu:
         * the send takes the receiver's own lock and may write to its
         * pipe, which the loops and other guest threads should not wait
         * out. */
        pthread_mutex_unlock(&g->mu);
        h2o_multithread_send_message(&j->worker->done, &j->msg);
        pthread_mutex_lock(&g->mu);
    }
    g->nthreads--;
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* Under g->mu: a thread for a newly ready job if none is idle; returns 1
 * when an idle one should be woken instead, which the caller does after
 * unlocking g->mu (signalled under it, the woken thread would at once
 * block on the mutex its waker still holds: two more context switches per
 * request, most of kiln serve's time on a small handler). */
static int spawn_unless_idle(kn_srv *s)
{
    kn_guests *g = &s->guests;
    if (g->nready <= g->nidle || g->nthreads >= KN_MAX_GUEST_THREADS)
        return 1;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, guest_main, s) == 0)
        g->nthreads++;
    else if (g->nthreads == 0)
        kn_srv_log("cannot start a guest thread; requests wait for one");
    pthread_attr_destroy(&attr);
    return 0;
}

int kn_guests_submit(kn_srv *s, kn_job *j)
{
    kn_guests *g = &s->guests;
    kn_srv_comp *c = j->comp;
    uint32_t max = c->exec.spec->limits.max_concurrency;
    int rc = 0, wake = 0, fast = comp_fast(c);
    pthread_mutex_lock(&g->mu);
    if (c->running < max && fast) {
        c->running++;
        rc = 1;
    } else if (c->running < max) {
        c->running++;
        ready_push(g, j);
        wake = spawn_unless_idle(s);
    } else if (c->queued < max) {
        c->queued++;
        j->next = NULL;
        if (c->wait_tail)
            c->wait_tail->next = j;
        else
            c->wait_head = j;
        c->wait_tail = j;
    } else {
        rc = -1;
    }
    pthread_mutex_unlock(&g->mu);
    if (wake)
        pthread_cond_signal(&g->cv);
    return rc;
}

int kn_guests_run_inline(kn_srv *s, kn_job *j)
{
    kn_guests *g = &s->guests;
    run_job(s, j, KN_INLINE_SLICE_NS);
    int done = j->out.outcome != KN_EXEC_SLICE, wake = 0;
    if (done) {
        log_stderr(j);
    } else {
        atomic_store_explicit(&j->comp->slow_until_ns, kn_now_ns() + KN_INLINE_SLOW_NS,
                              memory_order_relaxed);
        kn_exec_output_free(&j->out);
        memset(&j->out, 0, sizeof j->out);
    }
    pthread_mutex_lock(&g->mu);
    if (done) {
        leave(g, j->comp);
        wake = g->nready > 0 && spawn_unless_idle(s);
    } else {
        ready_push(g, j); /* keeps its place: admitted once */
        wake = spawn_unless_idle(s);
    }
    pthread_mutex_unlock(&g->mu);
    if (wake)
        pthread_cond_signal(&g->cv);
    return done;
}
