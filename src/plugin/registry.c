/*
 * registry.c — kiln_plugin_registry: names -> versions of plugins, each
 * name with a stable version, the previous stable (for rollback) and an
 * optional canary taking `percent` of the calls.  Built on the public
 * kiln_plugin_* calls only.
 *
 * Invariants, all under the registry's one mutex:
 *   - a name exists once its first version is loaded, and always has a
 *     stable version (the stable and the canary cannot be unloaded);
 *   - stable, prev and canary point into the name's version list; canary
 *     is never the stable version; percent is 0 exactly when canary is NULL;
 *   - a version holds one reference per call running on it; unloading takes
 *     it off the list, and whoever drops the last reference (the unload, or
 *     the last call to return) frees it — a call never sees a freed
 *     version, and no version outlives its last call;
 *   - version strings are interned for the registry's life (one copy per
 *     distinct string), so the version a call reports stays readable even
 *     if that version is unloaded while the call runs.
 * The lock is held only to pick a version and to count references, never
 * across a compile or a call.  Rollback makes the previous stable version
 * stable again and forgets it as "previous", so a second rollback needs a
 * promotion in between; the version rolled back from stays loaded.
 * kiln_plugin_registry_free stops the watcher, then waits for the calls
 * still running before it frees anything.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_plugin.h"
#include "registry.h"

typedef struct kn_rver {
    struct kn_rver *next;
    const char *version;  /* interned */
    kiln_plugin *plugin;
    uint64_t refs;        /* running calls, +1 while listed */
    bool watched;         /* loaded by the watcher, which may prune it */
} kn_rver;

typedef struct kn_rstr {
    struct kn_rstr *next;
    char s[];
} kn_rstr;

typedef struct kn_rname {
    struct kn_rname *next;
    char *name;
    kn_rver *versions;
    kn_rver *stable, *prev, *canary;
    unsigned percent;
    uint64_t counter;     /* calls without a key, for round robin */
} kn_rname;

struct kiln_plugin_registry {
    kiln_engine *engine;
    kiln_plugin_options options;
    pthread_mutex_t lock;
    pthread_cond_t idle;  /* signalled when calls drops to 0 */
    kn_rname *names;
    uint64_t calls;       /* running calls, all versions */
    uint64_t alive, freed;
    kn_rstr *strings;     /* interned version strings */
    kn_watch *watch;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void kn_registry_log(kiln_plugin_registry *r, kiln_log_level level, const char *fmt, ...)
{
    if (!r->options.log || level < r->options.log_level || level >= KILN_LOG_OFF)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    r->options.log(r->options.log_ud, level, buf, len);
}

/* ---- lifetime ------------------------------------------------------------- */

kiln_error *kiln_plugin_registry_new(kiln_engine *engine, const kiln_plugin_options *options,
                                     kiln_plugin_registry **out)
{
    if (!engine || !out)
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: engine and out are required");
    kiln_plugin_registry *r = calloc(1, sizeof *r);
    if (!r)
        return kiln_error_new(KILN_ERR_NOMEM, "plugin registry: out of memory");
    r->engine = engine;
    if (options)
        r->options = *options;
    else
        r->options.log_level = KILN_LOG_OFF;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return kiln_error_new(KILN_ERR_NOMEM, "plugin registry: cannot make a mutex");
    }
    if (pthread_cond_init(&r->idle, NULL) != 0) {
        pthread_mutex_destroy(&r->lock);
        free(r);
        return kiln_error_new(KILN_ERR_NOMEM, "plugin registry: cannot make a condition");
    }
    *out = r;
    return NULL;
}

static void version_free(kn_rver *v)
{
    kiln_plugin_free(v->plugin);
    free(v);
}

/* The registry's copy of s, made on first use.  Under the lock. */
static const char *intern(kiln_plugin_registry *r, const char *s)
{
    for (kn_rstr *i = r->strings; i; i = i->next)
        if (strcmp(i->s, s) == 0)
            return i->s;
    size_t n = strlen(s) + 1;
    kn_rstr *i = malloc(sizeof *i + n);
    if (!i)
        return NULL;
    memcpy(i->s, s, n);
    i->next = r->strings;
    r->strings = i;
    return i->s;
}

/* Drop one reference, under the lock; true if the caller must free v
 * (after unlocking). */
static bool version_unref(kiln_plugin_registry *r, kn_rver *v)
{
    if (--v->refs > 0)
        return false;
    r->alive--;
    r->freed++;
    return true;
}

