/*
 * test_messages.c — what the engine tells an embedder when something is
 * wrong: limits kiln_store_new refuses (KILN_ERR_ARG naming the limit, not
 * out of memory), the call-depth limit taken exactly, validation messages
 * that name the function, the instruction and the types at the opcode's
 * offset, and backtrace frames named from the exports when a module has no
 * name section.  Modules are written out byte by byte, without names.
 */
#include <string.h>

#include "kiln.h"
#include "unit.h"

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

static bool store_refuses(const kiln_store_limits *l, const char *name)
{
    kiln_engine *engine;
    kiln_store *store = NULL;
    if (kiln_engine_new(NULL, &engine))
        return false;
    kiln_error *e = kiln_store_new(engine, l, &store);
    bool ok = e && kiln_error_kind_of(e) == KILN_ERR_ARG &&
              strstr(kiln_error_message(e), name) != NULL;
    if (!ok)
        printf("    got: %s\n", e ? kiln_error_message(e) : "a store");
    kiln_error_free(e);
    kiln_store_free(store);
    kiln_engine_free(engine);
    return ok;
}

TEST(store_new_refuses_limits_it_cannot_honour)
{
    CHECK(store_refuses(&(kiln_store_limits){.max_stack_bytes = (uint64_t)100 << 30},
                        "max_stack_bytes"));
    CHECK(store_refuses(&(kiln_store_limits){.max_stack_bytes = KILN_MAX_STACK_BYTES + 1},
                        "max_stack_bytes"));
    CHECK(store_refuses(&(kiln_store_limits){.max_memory_bytes = KILN_MAX_MEMORY_BYTES + 1},
                        "max_memory_bytes"));
    CHECK(store_refuses(&(kiln_store_limits){.max_table_elems = KILN_MAX_TABLE_ELEMS + 1},
                        "max_table_elems"));
    CHECK(store_refuses(&(kiln_store_limits){.max_call_depth = KILN_MAX_CALL_DEPTH + 1},
                        "max_call_depth"));
    /* The maxima themselves are accepted. */
    kiln_engine *engine;
    kiln_store *store = NULL;
    CHECK(kiln_engine_new(NULL, &engine) == NULL);
    kiln_store_limits max = {.max_stack_bytes = KILN_MAX_STACK_BYTES,
                             .max_memory_bytes = KILN_MAX_MEMORY_BYTES,
                             .max_table_elems = KILN_MAX_TABLE_ELEMS,
                             .max_call_depth = KILN_MAX_CALL_DEPTH};
    CHECK(kiln_store_new(engine, &max, &store) == NULL);
    kiln_store_free(store);
    kiln_engine_free(engine);
}

/* (func $r (export "r") (param i32) (result i32)
 *   (if (result i32) (local.get 0)
 *     (then (call $r (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0))))
 * and (func (export "t") unreachable), with no name section. */
static const uint8_t recurse[] = {
    HDR,
    0x01, 0x09, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, /* types */
    0x03, 0x03, 0x02, 0x00, 0x01,                                     /* funcs */
    0x07, 0x09, 0x02, 0x01, 'r', 0x00, 0x00, 0x01, 't', 0x00, 0x01,   /* exports */
    0x0a, 0x17, 0x02,                                                 /* code */
    0x11, 0x00, 0x20, 0x00, 0x04, 0x7f, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x00,
    0x05, 0x41, 0x00, 0x0b, 0x0b,
    0x03, 0x00, 0x00, 0x0b,
};

