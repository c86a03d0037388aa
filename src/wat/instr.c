/*
 * instr.c — instructions of the text format, plain and folded, written
 * straight into a body buffer.
 *
 * The instruction names, opcodes and the immediates of every
 * memory/lane/plain family come from the engine's opcode table
 * (src/engine/opcodes.def, read here as data only): a KN_LOAD row's
 * natural alignment is sizeof its memory type, a KN_VLOAD's its SIZE, a
 * KN_VEXTRACT takes a lane, and so on.  The rows whose immediates are
 * their own (KN_WASM/KN_CTRL: control, variables, tables, constants,
 * v128.const, shuffle) are handled by opcode in plain_special().
 * Nothing here keeps a second list of opcodes.
 *
 * A folded instruction (op imm* folded*) writes its operands first: its
 * immediates are read once to find where they end (into a scratch buffer
 * thrown away), then the operands are written, then the instruction is
 * read again into the body.  Nesting is bounded (WAT_MAX_DEPTH) so no
 * input can overflow the C stack.  Labels live on m->labels; a `$name`
 * in a branch resolves to the innermost block of that name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat_impl.h"

#define WAT_MAX_DEPTH 1000

enum { IMM_NONE, IMM_MEM, IMM_MEMLANE, IMM_LANE, IMM_SPECIAL };

typedef struct op_row {
    const char *name;
    uint8_t pfx, code, imm, align; /* align: natural alignment in bytes */
} op_row;

static const op_row op_rows[] = {
#define KN_WASM(ID, PFX, CODE, TEXT) {TEXT, PFX, CODE, IMM_SPECIAL, 0},
#define KN_CTRL(ID, PFX, CODE, TEXT, LAYOUT) {TEXT, PFX, CODE, IMM_SPECIAL, 0},
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT) {TEXT, PFX, CODE, IMM_MEM, sizeof(MEMT)},
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT) {TEXT, PFX, CODE, IMM_MEM, sizeof(MEMT)},
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) {TEXT, PFX, CODE, IMM_NONE, 0},
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) {TEXT, PFX, CODE, IMM_NONE, 0},
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) {TEXT, PFX, CODE, IMM_NONE, 0},
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) {TEXT, PFX, CODE, IMM_NONE, 0},
#define KN_INTERNAL(ID, TEXT, LAYOUT)
#define KN_VUNOP(ID, PFX, CODE, TEXT, IN, OUT, STMT) {TEXT, PFX, CODE, IMM_NONE, 0},
#define KN_VBINOP(ID, PFX, CODE, TEXT, STMT) {TEXT, PFX, CODE, IMM_NONE, 0},
#define KN_VTERNOP(ID, PFX, CODE, TEXT, STMT) {TEXT, PFX, CODE, IMM_NONE, 0},
#define KN_VSHIFT(ID, PFX, CODE, TEXT, STMT) {TEXT, PFX, CODE, IMM_NONE, 0},
#define KN_VEXTRACT(ID, PFX, CODE, TEXT, OUT, LANES, STMT) {TEXT, PFX, CODE, IMM_LANE, 0},
#define KN_VREPLACE(ID, PFX, CODE, TEXT, IN, LANES, STMT) {TEXT, PFX, CODE, IMM_LANE, 0},
#define KN_VLOAD(ID, PFX, CODE, TEXT, SIZE, STMT) {TEXT, PFX, CODE, IMM_MEM, SIZE},
#define KN_VLOAD_LANE(ID, PFX, CODE, TEXT, SIZE) {TEXT, PFX, CODE, IMM_MEMLANE, SIZE},
#define KN_VSTORE_LANE(ID, PFX, CODE, TEXT, SIZE) {TEXT, PFX, CODE, IMM_MEMLANE, SIZE},
#define KN_SHIFTOP(ID, T, OUTER, INNER, TEXT, EXPR)
#include "../engine/opcodes.def"
#undef KN_WASM
#undef KN_CTRL
#undef KN_LOAD
#undef KN_STORE
#undef KN_UNOP
#undef KN_BINOP
#undef KN_UNOP_T
#undef KN_BINOP_T
#undef KN_INTERNAL
#undef KN_VUNOP
#undef KN_VBINOP
#undef KN_VTERNOP
#undef KN_VSHIFT
#undef KN_VEXTRACT
#undef KN_VREPLACE
#undef KN_VLOAD
#undef KN_VLOAD_LANE
#undef KN_VSTORE_LANE
#undef KN_SHIFTOP
};

