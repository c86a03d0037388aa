/*
 * wasmgen.c — makes valid WebAssembly 2.0 modules out of fuzzer input.
 *
 * The input is a sequence of choices (choose(g, n) reads a byte or two and
 * returns a number below n; past the end of the input it returns 0, and 0
 * is always the choice that ends things soonest, so every input makes a
 * small valid module).
 *
 * Bodies come from a typed operand-stack generator.  It keeps the types of
 * the operand stack and the control frames exactly as a validator does,
 * and every instruction it emits is one the validator accepts at that
 * point:
 *   - a step picks an instruction (from the whole table, or among those
 *     whose first operand type is on top of the stack) and then satisfies
 *     its operands: the longest prefix of them that is already on top of
 *     the stack is used, the rest are generated as expressions; when only
 *     the last operand is on top, it may be spilled to a scratch local,
 *     the others generated and the value fetched back;
 *   - an expression of type t is a constant, local or global, an
 *     instruction producing t over generated operands, a block, loop or if
 *     with result t, a call returning t or a select;
 *   - at the end of a block the values above the frame are consumed (drop,
 *     local.set, global.set) until they are a prefix of the block's results
 *     and the rest are generated; after br, br_table, return or unreachable
 *     the frame is marked unreachable (stack-polymorphic), code continues
 *     on an empty stack and the end only needs a suffix of the results.
 * Loops terminate: every loop has its own i32 counter local, set before
 * the loop to a small count, and the only branch back is a br_if whose
 * condition is "decrement the counter, is it still > 0".  br and br_table
 * never target loops.  A function calls only imports and later functions
 * (one call in 32 may call any, recursion then ends with fuel or the call
 * depth limit); call_indirect goes through a table holding function i at
 * slot i, mostly with that slot's constant.
 *
 * Memory accesses mostly hit memory: the address is usually a constant at
 * most memory size - access size - offset (memory only grows), or a
 * computed value masked below that; sometimes it is right at the boundary,
 * arbitrary, or the offset is huge, so out-of-bounds traps happen too.
 *
 * Values come from tables of boundary cases: NaNs (quiet, signalling,
 * with payloads, negative), infinities, -0, subnormals, the edges of the
 * float-to-int conversions, INT_MIN/INT_MAX, lane patterns for v128, shift
 * counts that are large or negative.
 */
#include "wasmgen.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifndef KILN_FUZZ_GEN_SIMD
#define KILN_FUZZ_GEN_SIMD 1
#endif

#define MAX_PARAMS 5
#define MAX_RESULTS 3
#define MAX_TYPES 16
#define MAX_IMP_FUNCS 2
#define MAX_DEF_FUNCS 6
#define MAX_FUNCS (MAX_IMP_FUNCS + MAX_DEF_FUNCS)
#define MAX_IMP_GLOBALS 2
#define MAX_DEF_GLOBALS 6
#define MAX_GLOBALS (MAX_IMP_GLOBALS + MAX_DEF_GLOBALS)
#define MAX_DATA 3
#define MAX_DATA_LEN 64
#define MAX_LOCALS 1024
#define MAX_STACK 4096
#define MAX_CTRL 12      /* nesting of blocks, the function's frame included */
#define MAX_SPILL 6      /* nesting of spills to scratch locals */
#define MAX_FRAME_VALS 12 /* values above a frame before steps consume them */
#define EXPR_DEPTH 4
#define MAX_BUDGET 256   /* instructions per function (roughly) */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Output buffers ------------------------------------------------------ */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} buf;

static void put(buf *b, uint8_t x)
{
    if (b->len == b->cap) {
        if (b->oom)
            return;
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    b->p[b->len++] = x;
}

static void put_bytes(buf *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, ((const uint8_t *)p)[i]);
}

static void put_buf(buf *b, const buf *c)
{
    put_bytes(b, c->p, c->len);
    b->oom |= c->oom;
}

static void put_u32(buf *b, uint32_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put(b, v ? c | 0x80 : c);
    } while (v);
}

static void put_s64(buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = (uint8_t)(v & 0x7f);
        /* arithmetic shift, written out so it does not depend on the compiler */
        v = v < 0 ? ~(~v >> 7) : v >> 7;
        bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        put(b, done ? c : c | 0x80);
        if (done)
            return;
    }
}

static void put_name(buf *b, const char *s)
{
    put_u32(b, (uint32_t)strlen(s));
    put_bytes(b, s, strlen(s));
}

