/*
 * server.c — `kiln serve` from start to exit: load the app, open the
 * listeners, start one event loop per worker, then turn signals and file
 * changes into reloads and, on SIGTERM or SIGINT, a drain.
 *
 * The calling thread becomes the control thread.  Signals are blocked in
 * every thread (the mask is set before any thread starts and inherited)
 * and read from a signalfd here, so no work ever happens in a handler.
 * Workers are told things through h2o_multithread messages, never by
 * touching their state.
 *
 * Reload: the new version is loaded completely beside the old one (see
 * server_app.c) and swapped in; requests in flight keep their reference to
 * the version they started on.  A version that fails to load is refused
 * with one log line and the old one keeps serving.
 *
 * Drain: /ready turns 503, the app listeners close (the admin listener
 * stays until the end), idle keep-alive connections are asked to close,
 * and the thread waits until every accepted request has been answered or
 * the grace period is over; then the loops stop and the process exits 0.
 * The h2o state of connections still open then, and guest threads still
 * running past the grace period, are left to the exit: the server object
 * stays reachable through KEEP so leak checkers see it as such rather than
 * as lost.  A start that fails frees everything it made.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "server_impl.h"
#include "server_net.h"

static kn_srv *volatile KEEP; /* volatile: a store nobody reads is not dropped */

void kn_srv_log(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "kiln serve: %s\n", line);
}

uint64_t kn_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- workers ------------------------------------------------------------ */

enum { CTL_CLOSE, CTL_STOP };
typedef struct kn_ctl {
    h2o_multithread_message_t msg;
    int what;
} kn_ctl;

static void on_ctl(h2o_multithread_receiver_t *recv, h2o_linklist_t *messages)
{
    kn_worker *w = H2O_STRUCT_FROM_MEMBER(kn_worker, ctl, recv);
    while (!h2o_linklist_is_empty(messages)) {
        kn_ctl *c = H2O_STRUCT_FROM_MEMBER(kn_ctl, msg.link, messages->next);
        h2o_linklist_unlink(&c->msg.link);
        if (c->what == CTL_CLOSE && w->listener) {
            h2o_socket_read_stop(w->listener);
            h2o_socket_close(w->listener);
            w->listener = NULL;
            h2o_context_request_shutdown(&w->ctx);
        } else if (c->what == CTL_STOP) {
            w->stop = 1;
        }
        free(c);
    }
}

static void post(kn_worker *w, int what)
{
    kn_ctl *c = calloc(1, sizeof *c);
    if (!c)
        return; /* out of memory: the loop simply keeps running */
    c->what = what;
    h2o_multithread_send_message(&w->ctl, &c->msg);
}