#define NROWS (sizeof op_rows / sizeof op_rows[0])
#define OPTAB_SIZE 2048 /* a power of two, over four times the rows */

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* The row named by t, or NULL.  The hash index is built on first use per
 * module (no global state); select's typed form (0x1c) shares the name of
 * 0x1b and is left out. */
static const op_row *find_op(wat_mod *m, const wat_tok *t)
{
    if (!m->optab) {
        m->optab = calloc(OPTAB_SIZE, sizeof *m->optab);
        if (!m->optab)
            kn_wat_fail(m->c, t, "out of memory");
        for (size_t i = 0; i < NROWS; i++) {
            if (op_rows[i].pfx == 0 && op_rows[i].code == 0x1c)
                continue;
            uint32_t h = name_hash(op_rows[i].name, strlen(op_rows[i].name));
            while (m->optab[h & (OPTAB_SIZE - 1)])
                h++;
            m->optab[h & (OPTAB_SIZE - 1)] = (uint16_t)(i + 1);
        }
    }
    if (t->kind != WT_KEYWORD)
        return NULL;
    for (uint32_t h = name_hash(t->s, t->len);; h++) {
        uint16_t r = m->optab[h & (OPTAB_SIZE - 1)];
        if (!r)
            return NULL;
        const op_row *row = &op_rows[r - 1];
        if (strlen(row->name) == t->len && memcmp(row->name, t->s, t->len) == 0)
            return row;
    }
}

/* ---- immediates ---------------------------------------------------------- */

static bool at_index(wat_mod *m)
{
    uint8_t k = kn_wat_peek(m)->kind;
    return k == WT_ATOM || k == WT_ID;
}

static void fail_literal(wat_mod *m, const wat_tok *t, wat_num_status st)
{
    if (st == WAT_NUM_RANGE)
        kn_wat_fail(m->c, t, "constant out of range");
    kn_wat_fail(m->c, t, "unknown operator: unexpected token '%.*s'", (int)t->len, t->s);
}

static uint64_t int_lit(wat_mod *m, unsigned bits)
{
    const wat_tok *t = kn_wat_next(m);
    uint64_t v;
    wat_num_status st = kn_wat_num_int(t, bits, &v);
    if (st != WAT_NUM_OK)
        fail_literal(m, t, st);
    return v;
}

static void f32_lit(wat_mod *m, wat_buf *b)
{
    const wat_tok *t = kn_wat_next(m);
    uint32_t v;
    wat_num_status st = kn_wat_num_f32(t, &v);
    if (st != WAT_NUM_OK)
        fail_literal(m, t, st);
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    kn_wat_put(m->c, b, le, 4);
}

static void f64_lit(wat_mod *m, wat_buf *b)
{
    const wat_tok *t = kn_wat_next(m);
    uint64_t v;
    wat_num_status st = kn_wat_num_f64(t, &v);
    if (st != WAT_NUM_OK)
        fail_literal(m, t, st);
    for (int i = 0; i < 8; i++)
        kn_wat_byte(m->c, b, (uint8_t)(v >> (8 * i)));
}

static uint8_t lane_lit(wat_mod *m)
{
    const wat_tok *t = kn_wat_next(m);
    uint64_t v;
    wat_num_status st = kn_wat_num_uint(t, 8, &v);
    if (st != WAT_NUM_OK)
        fail_literal(m, t, st);
    return (uint8_t)v;
}

