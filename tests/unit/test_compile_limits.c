/*
 * test_compile_limits.c — hostile function bodies that a naive single-pass
 * validator handles in quadratic time: a deep operand stack crossed by many
 * block boundaries, many local.set under many pending local.get, deeply
 * nested loops, and a long br_table over many labels that need value
 * copies.  Each module is built here, about half a megabyte, and must load;
 * with the linear algorithms of compile.c each takes milliseconds (a
 * quadratic regression turns this suite from instant to minutes).
 */
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "unit.h"

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_leb(buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v)
            byte |= 0x80;
        put(b, &byte, 1);
    } while (v);
}

static void put_rep(buf *b, const char *bytes, size_t len, uint32_t times)
{
    for (uint32_t i = 0; i < times; i++)
        put(b, bytes, len);
}

static void section(buf *m, uint8_t id, const buf *payload)
{
    put(m, &id, 1);
    put_leb(m, (uint32_t)payload->n);
    put(m, payload->p, payload->n);
}

/* A module with one function () -> () with two i32 locals and one page of
 * memory, whose body (without the final end) is `body`. */
static bool loads(const buf *body)
{
    buf code = {0}, func = {0}, m = {0}, s = {0};
    put(&code, "\x01\x02\x7f", 3); /* 2 locals of i32 */
    put(&code, body->p, body->n);
    put(&code, "\x0b", 1);
    put_leb(&func, 1);
    put_leb(&func, (uint32_t)code.n);
    put(&func, code.p, code.n);
    put(&m, "\0asm\x01\0\0\0", 8);
    put(&s, "\x01\x60\x00\x00", 4);
    section(&m, 1, &s);
    s.n = 0;
    put(&s, "\x01\x00", 2);
    section(&m, 3, &s);
    s.n = 0;
    put(&s, "\x01\x00\x01", 3);
    section(&m, 5, &s);
    section(&m, 10, &func);
    kiln_engine *engine;
    kiln_module *mod = NULL;
    bool ok = !kiln_engine_new(NULL, &engine);
    kiln_error *e = ok ? kiln_module_new(engine, m.p, m.n, &mod) : NULL;
    ok = ok && !e;
    kiln_error_free(e);
    kiln_module_free(mod);
    kiln_engine_free(engine);
    free(code.p);
    free(func.p);
    free(m.p);
    free(s.p);
    return ok;
}

enum { N = 100000 };

TEST(compile_many_boundaries_over_deep_stack)
{
    buf b = {0};
    put_rep(&b, "\x41\x01", 2, N);         /* i32.const 1, N times */
    put_rep(&b, "\x02\x40\x0b", 3, N);     /* block end, N times */
    put_rep(&b, "\x1a", 1, N);             /* drop them */
    CHECK(loads(&b));
    free(b.p);
}

TEST(compile_many_sets_under_pending_gets)
{
    buf b = {0};
    put_rep(&b, "\x20\x00", 2, N);         /* local.get 0 */
    put_rep(&b, "\x41\x01\x21\x01", 4, N); /* local.set 1 (i32.const 1) */
    put_rep(&b, "\x1a", 1, N);
    CHECK(loads(&b));
    free(b.p);
}

TEST(compile_zero_sets_in_deep_loops)
{
    buf b = {0};
    put_rep(&b, "\x03\x40", 2, N / 5);     /* loop, nested */
    put_rep(&b, "\x41\x00\x21\x01", 4, N); /* local.set 1 (i32.const 0) */
    put_rep(&b, "\x0b", 1, N / 5);
    CHECK(loads(&b));
    free(b.p);
}

TEST(compile_long_br_table_over_value_labels)
{
    enum { D = 20000 };
    buf b = {0};
    put_rep(&b, "\x41\x00\x02\x7f", 4, D); /* i32.const 0; block (result i32) */
    put(&b, "\x41\x07\x41\x00\x0e", 5);    /* the value, the index, br_table */
    put_leb(&b, 2 * N);
    for (uint32_t i = 0; i < 2 * N; i++)
        put_leb(&b, i % D);
    put_leb(&b, 0);
    put_rep(&b, "\x0b\x6a", 2, D);         /* end; i32.add */
    put(&b, "\x1a", 1);
    CHECK(loads(&b));
    free(b.p);
}