void kiln_plugin_registry_free(kiln_plugin_registry *r)
{
    if (!r)
        return;
    if (r->watch)
        kn_watch_stop(r->watch);
    pthread_mutex_lock(&r->lock);
    while (r->calls > 0)
        pthread_cond_wait(&r->idle, &r->lock);
    pthread_mutex_unlock(&r->lock);
    for (kn_rname *n = r->names, *nn; n; n = nn) {
        nn = n->next;
        for (kn_rver *v = n->versions, *vn; v; v = vn) {
            vn = v->next;
            version_free(v);
        }
        free(n->name);
        free(n);
    }
    for (kn_rstr *i = r->strings, *in; i; i = in) {
        in = i->next;
        free(i);
    }
    pthread_cond_destroy(&r->idle);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

bool kn_registry_set_watch(kiln_plugin_registry *r, kn_watch *w)
{
    pthread_mutex_lock(&r->lock);
    bool ok = !w || !r->watch;
    if (ok)
        r->watch = w;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

uint64_t kn_registry_versions_freed(kiln_plugin_registry *r)
{
    pthread_mutex_lock(&r->lock);
    uint64_t n = r->freed;
    pthread_mutex_unlock(&r->lock);
    return n;
}

uint64_t kn_registry_versions_alive(kiln_plugin_registry *r)
{
    pthread_mutex_lock(&r->lock);
    uint64_t n = r->alive;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* ---- lookups (under the lock) ---------------------------------------------- */

static kn_rname *find_name(kiln_plugin_registry *r, const char *name)
{
    for (kn_rname *n = r->names; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

static kn_rver *find_version(kn_rname *n, const char *version)
{
    for (kn_rver *v = n ? n->versions : NULL; v; v = v->next)
        if (strcmp(v->version, version) == 0)
            return v;
    return NULL;
}

/* The name and version for a change, or an error naming what is missing. */
static kiln_error *lookup(kiln_plugin_registry *r, const char *what, const char *name,
                          const char *version, kn_rname **np, kn_rver **vp)
{
    *np = find_name(r, name);
    if (!*np)
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: %s: no plugin named \"%s\"",
                              what, name);
    if (!vp)
        return NULL;
    *vp = find_version(*np, version);
    if (!*vp)
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: %s: \"%s\" has no version \"%s\"",
                              what, name, version);
    return NULL;
}

/* ---- load ------------------------------------------------------------------ */

static kiln_error *self_test_run(kiln_plugin *p, const char *self_test)
{
    if (!kiln_plugin_has_function(p, self_test))
        return kiln_error_new(KILN_ERR_ARG, "self-test: no export \"%s\"", self_test);
    uint8_t *out = NULL;
    size_t len = 0;
    kiln_error *e = kiln_plugin_call(p, self_test, NULL, 0, NULL, &out, &len);
    free(out);
    if (!e)
        return NULL;
    kiln_error *w = kiln_error_new(kiln_error_kind_of(e), "self-test %s failed: %s", self_test,
                                   kiln_error_message(e));
    kiln_error_free(e);
    return w;
}

/* A compiled and self-tested version, not yet listed. */
static kiln_error *version_make(kiln_plugin_registry *r, const kiln_plugin_manifest *m,
                                const char *self_test, kn_rver **out)
{
    kn_rver *v = calloc(1, sizeof *v);
    if (!v)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    kiln_error *e = kiln_plugin_new(r->engine, m, &r->options, &v->plugin);
    if (!e && self_test)
        e = self_test_run(v->plugin, self_test);
    if (e) {
        version_free(v);
        return e;
    }
    v->refs = 1;
    *out = v;
    return NULL;
}

/* List v as (name, version) (the first version of a name becomes stable);
 * *existed if the version string is already there.  Under the lock. */
static kiln_error *version_add(kiln_plugin_registry *r, const char *name, const char *version,
                               kn_rver *v, bool *existed)
{
    kn_rname *n = find_name(r, name);
    if (n && find_version(n, version)) {
        *existed = true;
        return NULL;
    }
    if (!(v->version = intern(r, version)))
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    if (!n) {
        n = calloc(1, sizeof *n);
        if (!n || !(n->name = dup_str(name))) {
            free(n);
            return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
        }
        n->next = r->names;
        r->names = n;
        n->stable = v;
    }
    v->next = n->versions;
    n->versions = v;
    r->alive++;
    return NULL;
}

static kiln_error *wrap(kiln_error *e, const char *name, const char *version)
{
    kiln_error *w = kiln_error_new(kiln_error_kind_of(e), "plugin registry: %s@%s: %s", name,
                                   version, kiln_error_message(e));
    kiln_error_free(e);
    return w;
}

static kiln_error *load(kiln_plugin_registry *r, const char *name, const char *version,
                        const kiln_plugin_manifest *m, const char *self_test, bool watched,
                        bool *existed)
{
    *existed = false;
    if (!r || !name || !version || !m || !*name || !*version)
        return kiln_error_new(KILN_ERR_ARG,
                              "plugin registry: load needs a name, a version and a manifest");
    /* Refuse a known version before spending a compile on it. */
    pthread_mutex_lock(&r->lock);
    *existed = find_version(find_name(r, name), version) != NULL;
    pthread_mutex_unlock(&r->lock);
    if (*existed)
        return NULL;
    kn_rver *v = NULL;
    kiln_error *e = version_make(r, m, self_test, &v);
    if (e)
        return wrap(e, name, version);
    v->watched = watched;
    pthread_mutex_lock(&r->lock);
    e = version_add(r, name, version, v, existed);
    pthread_mutex_unlock(&r->lock);
    if (e || *existed) {
        version_free(v);
        return e ? wrap(e, name, version) : NULL;
    }
    return NULL;
}

kiln_error *kiln_plugin_registry_load(kiln_plugin_registry *r, const char *name,
                                      const char *version, const kiln_plugin_manifest *m,
                                      const char *self_test)
{
    bool existed;
    kiln_error *e = load(r, name, version, m, self_test, false, &existed);
    if (!e && existed)
        e = kiln_error_new(KILN_ERR_ARG, "plugin registry: %s@%s: version already loaded",
                           name, version);
    return e;
}

kiln_error *kn_registry_load_watched(kiln_plugin_registry *r, const char *name,
                                     const char *version, const kiln_plugin_manifest *m,
                                     const char *self_test, bool *existed)
{
    return load(r, name, version, m, self_test, true, existed);
}

/* ---- routing changes ---------------------------------------------------------- */

kiln_error *kiln_plugin_registry_canary(kiln_plugin_registry *r, const char *name,
                                        const char *version, unsigned percent)
{
    if (!r || !name || (percent > 0 && !version))
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: canary needs a name and a version");
    if (percent > 100)
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: canary: percent %u is over 100",
                              percent);
    pthread_mutex_lock(&r->lock);
    kn_rname *n;
    kn_rver *v = NULL;
    kiln_error *e = lookup(r, "canary", name, version, &n, percent ? &v : NULL);
    if (!e && v == n->stable)
        e = kiln_error_new(KILN_ERR_ARG, "plugin registry: canary: %s@%s is the stable version",
                           name, version);
    if (!e) {
        n->canary = v;
        n->percent = percent;
    }
    pthread_mutex_unlock(&r->lock);
    return e;
}

kiln_error *kiln_plugin_registry_promote(kiln_plugin_registry *r, const char *name,
                                         const char *version)
{
    if (!r || !name || !version)
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: promote needs a name and a version");
    pthread_mutex_lock(&r->lock);
    kn_rname *n;
    kn_rver *v;
    kiln_error *e = lookup(r, "promote", name, version, &n, &v);
    if (!e) {
        if (v != n->stable) {
            n->prev = n->stable;
            n->stable = v;
        }
        n->canary = NULL;
        n->percent = 0;
    }
    pthread_mutex_unlock(&r->lock);
    return e;
}

kiln_error *kiln_plugin_registry_rollback(kiln_plugin_registry *r, const char *name)
{
    if (!r || !name)
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: rollback needs a name");
    pthread_mutex_lock(&r->lock);
    kn_rname *n;
    kiln_error *e = lookup(r, "rollback", name, NULL, &n, NULL);
    if (!e && !n->prev)
        e = kiln_error_new(KILN_ERR_ARG,
                           "plugin registry: rollback: \"%s\" has no previous stable version",
                           name);
    if (!e) {
        n->stable = n->prev;
        n->prev = NULL;
        n->canary = NULL;
        n->percent = 0;
    }
    pthread_mutex_unlock(&r->lock);
    return e;
}

/* Take v off n's list and drop the list's reference; true if the caller
 * must free v.  Under the lock. */
static bool version_remove(kiln_plugin_registry *r, kn_rname *n, kn_rver *v)
{
    for (kn_rver **pp = &n->versions; *pp; pp = &(*pp)->next)
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    if (n->prev == v)
        n->prev = NULL;
    return version_unref(r, v);
}

kiln_error *kiln_plugin_registry_unload(kiln_plugin_registry *r, const char *name,
                                        const char *version)
{
    if (!r || !name || !version)
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: unload needs a name and a version");
    pthread_mutex_lock(&r->lock);
    kn_rname *n;
    kn_rver *v;
    bool dead = false;
    kiln_error *e = lookup(r, "unload", name, version, &n, &v);
    if (!e && (v == n->stable || v == n->canary))
        e = kiln_error_new(KILN_ERR_ARG, "plugin registry: unload: %s@%s is the %s version", name,
                           version, v == n->stable ? "stable" : "canary");
    if (!e)
        dead = version_remove(r, n, v);
    pthread_mutex_unlock(&r->lock);
    if (dead)
        version_free(v);
    return e;
}

void kn_registry_prune_watched(kiln_plugin_registry *r, const char *name)
{
    kn_rver *dead = NULL;
    pthread_mutex_lock(&r->lock);
    kn_rname *n = find_name(r, name);
    for (kn_rver *v = n ? n->versions : NULL, *next; v; v = next) {
        next = v->next;
        if (!v->watched || v == n->stable || v == n->prev || v == n->canary)
            continue;
        if (version_remove(r, n, v)) {
            v->next = dead;
            dead = v;
        }
    }
    pthread_mutex_unlock(&r->lock);
    for (kn_rver *next; dead; dead = next) {
        next = dead->next;
        version_free(dead);
    }
}

/* ---- calls ----------------------------------------------------------------- */

/* FNV-1a over the key, finished with a 64-bit mixer so that keys differing
 * in their last byte only still spread evenly mod 100. */
static uint64_t key_hash(const uint8_t *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ key[i]) * 0x100000001b3u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

/* The version for one call, with a reference taken.  Under the lock. */
static kn_rver *route(kn_rname *n, const void *key, size_t key_len)
{
    kn_rver *v = n->stable;
    if (n->canary) {
        uint64_t slot = key ? key_hash(key, key_len) % 100 : n->counter++ % 100;
        if (slot < n->percent)
            v = n->canary;
    }
    v->refs++;
    return v;
}

kiln_error *kiln_plugin_registry_call(kiln_plugin_registry *r, const char *name,
                                      const char *func, const void *key, size_t key_len,
                                      const void *input, size_t input_len,
                                      const kiln_plugin_call_opts *opts, uint8_t **output,
                                      size_t *output_len, const char **version)
{
    if (!r || !name || !func || !output || !output_len || (key_len && !key))
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: call needs a name, a function "
                                            "and outputs");
    pthread_mutex_lock(&r->lock);
    kn_rname *n = find_name(r, name);
    kn_rver *v = n ? route(n, key, key_len) : NULL;
    if (v)
        r->calls++;
    pthread_mutex_unlock(&r->lock);
    if (!v)
        return kiln_error_new(KILN_ERR_ARG, "plugin registry: no plugin named \"%s\"", name);
    kiln_error *e = kiln_plugin_call(v->plugin, func, input, input_len, opts, output, output_len);
    if (version)
        *version = v->version;
    pthread_mutex_lock(&r->lock);
    bool dead = version_unref(r, v);
    if (--r->calls == 0)
        pthread_cond_broadcast(&r->idle);
    pthread_mutex_unlock(&r->lock);
    if (dead)
        version_free(v);
    return e;
}

bool kiln_plugin_registry_stats(kiln_plugin_registry *r, const char *name, const char *version,
                                kiln_plugin_stats *out)
{
    if (!r || !name || !out)
        return false;
    pthread_mutex_lock(&r->lock);
    kn_rname *n = find_name(r, name);
    kn_rver *v = !n ? NULL : version ? find_version(n, version) : n->stable;
    if (v)
        kiln_plugin_get_stats(v->plugin, out);
    pthread_mutex_unlock(&r->lock);
    return v != NULL;
}

const char *kn_registry_stable(kiln_plugin_registry *r, const char *name)
{
    pthread_mutex_lock(&r->lock);
    kn_rname *n = find_name(r, name);
    const char *v = n ? n->stable->version : NULL;
    pthread_mutex_unlock(&r->lock);
    return v;
}
