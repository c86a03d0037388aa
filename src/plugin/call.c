/*
 * call.c — kiln_plugin_call: take an instance, reset its kernel, hand it
 * the input, set the call's fuel, run the guest runtime's initializer the
 * first time (as Extism does: `__wasm_call_ctors`, else `_initialize`, or
 * for Haskell `_initialize` then `hs_init`), call the export, and copy the
 * output or the error out.  Then the instance goes back to the pool, or is
 * destroyed if the call trapped, hit a limit, exited (WASI proc_exit), or
 * was `_start` (which de-initializes a WASI command, so Extism too starts
 * afresh after it).
 *
 * Errors are Extism's: a plugin error (error_set with a non-empty message)
 * fails the call even when the export returned 0, and takes precedence
 * over the return code; a non-zero return without one is "plugin returned
 * N".  WASI proc_exit(0) is success.  The hot path makes no allocation but
 * the output's copy and no system call but the clock reads for guest_ns.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "plugin_impl.h"

uint64_t kn_plugin_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* guest_ns is counted in ticks of the time-stamp counter where there is
 * one (a few ns to read; clock_gettime may be a real system call, costing
 * more than an empty call) and converted to ns when stats are read, at the
 * rate measured since the plugin was made (kn_stats_ns). */
uint64_t kn_ticks(void)
{
#if defined(__x86_64__)
    return __rdtsc();
#else
    return kn_plugin_now_ns();
#endif
}

static uint64_t ticks_to_ns(const kiln_plugin *p, uint64_t ticks)
{
#if defined(__x86_64__)
    uint64_t dn = kn_plugin_now_ns() - p->born_ns, dt = kn_ticks() - p->born_ticks;
    if (!dt || !dn)
        return 0;
    return (uint64_t)((long double)ticks * dn / dt);
#else
    (void)p;
    return ticks;
#endif
}

static bool extism_type(kiln_functype t)
{
    return t.nparams == 0 &&
           (t.nresults == 0 || (t.nresults == 1 && t.results[0] == KILN_I32));
}

static bool unit_type(kiln_functype t) { return t.nparams == 0 && t.nresults == 0; }

/* A () -> () export of that name, or NULL. */
static kiln_func *unit_export(kn_pinst *in, const char *name)
{
    kiln_func *f = kiln_instance_export_func(in->inst, name);
    return f && unit_type(kiln_func_type(f)) ? f : NULL;
}

static kiln_error *init_runtime(kn_pinst *in)
{
    kiln_func *hs = kiln_instance_export_func(in->inst, "hs_init");
    if (hs) {
        kiln_func *ri = unit_export(in, "_initialize");
        kiln_error *e = ri ? kiln_call(in->store, ri, NULL, 0, NULL, 0) : NULL;
        kiln_functype t = kiln_func_type(hs);
        kiln_val args[2] = {{.kind = KILN_I32}, {.kind = KILN_I32}}, res[2];
        if (!e && t.nparams == 2 && t.params[0] == KILN_I32 && t.params[1] == KILN_I32 &&
            t.nresults <= 2)
            e = kiln_call(in->store, hs, args, 2, res, t.nresults);
        return e;
    }
    kiln_func *init = unit_export(in, "__wasm_call_ctors");
    if (!init && !kiln_instance_export_func(in->inst, "__wasm_call_ctors"))
        init = unit_export(in, "_initialize");
    return init ? kiln_call(in->store, init, NULL, 0, NULL, 0) : NULL;
}

/* The cancellable entry (see cancel.c): runs after the engine has cleared
 * the store's interrupt flag, so checking the token here closes the race. */
static kiln_error *entry_fn(kiln_caller *c, void *env, const kiln_val *a, kiln_val *r)
{
    kn_pinst *in = env;
    if (kn_cancel_fired(in->cancel)) {
        kiln_store_interrupt(in->store);
        return kiln_store_limit_error(in->store);
    }
    kiln_val res[1] = {{.kind = KILN_I32}};
    uint32_t n = kiln_func_type(in->target).nresults;
    kiln_error *e = kiln_call(in->store, in->target, NULL, 0, res, n);
    r[0].of.i32 = n ? res[0].of.i32 : 0;
    return e;
}

static kiln_error *run_cancellable(kn_pinst *in, kiln_plugin_cancel *c, kiln_func *f,
                                   int32_t *rc)
{
    static const kiln_valkind i32[] = {KILN_I32};
    static const kiln_functype et = {.nresults = 1, .results = i32};
    if (!in->entry) {
        kiln_error *e = kiln_func_new(in->store, &et, entry_fn, in, NULL, &in->entry);
        if (e)
            return e;
    }
    in->target = f;
    kn_cancel_enter(c, in);
    kiln_val res[1] = {{.kind = KILN_I32}};
    kiln_error *e = kiln_call(in->store, in->entry, NULL, 0, res, 1);
    kn_cancel_leave(c, in);
    *rc = res[0].of.i32;
    return e;
}

