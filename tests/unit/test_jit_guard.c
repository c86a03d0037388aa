/*
 * test_jit_guard.c — the native tier's guarantees where guard pages and
 * the real machine stack replace explicit checks (jit.c, src/os/): every
 * load and store width at and around the end of memory, with small
 * offsets (the guard path) and offsets near 4 GiB (the explicit check
 * kept for offsets the guard does not cover), before and after
 * memory.grow, trap exactly as on the interpreter and leave memory alike;
 * recursion on a thread with a small stack traps instead of crashing;
 * two threads fault in one module's code at once; a host trap under two
 * compiled frames names both; and a fault that is not compiled code's
 * still reaches a SIGSEGV handler the embedder installed first.
 * Interrupts, deadlines, fuel and host re-entry on the native tier are
 * test_interp.c's _native twins.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jit/jit.h"
#include "kiln.h"
#include "kiln_wat.h"
#include "runtime.h"
#include "unit.h"
#include "unit_wat.h"

typedef struct access {
    const char *op;
    int size;
    char kind;   /* load result / store value: i i32, I i64, f f32, F f64 */
    bool store;
} mem_access;

static const mem_access accesses[] = {
    {"i32.load", 4, 'i', 0},      {"i64.load", 8, 'I', 0},      {"f32.load", 4, 'f', 0},
    {"f64.load", 8, 'F', 0},      {"i32.load8_s", 1, 'i', 0},   {"i32.load8_u", 1, 'i', 0},
    {"i32.load16_s", 2, 'i', 0},  {"i32.load16_u", 2, 'i', 0},  {"i64.load8_s", 1, 'I', 0},
    {"i64.load8_u", 1, 'I', 0},   {"i64.load16_s", 2, 'I', 0},  {"i64.load16_u", 2, 'I', 0},
    {"i64.load32_s", 4, 'I', 0},  {"i64.load32_u", 4, 'I', 0},  {"i32.store", 4, 'i', 1},
    {"i64.store", 8, 'I', 1},     {"f32.store", 4, 'f', 1},     {"f64.store", 8, 'F', 1},
    {"i32.store8", 1, 'i', 1},    {"i32.store16", 2, 'i', 1},   {"i64.store8", 1, 'I', 1},
    {"i64.store16", 2, 'I', 1},   {"i64.store32", 4, 'I', 1},
};
#define NACC (sizeof accesses / sizeof accesses[0])
/* Small offsets take the guard path; 0x7ffffff8 is the largest the guard
 * span covers for 8 bytes; the last two keep the explicit check. */
static const uint32_t offsets[] = {0, 3, 0x7ffffff8u, 0x80000000u, 0xffffffffu};
#define NOFF (sizeof offsets / sizeof offsets[0])

static size_t put(char *buf, size_t cap, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t cap, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(at < cap ? buf + at : NULL, at < cap ? cap - at : 0, fmt, ap);
    va_end(ap);
    return at + (n > 0 ? (size_t)n : 0);
}

/* One function per access, offset and address form (v 0: the parameter;
 * v 1: parameter + 1, a fused add that wraps at 2^32), each (param i32)
 * (result i64): a load's bits, or 0 after a store. */
