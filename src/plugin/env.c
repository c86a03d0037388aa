/*
 * env.c — the imports of module "extism:host/env" as host functions, the
 * trampolines of the embedder's host functions, and the check that every
 * import of a plugin is granted.
 *
 * Signatures and semantics are Extism's (runtime/src/pdk.rs and the
 * kernel's exports): the kernel functions wrap kernel.c, where an access
 * outside kernel memory is a false return that becomes a trap here; the
 * runtime functions (config, vars, http, logs) read their arguments from
 * kernel blocks, where handle 0 is the empty string and any other handle
 * that is not the start of a live block traps ("invalid handle offset"),
 * as Extism's memory_handle does.  Only the imports a module names are
 * defined, each with its own binding (what + instance).  http_headers
 * answers 0 unless the embedder opted in (kiln_plugin_options.
 * http_response_headers), as in Extism.  Departure: var_set's cap counts
 * key and value bytes only (vars.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "plugin_impl.h"

typedef kiln_error *(*kn_env_impl)(kn_pinst *in, const kiln_val *a, kiln_val *r);

/* params and results: 'i' for i32, 'I' for i64. */
typedef struct kn_env_fn {
    const char *name;
    const char *params, *results;
    kn_env_impl fn;
} kn_env_fn;

static kiln_error *oob(const char *fn, uint64_t off)
{
    return kiln_error_new(KILN_ERR_HOST,
                          "extism:host/env %s: offset %" PRIu64 " is outside kernel memory", fn,
                          off);
}

#define U64(v) ((uint64_t)(v).of.i64)

/* ---- Kernel -------------------------------------------------------------- */

static kiln_error *e_alloc(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    uint64_t h = kn_kernel_alloc(in->kernel, U64(a[0]));
    if (!h && U64(a[0]))
        in->kernel_full = true;
    r[0].of.i64 = (int64_t)h;
    return NULL;
}

static kiln_error *e_free(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    kn_kernel_dealloc(in->kernel, U64(a[0]));
    return NULL;
}

static kiln_error *e_length(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    r[0].of.i64 = (int64_t)kn_kernel_length(in->kernel, U64(a[0]));
    return NULL;
}

static kiln_error *e_length_unsafe(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    r[0].of.i64 = (int64_t)kn_kernel_length_unsafe(in->kernel, U64(a[0]));
    return NULL;
}

static kiln_error *e_load_u8(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    uint8_t v;
    if (!kn_kernel_load_u8(in->kernel, U64(a[0]), &v))
        return oob("load_u8", U64(a[0]));
    r[0].of.i32 = v;
    return NULL;
}

static kiln_error *e_load_u64(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    uint64_t v;
    if (!kn_kernel_load_u64(in->kernel, U64(a[0]), &v))
        return oob("load_u64", U64(a[0]));
    r[0].of.i64 = (int64_t)v;
    return NULL;
}

static kiln_error *e_store_u8(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    if (!kn_kernel_store_u8(in->kernel, U64(a[0]), (uint8_t)a[1].of.i32))
        return oob("store_u8", U64(a[0]));
    return NULL;
}

static kiln_error *e_store_u64(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    if (!kn_kernel_store_u64(in->kernel, U64(a[0]), U64(a[1])))
        return oob("store_u64", U64(a[0]));
    return NULL;
}

static kiln_error *e_input_offset(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    r[0].of.i64 = (int64_t)kn_kernel_input_offset(in->kernel);
    return NULL;
}

static kiln_error *e_input_length(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    r[0].of.i64 = (int64_t)kn_kernel_input_length(in->kernel);
    return NULL;
}

static kiln_error *e_input_load_u8(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    uint8_t v;
    if (!kn_kernel_input_load_u8(in->kernel, U64(a[0]), &v))
        return oob("input_load_u8", U64(a[0]));
    r[0].of.i32 = v;
    return NULL;
}

static kiln_error *e_input_load_u64(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    uint64_t v;
    if (!kn_kernel_input_load_u64(in->kernel, U64(a[0]), &v))
        return oob("input_load_u64", U64(a[0]));
    r[0].of.i64 = (int64_t)v;
    return NULL;
}

static kiln_error *e_output_set(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    kn_kernel_output_set(in->kernel, U64(a[0]), U64(a[1]));
    return NULL;
}

