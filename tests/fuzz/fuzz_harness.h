/*
 * fuzz_harness.h — what the fuzz targets share: drive one module binary
 * through include/kiln.h and abort on every broken promise the fuzzer can
 * see.  Header-only (static functions), so each target stays one .c file
 * and tests/run.sh can keep building the regress runner from
 * tests/regress/regress.c and tests/fuzz/fuzz.c alone.
 *
 * fz_run() decodes and validates the module; if it is valid, it makes a
 * store with fuel and small limits, satisfies every import with a dummy of
 * the matching type (host functions that return zeros, fresh memories,
 * tables and globals), instantiates it (running any start function) and
 * calls every exported function, with zero arguments or with the values
 * fz_opts.make_args chooses.  Then it frees everything, so LeakSanitizer
 * sees every leak on the paths it took.
 *
 * Promises checked for every module:
 *   - every error has a kind in range and a message;
 *   - decode/validate errors carry an offset inside the input (or -1);
 *   - kiln_module_new fails only with decode, validate or nomem;
 *   - kiln_call with arguments that match the function type never fails
 *     with KILN_ERR_ARG;
 *   - a top-level call that ran out of fuel fails with kind KILN_ERR_LIMIT;
 *   - a successful call returns results of the function type's kinds.
 * And, for modules valid by construction (fz_opts.valid, the generator's):
 *   - kiln_module_new accepts it ("valid module rejected" prints kiln's
 *     error and its offset);
 *   - it links against the dummies and instantiates (it has no start
 *     function and its data segments fit), unless out of host memory.
 *
 * With KILN_FUZZ_VERBOSE set in the environment it says on stderr what
 * each step did.
 */
#ifndef KILN_FUZZ_HARNESS_H
#define KILN_FUZZ_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"

#define FUZZ_MAX_MEMORY (16u << 20)
#define FUZZ_MAX_TABLE 10000
#define FUZZ_MAX_DEPTH 500
#define FUZZ_MAX_STACK (1u << 20)

typedef struct fz_opts {
    const char *tool; /* prefix of every message: "kiln-fuzz" */
    uint64_t fuel;    /* per top-level call, and for instantiation */
    int valid;        /* the module is valid by construction */
    kiln_tier tier;   /* the engine's tier (kiln_config) */
    /* Fills args[0..ft->nparams) for a call; NULL: zeros of each kind. */
    void (*make_args)(void *ctx, const kiln_functype *ft, kiln_val *args);
    /* Called (when set) just before the "valid module rejected" abort. */
    void (*on_reject)(void *ctx, const kiln_error *e);
    /* Called (when set) after each exported function's call, with its
     * error (NULL: it returned results[0..nresults)). */
    void (*on_result)(void *ctx, const char *name, const kiln_error *e, const kiln_val *results,
                      uint32_t nresults);
    /* Called (when set) after all the calls, with the instance. */
    void (*on_done)(void *ctx, kiln_instance *inst, const kiln_module *m);
    void *ctx;
} fz_opts;

static int fz_verbose = -1;
static const char *fz_tool = "kiln-fuzz";

static void fz_say(const char *what, const char *name, const kiln_error *e)
{
    if (!fz_verbose)
        return;
    if (e)
        fprintf(stderr, "%s: %s%s%s: error kind %d trap %d: %s\n", fz_tool, what,
                name ? " " : "", name ? name : "", (int)kiln_error_kind_of(e),
                (int)kiln_error_trap(e),
                kiln_error_message(e) ? kiln_error_message(e) : "(null)");
    else
        fprintf(stderr, "%s: %s%s%s: ok\n", fz_tool, what, name ? " " : "", name ? name : "");
}

static void fz_broken(const char *what, const kiln_error *e)
{
    fprintf(stderr, "%s: broken promise: %s (kind %d, trap %d, message \"%s\")\n", fz_tool, what,
            e ? (int)kiln_error_kind_of(e) : -1, e ? (int)kiln_error_trap(e) : -1,
            e && kiln_error_message(e) ? kiln_error_message(e) : "(null)");
    abort();
}

/* Checks that hold for every error the library returns; frees it. */
static void fz_check_error(kiln_error *e)
{
    if (!e)
        return;
    kiln_error_kind k = kiln_error_kind_of(e);
    if (k < KILN_ERR_DECODE || k > KILN_ERR_ARG)
        fz_broken("error kind out of range", e);
    if (!kiln_error_message(e))
        fz_broken("error without a message", e);
    /* Walk the backtrace: names may be NULL but must be readable. */
    size_t n = kiln_error_frame_count(e);
    for (size_t i = 0; i < n; i++) {
        const char *name = kiln_error_frame_name(e, i);
        (void)kiln_error_frame_func(e, i);
        if (name)
            (void)strlen(name);
    }
    kiln_error_free(e);
}