static char *oob_wat(void)
{
    size_t cap = 64 << 10, at = 0;
    char *w = malloc(cap);
    if (!w)
        return NULL;
    at = put(w, cap, at, "(module (memory (export \"mem\") 1 4)\n"
                         "(func (export \"grow\") (result i32) (memory.grow (i32.const 1)))\n");
    static const char *wrap[] = {"i64.extend_i32_u", "", "i64.extend_i32_u (i32.reinterpret_f32",
                                 "i64.reinterpret_f64"};
    static const char *val[] = {"i32.const -559038737", "i64.const 0x0102030405060708",
                                "f32.const -1.5", "f64.const 2.25"};
    for (size_t a = 0; a < NACC; a++)
        for (size_t o = 0; o < NOFF; o++)
            for (int v = 0; v < 2; v++) {
                const mem_access *x = &accesses[a];
                int k = x->kind == 'i' ? 0 : x->kind == 'I' ? 1 : x->kind == 'f' ? 2 : 3;
                const char *idx = v ? "(i32.add (local.get 0) (i32.const 1))" : "(local.get 0)";
                at = put(w, cap, at, "(func (export \"a%zu_%zu_%d\") (param i32) (result i64) ", a,
                         o, v);
                if (x->store)
                    at = put(w, cap, at, "(%s offset=%u %s (%s)) (i64.const 0))\n", x->op,
                             offsets[o], idx, val[k]);
                else if (k == 1)
                    at = put(w, cap, at, "(%s offset=%u %s))\n", x->op, offsets[o], idx);
                else
                    at = put(w, cap, at, "(%s (%s offset=%u %s)%s))\n", wrap[k], x->op,
                             offsets[o], idx, k == 2 ? ")" : "");
            }
    at = put(w, cap, at, ")\n");
    if (at >= cap) {
        free(w);
        return NULL;
    }
    return w;
}

typedef struct inst {
    kiln_engine *engine;
    kiln_module *module;
    kiln_store *store;
    kiln_instance *inst;
    kiln_linker *linker;
} inst;

static bool wat_module(kiln_tier t, const char *text, inst *in)
{
    memset(in, 0, sizeof *in);
    uint8_t *wasm = NULL;
    size_t len = 0;
    if (!unit_wat(text, &wasm, &len))
        return false;
    kiln_config c = {.tier = t};
    bool ok = !kiln_engine_new(&c, &in->engine) &&
              !kiln_module_new(in->engine, wasm, len, &in->module);
    kiln_wat_free(wasm);
    return ok;
}

static bool instantiate(inst *in, const kiln_store_limits *lim, const char *host_name,
                        kiln_func *(*host)(kiln_store *))
{
    if (kiln_store_new(in->engine, lim, &in->store) || kiln_linker_new(in->store, &in->linker))
        return false;
    if (host && kiln_linker_define_func(in->linker, "host", host_name, host(in->store)))
        return false;
    return !kiln_linker_instantiate(in->linker, in->module, &in->inst);
}

static void done(inst *in, bool module_too)
{
    kiln_linker_free(in->linker);
    kiln_store_free(in->store);
    in->linker = NULL, in->store = NULL, in->inst = NULL;
    if (module_too) {
        kiln_module_free(in->module);
        kiln_engine_free(in->engine);
    }
}

static bool all_native(const kiln_module *m)
{
    uint32_t defined, n = kiln_module_native_funcs(m, &defined);
    return n == defined && defined > 0;
}

/* Guard pages are in use unless the build turned them off. */
static bool guard_expected(void)
{
#ifdef KN_JIT_NO_GUARD
    return false;
#else
    return true;
#endif
}

/* kind: 0 ok, else the trap code; *bits the result. */
static int run1(inst *in, const char *name, uint32_t idx, int64_t *bits)
{
    kiln_func *f = kiln_instance_export_func(in->inst, name);
    if (!f)
        return -1;
    kiln_val arg = {.kind = KILN_I32, .of.i32 = (int32_t)idx}, r = {0};
    kiln_error *e = kiln_call(in->store, f, &arg, 1, &r, 1);
    int code = e ? (int)kiln_error_trap(e) : 0;
    kiln_error_free(e);
    *bits = r.of.i64;
    return code;
}

/* Every access on both tiers at indexes around the end of memory: the
 * same trap (exactly when index + offset + size passes the end) or the
 * same bits, and the same memory afterwards. */