static kiln_error *e_error_set(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    kn_kernel_error_set(in->kernel, U64(a[0]));
    return NULL;
}

static kiln_error *e_error_get(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    r[0].of.i64 = (int64_t)kn_kernel_error_get(in->kernel);
    return NULL;
}

static kiln_error *e_memory_bytes(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    r[0].of.i64 = (int64_t)kn_kernel_memory_bytes(in->kernel);
    return NULL;
}

static kiln_error *e_reset(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    kn_kernel_reset(in->kernel);
    return NULL;
}

/* ---- Runtime: config, vars, http, logs ------------------------------------ */

/* The bytes of the block at handle h (0: empty), or a trap naming what the
 * handle was for.  Valid until the next kernel alloc. */
static kiln_error *block(kn_pinst *in, uint64_t h, const char *what, const uint8_t **p,
                         size_t *len)
{
    if (!h) {
        *p = (const uint8_t *)"";
        *len = 0;
        return NULL;
    }
    uint64_t n = kn_kernel_length(in->kernel, h);
    const uint8_t *b = n ? kn_kernel_ptr(in->kernel, h, n) : NULL;
    if (!b)
        return kiln_error_new(KILN_ERR_HOST, "invalid handle offset for %s: %" PRIu64, what, h);
    *p = b;
    *len = (size_t)n;
    return NULL;
}

/* A new kernel block holding bytes; handle 0 for none. */
static kiln_error *new_block(kn_pinst *in, const void *bytes, size_t len, uint64_t *h)
{
    *h = 0;
    if (!len)
        return NULL;
    uint64_t b = kn_kernel_alloc(in->kernel, len);
    uint8_t *dst = b ? kn_kernel_ptr(in->kernel, b, len) : NULL;
    if (!dst) {
        in->kernel_full = true;
        return kiln_error_new(KILN_ERR_HOST, "oom: kernel memory is full (%zu bytes wanted)",
                              len);
    }
    memcpy(dst, bytes, len);
    *h = b;
    return NULL;
}

static kiln_error *e_config_get(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    const uint8_t *key = NULL;
    size_t klen = 0;
    kiln_error *e = block(in, U64(a[0]), "config key", &key, &klen);
    if (e)
        return e;
    const kiln_plugin *p = in->p;
    for (size_t i = 0; i < p->nconfig; i++) {
        const char *k = p->config[i].key;
        if (strlen(k) == klen && !memcmp(k, key, klen)) {
            const char *v = p->config[i].value;
            uint64_t h;
            e = new_block(in, v, strlen(v), &h);
            r[0].of.i64 = (int64_t)h;
            return e;
        }
    }
    r[0].of.i64 = 0;
    return NULL;
}

static kiln_error *e_var_get(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    const uint8_t *key = NULL;
    size_t klen = 0;
    kiln_error *e = block(in, U64(a[0]), "var key", &key, &klen);
    if (e)
        return e;
    uint64_t h = 0;
    e = kn_vars_get_into(in->p, key, klen, in->kernel, &h);
    if (e)
        in->kernel_full = true;
    r[0].of.i64 = (int64_t)h;
    return e;
}

static kiln_error *e_var_set(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    if (in->p->max_var_bytes == 0)
        return kiln_error_new(KILN_ERR_HOST, "Vars are disabled by this host");
    const uint8_t *key = NULL, *val = NULL;
    size_t klen = 0, vlen = 0;
    kiln_error *e = block(in, U64(a[0]), "var key", &key, &klen);
    if (!e && U64(a[1]))
        e = block(in, U64(a[1]), "var value", &val, &vlen);
    return e ? e : kn_vars_set(in->p, key, klen, val, vlen);
}

static kiln_error *keep_response(kn_pinst *in, kn_http_response *res, kiln_val *r)
{
    in->http_status = res->status;
    free(in->http_headers_json);
    in->http_headers_json = res->headers_json;
    res->headers_json = NULL;
    uint64_t h;
    kiln_error *e = new_block(in, res->body, res->body_len, &h);
    r[0].of.i64 = (int64_t)h;
    return e;
}