static kiln_val fz_zero_of(kiln_valkind k)
{
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.kind = k;
    return v;
}

/* The env of a dummy host function: the result types it must produce. */
typedef struct fz_dummy_env {
    uint32_t nresults;
    kiln_valkind results[];
} fz_dummy_env;

static kiln_error *fz_dummy_fn(kiln_caller *caller, void *env, const kiln_val *args,
                               kiln_val *results)
{
    const fz_dummy_env *d = env;
    (void)caller;
    (void)args;
    for (uint32_t i = 0; i < d->nresults; i++)
        results[i] = fz_zero_of(d->results[i]);
    return NULL;
}

/* Defines a dummy for import i of m in l.  Failures are fine: the module
 * then fails to link, which is a path worth fuzzing too. */
static void fz_define_dummy(kiln_store *store, kiln_linker *l, const kiln_module *m, size_t i)
{
    kiln_import_desc imp;
    memset(&imp, 0, sizeof imp);
    kiln_module_import(m, i, &imp);
    if (!imp.module || !imp.name)
        fz_broken("import without a module or name", NULL);
    kiln_error *e = NULL;
    switch (imp.type.kind) {
    case KILN_EXTERN_FUNC: {
        const kiln_functype *ft = &imp.type.func;
        fz_dummy_env *d = malloc(sizeof *d + ft->nresults * sizeof(kiln_valkind) + 1);
        if (!d)
            return;
        d->nresults = ft->nresults;
        for (uint32_t r = 0; r < ft->nresults; r++)
            d->results[r] = ft->results[r];
        kiln_func *f = NULL;
        e = kiln_func_new(store, ft, fz_dummy_fn, d, free, &f);
        if (e) {
            free(d); /* on failure the finalizer never runs */
            break;
        }
        e = kiln_linker_define_func(l, imp.module, imp.name, f);
        break;
    }
    case KILN_EXTERN_MEMORY: {
        kiln_memory *mem = NULL;
        e = kiln_memory_new(store, imp.type.limits, &mem);
        if (!e)
            e = kiln_linker_define_memory(l, imp.module, imp.name, mem);
        break;
    }
    case KILN_EXTERN_TABLE: {
        kiln_table *t = NULL;
        e = kiln_table_new(store, imp.type.elem, imp.type.limits, &t);
        if (!e)
            e = kiln_linker_define_table(l, imp.module, imp.name, t);
        break;
    }
    case KILN_EXTERN_GLOBAL: {
        kiln_global *g = NULL;
        e = kiln_global_new(store, fz_zero_of(imp.type.global_type), imp.type.global_mutable,
                            &g);
        if (!e)
            e = kiln_linker_define_global(l, imp.module, imp.name, g);
        break;
    }
    default:
        fz_broken("import of an unknown kind", NULL);
    }
    if (e && fz_verbose) {
        char what[256];
        snprintf(what, sizeof what, "define %s.%s", imp.module, imp.name);
        fz_say(what, NULL, e);
    }
    fz_check_error(e);
}

static void fz_call_exports(kiln_store *store, kiln_instance *inst, const kiln_module *m,
                            const fz_opts *o)
{
    size_t n = kiln_module_export_count(m);
    for (size_t i = 0; i < n; i++) {
        kiln_export_desc ex;
        memset(&ex, 0, sizeof ex);
        kiln_module_export(m, i, &ex);
        if (!ex.name)
            fz_broken("export without a name", NULL);
        switch (ex.type.kind) {
        case KILN_EXTERN_MEMORY: {
            kiln_memory *mem = kiln_instance_export_memory(inst, ex.name);
            if (mem && kiln_memory_size(mem) > FUZZ_MAX_MEMORY)
                fz_broken("memory larger than max_memory_bytes", NULL);
            continue;
        }
        case KILN_EXTERN_GLOBAL: {
            kiln_global *g = kiln_instance_export_global(inst, ex.name);
            if (g)
                (void)kiln_global_get(g);
            continue;
        }
        case KILN_EXTERN_TABLE: {
            kiln_table *t = kiln_instance_export_table(inst, ex.name);
            kiln_val v;
            if (t && kiln_table_size(t) > 0)
                (void)kiln_table_get(t, 0, &v);
            continue;
        }
        case KILN_EXTERN_FUNC:
            break;
        default:
            fz_broken("export of an unknown kind", NULL);
        }
        kiln_func *f = kiln_instance_export_func(inst, ex.name);
        if (!f)
            continue; /* a later export with the same name is invalid anyway */
        kiln_functype ft = kiln_func_type(f);
        kiln_val *args = calloc(ft.nparams + 1, sizeof *args);
        kiln_val *results = calloc(ft.nresults + 1, sizeof *results);
        if (args && results) {
            for (uint32_t p = 0; p < ft.nparams; p++)
                args[p] = fz_zero_of(ft.params[p]);
            if (o->make_args)
                o->make_args(o->ctx, &ft, args);
            kiln_store_set_fuel(store, o->fuel);
            kiln_error *e = kiln_call(store, f, args, ft.nparams, results, ft.nresults);
            fz_say("call", ex.name, e);
            if (o->on_result)
                o->on_result(o->ctx, ex.name, e, results, ft.nresults);
            if (e && kiln_error_kind_of(e) == KILN_ERR_ARG)
                fz_broken("kiln_call rejected arguments that match the type", e);
            if (e && kiln_error_trap(e) == KILN_TRAP_OUT_OF_FUEL &&
                kiln_error_kind_of(e) != KILN_ERR_LIMIT)
                fz_broken("out of fuel is not a KILN_ERR_LIMIT", e);
            if (!e)
                for (uint32_t r = 0; r < ft.nresults; r++)
                    if (results[r].kind != ft.results[r])
                        fz_broken("kiln_call returned a result of another kind", NULL);
            fz_check_error(e);
        }
        free(args);
        free(results);
    }
}

