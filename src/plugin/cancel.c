/*
 * cancel.c — cancel tokens.  A token is a flag plus the list of instances
 * running a call given it.  Firing sets the flag, then interrupts every
 * listed store.
 *
 * The race: kiln_call clears a store's interrupt flag when a top-level
 * call starts, so an interrupt landing between a call's registration and
 * that clear would be lost.  So a cancellable call enters the guest
 * through a host function (call.c's entry), which looks at the token's
 * flag after the engine has cleared the store's and then calls the export
 * from inside, where the flag is not cleared again.  Either fire's flag
 * store comes first and entry sees it, or it comes after entry's load and
 * fire's interrupt lands after the clear (both are sequentially
 * consistent atomics; the list is walked under the token's mutex, which
 * the call also holds to register).
 */
#include <stdlib.h>

#include "plugin_impl.h"

struct kiln_plugin_cancel {
    atomic_bool fired;
    pthread_mutex_t lock;
    kn_pinst *running;
};

kiln_error *kiln_plugin_cancel_new(kiln_plugin_cancel **out)
{
    if (!out)
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_cancel_new: NULL argument");
    kiln_plugin_cancel *c = calloc(1, sizeof *c);
    if (!c)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    atomic_init(&c->fired, false);
    if (pthread_mutex_init(&c->lock, NULL)) {
        free(c);
        return kiln_error_new(KILN_ERR_NOMEM, "kiln_plugin_cancel_new: no mutex");
    }
    *out = c;
    return NULL;
}

void kiln_plugin_cancel_fire(kiln_plugin_cancel *c)
{
    if (!c)
        return;
    atomic_store(&c->fired, true);
    pthread_mutex_lock(&c->lock);
    for (kn_pinst *in = c->running; in; in = in->cancel_next)
        kiln_store_interrupt(in->store);
    pthread_mutex_unlock(&c->lock);
}

void kiln_plugin_cancel_reset(kiln_plugin_cancel *c)
{
    if (c)
        atomic_store(&c->fired, false);
}

void kiln_plugin_cancel_free(kiln_plugin_cancel *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

bool kn_cancel_fired(const kiln_plugin_cancel *c) { return atomic_load(&c->fired); }

bool kn_cancel_enter(kiln_plugin_cancel *c, kn_pinst *in)
{
    pthread_mutex_lock(&c->lock);
    in->cancel = c;
    in->cancel_prev = NULL;
    in->cancel_next = c->running;
    if (c->running)
        c->running->cancel_prev = in;
    c->running = in;
    pthread_mutex_unlock(&c->lock);
    return !kn_cancel_fired(c);
}

void kn_cancel_leave(kiln_plugin_cancel *c, kn_pinst *in)
{
    pthread_mutex_lock(&c->lock);
    if (in->cancel_prev)
        in->cancel_prev->cancel_next = in->cancel_next;
    else
        c->running = in->cancel_next;
    if (in->cancel_next)
        in->cancel_next->cancel_prev = in->cancel_prev;
    in->cancel = NULL;
    in->cancel_prev = in->cancel_next = NULL;
    pthread_mutex_unlock(&c->lock);
}