typedef struct call_out {
    int32_t rc;
    bool discard;
    uint64_t fuel_used;
} call_out;

static kiln_error *run(kn_pinst *in, const char *func, const kiln_plugin_call_opts *o,
                       uint64_t fuel, call_out *co)
{
    if (fuel)
        kiln_store_set_fuel(in->store, fuel);
    else if (kiln_store_fuel_remaining(in->store) != UINT64_MAX)
        kiln_store_set_fuel(in->store, UINT64_MAX);   /* was limited before */
    kiln_error *e = NULL;
    if (!in->inited) {
        e = init_runtime(in);
        in->inited = true;
        if (e)
            return e;
    }
    kiln_func *f = kiln_instance_export_func(in->inst, func);
    if (!f || !extism_type(kiln_func_type(f)))
        return kiln_error_new(KILN_ERR_ARG,
                              f ? "function %s is not of type () -> i32 or () -> ()"
                                : "function not found: %s",
                              func);
    if (o && o->cancel) {
        e = run_cancellable(in, o->cancel, f, &co->rc);
    } else {
        kiln_val res[1] = {{.kind = KILN_I32}};
        uint32_t n = kiln_func_type(f).nresults;
        e = kiln_call(in->store, f, NULL, 0, res, n);
        co->rc = n ? res[0].of.i32 : 0;
    }
    if (fuel) {
        uint64_t left = kiln_store_fuel_remaining(in->store);
        co->fuel_used = left <= fuel ? fuel - left : 0;
    }
    if (!strcmp(func, "_start"))
        co->discard = true;
    return e;
}

/* After the guest returned (e: its trap or limit, or NULL). */
static kiln_error *result(kn_pinst *in, kiln_error *e, call_out *co, uint8_t **output,
                          size_t *output_len)
{
    if (e && kiln_error_kind_of(e) != KILN_ERR_ARG)
        co->discard = true;
    if (e && kiln_error_trap(e) == KILN_TRAP_EXIT) {
        if (kiln_error_exit_code(e) != 0)
            return e;
        kiln_error_free(e);
        e = NULL;
        co->rc = 0;
    }
    if (e)
        return e;
    uint64_t elen = 0, olen = 0;
    const uint8_t *err = kn_kernel_error(in->kernel, &elen);
    if (err && elen)
        return kiln_error_new(KILN_ERR_PLUGIN, "%.*s", (int)(elen > 65536 ? 65536 : elen),
                              (const char *)err);
    if (co->rc != 0)
        return kiln_error_new(KILN_ERR_PLUGIN, "plugin returned %d", co->rc);
    const uint8_t *out = kn_kernel_output(in->kernel, &olen);
    uint8_t *copy = NULL;
    if (out && olen) {
        copy = malloc(olen);
        if (!copy)
            return kiln_error_new(KILN_ERR_NOMEM, "out of memory for %llu bytes of output",
                                  (unsigned long long)olen);
        memcpy(copy, out, olen);
    }
    *output = copy;
    *output_len = copy ? olen : 0;
    return NULL;
}

/* What a WASI guest wrote to stdout (INFO) and stderr (WARN) since the
 * last call goes to the log; true if the instance should be replaced
 * before its buffers fill up. */
static bool log_stdio(kiln_plugin *p, kn_pinst *in)
{
    const uint8_t *d;
    size_t n;
    bool full = false;
    if (kiln_wasi_stdout_bytes(in->wasi, &d, &n)) {
        if (n > in->out_logged && p->log && p->log_level <= KILN_LOG_INFO)
            p->log(p->log_ud, KILN_LOG_INFO, (const char *)d + in->out_logged, n - in->out_logged);
        in->out_logged = n;
        full |= n >= KN_WASI_STDIO_CAP / 2;
    }
    if (kiln_wasi_stderr_bytes(in->wasi, &d, &n)) {
        if (n > in->err_logged && p->log && p->log_level <= KILN_LOG_WARN)
            p->log(p->log_ud, KILN_LOG_WARN, (const char *)d + in->err_logged, n - in->err_logged);
        in->err_logged = n;
        full |= n >= KN_WASI_STDIO_CAP / 2;
    }
    return full;
}

