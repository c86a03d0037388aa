/*
 * store.c — stores: ownership of runtime objects, limits, and the entry
 * from the host into Wasm code (kiln_call).  Also host functions
 * (kiln_func_new) and what a host function can ask of its caller.
 *
 * Ownership: every object made in a store (functions, memories, tables,
 * globals, instances) is pushed on store->objects when it is made and freed
 * only by kiln_store_free, so objects may point at each other freely and a
 * failed instantiation leaves nothing dangling.
 *
 * Limits: the interpreter counts `budget` down at calls and loop back-edges
 * and calls kn_check_limits when it reaches zero.  Fuel is handed to the
 * budget in chunks: `fuel` is what has not been handed out yet, a positive
 * budget is handed out but unused, and a negative budget is work done
 * beyond what was handed out.  So the fuel left is always
 * fuel + max(budget, 0), and a limit of N lets exactly N units run.  The
 * slow path also polls the interrupt flag and the clock, which is why the
 * chunk is bounded even when fuel is off.  Limits are used exactly as
 * given: one kiln cannot honour is refused by kiln_store_new (KILN_ERR_ARG,
 * naming it), never clamped.
 */
#include <stdlib.h>
#include <string.h>

#include "os/os.h"
#include "runtime.h"

/* Units of work between two looks at the clock and the interrupt flag. */
#define KN_BUDGET_CHUNK 10000

/* A limit beyond what kiln can honour is the embedder's mistake: say which
 * one instead of clamping it or failing later as out of memory. */
static kiln_error *check_limits(const kiln_store_limits *l)
{
    const struct {
        const char *name;
        uint64_t value, max;
    } lim[] = {
        {"max_memory_bytes", l->max_memory_bytes, KILN_MAX_MEMORY_BYTES},
        {"max_table_elems", l->max_table_elems, KILN_MAX_TABLE_ELEMS},
        {"max_call_depth", l->max_call_depth, KILN_MAX_CALL_DEPTH},
        {"max_stack_bytes", l->max_stack_bytes, KILN_MAX_STACK_BYTES},
    };
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++)
        if (lim[i].value > lim[i].max)
            return kn_error_new(KILN_ERR_ARG, -1,
                                "kiln_store_new: %s = %llu is above the largest accepted, %llu",
                                lim[i].name, (unsigned long long)lim[i].value,
                                (unsigned long long)lim[i].max);
    return NULL;
}

