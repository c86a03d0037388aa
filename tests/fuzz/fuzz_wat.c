/*
 * fuzz_wat.c — libFuzzer target for the text-format parser (src/wat/):
 * the input as a module (kiln_wat_to_wasm) and as a .wast script
 * (kiln_wast_parse, then every quoted module in it).
 *
 * Besides what ASan and UBSan catch, it aborts when the API contradicts
 * itself: a failure without a message or with a position past the input's
 * lines, a success whose output is not a module header, or a binary that
 * kiln_module_new neither accepts nor rejects cleanly (it must do one or
 * the other; either is fine, since the parser does not validate).  Inputs
 * of odd length are parsed with debug_names (a name section).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "kiln_wat.h"

#define REQUIRE(c)                                                           \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "fuzz_wat: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                         \
        }                                                                    \
    } while (0)

static kiln_engine *engine;
static uint32_t input_lines;
static kiln_wat_options opts; /* debug_names on for inputs of odd length */

static void check_error(const kiln_wat_error *e)
{
    REQUIRE(e->message[0] != 0);
    REQUIRE(e->line <= input_lines);
}

static void compile(const uint8_t *wasm, size_t len)
{
    REQUIRE(len >= 8 && memcmp(wasm, "\0asm\1\0\0\0", 8) == 0);
    kiln_module *m = NULL;
    kiln_error *err = kiln_module_new(engine, wasm, len, &m);
    REQUIRE((err == NULL) != (m == NULL));
    if (err)
        REQUIRE(kiln_error_message(err) != NULL);
    kiln_error_free(err);
    kiln_module_free(m);
}

static void as_module(const char *text, size_t len)
{
    uint8_t *wasm = NULL;
    size_t n = 0;
    kiln_wat_error e;
    memset(&e, 0, sizeof e);
    if (kiln_wat_to_wasm_opts(text, len, &opts, &wasm, &n, &e)) {
        compile(wasm, n);
        kiln_wat_free(wasm);
    } else {
        REQUIRE(wasm == NULL);
        check_error(&e);
    }
}

static void as_script(const char *text, size_t len)
{
    kiln_wast_script *s = NULL;
    kiln_wat_error e;
    memset(&e, 0, sizeof e);
    if (!kiln_wast_parse_opts(text, len, &opts, &s, &e)) {
        REQUIRE(s == NULL);
        check_error(&e);
        return;
    }
    for (size_t i = 0; i < kiln_wast_count(s); i++) {
        const kiln_wast_command *c = kiln_wast_get(s, i);
        REQUIRE(c && c->line >= 1 && c->line <= input_lines);
        if (!c->has_module)
            continue;
        if (c->module.form == KILN_WAST_MODULE_QUOTE) {
            REQUIRE(c->module.bytes[c->module.len] == 0);
            as_module((const char *)c->module.bytes, c->module.len);
        } else if (c->module.form == KILN_WAST_MODULE_TEXT && !c->module.parse_failed) {
            compile(c->module.bytes, c->module.len);
        }
    }
    REQUIRE(kiln_wast_get(s, kiln_wast_count(s)) == NULL);
    kiln_wast_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine && kiln_engine_new(NULL, &engine))
        abort();
    opts.debug_names = size & 1;
    input_lines = 1;
    for (size_t i = 0; i < size; i++)
        input_lines += data[i] == '\n';
    (void)kiln_wat_is_text(data, size);
    as_module((const char *)data, size);
    as_script((const char *)data, size);
    return 0;
}
