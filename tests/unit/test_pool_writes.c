/*
 * test_pool_writes.c — a template slot's memory is reset from the map of
 * pages written (runtime.h), and nothing written reaches the next use:
 * every store instruction (each width, the constant and base+add forms,
 * v128.store and its lanes), memory.fill, memory.copy, memory.init and
 * WASI's writes (random_get, fd_read from in-memory stdin), at addresses
 * that cross page boundaries and at the memory's last bytes, on both
 * tiers.  After each use the next use's whole memory is compared with the
 * first use's, and the template's counters must say the map did the reset
 * (kiln_memory_data in a use falls back to asking the OS: also checked).
 * With kiln_config.no_write_map every reset asks the OS, as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "kiln_wasi.h"
#include "kiln_wat.h"
#include "unit.h"

/* Three 64 KiB pages, an image that crosses the first 4 KiB boundary, a
 * passive segment; one export per way of writing, each (addr, value). */
static const char writes_wat[] =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"random_get\" (func $rnd (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_read\" (func $rd (param i32 i32 i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 3 4)\n"
    "  (data (i32.const 4080) \"an image across a page boundary\")\n"
    "  (data $p \"passive bytes!\")\n"
    "  (func (export \"i32.store8\") (param $a i32) (param $v i64)\n"
    "    (i32.store8 (local.get $a) (i32.wrap_i64 (local.get $v))))\n"
    "  (func (export \"i32.store16\") (param $a i32) (param $v i64)\n"
    "    (i32.store16 (local.get $a) (i32.wrap_i64 (local.get $v))))\n"
    "  (func (export \"i32.store\") (param $a i32) (param $v i64)\n"
    "    (i32.store (local.get $a) (i32.wrap_i64 (local.get $v))))\n"
    "  (func (export \"i64.store8\") (param $a i32) (param $v i64)\n"
    "    (i64.store8 (local.get $a) (local.get $v)))\n"
    "  (func (export \"i64.store16\") (param $a i32) (param $v i64)\n"
    "    (i64.store16 (local.get $a) (local.get $v)))\n"
    "  (func (export \"i64.store32\") (param $a i32) (param $v i64)\n"
    "    (i64.store32 (local.get $a) (local.get $v)))\n"
    "  (func (export \"i64.store\") (param $a i32) (param $v i64)\n"
    "    (i64.store (local.get $a) (local.get $v)))\n"
    "  (func (export \"f32.store\") (param $a i32) (param $v i64)\n"
    "    (f32.store (local.get $a) (f32.convert_i64_s (local.get $v))))\n"
    "  (func (export \"f64.store\") (param $a i32) (param $v i64)\n"
    "    (f64.store (local.get $a) (f64.reinterpret_i64 (local.get $v))))\n"
    "  (func (export \"i64.store/k\") (param $a i32) (param $v i64)\n"
    "    (i64.store (local.get $a) (i64.const -2)))\n"
    "  (func (export \"i32.store/ak\") (param $a i32) (param $v i64)\n"
    "    (i32.store offset=1 (i32.add (local.get $a) (i32.const 1)) (i32.const -3)))\n"
    "  (func (export \"v128.store\") (param $a i32) (param $v i64)\n"
    "    (v128.store (local.get $a) (i64x2.splat (local.get $v))))\n"
    "  (func (export \"v128.store8_lane\") (param $a i32) (param $v i64)\n"
    "    (v128.store8_lane 3 (local.get $a) (i64x2.splat (local.get $v))))\n"
    "  (func (export \"v128.store16_lane\") (param $a i32) (param $v i64)\n"
    "    (v128.store16_lane 5 (local.get $a) (i64x2.splat (local.get $v))))\n"
    "  (func (export \"v128.store32_lane\") (param $a i32) (param $v i64)\n"
    "    (v128.store32_lane 2 (local.get $a) (i64x2.splat (local.get $v))))\n"
    "  (func (export \"v128.store64_lane\") (param $a i32) (param $v i64)\n"
    "    (v128.store64_lane 1 (local.get $a) (i64x2.splat (local.get $v))))\n"
    "  (func (export \"memory.fill\") (param $a i32) (param $v i64)\n"
    "    (memory.fill (local.get $a) (i32.wrap_i64 (local.get $v)) (i32.const 13)))\n"
    "  (func (export \"memory.copy\") (param $a i32) (param $v i64)\n"
    "    (memory.copy (local.get $a) (i32.const 4080) (i32.const 14)))\n"
    "  (func (export \"memory.init\") (param $a i32) (param $v i64)\n"
    "    (memory.init $p (local.get $a) (i32.const 0) (i32.const 14)))\n"
    "  (func (export \"random_get\") (param $a i32) (param $v i64)\n"
    "    (drop (call $rnd (local.get $a) (i32.const 12))))\n"
    "  (func (export \"fd_read\") (param $a i32) (param $v i64)\n"
    "    (i32.store (i32.const 64) (local.get $a))\n"
    "    (i32.store (i32.const 68) (i32.const 12))\n"
    "    (drop (call $rd (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 72))))\n"
    "  (func (export \"grown\") (param $a i32) (param $v i64)\n"
    "    (drop (memory.grow (i32.const 1)))\n"
    "    (i64.store (i32.add (local.get $a) (i32.const 65536)) (local.get $v))))\n";