/* `key=N` (offset= or align=): true and *v if the next token is one. */
static bool memarg_field(wat_mod *m, const char *key, uint64_t *v)
{
    const wat_tok *t = kn_wat_peek(m);
    size_t k = strlen(key);
    if (t->kind != WT_KEYWORD || t->len <= k || memcmp(t->s, key, k) != 0)
        return false;
    kn_wat_next(m);
    wat_tok num = *t;
    num.s += k;
    num.len -= (uint32_t)k;
    num.kind = WT_ATOM;
    wat_num_status st = kn_wat_num_uint(&num, 64, v);
    if (st != WAT_NUM_OK)
        fail_literal(m, t, st);
    return true;
}

static void memarg(wat_mod *m, wat_buf *b, unsigned natural)
{
    uint64_t offset = 0, align = natural;
    const wat_tok *t = kn_wat_peek(m);
    memarg_field(m, "offset=", &offset);
    if (offset > UINT32_MAX)
        kn_wat_fail(m->c, t, "offset out of range");
    t = kn_wat_peek(m);
    if (memarg_field(m, "align=", &align) && (align == 0 || (align & (align - 1))))
        kn_wat_fail(m->c, t, "alignment must be a power of two");
    unsigned log2 = 0;
    while ((UINT64_C(1) << log2) < align)
        log2++;
    kn_wat_u32(m->c, b, log2);
    kn_wat_u32(m->c, b, (uint32_t)offset);
}

static uint32_t label_index(wat_mod *m)
{
    const wat_tok *t = kn_wat_peek(m);
    if (t->kind == WT_ID) {
        kn_wat_next(m);
        for (size_t i = m->nlabels; i-- > 0;)
            if (m->labels[i].s && m->labels[i].len == t->len &&
                memcmp(m->labels[i].s, t->s, t->len) == 0)
                return (uint32_t)(m->nlabels - 1 - i);
        kn_wat_fail(m->c, t, "unknown label %.*s", (int)t->len, t->s);
    }
    uint64_t v;
    kn_wat_next(m);
    if (kn_wat_num_uint(t, 32, &v) != WAT_NUM_OK)
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected a label", (int)t->len, t->s);
    return (uint32_t)v;
}

static uint32_t local_index(wat_mod *m)
{
    const wat_tok *t = kn_wat_next(m);
    if (t->kind == WT_ID) {
        for (size_t i = 0; i < m->nlocals; i++)
            if (m->locals[i].s && m->locals[i].len == t->len &&
                memcmp(m->locals[i].s, t->s, t->len) == 0)
                return m->locals[i].idx;
        kn_wat_fail(m->c, t, "unknown local %.*s", (int)t->len, t->s);
    }
    uint64_t v;
    if (kn_wat_num_uint(t, 32, &v) != WAT_NUM_OK)
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected a local", (int)t->len, t->s);
    return (uint32_t)v;
}

