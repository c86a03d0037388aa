/*
 * embed.c — embedding kiln in a C program, start to finish.
 *
 * Loads a small module that imports one host function, env.square, and
 * exports sum_squares(n) = square(0) + square(1) + ... + square(n); calls it;
 * then calls it again with a fuel limit too small to finish, to show how a
 * limit surfaces as an error.  Prints:
 *
 *   sum_squares(10) = 385 (host called 11 times)
 *   sum_squares(1000000000): stopped: out of fuel
 *
 * Build:  make && cc -std=c11 -Iinclude examples/embed.c build/libkiln.a -lm -lpthread -o embed
 *
 * The module, as text (wat2wasm turns it into the bytes below):
 *
 *   (module
 *     (import "env" "square" (func $square (param i32) (result i32)))
 *     (func (export "sum_squares") (param $n i32) (result i32)
 *       (local $i i32) (local $acc i32)
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.gt_s (local.get $i) (local.get $n)))
 *           (local.set $acc (i32.add (local.get $acc) (call $square (local.get $i))))
 *           (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *           (br $next)))
 *       (local.get $acc)))
 */
#include <stdio.h>

#include "kiln.h"

static const uint8_t wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x02, 0x0e, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x73, 0x71, 0x75, 0x61, 0x72, 0x65,
    0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0f, 0x01, 0x0b, 0x73, 0x75, 0x6d, 0x5f, 0x73,
    0x71, 0x75, 0x61, 0x72, 0x65, 0x73, 0x00, 0x01, 0x0a, 0x27, 0x01, 0x25, 0x01, 0x02, 0x7f,
    0x02, 0x40, 0x03, 0x40, 0x20, 0x01, 0x20, 0x00, 0x4a, 0x0d, 0x01, 0x20, 0x02, 0x20, 0x01,
    0x10, 0x00, 0x6a, 0x21, 0x02, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x0c, 0x00, 0x0b,
    0x0b, 0x20, 0x02, 0x0b,
};

/* The host function: (i32) -> i32.  env points at a call counter. */
static kiln_error *square(kiln_caller *caller, void *env, const kiln_val *args,
                          kiln_val *results)
{
    (void)caller;
    ++*(int *)env;
    results[0].kind = KILN_I32;
    results[0].of.i32 = args[0].of.i32 * args[0].of.i32;
    return NULL;
}

static int fail(const char *what, kiln_error *e)
{
    fprintf(stderr, "embed: %s: %s\n", what, kiln_error_message(e));
    kiln_error_free(e);
    return 1;
}

int main(void)
{
    kiln_engine *engine;
    kiln_module *module;
    kiln_store *store;
    kiln_linker *linker;
    kiln_instance *instance;
    kiln_func *host, *sum;
    kiln_error *e;
    int calls = 0, rc = 1;

    if ((e = kiln_engine_new(NULL, &engine)))
        return fail("engine", e);
    /* Decode, validate and lower once; the module can be shared by threads. */
    if ((e = kiln_module_new(engine, wasm, sizeof wasm, &module))) {
        rc = fail("module", e);
        goto free_engine;
    }
    /* A store carries the limits; zeros mean the defaults. */
    kiln_store_limits limits = {
        .max_memory_bytes = 64u << 20, .max_call_depth = 1000, .fuel = 1000000};
    if ((e = kiln_store_new(engine, &limits, &store))) {
        rc = fail("store", e);
        goto free_module;
    }

    /* Host function env.square: (i32) -> i32. */
    static const kiln_valkind i32[] = {KILN_I32};
    kiln_functype type = {.nparams = 1, .nresults = 1, .params = i32, .results = i32};
    if ((e = kiln_func_new(store, &type, square, &calls, NULL, &host)) ||
        (e = kiln_linker_new(store, &linker))) {
        rc = fail("host function", e);
        goto free_store;
    }
    if ((e = kiln_linker_define_func(linker, "env", "square", host)) ||
        (e = kiln_linker_instantiate(linker, module, &instance))) {
        rc = fail("instantiate", e);
        goto free_linker;
    }

    sum = kiln_instance_export_func(instance, "sum_squares");
    if (!sum) {
        fprintf(stderr, "embed: no export sum_squares\n");
        goto free_linker;
    }
    kiln_val arg = {.kind = KILN_I32, .of.i32 = 10}, result;
    if ((e = kiln_call(store, sum, &arg, 1, &result, 1))) {
        rc = fail("call", e);
        goto free_linker;
    }
    printf("sum_squares(10) = %d (host called %d times)\n", result.of.i32, calls);

    /* Limits surface as errors: leave the store a little fuel, ask for a lot. */
    kiln_store_set_fuel(store, 10000);
    arg.of.i32 = 1000000000;
    e = kiln_call(store, sum, &arg, 1, &result, 1);
    if (e && kiln_error_kind_of(e) == KILN_ERR_LIMIT &&
        kiln_error_trap(e) == KILN_TRAP_OUT_OF_FUEL) {
        printf("sum_squares(1000000000): stopped: out of fuel\n");
        rc = 0;
    } else {
        fprintf(stderr, "embed: expected to run out of fuel: %s\n",
                e ? kiln_error_message(e) : "the call finished");
    }
    if (e)
        kiln_error_free(e);

free_linker:
    kiln_linker_free(linker);
free_store:
    kiln_store_free(store); /* frees the instance and the host function too */
free_module:
    kiln_module_free(module);
free_engine:
    kiln_engine_free(engine);
    return rc;
}
