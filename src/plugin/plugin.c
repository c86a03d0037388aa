/*
 * plugin.c — kiln_plugin_new and kiln_plugin_free: compile the manifest's
 * modules, check every import against the grants, copy what calls need
 * (config, hosts, caps, the host functions), and prepare the pool.
 *
 * A one-module plugin gets a kiln_template: its imports (the kernel
 * functions it names, its granted host functions, WASI) are defined once
 * in a builder whose host functions find their instance as the slot's
 * user data.  Templates resolve only function imports to host functions,
 * so a plugin of several modules linked by name (the main one -- named
 * "main", else the last -- importing from the others by their names, as
 * Extism links them) instantiates each instance through a linker of its
 * own (pool.c).
 *
 * memory.max_pages caps each linear memory (a memory.grow past it is -1,
 * where Extism's limiter traps with "oom") and the kernel memory.
 *
 * Lifetime: refs counts the owner and every running call; kiln_plugin_free
 * drops the owner's, and whoever drops the last frees the plugin.
 */
#include <stdlib.h>
#include <string.h>

#include "plugin_impl.h"

/* Extism's default cap on an http_request's response body. */
#define KN_HTTP_DEFAULT_MAX (50u * 1024 * 1024)

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void funcs_free(kiln_plugin_func *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++) {
        free((char *)f[i].module);
        free((char *)f[i].name);
        free((kiln_valkind *)f[i].type.params);
        free((kiln_valkind *)f[i].type.results);
    }
    free(f);
}

static kiln_valkind *kinds_dup(const kiln_valkind *k, uint32_t n)
{
    kiln_valkind *c = malloc((n ? n : 1) * sizeof *c);
    if (c && n)
        memcpy(c, k, n * sizeof *c);
    return c;
}

static kiln_error *copy_funcs(kiln_plugin *p, const kiln_plugin_options *o)
{
    if (!o->nfuncs)
        return NULL;
    if (!o->funcs)
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_new: nfuncs without funcs");
    p->funcs = calloc(o->nfuncs, sizeof *p->funcs);
    if (!p->funcs)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    p->nfuncs = o->nfuncs;
    for (size_t i = 0; i < o->nfuncs; i++) {
        const kiln_plugin_func *s = &o->funcs[i];
        kiln_plugin_func *d = &p->funcs[i];
        if (!s->name || !s->fn)
            return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_new: funcs[%zu] has no name or fn",
                                  i);
        *d = *s;
        d->module = dup(s->module ? s->module : KN_USER_MODULE);
        d->name = dup(s->name);
        d->type.params = kinds_dup(s->type.params, s->type.nparams);
        d->type.results = kinds_dup(s->type.results, s->type.nresults);
        if (!d->module || !d->name || !d->type.params || !d->type.results)
            return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    }
    return NULL;
}

static kiln_error *copy_manifest(kiln_plugin *p, const kiln_plugin_manifest *m)
{
    p->max_pages = m->max_pages;
    p->max_http_bytes = m->max_http_response_bytes == KN_PM_NO_LIMIT
                            ? KN_HTTP_DEFAULT_MAX
                            : m->max_http_response_bytes;
    p->max_var_bytes = m->max_var_bytes;
    p->timeout_ms = m->timeout_ms;
    p->config = calloc(m->nconfig ? m->nconfig : 1, sizeof *p->config);
    p->hosts = calloc(m->nallowed_hosts ? m->nallowed_hosts : 1, sizeof *p->hosts);
    if (!p->config || !p->hosts)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    for (; p->nconfig < m->nconfig; p->nconfig++) {
        kn_pm_kv *d = &p->config[p->nconfig];
        d->key = dup(m->config[p->nconfig].key);
        d->value = dup(m->config[p->nconfig].value);
        if (!d->key || !d->value) {
            p->nconfig++;
            return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
        }
    }
    for (; p->nhosts < m->nallowed_hosts; p->nhosts++)
        if (!(p->hosts[p->nhosts] = dup(m->allowed_hosts[p->nhosts])))
            return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    return NULL;
}

/* WASI as a plugin gets it: no args, no env, no stdin; stdout and stderr
 * captured in memory and passed to the log after each call (call.c); the
 * manifest's allowed_paths as preopens. */
static kiln_error *make_wasi_config(kiln_plugin *p, const kiln_plugin_manifest *m)
{
    kiln_error *e = kiln_wasi_config_new(&p->wasi_cfg);
    if (!e)
        e = kiln_wasi_config_stdio(p->wasi_cfg, 0, KILN_WASI_STDIO_NULL);
    if (!e)
        e = kiln_wasi_config_stdout_buffer(p->wasi_cfg, KN_WASI_STDIO_CAP);
    if (!e)
        e = kiln_wasi_config_stderr_buffer(p->wasi_cfg, KN_WASI_STDIO_CAP);
    for (size_t i = 0; !e && i < m->nallowed_paths; i++) {
        const kn_pm_path *ap = &m->allowed_paths[i];
        unsigned perms = KILN_WASI_DIR_READ | (ap->read_only ? 0 : KILN_WASI_DIR_WRITE);
        e = kiln_wasi_config_preopen_dir(p->wasi_cfg, ap->host, ap->guest, perms);
    }
    return e;
}