static int oob_matrix(inst *t, uint64_t size, int *calls)
{
    int bad = 0;
    const uint32_t near[] = {0, 1, 7, 8, 9, 16, 17};
    for (size_t a = 0; a < NACC; a++)
        for (size_t o = 0; o < NOFF; o++)
            for (int v = 0; v < 2; v++) {
                char name[32];
                snprintf(name, sizeof name, "a%zu_%zu_%d", a, o, v);
                uint32_t idxs[2 * 7 + 3];
                size_t n = 0;
                for (size_t i = 0; i < 7; i++) {
                    idxs[n++] = (uint32_t)(size - near[i]);
                    idxs[n++] = (uint32_t)(size + near[i]);
                }
                idxs[n++] = 0xffffffffu;
                idxs[n++] = 0x80000000u;
                idxs[n++] = (uint32_t)(0x100000000ull - offsets[o]);
                for (size_t i = 0; i < n; i++) {
                    uint32_t idx = idxs[i];
                    uint64_t ea = (uint64_t)(uint32_t)(idx + (uint32_t)v) + offsets[o];
                    int want = ea + (uint64_t)accesses[a].size > size ? KILN_TRAP_MEMORY_OOB : 0;
                    int64_t b0 = 0, b1 = 0;
                    int c0 = run1(&t[0], name, idx, &b0), c1 = run1(&t[1], name, idx, &b1);
                    (*calls)++;
                    if (c0 != want || c1 != want || b0 != b1) {
                        if (bad++ < 5)
                            printf("  %s(%u) size %llu: interp %d/%lld native %d/%lld want %d\n",
                                   name, idx, (unsigned long long)size, c0, (long long)b0, c1,
                                   (long long)b1, want);
                    }
                }
            }
    kiln_memory *m0 = kiln_instance_export_memory(t[0].inst, "mem");
    kiln_memory *m1 = kiln_instance_export_memory(t[1].inst, "mem");
    if (!m0 || !m1 || kiln_memory_size(m0) != size || kiln_memory_size(m1) != size ||
        memcmp(kiln_memory_data(m0), kiln_memory_data(m1), size) != 0) {
        printf("  memories differ after the accesses (size %llu)\n", (unsigned long long)size);
        bad++;
    }
    return bad;
}

TEST(jit_guard_oob_every_width_both_tiers)
{
    char *w = oob_wat();
    CHECK(w != NULL);
    if (!w)
        return;
    inst t[2];
    bool ok = wat_module(KILN_TIER_INTERP, w, &t[0]) && wat_module(KILN_TIER_NATIVE, w, &t[1]);
    free(w);
    CHECK(ok);
    ok = ok && instantiate(&t[0], NULL, NULL, NULL) && instantiate(&t[1], NULL, NULL, NULL);
    CHECK(ok);
    if (ok) {
        CHECK(all_native(t[1].module));
        const kn_module *m = &t[1].module->m;
        CHECK(m->jit && m->jit->guarded == guard_expected());
        kiln_memory *mem = kiln_instance_export_memory(t[1].inst, "mem");
        CHECK(mem && mem->guarded == guard_expected());
        int calls = 0;
        CHECK_EQ(oob_matrix(t, 65536, &calls), 0);
        int64_t old[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            kiln_val r = {0};
            kiln_error *e = kiln_call(t[k].store, kiln_instance_export_func(t[k].inst, "grow"),
                                      NULL, 0, &r, 1);
            CHECK(e == NULL);
            kiln_error_free(e);
            old[k] = r.of.i32;
        }
        CHECK_EQ(old[0], 1);
        CHECK_EQ(old[1], 1);
        CHECK_EQ(oob_matrix(t, 131072, &calls), 0);
        CHECK(calls > 2000);
    }
    done(&t[0], true);
    done(&t[1], true);
}

/* ---- the machine stack ------------------------------------------------- */

static const char deep_wat[] =
    "(module (memory 1)"
    " (func $deep (export \"deep\") (param i32) (result i32)"
    "   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
    "     (else (i32.add (call $deep (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))";

