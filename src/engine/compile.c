/*
 * compile.c — validates each function body and lowers it to internal code
 * (lower.h) in the same single pass.
 *
 * Validation is the spec's algorithm (appendix "Validation Algorithm"): an
 * operand stack of types and a control stack of frames, with the operand
 * stack turning polymorphic after unreachable, br, br_table and return.
 * Alongside each operand type the pass keeps where the value lives at run
 * time: its canonical slot (fixed by the stack position) and its current
 * slot, which differs only for a local.get that has not been copied yet.
 *
 * Lowering is one instruction out per Wasm instruction or fewer: the
 * rewrites below look only at the instruction just emitted (last_*), so
 * each is a local decision that a branch target invalidates (label_here):
 *   - local.get reads the local's slot; local.set/tee and return redirect
 *     the result of the instruction just emitted instead of copying it;
 *   - constants are not written until something needs them in a slot:
 *     integer and float ops, loads (address) and stores (value) take them
 *     as immediates (_K forms), and zeroing a local that is still zero
 *     from the function's entry emits nothing;
 *   - a comparison or eqz consumed by br_if/if becomes one compare-and-
 *     jump; an f32/f64 multiply consumed by add/sub becomes MULADD & co;
 *     a shift or rotate by a constant consumed by add/xor/or/and becomes
 *     one SHIFTOP;
 *   - a load absorbs the i32.add (or shifted add) that computed its
 *     address (_A, _X, _XS, _AS), a constant store its base+constant
 *     address (_AK);
 *   - two copies in a row become one COPY_PAIR, and br_table entries
 *     jump straight to labels whose values are already in place.
 * tests/lowering/ has a script for each, with the edges where they could
 * go wrong.
 *
 * Invariants:
 *   - only values pushed inside the innermost control frame can be outside
 *     their canonical slot (a local.get not yet copied, or a constant not
 *     yet written: consumers that can take it as an immediate do): every
 *     control boundary materialises them;
 *   - nothing is emitted while the code is unreachable (c->dead): such code
 *     is validated and then dropped;
 *   - an unpatched forward branch offset holds the link to the previous one
 *     of the same label (pos + 1, 0 ends the chain), so fixups need no
 *     side table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "leb.h"
#include "lower.h"
#include "module.h"

/* Immediate words of a _K form, per type (lower.h). */
#define KW_I32 1
#define KW_I64 1
#define KW_F32 1
#define KW_F64 2
#define KN_T_I32 KN_I32
#define KN_T_I64 KN_I64
#define KN_T_F32 KN_F32
#define KN_T_F64 KN_F64
#define KN_T_V128 KN_V128
#define T_ANY 0 /* the unknown type of a polymorphic stack */

/* Most locals a function may declare; beyond this real compilers never go,
 * and the frame must stay small enough to allocate. */
#define KN_MAX_LOCALS 50000u

/* ---- The opcode table, seen from the validator ---------------------------- */

enum {
    OK_NONE, OK_CTRL, OK_LOAD, OK_STORE, OK_UN, OK_BIN,
    OK_VTERN, OK_VSHIFT, OK_VEXTRACT, OK_VREPLACE, OK_VLOAD, OK_VLOAD_LANE, OK_VSTORE_LANE
};

typedef struct kn_opinfo {
    uint8_t kind;
    kn_valtype in, out;
    uint8_t size; /* loads/stores: access width in bytes; lane ops: lanes */
    uint16_t op;
} kn_opinfo;

/* Three opcode spaces: single bytes, 0xfc (misc) and 0xfd (SIMD); the
 * Wasm 2.0 instructions of both prefixes have sub-opcodes below 256. */