static const char *const writers[] = {
    "i32.store8", "i32.store16", "i32.store", "i64.store8", "i64.store16", "i64.store32",
    "i64.store", "f32.store", "f64.store", "i64.store/k", "i32.store/ak", "v128.store",
    "v128.store8_lane", "v128.store16_lane", "v128.store32_lane", "v128.store64_lane",
    "memory.fill", "memory.copy", "memory.init", "random_get", "fd_read", "grown",
};

#define MEM_BYTES (3u * 65536)

/* Where each writer writes: page starts, every offset an access of up to
 * 16 bytes can cross a 4 KiB boundary from, the image, the last bytes. */
static const uint32_t addrs[] = {
    0, 4081, 4088, 4090, 4092, 4094, 4095, 4096, 8190, 65535, 131071 - 7,
    MEM_BYTES - 16,
};

typedef struct pool {
    kiln_engine *e;
    kiln_module *m;
    kiln_template_builder *b;
    kiln_template *t;
    kiln_wasi_config *wc;
} pool;

static bool pool_new(pool *p, kiln_tier tier, bool no_map, const uint8_t *wasm, size_t len)
{
    memset(p, 0, sizeof *p);
    kiln_config cfg = {.tier = tier, .no_write_map = no_map};
    kiln_template_config tc = {.max_slots = 1};
    static const char in[] = "stdin bytes!!";
    kiln_error *err = kiln_engine_new(&cfg, &p->e);
    if (!err)
        err = kiln_module_new(p->e, wasm, len, &p->m);
    if (!err)
        err = kiln_template_builder_new(p->e, &p->b);
    if (!err)
        err = kiln_wasi_define_template(p->b);
    if (!err)
        err = kiln_template_new(p->b, p->m, &tc, &p->t);
    if (!err)
        err = kiln_wasi_config_new(&p->wc);
    if (!err)
        err = kiln_wasi_config_stdin_bytes(p->wc, in, sizeof in - 1);
    if (err)
        printf("  pool_new: %s\n", kiln_error_message(err));
    CHECK(err == NULL);
    kiln_error_free(err);
    return err == NULL;
}

static void pool_free(pool *p)
{
    kiln_wasi_config_free(p->wc);
    kiln_template_free(p->t);
    kiln_template_builder_free(p->b);
    kiln_module_free(p->m);
    kiln_engine_free(p->e);
}

/* One use: snapshot the memory into `now` (through kiln_memory_read,
 * which keeps the map), then call `name` (NULL: nothing).  With `raw`,
 * also take kiln_memory_data, which should make the reset ask the OS. */