typedef struct deep_job {
    inst *in;
    uint32_t n;
    int code;
    int32_t result;
    const char *frame0;
} deep_job;

static void *deep_thread(void *arg)
{
    deep_job *j = arg;
    kiln_func *f = kiln_instance_export_func(j->in->inst, "deep");
    kiln_val a = {.kind = KILN_I32, .of.i32 = (int32_t)j->n}, r = {0};
    kiln_error *e = f ? kiln_call(j->in->store, f, &a, 1, &r, 1) : NULL;
    j->code = f ? (e ? (int)kiln_error_trap(e) : 0) : -1;
    j->result = r.of.i32;
    j->frame0 = e ? kiln_error_frame_name(e, 0) : NULL;
    if (j->frame0)
        j->frame0 = strcmp(j->frame0, "deep") == 0 ? "deep" : "other";
    kiln_error_free(e);
    return NULL;
}

static deep_job deep_on_small_stack(inst *in, uint32_t n)
{
    deep_job j = {in, n, -1, 0, NULL};
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    if (pthread_create(&t, &attr, deep_thread, &j) == 0)
        pthread_join(t, NULL);
    pthread_attr_destroy(&attr);
    return j;
}

/* A 256 KiB thread and a frame limit of a million: the machine stack runs
 * out first, and that is the stack-exhausted trap, on that thread, with
 * the store usable afterwards; a modest depth still fits. */
TEST(jit_guard_small_thread_stack_is_a_trap)
{
    inst in;
    kiln_store_limits lim = {.max_call_depth = 1000000, .max_stack_bytes = (uint64_t)64 << 20};
    bool ok = wat_module(KILN_TIER_NATIVE, deep_wat, &in) && instantiate(&in, &lim, NULL, NULL);
    CHECK(ok);
    if (ok) {
        CHECK(all_native(in.module));
        deep_job j = deep_on_small_stack(&in, 1000);
        CHECK_EQ(j.code, 0);
        CHECK_EQ(j.result, 1000);
        j = deep_on_small_stack(&in, 900000);
        CHECK_EQ(j.code, KILN_TRAP_STACK_EXHAUSTED);
        CHECK(j.frame0 && strcmp(j.frame0, "deep") == 0);
        j = deep_on_small_stack(&in, 500);
        CHECK_EQ(j.code, 0);
        CHECK_EQ(j.result, 500);
    }
    done(&in, true);
}

/* ---- threads ---------------------------------------------------------- */

typedef struct oob_worker {
    inst *shared;
    int traps, ok;
} oob_worker;

static void *oob_thread(void *arg)
{
    oob_worker *w = arg;
    inst in = *w->shared;
    if (!instantiate(&in, NULL, NULL, NULL)) {
        done(&in, false);
        return NULL;
    }
    for (int i = 0; i < 300; i++) {
        int64_t bits = 0;
        /* i32.load offset=3: in bounds at 65529, past the end at 65533 */
        int c = run1(&in, "a0_1_0", i & 1 ? 65533 : 65529, &bits);
        if (c == KILN_TRAP_MEMORY_OOB)
            w->traps++;
        else if (c == 0)
            w->ok++;
    }
    done(&in, false);
    return NULL;
}

