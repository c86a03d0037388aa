/*
 * kiln_plugin.h — the plugin host: run Extism-ABI plugins, with
 * capabilities granted per plugin, limits, a pool of instances for
 * concurrent calls, and a registry of versions with canaries, promotion,
 * rollback and hot reload.
 *
 * A plugin is a Wasm module (or several, linked by name) that exports
 * functions of type () -> i32 or () -> () and talks to its host through
 * the Extism kernel, the imports of module "extism:host/env": a kernel
 * memory separate from the plugin's linear memory, addressed by i64
 * handles (0 is null), holding the call's input, its output, its error
 * and whatever the plugin allocates there.  kiln implements that kernel
 * natively, with the semantics of Extism's runtime and kernel, so plugins
 * built with any Extism PDK run unchanged.
 *
 * The objects and their lifetimes:
 *
 *   kiln_plugin_manifest  a parsed Extism manifest (JSON): the modules,
 *                         memory caps, config, allowed hosts and paths,
 *                         timeout.  Immutable; the plugin copies what it
 *                         needs, so it may be freed after kiln_plugin_new.
 *   kiln_plugin           one loaded plugin version: its modules compiled,
 *                         its imports checked against its grants, and a
 *                         pool of instances.  Thread-safe: many threads
 *                         may call it at once; each call runs in an
 *                         instance no other call is using.  Guest state
 *                         (linear memory, globals) lives on in an instance
 *                         from one call to the next, as in Extism; vars
 *                         and config belong to the plugin and are shared by
 *                         all its instances.  An instance whose call
 *                         trapped or hit a limit is thrown away.
 *   kiln_plugin_ctx       the call in progress, as seen by a host function
 *                         of the embedder: its kernel memory.  Valid only
 *                         during that host function's call.
 *   kiln_plugin_cancel    a token that cancels the calls it is given to,
 *                         from any thread.
 *   kiln_plugin_registry  names -> versions of plugins, with a stable
 *                         version, an optional canary taking a share of
 *                         calls, promotion, rollback and a watched
 *                         directory.  Thread-safe.
 *
 * Ownership and errors follow kiln.h: _new hands ownership to the caller,
 * every _free accepts NULL, errors are values, and the library never
 * prints (log lines go to the embedder's callback).
 *
 * Capabilities are denied by default: a plugin gets only the host
 * functions, WASI, hosts, paths and config it is granted by its manifest or
 * its options.  An import that nothing grants fails kiln_plugin_new with
 * KILN_ERR_LINK naming it.
 */
#ifndef KILN_PLUGIN_H
#define KILN_PLUGIN_H

#include "kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_plugin_manifest kiln_plugin_manifest;
typedef struct kiln_plugin kiln_plugin;
typedef struct kiln_plugin_ctx kiln_plugin_ctx;
typedef struct kiln_plugin_cancel kiln_plugin_cancel;
typedef struct kiln_plugin_registry kiln_plugin_registry;

/* ---- Manifest ---------------------------------------------------------- */

/* Parse an Extism manifest:
 *   { "wasm": [ {"path": "...", "hash": "<sha256 hex>", "name": "main"}
 *             | {"data": "<base64>", "hash": ..., "name": ...}
 *             | {"url": ...} (refused: kiln fetches nothing) ],
 *     "memory": { "max_pages": N, "max_http_response_bytes": N,
 *                 "max_var_bytes": N },
 *     "config": { "key": "value", ... },
 *     "allowed_hosts": [ "example.com", "*.example.com", ... ],
 *     "allowed_paths": { "host/dir": "/guest/dir", "ro:host": "/g" },
 *     "timeout_ms": N }
 * Relative paths are relative to base_dir (NULL: the current directory).
 * Unknown or mistyped fields, bad hashes and unreadable modules are
 * KILN_ERR_ARG errors naming the field ("wasm[1].hash: ...").  The module
 * files are read and their hashes checked here. */
KILN_API kiln_error *kiln_plugin_manifest_parse(const char *json, size_t len,
                                                const char *base_dir,
                                                kiln_plugin_manifest **out);