/* Appends section id with the contents of s, and empties s. */
static void put_section(buf *m, uint8_t id, buf *s)
{
    put(m, id);
    put_u32(m, (uint32_t)s->len);
    put_buf(m, s);
    s->len = 0;
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* ---- The input as choices ----------------------------------------------- */

typedef struct rd {
    const uint8_t *in;
    size_t n, pos;
} rd;

static uint32_t r_u8(rd *r) { return r->pos < r->n ? r->in[r->pos++] : 0; }

static uint32_t r_u32(rd *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= r_u8(r) << (8 * i);
    return v;
}

static uint64_t r_u64(rd *r)
{
    uint64_t lo = r_u32(r);
    uint64_t hi = r_u32(r);
    return lo | hi << 32;
}

/* A number in [0, n); 0 once the input is used up. */
static uint32_t r_choose(rd *r, uint32_t n)
{
    if (n <= 1)
        return 0;
    uint32_t v = r_u8(r);
    if (n > 256)
        v |= r_u8(r) << 8;
    if (n > 65536)
        v |= r_u8(r) << 16;
    return v % n;
}

/* ---- Values ------------------------------------------------------------- */

static const uint32_t sp_i32[] = {
    0,          1,          2,          3,          7,          8,          15,
    16,         31,         32,         33,         63,         64,         127,
    128,        255,        256,        0x7fff,     0x8000,     0xffff,     0x10000,
    0xfff0,     0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0xffffff80,
    0xffff8000, 0x55555555, 0xaaaaaaaa, 0x01010101,
};

static const uint64_t sp_i64[] = {
    0,
    1,
    2,
    31,
    32,
    63,
    64,
    65,
    127,
    128,
    255,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000,
    0x7fffffffffffffff,
    0x8000000000000000,
    0x8000000000000001,
    0xfffffffffffffffe,
    0xffffffffffffffff,
    0xffffffff80000000,
    0x5555555555555555,
    0x00ff00ff00ff00ff,
};

static const uint32_t sp_f32[] = {
    0x00000000, /* 0 */
    0x80000000, /* -0 */
    0x3f800000, /* 1 */
    0xbf800000, /* -1 */
    0x3f000000, /* 0.5 */
    0xbf000000, /* -0.5 */
    0x3fc00000, /* 1.5 */
    0x40200000, /* 2.5 */
    0xc0200000, /* -2.5 */
    0x7f800000, /* inf */
    0xff800000, /* -inf */
    0x7fc00000, /* canonical NaN */
    0xffc00000, /* negative NaN */
    0x7fa00000, /* signalling NaN */
    0x7f800001, /* signalling NaN, payload 1 */
    0x7fc00001, /* quiet NaN with payload */
    0xffffffff, /* NaN, all ones */
    0x00000001, /* smallest subnormal */
    0x80000001, /* -smallest subnormal */
    0x007fffff, /* largest subnormal */
    0x00800000, /* smallest normal */
    0x7f7fffff, /* FLT_MAX */
    0xff7fffff, /* -FLT_MAX */
    0x4b000000, /* 2^23 */
    0x4b800000, /* 2^24 */
    0x4effffff, /* largest float < 2^31 */
    0x4f000000, /* 2^31 */
    0xcf000000, /* -2^31 */
    0xcf000001, /* just below -2^31 */
    0x4f800000, /* 2^32 */
    0x5effffff, /* largest float < 2^63 */
    0x5f000000, /* 2^63 */
    0xdf000000, /* -2^63 */
    0x5f800000, /* 2^64 */
    0x477fff00, /* 65535 */
    0xc7000000, /* -32768 */
};

static const uint64_t sp_f64[] = {
    0x0000000000000000, /* 0 */
    0x8000000000000000, /* -0 */
    0x3ff0000000000000, /* 1 */
    0xbff0000000000000, /* -1 */
    0x3fe0000000000000, /* 0.5 */
    0xbfe0000000000000, /* -0.5 */
    0x3ff8000000000000, /* 1.5 */
    0x4004000000000000, /* 2.5 */
    0xc004000000000000, /* -2.5 */
    0x7ff0000000000000, /* inf */
    0xfff0000000000000, /* -inf */
    0x7ff8000000000000, /* canonical NaN */
    0xfff8000000000000, /* negative NaN */
    0x7ff4000000000000, /* signalling NaN */
    0x7ff0000000000001, /* signalling NaN, payload 1 */
    0x7ff8000000000001, /* quiet NaN with payload */
    0xffffffffffffffff, /* NaN, all ones */
    0x0000000000000001, /* smallest subnormal */
    0x8000000000000001, /* -smallest subnormal */
    0x000fffffffffffff, /* largest subnormal */
    0x0010000000000000, /* smallest normal */
    0x7fefffffffffffff, /* DBL_MAX */
    0xffefffffffffffff, /* -DBL_MAX */
    0x4330000000000000, /* 2^52 */
    0x4340000000000000, /* 2^53 */
    0x41dfffffffc00000, /* 2^31 - 1 */
    0x41e0000000000000, /* 2^31 */
    0xc1e0000000000000, /* -2^31 */
    0xc1e0000000200000, /* -2^31 - 1 */
    0x41efffffffe00000, /* 2^32 - 1 */
    0x41f0000000000000, /* 2^32 */
    0x43e0000000000000, /* 2^63 */
    0xc3e0000000000000, /* -2^63 */
    0x43f0000000000000, /* 2^64 */
    0x47efffffe0000000, /* FLT_MAX */
    0x36a0000000000000, /* the smallest f32 subnormal */
    0x3810000000000000, /* the smallest f32 normal */
};

static const uint8_t sp_i8[] = {0, 1, 2, 8, 16, 0x40, 0x55, 0x7f, 0x80, 0x81, 0xaa, 0xfe, 0xff};
static const uint16_t sp_i16[] = {0,      1,      2,      0x7f,   0x80,   0xff,   0x4000, 0x5555,
                                  0x7fff, 0x8000, 0x8001, 0xc000, 0xff00, 0xfffe, 0xffff};

static const int32_t sp_shift[] = {
    0,   1,   2,   7,   8,   9,   15,  16,  17,  31,  32,  33,         63,         64,     65,
    127, 128, 255, 256, -1,  -2,  -7,  -8,  -9,  -15, -16, -31,        -32,        -33,    -63,
    -64, -65, -128,     0x10000,  0x10001,  (int32_t)0x80000000, 0x7fffffff, 0x40000001,
};

/* The little-endian bytes of a value of type t. */
static void gen_value_bytes(rd *r, uint8_t t, uint8_t out[16])
{
    memset(out, 0, 16);
    switch (t) {
    case WG_I32: {
        uint32_t v;
        switch (r_choose(r, 5)) {
        case 0: v = sp_i32[r_choose(r, N_OF(sp_i32))]; break;
        case 1: v = r_u32(r); break;
        case 2: v = r_choose(r, 33); break;
        case 3: v = 0u - r_choose(r, 33); break;
        default: v = sp_i32[r_choose(r, N_OF(sp_i32))] + r_choose(r, 5) - 2; break;
        }
        le32(out, v);
        return;
    }
    case WG_I64: {
        uint64_t v;
        switch (r_choose(r, 5)) {
        case 0: v = sp_i64[r_choose(r, N_OF(sp_i64))]; break;
        case 1: v = r_u64(r); break;
        case 2: v = r_choose(r, 65); break;
        case 3: v = (uint64_t)(int64_t)(int32_t)sp_i32[r_choose(r, N_OF(sp_i32))]; break;
        default: v = sp_i64[r_choose(r, N_OF(sp_i64))] + r_choose(r, 5) - 2; break;
        }
        le64(out, v);
        return;
    }
    case WG_F32: {
        uint32_t v;
        switch (r_choose(r, 4)) {
        case 0: v = sp_f32[r_choose(r, N_OF(sp_f32))]; break;
        case 1: v = r_u32(r); break;
        case 2: {
            float f = (float)((int)r_choose(r, 65) - 32) / (float)(1 + r_choose(r, 4));
            memcpy(&v, &f, 4);
            break;
        }
        default: v = sp_f32[r_choose(r, N_OF(sp_f32))] + r_choose(r, 3) - 1; break;
        }
        le32(out, v);
        return;
    }
    case WG_F64: {
        uint64_t v;
        switch (r_choose(r, 4)) {
        case 0: v = sp_f64[r_choose(r, N_OF(sp_f64))]; break;
        case 1: v = r_u64(r); break;
        case 2: {
            double d = (double)((int)r_choose(r, 65) - 32) / (double)(1 + r_choose(r, 4));
            memcpy(&v, &d, 8);
            break;
        }
        default: v = sp_f64[r_choose(r, N_OF(sp_f64))] + r_choose(r, 3) - 1; break;
        }
        le64(out, v);
        return;
    }
    case WG_V128: {
        uint8_t lane[16];
        unsigned shape = r_choose(r, 8);
        switch (shape) {
        case 0: /* i32x4 */
            for (int i = 0; i < 4; i++) {
                gen_value_bytes(r, WG_I32, lane);
                memcpy(out + 4 * i, lane, 4);
            }
            return;
        case 1: /* raw bytes */
            for (int i = 0; i < 16; i++)
                out[i] = (uint8_t)r_u8(r);
            return;
        case 2: /* i8x16 */
            for (int i = 0; i < 16; i++)
                out[i] = r_choose(r, 2) ? (uint8_t)r_u8(r) : sp_i8[r_choose(r, N_OF(sp_i8))];
            return;
        case 3: /* i16x8 */
            for (int i = 0; i < 8; i++) {
                uint16_t v = r_choose(r, 2) ? (uint16_t)(r_u8(r) | r_u8(r) << 8)
                                           : sp_i16[r_choose(r, N_OF(sp_i16))];
                out[2 * i] = (uint8_t)v;
                out[2 * i + 1] = (uint8_t)(v >> 8);
            }
            return;
        case 4: /* i64x2 */
        case 6: /* f64x2 */
            for (int i = 0; i < 2; i++) {
                gen_value_bytes(r, shape == 4 ? WG_I64 : WG_F64, lane);
                memcpy(out + 8 * i, lane, 8);
            }
            return;
        case 5: /* f32x4 */
            for (int i = 0; i < 4; i++) {
                gen_value_bytes(r, WG_F32, lane);
                memcpy(out + 4 * i, lane, 4);
            }
            return;
        default: { /* one lane value, splatted */
            static const uint8_t widths[] = {1, 2, 4, 8};
            unsigned w = widths[r_choose(r, 4)];
            if (w == 1)
                lane[0] = sp_i8[r_choose(r, N_OF(sp_i8))];
            else if (w == 2) {
                uint16_t v = sp_i16[r_choose(r, N_OF(sp_i16))];
                lane[0] = (uint8_t)v;
                lane[1] = (uint8_t)(v >> 8);
            } else
                gen_value_bytes(r, w == 4 ? (r_choose(r, 2) ? WG_F32 : WG_I32)
                                          : (r_choose(r, 2) ? WG_F64 : WG_I64),
                                lane);
            for (unsigned i = 0; i < 16; i++)
                out[i] = lane[i % w];
            return;
        }
        }
    }
    }
}

#include "wasmgen_ops.h"

static int tidx(uint8_t t)
{
    switch (t) {
    case WG_I32: return 0;
    case WG_I64: return 1;
    case WG_F32: return 2;
    case WG_F64: return 3;
    default: return 4;
    }
}

/* The instructions by what they take and make; [m] is the simd mode. */
typedef struct oplist {
    int n;
    const op *v[N_OF(scalar_ops) + N_OF(simd_ops)];
} oplist;

static struct {
    bool done;
    oplist scalar, simd;
    oplist in0[2][5];   /* first operand of type t */
    oplist out_scalar[5], out_simd[5];
} T;

static void add(oplist *l, const op *o) { l->v[l->n++] = o; }

static void init_tables(void)
{
    if (T.done)
        return;
    for (size_t i = 0; i < N_OF(scalar_ops); i++) {
        const op *o = &scalar_ops[i];
        add(&T.scalar, o);
        if (o->nin) {
            add(&T.in0[0][tidx(o->in[0])], o);
            add(&T.in0[1][tidx(o->in[0])], o);
        }
        if (o->out)
            add(&T.out_scalar[tidx(o->out)], o);
    }
    for (size_t i = 0; i < N_OF(simd_ops); i++) {
        const op *o = &simd_ops[i];
        add(&T.simd, o);
        if (o->nin)
            add(&T.in0[1][tidx(o->in[0])], o);
        if (o->out)
            add(&T.out_simd[tidx(o->out)], o);
    }
    T.done = true;
}

/* ---- The generator's state ---------------------------------------------- */

typedef struct ftype {
    uint8_t np, nr;
    uint8_t p[MAX_PARAMS], r[MAX_RESULTS];
} ftype;

enum { K_FUNC, K_BLOCK, K_LOOP, K_IF };

typedef struct frame {
    uint8_t kind;
    ftype bt;         /* params -> results (the function's: [] -> results) */
    int height;       /* operand stack height below the params */
    bool unreachable; /* after br/br_table/return/unreachable */
    int counter;      /* K_LOOP: its counter local */
} frame;

typedef struct imm {
    uint32_t align, offset, data, callee, counter, ntargets;
    uint8_t lane, shuf[16], val[16];
} imm;

typedef struct gen {
    rd r;
    bool simd;
    /* the module */
    ftype types[MAX_TYPES];
    int ntypes;
    int nimp_funcs, nfuncs;
    int ftype_of[MAX_FUNCS];
    int nimp_globals, nglobals;
    uint8_t gtype[MAX_GLOBALS];
    bool gmut[MAX_GLOBALS];
    int ginit_from[MAX_GLOBALS]; /* defined globals: an imported global, or -1 */
    uint8_t ginit[MAX_GLOBALS][16];
    uint32_t mem_min, mem_max, memsize;
    bool mem_has_max;
    int ndata;
    bool dpassive[MAX_DATA];
    uint32_t doff[MAX_DATA], dlen[MAX_DATA];
    uint8_t dbytes[MAX_DATA][MAX_DATA_LEN];
    /* the function being made */
    int cur; /* its index in the function index space */
    buf *code;
    uint8_t ltype[MAX_LOCALS];
    int nparams, nrand, nlocals; /* params; params and the locals the code may
                                    use freely; all (counters, scratch too) */
    int scratch[MAX_SPILL][5];
    int spill;
    uint8_t stack[MAX_STACK];
    int sp;
    frame ctrl[MAX_CTRL];
    int nctrl;
    int budget;
} gen;

static uint32_t choose(gen *g, uint32_t n) { return r_choose(&g->r, n); }
static bool one_in(gen *g, uint32_t n) { return choose(g, n) == n - 1; }

static uint8_t rand_type(gen *g)
{
    static const uint8_t scalar[] = {I, I, L, F, D};
    static const uint8_t vector[] = {I, V, I, L, F, D, V, V};
    return g->simd ? vector[choose(g, N_OF(vector))] : scalar[choose(g, N_OF(scalar))];
}

static void new_type(gen *g, ftype *t)
{
    memset(t, 0, sizeof *t);
    t->np = (uint8_t)choose(g, MAX_PARAMS + 1);
    for (int i = 0; i < t->np; i++)
        t->p[i] = rand_type(g);
    t->nr = (uint8_t)choose(g, MAX_RESULTS + 1);
    for (int i = 0; i < t->nr; i++)
        t->r[i] = rand_type(g);
}

static frame *top(gen *g) { return &g->ctrl[g->nctrl - 1]; }
static int nvals(gen *g) { return g->sp - top(g)->height; }
static uint8_t top_type(gen *g) { return g->stack[g->sp - 1]; }

static void push(gen *g, uint8_t t)
{
    if (g->sp < MAX_STACK)
        g->stack[g->sp] = t;
    g->sp++; /* steps keep far below MAX_STACK; see step() */
}

static void emit(gen *g, uint8_t b) { put(g->code, b); }

/* ---- Emitting instructions (and tracking the stack) ---------------------- */

static void encode_const(buf *b, uint8_t t, const uint8_t v[16])
{
    switch (t) {
    case WG_I32: put_s64(b, (int32_t)get32(v)); break;
    case WG_I64: put_s64(b, (int64_t)get64(v)); break;
    case WG_F32: put_bytes(b, v, 4); break;
    case WG_F64: put_bytes(b, v, 8); break;
    default: put_bytes(b, v, 16); break;
    }
}

static void put_const_op(buf *b, uint8_t t, const uint8_t v[16])
{
    switch (t) {
    case WG_I32: put(b, 0x41); break;
    case WG_I64: put(b, 0x42); break;
    case WG_F32: put(b, 0x43); break;
    case WG_F64: put(b, 0x44); break;
    default: put(b, 0xfd); put_u32(b, 12); break;
    }
    encode_const(b, t, v);
}

static void emit_const(gen *g, uint8_t t, const uint8_t v[16])
{
    put_const_op(g->code, t, v);
    push(g, t);
    g->budget--;
}

static void emit_i32(gen *g, uint32_t v)
{
    uint8_t b[16] = {0};
    le32(b, v);
    emit_const(g, WG_I32, b);
}

static void emit_i64(gen *g, uint64_t v)
{
    uint8_t b[16] = {0};
    le64(b, v);
    emit_const(g, WG_I64, b);
}

static void emit_local(gen *g, uint8_t opcode, int idx)
{
    emit(g, opcode);
    put_u32(g->code, (uint32_t)idx);
    g->budget--;
    if (opcode == 0x20) /* local.get */
        push(g, g->ltype[idx]);
    else if (opcode == 0x21) /* local.set */
        g->sp--;
}

static void emit_global(gen *g, uint8_t opcode, int idx)
{
    emit(g, opcode);
    put_u32(g->code, (uint32_t)idx);
    g->budget--;
    if (opcode == 0x23)
        push(g, g->gtype[idx]);
    else
        g->sp--;
}

/* A one-byte instruction taking npop values and making out (0: none). */
static void emit_simple(gen *g, uint8_t opcode, int npop, uint8_t out)
{
    emit(g, opcode);
    g->budget--;
    g->sp -= npop;
    if (out)
        push(g, out);
}

static void encode_op(buf *b, const op *o, const imm *im)
{
    if (o->prefix) {
        put(b, o->prefix);
        put_u32(b, o->code);
    } else {
        put(b, (uint8_t)o->code);
    }
    switch (o->imm) {
    case IMM_MEM:
        put_u32(b, im->align);
        put_u32(b, im->offset);
        break;
    case IMM_MEMLANE:
        put_u32(b, im->align);
        put_u32(b, im->offset);
        put(b, im->lane);
        break;
    case IMM_LANE: put(b, im->lane); break;
    case IMM_SHUF: put_bytes(b, im->shuf, 16); break;
    case IMM_CONST: encode_const(b, o->out, im->val); break;
    case IMM_MEM0: put(b, 0); break;
    case IMM_MEM00:
        put(b, 0);
        put(b, 0);
        break;
    case IMM_DATA0:
        put_u32(b, im->data);
        put(b, 0);
        break;
    case IMM_DATA: put_u32(b, im->data); break;
    default: break;
    }
}

static unsigned log2_size(unsigned size)
{
    return size >= 16 ? 4 : size >= 8 ? 3 : size >= 4 ? 2 : size >= 2 ? 1 : 0;
}

static void choose_imm(gen *g, const op *o, imm *im)
{
    memset(im, 0, sizeof *im);
    switch (o->imm) {
    case IMM_MEMLANE:
        im->lane = (uint8_t)choose(g, o->lanes);
        /* fall through */
    case IMM_MEM: {
        unsigned nat = log2_size(o->size);
        im->align = nat - choose(g, nat + 1);
        unsigned c = choose(g, 16);
        if (c < 11)
            im->offset = choose(g, 4) ? choose(g, 64) : 0;
        else if (c < 13)
            im->offset = choose(g, 65536);
        else if (c == 13) /* the access ends near the end of memory */
            im->offset = g->memsize - o->size - 4 + choose(g, 9);
        else if (c == 14)
            im->offset = g->memsize * (1 + choose(g, 3));
        else
            im->offset = 0xffffffffu - choose(g, 32);
        break;
    }
    case IMM_LANE: im->lane = (uint8_t)choose(g, o->lanes); break;
    case IMM_SHUF: {
        unsigned shape = choose(g, 4), k = choose(g, 32);
        for (int i = 0; i < 16; i++) {
            switch (shape) {
            case 0: im->shuf[i] = (uint8_t)choose(g, 32); break;   /* any lanes */
            case 1: im->shuf[i] = (uint8_t)((i + k) % 32); break;  /* a window */
            case 2: im->shuf[i] = (uint8_t)(31 - choose(g, 4)); break; /* high lanes */
            default: im->shuf[i] = (uint8_t)((k + 16 * (i & 1) + i / 2) % 32); break;
            }
        }
        break;
    }
    case IMM_CONST: gen_value_bytes(&g->r, o->out, im->val); break;
    case IMM_DATA0:
    case IMM_DATA: im->data = choose(g, (uint32_t)g->ndata); break;
    default: break;
    }
}

/* ---- Locals and globals --------------------------------------------------- */

/* A local the code may read and write freely (not a counter or scratch). */
static int pick_local(gen *g, uint8_t t)
{
    int c[MAX_PARAMS + 8], n = 0;
    for (int i = 0; i < g->nrand; i++)
        if (g->ltype[i] == t)
            c[n++] = i;
    return n ? c[choose(g, (uint32_t)n)] : -1;
}

static int pick_global(gen *g, uint8_t t, bool mutable_)
{
    int c[MAX_GLOBALS], n = 0;
    for (int i = 0; i < g->nglobals; i++)
        if (g->gtype[i] == t && (!mutable_ || g->gmut[i]))
            c[n++] = i;
    return n ? c[choose(g, (uint32_t)n)] : -1;
}

static int new_local(gen *g, uint8_t t)
{
    if (g->nlocals >= MAX_LOCALS)
        return -1;
    g->ltype[g->nlocals] = t;
    return g->nlocals++;
}

static int scratch_local(gen *g, uint8_t t)
{
    int *s = &g->scratch[g->spill][tidx(t)];
    if (*s < 0)
        *s = new_local(g, t);
    return *s;
}

/* ---- Expressions ---------------------------------------------------------- */

static void gen_expr(gen *g, uint8_t t, int depth);
static void gen_block(gen *g, uint8_t opcode, const ftype *bt, int bt_index, bool reuse,
                      int depth);
static void gen_seq(gen *g, uint32_t more);

static void gen_br_if_to(gen *g, int d);

static const uint8_t no_roles[MAX_PARAMS + 1];

static void gen_leaf(gen *g, uint8_t t)
{
    switch (choose(g, 4)) {
    case 1: {
        int l = pick_local(g, t);
        if (l >= 0) {
            emit_local(g, 0x20, l);
            return;
        }
        break;
    }
    case 2: {
        int gl = pick_global(g, t, false);
        if (gl >= 0) {
            emit_global(g, 0x23, gl);
            return;
        }
        break;
    }
    default: break;
    }
    uint8_t v[16];
    gen_value_bytes(&g->r, t, v);
    emit_const(g, t, v);
}

/* The largest 2^k - 1 not above x (x >= 0). */
static uint32_t mask_below(int64_t x)
{
    uint32_t m = 0;
    while (((uint64_t)m << 1 | 1) <= (uint64_t)x)
        m = m << 1 | 1;
    return m;
}

/* An address for an access of size bytes at offset: mostly in bounds.
 * Besides constants and masked values it makes the shapes the lowering
 * folds into the access (base + constant, (base << s) + constant) and a
 * base + constant that is in bounds only because the i32 add wraps. */
static void gen_addr(gen *g, unsigned size, uint32_t offset, int depth)
{
    int64_t limit = (int64_t)g->memsize - size - offset; /* the last in-bounds address */
    unsigned c = choose(g, 20);
    if (limit < 0 && (c < 12 || c >= 16))
        c = 15;
    if (c < 10) {
        uint32_t a = choose(g, 4) ? choose(g, (uint32_t)limit + 1)
                                  : choose(g, limit < 63 ? (uint32_t)limit + 1 : 64);
        if (choose(g, 2))
            a &= ~(uint32_t)(size - 1); /* aligned (size is a power of two or 64) */
        emit_i32(g, a);
    } else if (c < 12) { /* computed, masked in bounds */
        gen_expr(g, WG_I32, depth);
        emit_i32(g, mask_below(limit));
        emit_simple(g, 0x71, 2, WG_I32); /* i32.and */
    } else if (c < 14) { /* at the boundary */
        emit_i32(g, (uint32_t)(limit - 3 + choose(g, 8)));
    } else if (c == 14) {
        gen_expr(g, WG_I32, depth);
    } else if (c == 15) {
        emit_i32(g, sp_i32[choose(g, N_OF(sp_i32))]);
    } else if (c < 19) { /* (masked << s) + k */
        uint32_t k = choose(g, 4) ? choose(g, 256) : choose(g, 65536);
        if (k > limit)
            k = (uint32_t)limit;
        unsigned sh = one_in(g, 3) ? choose(g, 4) : 0;
        gen_expr(g, WG_I32, depth);
        emit_i32(g, mask_below(limit - k) >> sh);
        emit_simple(g, 0x71, 2, WG_I32); /* i32.and */
        if (sh) {
            emit_i32(g, sh);
            emit_simple(g, 0x74, 2, WG_I32); /* i32.shl */
        }
        emit_i32(g, k);
        emit_simple(g, 0x6a, 2, WG_I32); /* i32.add */
    } else { /* ((masked - d) + d): in bounds because the add wraps */
        uint32_t d = one_in(g, 2) ? 0x80000000u | r_u32(&g->r) : 0xffffff00u | choose(g, 256);
        gen_expr(g, WG_I32, depth);
        emit_i32(g, mask_below(limit));
        emit_simple(g, 0x71, 2, WG_I32); /* i32.and */
        emit_i32(g, d);
        emit_simple(g, 0x6b, 2, WG_I32); /* i32.sub */
        emit_i32(g, d);
        emit_simple(g, 0x6a, 2, WG_I32); /* i32.add */
    }
}

static void gen_shift(gen *g, uint8_t t, int depth)
{
    unsigned c = choose(g, 8);
    if (c == 5) {
        gen_expr(g, t, depth);
        return;
    }
    int64_t k = c == 6 ? (int64_t)(int32_t)r_u32(&g->r) : sp_shift[choose(g, N_OF(sp_shift))];
    if (t == WG_I64) {
        if (c == 7)
            k += (int64_t)1 << (32 + choose(g, 31)); /* a count with high bits set */
        emit_i64(g, (uint64_t)k);
    } else {
        emit_i32(g, (uint32_t)k);
    }
}

/* Makes one operand of type t in its role. */
static void gen_operand(gen *g, uint8_t t, uint8_t role, const imm *im, unsigned size, int depth)
{
    switch (role) {
    case R_ADDR: gen_addr(g, size, im->offset, depth); return;
    case R_SHIFT: gen_shift(g, t, depth); return;
    case R_LEN:
        if (one_in(g, 8))
            gen_expr(g, WG_I32, depth);
        else
            emit_i32(g, choose(g, MAX_DATA_LEN + 1));
        return;
    case R_GROW:
        if (one_in(g, 8))
            emit_i32(g, sp_i32[choose(g, N_OF(sp_i32))]);
        else
            emit_i32(g, choose(g, 3));
        return;
    case R_CIDX:
        if (one_in(g, 8))
            gen_expr(g, WG_I32, depth);
        else
            emit_i32(g, im->callee);
        return;
    case R_BRIDX:
        if (one_in(g, 4))
            gen_expr(g, WG_I32, depth);
        else
            emit_i32(g, choose(g, im->ntargets + 2));
        return;
    case R_COUNTER: /* --counter > 0 */
        emit_local(g, 0x20, (int)im->counter);
        emit_i32(g, 1);
        emit_simple(g, 0x6b, 2, WG_I32); /* i32.sub */
        emit_local(g, 0x22, (int)im->counter);
        emit_i32(g, 0);
        emit_simple(g, 0x4a, 2, WG_I32); /* i32.gt_s */
        return;
    default: gen_expr(g, t, depth); return;
    }
}

/* The largest k such that the top k values of the frame are in[0..k). */
static int match_prefix(gen *g, const uint8_t *in, int n)
{
    int avail = nvals(g);
    for (int k = n < avail ? n : avail; k > 0; k--)
        if (memcmp(&g->stack[g->sp - k], in, (size_t)k) == 0)
            return k;
    return 0;
}

/* Puts operands in[0..n) on the stack.  With reuse, values already on top
 * of the stack are used where they fit. */
static void satisfy(gen *g, const uint8_t *in, int n, const uint8_t *role, const imm *im,
                    unsigned size, bool reuse, int depth)
{
    int k = 0;
    if (reuse && n > 0) {
        /* Operands with a role come from the stack only sometimes (a loop
         * counter's never); the prefix taken stops before the first one
         * that may not. */
        int max = 0;
        while (max < n && (role[max] == R_ANY || (role[max] != R_COUNTER && one_in(g, 4))))
            max++;
        k = match_prefix(g, in, max);
        /* Only the last operand is on top: spill it, make the others. */
        if (k == 0 && n >= 2 && nvals(g) > 0 && top_type(g) == in[n - 1] &&
            role[n - 1] == R_ANY && g->spill < MAX_SPILL && one_in(g, 2)) {
            int s = scratch_local(g, in[n - 1]);
            if (s >= 0) {
                emit_local(g, 0x21, s);
                g->spill++;
                for (int i = 0; i < n - 1; i++)
                    gen_operand(g, in[i], role[i], im, size, depth);
                g->spill--;
                emit_local(g, 0x20, s);
                return;
            }
        }
    }
    for (int i = k; i < n; i++)
        gen_operand(g, in[i], role[i], im, size, depth);
}

static void gen_op(gen *g, const op *o, int depth, bool reuse)
{
    imm im;
    choose_imm(g, o, &im);
    satisfy(g, o->in, o->nin, o->role, &im, o->size, reuse, depth);
    encode_op(g->code, o, &im);
    g->budget--;
    g->sp -= o->nin;
    if (o->out)
        push(g, o->out);
}

/* A function to call: an import or a later function; rarely any. */
static int pick_callee(gen *g)
{
    if (one_in(g, 32))
        return (int)choose(g, (uint32_t)g->nfuncs);
    int later = g->nfuncs - g->cur - 1;
    int n = g->nimp_funcs + later;
    if (n <= 0)
        return -1;
    int k = (int)choose(g, (uint32_t)n);
    return k < g->nimp_funcs ? k : g->cur + 1 + (k - g->nimp_funcs);
}

static void gen_call(gen *g, int f, bool indirect, bool reuse, int depth)
{
    int ti = g->ftype_of[f];
    const ftype *ft = &g->types[ti];
    uint8_t in[MAX_PARAMS + 1], role[MAX_PARAMS + 1] = {0};
    int n = ft->np;
    memcpy(in, ft->p, (size_t)n);
    imm im;
    memset(&im, 0, sizeof im);
    if (indirect) {
        in[n] = WG_I32;
        role[n++] = R_CIDX;
        im.callee = (uint32_t)f;
    }
    satisfy(g, in, n, role, &im, 0, reuse, depth);
    if (indirect) {
        emit(g, 0x11);
        put_u32(g->code, (uint32_t)ti);
        emit(g, 0x00);
    } else {
        emit(g, 0x10);
        put_u32(g->code, (uint32_t)f);
    }
    g->budget--;
    g->sp -= n;
    for (int i = 0; i < ft->nr; i++)
        push(g, ft->r[i]);
}

static void gen_select(gen *g, uint8_t t, bool reuse, int depth)
{
    const uint8_t in[3] = {t, t, WG_I32};
    imm im;
    memset(&im, 0, sizeof im);
    satisfy(g, in, 3, no_roles, &im, 0, reuse, depth);
    if (choose(g, 2)) {
        emit(g, 0x1c); /* select t */
        put_u32(g->code, 1);
        emit(g, t);
    } else {
        emit(g, 0x1b);
    }
    g->budget--;
    g->sp -= 3;
    push(g, t);
}

/* Emits code that pushes exactly one value of type t. */
static void gen_expr(gen *g, uint8_t t, int depth)
{
    if (depth <= 0 || g->budget <= 0) {
        gen_leaf(g, t);
        return;
    }
    unsigned c = choose(g, 20);
    if (c < 5) {
        gen_leaf(g, t);
        return;
    }
    if (c < 15) {
        const oplist *l = &T.out_scalar[tidx(t)];
        if (g->simd && (t == WG_V128 || one_in(g, 3)))
            l = &T.out_simd[tidx(t)];
        if (l->n == 0) {
            gen_leaf(g, t);
            return;
        }
        gen_op(g, l->v[choose(g, (uint32_t)l->n)], depth - 1, false);
        return;
    }
    if (g->nctrl >= MAX_CTRL) {
        gen_leaf(g, t);
        return;
    }
    ftype bt;
    memset(&bt, 0, sizeof bt);
    bt.nr = 1;
    bt.r[0] = t;
    switch (c) {
    case 15: gen_block(g, 0x02, &bt, -1, false, depth - 1); return;
    case 16: gen_block(g, 0x04, &bt, -1, false, depth - 1); return;
    case 17: gen_block(g, 0x03, &bt, -1, false, depth - 1); return;
    case 18: { /* a call returning just t */
        int cand[MAX_FUNCS], n = 0;
        for (int f = 0; f < g->nfuncs; f++) {
            const ftype *ft = &g->types[g->ftype_of[f]];
            if ((f < g->nimp_funcs || f > g->cur) && ft->nr == 1 && ft->r[0] == t)
                cand[n++] = f;
        }
        if (n == 0) {
            gen_leaf(g, t);
            return;
        }
        gen_call(g, cand[choose(g, (uint32_t)n)], one_in(g, 3), false, depth - 1);
        return;
    }
    default:
        if (choose(g, 2)) {
            gen_select(g, t, false, depth - 1);
        } else {
            int l = pick_local(g, t);
            gen_expr(g, t, depth - 1);
            if (l >= 0)
                emit_local(g, 0x22, l); /* local.tee */
        }
        return;
    }
}

/* ---- Blocks and branches -------------------------------------------------- */

/* Takes the top value off the stack: drop, local.set or global.set. */
static void consume(gen *g)
{
    uint8_t t = top_type(g);
    switch (choose(g, 4)) {
    case 1: {
        int l = pick_local(g, t);
        if (l >= 0) {
            emit_local(g, 0x21, l);
            return;
        }
        break;
    }
    case 2: {
        int gl = pick_global(g, t, true);
        if (gl >= 0) {
            emit_global(g, 0x24, gl);
            return;
        }
        break;
    }
    default: break;
    }
    emit_simple(g, 0x1a, 1, 0); /* drop */
}

/* Brings the current frame's values to its results, before else or end. */
static void fixup(gen *g)
{
    frame *f = top(g);
    int nr = f->bt.nr;
    for (;;) {
        int nv = nvals(g);
        const uint8_t *want = f->unreachable ? f->bt.r + nr - nv : f->bt.r;
        if (nv <= nr && memcmp(&g->stack[f->height], want, (size_t)nv) == 0)
            break;
        consume(g);
    }
    if (!f->unreachable)
        while (nvals(g) < nr)
            gen_expr(g, f->bt.r[nvals(g)], 2);
}

static void make_unreachable(gen *g)
{
    frame *f = top(g);
    g->sp = f->height;
    f->unreachable = true;
}

static void label_types(const frame *f, const uint8_t **ts, int *n)
{
    if (f->kind == K_LOOP) {
        *ts = f->bt.p;
        *n = f->bt.np;
    } else {
        *ts = f->bt.r;
        *n = f->bt.nr;
    }
}

/* A label (relative depth); br and br_table never go back to a loop. */
static int pick_label(gen *g, bool allow_loop)
{
    int d = (int)choose(g, (uint32_t)g->nctrl);
    if (!allow_loop)
        while (g->ctrl[g->nctrl - 1 - d].kind == K_LOOP)
            d++; /* ends at the function's frame at the latest */
    return d;
}

static void put_blocktype(gen *g, const ftype *bt, int bt_index)
{
    if (bt_index >= 0)
        put_s64(g->code, bt_index);
    else if (bt->nr == 0)
        emit(g, 0x40);
    else
        emit(g, bt->r[0]);
}

/* block, loop or if (opcode 0x02, 0x03, 0x04) of type bt: its params (and
 * condition), the instruction, a body (two for if) and end. */
static void gen_block(gen *g, uint8_t opcode, const ftype *bt, int bt_index, bool reuse,
                      int depth)
{
    uint8_t in[MAX_PARAMS + 1], role[MAX_PARAMS + 1] = {0};
    int n = bt->np;
    memcpy(in, bt->p, (size_t)n);
    if (opcode == 0x04)
        in[n++] = WG_I32;
    imm im;
    memset(&im, 0, sizeof im);
    satisfy(g, in, n, role, &im, 0, reuse, depth);
    int counter = -1;
    if (opcode == 0x03) {
        counter = new_local(g, WG_I32);
        if (counter < 0) {
            opcode = 0x02;
        } else {
            uint32_t iters = choose(g, 5);
            if (one_in(g, 32))
                iters = 50 + choose(g, 200);
            emit_i32(g, iters);
            emit_local(g, 0x21, counter);
        }
    }
    emit(g, opcode);
    put_blocktype(g, bt, bt_index);
    g->budget--;
    g->sp -= n;
    frame *f = &g->ctrl[g->nctrl++];
    f->kind = opcode == 0x02 ? K_BLOCK : opcode == 0x03 ? K_LOOP : K_IF;
    f->bt = *bt;
    f->height = g->sp;
    f->unreachable = false;
    f->counter = counter;
    for (int i = 0; i < bt->np; i++)
        push(g, bt->p[i]);
    gen_seq(g, 5);
    if (opcode == 0x03 && !f->unreachable && choose(g, 3))
        gen_br_if_to(g, 0); /* the back edge, so that most loops loop */
    fixup(g);
    if (opcode == 0x04) {
        bool same = bt->np == bt->nr && memcmp(bt->p, bt->r, bt->np) == 0;
        if (!same || choose(g, 3)) {
            emit(g, 0x05); /* else */
            g->sp = f->height;
            f->unreachable = false;
            for (int i = 0; i < bt->np; i++)
                push(g, bt->p[i]);
            gen_seq(g, 5);
            fixup(g);
        }
    }
    emit(g, 0x0b);
    g->sp = f->height;
    g->nctrl--;
    for (int i = 0; i < bt->nr; i++)
        push(g, bt->r[i]);
}

static void choose_blocktype(gen *g, ftype *bt, int *bt_index)
{
    memset(bt, 0, sizeof *bt);
    *bt_index = -1;
    switch (choose(g, 5)) {
    case 0: return; /* [] -> [] */
    case 1:
        bt->nr = 1;
        bt->r[0] = rand_type(g);
        return;
    case 2: { /* a type whose params are on the stack */
        int c[MAX_TYPES], n = 0;
        for (int i = 0; i < g->ntypes; i++)
            if (g->types[i].np > 0 && match_prefix(g, g->types[i].p, g->types[i].np) ==
                                          g->types[i].np)
                c[n++] = i;
        if (n) {
            *bt_index = c[choose(g, (uint32_t)n)];
            *bt = g->types[*bt_index];
            return;
        }
    }
    /* fall through */
    default:
        *bt_index = (int)choose(g, (uint32_t)g->ntypes);
        *bt = g->types[*bt_index];
        return;
    }
}

static void gen_br(gen *g)
{
    int d = pick_label(g, false);
    const uint8_t *lt;
    int ln;
    label_types(&g->ctrl[g->nctrl - 1 - d], &lt, &ln);
    imm im;
    memset(&im, 0, sizeof im);
    satisfy(g, lt, ln, no_roles, &im, 0, true, EXPR_DEPTH);
    emit(g, 0x0c);
    put_u32(g->code, (uint32_t)d);
    g->budget--;
    make_unreachable(g);
}

static void gen_br_if_to(gen *g, int d)
{
    const frame *target = &g->ctrl[g->nctrl - 1 - d];
    const uint8_t *lt;
    int ln;
    label_types(target, &lt, &ln);
    uint8_t in[MAX_PARAMS + 1], role[MAX_PARAMS + 1] = {0};
    memcpy(in, lt, (size_t)ln);
    in[ln] = WG_I32;
    role[ln] = target->kind == K_LOOP ? R_COUNTER : R_ANY;
    imm im;
    memset(&im, 0, sizeof im);
    im.counter = (uint32_t)target->counter;
    satisfy(g, in, ln + 1, role, &im, 0, true, EXPR_DEPTH);
    emit(g, 0x0d);
    put_u32(g->code, (uint32_t)d);
    g->budget--;
    g->sp -= ln + 1;
    for (int i = 0; i < ln; i++)
        push(g, lt[i]);
}

static void gen_br_if(gen *g) { gen_br_if_to(g, pick_label(g, true)); }

static void gen_br_table(gen *g)
{
    int d0 = pick_label(g, false);
    const uint8_t *lt;
    int ln;
    label_types(&g->ctrl[g->nctrl - 1 - d0], &lt, &ln);
    int cand[MAX_CTRL], nc = 0;
    for (int d = 0; d < g->nctrl; d++) {
        const frame *f = &g->ctrl[g->nctrl - 1 - d];
        if (f->kind != K_LOOP && f->bt.nr == ln && memcmp(f->bt.r, lt, (size_t)ln) == 0)
            cand[nc++] = d;
    }
    uint32_t nt = choose(g, 5), tg[4];
    for (uint32_t i = 0; i < nt; i++)
        tg[i] = (uint32_t)cand[choose(g, (uint32_t)nc)];
    uint8_t in[MAX_RESULTS + 1], role[MAX_RESULTS + 1] = {0};
    memcpy(in, lt, (size_t)ln);
    in[ln] = WG_I32;
    role[ln] = R_BRIDX;
    imm im;
    memset(&im, 0, sizeof im);
    im.ntargets = nt;
    satisfy(g, in, ln + 1, role, &im, 0, true, EXPR_DEPTH);
    emit(g, 0x0e);
    put_u32(g->code, nt);
    for (uint32_t i = 0; i < nt; i++)
        put_u32(g->code, tg[i]);
    put_u32(g->code, (uint32_t)d0);
    g->budget--;
    make_unreachable(g);
}

static const op *pick_op(gen *g)
{
    const oplist *l = NULL;
    int m = g->simd;
    if (nvals(g) > 0 && choose(g, 2) == 0)
        l = &T.in0[m][tidx(top_type(g))];
    if (!l || l->n == 0)
        l = m && choose(g, 4) ? &T.simd : &T.scalar;
    return l->v[choose(g, (uint32_t)l->n)];
}

/* One step of a block body. */
static void step(gen *g)
{
    int nv = nvals(g);
    unsigned c = choose(g, 48);
    if (nv > MAX_FRAME_VALS || g->sp > MAX_STACK - 512)
        c = 23; /* consume */
    bool nest = g->nctrl < MAX_CTRL;
    if (c < 20 || c >= 45) {
        gen_op(g, pick_op(g), EXPR_DEPTH, true);
        return;
    }
    switch (c) {
    case 20:
    case 21:
    case 22: gen_expr(g, rand_type(g), EXPR_DEPTH); return;
    case 23:
    case 24:
        if (nv > 0)
            consume(g);
        return;
    case 25:
        if (nv > 0) {
            int l = pick_local(g, top_type(g));
            if (l >= 0)
                emit_local(g, 0x22, l);
        }
        return;
    case 26:
        if (g->nrand > 0) {
            int l = (int)choose(g, (uint32_t)g->nrand);
            gen_expr(g, g->ltype[l], EXPR_DEPTH);
            emit_local(g, 0x21, l);
        }
        return;
    case 27:
    case 28:
    case 29:
    case 30:
    case 31:
    case 32:
        if (nest) {
            static const uint8_t opcodes[] = {0x02, 0x02, 0x03, 0x03, 0x04, 0x04};
            ftype bt;
            int bi;
            choose_blocktype(g, &bt, &bi);
            gen_block(g, opcodes[c - 27], &bt, bi, true, EXPR_DEPTH);
        }
        return;
    case 33:
        if (one_in(g, 2))
            gen_br(g);
        return;
    case 34:
    case 35: gen_br_if(g); return;
    case 36:
        if (one_in(g, 2))
            gen_br_table(g);
        return;
    case 37:
        if (one_in(g, 3)) {
            imm im;
            memset(&im, 0, sizeof im);
            satisfy(g, g->ctrl[0].bt.r, g->ctrl[0].bt.nr, no_roles, &im, 0, true, EXPR_DEPTH);
            emit(g, 0x0f); /* return */
            g->budget--;
            make_unreachable(g);
        }
        return;
    case 38:
    case 39:
    case 40:
    case 41: {
        int f = pick_callee(g);
        if (f >= 0)
            gen_call(g, f, c == 41, true, EXPR_DEPTH);
        return;
    }
    case 42: gen_select(g, nv > 0 ? top_type(g) : rand_type(g), true, EXPR_DEPTH); return;
    case 43:
        if (one_in(g, 16)) {
            emit(g, 0x00); /* unreachable */
            g->budget--;
            make_unreachable(g);
        } else {
            emit(g, 0x01); /* nop */
            g->budget--;
        }
        return;
    default: { /* 44: global.set */
        uint8_t t = rand_type(g);
        int gl = pick_global(g, t, true);
        if (gl >= 0) {
            gen_expr(g, t, EXPR_DEPTH);
            emit_global(g, 0x24, gl);
        }
        return;
    }
    }
}

/* Steps until the input says stop (1 in `more`) or the budget is spent. */
static void gen_seq(gen *g, uint32_t more)
{
    while (g->budget > 0 && choose(g, more) != 0)
        step(g);
}

/* ---- Functions and the module --------------------------------------------- */

static void gen_func(gen *g, int fidx, buf *out)
{
    const ftype *ft = &g->types[g->ftype_of[fidx]];
    g->cur = fidx;
    g->nparams = ft->np;
    memcpy(g->ltype, ft->p, ft->np);
    int nl = (int)choose(g, 7);
    for (int i = 0; i < nl; i++)
        g->ltype[ft->np + i] = rand_type(g);
    g->nrand = g->nlocals = ft->np + nl;
    memset(g->scratch, 0xff, sizeof g->scratch);
    g->spill = 0;
    g->sp = 0;
    g->nctrl = 1;
    frame *f = &g->ctrl[0];
    memset(f, 0, sizeof *f);
    f->kind = K_FUNC;
    f->bt.nr = ft->nr;
    memcpy(f->bt.r, ft->r, ft->nr);
    f->counter = -1;
    g->budget = 16 + (int)choose(g, MAX_BUDGET - 16);

    buf code = {0}, body = {0};
    g->code = &code;
    gen_seq(g, 24);
    fixup(g);
    emit(g, 0x0b);

    /* Local declarations, run-length grouped; sometimes an empty group. */
    int ngroups = 0;
    for (int i = g->nparams; i < g->nlocals; i++)
        if (i == g->nparams || g->ltype[i] != g->ltype[i - 1])
            ngroups++;
    bool empty_group = one_in(g, 16);
    put_u32(&body, (uint32_t)(ngroups + empty_group));
    if (empty_group) {
        put_u32(&body, 0);
        put(&body, WG_I64);
    }
    for (int i = g->nparams; i < g->nlocals;) {
        int j = i;
        while (j < g->nlocals && g->ltype[j] == g->ltype[i])
            j++;
        put_u32(&body, (uint32_t)(j - i));
        put(&body, g->ltype[i]);
        i = j;
    }
    put_buf(&body, &code);
    put_u32(out, (uint32_t)body.len);
    put_buf(out, &body);
    free(code.p);
    free(body.p);
    g->code = NULL;
}

static void plan(gen *g)
{
    g->nimp_funcs = (int)choose(g, MAX_IMP_FUNCS + 1);
    g->nfuncs = g->nimp_funcs + 1 + (int)choose(g, MAX_DEF_FUNCS);
    for (int i = 0; i < g->nfuncs; i++) {
        if (g->ntypes > 0 && one_in(g, 4)) {
            g->ftype_of[i] = (int)choose(g, (uint32_t)g->ntypes); /* shared type */
        } else {
            new_type(g, &g->types[g->ntypes]);
            g->ftype_of[i] = g->ntypes++;
        }
    }
    for (int n = (int)choose(g, 5); n > 0 && g->ntypes < MAX_TYPES; n--)
        new_type(g, &g->types[g->ntypes++]); /* for blocks */

    g->nimp_globals = (int)choose(g, MAX_IMP_GLOBALS + 1);
    g->nglobals = g->nimp_globals + (int)choose(g, MAX_DEF_GLOBALS + 1);
    for (int i = 0; i < g->nglobals; i++) {
        g->gtype[i] = rand_type(g);
        g->gmut[i] = choose(g, 2) == 0;
        g->ginit_from[i] = -1;
        if (i < g->nimp_globals)
            continue;
        if (one_in(g, 4)) {
            for (int j = 0; j < g->nimp_globals; j++)
                if (!g->gmut[j] && g->gtype[j] == g->gtype[i])
                    g->ginit_from[i] = j;
        }
        gen_value_bytes(&g->r, g->gtype[i], g->ginit[i]);
    }

    g->mem_min = 1 + choose(g, 2);
    g->mem_has_max = choose(g, 4) != 0;
    g->mem_max = g->mem_min + choose(g, 4);
    g->memsize = g->mem_min * 65536;

    g->ndata = 1 + (int)choose(g, MAX_DATA);
    for (int i = 0; i < g->ndata; i++) {
        g->dpassive[i] = one_in(g, 3);
        g->dlen[i] = choose(g, MAX_DATA_LEN + 1);
        for (uint32_t j = 0; j < g->dlen[i]; j++)
            g->dbytes[i][j] = (uint8_t)r_u8(&g->r);
        g->doff[i] = choose(g, g->memsize - g->dlen[i] + 1);
    }
}

static void put_functype(buf *s, const ftype *t)
{
    put(s, 0x60);
    put_u32(s, t->np);
    put_bytes(s, t->p, t->np);
    put_u32(s, t->nr);
    put_bytes(s, t->r, t->nr);
}

int wg_generate(const uint8_t *data, size_t size, const wg_options *opt, wg_module *out)
{
    memset(out, 0, sizeof *out);
    init_tables();
    gen *g = calloc(1, sizeof *g);
    if (!g)
        return -1;
    g->r.in = data;
    g->r.n = size;
    g->simd = opt && opt->simd;
    out->arg_seed = r_u64(&g->r);
    plan(g);

    buf m = {0}, s = {0};
    static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    put_bytes(&m, header, sizeof header);
    char name[32];

    put_u32(&s, (uint32_t)g->ntypes);
    for (int i = 0; i < g->ntypes; i++)
        put_functype(&s, &g->types[i]);
    put_section(&m, 1, &s);

    if (g->nimp_funcs + g->nimp_globals) {
        put_u32(&s, (uint32_t)(g->nimp_funcs + g->nimp_globals));
        for (int i = 0; i < g->nimp_funcs; i++) {
            put_name(&s, "env");
            snprintf(name, sizeof name, "f%d", i);
            put_name(&s, name);
            put(&s, 0x00);
            put_u32(&s, (uint32_t)g->ftype_of[i]);
        }
        for (int i = 0; i < g->nimp_globals; i++) {
            put_name(&s, "env");
            snprintf(name, sizeof name, "g%d", i);
            put_name(&s, name);
            put(&s, 0x03);
            put(&s, g->gtype[i]);
            put(&s, g->gmut[i]);
        }
        put_section(&m, 2, &s);
    }

    put_u32(&s, (uint32_t)(g->nfuncs - g->nimp_funcs));
    for (int i = g->nimp_funcs; i < g->nfuncs; i++)
        put_u32(&s, (uint32_t)g->ftype_of[i]);
    put_section(&m, 3, &s);

    put_u32(&s, 1); /* table: funcref, every function at its index */
    put(&s, 0x70);
    put(&s, 0x01);
    put_u32(&s, (uint32_t)g->nfuncs);
    put_u32(&s, (uint32_t)g->nfuncs);
    put_section(&m, 4, &s);

    put_u32(&s, 1);
    put(&s, g->mem_has_max);
    put_u32(&s, g->mem_min);
    if (g->mem_has_max)
        put_u32(&s, g->mem_max);
    put_section(&m, 5, &s);

    if (g->nglobals > g->nimp_globals) {
        put_u32(&s, (uint32_t)(g->nglobals - g->nimp_globals));
        for (int i = g->nimp_globals; i < g->nglobals; i++) {
            put(&s, g->gtype[i]);
            put(&s, g->gmut[i]);
            if (g->ginit_from[i] >= 0) {
                put(&s, 0x23);
                put_u32(&s, (uint32_t)g->ginit_from[i]);
            } else {
                put_const_op(&s, g->gtype[i], g->ginit[i]);
            }
            put(&s, 0x0b);
        }
        put_section(&m, 6, &s);
    }

    put_u32(&s, (uint32_t)(g->nfuncs + 2 + g->nglobals));
    for (int i = 0; i < g->nfuncs; i++) {
        snprintf(name, sizeof name, "f%d", i);
        put_name(&s, name);
        put(&s, 0x00);
        put_u32(&s, (uint32_t)i);
    }
    put_name(&s, "mem");
    put(&s, 0x02);
    put_u32(&s, 0);
    put_name(&s, "tab");
    put(&s, 0x01);
    put_u32(&s, 0);
    for (int i = 0; i < g->nglobals; i++) {
        snprintf(name, sizeof name, "g%d", i);
        put_name(&s, name);
        put(&s, 0x03);
        put_u32(&s, (uint32_t)i);
    }
    put_section(&m, 7, &s);

    put_u32(&s, 1); /* elem: active, table 0, offset 0, every function */
    put(&s, 0x00);
    put(&s, 0x41);
    put(&s, 0x00);
    put(&s, 0x0b);
    put_u32(&s, (uint32_t)g->nfuncs);
    for (int i = 0; i < g->nfuncs; i++)
        put_u32(&s, (uint32_t)i);
    put_section(&m, 9, &s);

    put_u32(&s, (uint32_t)g->ndata);
    put_section(&m, 12, &s); /* data count */

    put_u32(&s, (uint32_t)(g->nfuncs - g->nimp_funcs));
    for (int i = g->nimp_funcs; i < g->nfuncs; i++)
        gen_func(g, i, &s);
    put_section(&m, 10, &s);

    put_u32(&s, (uint32_t)g->ndata);
    for (int i = 0; i < g->ndata; i++) {
        if (g->dpassive[i]) {
            put(&s, 0x01);
        } else {
            put(&s, 0x00);
            put(&s, 0x41);
            put_s64(&s, (int32_t)g->doff[i]);
            put(&s, 0x0b);
        }
        put_u32(&s, g->dlen[i]);
        put_bytes(&s, g->dbytes[i], g->dlen[i]);
    }
    put_section(&m, 11, &s);

    if (choose(g, 2)) { /* names for backtraces */
        buf sub = {0};
        put_u32(&sub, (uint32_t)g->nfuncs);
        for (int i = 0; i < g->nfuncs; i++) {
            put_u32(&sub, (uint32_t)i);
            snprintf(name, sizeof name, "fn%d", i);
            put_name(&sub, name);
        }
        put_name(&s, "name");
        put(&s, 1);
        put_u32(&s, (uint32_t)sub.len);
        put_buf(&s, &sub);
        free(sub.p);
        put_section(&m, 0, &s);
    }

    bool oom = m.oom || s.oom;
    free(s.p);
    free(g);
    if (oom) {
        free(m.p);
        return -1;
    }
    out->bytes = m.p;
    out->len = m.len;
    return 0;
}

void wg_module_free(wg_module *m)
{
    free(m->bytes);
    m->bytes = NULL;
    m->len = 0;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void wg_value(uint64_t *rng, uint8_t t, uint8_t out[16])
{
    uint8_t bytes[64];
    for (int i = 0; i < 8; i++)
        le64(bytes + 8 * i, splitmix64(rng));
    rd r = {bytes, sizeof bytes, 0};
    gen_value_bytes(&r, t, out);
}

int wg_simd_default(void)
{
    const char *e = getenv("KILN_FUZZ_GEN_SIMD");
    if (e && *e)
        return atoi(e) != 0;
    return KILN_FUZZ_GEN_SIMD != 0;
}

int wg_catalog(const wg_options *opt, wg_module *out, FILE *names)
{
    memset(out, 0, sizeof *out);
    init_tables();
    const op *ops[N_OF(scalar_ops) + N_OF(simd_ops)];
    int n = 0;
    for (size_t i = 0; i < N_OF(scalar_ops); i++)
        ops[n++] = &scalar_ops[i];
    if (opt && opt->simd)
        for (size_t i = 0; i < N_OF(simd_ops); i++)
            ops[n++] = &simd_ops[i];
    gen *g = calloc(1, sizeof *g); /* no input: choose() says 0 */
    if (!g)
        return -1;
    g->memsize = 65536;
    g->ndata = 1;

    buf m = {0}, s = {0}, body = {0};
    static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    put_bytes(&m, header, sizeof header);
    put_u32(&s, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        ftype t;
        memset(&t, 0, sizeof t);
        t.np = ops[i]->nin;
        memcpy(t.p, ops[i]->in, ops[i]->nin);
        t.nr = ops[i]->out != 0;
        t.r[0] = ops[i]->out;
        put_functype(&s, &t);
    }
    put_section(&m, 1, &s);
    put_u32(&s, (uint32_t)n);
    for (int i = 0; i < n; i++)
        put_u32(&s, (uint32_t)i);
    put_section(&m, 3, &s);
    put_u32(&s, 1);
    put(&s, 0x01);
    put_u32(&s, 1);
    put_u32(&s, 1);
    put_section(&m, 5, &s);
    put_u32(&s, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%d", i);
        put_name(&s, name);
        put(&s, 0x00);
        put_u32(&s, (uint32_t)i);
    }
    put_section(&m, 7, &s);
    put_u32(&s, 1);
    put_section(&m, 12, &s);
    put_u32(&s, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        const op *o = ops[i];
        imm im;
        choose_imm(g, o, &im);
        if (o->lanes)
            im.lane = (uint8_t)(o->lanes - 1);
        for (int k = 0; k < 16; k++)
            im.shuf[k] = (uint8_t)(2 * k + 1);
        body.len = 0;
        put_u32(&body, 0); /* no locals */
        for (int k = 0; k < o->nin; k++) {
            put(&body, 0x20);
            put_u32(&body, (uint32_t)k);
        }
        encode_op(&body, o, &im);
        put(&body, 0x0b);
        put_u32(&s, (uint32_t)body.len);
        put_buf(&s, &body);
        if (names)
            fprintf(names, "%s\n", o->name);
    }
    put_section(&m, 10, &s);
    put_u32(&s, 1);
    put(&s, 0x01);
    put_u32(&s, 4);
    put_bytes(&s, "kiln", 4);
    put_section(&m, 11, &s);

    bool oom = m.oom || s.oom || body.oom;
    free(s.p);
    free(body.p);
    free(g);
    if (oom) {
        free(m.p);
        return -1;
    }
    out->bytes = m.p;
    out->len = m.len;
    return 0;
}
