/*
 * fuzz_kcw.c — libFuzzer target for the compiled-code artifact reader
 * (src/jit/artifact.c and kn_jit_load's checks in src/jit/jit.c): what
 * kiln_artifact_inspect and kiln_module_deserialize do with any bytes.
 *
 * Random bytes rarely get past the magic and never past the checksum, so
 * most inputs are edits of a valid artifact made at start-up (a module
 * with loads, stores, calls, call_indirect, helper calls and
 * memory.grow): input[0] picks the mode, the rest is (offset, xor)
 * triples and a cut.  Modes re-seal the checksum after the edits, and
 * optionally the module's digest too, so edits of the entries, the
 * relocations and the code reach the structural checks that run before
 * anything is mapped executable.  Nothing loaded is ever called.
 *
 * Aborts when the API contradicts itself: deserialize succeeding on an
 * artifact inspect finds a problem with, inspect failing on bytes with a
 * whole header, an error of a kind other than artifact, decode, validate
 * or out-of-memory, or more native functions than functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "kiln_wat.h"
#include "sha2.h"

#define REQUIRE(c)                                                            \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_kcw: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                          \
        }                                                                     \
    } while (0)

static const char module_wat[] =
    "(module (type $t (func (param i32) (result i32)))"
    " (memory 1) (table 2 funcref) (elem (i32.const 0) $sq $div)"
    " (func $sq (type $t) (i32.mul (local.get 0) (local.get 0)))"
    " (func $div (type $t) (i32.div_s (i32.const 100) (local.get 0)))"
    " (func (export \"run\") (param i32) (result i32)"
    "  (i32.store (i32.const 8) (call $sq (local.get 0)))"
    "  (drop (memory.grow (i32.const 1)))"
    "  (call_indirect (type $t) (i32.load (i32.const 8)) (i32.and (local.get 0) (i32.const 1)))))";

static kiln_engine *engine;
static uint8_t *good;
static size_t good_len;

static void setup(void)
{
    if (engine)
        return;
    REQUIRE(!kiln_engine_new(&(kiln_config){.tier = KILN_TIER_NATIVE}, &engine));
    uint8_t *wasm;
    size_t len;
    kiln_wat_error werr;
    REQUIRE(kiln_wat_to_wasm(module_wat, strlen(module_wat), &wasm, &len, &werr));
    kiln_module *m;
    REQUIRE(!kiln_module_new(engine, wasm, len, &m));
    kiln_wat_free(wasm);
    kiln_error *err = kiln_module_serialize(m, &good, &good_len);
    kiln_module_free(m);
    if (err) {   /* no native tier here: raw inputs only */
        kiln_error_free(err);
        good = NULL;
        good_len = 0;
    }
}

static void check(const uint8_t *b, size_t len)
{
    kiln_artifact_info info;
    kiln_error *ie = kiln_artifact_inspect(b, len, &info);
    if (len >= 136 && kiln_is_artifact(b, len))
        REQUIRE(!ie);
    if (!ie)
        REQUIRE(info.native_funcs <= info.funcs);
    kiln_module *m = NULL;
    kiln_error *err = kiln_module_deserialize(engine, b, len, &m);
    if (!err) {
        REQUIRE(m && !ie && info.problem == NULL);
        kiln_module_free(m);
    } else {
        kiln_error_kind k = kiln_error_kind_of(err);
        REQUIRE(!m);
        REQUIRE(k == KILN_ERR_ARTIFACT || k == KILN_ERR_DECODE || k == KILN_ERR_VALIDATE ||
                k == KILN_ERR_NOMEM);
        kiln_error_free(err);
    }
    kiln_error_free(ie);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (size == 0)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    if (mode % 4 == 0 || !good) {
        check(data, size);
        return 0;
    }
    uint8_t *b = malloc(good_len);
    REQUIRE(b);
    memcpy(b, good, good_len);
    size_t len = good_len;
    for (size_t i = 0; i + 3 <= size; i += 3) {
        size_t at = ((size_t)data[i] | (size_t)data[i + 1] << 8) % good_len;
        b[at] ^= data[i + 2];
    }
    if (size % 3 == 1 && (mode & 0x80))   /* a cut, from the last byte */
        len = (size_t)data[size - 1] * good_len / 256;
    if ((mode & 3) == 3 && len >= 136 + 32) {   /* fix the module's digest */
        uint64_t mlen = 0;
        memcpy(&mlen, b + 120, 8);
        if (mlen <= len - 136)
            kn_sha2_sum(b + 136, (size_t)mlen, b + 80);
    }
    if ((mode & 3) >= 2 && len >= 32)   /* re-seal the checksum */
        kn_sha2_sum(b, len - 32, b + len - 32);
    check(b, len);
    free(b);
    return 0;
}
