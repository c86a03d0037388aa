/*
 * exec.c — one WAGI request in a fresh guest (see exec.h).
 *
 * The order mirrors `kiln run`: grants first (argv, environment, read-only
 * preopens, in-memory stdio), then an instance carrying the component's
 * limits -- a slot of the component's template, or a fresh store with WASI
 * in its linker for a module a template cannot take -- (instantiation may
 * already trap in a start function) and the call of the entry point.  A WASI proc_exit ends the call with
 * KILN_TRAP_EXIT: code 0 is a normal end, any other code a failed request.
 * Every outcome, including failures to start, is reported in the output
 * rather than as an error of this call, so the server always has something
 * to answer with.  Nothing here prints.  A run given a time slice shorter
 * than the component's timeout (in->slice_ns, the server's inline fast
 * path) gets the slice as its store's deadline, so reaching it, in Wasm
 * code or in a blocking WASI call, is told apart as KN_EXEC_SLICE; the
 * deadline restarts with each outermost call, so a start function and the
 * entry point each get the whole slice.
 */
#include "exec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln_wasi.h"

/* The limits of one request, as kiln.h spells them. */
static kiln_store_limits store_limits(const kn_component_limits *lim)
{
    return (kiln_store_limits){.max_memory_bytes = lim->max_memory, .fuel = lim->fuel,
                               .timeout_ns = lim->timeout_ms * 1000000u};
}

/* A module that imports only functions gets a template: WASI defined once,
 * one slot per request the component may run at once.  Anything else is
 * not an error: such a module runs in a fresh store per request. */
static kiln_error *template_init(kn_exec_component *c, kiln_engine *engine)
{
    size_t n = kiln_module_import_count(c->module);
    for (size_t i = 0; i < n; i++) {
        kiln_import_desc d;
        kiln_module_import(c->module, i, &d);
        if (d.type.kind != KILN_EXTERN_FUNC)
            return NULL;
    }
    kiln_template_config cfg = {.limits = store_limits(&c->spec->limits),
                                .max_slots = c->spec->limits.max_concurrency};
    kiln_error *e = kiln_template_builder_new(engine, &c->builder);
    if (!e)
        e = kiln_wasi_define_template(c->builder);
    if (!e)
        e = kiln_template_new(c->builder, c->module, &cfg, &c->tmpl);
    return e;
}

int kn_exec_component_init(kn_exec_component *c, kiln_engine *engine, const kn_component *spec,
                           char *err, size_t errlen)
{
    *c = (kn_exec_component){.spec = spec};
    kiln_error *e = kiln_module_new(engine, spec->wasm, spec->wasm_len, &c->module);
    if (!e)
        e = template_init(c, engine);
    if (e) {
        snprintf(err, errlen, "%s: %s", spec->source_path, kiln_error_message(e));
        kiln_error_free(e);
        kn_exec_component_fini(c);
        return -1;
    }
    return 0;
}

