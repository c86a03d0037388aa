/*
 * test_sample.c — what a profiler sees (kiln_inspect.h's profiling part):
 * kiln_store_stack from inside a host function, with a host function that
 * calls back into Wasm in the middle, the labels of Wasm and host frames,
 * and kiln_sampler: its arguments, one sampler at a time, and samples of
 * a Wasm loop arriving through the signal.
 */
#include <string.h>

#include "kiln.h"
#include "kiln_inspect.h"
#include "unit.h"

/* (import "env" "probe" (func)); f -> $inner (unexported, func[4]) -> g ->
 * probe; h -> probe; spin(n) loops n times.  Exports name f, g, h, spin;
 * no name section. */
static const uint8_t sample_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60,
    0x01, 0x7f, 0x00, 0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x70, 0x72, 0x6f, 0x62,
    0x65, 0x00, 0x00, 0x03, 0x06, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01, 0x07, 0x14, 0x04, 0x01,
    0x66, 0x00, 0x01, 0x01, 0x67, 0x00, 0x02, 0x01, 0x68, 0x00, 0x03, 0x04, 0x73, 0x70, 0x69,
    0x6e, 0x00, 0x05, 0x0a, 0x2b, 0x05, 0x04, 0x00, 0x10, 0x04, 0x0b, 0x04, 0x00, 0x10, 0x00,
    0x0b, 0x04, 0x00, 0x10, 0x00, 0x0b, 0x04, 0x00, 0x10, 0x02, 0x0b, 0x15, 0x01, 0x01, 0x7f,
    0x03, 0x40, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x20, 0x01, 0x20, 0x00, 0x49, 0x0d,
    0x00, 0x0b, 0x0b,
};

typedef struct probe_state {
    kiln_instance *inst;
    int calls;
    char labels[8][32];       /* of the stack seen by the innermost probe */
    size_t depth, kept;
} probe_state;

/* The first call re-enters Wasm through h, whose probe records the stack:
 * probe, h, probe, g, func[4], f. */
static kiln_error *probe(kiln_caller *c, void *env, const kiln_val *args, kiln_val *results)
{
    probe_state *ps = env;
    kiln_store *s = kiln_caller_store(c);
    if (ps->calls++ == 0)
        return kiln_call(s, kiln_instance_export_func(ps->inst, "h"), NULL, 0, NULL, 0);
    const kiln_func *fr[8];
    ps->depth = kiln_store_stack(s, fr, 8);
    ps->kept = ps->depth < 8 ? ps->depth : 8;
    for (size_t i = 0; i < ps->kept; i++)
        kiln_func_label(fr[i], i + 1 < ps->kept ? fr[i + 1] : NULL, ps->labels[i], 32);
    /* a short buffer: still the whole depth, the innermost frames */
    const kiln_func *two[2];
    CHECK_EQ(kiln_store_stack(s, two, 2), ps->depth);
    CHECK(two[0] == fr[0] && two[1] == fr[1]);
    return NULL;
}

static bool setup(kiln_engine **e, kiln_store **s, kiln_module **m, probe_state *ps)
{
    static const kiln_functype none = {0, 0, NULL, NULL};
    kiln_linker *l = NULL;
    kiln_func *pf = NULL;
    kiln_error *err = kiln_engine_new(NULL, e);
    if (!err)
        err = kiln_module_new(*e, sample_wasm, sizeof sample_wasm, m);
    if (!err)
        err = kiln_store_new(*e, NULL, s);
    if (!err)
        err = kiln_func_new(*s, &none, probe, ps, NULL, &pf);
    if (!err)
        err = kiln_linker_new(*s, &l);
    if (!err)
        err = kiln_linker_define_func(l, "env", "probe", pf);
    if (!err)
        err = kiln_linker_instantiate(l, *m, &ps->inst);
    kiln_linker_free(l);
    CHECK(err == NULL);
    kiln_error_free(err);
    return err == NULL;
}

