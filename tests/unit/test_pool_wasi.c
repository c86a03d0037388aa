/*
 * test_pool_wasi.c — WASI through a template (kiln_wasi_define_template,
 * one kiln_wasi per use as user data) and in-memory stdio: stdin from a
 * borrowed buffer, stdout and stderr captured, the cap on captured output
 * (a short write, then errno fbig), a use without a kiln_wasi, a real
 * wasi-libc command (examples/wc.wasm, run from the repository root) and
 * the per-store path with in-memory stdio.
 *
 * The module (bytes below, built with wat2wasm 1.0.32):
 *
 *   (module
 *     (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
 *     (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
 *     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
 *     (memory (export "memory") 1)
 *     (data (i32.const 2000) "done\n")
 *     ;; Copies stdin to stdout (4 KiB at a time, retrying short writes), then
 *     ;; "done\n" to stderr; exits 0, or 100 + the errno of a failed call.
 *     (func (export "_start") (local $n i32) (local $off i32) (local $err i32)
 *       (i32.store (i32.const 0) (i32.const 4096))
 *       (i32.store (i32.const 4) (i32.const 4096))
 *       (block $done
 *         (loop $rd
 *           (local.set $err (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
 *           (if (local.get $err) (then (call $exit (i32.add (i32.const 100) (local.get $err)))))
 *           (local.set $n (i32.load (i32.const 16)))
 *           (br_if $done (i32.eqz (local.get $n)))
 *           (local.set $off (i32.const 0))
 *           (loop $wr
 *             (i32.store (i32.const 32) (i32.add (i32.const 4096) (local.get $off)))
 *             (i32.store (i32.const 36) (i32.sub (local.get $n) (local.get $off)))
 *             (local.set $err (call $write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 48)))
 *             (if (local.get $err) (then (call $exit (i32.add (i32.const 100) (local.get $err)))))
 *             (local.set $off (i32.add (local.get $off) (i32.load (i32.const 48))))
 *             (br_if $wr (i32.lt_u (local.get $off) (local.get $n))))
 *           (br $rd)))
 *       (i32.store (i32.const 32) (i32.const 2000))
 *       (i32.store (i32.const 36) (i32.const 5))
 *       (drop (call $write (i32.const 2) (i32.const 32) (i32.const 1) (i32.const 48)))
 *       (call $exit (i32.const 0))))
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "kiln_wasi.h"
#include "unit.h"

static const uint8_t echo_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x03, 0x60,
    0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60,
    0x00, 0x00, 0x02, 0x67, 0x03, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73,
    0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76,
    0x69, 0x65, 0x77, 0x31, 0x07, 0x66, 0x64, 0x5f, 0x72, 0x65, 0x61, 0x64,
    0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70,
    0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77,
    0x31, 0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x00,
    0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68,
    0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x09,
    0x70, 0x72, 0x6f, 0x63, 0x5f, 0x65, 0x78, 0x69, 0x74, 0x00, 0x01, 0x03,
    0x02, 0x01, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06,
    0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74,
    0x61, 0x72, 0x74, 0x00, 0x03, 0x0a, 0xa8, 0x01, 0x01, 0xa5, 0x01, 0x01,
    0x03, 0x7f, 0x41, 0x00, 0x41, 0x80, 0x20, 0x36, 0x02, 0x00, 0x41, 0x04,
    0x41, 0x80, 0x20, 0x36, 0x02, 0x00, 0x02, 0x40, 0x03, 0x40, 0x41, 0x00,
    0x41, 0x00, 0x41, 0x01, 0x41, 0x10, 0x10, 0x00, 0x21, 0x02, 0x20, 0x02,
    0x04, 0x40, 0x41, 0xe4, 0x00, 0x20, 0x02, 0x6a, 0x10, 0x02, 0x0b, 0x41,
    0x10, 0x28, 0x02, 0x00, 0x21, 0x00, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x41,
    0x00, 0x21, 0x01, 0x03, 0x40, 0x41, 0x20, 0x41, 0x80, 0x20, 0x20, 0x01,
    0x6a, 0x36, 0x02, 0x00, 0x41, 0x24, 0x20, 0x00, 0x20, 0x01, 0x6b, 0x36,
    0x02, 0x00, 0x41, 0x01, 0x41, 0x20, 0x41, 0x01, 0x41, 0x30, 0x10, 0x01,
    0x21, 0x02, 0x20, 0x02, 0x04, 0x40, 0x41, 0xe4, 0x00, 0x20, 0x02, 0x6a,
    0x10, 0x02, 0x0b, 0x20, 0x01, 0x41, 0x30, 0x28, 0x02, 0x00, 0x6a, 0x21,
    0x01, 0x20, 0x01, 0x20, 0x00, 0x49, 0x0d, 0x00, 0x0b, 0x0c, 0x00, 0x0b,
    0x0b, 0x41, 0x20, 0x41, 0xd0, 0x0f, 0x36, 0x02, 0x00, 0x41, 0x24, 0x41,
    0x05, 0x36, 0x02, 0x00, 0x41, 0x02, 0x41, 0x20, 0x41, 0x01, 0x41, 0x30,
    0x10, 0x01, 0x1a, 0x41, 0x00, 0x10, 0x02, 0x0b, 0x0b, 0x0c, 0x01, 0x00,
    0x41, 0xd0, 0x0f, 0x0b, 0x05, 0x64, 0x6f, 0x6e, 0x65, 0x0a
};

typedef struct wasi_pool {
    kiln_engine *e;
    kiln_module *m;
    kiln_template_builder *b;
    kiln_template *t;
} wasi_pool;

static bool wasi_pool_new(wasi_pool *p, const uint8_t *bytes, size_t len)
{
    memset(p, 0, sizeof *p);
    kiln_template_config cfg = {.max_slots = 2};
    kiln_error *err = kiln_engine_new(NULL, &p->e);
    if (!err)
        err = kiln_module_new(p->e, bytes, len, &p->m);
    if (!err)
        err = kiln_template_builder_new(p->e, &p->b);
    if (!err)
        err = kiln_wasi_define_template(p->b);
    if (!err)
        err = kiln_template_new(p->b, p->m, &cfg, &p->t);
    if (err)
        printf("  wasi_pool_new: %s\n", kiln_error_message(err));
    CHECK(err == NULL);
    kiln_error_free(err);
    return p->t != NULL;
}

static void wasi_pool_free(wasi_pool *p)
{
    kiln_template_free(p->t);
    kiln_template_builder_free(p->b);
    kiln_module_free(p->m);
    kiln_engine_free(p->e);
}

/* Runs _start of a pooled instance with w as its user data: the exit code
 * (0 when _start returns), or -1 when it failed otherwise. */