TEST(jit_guard_two_threads_trap_in_one_module)
{
    char *wat = oob_wat();
    inst in;
    bool ok = wat && wat_module(KILN_TIER_NATIVE, wat, &in);
    free(wat);
    CHECK(ok);
    if (!ok)
        return;
    oob_worker w[2] = {{&in, 0, 0}, {&in, 0, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, oob_thread, &w[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(w[i].traps, 150);
        CHECK_EQ(w[i].ok, 150);
    }
    kiln_module_free(in.module);
    kiln_engine_free(in.engine);
}

/* ---- a host trap under compiled frames --------------------------------- */

static kiln_error *host_no(kiln_caller *c, void *env, const kiln_val *args, kiln_val *results)
{
    (void)c, (void)env, (void)args, (void)results;
    return kiln_trap_new("host refuses");
}

static kiln_func *make_no(kiln_store *s)
{
    kiln_functype ty = {0, 0, NULL, NULL};
    kiln_func *f = NULL;
    return kiln_func_new(s, &ty, host_no, NULL, NULL, &f) ? NULL : f;
}

TEST(jit_guard_host_trap_names_compiled_frames)
{
    static const char wat[] =
        "(module (import \"host\" \"no\" (func $no))"
        " (func $inner (call $no))"
        " (func $outer (export \"outer\") (call $inner)))";
    inst in;
    bool ok = wat_module(KILN_TIER_NATIVE, wat, &in) && instantiate(&in, NULL, "no", make_no);
    CHECK(ok);
    if (ok) {
        CHECK(all_native(in.module));
        kiln_error *e = kiln_call(in.store, kiln_instance_export_func(in.inst, "outer"), NULL, 0,
                                  NULL, 0);
        CHECK(e != NULL);
        if (e) {
            CHECK_EQ(kiln_error_trap(e), KILN_TRAP_HOST);
            CHECK(strstr(kiln_error_message(e), "host refuses") != NULL);
            CHECK(kiln_error_frame_count(e) >= 2);
            const char *n0 = kiln_error_frame_name(e, 0), *n1 = kiln_error_frame_name(e, 1);
            CHECK(n0 && strcmp(n0, "inner") == 0);
            CHECK(n1 && strcmp(n1, "outer") == 0);
        }
        kiln_error_free(e);
    }
    done(&in, true);
}

/* ---- an embedder's own SIGSEGV handler ---------------------------------- */

static sigjmp_buf segv_jmp;
static volatile sig_atomic_t segv_seen;

static void embedder_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si, (void)ctx;
    segv_seen++;
    siglongjmp(segv_jmp, 1);
}

/* Whether writing to p faulted into embedder_segv.  Alone in its
 * function, so that nothing the compiler keeps in memory changes between
 * sigsetjmp and the jump back. */
static __attribute__((noinline)) bool touch_faults(void *p)
{
    if (sigsetjmp(segv_jmp, 1) == 0) {
        *(volatile char *)p = 1;
        return false;
    }
    return true;
}

/* In a fresh process (the handler must be in place before kiln installs
 * its own, as an embedder's would be): a guard fault in compiled code is
 * still a trap, and a fault elsewhere reaches the embedder's handler. */
static int embedder_child(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = embedder_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0)
        return 10;
    char *wat = oob_wat();
    inst in;
    bool ok = wat && wat_module(KILN_TIER_NATIVE, wat, &in) && instantiate(&in, NULL, NULL, NULL);
    free(wat);
    if (!ok)
        return 11;
    int64_t bits;
    if (run1(&in, "a0_1_0", 65533, &bits) != KILN_TRAP_MEMORY_OOB || segv_seen)
        return 12;
    void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 13;
    if (!touch_faults(page))
        return 14;                   /* no fault at all */
    if (segv_seen != 1)
        return 15;
    /* And compiled code still traps after that. */
    if (run1(&in, "a0_1_0", 65533, &bits) != KILN_TRAP_MEMORY_OOB || segv_seen != 1)
        return 16;
    done(&in, true);
    return 0;
}

TEST(jit_guard_embedder_segv_handler_still_runs)
{
    if (getenv("KN_UNIT_SEGV_CHILD"))
        _exit(embedder_child());
    /* Under valgrind /proc/self/exe is valgrind's tool, not this program:
     * the child cannot be started that way (the leak suite runs it so). */
    if (RUNNING_ON_VALGRIND)
        return;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        setenv("KN_UNIT_SEGV_CHILD", "1", 1);
        char *argv[] = {"unit-tests", "jit_guard_embedder_segv_handler_still_runs", NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st), 0);
}

/* ---- no address space for the guard ------------------------------------ */

