/*
 * test_artifact.c — the engine's SHA-256 (src/engine/sha2.c) against the
 * FIPS 180-4 / NIST example vectors, and compiled-code artifacts through
 * the API (src/jit/artifact.c): a serialized module deserializes and runs
 * with its code taken from the artifact; every truncation and every
 * single-byte change of an artifact is rejected with KILN_ERR_ARTIFACT
 * (never a crash, never code run); the cache stores, then hits.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit/jit.h"
#include "kiln.h"
#include "kiln_wat.h"
#include "sha2.h"
#include "unit.h"

static bool digest_is(const uint8_t d[32], const char *hexd)
{
    char h[65];
    for (int i = 0; i < 32; i++)
        snprintf(h + 2 * i, 3, "%02x", d[i]);
    return strcmp(h, hexd) == 0;
}

TEST(sha2_vectors)
{
    uint8_t d[32];
    kn_sha2_sum("", 0, d);
    CHECK(digest_is(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    kn_sha2_sum("abc", 3, d);
    CHECK(digest_is(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    kn_sha2_sum(two, strlen(two), d);
    CHECK(digest_is(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    /* a million 'a's, fed in uneven pieces to cross every block boundary */
    static char a[1000];
    memset(a, 'a', sizeof a);
    kn_sha2 c;
    kn_sha2_init(&c);
    size_t left = 1000000, piece = 1;
    while (left) {
        size_t n = piece < left ? piece : left;
        kn_sha2_update(&c, a, n);
        left -= n;
        piece = piece % 990 + 7;   /* at most 996 */
    }
    kn_sha2_final(&c, d);
    CHECK(digest_is(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

static const char fib_wat[] =
    "(module (func $fib (export \"fib\") (param i64) (result i64)"
    " (if (result i64) (i64.lt_u (local.get 0) (i64.const 2)) (then (local.get 0))"
    " (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))"
    "  (call $fib (i64.sub (local.get 0) (i64.const 2)))))))"
    " (func (export \"div\") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1))))";

static int64_t call_fib(kiln_engine *e, const kiln_module *m, int64_t n)
{
    kiln_store *s = NULL;
    kiln_linker *l = NULL;
    kiln_instance *inst = NULL;
    kiln_val arg = {.kind = KILN_I64, .of.i64 = n}, res = {0};
    int64_t r = -1;
    if (!kiln_store_new(e, NULL, &s) && !kiln_linker_new(s, &l) &&
        !kiln_linker_instantiate(l, m, &inst)) {
        kiln_error *err = kiln_call(s, kiln_instance_export_func(inst, "fib"), &arg, 1, &res, 1);
        r = err ? -2 : res.of.i64;
        kiln_error_free(err);
    }
    kiln_linker_free(l);
    kiln_store_free(s);
    return r;
}

static kiln_module *fib_module(kiln_engine *e)
{
    uint8_t *wasm;
    size_t len;
    kiln_wat_error werr;
    if (!kiln_wat_to_wasm(fib_wat, strlen(fib_wat), &wasm, &len, &werr))
        return NULL;
    kiln_module *m = NULL;
    kiln_error *err = kiln_module_new(e, wasm, len, &m);
    kiln_error_free(err);
    kiln_wat_free(wasm);
    return m;
}

TEST(artifact_roundtrip_and_damage)
{
    if (!kn_jit_available())
        return;
    kiln_engine *e;
    CHECK(!kiln_engine_new(&(kiln_config){.tier = KILN_TIER_NATIVE}, &e));
    kiln_module *m = fib_module(e);
    CHECK(m != NULL);
    uint8_t *art = NULL;
    size_t len = 0;
    CHECK(!kiln_module_serialize(m, &art, &len));
    CHECK(kiln_is_artifact(art, len));
    kiln_artifact_info info;
    CHECK(!kiln_artifact_inspect(art, len, &info));
    CHECK(info.problem == NULL);
    CHECK_EQ(info.native_funcs, 2);
    CHECK(info.relocs >= 2);   /* call_slow's budget path and the div helper at least */

    kiln_module *m2 = NULL;
    CHECK(!kiln_module_deserialize(e, art, len, &m2));
    CHECK_EQ(kiln_module_native_funcs(m2, NULL), 2);
    CHECK_EQ(call_fib(e, m2, 20), 6765);
    kiln_code_range r[4];
    CHECK_EQ(kiln_module_code_ranges(m2, r, 4), 3);
    CHECK(r[0].func == UINT32_MAX && r[1].func == 0 && strcmp(r[1].name, "fib") == 0);
    CHECK((const uint8_t *)r[0].start + r[0].size == r[1].start);
    /* the artifact of a loaded module is the same bytes */
    uint8_t *art2 = NULL;
    size_t len2 = 0;
    CHECK(!kiln_module_serialize(m2, &art2, &len2));
    CHECK(len2 == len && memcmp(art, art2, len) == 0);
    free(art2);
    kiln_module_free(m2);

    /* every cut and every flipped byte: rejected, nothing loaded */
    for (size_t cut = 0; cut < len; cut++) {
        kiln_module *bad = NULL;
        kiln_error *err = kiln_module_deserialize(e, art, cut, &bad);
        CHECK(err && kiln_error_kind_of(err) == KILN_ERR_ARTIFACT && !bad);
        kiln_error_free(err);
    }
    for (size_t i = 0; i < len; i++) {
        art[i] ^= 0x20;
        kiln_module *bad = NULL;
        kiln_error *err = kiln_module_deserialize(e, art, len, &bad);
        CHECK(err && kiln_error_kind_of(err) == KILN_ERR_ARTIFACT && !bad);
        kiln_error_free(err);
        art[i] ^= 0x20;
    }
    free(art);

    /* an interpreter module has no code to serialize */
    kiln_engine *ie;
    kiln_config icfg = {.tier = KILN_TIER_INTERP};
    CHECK(!kiln_engine_new(&icfg, &ie));
    kiln_module *im = fib_module(ie);
    kiln_error *err = kiln_module_serialize(im, &art, &len);
    CHECK(err && kiln_error_kind_of(err) == KILN_ERR_ARG);
    kiln_error_free(err);
    kiln_module_free(im);
    kiln_engine_free(ie);
    kiln_module_free(m);
    kiln_engine_free(e);
}

/* Code compiled without the written-page map (kiln_config.no_write_map)
 * is not loaded by an engine that keeps it, nor the other way round: its
 * stores would leave pages out of a template's reset. */
TEST(artifact_write_map_is_part_of_the_configuration)
{
    if (!kn_jit_available())
        return;
    kiln_engine *with = NULL, *without = NULL;
    CHECK(!kiln_engine_new(&(kiln_config){.tier = KILN_TIER_NATIVE}, &with));
    CHECK(!kiln_engine_new(&(kiln_config){.tier = KILN_TIER_NATIVE, .no_write_map = true},
                           &without));
    kiln_engine *engines[2] = {with, without};
    for (int i = 0; i < 2 && with && without; i++) {
        kiln_module *m = fib_module(engines[i]);
        uint8_t *art = NULL;
        size_t len = 0;
        CHECK(m && !kiln_module_serialize(m, &art, &len));
        kiln_module *same = NULL, *other = NULL;
        CHECK(!kiln_module_deserialize(engines[i], art, len, &same));
        CHECK_EQ(call_fib(engines[i], same, 10), 55);
        kiln_error *err = kiln_module_deserialize(engines[1 - i], art, len, &other);
        CHECK(err && kiln_error_kind_of(err) == KILN_ERR_ARTIFACT && !other);
        CHECK(err && strstr(kiln_error_message(err), "another configuration") != NULL);
        kiln_error_free(err);
        kiln_module_free(same);
        kiln_module_free(m);
        free(art);
    }
    kiln_engine_free(with);
    kiln_engine_free(without);
}

TEST(artifact_cache_dir)
{
    if (!kn_jit_available())
        return;
    char dir[] = "/tmp/kiln-unit-cache-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sub[64];
    snprintf(sub, sizeof sub, "%s/a/b", dir);   /* made on first store */
    kiln_engine *e;
    CHECK(!kiln_engine_new(&(kiln_config){.tier = KILN_TIER_NATIVE, .cache_dir = sub}, &e));
    const char *detail = NULL;
    kiln_module *m = fib_module(e);
    CHECK(kiln_module_cache_status(m, &detail) == KILN_CACHE_STORED);
    CHECK(detail && strncmp(detail, sub, strlen(sub)) == 0);
    char path[256];
    snprintf(path, sizeof path, "%s", detail);
    kiln_module_free(m);
    m = fib_module(e);
    CHECK(kiln_module_cache_status(m, NULL) == KILN_CACHE_HIT);
    CHECK_EQ(call_fib(e, m, 15), 610);
    kiln_module_free(m);
    /* damage it: rejected, recompiled, replaced */
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 200, SEEK_SET);
        fputc(0x55, f);
        fclose(f);
    }
    m = fib_module(e);
    CHECK(kiln_module_cache_status(m, &detail) == KILN_CACHE_REJECTED);
    CHECK(detail && strstr(detail, "checksum mismatch"));
    CHECK_EQ(call_fib(e, m, 15), 610);
    kiln_module_free(m);
    m = fib_module(e);
    CHECK(kiln_module_cache_status(m, NULL) == KILN_CACHE_HIT);
    kiln_module_free(m);
    kiln_engine_free(e);
    unlink(path);
    char p2[128];
    rmdir(sub);
    snprintf(p2, sizeof p2, "%s/a", dir);
    rmdir(p2);
    rmdir(dir);
}