static kiln_error *e_http_request(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    const uint8_t *req = NULL, *body = NULL;
    size_t rlen = 0, blen = 0;
    kiln_error *e = block(in, U64(a[0]), "http request", &req, &rlen);
    if (!e && U64(a[1]))
        e = block(in, U64(a[1]), "http request body", &body, &blen);
    if (e)
        return e;
    uint64_t left = kiln_store_time_left_ns(in->store);
    if (!left)
        return kiln_store_limit_error(in->store);
    kn_http_response res = {0};
    e = kn_http_request((const char *)req, rlen, body, blen, in->p->hosts, in->p->nhosts,
                        in->p->max_http_bytes, left == UINT64_MAX ? 0 : left, &res);
    if (e) {
        r[0].of.i64 = 0;
        return e;
    }
    e = keep_response(in, &res, r);
    kn_http_response_free(&res);
    return e;
}

static kiln_error *e_http_status_code(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    r[0].of.i32 = in->http_status;
    return NULL;
}

static kiln_error *e_http_headers(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    const char *j = in->p->http_response_headers ? in->http_headers_json : NULL;
    uint64_t h = 0;
    kiln_error *e = j ? new_block(in, j, strlen(j), &h) : NULL;
    r[0].of.i64 = (int64_t)h;
    return e;
}

static kiln_error *do_log(kn_pinst *in, kiln_log_level level, uint64_t handle)
{
    const kiln_plugin *p = in->p;
    if (level < p->log_level)
        return NULL;
    const uint8_t *msg = NULL;
    size_t len = 0;
    kiln_error *e = block(in, handle, "log message", &msg, &len);
    if (!e && p->log)
        p->log(p->log_ud, level, (const char *)msg, len);
    return e;
}

static kiln_error *e_log_trace(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    return do_log(in, KILN_LOG_TRACE, U64(a[0]));
}
static kiln_error *e_log_debug(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    return do_log(in, KILN_LOG_DEBUG, U64(a[0]));
}
static kiln_error *e_log_info(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    return do_log(in, KILN_LOG_INFO, U64(a[0]));
}
static kiln_error *e_log_warn(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    return do_log(in, KILN_LOG_WARN, U64(a[0]));
}
static kiln_error *e_log_error(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    return do_log(in, KILN_LOG_ERROR, U64(a[0]));
}

/* Extism's numbering (trace 0 .. error 4) is kiln_log_level's; "off" is
 * INT32_MAX, as Extism's SDKs answer, above every level, so a PDK comparing
 * levels logs nothing. */
static kiln_error *e_get_log_level(kn_pinst *in, const kiln_val *a, kiln_val *r)
{
    kiln_log_level l = in->p->log_level;
    r[0].of.i32 = l >= KILN_LOG_OFF ? INT32_MAX : (int32_t)l;
    return NULL;
}

static const kn_env_fn env_fns[] = {
    {"alloc", "I", "I", e_alloc},
    {"free", "I", "", e_free},
    {"length", "I", "I", e_length},
    {"length_unsafe", "I", "I", e_length_unsafe},
    {"load_u8", "I", "i", e_load_u8},
    {"load_u64", "I", "I", e_load_u64},
    {"store_u8", "Ii", "", e_store_u8},
    {"store_u64", "II", "", e_store_u64},
    {"input_offset", "", "I", e_input_offset},
    {"input_length", "", "I", e_input_length},
    {"input_load_u8", "I", "i", e_input_load_u8},
    {"input_load_u64", "I", "I", e_input_load_u64},
    {"output_set", "II", "", e_output_set},
    {"error_set", "I", "", e_error_set},
    {"error_get", "", "I", e_error_get},
    {"memory_bytes", "", "I", e_memory_bytes},
    {"reset", "", "", e_reset},
    {"config_get", "I", "I", e_config_get},
    {"var_get", "I", "I", e_var_get},
    {"var_set", "II", "", e_var_set},
    {"http_request", "II", "I", e_http_request},
    {"http_status_code", "", "i", e_http_status_code},
    {"http_headers", "", "I", e_http_headers},
    {"log_trace", "I", "", e_log_trace},
    {"log_debug", "I", "", e_log_debug},
    {"log_info", "I", "", e_log_info},
    {"log_warn", "I", "", e_log_warn},
    {"log_error", "I", "", e_log_error},
    {"get_log_level", "", "i", e_get_log_level},
};