static bool use(pool *p, const char *name, uint32_t addr, uint8_t *now, bool raw)
{
    kiln_store *s;
    kiln_instance *inst;
    kiln_wasi *w = NULL;
    kiln_error *err = kiln_wasi_new(p->wc, &w);
    if (!err)
        err = kiln_template_instantiate(p->t, NULL, w, &s, &inst);
    if (err) {
        printf("  use: %s\n", kiln_error_message(err));
        kiln_error_free(err);
        kiln_wasi_free(w);
        return false;
    }
    kiln_memory *mem = kiln_instance_export_memory(inst, "memory");
    bool ok = kiln_memory_size(mem) == MEM_BYTES && kiln_memory_read(mem, 0, now, MEM_BYTES);
    if (name) {
        kiln_func *f = kiln_instance_export_func(inst, name);
        kiln_val a[2] = {{.kind = KILN_I32, .of.i32 = (int32_t)addr},
                         {.kind = KILN_I64, .of.i64 = (int64_t)0x8badf00ddeadbeefull}};
        err = f ? kiln_call(s, f, a, 2, NULL, 0) : kiln_trap_new("no such export");
        if (err)
            printf("  %s(%u): %s\n", name, addr, kiln_error_message(err));
        ok = ok && !err;
        kiln_error_free(err);
    }
    if (raw)
        kiln_memory_data(mem)[addr] ^= 0xff;
    kiln_store_free(s);
    kiln_wasi_free(w);
    return ok;
}

/* Every writer at every address, each use checked by the next.  no_map:
 * the engine leaves the map out, and every reset asks the OS. */
static void every_write(kiln_tier tier, bool no_map)
{
    uint8_t *wasm = NULL;
    size_t len = 0;
    kiln_wat_error werr;
    CHECK(kiln_wat_to_wasm(writes_wat, sizeof writes_wat - 1, &wasm, &len, &werr));
    pool p;
    if (!wasm || !pool_new(&p, tier, no_map, wasm, len)) {
        kiln_wat_free(wasm);
        return;
    }
    uint8_t *first = malloc(MEM_BYTES), *now = malloc(MEM_BYTES);
    CHECK(first && now && use(&p, NULL, 0, first, false));
    CHECK(first && memcmp(first + 4080, "an image", 8) == 0);
    int leaks = 0;
    size_t nw = sizeof writers / sizeof writers[0], na = sizeof addrs / sizeof addrs[0];
    for (size_t i = 0; first && now && i < nw; i++) {
        for (size_t j = 0; j < na; j++) {
            CHECK(use(&p, writers[i], addrs[j], now, false));
            CHECK(use(&p, NULL, 0, now, false));
            if (memcmp(now, first, MEM_BYTES) != 0 && leaks++ < 5)
                printf("  %s at %u: the next use saw the write\n", writers[i], addrs[j]);
        }
    }
    CHECK_EQ(leaks, 0);
    uint64_t by_map = 0, by_scan = 0;
    kiln_template_resets(p.t, &by_map, &by_scan);
    CHECK_EQ(no_map ? by_map : by_scan, 0);
    CHECK_EQ(no_map ? by_scan : by_map, 1 + 2 * nw * na);
    if (no_map)
        goto out;
    /* A host write through kiln_memory_data is not in the map: that use's
     * reset asks the OS, and the next use is back on the map. */
    CHECK(use(&p, NULL, 0, now, true));
    CHECK(use(&p, "i32.store8", 100, now, false));
    CHECK(use(&p, NULL, 0, now, false));
    CHECK(memcmp(now, first, MEM_BYTES) == 0);
    kiln_template_resets(p.t, &by_map, &by_scan);
    CHECK_EQ(by_scan, 1);
    CHECK_EQ(by_map, 1 + 2 * nw * na + 2);
out:
    free(first);
    free(now);
    pool_free(&p);
    kiln_wat_free(wasm);
}

TEST(pool_every_write_is_reset_from_the_map) { every_write(KILN_TIER_INTERP, false); }
TEST(pool_every_write_is_reset_from_the_map_native) { every_write(KILN_TIER_NATIVE, false); }
TEST(pool_every_write_is_reset_without_the_map) { every_write(KILN_TIER_NATIVE, true); }
