/*
 * pool.c — a plugin's instances: made on demand up to max_instances, kept
 * on a free list between calls (guest state lives on, as in Extism), and
 * destroyed after a trap or limit, or when a call needs another timeout
 * than the store was made with (the deadline is a store limit fixed when
 * the store is made; the instance is replaced, and its guest state with
 * it).  A call finding every instance busy waits on the pool's condition
 * variable.  The lock covers only the list and the counts: making and
 * destroying instances happen outside it.
 *
 * A one-module plugin's instance is a slot of its template (the store is
 * kept out of the pool while the instance lives; kiln_store_free gives the
 * slot back, reset).  A multi-module plugin's is a store of its own, the
 * other modules instantiated in it first, in dependency order, and
 * registered under their names, as Extism links them.
 */
#include <stdlib.h>
#include <string.h>

#include "plugin_impl.h"

static void pinst_destroy(kn_pinst *in)
{
    kn_stats *s = &in->p->stats;
    atomic_fetch_sub(&s->memory_bytes, (int64_t)in->mem_counted);
    kiln_store_free(in->store);
    kiln_wasi_free(in->wasi);
    kn_kernel_free(in->kernel);
    free(in->bindings);
    free(in->http_headers_json);
    free(in);
}

/* Instantiate module i (after what it imports) under its name. */
static kiln_error *link_module(kiln_plugin *p, kn_pinst *in, kiln_linker *l, size_t i,
                               bool *done, unsigned depth)
{
    if (done[i])
        return NULL;
    if (depth > p->nmodules)
        return kiln_error_new(KILN_ERR_LINK, "modules import each other in a cycle (%s)",
                              p->names[i]);
    size_t n = kiln_module_import_count(p->modules[i]);
    for (size_t k = 0; k < n; k++) {
        kiln_import_desc d;
        kiln_module_import(p->modules[i], k, &d);
        for (size_t j = 0; j < p->nmodules; j++)
            if (j != p->main && j != i && !strcmp(p->names[j], d.module)) {
                kiln_error *e = link_module(p, in, l, j, done, depth + 1);
                if (e)
                    return e;
            }
    }
    kiln_instance *inst;
    kiln_error *e = kiln_linker_instantiate(l, p->modules[i], &inst);
    if (e)
        return e;
    done[i] = true;
    if (i == p->main) {
        in->inst = inst;
        return NULL;
    }
    return kiln_linker_define_instance(l, p->names[i], inst);
}

static kiln_error *make_linked(kiln_plugin *p, kn_pinst *in, const kiln_store_limits *lim)
{
    kiln_error *e = kiln_store_new(p->engine, lim, &in->store);
    if (e)
        return e;
    kiln_linker *l = NULL;
    bool *done = calloc(p->nmodules, sizeof *done);
    e = done ? kiln_linker_new(in->store, &l) : kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    if (!e)
        e = kn_env_define_linker(in, l);
    for (size_t i = 0; !e && i < p->nmodules; i++)
        if (i != p->main)
            e = link_module(p, in, l, i, done, 0);
    if (!e)
        e = link_module(p, in, l, p->main, done, 0);
    kiln_linker_free(l);
    free(done);
    return e;
}

static kiln_error *pinst_new(kiln_plugin *p, uint64_t timeout_ns, kn_pinst **out)
{
    kn_pinst *in = calloc(1, sizeof *in);
    if (!in)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    in->p = p;
    in->timeout_ns = timeout_ns;
    uint64_t cap = p->max_pages == KN_PM_NO_LIMIT ? 0 : p->max_pages * 65536;
    kiln_error *e = kn_kernel_new(cap, &in->kernel);
    if (!e && p->wasi_cfg)
        e = kiln_wasi_new(p->wasi_cfg, &in->wasi);
    kiln_store_limits lim = {.timeout_ns = timeout_ns};
    if (cap && cap <= KILN_MAX_MEMORY_BYTES)
        lim.max_memory_bytes = cap;
    if (!e && p->tmpl)
        e = kiln_template_instantiate(p->tmpl, &lim, in, &in->store, &in->inst);
    else if (!e)
        e = make_linked(p, in, &lim);
    if (e) {
        pinst_destroy(in);
        return e;
    }
    *out = in;
    return NULL;
}

kiln_error *kn_pool_take(kiln_plugin *p, uint64_t timeout_ns, kn_pinst **out)
{
    kn_pinst *in = NULL;
    pthread_mutex_lock(&p->pool_lock);
    for (;;) {
        if (p->free_list) {
            in = p->free_list;
            p->free_list = in->next;
            break;
        }
        if (p->ninst < p->max_instances) {
            p->ninst++;
            break;
        }
        pthread_cond_wait(&p->pool_cond, &p->pool_lock);
    }
    p->nbusy++;
    pthread_mutex_unlock(&p->pool_lock);
    if (in && in->timeout_ns == timeout_ns) {
        *out = in;
        return NULL;
    }
    if (in)
        pinst_destroy(in);
    kiln_error *e = pinst_new(p, timeout_ns, out);
    if (e) {
        pthread_mutex_lock(&p->pool_lock);
        p->ninst--;
        p->nbusy--;
        pthread_cond_signal(&p->pool_cond);
        pthread_mutex_unlock(&p->pool_lock);
    }
    return e;
}

void kn_pinst_account_memory(kn_pinst *in)
{
    kiln_memory *m = kiln_instance_export_memory(in->inst, "memory");
    uint64_t now = (m ? kiln_memory_size(m) : 0) + kn_kernel_memory_bytes(in->kernel);
    atomic_fetch_add(&in->p->stats.memory_bytes, (int64_t)now - (int64_t)in->mem_counted);
    in->mem_counted = now;
}

void kn_pool_give(kiln_plugin *p, kn_pinst *in)
{
    in->user_data = NULL;
    pthread_mutex_lock(&p->pool_lock);
    in->next = p->free_list;
    p->free_list = in;
    p->nbusy--;
    pthread_cond_signal(&p->pool_cond);
    pthread_mutex_unlock(&p->pool_lock);
}

void kn_pool_discard(kiln_plugin *p, kn_pinst *in)
{
    pinst_destroy(in);
    pthread_mutex_lock(&p->pool_lock);
    p->ninst--;
    p->nbusy--;
    pthread_cond_signal(&p->pool_cond);
    pthread_mutex_unlock(&p->pool_lock);
}

/* The plugin is going away: no call is running. */
void kn_pool_free_all(kiln_plugin *p)
{
    while (p->free_list) {
        kn_pinst *in = p->free_list;
        p->free_list = in->next;
        pinst_destroy(in);
    }
    p->ninst = 0;
}