static const kn_env_fn *env_find(const char *name)
{
    for (size_t i = 0; i < sizeof env_fns / sizeof env_fns[0]; i++)
        if (!strcmp(env_fns[i].name, name))
            return &env_fns[i];
    return NULL;
}

/* ---- Trampolines ------------------------------------------------------------ */

static kn_pinst *inst_of(const kn_binding *b, kiln_caller *c)
{
    return b->inst ? b->inst : kiln_caller_data(c);
}

static kiln_error *env_tramp(kiln_caller *c, void *env, const kiln_val *a, kiln_val *r)
{
    const kn_binding *b = env;
    kn_pinst *in = inst_of(b, c);
    if (!in)
        return kiln_trap_new("extism:host/env: no plugin call in progress");
    return ((const kn_env_fn *)b->what)->fn(in, a, r);
}

static kiln_error *user_tramp(kiln_caller *c, void *env, const kiln_val *a, kiln_val *r)
{
    const kn_binding *b = env;
    kn_pinst *in = inst_of(b, c);
    const kiln_plugin_func *f = b->what;
    if (!in)
        return kiln_trap_new("extism:host/user: no plugin call in progress");
    return f->fn(in, f->env, a, r);
}

static kiln_wasi *wasi_of(void *user_data) { return ((kn_pinst *)user_data)->wasi; }

/* ---- What an import resolves to --------------------------------------------- */

static void env_type(const kn_env_fn *f, kiln_valkind *params, kiln_valkind *results,
                     kiln_functype *t)
{
    size_t np = strlen(f->params), nr = strlen(f->results);
    for (size_t i = 0; i < np; i++)
        params[i] = f->params[i] == 'I' ? KILN_I64 : KILN_I32;
    for (size_t i = 0; i < nr; i++)
        results[i] = f->results[i] == 'I' ? KILN_I64 : KILN_I32;
    *t = (kiln_functype){.nparams = (uint32_t)np, .params = params, .nresults = (uint32_t)nr,
                         .results = results};
}

static const kiln_plugin_func *user_find(const kiln_plugin *p, const char *module,
                                         const char *name)
{
    for (size_t i = 0; i < p->nfuncs; i++) {
        const kiln_plugin_func *f = &p->funcs[i];
        if (!strcmp(f->module ? f->module : KN_USER_MODULE, module) && !strcmp(f->name, name))
            return f;
    }
    return NULL;
}

static bool is_module_name(const kiln_plugin *p, const char *name)
{
    for (size_t i = 0; i < p->nmodules; i++)
        if (i != p->main && !strcmp(p->names[i], name))
            return true;
    return false;
}

static bool same_type(const kiln_functype *a, const kiln_functype *b)
{
    if (a->nparams != b->nparams || a->nresults != b->nresults)
        return false;
    for (uint32_t i = 0; i < a->nparams; i++)
        if (a->params[i] != b->params[i])
            return false;
    for (uint32_t i = 0; i < a->nresults; i++)
        if (a->results[i] != b->results[i])
            return false;
    return true;
}

static kiln_error *check_one(const kiln_plugin *p, const kiln_import_desc *d)
{
    if (is_module_name(p, d->module))
        return NULL;   /* the linker checks it against that module's exports */
    bool func = d->type.kind == KILN_EXTERN_FUNC;
    const kiln_plugin_func *uf = func ? user_find(p, d->module, d->name) : NULL;
    if (uf)
        return same_type(&uf->type, &d->type.func)
                   ? NULL
                   : kiln_error_new(KILN_ERR_LINK, "import %s.%s: the host function has another type",
                                    d->module, d->name);
    if (!strcmp(d->module, KN_ENV_MODULE)) {
        const kn_env_fn *f = func ? env_find(d->name) : NULL;
        if (!f)
            return kiln_error_new(KILN_ERR_LINK, "import %s.%s: no such kernel function",
                                  d->module, d->name);
        kiln_valkind ps[4], rs[2];
        kiln_functype t;
        env_type(f, ps, rs, &t);
        return same_type(&t, &d->type.func)
                   ? NULL
                   : kiln_error_new(KILN_ERR_LINK, "import %s.%s: wrong type for the kernel function",
                                    d->module, d->name);
    }
    if (!strcmp(d->module, KILN_WASI_MODULE) && p->wasi && func)
        return NULL;
    return kiln_error_new(KILN_ERR_LINK, "import %s.%s is not granted to the plugin", d->module,
                          d->name);
}