static void count(kiln_plugin *p, kn_pinst *in, const kiln_error *e, const call_out *co)
{
    kn_stats *s = &p->stats;
    if (co->fuel_used)
        atomic_fetch_add_explicit(&s->fuel_used, co->fuel_used, memory_order_relaxed);
    if (!e)
        return;
    atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
    atomic_uint_fast64_t *c = NULL;
    switch (kiln_error_kind_of(e)) {
    case KILN_ERR_PLUGIN: c = &s->plugin_errors; break;
    case KILN_ERR_TRAP:
    case KILN_ERR_HOST: c = in->kernel_full ? &s->limit_memory : &s->traps; break;
    case KILN_ERR_NOMEM: c = &s->limit_memory; break;
    case KILN_ERR_LIMIT:
        switch (kiln_error_trap(e)) {
        case KILN_TRAP_OUT_OF_FUEL: c = &s->limit_fuel; break;
        case KILN_TRAP_DEADLINE: c = &s->limit_timeout; break;
        case KILN_TRAP_INTERRUPT: c = &s->cancelled; break;
        default: c = &s->limit_memory; break;
        }
        break;
    default: break;
    }
    if (c)
        atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static kiln_error *call_in(kiln_plugin *p, kn_pinst *in, const char *func, const void *input,
                           size_t input_len, const kiln_plugin_call_opts *opts, uint64_t fuel,
                           uint8_t **output, size_t *output_len)
{
    call_out co = {0};
    kn_kernel_reset(in->kernel);
    in->user_data = opts ? opts->user_data : NULL;
    in->http_status = 0;
    in->kernel_full = false;
    kiln_error *e = kn_kernel_set_input(in->kernel, input, input_len);
    if (e)
        in->kernel_full = true;
    uint64_t t0 = kn_ticks();
    if (!e)
        e = run(in, func, opts, fuel, &co);
    atomic_fetch_add_explicit(&p->stats.guest_ticks, kn_ticks() - t0, memory_order_relaxed);
    e = result(in, e, &co, output, output_len);
    if (in->wasi && log_stdio(p, in))
        co.discard = true;
    count(p, in, e, &co);
    kn_pinst_account_memory(in);
    if (co.discard)
        kn_pool_discard(p, in);
    else
        kn_pool_give(p, in);
    return e;
}

kiln_error *kiln_plugin_call(kiln_plugin *p, const char *func, const void *input,
                             size_t input_len, const kiln_plugin_call_opts *opts,
                             uint8_t **output, size_t *output_len)
{
    if (!p || !func || (!input && input_len) || !output || !output_len)
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_call: NULL argument");
    uint64_t fuel = opts && opts->fuel ? opts->fuel : p->fuel;
    uint64_t ms = opts && opts->timeout_ms ? opts->timeout_ms : p->timeout_ms;
    uint64_t timeout_ns = ms > UINT64_MAX / 1000000 ? UINT64_MAX : ms * 1000000;
    atomic_fetch_add(&p->refs, 1);
    atomic_fetch_add_explicit(&p->stats.calls, 1, memory_order_relaxed);
    kn_pinst *in;
    kiln_error *e = kn_pool_take(p, timeout_ns, &in);
    if (e) {
        atomic_fetch_add_explicit(&p->stats.errors, 1, memory_order_relaxed);
        if (kiln_error_kind_of(e) == KILN_ERR_NOMEM)
            atomic_fetch_add_explicit(&p->stats.limit_memory, 1, memory_order_relaxed);
    } else {
        e = call_in(p, in, func, input, input_len, opts, fuel, output, output_len);
    }
    kn_plugin_unref(p);
    return e;
}

void kiln_plugin_get_stats(const kiln_plugin *p, kiln_plugin_stats *out)
{
    if (!p || !out)
        return;
    kiln_plugin *q = (kiln_plugin *)p;   /* the lock, not the plugin, changes */
    const kn_stats *s = &p->stats;
    int64_t mem = atomic_load(&s->memory_bytes);
    *out = (kiln_plugin_stats){
        .calls = atomic_load(&s->calls),
        .errors = atomic_load(&s->errors),
        .plugin_errors = atomic_load(&s->plugin_errors),
        .traps = atomic_load(&s->traps),
        .limit_fuel = atomic_load(&s->limit_fuel),
        .limit_timeout = atomic_load(&s->limit_timeout),
        .limit_memory = atomic_load(&s->limit_memory),
        .cancelled = atomic_load(&s->cancelled),
        .guest_ns = ticks_to_ns(p, atomic_load(&s->guest_ticks)),
        .fuel_used = atomic_load(&s->fuel_used),
        .memory_bytes = mem > 0 ? (uint64_t)mem : 0,
    };
    pthread_mutex_lock(&q->pool_lock);
    out->instances = p->ninst;
    out->busy = p->nbusy;
    pthread_mutex_unlock(&q->pool_lock);
}