kiln_error *kiln_store_new(kiln_engine *engine, const kiln_store_limits *limits, kiln_store **out)
{
    if (!engine || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_store_new: NULL argument");
    if (limits) {
        kiln_error *e = check_limits(limits);
        if (e)
            return e;
    }
    kiln_store *s = kn_calloc(kn_engine_alloc(engine), 1, sizeof *s);
    if (!s)
        return kn_error_nomem();
    s->engine = engine;
    if (limits)
        s->limits = *limits;
    if (!s->limits.max_memory_bytes)
        s->limits.max_memory_bytes = (uint64_t)4 << 30;
    if (!s->limits.max_table_elems)
        s->limits.max_table_elems = 10000000;
    if (!s->limits.max_call_depth)
        s->limits.max_call_depth = 10000;
    if (!s->limits.max_stack_bytes)
        s->limits.max_stack_bytes = (uint64_t)8 << 20;
    s->fuel_on = s->limits.fuel != 0;
    s->fuel = s->limits.fuel;
    atomic_init(&s->interrupt, 0);
    *out = s;
    return NULL;
}

static void free_object(kn_object *o)
{
    const kn_allocator *a = kn_store_alloc(o->store);
    switch (o->kind) {
    case KN_OBJ_FUNC: {
        kiln_func *f = (kiln_func *)o;
        if (f->finalize)
            f->finalize(f->env);
        kn_free(a, f->owned_type);
        kn_free(a, f);
        break;
    }
    case KN_OBJ_MEMORY: {
        kiln_memory *m = (kiln_memory *)o;
        kn_memory_release(m);
        kn_free(a, m);
        break;
    }
    case KN_OBJ_TABLE: {
        kiln_table *t = (kiln_table *)o;
        kn_free(a, t->elems);
        kn_free(a, t);
        break;
    }
    case KN_OBJ_GLOBAL:
        kn_free(a, o);
        break;
    case KN_OBJ_INSTANCE: {
        kiln_instance *inst = (kiln_instance *)o;
        if (inst->elem_segs)
            for (uint32_t i = 0; i < inst->module->nelems; i++)
                kn_free(a, inst->elem_segs[i].items);
        kn_free(a, inst->elem_segs);
        kn_free(a, inst->data_dropped);
        kn_free(a, inst->funcs);
        kn_free(a, inst->tables);
        kn_free(a, inst->memories);
        kn_free(a, inst->globals);
        kn_free(a, inst);
        break;
    }
    }
}

void kn_store_free_objects_until(kiln_store *s, kn_object *keep)
{
    kn_object *o = s->objects;
    while (o && o != keep) {
        kn_object *next = o->next;
        free_object(o);
        o = next;
    }
    s->objects = o;
}

void kiln_store_free(kiln_store *s)
{
    if (!s)
        return;
    if (s->slot) {
        kn_pool_release(s);
        return;
    }
    const kn_allocator *a = kn_store_alloc(s);
    kn_store_free_objects_until(s, NULL);
    /* The interpreter allocates these on first use. */
    kn_free(a, s->stack);
    kn_free(a, s->frames);
    kn_free(a, s);
}

void kiln_store_interrupt(kiln_store *s)
{
    if (s)
        atomic_store(&s->interrupt, 1);
}

uint64_t kiln_store_fuel_remaining(const kiln_store *s)
{
    if (!s || !s->fuel_on)
        return UINT64_MAX;
    uint64_t left = s->fuel + (s->budget > 0 ? (uint64_t)s->budget : 0);
    return left < s->fuel ? UINT64_MAX : left;
}

void kiln_store_set_fuel(kiln_store *s, uint64_t fuel)
{
    if (!s)
        return;
    /* Dropping the handed-out budget makes the next unit of work take the
     * slow path, which charges it against the new amount. */
    s->fuel_on = true;
    s->fuel = fuel;
    s->budget = 0;
}

/* Hand out the next chunk of budget. */
static void refill(kiln_store *s)
{
    if (s->fuel_on) {
        uint64_t chunk = s->fuel < KN_BUDGET_CHUNK ? s->fuel : KN_BUDGET_CHUNK;
        s->fuel -= chunk;
        s->budget = (int64_t)chunk;
    } else {
        s->budget = KN_BUDGET_CHUNK;
    }
}

kiln_trap_code kn_check_limits(kiln_store *s)
{
    if (s->fuel_on) {
        if (s->budget < 0) {
            uint64_t over = (uint64_t)-(s->budget + 1) + 1;
            if (over > s->fuel) {
                s->fuel = 0;
                s->budget = 0;
                return KILN_TRAP_OUT_OF_FUEL;
            }
            s->fuel -= over;
        }
        s->budget = 0;
    }
    if (atomic_load_explicit(&s->interrupt, memory_order_relaxed))
        return KILN_TRAP_INTERRUPT;
    if (s->deadline_ns && kn_os_monotonic_ns() >= s->deadline_ns)
        return KILN_TRAP_DEADLINE;
    refill(s);
    return KILN_TRAP_NONE;
}

uint64_t kiln_store_time_left_ns(const kiln_store *s)
{
    if (!s || atomic_load_explicit(&s->interrupt, memory_order_relaxed))
        return 0;
    if (!s->deadline_ns)
        return UINT64_MAX;
    uint64_t now = kn_os_monotonic_ns();
    return now >= s->deadline_ns ? 0 : s->deadline_ns - now;
}

kiln_error *kiln_store_limit_error(kiln_store *s)
{
    if (!s)
        return NULL;
    if (atomic_load_explicit(&s->interrupt, memory_order_relaxed))
        return kn_trap_new(KILN_TRAP_INTERRUPT);
    if (s->deadline_ns && kn_os_monotonic_ns() >= s->deadline_ns)
        return kn_trap_new(KILN_TRAP_DEADLINE);
    return NULL;
}

/* ---- Values ------------------------------------------------------------ */

void kn_val_to_slots(const kiln_val *v, kn_slot *out)
{
    out[0].i64 = 0;
    switch (v->kind) {
    case KILN_I32: out[0].i32 = (uint32_t)v->of.i32; break;
    case KILN_I64: out[0].i64 = (uint64_t)v->of.i64; break;
    case KILN_F32: out[0].f32 = v->of.f32; break;
    case KILN_F64: out[0].f64 = v->of.f64; break;
    case KILN_V128: memcpy(out, v->of.v128, 16); break;
    case KILN_FUNCREF: out[0].ref = v->of.funcref; break;
    case KILN_EXTERNREF: out[0].ref = v->of.externref; break;
    }
}

kiln_val kn_slots_to_val(kn_valtype t, const kn_slot *in)
{
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.kind = (kiln_valkind)t;
    switch (t) {
    case KN_I32: v.of.i32 = (int32_t)in[0].i32; break;
    case KN_I64: v.of.i64 = (int64_t)in[0].i64; break;
    case KN_F32: v.of.f32 = in[0].f32; break;
    case KN_F64: v.of.f64 = in[0].f64; break;
    case KN_V128: memcpy(v.of.v128, in, 16); break;
    case KN_FUNCREF: v.of.funcref = in[0].ref; break;
    case KN_EXTERNREF: v.of.externref = in[0].ref; break;
    }
    return v;
}

/* ---- Calls from the host ----------------------------------------------- */

kiln_error *kn_store_call(kiln_store *s, kiln_func *f, kn_slot *slots)
{
    if (s->depth == 0) {
        atomic_store(&s->interrupt, 0);
        s->deadline_ns = 0;
        if (s->limits.timeout_ns) {
            uint64_t now = kn_os_monotonic_ns();
            s->deadline_ns = now + s->limits.timeout_ns;
            if (s->deadline_ns < now)
                s->deadline_ns = UINT64_MAX;
        }
        refill(s);
    }
    /* kn_invoke runs host functions too, counting them in s->depth, so a
     * host function that calls back in is never mistaken for the
     * outermost call. */
    kiln_error *err = kn_invoke(s, f, slots);
    if (s->depth == 0 && s->fuel_on && s->budget > 0) {
        /* Give back what was handed out and not used, so that
         * kiln_store_fuel_remaining and the next call see it. */
        s->fuel += (uint64_t)s->budget;
        s->budget = 0;
    }
    return err;
}

static const char *kind_name(kiln_valkind k)
{
    const char *n = kiln_valkind_name(k);
    return n ? n : "?";
}

static bool is_valkind(kiln_valkind k) { return kiln_valkind_name(k) != NULL; }

kiln_error *kiln_call(kiln_store *s, kiln_func *f, const kiln_val *args, size_t nargs,
                      kiln_val *results, size_t nresults)
{
    if (!s || !f)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_call: NULL store or function");
    if (f->obj.store != s)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_call: function belongs to another store");
    const kn_functype *t = f->type;
    if (nargs != t->nparams)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_call: expected %u arguments, got %zu",
                            t->nparams, nargs);
    if (nresults < t->nresults || (t->nresults && !results))
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_call: room for %zu results, need %u",
                            results ? nresults : 0, t->nresults);
    if (nargs && !args)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_call: args is NULL");
    for (uint32_t i = 0; i < t->nparams; i++) {
        kiln_valkind want = (kiln_valkind)t->types[i];
        if (args[i].kind != want)
            return kn_error_new(KILN_ERR_ARG, -1,
                                "kiln_call: argument %u: expected %s, got %s", i,
                                kind_name(want), kind_name(args[i].kind));
        if (want == KILN_FUNCREF && args[i].of.funcref && args[i].of.funcref->obj.store != s)
            return kn_error_new(KILN_ERR_ARG, -1,
                                "kiln_call: argument %u: function of another store", i);
    }

    uint32_t n = t->param_slots > t->result_slots ? t->param_slots : t->result_slots;
    kn_slot small[32];
    kn_slot *slots = small;
    if (n > sizeof small / sizeof small[0]) {
        slots = kn_calloc(kn_store_alloc(s), n, sizeof *slots);
        if (!slots)
            return kn_error_nomem();
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->nparams; i++) {
        kn_val_to_slots(&args[i], &slots[k]);
        k += kn_slots_of(t->types[i]);
    }
    kiln_error *err = kn_store_call(s, f, slots);
    if (!err) {
        k = 0;
        for (uint32_t i = 0; i < t->nresults; i++) {
            kn_valtype rt = t->types[t->nparams + i];
            results[i] = kn_slots_to_val(rt, &slots[k]);
            k += kn_slots_of(rt);
        }
    }
    if (slots != small)
        kn_free(kn_store_alloc(s), slots);
    return err;
}