#define PIDX(PFX) ((PFX) == 0xfc ? 1 : (PFX) == 0xfd ? 2 : 0)
static const kn_opinfo optab[3][256] = {
#define KN_CTRL(ID, PFX, CODE, TEXT, LAYOUT) [PIDX(PFX)][CODE] = {OK_CTRL, 0, 0, 0, KN_OP_##ID},
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT) \
    [PIDX(PFX)][CODE] = {OK_LOAD, KN_I32, KN_T_##T, sizeof(MEMT), KN_OP_##ID},
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT) \
    [PIDX(PFX)][CODE] = {OK_STORE, KN_T_##T, 0, sizeof(MEMT), KN_OP_##ID},
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) \
    [PIDX(PFX)][CODE] = {OK_UN, KN_T_##IN, KN_T_##OUT, 0, KN_OP_##ID},
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) \
    [PIDX(PFX)][CODE] = {OK_BIN, KN_T_##IN, KN_T_##OUT, 0, KN_OP_##ID},
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) \
    [PIDX(PFX)][CODE] = {OK_UN, KN_T_##IN, KN_T_##OUT, 0, KN_OP_##ID},
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) \
    [PIDX(PFX)][CODE] = {OK_BIN, KN_T_##IN, KN_T_##OUT, 0, KN_OP_##ID},
#define KN_VUNOP(ID, PFX, CODE, TEXT, IN, OUT, STMT) \
    [PIDX(PFX)][CODE] = {OK_UN, KN_T_##IN, KN_T_##OUT, 0, KN_OP_##ID},
#define KN_VBINOP(ID, PFX, CODE, TEXT, STMT) \
    [PIDX(PFX)][CODE] = {OK_BIN, KN_V128, KN_V128, 0, KN_OP_##ID},
#define KN_VTERNOP(ID, PFX, CODE, TEXT, STMT) \
    [PIDX(PFX)][CODE] = {OK_VTERN, KN_V128, KN_V128, 0, KN_OP_##ID},
#define KN_VSHIFT(ID, PFX, CODE, TEXT, STMT) \
    [PIDX(PFX)][CODE] = {OK_VSHIFT, KN_V128, KN_V128, 0, KN_OP_##ID},
#define KN_VEXTRACT(ID, PFX, CODE, TEXT, OUT, LANES, STMT) \
    [PIDX(PFX)][CODE] = {OK_VEXTRACT, KN_V128, KN_T_##OUT, LANES, KN_OP_##ID},
#define KN_VREPLACE(ID, PFX, CODE, TEXT, IN, LANES, STMT) \
    [PIDX(PFX)][CODE] = {OK_VREPLACE, KN_T_##IN, KN_V128, LANES, KN_OP_##ID},
#define KN_VLOAD(ID, PFX, CODE, TEXT, SIZE, STMT) \
    [PIDX(PFX)][CODE] = {OK_VLOAD, KN_I32, KN_V128, SIZE, KN_OP_##ID},
#define KN_VLOAD_LANE(ID, PFX, CODE, TEXT, SIZE) \
    [PIDX(PFX)][CODE] = {OK_VLOAD_LANE, KN_I32, KN_V128, SIZE, KN_OP_##ID},
#define KN_VSTORE_LANE(ID, PFX, CODE, TEXT, SIZE) \
    [PIDX(PFX)][CODE] = {OK_VSTORE_LANE, KN_I32, KN_V128, SIZE, KN_OP_##ID},
#include "opcodes.def"
};

/* Which opcodes have a form with a constant second operand (op_k), and
 * which comparisons fuse with a following conditional branch. */
typedef struct kn_fuse {
    uint16_t op_k;    /* 0: none */
    uint16_t jt, jf;  /* fused jump-if-true / jump-if-false; 0: none */
    uint8_t nops;     /* operand words the fused form keeps (x, y or imm) */
} kn_fuse;

static const kn_fuse fuse[KN_OP_COUNT] = {
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) [KN_OP_##ID] = {KN_OP_##ID##_K, 0, 0, 0},
#define KN_CMP(ID, PFX, CODE, TEXT, IN, EXPR)                                    \
    [KN_OP_##ID] = {KN_OP_##ID##_K, KN_OP_##ID##_JT, KN_OP_##ID##_JF, 2},        \
    [KN_OP_##ID##_K] = {0, KN_OP_##ID##_KJT, KN_OP_##ID##_KJF, 1 + KW_##IN},
#define KN_TEST(ID, PFX, CODE, TEXT, IN, EXPR) [KN_OP_##ID] = {0, KN_OP_##ID##_JT, KN_OP_##ID##_JF, 1},
#include "opcodes.def"
};

/* ---- Compiler state ------------------------------------------------------- */

typedef struct ventry {
    kn_valtype type;
    bool konst;     /* a constant not yet written anywhere (value in k) */
    uint32_t slot;  /* where the value is now (NOSLOT for a konst) */
    uint32_t cslot; /* where its stack position keeps it */
    uint64_t k;
} ventry;

#define NOSLOT UINT32_MAX

enum { CK_BLOCK, CK_LOOP, CK_IF, CK_ELSE, CK_FUNC };

typedef struct ctl {
    uint8_t kind;
    bool unreachable;  /* validation: the stack is polymorphic */
    bool outer_dead;   /* emission: code before this frame was dead */
    uint32_t nparams, nresults;
    uint32_t type_index;     /* when the block type names a type */
    kn_valtype single;       /* when the block type is one value type */
    uint8_t bt_form;         /* 0 empty, 1 single, 2 type index */
    uint32_t height;         /* operand stack height below the params */
    uint32_t label_slot;     /* where branch values go */
    uint32_t loop_pos;       /* loops: word index of the loop head */
    uint32_t fixups;         /* chain of forward branches to the end */
    uint32_t else_fixup;     /* if: the JMP_UNLESS to patch at else/end */
    uint32_t brt_seen;       /* br_table serial that last visited this label */
    uint32_t brt_stub;       /* that table's stub for it, UINT32_MAX: none */
} ctl;

typedef struct kc {
    kn_module *m;
    const kn_functype *ft;
    kn_reader r;
    kiln_error *err;

    /* For messages: the function, and the instruction being compiled (its
     * opcode's offset, name, and "in"/"at" before the name).  want* is
     * the instruction's whole input signature, bottom first (want, then
     * an i32 if want_i32), set before its first pop, so that a mismatch
     * in any operand names all of them; want_vn is the stack height then.
     * got_all: show every value of the frame (a frame's end). */
    uint32_t fi;
    int64_t op_off;
    const char *iname, *iprep;
    bool want_set, want_i32, got_all;
    const kn_valtype *want;
    uint32_t nwant, want_vn;
    kn_valtype want_buf[3];

    uint32_t nlocals;        /* params + declared */
    kn_valtype *ltype;
    uint32_t *lslot;
    uint8_t *lzero;          /* declared local no earlier code writes */
    uint32_t loop_depth;     /* open loop frames */

    /* Keeping the pass linear on hostile input: entries below dirty_low
     * are all in their canonical slots, so materialising starts there; and
     * each local keeps a list of the stack indices where a local.get/tee
     * pushed it (lref_head, lref_nodes), so local.set finds the values
     * still reading it without scanning the stack.  Stale list entries
     * (popped or materialised since) are dropped as they are met. */
    uint32_t dirty_low;
    uint32_t brt_serial;     /* numbers br_table passes (ctl.brt_seen) */
    uint32_t *lref_head;     /* per local: node index + 1, 0 = none */
    struct lref {
        uint32_t idx, next;
    } *lref_nodes;
    uint32_t nlref, caplref;
    uint32_t temp_base, max_slot;

    ventry *vs;
    uint32_t vn, vcap;
    ctl *cs;
    uint32_t cn, ccap;

    uint32_t *code;
    uint32_t ncode, ccode;
    bool dead;
    bool oom;

    /* The last instruction that produced a stack value, while nothing has
     * been emitted after it and no branch can land after it: its opcode and
     * dst words, the code size right after it and the stack height.  A
     * following local.set may redirect its result, a following integer
     * op may absorb it as an immediate (constants), and a following branch
     * may fuse with it (comparisons). */
    uint32_t last_start, last_dst, last_end, last_vn;
    /* The last COPY, while nothing follows it and no branch lands after
     * it: a second COPY joins it as a COPY_PAIR. */
    uint32_t last_copy, last_copy_end;
    bool fused;              /* set by fuse_shift when it emitted */
} kc;

#define OFF(c) ((int64_t)((c)->r.p - (c)->r.start))

/* Every message starts with the function, "func[N] <name>"; validation
 * errors point at the instruction's opcode and end with its name, decode
 * errors point where the bytes went wrong. */
static bool fail_at(kc *c, kiln_error_kind kind, int64_t off, bool with_instr, const char *fmt,
                    ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static bool fail_at(kc *c, kiln_error_kind kind, int64_t off, bool with_instr, const char *fmt,
                    ...)
{
    if (c->err)
        return false;
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    const char *name = kn_func_name(c->m, c->fi);
    c->err = kn_error_new(kind, off, "func[%u]%s%.100s%s: %s%s%s", c->fi, name ? " <" : "",
                          name ? name : "", name ? ">" : "", text,
                          with_instr && c->iname ? " in " : "",
                          with_instr && c->iname ? c->iname : "");
    return false;
}
#define FAIL(c, ...) return fail_at(c, KILN_ERR_VALIDATE, (c)->op_off, true, __VA_ARGS__)
/* The text names the instruction itself. */
#define FAIL_BARE(c, ...) return fail_at(c, KILN_ERR_VALIDATE, (c)->op_off, false, __VA_ARGS__)
#define MALFORMED(c, ...) return fail_at(c, KILN_ERR_DECODE, OFF(c), false, __VA_ARGS__)
/* Running out of memory is neither a decode nor a validation error. */
#define NOMEM(c)                                                              \
    do {                                                                      \
        if (!(c)->err)                                                        \
            (c)->err = kn_error_nomem();                                      \
        return false;                                                         \
    } while (0)
#define TRY(x)                \
    do {                      \
        if (!(x))             \
            return false;     \
    } while (0)

static bool grow(kc *c, void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint32_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = kn_realloc_n(&c->m->alloc, *p, n, elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* ---- Emission ------------------------------------------------------------- */

static uint32_t emit(kc *c, uint32_t w)
{
    if (c->dead)
        return c->ncode;
    if (!grow(c, (void **)&c->code, &c->ccode, c->ncode + 1, sizeof(uint32_t))) {
        /* The position returned is past the code: going dead keeps the
         * rest of this instruction from writing there (compile_func stops
         * after it). */
        c->oom = true;
        c->dead = true;
        return c->ncode;
    }
    c->code[c->ncode] = w;
    return c->ncode++;
}

static void emit2(kc *c, uint32_t a, uint32_t b) { emit(c, a); emit(c, b); }
static void emit3(kc *c, uint32_t a, uint32_t b, uint32_t d) { emit(c, a); emit(c, b); emit(c, d); }

/* Mark a point that branches may reach: the previous instruction's result
 * can no longer be redirected. */
static void label_here(kc *c)
{
    c->last_end = UINT32_MAX;
    c->last_copy_end = UINT32_MAX;
}

static void patch_chain(kc *c, uint32_t head, uint32_t target)
{
    while (head) {
        uint32_t pos = head - 1;
        head = c->code[pos];
        c->code[pos] = target - pos;
    }
}

/* ---- Operand stack -------------------------------------------------------- */

static uint32_t next_slot(kc *c)
{
    if (c->vn == 0)
        return c->temp_base;
    ventry *e = &c->vs[c->vn - 1];
    return e->cslot + (e->type == KN_V128 ? 2 : 1);
}

static bool push(kc *c, kn_valtype t)
{
    if (!grow(c, (void **)&c->vs, &c->vcap, c->vn + 1, sizeof(ventry)))
        NOMEM(c);
    uint32_t s = next_slot(c);
    if (s > 0x7fffffffu)
        FAIL(c, "function frame too large");
    c->vs[c->vn++] = (ventry){t, false, s, s, 0};
    uint32_t top = s + (t == KN_V128 ? 2 : 1);
    if (top > c->max_slot)
        c->max_slot = top;
    return true;
}

static ctl *top_ctl(kc *c) { return &c->cs[c->cn - 1]; }

/* ---- Type mismatch messages ------------------------------------------------ */

/* Declare the instruction's inputs (n types, then an i32 if with_i32)
 * before its first pop; the first declaration of an instruction wins, so
 * helpers that pop part of them (a call's params, a label's values) keep
 * the whole list their caller declared. */
static void want_list(kc *c, const kn_valtype *t, uint32_t n, bool with_i32)
{
    if (c->want_set)
        return;
    c->want_set = true;
    c->want = t;
    c->nwant = n;
    c->want_i32 = with_i32;
    c->want_vn = c->vn;
}
static void want3(kc *c, uint32_t n, kn_valtype a, kn_valtype b, kn_valtype d)
{
    c->want_buf[0] = a;
    c->want_buf[1] = b;
    c->want_buf[2] = d;
    want_list(c, c->want_buf, n, false);
}

/* A type mismatch (diag.h has the wording): the declared inputs against
 * the values the stack held before the instruction; without a
 * declaration, just the operand that failed. */
static bool mismatch(kc *c, kn_valtype expect)
{
    enum { SHOW = 8 };
    kn_valtype g[SHOW];
    const kn_valtype *w = c->want_set ? c->want : &expect;
    uint32_t nw = c->want_set ? c->nwant : 1, hi = c->want_set ? c->want_vn : c->vn;
    uint32_t total = nw + (c->want_set && c->want_i32), height = top_ctl(c)->height;
    uint32_t lo = !c->got_all && hi - height > total ? hi - total : height;
    uint32_t skip = hi - lo > SHOW ? hi - lo - SHOW : 0;
    for (uint32_t i = lo + skip; i < hi; i++)
        g[i - lo - skip] = c->vs[i].type;
    char text[300];
    kn_format_mismatch(text, sizeof text, w, nw, c->want_set && c->want_i32, g, hi - lo - skip,
                       skip);
    return fail_at(c, KILN_ERR_VALIDATE, c->op_off, false, "type mismatch %s %s, %s", c->iprep,
                   c->iname ? c->iname : "?", text);
}

/* Pop one value, checking it against `expect` (T_ANY accepts anything);
 * a constant stays unwritten (out->konst) for consumers with an immediate
 * form. */
static bool pop_k(kc *c, kn_valtype expect, ventry *out)
{
    ctl *f = top_ctl(c);
    if (c->vn == f->height) {
        if (f->unreachable) {
            *out = (ventry){T_ANY, false, 0, 0, 0};
            return true;
        }
        return mismatch(c, expect);
    }
    ventry e = c->vs[c->vn - 1];
    if (expect != T_ANY && e.type != T_ANY && e.type != expect)
        return mismatch(c, expect);
    c->vn--;
    *out = e;
    return true;
}

/* Write a constant entry to its canonical slot.  The CONST counts as the
 * last result, so a following local.set can still redirect it. */
static void write_const(kc *c, ventry *e, uint32_t vn_with_e)
{
    if (!e->konst)
        return;
    e->konst = false;
    e->slot = e->cslot;
    if (c->dead)
        return;
    bool wide = e->type == KN_I64 || e->type == KN_F64;
    emit(c, wide ? KN_OP_CONST64 : KN_OP_CONST32);
    uint32_t pos = emit(c, e->cslot);
    emit(c, (uint32_t)e->k);
    if (wide)
        emit(c, (uint32_t)(e->k >> 32));
    c->last_start = pos - 1;
    c->last_dst = pos;
    c->last_end = c->ncode;
    c->last_vn = vn_with_e;
}

/* Pop one value into a slot. */
static bool pop(kc *c, kn_valtype expect, ventry *out)
{
    TRY(pop_k(c, expect, out));
    if (out->konst) {
        write_const(c, out, c->vn + 1);
        c->vs[c->vn] = *out; /* so a frame check that re-pushes sees it */
    }
    return true;
}

/* The value of a popped integer/float constant as the immediate words of a
 * _K form: 32-bit types and i64 values that sign-extend from 32 bits take
 * one word, f64 two.  Returns the word count, 0 if it does not fit. */
static uint32_t imm_words(const ventry *e, uint32_t w[2])
{
    if (!e->konst)
        return 0;
    w[0] = (uint32_t)e->k;
    w[1] = (uint32_t)(e->k >> 32);
    switch (e->type) {
    case KN_I32:
    case KN_F32:
        return 1;
    case KN_I64:
        return w[1] == ((w[0] & 0x80000000u) ? 0xffffffffu : 0) ? 1 : 0;
    case KN_F64:
        return 2;
    default:
        return 0;
    }
}
static void emit_copy(kc *c, kn_valtype t, uint32_t dst, uint32_t src)
{
    if (dst == src || c->dead)
        return;
    if (t == KN_V128) {
        emit3(c, KN_OP_COPY2, dst, src);
        return;
    }
    if (c->last_copy_end == c->ncode && c->code[c->last_copy] == KN_OP_COPY) {
        c->code[c->last_copy] = KN_OP_COPY_PAIR;
        emit2(c, dst, src);
        c->last_copy_end = UINT32_MAX;
        return;
    }
    c->last_copy = c->ncode;
    emit3(c, KN_OP_COPY, dst, src);
    c->last_copy_end = c->ncode;
}

static void mark_dirty(kc *c, uint32_t idx)
{
    if (idx < c->dirty_low)
        c->dirty_low = idx;
}

/* Push local x as a value read from its own slot (nothing emitted). */
static bool push_local_ref(kc *c, uint32_t x)
{
    TRY(push(c, c->ltype[x]));
    c->vs[c->vn - 1].slot = c->lslot[x];
    mark_dirty(c, c->vn - 1);
    if (!grow(c, (void **)&c->lref_nodes, &c->caplref, c->nlref + 1, sizeof *c->lref_nodes))
        NOMEM(c);
    c->lref_nodes[c->nlref] = (struct lref){c->vn - 1, c->lref_head[x]};
    c->lref_head[x] = ++c->nlref;
    return true;
}

/* Is a value on the stack still reading local x's slot? */
static bool local_is_read(kc *c, uint32_t x)
{
    while (c->lref_head[x]) {
        struct lref *n = &c->lref_nodes[c->lref_head[x] - 1];
        if (n->idx < c->vn && c->vs[n->idx].slot == c->lslot[x] && !c->vs[n->idx].konst)
            return true;
        c->lref_head[x] = n->next;
    }
    return false;
}

/* Put every value of the innermost frame from index `from` into its
 * canonical slot. */
static void materialize(kc *c, uint32_t from)
{
    if (c->dead)
        return;
    uint32_t start = from > c->dirty_low ? from : c->dirty_low;
    if (from <= c->dirty_low)
        c->dirty_low = UINT32_MAX;
    for (uint32_t i = start; i < c->vn; i++) {
        ventry *e = &c->vs[i];
        if (e->konst) {
            write_const(c, e, c->vn);
            c->last_end = UINT32_MAX;
        } else if (e->slot != e->cslot) {
            emit_copy(c, e->type, e->cslot, e->slot);
            e->slot = e->cslot;
        }
    }
}

static void materialize_frame(kc *c) { materialize(c, top_ctl(c)->height); }

/* Push the result of an instruction just emitted, whose dst word is at
 * dst_pos, so a following local.set/tee may redirect it. */
static bool push_result(kc *c, kn_valtype t, uint32_t dst_pos)
{
    TRY(push(c, t));
    if (!c->dead) {
        c->last_start = dst_pos - 1;
        c->last_dst = dst_pos;
        c->last_end = c->ncode;
        c->last_vn = c->vn;
    }
    return true;
}

/* Was `v`, just popped with `below` more values popped after it, produced
 * by the last instruction, with nothing emitted since? */
static bool is_last_result(kc *c, const ventry *v, uint32_t below)
{
    return !c->dead && c->last_end == c->ncode && c->last_vn == c->vn + 1 + below &&
           v->slot == v->cslot && c->code[c->last_dst] == v->cslot;
}

/* Emit a conditional jump on `cond` (taken when it is non-zero if
 * when_true, else when zero), fused with the comparison that computed it
 * when that comparison is the last instruction.  Returns the position of
 * the offset word (0 written there), or UINT32_MAX when dead. */
static uint32_t emit_cond_jump(kc *c, const ventry *cond, bool when_true)
{
    if (c->dead)
        return UINT32_MAX;
    if (is_last_result(c, cond, 0)) {
        uint32_t *w = &c->code[c->last_start];
        const kn_fuse *fz = &fuse[w[0]];
        if (fz->jt) {
            uint32_t ops[3] = {w[2], fz->nops > 1 ? w[3] : 0, fz->nops > 2 ? w[4] : 0};
            c->ncode = c->last_start;
            c->last_end = UINT32_MAX;
            emit(c, when_true ? fz->jt : fz->jf);
            for (uint32_t i = 0; i < fz->nops; i++)
                emit(c, ops[i]);
            return emit(c, 0);
        }
    }
    emit2(c, when_true ? KN_OP_JMP_IF : KN_OP_JMP_UNLESS, cond->slot);
    return emit(c, 0);
}

/* A constant is pushed unwritten: its consumer decides (lower.h). */
static bool push_const(kc *c, kn_valtype t, uint64_t k)
{
    TRY(push(c, t));
    ventry *e = &c->vs[c->vn - 1];
    e->konst = true;
    e->slot = NOSLOT;
    e->k = k;
    mark_dirty(c, c->vn - 1);
    return true;
}

/* Slot where the value an instruction is about to push will go. */
static uint32_t result_slot(kc *c) { return next_slot(c); }

/* ---- Block types and labels ------------------------------------------------ */

static uint32_t bt_nparams(kc *c, const ctl *f)
{
    return f->bt_form == 2 ? c->m->types[f->type_index].nparams : 0;
}
static uint32_t bt_nresults(kc *c, const ctl *f)
{
    return f->bt_form == 2 ? c->m->types[f->type_index].nresults : f->bt_form == 1 ? 1 : 0;
}
static kn_valtype bt_param(kc *c, const ctl *f, uint32_t i)
{
    return c->m->types[f->type_index].types[i];
}
static kn_valtype bt_result(kc *c, const ctl *f, uint32_t i)
{
    if (f->kind == CK_FUNC)
        return c->ft->types[c->ft->nparams + i];
    if (f->bt_form == 1)
        return f->single;
    const kn_functype *t = &c->m->types[f->type_index];
    return t->types[t->nparams + i];
}
/* Label types: a loop's label takes its params, any other its results. */
static uint32_t label_arity(kc *c, const ctl *f)
{
    if (f->kind == CK_FUNC)
        return c->ft->nresults;
    return f->kind == CK_LOOP ? bt_nparams(c, f) : bt_nresults(c, f);
}
static kn_valtype label_type(kc *c, const ctl *f, uint32_t i)
{
    return f->kind == CK_LOOP ? bt_param(c, f, i) : bt_result(c, f, i);
}

static bool read_blocktype(kc *c, ctl *f)
{
    if (c->r.p >= c->r.end)
        MALFORMED(c, "unexpected end");
    uint8_t b = *c->r.p;
    if (b == 0x40) {
        c->r.p++;
        f->bt_form = 0;
        return true;
    }
    if (b == KN_I32 || b == KN_I64 || b == KN_F32 || b == KN_F64 || b == KN_V128 ||
        b == KN_FUNCREF || b == KN_EXTERNREF) {
        c->r.p++;
        f->bt_form = 1;
        f->single = b;
        return true;
    }
    int64_t idx;
    if (!kn_read_s33(&c->r, &idx) || idx < 0)
        MALFORMED(c, "malformed block type");
    if ((uint64_t)idx >= c->m->ntypes)
        FAIL(c, "unknown type");
    f->bt_form = 2;
    f->type_index = (uint32_t)idx;
    return true;
}

/* Enter a block/loop/if whose type was read into *tmpl. */
static bool push_ctl(kc *c, ctl tmpl)
{
    uint32_t np = bt_nparams(c, &tmpl);
    want_list(c, np ? c->m->types[tmpl.type_index].types : NULL, np, false);
    for (uint32_t i = np; i-- > 0;) {
        ventry e;
        TRY(pop(c, bt_param(c, &tmpl, i), &e));
    }
    tmpl.height = c->vn;
    tmpl.label_slot = next_slot(c);
    tmpl.outer_dead = c->dead;
    tmpl.unreachable = false;
    tmpl.fixups = 0;
    tmpl.else_fixup = 0;
    if (!grow(c, (void **)&c->cs, &c->ccap, c->cn + 1, sizeof(ctl)))
        NOMEM(c);
    c->cs[c->cn++] = tmpl;
    for (uint32_t i = 0; i < np; i++)
        TRY(push(c, bt_param(c, &tmpl, i)));
    return true;
}

static void set_unreachable(kc *c)
{
    ctl *f = top_ctl(c);
    c->vn = f->height;
    f->unreachable = true;
    c->dead = true;
}

/* A frame's result types (n of them), or its label's, as one array. */
static const kn_valtype *results_of(kc *c, const ctl *f)
{
    if (f->kind == CK_FUNC)
        return c->ft->types + c->ft->nparams;
    if (f->bt_form == 1)
        return &f->single;
    return f->bt_form == 2 ? c->m->types[f->type_index].types + c->m->types[f->type_index].nparams
                           : NULL;
}
static const kn_valtype *label_types(kc *c, const ctl *f)
{
    return f->kind == CK_LOOP && f->bt_form == 2 ? c->m->types[f->type_index].types
                                                 : f->kind == CK_LOOP ? NULL : results_of(c, f);
}

/* Check the top of the stack against a frame's results, exactly. */
static bool check_results(kc *c, ctl *f)
{
    uint32_t n = bt_nresults(c, f);
    if (f->kind == CK_FUNC)
        n = c->ft->nresults;
    want_list(c, results_of(c, f), n, false);
    c->got_all = true;
    uint32_t save = c->vn;
    for (uint32_t i = n; i-- > 0;) {
        ventry e;
        TRY(pop(c, bt_result(c, f, i), &e));
    }
    if (c->vn != f->height)
        return mismatch(c, T_ANY);
    c->vn = save > f->height + n ? f->height + n : save;
    return true;
}

/* Check the label values of frame f on top of the stack (without popping)
 * and emit the copies that put them where the label expects them. */
static bool check_label_values(kc *c, ctl *f, uint32_t *n_out, bool keep_actual)
{
    uint32_t n = label_arity(c, f);
    want_list(c, label_types(c, f), n, false);
    ventry *tmp = NULL;
    if (n) {
        tmp = kn_malloc(&c->m->alloc, n * sizeof *tmp);
        if (!tmp)
            NOMEM(c);
    }
    for (uint32_t i = n; i-- > 0;) {
        if (!pop(c, label_type(c, f, i), &tmp[i])) {
            kn_free(&c->m->alloc, tmp);
            return false;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        /* br_if leaves the label's types; br_table (per the spec's
         * algorithm) leaves what it popped, which may be unknown. */
        if (!push(c, keep_actual ? tmp[i].type : label_type(c, f, i))) {
            kn_free(&c->m->alloc, tmp);
            return false;
        }
        c->vs[c->vn - 1].slot = tmp[i].slot;
        if (tmp[i].slot != c->vs[c->vn - 1].cslot)
            mark_dirty(c, c->vn - 1);
    }
    kn_free(&c->m->alloc, tmp);
    *n_out = n;
    return true;
}

/* Copies from the top n values to the label slots of f. */
static void emit_label_copies(kc *c, ctl *f, uint32_t n)
{
    if (c->dead)
        return;
    if (f->kind == CK_FUNC) {
        /* A single result computed just now can be written straight to
         * fp[0] (instructions read their operands before writing). */
        ventry *top = n == 1 ? &c->vs[c->vn - 1] : NULL;
        if (top && c->last_end == c->ncode && c->last_vn == c->vn && top->slot == top->cslot &&
            c->code[c->last_dst] == top->cslot) {
            c->code[c->last_dst] = 0;
            c->vs[c->vn - 1].slot = 0;
            mark_dirty(c, c->vn - 1);
            c->last_end = UINT32_MAX;
            return;
        }
        /* The function's label slots overlap the locals: copy from
         * canonical temporaries only. */
        materialize(c, c->vn - n);
    }
    uint32_t dst = f->kind == CK_FUNC ? 0 : f->label_slot;
    for (uint32_t i = 0; i < n; i++) {
        ventry *e = &c->vs[c->vn - n + i];
        emit_copy(c, e->type, dst, e->slot);
        dst += e->type == KN_V128 ? 2 : 1;
    }
}

static bool label_copies_needed(kc *c, ctl *f, uint32_t n)
{
    if (c->dead)
        return false;
    uint32_t dst = f->kind == CK_FUNC ? 0 : f->label_slot;
    for (uint32_t i = 0; i < n; i++) {
        ventry *e = &c->vs[c->vn - n + i];
        if (e->slot != dst)
            return true;
        dst += e->type == KN_V128 ? 2 : 1;
    }
    return false;
}

/* Point the offset word at `pos` to frame f's label: a loop's head is
 * known, any other label's end is chained for patching. */
static void link_jump(kc *c, ctl *f, uint32_t pos)
{
    if (c->dead || pos == UINT32_MAX)
        return;
    if (f->kind == CK_LOOP) {
        c->code[pos] = f->loop_pos - pos;
    } else {
        c->code[pos] = f->fixups;
        f->fixups = pos + 1;
    }
}

/* An unconditional jump to frame f's label (after the copies). */
static void emit_jump_to(kc *c, ctl *f)
{
    emit(c, f->kind == CK_LOOP ? KN_OP_JMP_BACK : KN_OP_JMP);
    if (c->dead)
        return;
    link_jump(c, f, emit(c, 0));
}

static bool read_label(kc *c, ctl **out)
{
    uint32_t d;
    if (!kn_read_u32(&c->r, &d))
        MALFORMED(c, "malformed label");
    if (d >= c->cn)
        FAIL(c, "unknown label");
    *out = &c->cs[c->cn - 1 - d];
    return true;
}

/* ---- Instructions --------------------------------------------------------- */

static bool read_u32(kc *c, uint32_t *v)
{
    if (!kn_read_u32(&c->r, v))
        MALFORMED(c, "%s", c->r.err ? c->r.err : "malformed integer");
    return true;
}

static bool zero_byte(kc *c)
{
    uint8_t b;
    if (!kn_read_u8(&c->r, &b))
        MALFORMED(c, "unexpected end");
    if (b != 0)
        MALFORMED(c, "zero byte expected");
    return true;
}

static bool need_memory(kc *c)
{
    if (c->m->nmemories == 0)
        FAIL(c, "unknown memory 0");
    return true;
}

static bool read_table(kc *c, uint32_t *t)
{
    TRY(read_u32(c, t));
    if (*t >= c->m->ntables)
        FAIL(c, "unknown table %u", *t);
    return true;
}

static bool local_index(kc *c, uint32_t *x)
{
    TRY(read_u32(c, x));
    if (*x >= c->nlocals)
        FAIL_BARE(c, "unknown local %u in %s: the function has %u local%s", *x, c->iname,
                  c->nlocals, c->nlocals == 1 ? "" : "s");
    return true;
}

static bool do_call(kc *c, const kn_functype *t, uint32_t op, uint32_t a, uint32_t b, bool has_idx,
                    uint32_t idx_slot)
{
    ventry e;
    want_list(c, t->types, t->nparams, false);
    for (uint32_t i = t->nparams; i-- > 0;)
        TRY(pop(c, t->types[i], &e));
    /* The arguments are now popped: they sit at [vn, vn+nparams) in the
     * vstack array still; make them canonical. */
    uint32_t save = c->vn;
    c->vn += t->nparams;
    materialize(c, save);
    c->vn = save;
    uint32_t base = next_slot(c);
    emit(c, op);
    emit(c, a);
    if (op == KN_OP_CALL_INDIRECT) {
        emit(c, b);
        emit(c, idx_slot);
    }
    (void)has_idx;
    emit(c, base);
    uint32_t need = base + (t->param_slots > t->result_slots ? t->param_slots : t->result_slots);
    if (need > c->max_slot)
        c->max_slot = need;
    for (uint32_t i = 0; i < t->nresults; i++)
        TRY(push(c, t->types[t->nparams + i]));
    return true;
}

/* The three i32 operands (destination, source or value, count) of the
 * bulk memory and table instructions, in stack order. */
static bool pop_i32x3(kc *c, ventry *a, ventry *b, ventry *d)
{
    want3(c, 3, KN_I32, KN_I32, KN_I32);
    TRY(pop(c, KN_I32, d));
    TRY(pop(c, KN_I32, b));
    return pop(c, KN_I32, a);
}

static bool local_write(kc *c, uint32_t x, bool tee)
{
    kn_valtype t = c->ltype[x];
    uint32_t ls = c->lslot[x];
    ventry v;
    want3(c, 1, t, 0, 0);
    TRY(pop_k(c, t, &v));
    /* Declared locals start at zero, and outside loops every path from the
     * entry to here runs only code that comes before it: setting a local no
     * earlier code writes to zero needs no code (compilers emit this to
     * initialise loop variables). */
    if (v.konst && v.k == 0 && !tee && c->lzero[x] && c->loop_depth == 0)
        return true;
    c->lzero[x] = 0;
    write_const(c, &v, c->vn + 1);
    /* Values still reading this local must be copied out before it changes. */
    bool hazard = local_is_read(c, x);
    if (hazard)
        materialize(c, top_ctl(c)->height);
    if (!c->dead && !hazard && c->last_end == c->ncode && c->last_vn == c->vn + 1 &&
        v.slot == v.cslot && c->code[c->last_dst] == v.cslot) {
        c->code[c->last_dst] = ls;
    } else if (v.slot != ls) {
        emit_copy(c, t, ls, v.slot);
    }
    c->last_end = UINT32_MAX; /* the redirected result is not on the stack */
    if (tee)
        return push_local_ref(c, x);
    return true;
}

/* The shift-op fusions of opcodes.def: outer op, inner shift's _K form,
 * fused op, and the shift count mask. */
static const struct {
    uint16_t outer, inner_k, fused;
    uint8_t mask;
} shiftops[] = {
#define SHIFT_MASK_I32 31
#define SHIFT_MASK_I64 63
#define KN_SHIFTOP(ID, T, OUTER, INNER, TEXT, EXPR) \
    {KN_OP_##OUTER, KN_OP_##INNER##_K, KN_OP_##ID, SHIFT_MASK_##T},
#include "opcodes.def"
};

/* An add/xor/or/and whose operand is a shift or rotate by a constant just
 * computed becomes one SHIFTOP; an i32.add of such a shift and a constant
 * becomes SHL_ADD_K.  Loads absorb the address forms in turn.  Sets
 * c->fused when it emitted. */
static bool fuse_shift(kc *c, const kn_opinfo *oi, const ventry *a, const ventry *b, uint32_t k,
                       bool konst_b)
{
    c->fused = false;
    const ventry *sh = NULL, *other = NULL;
    if (!konst_b && is_last_result(c, b, 1)) {
        sh = b;
        other = a;
    } else if (is_last_result(c, a, 0)) {
        sh = a;
        other = konst_b ? NULL : b;
    }
    if (!sh)
        return true;
    uint32_t inner = c->code[c->last_start], fused = 0, mask = 0;
    if (other) {
        for (size_t i = 0; i < sizeof shiftops / sizeof shiftops[0]; i++)
            if (shiftops[i].outer == oi->op && shiftops[i].inner_k == inner) {
                fused = shiftops[i].fused;
                mask = shiftops[i].mask;
            }
    } else if (oi->op == KN_OP_I32_ADD && inner == KN_OP_I32_SHL_K) {
        fused = KN_OP_I32_SHL_ADD_K;
        mask = 31;
    }
    if (!fused)
        return true;
    uint32_t x = c->code[c->last_start + 2], s = c->code[c->last_start + 3] & mask;
    c->ncode = c->last_start;
    c->last_end = UINT32_MAX;
    uint32_t dst = result_slot(c);
    emit(c, fused);
    uint32_t pos = emit(c, dst);
    if (other)
        emit3(c, other->slot, x, s);
    else
        emit3(c, x, s, k);
    c->fused = true;
    return push_result(c, oi->out, pos);
}

/* f32/f64 add or sub whose operand is a multiply just computed: emit one
 * MULADD/MULSUB/MULRSUB instead of the two. */
static bool fuse_mul(kc *c, const kn_opinfo *oi, bool *handled)
{
    *handled = false;
    bool f64 = oi->in == KN_F64;
    uint32_t mul = f64 ? KN_OP_F64_MUL : KN_OP_F32_MUL;
    bool sub = oi->op == KN_OP_F32_SUB || oi->op == KN_OP_F64_SUB;
    if (c->dead || c->vn < top_ctl(c)->height + 2)
        return true;
    ventry *eb = &c->vs[c->vn - 1], *ea = &c->vs[c->vn - 2];
    if (eb->type != oi->in || ea->type != oi->in || ea->konst || eb->konst)
        return true;
    uint32_t op, other;
    if (c->last_end == c->ncode && c->last_vn == c->vn && eb->slot == eb->cslot &&
        c->code[c->last_dst] == eb->cslot && c->code[c->last_start] == mul) {
        /* a OP (x*y) */
        op = sub ? (f64 ? KN_OP_F64_MULSUB : KN_OP_F32_MULSUB) : (f64 ? KN_OP_F64_MULADD : KN_OP_F32_MULADD);
        other = ea->slot;
    } else if (c->last_end == c->ncode && c->last_vn == c->vn - 1 && ea->slot == ea->cslot &&
               c->code[c->last_dst] == ea->cslot && c->code[c->last_start] == mul &&
               eb->slot != ea->cslot) {
        /* (x*y) OP b, where b was pushed by local.get (nothing emitted) */
        op = sub ? (f64 ? KN_OP_F64_MULRSUB : KN_OP_F32_MULRSUB) : (f64 ? KN_OP_F64_MULADD : KN_OP_F32_MULADD);
        other = eb->slot;
    } else {
        return true;
    }
    uint32_t x = c->code[c->last_start + 2], y = c->code[c->last_start + 3];
    c->ncode = c->last_start;
    c->last_end = UINT32_MAX;
    c->vn -= 2;
    uint32_t dst = result_slot(c);
    emit(c, op);
    uint32_t pos = emit(c, dst);
    emit3(c, other, x, y);
    *handled = true;
    return push_result(c, oi->out, pos);
}

/* ---- SIMD ------------------------------------------------------------------ */

/* A memarg for an access of `size` bytes; the memory must exist. */
static bool read_memarg(kc *c, uint32_t size, uint32_t *offset)
{
    uint32_t align;
    TRY(read_u32(c, &align));
    TRY(read_u32(c, offset));
    TRY(need_memory(c));
    if (align >= 32 || (1u << align) > size)
        FAIL(c, "alignment must not be larger than natural");
    return true;
}

/* A lane index immediate (one byte) below `lanes`. */
static bool read_lane(kc *c, uint32_t lanes, uint32_t *lane)
{
    uint8_t l;
    if (!kn_read_u8(&c->r, &l))
        MALFORMED(c, "unexpected end");
    if (l >= lanes)
        FAIL(c, "invalid lane index");
    *lane = l;
    return true;
}

/* The SIMD instructions whose shape the generic unary/binary paths do not
 * cover.  Operand layouts are in lower.h. */
static bool compile_simd(kc *c, const kn_opinfo *oi)
{
    ventry a, b, d;
    uint32_t offset, lane, dst, pos;
    switch (oi->kind) {
    case OK_VTERN:
        TRY(pop(c, KN_V128, &d));
        TRY(pop(c, KN_V128, &b));
        TRY(pop(c, KN_V128, &a));
        dst = result_slot(c);
        emit(c, oi->op);
        pos = emit(c, dst);
        emit3(c, a.slot, b.slot, d.slot);
        return push_result(c, KN_V128, pos);
    case OK_VSHIFT:
        /* A constant count (the common case) is an immediate: ID_K. */
        TRY(pop_k(c, KN_I32, &b));
        TRY(pop(c, KN_V128, &a));
        dst = result_slot(c);
        emit(c, b.konst ? oi->op + 1u : oi->op);
        pos = emit(c, dst);
        emit2(c, a.slot, b.konst ? (uint32_t)b.k : b.slot);
        return push_result(c, KN_V128, pos);
    case OK_VEXTRACT:
        TRY(read_lane(c, oi->size, &lane));
        TRY(pop(c, KN_V128, &a));
        dst = result_slot(c);
        emit(c, oi->op);
        pos = emit(c, dst);
        emit2(c, a.slot, lane);
        return push_result(c, oi->out, pos);
    case OK_VREPLACE:
        TRY(read_lane(c, oi->size, &lane));
        TRY(pop(c, oi->in, &b));
        TRY(pop(c, KN_V128, &a));
        dst = result_slot(c);
        emit(c, oi->op);
        pos = emit(c, dst);
        emit3(c, a.slot, b.slot, lane);
        return push_result(c, KN_V128, pos);
    case OK_VLOAD: {
        TRY(read_memarg(c, oi->size, &offset));
        TRY(pop(c, KN_I32, &a));
        /* Like scalar loads, absorb the base+constant add of the address
         * (ID_A: base imm offset). */
        uint32_t base = a.slot, imm = 0;
        bool absorb = is_last_result(c, &a, 0) && c->code[c->last_start] == KN_OP_I32_ADD_K;
        if (absorb) {
            base = c->code[c->last_start + 2];
            imm = c->code[c->last_start + 3];
            c->ncode = c->last_start;
            c->last_end = UINT32_MAX;
        }
        dst = result_slot(c);
        emit(c, absorb ? oi->op + 1u : oi->op);
        pos = emit(c, dst);
        emit(c, base);
        if (absorb)
            emit(c, imm);
        emit(c, offset);
        return push_result(c, KN_V128, pos);
    }
    case OK_VLOAD_LANE:
    case OK_VSTORE_LANE:
        TRY(read_memarg(c, oi->size, &offset));
        TRY(read_lane(c, 16u / oi->size, &lane));
        TRY(pop(c, KN_V128, &b));
        TRY(pop(c, KN_I32, &a));
        if (oi->kind == OK_VSTORE_LANE) {
            emit3(c, oi->op, a.slot, b.slot);
            emit2(c, offset, lane);
            return true;
        }
        dst = result_slot(c);
        emit(c, oi->op);
        pos = emit(c, dst);
        emit2(c, a.slot, b.slot);
        emit2(c, offset, lane);
        return push_result(c, KN_V128, pos);
    default:
        break;
    }
    switch ((kn_op)oi->op) {
    case KN_OP_V128_STORE:
        TRY(read_memarg(c, 16, &offset));
        TRY(pop(c, KN_V128, &b));
        TRY(pop(c, KN_I32, &a));
        emit(c, KN_OP_V128_STORE);
        emit3(c, a.slot, b.slot, offset);
        return true;
    case KN_OP_V128_CONST:
    case KN_OP_I8X16_SHUFFLE: {
        const uint8_t *bytes;
        if (!kn_read_bytes(&c->r, 16, &bytes))
            MALFORMED(c, "unexpected end");
        uint32_t w[4];
        memcpy(w, bytes, 16);
        if (oi->op == KN_OP_V128_CONST) {
            dst = result_slot(c);
            emit(c, KN_OP_V128_CONST);
            pos = emit(c, dst);
        } else {
            for (int i = 0; i < 16; i++)
                if (bytes[i] >= 32)
                    FAIL(c, "invalid lane index");
            TRY(pop(c, KN_V128, &b));
            TRY(pop(c, KN_V128, &a));
            dst = result_slot(c);
            emit(c, KN_OP_I8X16_SHUFFLE);
            pos = emit(c, dst);
            emit2(c, a.slot, b.slot);
        }
        for (int i = 0; i < 4; i++)
            emit(c, w[i]);
        return push_result(c, KN_V128, pos);
    }
    default:
        MALFORMED(c, "illegal opcode");
    }
}

/* The inputs of the table-driven kinds, for messages. */
static void want_opinfo(kc *c, const kn_opinfo *oi)
{
    switch (oi->kind) {
    case OK_UN: want3(c, 1, oi->in, 0, 0); break;
    case OK_BIN: want3(c, 2, oi->in, oi->in, 0); break;
    case OK_LOAD: case OK_VLOAD: want3(c, 1, KN_I32, 0, 0); break;
    case OK_STORE: want3(c, 2, KN_I32, oi->in, 0); break;
    case OK_VTERN: want3(c, 3, KN_V128, KN_V128, KN_V128); break;
    case OK_VSHIFT: want3(c, 2, KN_V128, KN_I32, 0); break;
    case OK_VEXTRACT: want3(c, 1, KN_V128, 0, 0); break;
    case OK_VREPLACE: want3(c, 2, KN_V128, oi->in, 0); break;
    case OK_VLOAD_LANE: case OK_VSTORE_LANE: want3(c, 2, KN_I32, KN_V128, 0); break;
    default:
        if (oi->op == KN_OP_V128_STORE)
            want3(c, 2, KN_I32, KN_V128, 0);
        else if (oi->op == KN_OP_I8X16_SHUFFLE)
            want3(c, 2, KN_V128, KN_V128, 0);
        break;
    }
}

static bool compile_instr(kc *c, uint8_t byte)
{
    const kn_opinfo *oi;
    uint32_t sub = 0;
    c->iname = NULL;
    c->iprep = "in";
    c->want_set = c->got_all = false;
    if (byte == 0xfc || byte == 0xfd) {
        TRY(read_u32(c, &sub));
        if (sub > 255 || optab[byte == 0xfc ? 1 : 2][sub].kind == OK_NONE)
            return fail_at(c, KILN_ERR_DECODE, c->op_off, false, "illegal opcode 0x%02x %u",
                           byte, sub);
        oi = &optab[byte == 0xfc ? 1 : 2][sub];
    } else {
        oi = &optab[0][byte];
        if (oi->kind == OK_NONE)
            return fail_at(c, KILN_ERR_DECODE, c->op_off, false, "illegal opcode 0x%02x", byte);
    }
    c->iname = kn_instr_name(byte, sub);
    want_opinfo(c, oi);
    ventry a, b, d;

    switch (oi->kind) {
    case OK_UN: {
        TRY(pop(c, oi->in, &a));
        uint32_t dst = result_slot(c);
        emit(c, oi->op);
        uint32_t pos = emit(c, dst);
        emit(c, a.slot);
        return push_result(c, oi->out, pos);
    }
    case OK_BIN: {
        if (oi->op == KN_OP_F32_ADD || oi->op == KN_OP_F32_SUB || oi->op == KN_OP_F64_ADD ||
            oi->op == KN_OP_F64_SUB) {
            bool handled;
            TRY(fuse_mul(c, oi, &handled));
            if (handled)
                return true;
        }
        TRY(pop_k(c, oi->in, &b));
        uint32_t imm[2], nimm = fuse[oi->op].op_k ? imm_words(&b, imm) : 0;
        if (!nimm)
            write_const(c, &b, c->vn + 1);
        TRY(pop(c, oi->in, &a));
        if (oi->op == KN_OP_I32_ADD || oi->op == KN_OP_I32_XOR || oi->op == KN_OP_I32_OR ||
            oi->op == KN_OP_I32_AND || oi->op == KN_OP_I64_ADD || oi->op == KN_OP_I64_XOR ||
            oi->op == KN_OP_I64_OR || oi->op == KN_OP_I64_AND) {
            TRY(fuse_shift(c, oi, &a, &b, nimm ? imm[0] : 0, nimm != 0));
            if (c->fused)
                return true;
        }
        uint32_t dst = result_slot(c);
        emit(c, nimm ? fuse[oi->op].op_k : oi->op);
        uint32_t pos = emit(c, dst);
        emit(c, a.slot);
        if (!nimm)
            emit(c, b.slot);
        for (uint32_t i = 0; i < nimm; i++)
            emit(c, imm[i]);
        return push_result(c, oi->out, pos);
    }
    case OK_LOAD:
    case OK_STORE: {
        uint32_t align, offset;
        TRY(read_u32(c, &align));
        TRY(read_u32(c, &offset));
        TRY(need_memory(c));
        if (align >= 32 || (1u << align) > oi->size)
            FAIL(c, "alignment must not be larger than natural");
        if (oi->kind == OK_LOAD) {
            TRY(pop_k(c, KN_I32, &a));
            if (a.konst) {
                /* A constant address: ea = k + offset, no operand slot. */
                uint32_t dst = result_slot(c);
                emit(c, oi->op + 3u); /* LOAD_K */
                uint32_t pos = emit(c, dst);
                emit2(c, (uint32_t)a.k, offset);
                return push_result(c, oi->out, pos);
            }
            /* Compilers compute addresses as base + constant with i32.add
             * (the offset field cannot wrap): absorb that add. */
            /* Forms, in enum order after LOAD: _A (base+imm), _X (base+idx),
             * _K (constant, above), _XS (base+(idx<<s)), _AS ((x<<s)+imm);
             * each absorbs the instruction that computed the address. */
            uint32_t form = 0, nops = 0, ops[3];
            if (is_last_result(c, &a, 0)) {
                uint32_t prev = c->code[c->last_start];
                form = prev == KN_OP_I32_ADD_K ? 1 : prev == KN_OP_I32_ADD ? 2
                     : prev == KN_OP_I32_ADD_SHL ? 4 : prev == KN_OP_I32_SHL_ADD_K ? 5 : 0;
                nops = form == 1 || form == 2 ? 2 : 3;
            }
            if (form) {
                for (uint32_t i = 0; i < nops; i++)
                    ops[i] = c->code[c->last_start + 2 + i];
                c->ncode = c->last_start;
                c->last_end = UINT32_MAX;
            }
            uint32_t dst = result_slot(c);
            emit(c, oi->op + form);
            uint32_t pos = emit(c, dst);
            if (form)
                for (uint32_t i = 0; i < nops; i++)
                    emit(c, ops[i]);
            else
                emit(c, a.slot);
            emit(c, offset);
            return push_result(c, oi->out, pos);
        }
        TRY(pop_k(c, oi->in, &b));
        /* A constant value is stored from an immediate: narrow stores keep
         * its low bits, wide ones need it to sign-extend from 32 bits. */
        uint32_t imm[2];
        bool k = b.konst && (oi->size <= 4 || imm_words(&b, imm) == 1);
        if (!k)
            write_const(c, &b, c->vn + 1);
        TRY(pop(c, KN_I32, &a));
        /* With a constant value, the address add is the last instruction
         * and can be absorbed too (STORE_AK). */
        if (k && is_last_result(c, &a, 0) && c->code[c->last_start] == KN_OP_I32_ADD_K) {
            uint32_t base = c->code[c->last_start + 2], add = c->code[c->last_start + 3];
            c->ncode = c->last_start;
            c->last_end = UINT32_MAX;
            emit(c, oi->op + 2u); /* enum order: STORE, STORE_K, STORE_AK */
            emit2(c, base, add);
            emit2(c, (uint32_t)b.k, offset);
            return true;
        }
        emit(c, k ? oi->op + 1u : oi->op);
        emit3(c, a.slot, k ? (uint32_t)b.k : b.slot, offset);
        return true;
    }
    case OK_VTERN:
    case OK_VSHIFT:
    case OK_VEXTRACT:
    case OK_VREPLACE:
    case OK_VLOAD:
    case OK_VLOAD_LANE:
    case OK_VSTORE_LANE:
        return compile_simd(c, oi);
    default:
        break;
    }

    switch ((kn_op)oi->op) {
    case KN_OP_UNREACHABLE:
        emit2(c, KN_OP_TRAP, KILN_TRAP_UNREACHABLE);
        set_unreachable(c);
        return true;
    case KN_OP_NOP:
        return true;
    case KN_OP_BLOCK:
    case KN_OP_LOOP: {
        ctl f = {.kind = oi->op == KN_OP_LOOP ? CK_LOOP : CK_BLOCK};
        TRY(read_blocktype(c, &f));
        materialize_frame(c);
        label_here(c);
        f.loop_pos = c->ncode;
        TRY(push_ctl(c, f));
        if (f.kind == CK_LOOP)
            c->loop_depth++;
        return true;
    }
    case KN_OP_IF: {
        ctl f = {.kind = CK_IF};
        TRY(read_blocktype(c, &f));
        uint32_t np = bt_nparams(c, &f);
        want_list(c, np ? c->m->types[f.type_index].types : NULL, np, true);
        TRY(pop(c, KN_I32, &a));
        materialize_frame(c);
        uint32_t pos = emit_cond_jump(c, &a, false);
        label_here(c);
        TRY(push_ctl(c, f));
        if (!c->dead)
            top_ctl(c)->else_fixup = pos + 1;
        return true;
    }
    case KN_OP_ELSE: {
        ctl *f = top_ctl(c);
        if (f->kind != CK_IF)
            FAIL_BARE(c, "else without if");
        c->iprep = "at";
        c->iname = "else";
        TRY(check_results(c, f));
        materialize_frame(c);
        /* Then-arm falls through to the end. */
        emit(c, KN_OP_JMP);
        if (!c->dead) {
            uint32_t pos = c->ncode;
            emit(c, f->fixups);
            f->fixups = pos + 1;
        }
        patch_chain(c, f->else_fixup, c->ncode);
        f->else_fixup = 0;
        f->kind = CK_ELSE;
        c->vn = f->height;
        f->unreachable = false;
        c->dead = f->outer_dead;
        label_here(c);
        for (uint32_t i = 0; i < bt_nparams(c, f); i++)
            TRY(push(c, bt_param(c, f, i)));
        return true;
    }
    case KN_OP_END: {
        ctl *f = top_ctl(c);
        static const char *const end_of[] = {[CK_BLOCK] = "end of block", [CK_LOOP] = "end of loop",
                                             [CK_IF] = "end of if", [CK_ELSE] = "end of else",
                                             [CK_FUNC] = "end of function"};
        c->iprep = "at";
        c->iname = end_of[f->kind];
        if (f->kind == CK_IF) {
            /* An if without else behaves as if the else passed its params
             * through: only valid when params equal results. */
            uint32_t np = bt_nparams(c, f), nr = bt_nresults(c, f);
            bool same = np == nr;
            for (uint32_t i = 0; same && i < np; i++)
                same = bt_param(c, f, i) == bt_result(c, f, i);
            if (!same) {
                char ps[64], rs[64];
                kn_format_types(ps, sizeof ps, np ? c->m->types[f->type_index].types : NULL,
                                np < 4 ? np : 4, 0);
                kn_format_types(rs, sizeof rs, results_of(c, f), nr < 4 ? nr : 4, 0);
                FAIL_BARE(c, "type mismatch: an if without else must return its parameters "
                             "%s, but its results are %s", ps, rs);
            }
        }
        TRY(check_results(c, f));
        materialize_frame(c);
        if (f->kind == CK_FUNC) {
            emit_label_copies(c, f, c->ft->nresults);
            patch_chain(c, f->fixups, c->ncode);
            c->dead = false;
            emit(c, KN_OP_RET);
            c->cn--;
            return true;
        }
        patch_chain(c, f->fixups, c->ncode);
        patch_chain(c, f->else_fixup, c->ncode);
        label_here(c);
        ctl done = *f;
        c->cn--;
        if (done.kind == CK_LOOP)
            c->loop_depth--;
        c->dead = done.outer_dead;
        c->vn = done.height;
        for (uint32_t i = 0; i < bt_nresults(c, &done); i++)
            TRY(push(c, bt_result(c, &done, i)));
        return true;
    }
    case KN_OP_BR: {
        ctl *f;
        uint32_t n;
        TRY(read_label(c, &f));
        TRY(check_label_values(c, f, &n, true));
        emit_label_copies(c, f, n);
        emit_jump_to(c, f);
        set_unreachable(c);
        return true;
    }
    case KN_OP_BR_IF: {
        ctl *f;
        uint32_t n;
        TRY(read_label(c, &f));
        want_list(c, label_types(c, f), label_arity(c, f), true);
        TRY(pop(c, KN_I32, &a));
        TRY(check_label_values(c, f, &n, false));
        materialize(c, c->vn - n < top_ctl(c)->height ? top_ctl(c)->height : c->vn - n);
        if (!label_copies_needed(c, f, n)) {
            link_jump(c, f, emit_cond_jump(c, &a, true));
        } else {
            uint32_t skip = emit_cond_jump(c, &a, false);
            emit_label_copies(c, f, n);
            emit_jump_to(c, f);
            if (!c->dead)
                c->code[skip] = c->ncode - skip;
        }
        label_here(c);
        return true;
    }
    case KN_OP_BR_TABLE: {
        uint32_t count;
        TRY(read_u32(c, &count));
        if (count > (uint32_t)(c->r.end - c->r.p))
            MALFORMED(c, "unexpected end");
        uint32_t *depths = kn_malloc(&c->m->alloc, ((size_t)count + 1) * sizeof *depths);
        if (!depths)
            NOMEM(c);
        for (uint32_t i = 0; i <= count; i++) {
            if (!read_u32(c, &depths[i])) {
                kn_free(&c->m->alloc, depths);
                return false;
            }
            if (depths[i] >= c->cn) {
                kn_free(&c->m->alloc, depths);
                FAIL(c, "unknown label");
            }
        }
        /* Work per distinct label, not per entry (a table may repeat a
         * label many times): each frame remembers, by serial number,
         * whether this table has checked it and where its stub is. */
        ctl *deflt = &c->cs[c->cn - 1 - depths[count]];
        uint32_t arity = label_arity(c, deflt);
        want_list(c, label_types(c, deflt), arity, true);
        bool ok = pop(c, KN_I32, &a);
        uint32_t serial = ++c->brt_serial;
        for (uint32_t i = 0; ok && i <= count; i++) {
            ctl *f = &c->cs[c->cn - 1 - depths[i]];
            if (f->brt_seen == serial)
                continue;
            f->brt_seen = serial;
            if (label_arity(c, f) != arity) {
                kn_free(&c->m->alloc, depths);
                FAIL(c, "type mismatch");
            }
            uint32_t n;
            ok = check_label_values(c, f, &n, true);
        }
        if (!ok) {
            kn_free(&c->m->alloc, depths);
            return false;
        }
        /* JMP_TABLE idx n off[0..n]; each target gets a stub after the
         * table that makes its copies and jumps.  The stubs must all see
         * the values where they are now, so make them canonical first. */
        if (!c->dead)
            materialize(c, c->vn - arity);
        emit(c, KN_OP_JMP_TABLE);
        emit2(c, a.slot, count);
        uint32_t table = c->ncode;
        for (uint32_t i = 0; i <= count; i++)
            emit(c, 0);
        /* A label whose values are already in place is jumped to
         * directly (the entry joins its fixup chain like any branch);
         * the others get one stub per distinct label. */
        serial = ++c->brt_serial;
        for (uint32_t i = 0; i <= count && !c->dead; i++) {
            ctl *f = &c->cs[c->cn - 1 - depths[i]];
            if (f->brt_seen != serial) {
                f->brt_seen = serial;
                f->brt_stub = UINT32_MAX;
                if (label_copies_needed(c, f, arity)) {
                    f->brt_stub = c->ncode;
                    emit_label_copies(c, f, arity);
                    emit_jump_to(c, f);
                }
            }
            if (f->brt_stub == UINT32_MAX)
                link_jump(c, f, table + i);
            else
                c->code[table + i] = f->brt_stub - (table + i);
        }
        kn_free(&c->m->alloc, depths);
        set_unreachable(c);
        return true;
    }
    case KN_OP_RETURN: {
        uint32_t n;
        TRY(check_label_values(c, &c->cs[0], &n, true));
        emit_label_copies(c, &c->cs[0], n);
        emit(c, KN_OP_RET);
        set_unreachable(c);
        return true;
    }
    case KN_OP_CALL: {
        uint32_t fi;
        TRY(read_u32(c, &fi));
        if (fi >= c->m->nfuncs)
            FAIL_BARE(c, "unknown function %u in %s: the module has %u function%s", fi,
                      c->iname, c->m->nfuncs, c->m->nfuncs == 1 ? "" : "s");
        return do_call(c, &c->m->types[c->m->funcs[fi].type], KN_OP_CALL, fi, 0, false, 0);
    }
    case KN_OP_CALL_INDIRECT: {
        uint32_t ti, tab;
        TRY(read_u32(c, &ti));
        TRY(read_u32(c, &tab));
        if (tab >= c->m->ntables)
            FAIL(c, "unknown table %u", tab);
        if (ti >= c->m->ntypes)
            FAIL(c, "unknown type");
        if (c->m->tables[tab].elem != KN_FUNCREF)
            FAIL_BARE(c, "type mismatch in call_indirect: table %u holds %s, not funcref", tab,
                      kn_valtype_name(c->m->tables[tab].elem));
        want_list(c, c->m->types[ti].types, c->m->types[ti].nparams, true);
        TRY(pop(c, KN_I32, &a));
        return do_call(c, &c->m->types[ti], KN_OP_CALL_INDIRECT, ti, tab, true, a.slot);
    }
    case KN_OP_DROP:
        want3(c, 1, T_ANY, 0, 0);
        return pop_k(c, T_ANY, &a); /* a dropped constant is never written */
    case KN_OP_SELECT:
    case KN_OP_SELECT_T: {
        kn_valtype t = T_ANY;
        if (oi->op == KN_OP_SELECT_T) {
            uint32_t n;
            TRY(read_u32(c, &n));
            if (n != 1)
                FAIL(c, "invalid result arity");
            uint8_t vt;
            if (!kn_read_u8(&c->r, &vt))
                MALFORMED(c, "unexpected end");
            if (vt != KN_I32 && vt != KN_I64 && vt != KN_F32 && vt != KN_F64 && vt != KN_V128 &&
                vt != KN_FUNCREF && vt != KN_EXTERNREF)
                MALFORMED(c, "malformed value type");
            t = vt;
        }
        want3(c, 3, t, t, KN_I32);
        TRY(pop(c, KN_I32, &d));
        TRY(pop(c, t, &b));
        TRY(pop(c, t, &a));
        if (t == T_ANY) {
            if (kn_is_reftype(a.type) || kn_is_reftype(b.type))
                FAIL_BARE(c, "type mismatch in select: operands of type %s need a typed select",
                          kn_valtype_name(kn_is_reftype(a.type) ? a.type : b.type));
            if (a.type != T_ANY && b.type != T_ANY && a.type != b.type)
                FAIL_BARE(c, "type mismatch in select, expected [t, t, i32] but got [%s, %s, i32]",
                          kn_valtype_name(a.type), kn_valtype_name(b.type));
            t = a.type != T_ANY ? a.type : b.type;
        }
        uint32_t dst = result_slot(c);
        emit(c, t == KN_V128 ? KN_OP_SELECT2 : KN_OP_SELECT1);
        uint32_t pos = emit(c, dst);
        emit3(c, a.slot, b.slot, d.slot);
        return push_result(c, t, pos);
    }
    case KN_OP_LOCAL_GET: {
        uint32_t x;
        TRY(local_index(c, &x));
        return push_local_ref(c, x);
    }
    case KN_OP_LOCAL_SET:
    case KN_OP_LOCAL_TEE: {
        uint32_t x;
        TRY(local_index(c, &x));
        return local_write(c, x, oi->op == KN_OP_LOCAL_TEE);
    }
    case KN_OP_GLOBAL_GET: {
        uint32_t g;
        TRY(read_u32(c, &g));
        if (g >= c->m->nglobals)
            FAIL_BARE(c, "unknown global %u in %s: the module has %u global%s", g, c->iname,
                      c->m->nglobals, c->m->nglobals == 1 ? "" : "s");
        kn_valtype t = c->m->globals[g].type.type;
        uint32_t dst = result_slot(c);
        emit(c, t == KN_V128 ? KN_OP_GLOBAL_GET2 : KN_OP_GLOBAL_GET1);
        uint32_t pos = emit(c, dst);
        emit(c, g);
        return push_result(c, t, pos);
    }
    case KN_OP_GLOBAL_SET: {
        uint32_t g;
        TRY(read_u32(c, &g));
        if (g >= c->m->nglobals)
            FAIL_BARE(c, "unknown global %u in %s: the module has %u global%s", g, c->iname,
                      c->m->nglobals, c->m->nglobals == 1 ? "" : "s");
        if (!c->m->globals[g].type.mut)
            FAIL(c, "global is immutable");
        kn_valtype t = c->m->globals[g].type.type;
        want3(c, 1, t, 0, 0);
        TRY(pop(c, t, &a));
        emit3(c, t == KN_V128 ? KN_OP_GLOBAL_SET2 : KN_OP_GLOBAL_SET1, a.slot, g);
        return true;
    }
    case KN_OP_TABLE_GET: {
        uint32_t t;
        TRY(read_table(c, &t));
        want3(c, 1, KN_I32, 0, 0);
        TRY(pop(c, KN_I32, &a));
        uint32_t dst = result_slot(c);
        emit(c, KN_OP_TABLE_GET);
        uint32_t pos = emit(c, dst);
        emit2(c, t, a.slot);
        return push_result(c, c->m->tables[t].elem, pos);
    }
    case KN_OP_TABLE_SET: {
        uint32_t t;
        TRY(read_table(c, &t));
        want3(c, 2, KN_I32, c->m->tables[t].elem, 0);
        TRY(pop(c, c->m->tables[t].elem, &b));
        TRY(pop(c, KN_I32, &a));
        emit(c, KN_OP_TABLE_SET);
        emit3(c, t, a.slot, b.slot);
        return true;
    }
    case KN_OP_MEMORY_SIZE: {
        TRY(zero_byte(c));
        TRY(need_memory(c));
        uint32_t dst = result_slot(c);
        emit(c, KN_OP_MEMORY_SIZE);
        uint32_t pos = emit(c, dst);
        return push_result(c, KN_I32, pos);
    }
    case KN_OP_MEMORY_GROW: {
        TRY(zero_byte(c));
        TRY(need_memory(c));
        want3(c, 1, KN_I32, 0, 0);
        TRY(pop(c, KN_I32, &a));
        uint32_t dst = result_slot(c);
        emit(c, KN_OP_MEMORY_GROW);
        uint32_t pos = emit(c, dst);
        emit(c, a.slot);
        return push_result(c, KN_I32, pos);
    }
    case KN_OP_I32_CONST: {
        int32_t v;
        if (!kn_read_s32(&c->r, &v))
            MALFORMED(c, "%s", c->r.err ? c->r.err : "malformed integer");
        return push_const(c, KN_I32, (uint32_t)v);
    }
    case KN_OP_F32_CONST: {
        uint32_t v;
        if (!kn_read_f32_bits(&c->r, &v))
            MALFORMED(c, "unexpected end");
        return push_const(c, KN_F32, v);
    }
    case KN_OP_I64_CONST:
    case KN_OP_F64_CONST: {
        uint64_t v;
        if (oi->op == KN_OP_I64_CONST) {
            int64_t s;
            if (!kn_read_s64(&c->r, &s))
                MALFORMED(c, "%s", c->r.err ? c->r.err : "malformed integer");
            v = (uint64_t)s;
        } else if (!kn_read_f64_bits(&c->r, &v)) {
            MALFORMED(c, "unexpected end");
        }
        return push_const(c, oi->op == KN_OP_I64_CONST ? KN_I64 : KN_F64, v);
    }
    case KN_OP_REF_NULL: {
        uint8_t t;
        if (!kn_read_u8(&c->r, &t))
            MALFORMED(c, "unexpected end");
        if (t != KN_FUNCREF && t != KN_EXTERNREF)
            MALFORMED(c, "malformed reference type");
        uint32_t dst = result_slot(c);
        emit(c, KN_OP_REF_NULL);
        uint32_t pos = emit(c, dst);
        return push_result(c, t, pos);
    }
    case KN_OP_REF_IS_NULL: {
        want3(c, 1, T_ANY, 0, 0);
        TRY(pop(c, T_ANY, &a));
        if (a.type != T_ANY && !kn_is_reftype(a.type))
            FAIL_BARE(c, "type mismatch in ref.is_null, expected a reference but got [%s]",
                      kn_valtype_name(a.type));
        uint32_t dst = result_slot(c);
        emit(c, KN_OP_REF_IS_NULL);
        uint32_t pos = emit(c, dst);
        emit(c, a.slot);
        return push_result(c, KN_I32, pos);
    }
    case KN_OP_REF_FUNC: {
        uint32_t fi;
        TRY(read_u32(c, &fi));
        if (fi >= c->m->nfuncs)
            FAIL_BARE(c, "unknown function %u in %s: the module has %u function%s", fi,
                      c->iname, c->m->nfuncs, c->m->nfuncs == 1 ? "" : "s");
        if (!c->m->func_declared || !c->m->func_declared[fi])
            FAIL(c, "undeclared function reference");
        uint32_t dst = result_slot(c);
        emit(c, KN_OP_REF_FUNC);
        uint32_t pos = emit(c, dst);
        emit(c, fi);
        return push_result(c, KN_FUNCREF, pos);
    }
    case KN_OP_MEMORY_INIT:
    case KN_OP_DATA_DROP: {
        uint32_t di;
        TRY(read_u32(c, &di));
        if (oi->op == KN_OP_MEMORY_INIT)
            TRY(zero_byte(c));
        if (!c->m->has_datacount)
            MALFORMED(c, "data count section required");
        if (oi->op == KN_OP_MEMORY_INIT)
            TRY(need_memory(c));
        if (di >= c->m->datacount)
            FAIL(c, "unknown data segment %u", di);
        if (oi->op == KN_OP_DATA_DROP) {
            emit2(c, KN_OP_DATA_DROP, di);
            return true;
        }
        TRY(pop_i32x3(c, &a, &b, &d));
        emit3(c, KN_OP_MEMORY_INIT, di, a.slot);
        emit2(c, b.slot, d.slot);
        return true;
    }
    case KN_OP_MEMORY_COPY:
    case KN_OP_MEMORY_FILL: {
        TRY(zero_byte(c));
        if (oi->op == KN_OP_MEMORY_COPY)
            TRY(zero_byte(c));
        TRY(need_memory(c));
        TRY(pop_i32x3(c, &a, &b, &d));
        emit(c, oi->op);
        emit3(c, a.slot, b.slot, d.slot);
        return true;
    }
    case KN_OP_TABLE_INIT: {
        uint32_t ei, t;
        TRY(read_u32(c, &ei));
        TRY(read_table(c, &t));
        if (ei >= c->m->nelems)
            FAIL(c, "unknown elem segment %u", ei);
        if (c->m->elems[ei].type != c->m->tables[t].elem)
            FAIL(c, "type mismatch");
        TRY(pop_i32x3(c, &a, &b, &d));
        emit3(c, KN_OP_TABLE_INIT, t, ei);
        emit3(c, a.slot, b.slot, d.slot);
        return true;
    }
    case KN_OP_ELEM_DROP: {
        uint32_t ei;
        TRY(read_u32(c, &ei));
        if (ei >= c->m->nelems)
            FAIL(c, "unknown elem segment %u", ei);
        emit2(c, KN_OP_ELEM_DROP, ei);
        return true;
    }
    case KN_OP_TABLE_COPY: {
        uint32_t td, ts;
        TRY(read_table(c, &td));
        TRY(read_table(c, &ts));
        if (c->m->tables[td].elem != c->m->tables[ts].elem)
            FAIL(c, "type mismatch");
        TRY(pop_i32x3(c, &a, &b, &d));
        emit3(c, KN_OP_TABLE_COPY, td, ts);
        emit3(c, a.slot, b.slot, d.slot);
        return true;
    }
    case KN_OP_TABLE_GROW: {
        uint32_t t;
        TRY(read_table(c, &t));
        want3(c, 2, c->m->tables[t].elem, KN_I32, 0);
        TRY(pop(c, KN_I32, &b));
        TRY(pop(c, c->m->tables[t].elem, &a));
        uint32_t dst = result_slot(c);
        emit(c, KN_OP_TABLE_GROW);
        uint32_t pos = emit(c, dst);
        emit3(c, t, a.slot, b.slot);
        return push_result(c, KN_I32, pos);
    }
    case KN_OP_TABLE_SIZE: {
        uint32_t t;
        TRY(read_table(c, &t));
        uint32_t dst = result_slot(c);
        emit(c, KN_OP_TABLE_SIZE);
        uint32_t pos = emit(c, dst);
        emit(c, t);
        return push_result(c, KN_I32, pos);
    }
    case KN_OP_TABLE_FILL: {
        uint32_t t;
        TRY(read_table(c, &t));
        want3(c, 3, KN_I32, c->m->tables[t].elem, KN_I32);
        TRY(pop(c, KN_I32, &d));
        TRY(pop(c, c->m->tables[t].elem, &b));
        TRY(pop(c, KN_I32, &a));
        emit3(c, KN_OP_TABLE_FILL, t, a.slot);
        emit2(c, b.slot, d.slot);
        return true;
    }
    case KN_OP_V128_STORE:
    case KN_OP_V128_CONST:
    case KN_OP_I8X16_SHUFFLE:
        return compile_simd(c, oi);
    default:
        MALFORMED(c, "illegal opcode");
    }
}

/* ---- Driver --------------------------------------------------------------- */

static kiln_error *compile_func(kn_module *m, uint32_t fi)
{
    kn_func *fn = &m->funcs[fi];
    kc c_ = {0}, *c = &c_;
    c->m = m;
    c->ft = &m->types[fn->type];
    c->r = kn_reader_make(m->bytes, m->bytes + fn->body.start, m->bytes + fn->body.end);
    c->last_end = UINT32_MAX;
    c->last_copy_end = UINT32_MAX;

    c->fi = fi;
    if ((uint64_t)c->ft->nparams + fn->nlocals > KN_MAX_LOCALS) {
        fail_at(c, KILN_ERR_VALIDATE, fn->code_offset, false, "too many locals");
        return c->err;
    }
    c->nlocals = c->ft->nparams + (uint32_t)fn->nlocals;
    const kn_allocator *a = &m->alloc;
    c->ltype = kn_malloc(a, (c->nlocals + 1) * sizeof *c->ltype);
    c->lslot = kn_malloc(a, (c->nlocals + 1) * sizeof *c->lslot);
    c->lzero = kn_calloc(a, c->nlocals + 1, 1);
    c->lref_head = kn_calloc(a, c->nlocals + 1, sizeof *c->lref_head);
    c->dirty_low = UINT32_MAX;
    kn_code *code = kn_calloc(a, 1, sizeof *code);
    if (!c->ltype || !c->lslot || !c->lzero || !c->lref_head || !code) {
        kn_free(a, c->ltype);
        kn_free(a, c->lslot);
        kn_free(a, c->lzero);
        kn_free(a, c->lref_head);
        kn_free(a, code);
        return kn_error_nomem();
    }
    uint32_t n = 0, slot = 0;
    for (uint32_t i = 0; i < c->ft->nparams; i++, n++) {
        c->ltype[n] = c->ft->types[i];
        c->lslot[n] = slot;
        slot += kn_slots_of(c->ltype[n]);
    }
    code->param_slots = slot;
    for (uint32_t d = 0; d < fn->nlocaldecls; d++)
        for (uint32_t k = 0; k < fn->localdecls[d].count; k++, n++) {
            c->ltype[n] = fn->localdecls[d].type;
            c->lslot[n] = slot;
            c->lzero[n] = 1;
            slot += kn_slots_of(c->ltype[n]);
        }
    code->local_slots = slot - code->param_slots;
    c->temp_base = c->max_slot = slot;
    if (c->ft->result_slots > c->max_slot)
        c->max_slot = c->ft->result_slots;

    ctl fctl = {.kind = CK_FUNC};
    bool ok = push_ctl(c, fctl);
    if (ok)
        c->cs[0].label_slot = 0;
    while (ok && c->cn > 0) {
        uint8_t byte;
        c->op_off = OFF(c);
        if (!kn_read_u8(&c->r, &byte)) {
            ok = fail_at(c, KILN_ERR_DECODE, OFF(c), false, "unexpected end of section or function");
            break;
        }
        ok = compile_instr(c, byte);
        if (c->oom) { /* whatever else the instruction then found */
            kiln_error_free(c->err);
            c->err = kn_error_nomem();
            ok = false;
        }
    }
    if (ok && c->r.p != c->r.end)
        ok = fail_at(c, KILN_ERR_DECODE, OFF(c), false, "section size mismatch");
    kn_free(a, c->ltype);
    kn_free(a, c->lslot);
    kn_free(a, c->lzero);
    kn_free(a, c->lref_head);
    kn_free(a, c->lref_nodes);
    kn_free(a, c->vs);
    kn_free(a, c->cs);
    if (!ok) {
        kn_free(a, c->code);
        kn_free(a, code);
        return c->err ? c->err : kn_error_nomem();
    }
    code->words = c->code;
    code->nwords = c->ncode;
    code->frame_slots = c->max_slot;
    fn->code = code;
    return NULL;
}

kiln_error *kn_compile(kn_module *m)
{
    for (uint32_t i = m->num_func_imports; i < m->nfuncs; i++) {
        kiln_error *e = compile_func(m, i);
        if (e)
            return e;
    }
    return NULL;
}

void kn_code_free(const kn_allocator *a, struct kn_code *code)
{
    if (!code)
        return;
    kn_free(a, code->words);
    kn_free(a, code);
}