/* Read and parse a manifest file (base_dir is the file's directory), or,
 * if the file is a Wasm binary, make the one-module manifest for it. */
KILN_API kiln_error *kiln_plugin_manifest_load(const char *path, kiln_plugin_manifest **out);
/* A one-module manifest for bytes (copied), with no grants. */
KILN_API kiln_error *kiln_plugin_manifest_from_wasm(const uint8_t *bytes, size_t len,
                                                    kiln_plugin_manifest **out);
KILN_API void kiln_plugin_manifest_free(kiln_plugin_manifest *m);

/* Grants the embedder adds to a manifest's own (the CLI's --config,
 * --allow-host, --allow-path).  host_path is a host directory; guest_path
 * may be NULL for the same path; read_only as Extism's "ro:" prefix. */
KILN_API kiln_error *kiln_plugin_manifest_set_config(kiln_plugin_manifest *m, const char *key,
                                                     const char *value);
KILN_API kiln_error *kiln_plugin_manifest_allow_host(kiln_plugin_manifest *m,
                                                     const char *pattern);
KILN_API kiln_error *kiln_plugin_manifest_allow_path(kiln_plugin_manifest *m,
                                                     const char *host_path,
                                                     const char *guest_path, bool read_only);
/* Override the manifest's timeout (0 = none) and memory cap in pages. */
KILN_API void kiln_plugin_manifest_set_timeout_ms(kiln_plugin_manifest *m, uint64_t ms);
KILN_API void kiln_plugin_manifest_set_max_pages(kiln_plugin_manifest *m, uint32_t pages);

/* ---- Host functions of the embedder ------------------------------------ */

/* A host function a plugin imports, by default from "extism:host/user".
 * Values are passed as in kiln.h; kernel-memory handles are i64.  Return
 * NULL, or an error to trap the call (kiln_trap_new). */
typedef kiln_error *(*kiln_plugin_host_fn)(kiln_plugin_ctx *ctx, void *env,
                                           const kiln_val *args, kiln_val *results);

typedef struct kiln_plugin_func {
    const char *module;     /* NULL: "extism:host/user" */
    const char *name;
    kiln_functype type;
    kiln_plugin_host_fn fn;
    void *env;              /* passed to fn, from any thread */
} kiln_plugin_func;

/* The bytes of the kernel block at handle, or NULL (len 0) if handle is
 * not the start of a live block.  Valid until the plugin frees the block
 * or the call ends. */
KILN_API uint8_t *kiln_plugin_ctx_block(kiln_plugin_ctx *ctx, uint64_t handle, uint64_t *len);
/* Copy len bytes into a new kernel block; its handle goes to *handle (the
 * plugin owns the block, as with the kernel's alloc). */
KILN_API kiln_error *kiln_plugin_ctx_alloc(kiln_plugin_ctx *ctx, const void *bytes, uint64_t len,
                                           uint64_t *handle);
KILN_API void kiln_plugin_ctx_free(kiln_plugin_ctx *ctx, uint64_t handle);
/* The user_data given to the call (kiln_plugin_call_opts). */
KILN_API void *kiln_plugin_ctx_user_data(kiln_plugin_ctx *ctx);

/* ---- Plugins ----------------------------------------------------------- */

typedef enum kiln_log_level {
    KILN_LOG_TRACE = 0, KILN_LOG_DEBUG, KILN_LOG_INFO, KILN_LOG_WARN, KILN_LOG_ERROR,
    KILN_LOG_OFF
} kiln_log_level;

/* A log line from the plugin (log_* kernel functions at or above the
 * level), not NUL-terminated.  Called on the calling thread. */
typedef void (*kiln_plugin_log_fn)(void *ud, kiln_log_level level, const char *msg, size_t len);

