/*
 * server_app.c — versions of the app being served.
 *
 * A version is everything a request needs that a reload may change: the
 * loaded manifest, its compiled modules, its router, its metric handles and
 * the admission state of its components.  It is built completely before
 * anyone sees it, so a reload that fails at any step leaves the running
 * version untouched; once current it is immutable apart from its reference
 * count and the admission counters (under the guest pool's mutex).  The
 * current pointer is swapped under a mutex held only for the swap and for
 * taking a reference, never for work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_impl.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void app_free(kn_srv_app *a)
{
    if (!a)
        return;
    if (a->comps)
        for (size_t i = 0; i < a->app->ncomponents; i++)
            kn_exec_component_fini(&a->comps[i].exec);
    free(a->comps);
    free(a->routes);
    kn_router_free(a->router);
    kn_app_free(a->app);
    free(a);
}

static int register_metrics(kn_srv *s, kn_srv_app *a)
{
    const kn_app *app = a->app;
    for (size_t i = 0; i < app->ncomponents; i++)
        if (!(a->comps[i].metrics = kn_metrics_component_get(s->metrics, app->components[i].id)))
            return -1;
    for (size_t i = 0; i < app->ntriggers; i++) {
        const kn_trigger *t = &app->triggers[i];
        a->routes[i] = kn_metrics_route_get(s->metrics, a->comps[t->component].metrics,
                                            t->route ? t->route : "(private)");
        if (!a->routes[i])
            return -1;
    }
    kn_metrics_component *none = kn_metrics_component_get(s->metrics, "(none)");
    a->unrouted = none ? kn_metrics_route_get(s->metrics, none, "(none)") : NULL;
    if (!a->unrouted || kn_metrics_set_app(s->metrics, app->name ? app->name : "",
                                           app->version ? app->version : "") < 0)
        return -1;
    return 0;
}

kn_srv_app *kn_srv_app_load(kn_srv *s, const char *path, char *err, size_t errlen)
{
    kn_srv_app *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&a->refs, 1);
    int rc = ends_with(path, ".wasm") ? kn_app_from_module(path, &a->app, err, errlen)
                                      : kn_app_load(path, &a->app, err, errlen);
    if (rc < 0) {
        free(a);
        return NULL;
    }
    const kn_app *app = a->app;
    a->comps = calloc(app->ncomponents ? app->ncomponents : 1, sizeof *a->comps);
    a->routes = calloc(app->ntriggers ? app->ntriggers : 1, sizeof *a->routes);
    if (!a->comps || !a->routes) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < app->ncomponents; i++)
        if (kn_exec_component_init(&a->comps[i].exec, s->engine, &app->components[i], err,
                                   errlen) < 0)
            goto fail;
    if (!(a->router = kn_app_router(app, err, errlen)))
        goto fail;
    if (register_metrics(s, a) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return a;
fail:
    app_free(a);
    return NULL;
}

void kn_srv_app_release(kn_srv_app *a)
{
    if (a && atomic_fetch_sub(&a->refs, 1) == 1)
        app_free(a);
}

kn_srv_app *kn_srv_app_acquire(kn_srv *s)
{
    pthread_mutex_lock(&s->app_mu);
    kn_srv_app *a = s->app;
    if (a)
        atomic_fetch_add(&a->refs, 1);
    pthread_mutex_unlock(&s->app_mu);
    return a;
}

void kn_srv_app_swap(kn_srv *s, kn_srv_app *a)
{
    pthread_mutex_lock(&s->app_mu);
    kn_srv_app *old = s->app;
    s->app = a;
    pthread_mutex_unlock(&s->app_mu);
    kn_srv_app_release(old);
}