static h2o_socket_t *import_listener(kn_worker *w, int fd, h2o_accept_ctx_t *actx,
                                     h2o_hostconf_t **hosts, SSL_CTX *ssl)
{
    actx->ctx = &w->ctx;
    actx->hosts = hosts;
    actx->ssl_ctx = ssl;
    h2o_socket_t *sock = h2o_evloop_socket_create(w->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = actx;
    h2o_socket_read_start(sock, kn_http_on_accept);
    return sock;
}

static void *worker_main(void *arg)
{
    kn_worker *w = arg;
    kn_srv *s = w->srv;
    w->loop = h2o_evloop_create();
    h2o_context_init(&w->ctx, w->loop, &s->gconf);
    w->queue = h2o_multithread_create_queue(w->loop);
    h2o_multithread_register_receiver(w->queue, &w->done, kn_http_on_done);
    h2o_multithread_register_receiver(w->queue, &w->ctl, on_ctl);
    w->listener = import_listener(w, w->listen_fd, &w->accept, s->app_hosts, s->ssl);
    if (w->admin_fd >= 0)
        w->admin = import_listener(w, w->admin_fd, &w->admin_accept, s->admin_hosts, NULL);
    h2o_barrier_wait(&s->started);
    while (!w->stop)
        h2o_evloop_run(w->loop, INT32_MAX);
    /* Not returning: h2o keeps per-thread recycled memory that it cannot
     * free, and an exited thread's would look lost to leak checkers.  The
     * thread ends with the process. */
    h2o_barrier_wait(&s->stopped);
    for (;;)
        pause();
    return NULL;
}

/* ---- reload and watch --------------------------------------------------- */

/* inotify watches on the directories of the manifest and of every source,
 * matched by file name: editors replace files by renaming, which a watch
 * on the file itself would not survive. */
typedef struct kn_watch {
    int fd;
    char **names; /* basenames of the watched files */
    int *wds;     /* the directory watch of each name */
    size_t n;
} kn_watch;

static void watch_clear(kn_watch *w)
{
    for (size_t i = 0; i < w->n; i++) {
        inotify_rm_watch(w->fd, w->wds[i]);
        free(w->names[i]);
    }
    free(w->names);
    free(w->wds);
    w->names = NULL;
    w->wds = NULL;
    w->n = 0;
}

static void watch_add(kn_watch *w, const char *path)
{
    char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    const char *base = slash ? slash + 1 : path;
    char **names = realloc(w->names, (w->n + 1) * sizeof *names);
    int *wds = names ? realloc(w->wds, (w->n + 1) * sizeof *wds) : NULL;
    if (names)
        w->names = names;
    if (wds)
        w->wds = wds;
    if (dir && wds) {
        if (slash)
            *slash = 0;
        int wd = inotify_add_watch(w->fd, slash ? (*dir ? dir : "/") : ".",
                                   IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB);
        if (wd >= 0 && (w->names[w->n] = strdup(base))) {
            w->wds[w->n++] = wd;
        } else {
            kn_srv_log("cannot watch %s: %s", path, strerror(errno));
        }
    }
    free(dir);
}

static void watch_app(kn_watch *w, const kn_srv *s)
{
    if (w->fd < 0)
        return;
    watch_clear(w);
    watch_add(w, s->cfg.target);
    const kn_app *app = s->app ? s->app->app : NULL;
    for (size_t i = 0; app && i < app->ncomponents; i++)
        watch_add(w, app->components[i].source_path);
}

/* Whether the events in BUF touch a watched file. */
static int watch_hit(const kn_watch *w, const char *buf, ssize_t len)
{
    for (ssize_t off = 0; off < len;) {
        const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
        for (size_t i = 0; i < w->n; i++)
            if (ev->wd == w->wds[i] && ev->len && strcmp(ev->name, w->names[i]) == 0)
                return 1;
        off += (ssize_t)(sizeof *ev + ev->len);
    }
    return 0;
}

static void log_warnings(const kn_app *app)
{
    for (size_t i = 0; i < app->nwarnings; i++)
        kn_srv_log("warning: %s", app->warnings[i]);
}

static void reload(kn_srv *s, kn_watch *w)
{
    char err[1024];
    kn_srv_app *a = kn_srv_app_load(s, s->cfg.target, err, sizeof err);
    kn_metrics_reload(s->metrics, a != NULL);
    if (!a) {
        kn_srv_log("reload refused, still serving the previous version: %s", err);
        return;
    }
    log_warnings(a->app);
    kn_srv_app_swap(s, a);
    kn_srv_log("reloaded %s", s->cfg.target);
    watch_app(w, s);
}

/* ---- control loop --------------------------------------------------------- */

/* Waits for signals and file changes; returns when asked to stop. */
static void control_loop(kn_srv *s, int sfd, kn_watch *w)
{
    uint64_t reload_at = 0; /* a change seen: reload once writes settle */
    for (;;) {
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = w->fd, .events = POLLIN}};
        int timeout = reload_at ? 100 : -1;
        if (poll(p, w->fd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
            return;
        if (reload_at && kn_now_ns() >= reload_at) {
            reload_at = 0;
            reload(s, w);
        }
        if (p[1].revents & POLLIN) {
            char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
            ssize_t n = read(w->fd, buf, sizeof buf);
            if (n > 0 && watch_hit(w, buf, n))
                reload_at = kn_now_ns() + 100000000u;
        }
        if (!(p[0].revents & POLLIN))
            continue;
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof si) != sizeof si)
            continue;
        if (si.ssi_signo == SIGHUP) {
            kn_srv_log("SIGHUP: reloading %s", s->cfg.target);
            reload(s, w);
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            kn_srv_log("%s: draining (grace %llu ms)", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT",
                       (unsigned long long)s->cfg.grace_ms);
            return;
        }
    }
}