static int run_start(kiln_template *t, kiln_wasi *w, kiln_store **slot)
{
    kiln_store *s;
    kiln_instance *inst;
    kiln_error *err = kiln_template_instantiate(t, NULL, w, &s, &inst);
    if (err) {
        kiln_error_free(err);
        return -1;
    }
    if (slot)
        *slot = s;
    err = kiln_call(s, kiln_instance_export_func(inst, "_start"), NULL, 0, NULL, 0);
    int code = !err ? 0 : kiln_error_trap(err) == KILN_TRAP_EXIT ? kiln_error_exit_code(err) : -1;
    kiln_error_free(err);
    kiln_store_free(s);
    return code;
}

static bool out_is(const kiln_wasi *w, int fd, const char *want)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    bool ok = fd == 1 ? kiln_wasi_stdout_bytes(w, &p, &n) : kiln_wasi_stderr_bytes(w, &p, &n);
    return ok && n == strlen(want) && (n == 0 || memcmp(p, want, n) == 0);
}

TEST(pool_wasi_in_memory_stdio_per_use)
{
    wasi_pool p;
    if (!wasi_pool_new(&p, echo_wasm, sizeof echo_wasm))
        return;
    kiln_wasi_config *c = NULL;
    CHECK(kiln_wasi_config_new(&c) == NULL);
    static const char body[] = "hello, pooled world\n";
    CHECK(kiln_wasi_config_stdin_bytes(c, body, sizeof body - 1) == NULL);
    CHECK(kiln_wasi_config_stdout_buffer(c, 1 << 20) == NULL);
    CHECK(kiln_wasi_config_stderr_buffer(c, 64) == NULL);
    kiln_store *first = NULL, *again = NULL;
    kiln_wasi *w = NULL;
    if (c && !kiln_wasi_new(c, &w)) {
        CHECK_EQ(run_start(p.t, w, &first), 0);
        CHECK(out_is(w, 1, body));
        CHECK(out_is(w, 2, "done\n"));
        kiln_wasi_free(w);
    }
    /* The next use, in the same slot, with its own stdin and buffers. */
    static const char other[] = "second request";
    if (c && !kiln_wasi_new(c, &w)) {
        CHECK(kiln_wasi_stdin_bytes(w, other, sizeof other - 1) == NULL);
        CHECK_EQ(run_start(p.t, w, &again), 0);
        CHECK(again == first);
        CHECK(out_is(w, 1, other));
        kiln_wasi_free(w);
    }
    /* Output beyond the cap: the first write is cut short, the retry fails
     * with fbig (22), what fitted is kept. */
    CHECK(kiln_wasi_config_stdout_buffer(c, 10) == NULL);
    if (c && !kiln_wasi_new(c, &w)) {
        CHECK_EQ(run_start(p.t, w, NULL), 100 + 22);
        CHECK(out_is(w, 1, "hello, poo"));
        kiln_wasi_free(w);
    }
    /* Empty stdin; stdout not captured is not readable as a buffer. */
    CHECK(kiln_wasi_config_stdin_bytes(c, NULL, 0) == NULL);
    CHECK(kiln_wasi_config_stdout_buffer(c, 16) == NULL);
    if (c && !kiln_wasi_new(c, &w)) {
        CHECK_EQ(run_start(p.t, w, NULL), 0);
        CHECK(out_is(w, 1, ""));
        kiln_wasi_free(w);
    }
    CHECK(kiln_wasi_config_stdio(c, 1, KILN_WASI_STDIO_NULL) == NULL);
    if (c && !kiln_wasi_new(c, &w)) {
        const uint8_t *d;
        size_t n;
        CHECK(!kiln_wasi_stdout_bytes(w, &d, &n));
        kiln_wasi_free(w);
    }
    kiln_wasi_config_free(c);
    /* No kiln_wasi as user data: the first WASI call traps. */
    CHECK_EQ(run_start(p.t, NULL, NULL), -1);
    wasi_pool_free(&p);
}