TEST(sample_stack_has_host_frames_and_reentry)
{
    kiln_engine *e = NULL;
    kiln_store *s = NULL;
    kiln_module *m = NULL;
    probe_state ps;
    memset(&ps, 0, sizeof ps);
    const kiln_func *none[1];
    if (setup(&e, &s, &m, &ps)) {
        CHECK_EQ(kiln_store_stack(s, none, 1), 0); /* nothing running */
        CHECK(kiln_call(s, kiln_instance_export_func(ps.inst, "f"), NULL, 0, NULL, 0) == NULL);
        CHECK_EQ(ps.calls, 2);
        CHECK_EQ(ps.depth, 6);
        static const char *const want[] = {"probe", "h", "probe", "g", "func[4]", "f"};
        for (size_t i = 0; i < 6 && i < ps.kept; i++)
            if (strcmp(ps.labels[i], want[i]) != 0) {
                printf("  frame %zu: '%s', expected '%s'\n", i, ps.labels[i], want[i]);
                CHECK(!"frame label");
            }
        CHECK_EQ(kiln_store_stack(s, none, 1), 0); /* and nothing after */
    }
    char buf[8];
    CHECK_EQ(kiln_func_label(NULL, NULL, buf, sizeof buf), 1);
    kiln_store_free(s);
    kiln_module_free(m);
    kiln_engine_free(e);
}

typedef struct seen {
    volatile unsigned long samples, in_spin, periods;
} seen;

/* In the signal handler: counting only. */
static void on_sample(void *ud, const kiln_func *const *frames, size_t n, size_t depth,
                      uint32_t periods)
{
    seen *sn = ud;
    sn->samples++;
    sn->periods += periods;
    if (depth == 1 && n == 1)
        sn->in_spin++;
}

TEST(sample_sampler_sees_a_running_loop)
{
    kiln_engine *e = NULL;
    kiln_store *s = NULL;
    kiln_module *m = NULL;
    probe_state ps;
    memset(&ps, 0, sizeof ps);
    seen sn = {0, 0, 0};
    if (setup(&e, &s, &m, &ps)) {
        kiln_sampler *sp = NULL, *again = NULL;
        kiln_error *err = kiln_sampler_start(s, 0, on_sample, &sn, &sp);
        CHECK(err && kiln_error_kind_of(err) == KILN_ERR_ARG);
        kiln_error_free(err);
        err = kiln_sampler_start(s, KILN_SAMPLER_MAX_HZ + 1, on_sample, &sn, &sp);
        CHECK(err && kiln_error_kind_of(err) == KILN_ERR_ARG);
        kiln_error_free(err);
        err = kiln_sampler_start(s, 1000, on_sample, &sn, &sp);
        CHECK(err == NULL);
        kiln_error_free(err);
        /* one sampler per process */
        err = kiln_sampler_start(s, 1000, on_sample, &sn, &again);
        CHECK(err && kiln_error_kind_of(err) == KILN_ERR_ARG && !again);
        kiln_error_free(err);
        /* about 0.2 s of CPU a call when interpreted, hundreds of periods,
         * tens of signals at least; machine code is faster, so call again
         * (a bounded number of times) until some samples came */
        kiln_val n = {.kind = KILN_I32, .of.i32 = 40000000};
        for (int i = 0; i < 50 && (i == 0 || sn.samples <= 5); i++)
            CHECK(kiln_call(s, kiln_instance_export_func(ps.inst, "spin"), &n, 1, NULL, 0) == NULL);
        kiln_sampler_stop(sp);
        unsigned long after = sn.samples;
        CHECK(sn.samples > 5);
        CHECK(sn.in_spin > sn.samples / 2);
        CHECK(sn.periods >= sn.samples);
        CHECK(kiln_call(s, kiln_instance_export_func(ps.inst, "spin"), &n, 1, NULL, 0) == NULL);
        CHECK_EQ(sn.samples, after); /* none after stop */
        /* and a new one may start once the first stopped */
        err = kiln_sampler_start(s, 1000, on_sample, &sn, &again);
        CHECK(err == NULL);
        kiln_error_free(err);
        kiln_sampler_stop(again);
    }
    kiln_store_free(s);
    kiln_module_free(m);
    kiln_engine_free(e);
}