static void drain(kn_srv *s)
{
    atomic_store(&s->draining, 1);
    for (unsigned i = 0; i < s->nworkers; i++)
        post(&s->workers[i], CTL_CLOSE);
    uint64_t deadline = kn_now_ns() + s->cfg.grace_ms * 1000000u;
    while (atomic_load(&s->inflight) > 0 && kn_now_ns() < deadline)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    long left = atomic_load(&s->inflight);
    if (left > 0)
        kn_srv_log("grace period over with %ld requests unanswered", left);
    /* Answered means handed to h2o; give its loops a moment to write. */
    nanosleep(&(struct timespec){0, 200000000}, NULL);
    for (unsigned i = 0; i < s->nworkers; i++)
        post(&s->workers[i], CTL_STOP);
    h2o_barrier_wait(&s->stopped);
    kn_srv_log("stopped");
}

/* ---- start ---------------------------------------------------------------- */

/* Everything before the first request; 0 or the exit status. */
static int setup(kn_srv *s)
{
    char err[1024];
    kiln_error *e = kiln_engine_new(NULL, &s->engine);
    if (e) {
        kn_srv_log("%s", kiln_error_message(e));
        kiln_error_free(e);
        return 1;
    }
    if (!(s->metrics = kn_metrics_new(s->nworkers)) || !(s->log = kn_accesslog_new(1, 0)) ||
        kn_guests_init(&s->guests) != 0 || pthread_mutex_init(&s->app_mu, NULL) != 0) {
        kn_srv_log("out of memory");
        return 1;
    }
    kn_reqid_init(&s->ids);
    if (!(s->app = kn_srv_app_load(s, s->cfg.target, err, sizeof err))) {
        kn_srv_log("%s", err);
        return 2;
    }
    log_warnings(s->app->app);
    if (s->cfg.tls_cert && !(s->ssl = kn_net_tls(s->cfg.tls_cert, s->cfg.tls_key, err, sizeof err))) {
        kn_srv_log("%s", err);
        return 2;
    }
    unsigned dummy;
    if (kn_net_parse(s->cfg.listen, s->listen_host, sizeof s->listen_host, &dummy) < 0) {
        kn_srv_log("bad --listen '%s'", s->cfg.listen);
        return 2;
    }
    kn_http_setup(s);
    /* h2o refuses bodies over this itself (413); each component's own
     * max_body is checked per request.  Fixed at start: a reload that
     * raises max_body beyond the start's largest needs a restart. */
    uint64_t maxbody = 1;
    for (size_t i = 0; i < s->app->app->ncomponents; i++)
        if (s->app->app->components[i].limits.max_body > maxbody)
            maxbody = s->app->app->components[i].limits.max_body;
    s->gconf.max_request_entity_size = (size_t)maxbody;
    return 0;
}

static int open_listeners(kn_srv *s)
{
    char err[512];
    int *fds = calloc(s->nworkers, sizeof *fds);
    if (!fds || kn_net_listen(s->cfg.listen, s->nworkers, fds, &s->listen_port, err, sizeof err) < 0) {
        kn_srv_log("%s", fds ? err : "out of memory");
        free(fds);
        return -1;
    }
    for (unsigned i = 0; i < s->nworkers; i++) {
        s->workers[i].listen_fd = fds[i];
        s->workers[i].admin_fd = -1;
    }
    free(fds);
    int bracket = strchr(s->listen_host, ':') != NULL;
    kn_srv_log("listening on %s://%s%s%s:%u (%u worker%s)", s->ssl ? "https" : "http",
               bracket ? "[" : "", s->listen_host, bracket ? "]" : "", s->listen_port, s->nworkers,
               s->nworkers == 1 ? "" : "s");
    if (s->cfg.admin) {
        unsigned port;
        char host[64];
        if (kn_net_listen(s->cfg.admin, 1, &s->workers[0].admin_fd, &port, err, sizeof err) < 0) {
            kn_srv_log("admin: %s", err);
            return -1;
        }
        kn_net_parse(s->cfg.admin, host, sizeof host, &(unsigned){0});
        bracket = strchr(host, ':') != NULL;
        kn_srv_log("admin listening on http://%s%s%s:%u", bracket ? "[" : "", host,
                   bracket ? "]" : "", port);
    }
    return 0;
}

/* After a failed start, before any worker or guest thread exists. */
static int teardown(kn_srv *s, int rc)
{
    kn_srv_app_swap(s, NULL);
    if (s->workers)
        for (unsigned i = 0; i < s->nworkers; i++) {
            if (s->workers[i].listen_fd >= 0)
                close(s->workers[i].listen_fd);
            if (s->workers[i].admin_fd >= 0)
                close(s->workers[i].admin_fd);
        }
    free(s->workers);
    if (s->ssl)
        SSL_CTX_free(s->ssl);
    kn_accesslog_free(s->log);
    kn_metrics_free(s->metrics);
    kiln_engine_free(s->engine);
    if (s->gconf.hosts)
        h2o_config_dispose(&s->gconf);
    KEEP = NULL;
    free(s);
    return rc;
}

