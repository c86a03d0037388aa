/*
 * manifest.h — what `kiln serve` runs: a Spin manifest v2 (spin.toml), or a
 * bare module, turned into a plain C description of the application.
 *
 * kn_app_load reads a spin.toml the way Spin does, so that a Spin WAGI app
 * runs unchanged: `spin_manifest_version = 2`, [application],
 * [[trigger.http]] with `route` (a string or `{ private = true }`),
 * `component` (an id, or an inline component table, named as Spin names
 * it) and `executor = { type = "wagi", argv, entrypoint }`, and
 * [component.ID] with `source`, `files`, `exclude_files`, `environment`
 * and `allowed_outbound_hosts`.  What Spin knows and kiln does not do yet
 * (the "http"/"spin" executor, variables, key-value stores, SQLite, AI
 * models, dependencies, other trigger types, registry and http(s) sources)
 * is an error that says so; an unknown key is an error; every error names
 * FILE:LINE:COL.  Duplicate routes are not errors (the later one wins, as
 * in Spin) but warnings that the server should log.
 *
 * kiln's own settings live in the component's `tool.kiln` table (Spin
 * ignores `tool.*`, so the manifest still runs under Spin) or, shorter, in
 * a `kiln` table (which Spin rejects); see kn_component_limits.
 *
 * Everything is read and checked at load: each component's Wasm bytes
 * (with their SHA-256 digest when the manifest gives one) and its files.
 * Files named by glob patterns are copied into a private staging
 * directory, which kn_app_free removes; a directory granted whole is
 * granted in place.  A load that fails leaves nothing behind, so a failed
 * reload cannot disturb a running app.  Nothing here prints or keeps global
 * state; an app is immutable once loaded and may be read by any thread.
 */
#ifndef KN_SERVE_MANIFEST_H
#define KN_SERVE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "route.h"

/* Defaults and bounds of the [component.ID.tool.kiln] settings. */
#define KN_DEFAULT_MAX_MEMORY (128ull << 20)  /* bytes of each linear memory */
#define KN_DEFAULT_TIMEOUT_MS 30000ull        /* wall clock per request */
#define KN_DEFAULT_MAX_CONCURRENCY 64u        /* instances running at once */
#define KN_DEFAULT_MAX_BODY (16ull << 20)     /* request body bytes */
#define KN_DEFAULT_POOL 4u                    /* pre-made instances kept */
#define KN_MAX_MAX_MEMORY (4ull << 30)        /* what wasm32 can address */
#define KN_MAX_TIMEOUT_MS (24ull * 3600 * 1000)
#define KN_MAX_CONCURRENCY 10000u
#define KN_MAX_MAX_BODY (4ull << 30)

/* A host directory the guest sees, read-only, at guest_path. */
typedef struct kn_dir_grant {
    char *host_path; /* absolute */
    char *guest_path; /* absolute, normalized ("/", "/static") */
} kn_dir_grant;

/* [component.ID.tool.kiln]:
 *   max_memory       bytes (integer) or "64K" / "128M" / "1G" (also "MiB"
 *                    style); 64 KiB .. 4 GiB
 *   fuel             integer >= 1; absent: unlimited (0 here)
 *   timeout          "30s", "500ms", "2m" or integer milliseconds;
 *                    1 ms .. 24 h
 *   max_concurrency  1 .. 10000: requests served at once by the component;
 *                    a fixed default rather than one derived from the
 *                    number of cores, so an app behaves the same anywhere
 *   max_body         bytes, as max_memory; 1 .. 4 GiB
 *   pool             0 .. max_concurrency instances kept ready (0: none);
 *                    the default is min(4, max_concurrency) */
typedef struct kn_component_limits {
    uint64_t max_memory;
    uint64_t fuel;
    uint64_t timeout_ms;
    uint32_t max_concurrency;
    uint64_t max_body;
    uint32_t pool;
} kn_component_limits;

typedef struct kn_component {
    char *id;
    char *source_path; /* absolute path the Wasm was read from */
    uint8_t *wasm;     /* its bytes, digest checked when one was given */
    size_t wasm_len;
    kn_dir_grant *dirs; /* the directories granted in place, in manifest
                           order, or just the staging dir at "/" */
    size_t ndirs;
    char **env_names, **env_values; /* `environment`, in manifest order */
    size_t nenv;
    char **allowed_outbound_hosts; /* recorded only: kiln has no outbound yet */
    size_t nhosts;
    kn_component_limits limits;
    char *staging_dir; /* copies of the glob-matched files, or NULL */
} kn_component;

typedef struct kn_trigger {
    char *id;         /* as written, or the id Spin would generate */
    char *route;      /* as written; NULL when private */
    int private_;     /* `route = { private = true }`: reachable by no URL */
    size_t component; /* index into kn_app.components */
    char *argv;       /* the WAGI argv template (KN_WAGI_DEFAULT_ARGV) */
    char *entrypoint; /* the export to call ("_start") */
    uint32_t line, column; /* where the trigger was written (0 for a bare module) */
} kn_trigger;

typedef struct kn_app {
    char *path; /* the manifest (or module) as given */
    char *dir;  /* absolute: the directory every relative path is under */
    char *name, *version, *description;
    char **authors;
    size_t nauthors;
    char *base; /* [application.trigger.http] base; "/" when absent */
    kn_component *components;
    size_t ncomponents;
    kn_trigger *triggers;
    size_t ntriggers;
    char **warnings; /* "FILE:LINE:COL: ..." for the server to log */
    size_t nwarnings;
    char *staging_root; /* parent of the components' staging dirs, or NULL */
} kn_app;

/* Loads the Spin manifest at MANIFEST_PATH.  Returns 0 and a new app in
 * *OUT, or -1 with one message in ERR (the first problem found, as
 * "FILE:LINE:COL: ...") and *OUT untouched. */
int kn_app_load(const char *manifest_path, kn_app **out, char *err, size_t errlen);

/* The app `kiln serve handler.wasm` runs: one component "main" for every
 * path (route "/..."), WAGI with the default argv and "_start", default
 * limits, no files, no environment. */
int kn_app_from_module(const char *wasm_path, kn_app **out, char *err, size_t errlen);

/* Frees APP and removes its staging directory.  NULL is fine. */
void kn_app_free(kn_app *app);

/* A router over APP's public routes (base included), where a match's id is
 * the trigger's index in APP->triggers.  NULL with a message in ERR if out
 * of memory (a loaded app's routes are known to be valid). */
kn_router *kn_app_router(const kn_app *app, char *err, size_t errlen);

#endif