/* Calls export "r" with n under a depth limit; returns the error. */
static kiln_error *call_r(uint32_t depth, int32_t n, const char *export)
{
    kiln_engine *engine;
    kiln_module *module;
    kiln_store *store;
    kiln_instance *inst;
    kiln_linker *linker;
    kiln_error *e;
    if ((e = kiln_engine_new(NULL, &engine)))
        return e;
    if ((e = kiln_module_new(engine, recurse, sizeof recurse, &module))) {
        kiln_engine_free(engine);
        return e;
    }
    kiln_store_limits l = {.max_call_depth = depth};
    if (!(e = kiln_store_new(engine, &l, &store))) {
        if (!(e = kiln_linker_new(store, &linker))) {
            if (!(e = kiln_linker_instantiate(linker, module, &inst))) {
                kiln_val arg = {.kind = KILN_I32, .of.i32 = n}, res;
                kiln_func *f = kiln_instance_export_func(inst, export);
                e = kiln_call(store, f, &arg, n < 0 ? 0 : 1, &res, n < 0 ? 0 : 1);
            }
            kiln_linker_free(linker);
        }
        kiln_store_free(store);
    }
    kiln_module_free(module);
    kiln_engine_free(engine);
    return e;
}

TEST(call_depth_is_exact)
{
    kiln_error *e;
    CHECK((e = call_r(1, 0, "r")) == NULL);
    kiln_error_free(e);
    e = call_r(1, 1, "r");
    CHECK(e && kiln_error_trap(e) == KILN_TRAP_STACK_EXHAUSTED);
    CHECK(e && kiln_error_frame_count(e) == 1);
    kiln_error_free(e);
    CHECK((e = call_r(5, 4, "r")) == NULL);
    kiln_error_free(e);
    e = call_r(5, 5, "r");
    CHECK(e && kiln_error_trap(e) == KILN_TRAP_STACK_EXHAUSTED);
    CHECK(e && kiln_error_frame_count(e) == 5);
    kiln_error_free(e);
}

TEST(backtrace_names_from_exports)
{
    kiln_error *e = call_r(0, -1, "t");
    CHECK(e && kiln_error_trap(e) == KILN_TRAP_UNREACHABLE);
    CHECK(e && kiln_error_frame_count(e) == 1);
    const char *name = e ? kiln_error_frame_name(e, 0) : NULL;
    CHECK(name && strcmp(name, "t") == 0);
    kiln_error_free(e);
}

static bool rejects(const uint8_t *b, size_t n, kiln_error_kind kind, int64_t offset,
                    const char *msg)
{
    kiln_engine *engine;
    kiln_module *module = NULL;
    if (kiln_engine_new(NULL, &engine))
        return false;
    kiln_error *e = kiln_module_new(engine, b, n, &module);
    bool ok = e && kiln_error_kind_of(e) == kind && kiln_error_offset(e) == offset &&
              strcmp(kiln_error_message(e), msg) == 0;
    if (!ok)
        printf("    got: %s at %lld\n", e ? kiln_error_message(e) : "a module",
               e ? (long long)kiln_error_offset(e) : -1LL);
    kiln_error_free(e);
    kiln_module_free(module);
    kiln_engine_free(engine);
    return ok;
}

TEST(validation_messages)
{
    /* (func (export "f") (result i32) i32.const 1 f32.const 0 i32.add):
     * the add is at 0x26. */
    static const uint8_t binop[] = {
        HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
        0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
        0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x41, 0x01, 0x43, 0x00, 0x00, 0x00, 0x00, 0x6a, 0x0b};
    CHECK(rejects(binop, sizeof binop, KILN_ERR_VALIDATE, 0x26,
                  "func[0] <f>: type mismatch in i32.add, expected [i32, i32] but got [i32, f32]"));
    /* (func (result i32) i64.const 1): the end at 0x1a */
    static const uint8_t result[] = {HDR,  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03,
                                     0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42,
                                     0x01, 0x0b};
    CHECK(rejects(result, sizeof result, KILN_ERR_VALIDATE, 0x1a,
                  "func[0]: type mismatch at end of function, expected [i32] but got [i64]"));
    /* a 0xfc prefix with a sub-opcode no instruction has: at the prefix */
    static const uint8_t prefixed[] = {HDR,  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03,
                                       0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00,
                                       0xfc, 0x7f, 0x0b};
    CHECK(rejects(prefixed, sizeof prefixed, KILN_ERR_DECODE, 0x17,
                  "func[0]: illegal opcode 0xfc 127"));
}