/* ---- Host functions ---------------------------------------------------- */

kiln_error *kn_functype_copy(kiln_engine *e, const kiln_functype *type, const char *who,
                             kn_functype **out)
{
    if ((type->nparams && !type->params) || (type->nresults && !type->results))
        return kn_error_new(KILN_ERR_ARG, -1, "%s: NULL type list", who);
    /* Keep the counts small enough that slot sums and sizes cannot wrap. */
    if (type->nparams > 100000 || type->nresults > 100000)
        return kn_error_new(KILN_ERR_ARG, -1, "%s: too many parameters or results", who);
    size_t n = (size_t)type->nparams + type->nresults;
    /* One block: the type, then the API kinds, then the binary types. */
    const kn_allocator *a = kn_engine_alloc(e);
    kn_functype *ft = kn_calloc(a, 1, sizeof *ft + n * sizeof(kiln_valkind) + n);
    if (!ft)
        return kn_error_nomem();
    ft->kinds = (kiln_valkind *)(ft + 1);
    ft->types = (kn_valtype *)(ft->kinds + n);
    ft->nparams = type->nparams;
    ft->nresults = type->nresults;
    for (size_t i = 0; i < n; i++) {
        kiln_valkind k = i < type->nparams ? type->params[i] : type->results[i - type->nparams];
        if (!is_valkind(k)) {
            kn_free(a, ft);
            return kn_error_new(KILN_ERR_ARG, -1, "%s: bad value kind 0x%x", who, (unsigned)k);
        }
        ft->kinds[i] = k;
        ft->types[i] = (kn_valtype)k;
        if (i < type->nparams)
            ft->param_slots += kn_slots_of(ft->types[i]);
        else
            ft->result_slots += kn_slots_of(ft->types[i]);
    }
    ft->canon = kn_engine_intern_type(e, ft->types, ft->nparams, ft->nresults);
    if (ft->canon == KN_CANON_NONE) {
        kn_free(a, ft);
        return kn_error_nomem();
    }
    *out = ft;
    return NULL;
}

