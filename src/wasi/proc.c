/*
 * proc.c — the process-level imports: arguments, environment, clocks,
 * randomness, exit, signals and yielding.
 *
 * The guest sees only the argv and environment its config lists (packed
 * once by kiln_wasi_new); the host's own are never consulted here.
 * proc_exit and a fatal proc_raise end the guest by returning an error to
 * the engine, which unwinds every Wasm frame without running more guest
 * code.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "wasi_impl.h"

/* Write a packed string list: `count` pointers at vec, the strings at buf. */
static uint32_t put_strings(wasi_call *c, uint32_t vec, uint32_t buf, const char *blob,
                            uint32_t count, uint32_t size)
{
    uint8_t *v = wasi_mem(c, vec, (uint64_t)count * 4), *b = wasi_mem(c, buf, size);
    if (!v || !b)
        return WASI_EFAULT;
    memcpy(b, blob, size);
    uint32_t off = 0;
    for (uint32_t i = 0; i < count; i++) {
        put32(v + 4 * i, buf + off);
        off += (uint32_t)strlen(blob + off) + 1;
    }
    return WASI_ESUCCESS;
}

static uint32_t put_sizes(wasi_call *c, uint32_t count_ptr, uint32_t size_ptr, uint32_t count,
                          uint32_t size)
{
    uint8_t *n = wasi_mem(c, count_ptr, 4), *s = wasi_mem(c, size_ptr, 4);
    if (!n || !s)
        return WASI_EFAULT;
    put32(n, count);
    put32(s, size);
    return WASI_ESUCCESS;
}

static uint32_t wasi_args_get(wasi_call *c, const kiln_val *a)
{
    kiln_wasi *w = c->w;
    return put_strings(c, A32(0), A32(1), w->args, w->nargs, w->args_size);
}

static uint32_t wasi_args_sizes_get(wasi_call *c, const kiln_val *a)
{
    return put_sizes(c, A32(0), A32(1), c->w->nargs, c->w->args_size);
}

static uint32_t wasi_environ_get(wasi_call *c, const kiln_val *a)
{
    kiln_wasi *w = c->w;
    return put_strings(c, A32(0), A32(1), w->env, w->nenv, w->env_size);
}

static uint32_t wasi_environ_sizes_get(wasi_call *c, const kiln_val *a)
{
    return put_sizes(c, A32(0), A32(1), c->w->nenv, c->w->env_size);
}

/* The host clock for a WASI clock id; false for an id WASI does not have. */
static bool host_clock(uint32_t id, clockid_t *out)
{
    static const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                       CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    if (id > WASI_CLOCK_THREAD_CPUTIME)
        return false;
    *out = clocks[id];
    return true;
}

/* clock_res_get and clock_time_get: the clock's resolution or its time,
 * in nanoseconds, stored at ptr. */
static uint32_t clock_query(wasi_call *c, uint32_t wasi_id, uint32_t ptr,
                            int (*query)(clockid_t, struct timespec *))
{
    clockid_t id;
    if (!host_clock(wasi_id, &id))
        return WASI_EINVAL;
    uint8_t *out = wasi_mem(c, ptr, 8);
    if (!out)
        return WASI_EFAULT;
    struct timespec ts;
    if (query(id, &ts) != 0)
        return kn_wasi_errno_from_host(errno);
    put64(out, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    return WASI_ESUCCESS;
}

static uint32_t wasi_clock_res_get(wasi_call *c, const kiln_val *a)
{
    return clock_query(c, A32(0), A32(1), clock_getres);
}

/* The precision argument (A64(1)) is a hint that the host's clocks do not need. */
static uint32_t wasi_clock_time_get(wasi_call *c, const kiln_val *a)
{
    return clock_query(c, A32(0), A32(2), clock_gettime);
}

static uint32_t wasi_random_get(wasi_call *c, const kiln_val *a)
{
    uint8_t *p = wasi_mem(c, A32(0), A32(1));
    if (!p)
        return WASI_EFAULT;
    size_t left = A32(1);
    while (left) {
        ssize_t n = getrandom(p, left, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return kn_wasi_errno_from_host(errno);
        }
        p += n;
        left -= (size_t)n;
    }
    return WASI_ESUCCESS;
}

static uint32_t wasi_proc_exit(wasi_call *c, const kiln_val *a)
{
    c->trap = kiln_exit_new((int)A32(0));
    return WASI_ESUCCESS;
}

/* WASI's signal numbers, 1 to 30, and what each does by default. */
static const char *const signal_names[] = {
    NULL,     "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",  "SIGTRAP",   "SIGABRT", "SIGBUS",
    "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",   "SIGALRM", "SIGTERM",
    "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",  "SIGURG",  "SIGXCPU",
    "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGPOLL", "SIGPWR", "SIGSYS",
};

static uint32_t wasi_proc_raise(wasi_call *c, const kiln_val *a)
{
    uint32_t sig = A32(0);
    if (sig > 30)
        return WASI_EINVAL;
    switch (sig) {
    case 0:                     /* no signal: only "could it be sent" */
    case 16: case 17: case 22: case 27: /* CHLD, CONT, URG, WINCH: ignored */
        return WASI_ESUCCESS;
    case 18: case 19: case 20: case 21: /* STOP, TSTP, TTIN, TTOU */
        return WASI_ENOTSUP;    /* a guest cannot be stopped and resumed */
    default: {
        /* The default action of every other signal ends the process: end
         * the guest, as a trap. */
        char msg[64];
        snprintf(msg, sizeof msg, "the guest raised %s", signal_names[sig]);
        c->trap = kiln_trap_new(msg);
        return WASI_ESUCCESS;
    }
    }
}

static uint32_t wasi_sched_yield(wasi_call *c, const kiln_val *a)
{
    (void)c;
    (void)a;
    sched_yield();
    return WASI_ESUCCESS;
}

const wasi_import kn_wasi_proc_imports[] = {
    WASI_IMPORT(args_get, "ii"),
    WASI_IMPORT(args_sizes_get, "ii"),
    WASI_IMPORT(environ_get, "ii"),
    WASI_IMPORT(environ_sizes_get, "ii"),
    WASI_IMPORT(clock_res_get, "ii"),
    WASI_IMPORT(clock_time_get, "iIi"),
    WASI_IMPORT(random_get, "ii"),
    {"proc_exit", "i", wasi_proc_exit, true},
    WASI_IMPORT(proc_raise, "i"),
    WASI_IMPORT(sched_yield, ""),
};
const size_t kn_wasi_proc_nimports = sizeof kn_wasi_proc_imports / sizeof kn_wasi_proc_imports[0];