static void v128_const(wat_mod *m, wat_buf *b)
{
    static const struct { const char *name; unsigned lanes, bits; bool fl; } shapes[] = {
        {"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
        {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true},  {"f64x2", 2, 64, true}};
    const wat_tok *t = kn_wat_next(m);
    for (size_t s = 0; s < 6; s++) {
        if (!kn_wat_tok_is(t, shapes[s].name))
            continue;
        for (unsigned l = 0; l < shapes[s].lanes; l++) {
            if (shapes[s].fl) {
                if (shapes[s].bits == 32)
                    f32_lit(m, b);
                else
                    f64_lit(m, b);
                continue;
            }
            uint64_t v = int_lit(m, shapes[s].bits);
            for (unsigned i = 0; i < shapes[s].bits / 8; i++)
                kn_wat_byte(m->c, b, (uint8_t)(v >> (8 * i)));
        }
        return;
    }
    kn_wat_fail(m->c, t, "unexpected token '%.*s', expected a v128 shape", (int)t->len, t->s);
}

/* ---- blocks ---------------------------------------------------------------- */

static void push_label(wat_mod *m, const wat_tok *id)
{
    m->labels = kn_wat_grow(m->c, m->labels, &m->labels_cap, m->nlabels + 1, sizeof *m->labels);
    m->labels[m->nlabels++] = (wat_name){id ? id->s : NULL, id ? id->len : 0, 0};
}

/* label? blocktype, writing the block type. */
static void block_head(wat_mod *m, wat_buf *b)
{
    const wat_tok *id = NULL;
    kn_wat_opt_id(m, &id);
    bool plain;
    uint8_t vt;
    uint32_t ti = kn_wat_typeuse(m, false, WAT_TU_BLOCK, &plain, &vt);
    if (plain)
        kn_wat_byte(m->c, b, vt);
    else
        kn_wat_s64(m->c, b, ti);
    push_label(m, id);
}

/* An `end $l`/`else $l` label must repeat the block's own. */
static void check_end_label(wat_mod *m)
{
    const wat_tok *id;
    if (!kn_wat_opt_id(m, &id))
        return;
    const wat_name *l = &m->labels[m->nlabels - 1];
    if (!l->s || l->len != id->len || memcmp(l->s, id->s, id->len) != 0)
        kn_wat_fail(m->c, id, "mismatching label %.*s", (int)id->len, id->s);
}

static bool at_block_end(wat_mod *m)
{
    const wat_tok *t = kn_wat_peek(m);
    return t->kind == WT_RPAR || t->kind == WT_EOF || kn_wat_tok_is(t, "end") ||
           kn_wat_tok_is(t, "else");
}

static void instr(wat_mod *m, wat_buf *b);

static void instrs(wat_mod *m, wat_buf *b)
{
    while (!at_block_end(m))
        instr(m, b);
}

/* block/loop/if ... end in plain form; the keyword is read. */
static void plain_block(wat_mod *m, wat_buf *b, uint8_t op)
{
    const wat_tok *kw = &m->t[m->pos - 1];
    kn_wat_byte(m->c, b, op);
    block_head(m, b);
    instrs(m, b);
    if (op == 0x04 && kn_wat_tok_is(kn_wat_peek(m), "else")) {
        kn_wat_next(m);
        check_end_label(m);
        size_t at = b->n;
        kn_wat_byte(m->c, b, 0x05);
        instrs(m, b);
        if (b->n == at + 1)
            b->n = at; /* an empty else is not written (as wabt) */
    }
    if (!kn_wat_tok_is(kn_wat_peek(m), "end"))
        kn_wat_fail(m->c, kw, "missing end of %.*s", (int)kw->len, kw->s);
    kn_wat_next(m);
    check_end_label(m);
    kn_wat_byte(m->c, b, 0x0b);
    m->nlabels--;
}

/* (block ...), (loop ...), (if ...): the '(' and keyword are read. */
static void folded_block(wat_mod *m, wat_buf *b, uint8_t op)
{
    if (op != 0x04) {
        kn_wat_byte(m->c, b, op);
        block_head(m, b);
        instrs(m, b);
    } else {
        /* the condition comes first in the binary: read the head once to
         * find it, write the operands, then the head for real */
        size_t head = m->pos;
        wat_buf *scratch = kn_wat_tmp(m);
        block_head(m, scratch);
        m->nlabels--;
        kn_wat_tmp_pop(m);
        while (m->t[m->pos].kind == WT_LPAR && !kn_wat_at_lpar_kw(m, "then"))
            instr(m, b);
        size_t after = m->pos;
        m->pos = head;
        kn_wat_byte(m->c, b, op);
        block_head(m, b);
        m->pos = after;
        if (!kn_wat_at_lpar_kw(m, "then"))
            kn_wat_fail(m->c, kn_wat_peek(m), "expected (then ...)");
        m->pos += 2;
        instrs(m, b);
        kn_wat_expect_rpar(m);
        if (kn_wat_at_lpar_kw(m, "else")) {
            m->pos += 2;
            size_t at = b->n;
            kn_wat_byte(m->c, b, 0x05);
            instrs(m, b);
            if (b->n == at + 1)
                b->n = at;
            kn_wat_expect_rpar(m);
        }
    }
    kn_wat_byte(m->c, b, 0x0b);
    m->nlabels--;
}

/* ---- one instruction ---------------------------------------------------------- */

static void put_op(wat_mod *m, wat_buf *b, const op_row *r)
{
    if (r->pfx)
        kn_wat_byte(m->c, b, r->pfx);
    if (r->pfx)
        kn_wat_u32(m->c, b, r->code);
    else
        kn_wat_byte(m->c, b, r->code);
}

static uint32_t opt_index(wat_mod *m, int space)
{
    return at_index(m) ? kn_wat_index(m, space) : 0;
}

/* The immediates of the KN_WASM/KN_CTRL rows (the opcode is written). */
static void special_imm(wat_mod *m, wat_buf *b, const op_row *r)
{
    wat_ctx *c = m->c;
    if (r->pfx == 0xfc) {
        switch (r->code) {
        case 0x08:
            m->uses_datacount = true;
            kn_wat_u32(c, b, kn_wat_index(m, WS_DATA));
            kn_wat_byte(c, b, 0);
            return;
        case 0x09:
            m->uses_datacount = true;
            kn_wat_u32(c, b, kn_wat_index(m, WS_DATA));
            return;
        case 0x0a: kn_wat_byte(c, b, 0); kn_wat_byte(c, b, 0); return;
        case 0x0b: kn_wat_byte(c, b, 0); return;
        case 0x0c: {
            uint8_t second = m->t[m->pos + 1].kind;
            bool two = second == WT_ATOM || second == WT_ID;
            uint32_t first = kn_wat_index(m, two ? WS_TABLE : WS_ELEM);
            if (two) {
                kn_wat_u32(c, b, kn_wat_index(m, WS_ELEM));
                kn_wat_u32(c, b, first);
            } else {
                kn_wat_u32(c, b, first);
                kn_wat_byte(c, b, 0);
            }
            return;
        }
        case 0x0d: kn_wat_u32(c, b, kn_wat_index(m, WS_ELEM)); return;
        case 0x0e: {
            uint32_t dst = opt_index(m, WS_TABLE);
            kn_wat_u32(c, b, dst);
            kn_wat_u32(c, b, opt_index(m, WS_TABLE));
            return;
        }
        default: kn_wat_u32(c, b, opt_index(m, WS_TABLE)); return;
        }
    }
    if (r->pfx == 0xfd) {
        if (r->code == 0x0b) {
            memarg(m, b, 16);
        } else if (r->code == 0x0c) {
            v128_const(m, b);
        } else {
            for (int i = 0; i < 16; i++)
                kn_wat_byte(c, b, lane_lit(m));
        }
        return;
    }
    switch (r->code) {
    case 0x0c: case 0x0d: kn_wat_u32(c, b, label_index(m)); return;
    case 0x0e: {
        size_t at = b->n;
        uint32_t n = 0;
        wat_buf *labels = kn_wat_tmp(m);
        while (at_index(m)) {
            kn_wat_u32(c, labels, label_index(m));
            n++;
        }
        if (!n)
            kn_wat_fail(c, kn_wat_peek(m), "br_table needs at least one label");
        (void)at;
        kn_wat_u32(c, b, n - 1);
        kn_wat_put(c, b, labels->p, labels->n);
        kn_wat_tmp_pop(m);
        return;
    }
    case 0x10: case 0xd2: kn_wat_u32(c, b, kn_wat_index(m, WS_FUNC)); return;
    case 0x11: {
        uint32_t table = opt_index(m, WS_TABLE);
        size_t save = m->nlocals;
        kn_wat_u32(c, b, kn_wat_typeuse(m, false, WAT_TU_CALL, NULL, NULL));
        m->nlocals = save;
        kn_wat_u32(c, b, table);
        return;
    }
    case 0x20: case 0x21: case 0x22: kn_wat_u32(c, b, local_index(m)); return;
    case 0x23: case 0x24: kn_wat_u32(c, b, kn_wat_index(m, WS_GLOBAL)); return;
    case 0x25: case 0x26: kn_wat_u32(c, b, opt_index(m, WS_TABLE)); return;
    case 0x3f: case 0x40: kn_wat_byte(c, b, 0); return;
    case 0x41: kn_wat_s32(c, b, (int32_t)(uint32_t)int_lit(m, 32)); return;
    case 0x42: kn_wat_s64(c, b, (int64_t)int_lit(m, 64)); return;
    case 0x43: f32_lit(m, b); return;
    case 0x44: f64_lit(m, b); return;
    case 0xd0: kn_wat_heaptype(m, b); return;
    default: return;
    }
}

/* select, or select (result t*) as 0x1c. */
static void select_instr(wat_mod *m, wat_buf *b)
{
    if (!kn_wat_at_lpar_kw(m, "result")) {
        kn_wat_byte(m->c, b, 0x1b);
        return;
    }
    wat_buf *types = kn_wat_tmp(m);
    while (kn_wat_at_lpar_kw(m, "result")) {
        m->pos += 2;
        while (kn_wat_peek(m)->kind != WT_RPAR)
            kn_wat_byte(m->c, types, kn_wat_valtype(m));
        kn_wat_expect_rpar(m);
    }
    if (types->n) {
        kn_wat_byte(m->c, b, 0x1c);
        kn_wat_u32(m->c, b, (uint32_t)types->n);
        kn_wat_put(m->c, b, types->p, types->n);
    } else {
        kn_wat_byte(m->c, b, 0x1b); /* `select (result)` is plain select (as wabt) */
    }
    kn_wat_tmp_pop(m);
}

/* A plain instruction other than a block: keyword at m->pos. */
static void plain_op(wat_mod *m, wat_buf *b)
{
    const wat_tok *t = kn_wat_next(m);
    const op_row *r = find_op(m, t);
    if (!r)
        kn_wat_fail(m->c, t, "unknown operator %.*s", (int)t->len, t->s);
    if (r->pfx == 0 && r->code == 0x1b) {
        select_instr(m, b);
        return;
    }
    if (r->pfx == 0 && (r->code == 0x05 || r->code == 0x0b))
        kn_wat_fail(m->c, t, "unexpected %.*s", (int)t->len, t->s);
    put_op(m, b, r);
    switch (r->imm) {
    case IMM_MEM: memarg(m, b, r->align); break;
    case IMM_MEMLANE:
        memarg(m, b, r->align);
        kn_wat_byte(m->c, b, lane_lit(m));
        break;
    case IMM_LANE: kn_wat_byte(m->c, b, lane_lit(m)); break;
    case IMM_SPECIAL: special_imm(m, b, r); break;
    default: break;
    }
}

static int block_op(const wat_tok *t)
{
    if (kn_wat_tok_is(t, "block"))
        return 0x02;
    if (kn_wat_tok_is(t, "loop"))
        return 0x03;
    if (kn_wat_tok_is(t, "if"))
        return 0x04;
    return -1;
}

static void folded(wat_mod *m, wat_buf *b)
{
    const wat_tok *open = kn_wat_next(m);
    const wat_tok *kw = kn_wat_peek(m);
    int op = block_op(kw);
    if (op >= 0) {
        kn_wat_next(m);
        folded_block(m, b, (uint8_t)op);
    } else {
        size_t head = m->pos;
        wat_buf *scratch = kn_wat_tmp(m);
        plain_op(m, scratch);
        kn_wat_tmp_pop(m);
        while (kn_wat_peek(m)->kind == WT_LPAR)
            instr(m, b);
        size_t after = m->pos;
        m->pos = head;
        plain_op(m, b);
        m->pos = after;
    }
    if (m->pos != open->match)
        kn_wat_fail(m->c, kn_wat_peek(m), "unexpected token '%.*s'", (int)kn_wat_peek(m)->len,
                 kn_wat_peek(m)->s);
    m->pos++;
}

static void instr(wat_mod *m, wat_buf *b)
{
    const wat_tok *t = kn_wat_peek(m);
    if (++m->depth > WAT_MAX_DEPTH)
        kn_wat_fail(m->c, t, "nesting too deep");
    if (t->kind == WT_LPAR) {
        folded(m, b);
    } else if (t->kind != WT_KEYWORD) {
        kn_wat_fail(m->c, t, "unexpected token '%.*s', expected an instruction", (int)t->len, t->s);
    } else {
        int op = block_op(t);
        if (op >= 0) {
            kn_wat_next(m);
            plain_block(m, b, (uint8_t)op);
        } else {
            plain_op(m, b);
        }
    }
    m->depth--;
}

void kn_wat_instrs_until(wat_mod *m, wat_buf *b, size_t end)
{
    while (m->pos < end) {
        if (at_block_end(m))
            kn_wat_fail(m->c, kn_wat_peek(m), "unexpected token '%.*s'", (int)kn_wat_peek(m)->len,
                     kn_wat_peek(m)->s);
        instr(m, b);
    }
}

void kn_wat_const_expr(wat_mod *m, wat_buf *b)
{
    m->nlabels = 0;
    instrs(m, b);
    if (kn_wat_peek(m)->kind != WT_RPAR)
        kn_wat_fail(m->c, kn_wat_peek(m), "unexpected token '%.*s'", (int)kn_wat_peek(m)->len,
                 kn_wat_peek(m)->s);
    kn_wat_byte(m->c, b, 0x0b);
}

/* (local $id t) | (local t*)*, grouped by runs of one type. */
static void locals(wat_mod *m, wat_buf *b)
{
    wat_buf *types = kn_wat_tmp(m);
    while (kn_wat_at_lpar_kw(m, "local")) {
        m->pos += 2;
        const wat_tok *id = NULL;
        if (kn_wat_opt_id(m, &id)) {
            kn_wat_byte(m->c, types, kn_wat_valtype(m));
            for (size_t i = 0; i < m->nlocals; i++)
                if (m->locals[i].s && m->locals[i].len == id->len &&
                    memcmp(m->locals[i].s, id->s, id->len) == 0)
                    kn_wat_fail(m->c, id, "duplicate local %.*s", (int)id->len, id->s);
            m->locals = kn_wat_grow(m->c, m->locals, &m->locals_cap, m->nlocals + 1,
                                 sizeof *m->locals);
            m->locals[m->nlocals] = (wat_name){id->s, id->len, (uint32_t)m->nlocals};
            m->nlocals++;
        } else {
            while (kn_wat_peek(m)->kind != WT_RPAR) {
                kn_wat_byte(m->c, types, kn_wat_valtype(m));
                m->nlocals++;
                m->locals = kn_wat_grow(m->c, m->locals, &m->locals_cap, m->nlocals,
                                     sizeof *m->locals);
                m->locals[m->nlocals - 1] = (wat_name){NULL, 0, (uint32_t)m->nlocals - 1};
            }
        }
        kn_wat_expect_rpar(m);
    }
    uint32_t groups = 0;
    for (size_t i = 0; i < types->n; i++)
        if (i == 0 || types->p[i] != types->p[i - 1])
            groups++;
    kn_wat_u32(m->c, b, groups);
    for (size_t i = 0; i < types->n;) {
        size_t j = i;
        while (j < types->n && types->p[j] == types->p[i])
            j++;
        kn_wat_u32(m->c, b, (uint32_t)(j - i));
        kn_wat_byte(m->c, b, types->p[i]);
        i = j;
    }
    kn_wat_tmp_pop(m);
}

void kn_wat_func_body(wat_mod *m, wat_buf *b)
{
    locals(m, b);
    m->nlabels = 0;
    instrs(m, b);
    if (kn_wat_peek(m)->kind != WT_RPAR)
        kn_wat_fail(m->c, kn_wat_peek(m), "unexpected token '%.*s'", (int)kn_wat_peek(m)->len,
                 kn_wat_peek(m)->s);
    kn_wat_byte(m->c, b, 0x0b);
}