/* Runs one module binary through the library; returns normally unless a
 * promise broke (then it aborts). */
static void fz_run(const uint8_t *data, size_t size, const fz_opts *o)
{
    if (fz_verbose < 0)
        fz_verbose = getenv("KILN_FUZZ_VERBOSE") != NULL;
    fz_tool = o->tool;
    kiln_engine *engine = NULL;
    kiln_config config = {.tier = o->tier};
    kiln_error *e = kiln_engine_new(&config, &engine);
    if (e) {
        fz_check_error(e);
        return;
    }
    kiln_module *m = NULL;
    e = kiln_module_new(engine, data, size, &m);
    fz_say("load", NULL, e);
    if (e) {
        kiln_error_kind k = kiln_error_kind_of(e);
        int64_t off = kiln_error_offset(e);
        if ((k == KILN_ERR_DECODE || k == KILN_ERR_VALIDATE) && (off < -1 || off > (int64_t)size))
            fz_broken("decode/validate error offset outside the input", e);
        if (k != KILN_ERR_DECODE && k != KILN_ERR_VALIDATE && k != KILN_ERR_NOMEM)
            fz_broken("kiln_module_new failed with a kind other than decode/validate/nomem", e);
        if (o->valid && k != KILN_ERR_NOMEM) {
            fprintf(stderr, "%s: valid module rejected: %s at offset %lld (0x%llx) of %zu bytes\n",
                    fz_tool, kiln_error_message(e) ? kiln_error_message(e) : "(null)",
                    (long long)off, (unsigned long long)off, size);
            if (o->on_reject)
                o->on_reject(o->ctx, e);
            fz_broken("valid module rejected", e);
        }
        fz_check_error(e);
        kiln_engine_free(engine);
        return;
    }

    kiln_store_limits limits;
    memset(&limits, 0, sizeof limits);
    limits.max_memory_bytes = FUZZ_MAX_MEMORY;
    limits.max_table_elems = FUZZ_MAX_TABLE;
    limits.max_call_depth = FUZZ_MAX_DEPTH;
    limits.max_stack_bytes = FUZZ_MAX_STACK;
    limits.fuel = o->fuel;
    kiln_store *store = NULL;
    e = kiln_store_new(engine, &limits, &store);
    if (e) {
        fz_check_error(e);
        kiln_module_free(m);
        kiln_engine_free(engine);
        return;
    }
    kiln_linker *l = NULL;
    e = kiln_linker_new(store, &l);
    if (!e) {
        size_t nimports = kiln_module_import_count(m);
        for (size_t i = 0; i < nimports; i++)
            fz_define_dummy(store, l, m, i);
        kiln_instance *inst = NULL;
        e = kiln_linker_instantiate(l, m, &inst);
        fz_say("instantiate", NULL, e);
        if (e && o->valid && kiln_error_kind_of(e) != KILN_ERR_NOMEM)
            fz_broken("a generated module failed to link or instantiate", e);
        if (!e) {
            if (kiln_instance_module(inst) != m)
                fz_broken("kiln_instance_module is not the module instantiated", NULL);
            fz_call_exports(store, inst, m, o);
            if (o->on_done)
                o->on_done(o->ctx, inst, m);
        }
        kiln_linker_free(l);
    }
    fz_check_error(e);
    kiln_store_free(store);
    kiln_module_free(m);
    kiln_engine_free(engine);
}

#endif