void kn_exec_component_fini(kn_exec_component *c)
{
    kiln_template_free(c->tmpl);
    kiln_template_builder_free(c->builder);
    kiln_module_free(c->module);
    c->tmpl = NULL;
    c->builder = NULL;
    c->module = NULL;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(kn_exec_output *o, const char *what, kiln_error *e)
{
    o->outcome = KN_EXEC_FAILED;
    snprintf(o->message, sizeof o->message, "%s%s%s", what, e ? ": " : "",
             e ? kiln_error_message(e) : "");
    kiln_error_free(e);
}

/* ---- the request's arena ----------------------------------------------------
 * The WASI state of a request (its config: argv, some thirty environment
 * strings, the grants; the kiln_wasi made from it, its stdout buffer) is
 * made and freed within kn_exec_run, about forty blocks each time: they
 * are bumped out of a buffer on kn_exec_run's stack instead of malloc'ed
 * one by one (malloc and free were a tenth of the server's own CPU time
 * for a small handler).  Freeing the last block, or growing it, works in
 * place (a stdout buffer grows that way); any other free is a no-op, so
 * the space a request can waste is the buffer's, and whatever does not fit
 * (a large stdout) comes from malloc as before. */
#define KN_ARENA_BYTES (32u << 10)

typedef struct kn_arena {
    _Alignas(max_align_t) unsigned char buf[KN_ARENA_BYTES];
    size_t used, last; /* bytes bumped so far; offset of the last block */
} kn_arena;

static bool in_arena(const kn_arena *a, const void *p)
{
    const unsigned char *q = p;
    return q && q >= a->buf && q < a->buf + sizeof a->buf;
}

/* kiln_alloc_fn: realloc (and malloc and free) within the arena */
static void *arena_alloc(void *ud, void *ptr, size_t old, size_t n)
{
    kn_arena *a = ud;
    unsigned char *p = ptr;
    bool mine = in_arena(a, p), last = mine && p == a->buf + a->last;
    if (p && !mine) /* from malloc: stays there */
        return n ? realloc(p, n) : (free(p), NULL);
    if (n == 0) {
        if (last)
            a->used = a->last;
        return NULL;
    }
    if (last && n <= sizeof a->buf - a->last) {
        a->used = a->last + n;
        return p;
    }
    size_t at = (a->used + _Alignof(max_align_t) - 1) & ~(size_t)(_Alignof(max_align_t) - 1);
    unsigned char *q;
    if (at <= sizeof a->buf && n <= sizeof a->buf - at) {
        q = a->buf + at;
        a->last = at;
        a->used = at + n;
    } else if (!(q = malloc(n))) {
        return NULL;
    }
    if (p)
        memcpy(q, p, old < n ? old : n);
    return q;
}

static kiln_error *config_build(const kn_exec_component *c, const kn_exec_input *in,
                                kn_arena *arena, kiln_wasi_config **out)
{
    kiln_wasi_config *cfg;
    kiln_error *e = kiln_wasi_config_new_alloc(arena_alloc, arena, &cfg);
    if (e)
        return e;
    const kn_component *s = c->spec;
    for (size_t i = 0; !e && in->argv[i]; i++)
        e = kiln_wasi_config_arg(cfg, in->argv[i]);
    /* The component's environment first: the request's variables win. */
    for (size_t i = 0; !e && i < s->nenv; i++)
        e = kiln_wasi_config_env(cfg, s->env_names[i], s->env_values[i]);
    for (size_t i = 0; !e && i < in->nenv; i++)
        e = kiln_wasi_config_env(cfg, in->env_names[i], in->env_values[i]);
    for (size_t i = 0; !e && i < s->ndirs; i++)
        e = kiln_wasi_config_preopen_dir(cfg, s->dirs[i].host_path, s->dirs[i].guest_path,
                                         KILN_WASI_DIR_READ);
    if (!e)
        e = kiln_wasi_config_stdin_bytes(cfg, in->body, in->body_len);
    if (!e)
        e = kiln_wasi_config_stdout_buffer(cfg, KN_EXEC_MAX_STDOUT);
    if (!e)
        e = kiln_wasi_config_stderr_buffer(cfg, KN_EXEC_MAX_STDERR);
    if (e) {
        kiln_wasi_config_free(cfg);
        return e;
    }
    *out = cfg;
    return NULL;
}

/* "MESSAGE (at f1 <- f2 <- f3)": enough of the backtrace for one log line. */
static void describe(kn_exec_output *o, kiln_error *e)
{
    int n = snprintf(o->message, sizeof o->message, "%s", kiln_error_message(e));
    size_t frames = kiln_error_frame_count(e);
    for (size_t i = 0; i < frames && i < 6 && n > 0 && (size_t)n < sizeof o->message; i++) {
        const char *name = kiln_error_frame_name(e, i);
        char idx[32];
        if (!name) {
            snprintf(idx, sizeof idx, "func[%u]", kiln_error_frame_func(e, i));
            name = idx;
        }
        n += snprintf(o->message + n, sizeof o->message - (size_t)n, "%s%s",
                      i == 0 ? " (at " : " <- ", name);
    }
    if (frames > 0 && n > 0 && (size_t)n + 2 < sizeof o->message)
        strcat(o->message, ")");
}

static void classify(kn_exec_output *o, kiln_error *e, int sliced)
{
    if (!e) {
        o->outcome = KN_EXEC_OK;
        return;
    }
    o->trap = kiln_error_trap(e);
    if (o->trap == KILN_TRAP_EXIT) {
        o->exit_code = kiln_error_exit_code(e);
        o->outcome = o->exit_code == 0 ? KN_EXEC_OK : KN_EXEC_EXIT;
        if (o->exit_code != 0)
            snprintf(o->message, sizeof o->message, "exited with code %d", o->exit_code);
    } else {
        if (o->trap == KILN_TRAP_DEADLINE && sliced)
            o->outcome = KN_EXEC_SLICE;
        else if (o->trap == KILN_TRAP_DEADLINE || o->trap == KILN_TRAP_INTERRUPT)
            o->outcome = KN_EXEC_TIMEOUT;
        else if (o->trap == KILN_TRAP_OUT_OF_FUEL)
            o->outcome = KN_EXEC_FUEL;
        else if (kiln_error_kind_of(e) == KILN_ERR_TRAP || kiln_error_kind_of(e) == KILN_ERR_HOST)
            o->outcome = KN_EXEC_TRAP;
        else
            o->outcome = KN_EXEC_FAILED;
        describe(o, e);
    }
    kiln_error_free(e);
}

/* Instantiates and calls; the store and WASI state exist only in here. */
static void run_in_store(const kn_exec_component *c, kiln_engine *engine, const kn_exec_input *in,
                         kiln_wasi *wasi, kn_exec_output *o)
{
    const kn_component_limits *lim = &c->spec->limits;
    kiln_store_limits sl = store_limits(lim);
    /* A deadline at the slice is the slice's, not the component's: a
     * component timeout at or below the slice stays its own 504. */
    int sliced = in->slice_ns && (sl.timeout_ns == 0 || in->slice_ns < sl.timeout_ns);
    if (sliced)
        sl.timeout_ns = in->slice_ns;
    kiln_store *store = NULL;
    kiln_linker *linker = NULL;
    kiln_instance *inst = NULL;
    kiln_error *e = NULL;
    uint64_t t0 = now_ns();
    if (c->tmpl) {
        e = kiln_template_instantiate(c->tmpl, &sl, wasi, &store, &inst);
    } else {
        if ((e = kiln_store_new(engine, &sl, &store))) {
            fail(o, "store", e);
            return;
        }
        if ((e = kiln_linker_new(store, &linker)) || (e = kiln_wasi_define(wasi, store, linker))) {
            fail(o, "linker", e);
            goto out;
        }
        t0 = now_ns();
        e = kiln_linker_instantiate(linker, c->module, &inst);
    }
    o->instantiate_ns = now_ns() - t0;
    if (!e) {
        kiln_func *f = kiln_instance_export_func(inst, in->entrypoint);
        if (!f) {
            o->outcome = KN_EXEC_FAILED;
            snprintf(o->message, sizeof o->message, "no exported function '%s'", in->entrypoint);
        } else {
            e = kiln_call(store, f, NULL, 0, NULL, 0);
            classify(o, e, sliced);
        }
    } else if (kiln_error_kind_of(e) == KILN_ERR_LINK || kiln_error_kind_of(e) == KILN_ERR_NOMEM) {
        fail(o, "instantiate", e);
    } else {
        classify(o, e, sliced); /* a start function trapped or exited */
    }
    o->guest_ns = now_ns() - t0;
    if (lim->fuel && store)
        o->fuel_used = lim->fuel - kiln_store_fuel_remaining(store);
    kiln_memory *mem = inst ? kiln_instance_export_memory(inst, "memory") : NULL;
    o->memory_bytes = mem ? kiln_memory_size(mem) : 0;
out:
    kiln_linker_free(linker);
    kiln_store_free(store);
}

/* A malloc'ed, NUL-terminated copy of a captured stream (NULL when empty). */
static int copy_stream(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (!data || len == 0)
        return 0;
    if (!(*out = malloc(len + 1)))
        return -1;
    memcpy(*out, data, len);
    (*out)[len] = 0;
    *out_len = len;
    return 0;
}

void kn_exec_run(const kn_exec_component *c, kiln_engine *engine, const kn_exec_input *in,
                 kn_exec_output *o)
{
    memset(o, 0, sizeof *o);
    kiln_wasi_config *cfg = NULL;
    kiln_wasi *wasi = NULL;
    kiln_error *e;
    kn_arena arena; /* outlives cfg and wasi, freed below */
    arena.used = arena.last = 0;
    if ((e = config_build(c, in, &arena, &cfg)) || (e = kiln_wasi_new(cfg, &wasi))) {
        fail(o, "WASI setup", e);
        goto out;
    }
    run_in_store(c, engine, in, wasi, o);
    const uint8_t *out = NULL, *err = NULL;
    size_t out_len = 0, err_len = 0;
    kiln_wasi_stdout_bytes(wasi, &out, &out_len);
    kiln_wasi_stderr_bytes(wasi, &err, &err_len);
    uint8_t *err_copy = NULL;
    if (copy_stream(out, out_len, &o->out, &o->out_len) < 0 ||
        copy_stream(err, err_len, &err_copy, &o->err_len) < 0) {
        kn_exec_output_free(o);
        o->out_len = o->err_len = 0;
        free(err_copy);
        err_copy = NULL;
        if (o->outcome == KN_EXEC_OK)
            fail(o, "out of memory reading the guest's output", NULL);
    }
    o->err = (char *)err_copy;
out:
    kiln_wasi_free(wasi);
    kiln_wasi_config_free(cfg);
}

void kn_exec_output_free(kn_exec_output *o)
{
    free(o->out);
    free(o->err);
    o->out = NULL;
    o->err = NULL;
}