kiln_error *kn_env_check_imports(const kiln_plugin *p, const kiln_module *m)
{
    size_t n = kiln_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        kiln_import_desc d;
        kiln_module_import(m, i, &d);
        kiln_error *e = check_one(p, &d);
        if (e)
            return e;
    }
    return NULL;
}

/* ---- Defining them ----------------------------------------------------------- */

typedef kiln_error *(*kn_define_fn)(void *to, const char *module, const char *name,
                                    const kiln_functype *t, kiln_host_fn fn, kn_binding *b);

/* Bind every function import of m (WASI aside) to its definition, calling
 * define for each; bindings has room for one per import. */
static kiln_error *define_imports(kiln_plugin *p, kn_pinst *in, const kiln_module *m,
                                  kn_binding *bindings, size_t *nb, kn_define_fn define,
                                  void *to)
{
    size_t n = kiln_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        kiln_import_desc d;
        kiln_module_import(m, i, &d);
        if (d.type.kind != KILN_EXTERN_FUNC)
            continue;
        const kiln_plugin_func *uf = user_find(p, d.module, d.name);
        const kn_env_fn *ef = !uf && !strcmp(d.module, KN_ENV_MODULE) ? env_find(d.name) : NULL;
        if (!uf && !ef)
            continue;
        kn_binding *b = &bindings[(*nb)++];
        *b = (kn_binding){.what = uf ? (const void *)uf : (const void *)ef, .inst = in};
        kiln_valkind ps[4], rs[2];
        kiln_functype t;
        if (ef)
            env_type(ef, ps, rs, &t);
        kiln_error *e = define(to, d.module, d.name, uf ? &uf->type : &t,
                               uf ? user_tramp : env_tramp, b);
        if (e)
            return e;
    }
    return NULL;
}

static bool imports_wasi(const kiln_module *m)
{
    size_t n = kiln_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        kiln_import_desc d;
        kiln_module_import(m, i, &d);
        if (!strcmp(d.module, KILN_WASI_MODULE))
            return true;
    }
    return false;
}

static kiln_error *define_in_builder(void *to, const char *module, const char *name,
                                     const kiln_functype *t, kiln_host_fn fn, kn_binding *b)
{
    return kiln_template_builder_func(to, module, name, t, fn, b, NULL);
}

kiln_error *kn_env_define_template(kiln_plugin *p, const kiln_module *m)
{
    size_t n = kiln_module_import_count(m);
    p->tmpl_bindings = calloc(n ? n : 1, sizeof *p->tmpl_bindings);
    if (!p->tmpl_bindings)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    kiln_error *e = define_imports(p, NULL, m, p->tmpl_bindings, &p->ntmpl_bindings,
                                   define_in_builder, p->builder);
    if (!e && p->wasi && imports_wasi(m))
        e = kiln_wasi_define_template_with(p->builder, wasi_of);
    return e;
}

static kiln_error *define_in_linker(void *to, const char *module, const char *name,
                                    const kiln_functype *t, kiln_host_fn fn, kn_binding *b)
{
    kiln_linker *l = to;
    kiln_func *f;
    kiln_error *e = kiln_func_new(b->inst->store, t, fn, b, NULL, &f);
    return e ? e : kiln_linker_define_func(l, module, name, f);
}

kiln_error *kn_env_define_linker(kn_pinst *in, kiln_linker *l)
{
    kiln_plugin *p = in->p;
    size_t total = 0;
    for (size_t i = 0; i < p->nmodules; i++)
        total += kiln_module_import_count(p->modules[i]);
    in->bindings = calloc(total ? total : 1, sizeof *in->bindings);
    if (!in->bindings)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    size_t nb = 0;
    for (size_t i = 0; i < p->nmodules; i++) {
        kiln_error *e = define_imports(p, in, p->modules[i], in->bindings, &nb,
                                       define_in_linker, l);
        if (e)
            return e;
    }
    if (p->wasi && in->wasi)
        return kiln_wasi_define(in->wasi, in->store, l);
    return NULL;
}
