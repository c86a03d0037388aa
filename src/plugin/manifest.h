/*
 * manifest.h — the parsed Extism manifest behind kiln_plugin_manifest, as
 * the rest of src/plugin reads it.  Everything is owned by the manifest
 * and immutable after parsing (the kiln_plugin_manifest_set_* / allow_*
 * calls of kiln_plugin.h are the only writers, before any plugin is made
 * from it).  Module bytes are in memory, already hash-checked.
 */
#ifndef KN_PLUGIN_MANIFEST_H
#define KN_PLUGIN_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_plugin.h"

typedef struct kn_pm_wasm {
    char *name;          /* never NULL, unique; exactly one module is
                            "main" (the plugin; the others are linked to it
                            by name): Extism's naming, see manifest.c */
    uint8_t *bytes;
    size_t len;
    uint8_t sha256[32];  /* of bytes, computed whether or not a hash was given */
} kn_pm_wasm;

typedef struct kn_pm_kv {
    char *key;
    char *value;
} kn_pm_kv;

typedef struct kn_pm_path {
    char *host;          /* the host directory, as given (relative paths
                            resolved against the manifest's directory) */
    char *guest;         /* where the plugin sees it */
    bool read_only;      /* "ro:" prefix */
} kn_pm_path;

#define KN_PM_NO_LIMIT UINT64_MAX

struct kiln_plugin_manifest {
    kn_pm_wasm *wasm;
    size_t nwasm;
    uint64_t max_pages;               /* KN_PM_NO_LIMIT if not given */
    uint64_t max_http_response_bytes; /* KN_PM_NO_LIMIT if not given */
    uint64_t max_var_bytes;           /* 1 MiB (Extism's default) if not given */
    kn_pm_kv *config;
    size_t nconfig;
    char **allowed_hosts;             /* patterns: "host", "*.suffix", "*" */
    size_t nallowed_hosts;
    bool hosts_given;                 /* allowed_hosts present (even empty) */
    kn_pm_path *allowed_paths;
    size_t nallowed_paths;
    uint64_t timeout_ms;              /* 0: none */
};

/* The config value for key, or NULL. */
const char *kn_pm_config(const kiln_plugin_manifest *m, const char *key);

/* kiln_plugin_manifest_parse, except that with files false a wasm entry
 * naming a file is refused without touching the file system (the fuzz
 * target uses this). */
kiln_error *kn_pm_parse(const char *json, size_t len, const char *base_dir, bool files,
                        kiln_plugin_manifest **out);

#endif