TEST(pool_wasi_per_store_path_with_in_memory_stdio)
{
    kiln_engine *e = NULL;
    kiln_module *m = NULL;
    kiln_store *s = NULL;
    kiln_linker *l = NULL;
    kiln_wasi_config *c = NULL;
    kiln_wasi *w = NULL;
    kiln_instance *inst = NULL;
    static const char body[] = "per-store";
    kiln_error *err = kiln_engine_new(NULL, &e);
    if (!err)
        err = kiln_module_new(e, echo_wasm, sizeof echo_wasm, &m);
    if (!err)
        err = kiln_store_new(e, NULL, &s);
    if (!err)
        err = kiln_linker_new(s, &l);
    if (!err)
        err = kiln_wasi_config_new(&c);
    if (!err)
        err = kiln_wasi_config_stdin_bytes(c, body, sizeof body - 1);
    if (!err)
        err = kiln_wasi_config_stdout_buffer(c, 100);
    if (!err)
        err = kiln_wasi_config_stdio(c, 2, KILN_WASI_STDIO_NULL);
    if (!err)
        err = kiln_wasi_new(c, &w);
    if (!err)
        err = kiln_wasi_define(w, s, l);
    if (!err)
        err = kiln_linker_instantiate(l, m, &inst);
    if (!err)
        err = kiln_call(s, kiln_instance_export_func(inst, "_start"), NULL, 0, NULL, 0);
    CHECK(err && kiln_error_trap(err) == KILN_TRAP_EXIT && kiln_error_exit_code(err) == 0);
    kiln_error_free(err);
    CHECK(out_is(w, 1, body));
    kiln_linker_free(l);
    kiln_store_free(s);
    kiln_wasi_free(w);
    kiln_wasi_config_free(c);
    kiln_module_free(m);
    kiln_engine_free(e);
}

/* examples/wc.wasm (wasi-libc) in a pooled instance: reads a preopened
 * file, prints to the captured stdout; twice, in the same slot. */
TEST(pool_wasi_runs_a_wasi_libc_command)
{
    FILE *f = fopen("examples/wc.wasm", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static uint8_t bytes[1 << 20];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    wasi_pool p;
    if (!wasi_pool_new(&p, bytes, len))
        return;
    kiln_wasi_config *c = NULL;
    CHECK(kiln_wasi_config_new(&c) == NULL);
    CHECK(kiln_wasi_config_arg(c, "wc") == NULL);
    CHECK(kiln_wasi_config_arg(c, "/ex/fib.wat") == NULL);
    CHECK(kiln_wasi_config_preopen_dir(c, "examples", "/ex", KILN_WASI_DIR_READ) == NULL);
    CHECK(kiln_wasi_config_stdout_buffer(c, 4096) == NULL);
    CHECK(kiln_wasi_config_stderr_buffer(c, 4096) == NULL);
    for (int i = 0; i < 2 && c; i++) {
        kiln_wasi *w = NULL;
        kiln_error *err = kiln_wasi_new(c, &w);
        CHECK(err == NULL);
        kiln_error_free(err);
        if (err)
            break;
        CHECK_EQ(run_start(p.t, w, NULL), 0);
        const uint8_t *out = NULL;
        size_t n = 0;
        CHECK(kiln_wasi_stdout_bytes(w, &out, &n));
        char text[256] = "";
        memcpy(text, out, n < sizeof text - 1 ? n : sizeof text - 1);
        unsigned long lines = 0, words = 0, nbytes = 0;
        CHECK(sscanf(text, "%lu %lu %lu /ex/fib.wat", &lines, &words, &nbytes) == 3);
        CHECK(lines == 18 && words == 101 && nbytes == 702);
        CHECK(out_is(w, 2, ""));
        kiln_wasi_free(w);
    }
    kiln_wasi_config_free(c);
    wasi_pool_free(&p);
}