static kiln_error *compile(kiln_plugin *p, const kiln_plugin_manifest *m)
{
    p->modules = calloc(m->nwasm, sizeof *p->modules);
    p->names = calloc(m->nwasm, sizeof *p->names);
    if (!p->modules || !p->names)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    p->main = m->nwasm - 1;
    for (size_t i = 0; i < m->nwasm; i++) {
        const kn_pm_wasm *w = &m->wasm[i];
        if (w->name && !strcmp(w->name, "main"))
            p->main = i;
        p->names[i] = dup(w->name ? w->name : (i == m->nwasm - 1 ? "main" : ""));
        if (!p->names[i])
            return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
        p->nmodules = i + 1;
        kiln_error *e = kiln_module_new(p->engine, w->bytes, w->len, &p->modules[i]);
        if (e)
            return e;
    }
    for (size_t i = 0; i < p->nmodules; i++) {
        kiln_error *e = kn_env_check_imports(p, p->modules[i]);
        if (e)
            return e;
    }
    return NULL;
}

static kiln_error *make_template(kiln_plugin *p)
{
    kiln_error *e = kiln_template_builder_new(p->engine, &p->builder);
    if (!e)
        e = kn_env_define_template(p, p->modules[p->main]);
    kiln_template_config tc = {.max_slots = p->max_instances};
    uint64_t cap = p->max_pages == KN_PM_NO_LIMIT ? 0 : p->max_pages * 65536;
    if (cap && cap <= KILN_MAX_MEMORY_BYTES)
        tc.limits.max_memory_bytes = cap;
    if (!e)
        e = kiln_template_new(p->builder, p->modules[p->main], &tc, &p->tmpl);
    return e;
}

static void destroy(kiln_plugin *p)
{
    kn_pool_free_all(p);
    kiln_template_free(p->tmpl);
    kiln_template_builder_free(p->builder);
    free(p->tmpl_bindings);
    for (size_t i = 0; i < p->nmodules; i++) {
        kiln_module_free(p->modules[i]);
        free(p->names[i]);
    }
    free(p->modules);
    free(p->names);
    funcs_free(p->funcs, p->nfuncs);
    kiln_wasi_config_free(p->wasi_cfg);
    for (size_t i = 0; i < p->nconfig; i++) {
        free(p->config[i].key);
        free(p->config[i].value);
    }
    free(p->config);
    for (size_t i = 0; i < p->nhosts; i++)
        free(p->hosts[i]);
    free(p->hosts);
    kn_vars_free(p);
    pthread_mutex_destroy(&p->vars_lock);
    pthread_mutex_destroy(&p->pool_lock);
    pthread_cond_destroy(&p->pool_cond);
    free(p);
}

static kiln_error *setup(kiln_plugin *p, const kiln_plugin_manifest *m,
                         const kiln_plugin_options *o)
{
    kiln_error *e = copy_funcs(p, o);
    if (!e)
        e = copy_manifest(p, m);
    if (!e && p->wasi)
        e = make_wasi_config(p, m);
    if (!e)
        e = compile(p, m);
    if (!e && p->nmodules == 1)
        e = make_template(p);
    return e;
}

kiln_error *kiln_plugin_new(kiln_engine *engine, const kiln_plugin_manifest *m,
                            const kiln_plugin_options *options, kiln_plugin **out)
{
    if (!engine || !m || !out)
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_new: NULL argument");
    if (!m->nwasm)
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_new: the manifest has no module");
    static const kiln_plugin_options none;
    const kiln_plugin_options *o = options ? options : &none;
    kiln_plugin *p = calloc(1, sizeof *p);
    if (!p)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    p->engine = engine;
    p->wasi = o->wasi;
    p->log_level = o->log_level;
    p->http_response_headers = o->http_response_headers;
    p->log = o->log;
    p->log_ud = o->log_ud;
    p->fuel = o->fuel;
    p->max_instances = o->max_instances ? o->max_instances : 64;
    atomic_init(&p->refs, 1);
    p->born_ns = kn_plugin_now_ns();
    p->born_ticks = kn_ticks();
    pthread_mutex_init(&p->vars_lock, NULL);
    pthread_mutex_init(&p->pool_lock, NULL);
    pthread_cond_init(&p->pool_cond, NULL);
    kiln_error *e = setup(p, m, o);
    if (e) {
        destroy(p);
        return e;
    }
    *out = p;
    return NULL;
}

void kn_plugin_unref(kiln_plugin *p)
{
    if (atomic_fetch_sub(&p->refs, 1) == 1)
        destroy(p);
}

void kiln_plugin_free(kiln_plugin *p)
{
    if (p)
        kn_plugin_unref(p);
}

bool kiln_plugin_has_function(const kiln_plugin *p, const char *name)
{
    if (!p || !name)
        return false;
    const kiln_module *m = p->modules[p->main];
    size_t n = kiln_module_export_count(m);
    for (size_t i = 0; i < n; i++) {
        kiln_export_desc d;
        kiln_module_export(m, i, &d);
        if (d.type.kind == KILN_EXTERN_FUNC && !strcmp(d.name, name))
            return d.type.func.nparams == 0 &&
                   (d.type.func.nresults == 0 ||
                    (d.type.func.nresults == 1 && d.type.func.results[0] == KILN_I32));
    }
    return false;
}
