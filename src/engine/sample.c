/*
 * sample.c — what a profiler sees of a running store (kiln_inspect.h's
 * profiling section): the stack, the names of its frames, and a sampler
 * that reads the stack from a CPU-time signal (os.h's ticker).
 *
 * The stack is the interpreter's frame stack (runtime.h's kn_frame, one
 * per interpreted activation and one per run of compiled code, holding the
 * callee) interleaved with the host marks call_host pushes while a host
 * function runs and with the machine frames of each run of compiled code
 * (runtime.h's kn_jit_seg).  All are published after they are filled,
 * past a signal fence (interp.c, jit.c, the compiled prologue), and
 * everything below frame_top names a function the store owns, so a
 * signal handler on the running thread reads a consistent stack at any
 * instruction; reading is all it does.  Names are looked up afterwards,
 * outside the handler.
 */
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "errors.h"
#include "jit/jit.h"
#include "kiln_inspect.h"
#include "os/os.h"
#include "runtime.h"

/* The stack, with ctx the interrupted context when a signal handler asks
 * (sample.c's tick), else NULL. */
static size_t store_stack(const kiln_store *s, const kn_jit_ctx *ctx, const kiln_func **out,
                          size_t cap)
{
    if (!s)
        return 0;
    kn_frame *base = __atomic_load_n(&s->frames, __ATOMIC_RELAXED);
    kn_frame *fr = __atomic_load_n(&s->frame_top, __ATOMIC_RELAXED);
    const kn_host_mark *m = __atomic_load_n(&s->host_marks, __ATOMIC_RELAXED);
    const kn_jit_seg *g = __atomic_load_n(&s->jit_segs, __ATOMIC_RELAXED), *inner = NULL;
    __atomic_signal_fence(__ATOMIC_ACQUIRE);
    size_t n = 0;
    if (!base)
        fr = NULL;
    for (;;) {
        /* Host calls made by the frame just below fr (or from the host,
         * when fr is the base) come before it, innermost first. */
        for (; m && (!fr || m->at >= fr); m = m->prev) {
            if (n < cap)
                out[n] = m->func;
            n++;
        }
        if (!fr || fr == base)
            break;
        fr--;
        /* then the compiled frames of a run fr is the outermost of */
        for (; g && g->at >= fr; inner = g, g = g->prev)
            if (g->at == fr)
                n = kn_jit_frames(s, g, inner, ctx, out, n, cap);
        if (n < cap)
            out[n] = fr->func;
        n++;
    }
    return n;
}

size_t kiln_store_stack(const kiln_store *s, const kiln_func **out, size_t cap)
{
    return store_stack(s, NULL, out, cap);
}

/* The import of caller's module that f was bound to, or NULL. */
static const char *import_name(const kiln_func *f, const kiln_func *caller)
{
    if (!caller || !caller->code || !caller->inst)
        return NULL;
    const kiln_instance *inst = caller->inst;
    const kn_module *m = inst->module;
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        if (m->imports[i].kind != KN_EXT_FUNC)
            continue;
        if (inst->funcs[k] == f)
            return m->imports[i].name;
        k++;
    }
    return NULL;
}

size_t kiln_func_label(const kiln_func *f, const kiln_func *caller, char *buf, size_t cap)
{
    int n;
    if (!f) {
        n = snprintf(buf, cap, "?");
    } else if (f->code && f->inst) {
        const char *name = kn_func_name(f->inst->module, f->index);
        n = name ? snprintf(buf, cap, "%s", name) : snprintf(buf, cap, "func[%u]", f->index);
    } else {
        const char *name = import_name(f, caller);
        n = snprintf(buf, cap, "%s", name ? name : "host");
    }
    return n < 0 ? 0 : (size_t)n;
}

struct kiln_sampler {
    kn_os_ticker ticker;         /* first: never moves while it runs */
    kiln_store *store;
    kiln_sample_fn fn;
    void *ud;
    const kiln_func *frames[KILN_SAMPLER_FRAMES];
};

/* In the signal handler. */
static void tick(void *arg, uint32_t periods, const kn_os_regs *regs)
{
    kiln_sampler *sp = arg;
    kn_jit_ctx ctx = {regs->pc, regs->sp, regs->fp};
    size_t depth = store_stack(sp->store, &ctx, sp->frames, KILN_SAMPLER_FRAMES);
    size_t n = depth < KILN_SAMPLER_FRAMES ? depth : KILN_SAMPLER_FRAMES;
    sp->fn(sp->ud, sp->frames, n, depth, periods);
}

kiln_error *kiln_sampler_start(kiln_store *store, uint32_t hz, kiln_sample_fn fn, void *ud,
                               kiln_sampler **out)
{
    if (!store || !fn || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_sampler_start: NULL argument");
    if (hz == 0 || hz > KILN_SAMPLER_MAX_HZ)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_sampler_start: rate %u Hz is not 1 to %u",
                            hz, KILN_SAMPLER_MAX_HZ);
    kiln_sampler *sp = kn_calloc(kn_store_alloc(store), 1, sizeof *sp);
    if (!sp)
        return kn_error_nomem();
    sp->store = store;
    sp->fn = fn;
    sp->ud = ud;
    sp->ticker.fn = tick;
    sp->ticker.arg = sp;
    const char *why = "";
    if (!kn_os_ticker_start(&sp->ticker, hz, &why)) {
        kn_free(kn_store_alloc(store), sp);
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_sampler_start: %s", why);
    }
    *out = sp;
    return NULL;
}

void kiln_sampler_stop(kiln_sampler *sp)
{
    if (!sp)
        return;
    kn_os_ticker_stop(&sp->ticker);
    kn_free(kn_store_alloc(sp->store), sp);
}
