/*
 * plugin_impl.h — the plugin host's internal objects, shared by env.c (the
 * extism:host/env imports and the embedder's host functions), plugin.c
 * (load and import checks), pool.c (instances), call.c (a call), cancel.c,
 * vars.c and ctx.c.
 *
 * A kiln_plugin owns its compiled modules, a copy of the grants it needs
 * at run time (config, hosts, caps) and a pool of instances.  An instance
 * (struct kiln_plugin_ctx, which is also what an embedder's host function
 * sees as its ctx) is one guest: a store with the main module instantiated
 * -- a slot of the plugin's kiln_template for a one-module plugin, or a
 * store of its own linked by name for a multi-module one -- plus its
 * kernel memory and, when WASI is granted, its kiln_wasi.  An instance is
 * used by one call at a time: everything in it is touched only by the
 * thread running that call, except `store` for kiln_store_interrupt.
 *
 * Host functions find their instance through a kn_binding: `inst` is set
 * for a linked store's own functions, and NULL for a template's, which
 * serve every slot and take the instance from kiln_caller_data.
 */
#ifndef KN_PLUGIN_IMPL_H
#define KN_PLUGIN_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "kiln.h"
#include "kiln_plugin.h"
#include "kiln_wasi.h"
#include "manifest.h"

#define KN_ENV_MODULE "extism:host/env"
#define KN_USER_MODULE "extism:host/user"
/* A WASI plugin's captured stdout and stderr, each; an instance that has
 * written half of it is replaced after the call, so writes never fail. */
#define KN_WASI_STDIO_CAP (1u << 20)

typedef struct kiln_plugin_ctx kn_pinst;

typedef struct kn_binding {
    const void *what;     /* const kn_env_fn * or const kiln_plugin_func * */
    kn_pinst *inst;       /* NULL: kiln_caller_data */
} kn_binding;

typedef struct kn_var {
    char *key;
    uint8_t *value;
    size_t key_len, len;
} kn_var;

typedef struct kn_stats {
    atomic_uint_fast64_t calls, errors, plugin_errors, traps, limit_fuel, limit_timeout,
        limit_memory, cancelled, guest_ticks, fuel_used;
    atomic_int_fast64_t memory_bytes;
} kn_stats;

struct kiln_plugin {
    kiln_engine *engine;
    kiln_module **modules;        /* manifest order */
    char **names;
    size_t nmodules, main;
    kiln_template_builder *builder;  /* one-module plugins */
    kiln_template *tmpl;
    kn_binding *tmpl_bindings;    /* the builder's envs */
    size_t ntmpl_bindings;

    /* grants, copied */
    kiln_plugin_func *funcs;
    size_t nfuncs;
    bool wasi;
    kiln_wasi_config *wasi_cfg;
    kiln_log_level log_level;
    bool http_response_headers;
    kiln_plugin_log_fn log;
    void *log_ud;
    uint64_t fuel;
    uint32_t max_instances;
    kn_pm_kv *config;
    size_t nconfig;
    char **hosts;
    size_t nhosts;
    uint64_t max_pages;           /* KN_PM_NO_LIMIT: none */
    uint64_t max_http_bytes;
    uint64_t max_var_bytes;
    uint64_t timeout_ms;

    pthread_mutex_t vars_lock;
    kn_var *vars;
    size_t nvars, vars_cap;

    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;
    kn_pinst *free_list;
    uint32_t ninst, nbusy;        /* under pool_lock */
    atomic_uint refs;             /* the owner's 1 + calls running */

    kn_stats stats;
    uint64_t born_ns, born_ticks;  /* for converting guest_ticks */
};

struct kiln_plugin_ctx {
    kiln_plugin *p;
    kiln_store *store;
    kiln_instance *inst;
    kn_kernel *kernel;
    kiln_wasi *wasi;
    kn_binding *bindings;         /* linked stores only */
    kn_pinst *next;               /* free list */
    uint64_t timeout_ns;          /* the store's, fixed when it was made */
    uint64_t mem_counted;         /* what stats.memory_bytes holds for it */
    kiln_func *entry;             /* the cancellable entry, made on demand */
    bool inited;                  /* the guest runtime's init has run */
    size_t out_logged, err_logged;  /* captured stdio already logged */

    /* the call in progress */
    void *user_data;
    kiln_func *target;
    kiln_plugin_cancel *cancel;
    kn_pinst *cancel_prev, *cancel_next;
    int http_status;
    uint64_t http_headers;        /* kernel handle of the last headers JSON */
    char *http_headers_json;
    bool kernel_full;             /* an alloc hit the kernel cap */
};

/* env.c */
kiln_error *kn_env_define_template(kiln_plugin *p, const kiln_module *m);
kiln_error *kn_env_define_linker(kn_pinst *in, kiln_linker *l);
/* KILN_ERR_LINK naming the first import of m that nothing grants. */
kiln_error *kn_env_check_imports(const kiln_plugin *p, const kiln_module *m);

/* pool.c */
kiln_error *kn_pool_take(kiln_plugin *p, uint64_t timeout_ns, kn_pinst **out);
void kn_pool_give(kiln_plugin *p, kn_pinst *in);
void kn_pool_discard(kiln_plugin *p, kn_pinst *in);
void kn_pool_free_all(kiln_plugin *p);
void kn_pinst_account_memory(kn_pinst *in);

/* cancel.c */
bool kn_cancel_enter(kiln_plugin_cancel *c, kn_pinst *in);
void kn_cancel_leave(kiln_plugin_cancel *c, kn_pinst *in);
bool kn_cancel_fired(const kiln_plugin_cancel *c);

/* vars.c */
void kn_vars_free(kiln_plugin *p);
/* var_set as the plugin does it: value NULL removes. */
kiln_error *kn_vars_set(kiln_plugin *p, const uint8_t *key, size_t key_len,
                        const uint8_t *value, size_t len);
/* Copy a var into a new kernel block: *handle 0 when unset. */
kiln_error *kn_vars_get_into(kiln_plugin *p, const uint8_t *key, size_t key_len,
                             kn_kernel *k, uint64_t *handle);

/* call.c: CLOCK_MONOTONIC, and the cheap tick counter of guest_ticks */
uint64_t kn_plugin_now_ns(void);
uint64_t kn_ticks(void);

/* plugin.c */
void kn_plugin_unref(kiln_plugin *p);

#endif