static int start_workers(kn_srv *s)
{
    h2o_barrier_init(&s->started, s->nworkers + 1);
    h2o_barrier_init(&s->stopped, s->nworkers + 1);
    for (unsigned i = 0; i < s->nworkers; i++) {
        s->workers[i].srv = s;
        s->workers[i].index = i;
        if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0) {
            kn_srv_log("cannot start worker threads");
            exit(1); /* the started ones wait at the barrier forever */
        }
    }
    h2o_barrier_wait(&s->started);
    return 0;
}

int kn_server_check_addr(const char *spec, char *host, size_t hostlen, unsigned *port)
{
    return kn_net_parse(spec, host, hostlen, port);
}

/* The cgroup v2 CPU limit of this process, in whole CPUs rounded up (0:
 * none): the tightest "QUOTA PERIOD" in cpu.max from our cgroup up to the
 * root, as a container runtime sets it for a Kubernetes CPU limit. */
static unsigned cgroup_cpus(void)
{
    char line[PATH_MAX], dir[PATH_MAX + 32];
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return 0;
    bool found = false;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "0::", 3)) { /* the unified hierarchy's entry */
            found = true;
            break;
        }
    fclose(f);
    if (!found)
        return 0;
    line[strcspn(line, "\n")] = 0;
    unsigned best = 0;
    for (char *end = line + strlen(line);;) {
        *end = 0;
        snprintf(dir, sizeof dir, "/sys/fs/cgroup%s/cpu.max", line + 3);
        FILE *m = fopen(dir, "r");
        unsigned long long quota, period;
        if (m) {
            if (fscanf(m, "%llu %llu", &quota, &period) == 2 && period > 0) {
                unsigned long long n = (quota + period - 1) / period;
                unsigned cpus = n == 0 ? 1 : n > UINT_MAX ? UINT_MAX : (unsigned)n;
                if (best == 0 || cpus < best)
                    best = cpus;
            }
            fclose(m);
        }
        end = strrchr(line + 3, '/');
        if (!end || end == line + 3)
            break;
    }
    return best;
}

/* What --workers defaults to: the CPUs this process may run on (its
 * affinity mask, as nproc counts them: taskset, cpusets), lowered to the
 * cgroup's CPU quota when there is one, so a container limited to two
 * CPUs on a 64-core node does not run 64 event loops that are throttled. */
static unsigned default_workers(void)
{
    cpu_set_t set;
    long n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        n = 1;
    unsigned quota = cgroup_cpus();
    return quota && quota < (unsigned long)n ? quota : (unsigned)n;
}

int kn_server_run(const kn_server_config *cfg)
{
    kn_srv *s = calloc(1, sizeof *s);
    if (!s) {
        kn_srv_log("out of memory");
        return 1;
    }
    KEEP = s;
    s->cfg = *cfg;
    if (!s->cfg.listen)
        s->cfg.listen = "127.0.0.1:3000";
    s->nworkers = cfg->workers;
    if (s->nworkers == 0)
        s->nworkers = default_workers();
    if (s->nworkers > 64)
        s->nworkers = 64;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = setup(s);
    if (rc)
        return teardown(s, rc);
    s->workers = calloc(s->nworkers, sizeof *s->workers);
    for (unsigned i = 0; s->workers && i < s->nworkers; i++)
        s->workers[i].listen_fd = s->workers[i].admin_fd = -1;
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0 || !s->workers || open_listeners(s) < 0) {
        if (sfd >= 0)
            close(sfd);
        return teardown(s, 1);
    }
    kn_watch w = {.fd = -1};
    if (cfg->watch && (w.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
        kn_srv_log("--watch: inotify: %s", strerror(errno));
    watch_app(&w, s);
    start_workers(s);
    control_loop(s, sfd, &w);
    drain(s);
    watch_clear(&w);
    if (w.fd >= 0)
        close(w.fd);
    close(sfd);
    if (atomic_load(&s->inflight) == 0)
        kn_srv_app_swap(s, NULL);
    kn_accesslog_free(s->log);
    s->log = NULL;
    return 0;
}
