/*
 * metrics.h — the Prometheus metrics of `kiln serve`: a registry that
 * worker and guest-runner threads update on every request, and that the
 * admin listener renders in the text exposition format (version 0.0.4).
 *
 * Lifetime: the server registers each component and each (component,
 * route) pair when it loads a manifest; kn_metrics_component and
 * kn_metrics_route find the existing entry by name, so a reload keeps the
 * counters of everything that stays.  Entries are never freed before
 * kn_metrics_free, so a handle taken by a request of the old app stays
 * valid while that request finishes, and a render running during a reload
 * sees either the old or the new list, never a torn one.  Entries of
 * components a reload dropped are still rendered (counters must not go
 * backwards if the component comes back; their gauges return to 0 as the
 * old instances are freed).
 *
 * Hot path: every update takes a SHARD hint, any unsigned value (a worker
 * index is ideal).  Each entry keeps one cache-line-aligned cell per shard
 * and updates it with a relaxed atomic add, so any hint is correct and two
 * threads with different hints never touch the same cache line.  There is
 * no lock on the update path.
 *
 * Durations are in nanoseconds (uint64_t) and rendered in seconds.
 *
 * kiln_guest_memory_bytes is a histogram, not a gauge: with an instance
 * per request, a gauge would hold whichever request of whichever thread
 * ended last, a sample nobody can aggregate; the histogram gives the
 * distribution (buckets 64 KiB .. 4 GiB by factors of 4) and, with _sum
 * and _count, the mean, per component.
 */
#ifndef KN_SERVE_METRICS_H
#define KN_SERVE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/* What /metrics answers with. */
#define KN_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct kn_metrics kn_metrics;
typedef struct kn_metrics_component kn_metrics_component;
typedef struct kn_metrics_route kn_metrics_route;

/* Limits that stop a guest (kiln_guest_limits_total{kind}). */
typedef enum kn_limit_kind {
    KN_LIMIT_FUEL,
    KN_LIMIT_DEADLINE,
    KN_LIMIT_MEMORY, /* the store's memory cap refused a grow */
    KN_LIMIT_INTERRUPT,
    KN_LIMIT_COUNT_
} kn_limit_kind;

/* A registry with NSHARDS cells per entry (1..64; 0 means 1; the server
 * passes its number of threads that update).  NULL when out of memory. */
kn_metrics *kn_metrics_new(unsigned nshards);
void kn_metrics_free(kn_metrics *m);

/* ---- registration (load and reload; takes a mutex) ---------------------- */

/* The entry for component NAME, created on first use; NULL only when out
 * of memory.  Valid until kn_metrics_free. */
kn_metrics_component *kn_metrics_component_get(kn_metrics *m, const char *name);
/* The entry for ROUTE (the manifest's pattern, e.g. "/hello/...") served by
 * C; NULL only when out of memory.  Valid until kn_metrics_free. */
kn_metrics_route *kn_metrics_route_get(kn_metrics *m, kn_metrics_component *c,
                                       const char *route);
/* kiln_app_info{name,version} 1; the strings are copied.  -1 when out of
 * memory (the old values stay). */
int kn_metrics_set_app(kn_metrics *m, const char *name, const char *version);

/* ---- updates (any thread, lock-free) ------------------------------------ */

/* A request answered through R: kiln_http_requests_total{status} and
 * kiln_http_request_duration_seconds.  Each route counts up to 32 distinct
 * statuses; more (a handler can send any code 100..999) are counted as
 * status="other", which keeps the number of series bounded. */
void kn_metrics_request(kn_metrics_route *r, unsigned shard, int status, uint64_t ns);

/* One guest run of C ended: its time inside the guest, the fuel it
 * consumed, and its linear memory size at the end. */
void kn_metrics_guest(kn_metrics_component *c, unsigned shard, uint64_t ns, uint64_t fuel,
                      uint64_t memory_bytes);
/* The guest trapped with CODE: fuel, deadline and interrupt count as
 * limits (kiln_guest_limits_total), KILN_TRAP_NONE and KILN_TRAP_EXIT (a
 * WASI exit is how commands end) not at all, everything else as a trap. */
void kn_metrics_trap(kn_metrics_component *c, unsigned shard, kiln_trap_code code);
void kn_metrics_limit(kn_metrics_component *c, unsigned shard, kn_limit_kind kind);
/* A guest run ended: INLINE when it ran on an event loop
 * (kiln_guest_inline_runs_total), SLICED when it was stopped there at the
 * time slice to be rerun on a guest thread
 * (kiln_guest_inline_slice_exceeded_total). */
void kn_metrics_inline(kn_metrics_component *c, unsigned shard, int inline_run, int sliced);
void kn_metrics_instantiation(kn_metrics_component *c, unsigned shard, uint64_t ns);
/* kiln_instances_live / kiln_instances_pooled += DELTA. */
void kn_metrics_live_add(kn_metrics_component *c, unsigned shard, int64_t delta);
void kn_metrics_pooled_add(kn_metrics_component *c, unsigned shard, int64_t delta);

void kn_metrics_reload(kn_metrics *m, int ok);

/* ---- rendering ---------------------------------------------------------- */

/* The exposition text in a malloc'ed buffer (*out, *len, NUL-terminated).
 * Safe while other threads update and register.  The process_* metrics
 * come from /proc/self and are left out if it cannot be read.  Returns 0,
 * or -1 when out of memory (*out untouched). */
int kn_metrics_render(kn_metrics *m, char **out, size_t *len);

/* The kind label of a trap code ("memory_oob", ...), or NULL for codes
 * that are not counted as traps. */
const char *kn_metrics_trap_kind(kiln_trap_code code);

#endif
