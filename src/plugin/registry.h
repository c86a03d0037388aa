/*
 * registry.h — what the directory watcher (watch.c) needs from the
 * registry (registry.c) beyond the public kiln_plugin_registry_* calls:
 * the registry's log callback, its watcher slot, and the pruning of the
 * versions the watcher loaded and no longer needs.  Also two counters the
 * registry's tests read to see that a replaced version was really freed.
 */
#ifndef KN_PLUGIN_REGISTRY_H
#define KN_PLUGIN_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln_plugin.h"

typedef struct kn_watch kn_watch;

/* A log line through the registry's options (level-filtered); printf-like. */
void kn_registry_log(kiln_plugin_registry *r, kiln_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Load as kiln_plugin_registry_load, marking the version as the watcher's
 * (only those are pruned); *existed tells a version string already loaded
 * apart from a real failure (then NULL is returned and nothing changes). */
kiln_error *kn_registry_load_watched(kiln_plugin_registry *r, const char *name,
                                     const char *version, const kiln_plugin_manifest *m,
                                     const char *self_test, bool *existed);
/* The stable version of name (interned: valid until the registry is
 * freed), or NULL. */
const char *kn_registry_stable(kiln_plugin_registry *r, const char *name);
/* Unload the watcher's versions of name that are neither stable, the
 * previous stable, nor canary. */
void kn_registry_prune_watched(kiln_plugin_registry *r, const char *name);

/* The registry's one watcher: claimed under the registry's lock (false if
 * one is already there); NULL gives the slot back after a failed start.
 * kiln_plugin_registry_free stops whatever is there. */
bool kn_registry_set_watch(kiln_plugin_registry *r, kn_watch *w);
/* Stop the watcher's thread and free it (watch.c). */
void kn_watch_stop(kn_watch *w);

/* For tests: versions freed so far, and versions still allocated (loaded
 * or unloaded with calls still running). */
uint64_t kn_registry_versions_freed(kiln_plugin_registry *r);
uint64_t kn_registry_versions_alive(kiln_plugin_registry *r);

#endif