kiln_error *kiln_func_new(kiln_store *store, const kiln_functype *type, kiln_host_fn fn,
                          void *env, void (*finalize)(void *env), kiln_func **out)
{
    if (!store || !type || !fn || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_func_new: NULL argument");
    kn_functype *ft;
    kiln_error *err = kn_functype_copy(store->engine, type, "kiln_func_new", &ft);
    if (err)
        return err;
    const kn_allocator *a = kn_store_alloc(store);
    kiln_func *f = kn_calloc(a, 1, sizeof *f);
    if (!f) {
        kn_free(a, ft);
        return kn_error_nomem();
    }
    f->type = f->owned_type = ft;
    f->canon = ft->canon;
    f->host = fn;
    f->env = env;
    f->finalize = finalize;
    f->obj.kind = KN_OBJ_FUNC;
    f->obj.store = store;
    f->obj.next = store->objects;
    store->objects = &f->obj;
    *out = f;
    return NULL;
}

kiln_functype kiln_func_type(const kiln_func *f)
{
    const kn_functype *t = f->type;
    return (kiln_functype){.nparams = t->nparams,
                           .nresults = t->nresults,
                           .params = t->kinds,
                           .results = t->kinds ? t->kinds + t->nparams : NULL};
}

/* ---- What a host function sees of its caller --------------------------- */

kiln_store *kiln_caller_store(kiln_caller *c) { return c ? c->store : NULL; }

kiln_instance *kiln_caller_instance(kiln_caller *c) { return c ? c->inst : NULL; }

void *kiln_caller_data(kiln_caller *c) { return c ? c->store->user_data : NULL; }

void *kiln_store_data(const kiln_store *s) { return s ? s->user_data : NULL; }

kiln_memory *kiln_caller_memory(kiln_caller *c)
{
    if (!c || !c->inst || c->inst->module->nmemories == 0)
        return NULL;
    return c->inst->memories[0];
}