/* In a child with too little address space left for a guarded
 * reservation: the memory falls back to an unguarded one, and
 * instantiating code that relies on guards fails with a clear error
 * instead of running unchecked; the same module on the interpreter still
 * runs. */
static int no_guard_child(inst *native, inst *interp)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!f || fscanf(f, "%lu", &pages) != 1)
        return 20;
    fclose(f);
    struct rlimit rl = {.rlim_cur = pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)1 << 30)};
    rl.rlim_max = rl.rlim_cur;
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return 21;
    kiln_error *e = NULL;
    if (kiln_store_new(native->engine, NULL, &native->store) ||
        kiln_linker_new(native->store, &native->linker))
        return 22;
    e = kiln_linker_instantiate(native->linker, native->module, &native->inst);
    if (!e || kiln_error_kind_of(e) != KILN_ERR_NOMEM ||
        !strstr(kiln_error_message(e), "guard region"))
        return 23;
    kiln_error_free(e);
    if (!instantiate(interp, NULL, NULL, NULL))
        return 24;
    int64_t bits;
    if (run1(interp, "a0_1_0", 65533, &bits) != KILN_TRAP_MEMORY_OOB)
        return 25;
    return 0;
}

TEST(jit_guard_without_address_space_refuses_to_instantiate)
{
    if (!guard_expected())
        return;                      /* explicit checks: nothing to refuse */
    char *wat = oob_wat();
    inst t[2];
    bool ok = wat && wat_module(KILN_TIER_NATIVE, wat, &t[0]) &&
              wat_module(KILN_TIER_INTERP, wat, &t[1]);
    free(wat);
    CHECK(ok);
    if (!ok)
        return;
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(no_guard_child(&t[0], &t[1]));
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st), 0);
    done(&t[0], true);
    done(&t[1], true);
}

/* ---- pooled instances ---------------------------------------------------- */

/* A template's slots on the native tier get guarded memories too: a use
 * that writes past the end traps, and the slot reused after the reset
 * starts from the initial memory, a trap again where it trapped. */
TEST(jit_guard_pooled_slots)
{
    char *wat = oob_wat();
    inst in;
    bool ok = wat && wat_module(KILN_TIER_NATIVE, wat, &in);
    free(wat);
    CHECK(ok);
    if (!ok)
        return;
    kiln_template *t = NULL;
    kiln_template_config cfg = {.max_slots = 2};
    CHECK(kiln_template_new(NULL, in.module, &cfg, &t) == NULL);
    for (int use = 0; t && use < 3; use++) {
        kiln_store *s = NULL;
        kiln_instance *i = NULL;
        CHECK(kiln_template_instantiate(t, NULL, NULL, &s, &i) == NULL);
        if (!s)
            break;
        inst u = {.store = s, .inst = i};
        kiln_memory *mem = kiln_instance_export_memory(i, "mem");
        CHECK(mem && mem->guarded == guard_expected());
        int64_t bits = -1;
        CHECK_EQ(run1(&u, "a0_0_0", 65532, &bits), 0);        /* i32.load at the end */
        CHECK_EQ(bits, 0);                                     /* reset since last use */
        CHECK_EQ(run1(&u, "a14_0_0", 65532, &bits), 0);       /* i32.store there */
        CHECK_EQ(run1(&u, "a14_0_0", 65533, &bits), KILN_TRAP_MEMORY_OOB);
        CHECK_EQ(run1(&u, "a15_1_0", 65526, &bits), KILN_TRAP_MEMORY_OOB); /* i64 +3 */
        kiln_store_free(s);
    }
    uint32_t slots = 0, used = 0;
    if (t)
        kiln_template_stats(t, &slots, &used);
    CHECK_EQ(slots, 1);
    CHECK_EQ(used, 0);
    kiln_template_free(t);
    kiln_module_free(in.module);
    kiln_engine_free(in.engine);
}