typedef struct kiln_plugin_options {
    const kiln_plugin_func *funcs;  /* granted host functions (copied) */
    size_t nfuncs;
    bool wasi;                      /* grant wasi_snapshot_preview1: args,
                                       env, clocks, random, stdout/stderr to
                                       the log, and the manifest's
                                       allowed_paths; nothing else */
    kiln_log_level log_level;       /* 0 (TRACE) if zeroed; use KILN_LOG_OFF */
    kiln_plugin_log_fn log;         /* NULL: log lines are dropped */
    void *log_ud;
    uint64_t fuel;                  /* per call; 0 = unlimited */
    uint32_t max_instances;         /* concurrent calls; 0 = 64.  A call
                                       finding all busy waits for one. */
    bool http_response_headers;     /* let http_headers return the last
                                       response's headers (Extism's
                                       allow_http_response_headers); off,
                                       it returns 0 */
} kiln_plugin_options;

/* Compile the manifest's modules (the last one, or the one named "main",
 * is the plugin; the others are linked to it by name), check every import
 * against the grants and make the pool (no instance yet).  options may be
 * NULL.  engine must outlive the plugin. */
KILN_API kiln_error *kiln_plugin_new(kiln_engine *engine, const kiln_plugin_manifest *m,
                                     const kiln_plugin_options *options, kiln_plugin **out);
/* Waits for nothing: the plugin is freed when its last call returns.  No
 * new call may start once this is called. */
KILN_API void kiln_plugin_free(kiln_plugin *p);

/* Does the plugin export a function of that name (of an Extism type)? */
KILN_API bool kiln_plugin_has_function(const kiln_plugin *p, const char *name);

typedef struct kiln_plugin_call_opts {
    kiln_plugin_cancel *cancel;     /* NULL: not cancellable by token */
    void *user_data;                /* for host functions */
    uint64_t fuel;                  /* 0: the plugin's */
    uint64_t timeout_ms;            /* 0: the manifest's */
} kiln_plugin_call_opts;

/* Call func with input.  On success *output (malloc'd; free with free(),
 * NULL when empty) and *output_len hold what the plugin set with
 * output_set.  A function returning non-zero is an error of kind
 * KILN_ERR_PLUGIN whose message is the plugin's error_set text (or "plugin
 * returned N" without one); as in Extism, a non-empty error_set text fails
 * the call even when the function returns 0.  Traps and limits are as in
 * kiln.h; a function that is missing or not of an Extism type is
 * KILN_ERR_ARG.  A timeout_ms other than the one an idle instance was made
 * with replaces that instance (the deadline is fixed when a store is
 * made), so its guest state starts afresh.  opts may be NULL. */
KILN_API kiln_error *kiln_plugin_call(kiln_plugin *p, const char *func, const void *input,
                                      size_t input_len, const kiln_plugin_call_opts *opts,
                                      uint8_t **output, size_t *output_len);

/* Vars (persist across calls, shared by the plugin's instances) and
 * config as the plugin sees them. */
KILN_API kiln_error *kiln_plugin_var_set(kiln_plugin *p, const char *key, const void *value,
                                         size_t len);
/* *value is malloc'd (free it); false if the var is not set. */
KILN_API bool kiln_plugin_var_get(kiln_plugin *p, const char *key, uint8_t **value, size_t *len);

/* A cancel token: kiln_plugin_cancel_fire stops every call running with
 * it (KILN_ERR_LIMIT, KILN_TRAP_INTERRUPT) and fails every later call
 * given it, until kiln_plugin_cancel_reset.  Safe from any thread. */
KILN_API kiln_error *kiln_plugin_cancel_new(kiln_plugin_cancel **out);
KILN_API void kiln_plugin_cancel_fire(kiln_plugin_cancel *c);
KILN_API void kiln_plugin_cancel_reset(kiln_plugin_cancel *c);
/* Free after every call given the token has returned. */
KILN_API void kiln_plugin_cancel_free(kiln_plugin_cancel *c);

typedef struct kiln_plugin_stats {
    uint64_t calls;            /* calls that ran (started) */
    uint64_t errors;           /* calls that returned an error, any kind */
    uint64_t plugin_errors;    /* ... of them: the plugin's own (non-zero) */
    uint64_t traps;            /* ... traps (KILN_ERR_TRAP) */
    uint64_t limit_fuel;       /* ... limits, by kind */
    uint64_t limit_timeout;
    uint64_t limit_memory;     /* memory or kernel memory cap reached */
    uint64_t cancelled;
    uint64_t guest_ns;         /* wall time inside calls */
    uint64_t fuel_used;        /* only counted when fuel is limited */
    uint64_t memory_bytes;     /* linear + kernel memory of live instances */
    uint32_t instances;        /* instances made and alive */
    uint32_t busy;             /* ... of them running a call now */
} kiln_plugin_stats;

KILN_API void kiln_plugin_get_stats(const kiln_plugin *p, kiln_plugin_stats *out);

/* ---- Registry: versions, canary, promotion, rollback, hot reload ------- */

/* A registry loads plugins with one engine and one set of options
 * (both must outlive it).  Each name has a stable version and optionally
 * a canary; calls go to the canary in `percent` of cases (by a hash of
 * the call key when one is given, so one key always lands on the same
 * version; by a counter otherwise).  A call holds its version until it
 * returns, so a version that is replaced is freed when its last call
 * returns; no call is dropped or answered twice. */
KILN_API kiln_error *kiln_plugin_registry_new(kiln_engine *engine,
                                              const kiln_plugin_options *options,
                                              kiln_plugin_registry **out);
/* Stops the watcher and frees every version (after their calls return). */
KILN_API void kiln_plugin_registry_free(kiln_plugin_registry *r);

/* Load a manifest as (name, version): compile it and, if self_test is not
 * NULL, call that export with empty input and refuse the version unless it
 * succeeds.  A refused version changes nothing.  The first version of a
 * name becomes stable; later ones are only loaded until promoted or made
 * canary.  A version string already loaded for the name is refused. */
KILN_API kiln_error *kiln_plugin_registry_load(kiln_plugin_registry *r, const char *name,
                                               const char *version,
                                               const kiln_plugin_manifest *m,
                                               const char *self_test);
/* Route percent (0..100) of the name's calls to version (0 ends the
 * canary). */
KILN_API kiln_error *kiln_plugin_registry_canary(kiln_plugin_registry *r, const char *name,
                                                 const char *version, unsigned percent);
/* Make version stable (ending any canary); the previous stable version is
 * kept for rollback. */
KILN_API kiln_error *kiln_plugin_registry_promote(kiln_plugin_registry *r, const char *name,
                                                  const char *version);
/* Make the previous stable version stable again and end any canary.  The
 * version rolled back from stays loaded; a second rollback needs a
 * promotion in between. */
KILN_API kiln_error *kiln_plugin_registry_rollback(kiln_plugin_registry *r, const char *name);
/* Unload a version that is neither stable nor canary. */
KILN_API kiln_error *kiln_plugin_registry_unload(kiln_plugin_registry *r, const char *name,
                                                 const char *version);

/* Call name's func as kiln_plugin_call does.  key/key_len pick the canary
 * share deterministically (NULL: round robin).  *version (may be NULL)
 * receives the version that answered, valid until the registry is freed
 * (even if that version is unloaded while the call runs: the registry
 * keeps one copy of each version string it has loaded). */
KILN_API kiln_error *kiln_plugin_registry_call(kiln_plugin_registry *r, const char *name,
                                               const char *func, const void *key, size_t key_len,
                                               const void *input, size_t input_len,
                                               const kiln_plugin_call_opts *opts,
                                               uint8_t **output, size_t *output_len,
                                               const char **version);

/* Watch dir (inotify, on a thread of the registry's): each NAME.wasm or
 * NAME.json written there (atomically renamed in, or closed after
 * writing) is verified, loaded as a new version of NAME (version string:
 * its sha256, short) with self_test as above, and promoted; a file that
 * fails is refused and the running version keeps serving.  Files already
 * there are loaded first.  Events (loaded, refused, with the reason) go to
 * the registry's log callback at INFO/WARN level.  One directory per
 * registry. */
KILN_API kiln_error *kiln_plugin_registry_watch(kiln_plugin_registry *r, const char *dir,
                                                const char *self_test);

/* The stats of one version; false if (name, version) is not loaded.
 * version NULL: the stable one. */
KILN_API bool kiln_plugin_registry_stats(kiln_plugin_registry *r, const char *name,
                                         const char *version, kiln_plugin_stats *out);

#ifdef __cplusplus
}
#endif
#endif
