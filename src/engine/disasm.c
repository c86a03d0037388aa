/*
 * disasm.c — one Wasm instruction at a time, decoded from the module bytes
 * and written in the text format's syntax (kiln_inspect_instr).
 *
 * The names and the immediate each instruction takes come from opcodes.def
 * (a row's kind says whether it has a memarg, a lane, or nothing; control
 * rows are named one by one below), so a new instruction is listed as soon
 * as it has a row.  The text is what the spec's text format accepts back:
 * a memarg shows offset= and align= only when they differ from the
 * default, block types as (result t) or (type N), floats exactly
 * (kn_float_text).  Decoding trusts nothing: reading past `end`, an
 * unknown opcode or a bad LEB128 makes the call return false, though in a
 * validated body that never happens.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disasm.h"
#include "kiln_inspect.h"
#include "leb.h"
#include "lower.h"
#include "module.h"

enum { IM_NONE, IM_MEMARG, IM_MEMARG_LANE, IM_LANE, IM_CTRL };

typedef struct instr_def {
    const char *name;
    uint8_t imm;
    uint8_t natural; /* memarg: the access size in bytes */
    uint16_t op;     /* kn_op, for IM_CTRL */
} instr_def;

#define SPACE(PFX) ((PFX) == 0xfc ? 1 : (PFX) == 0xfd ? 2 : 0)
static const instr_def defs[3][256] = {
#define KN_CTRL(ID, PFX, CODE, TEXT, LAYOUT) [SPACE(PFX)][CODE] = {TEXT, IM_CTRL, 0, KN_OP_##ID},
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT) [SPACE(PFX)][CODE] = {TEXT, IM_MEMARG, sizeof(MEMT), 0},
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT) [SPACE(PFX)][CODE] = {TEXT, IM_MEMARG, sizeof(MEMT), 0},
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) [SPACE(PFX)][CODE] = {TEXT, IM_NONE, 0, 0},
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) [SPACE(PFX)][CODE] = {TEXT, IM_NONE, 0, 0},
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) [SPACE(PFX)][CODE] = {TEXT, IM_NONE, 0, 0},
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) [SPACE(PFX)][CODE] = {TEXT, IM_NONE, 0, 0},
#define KN_VUNOP(ID, PFX, CODE, TEXT, IN, OUT, STMT) [SPACE(PFX)][CODE] = {TEXT, IM_NONE, 0, 0},
#define KN_VBINOP(ID, PFX, CODE, TEXT, STMT) [SPACE(PFX)][CODE] = {TEXT, IM_NONE, 0, 0},
#define KN_VTERNOP(ID, PFX, CODE, TEXT, STMT) [SPACE(PFX)][CODE] = {TEXT, IM_NONE, 0, 0},
#define KN_VSHIFT(ID, PFX, CODE, TEXT, STMT) [SPACE(PFX)][CODE] = {TEXT, IM_NONE, 0, 0},
#define KN_VEXTRACT(ID, PFX, CODE, TEXT, OUT, LANES, STMT) [SPACE(PFX)][CODE] = {TEXT, IM_LANE, 0, 0},
#define KN_VREPLACE(ID, PFX, CODE, TEXT, IN, LANES, STMT) [SPACE(PFX)][CODE] = {TEXT, IM_LANE, 0, 0},
#define KN_VLOAD(ID, PFX, CODE, TEXT, SIZE, STMT) [SPACE(PFX)][CODE] = {TEXT, IM_MEMARG, SIZE, 0},
#define KN_VLOAD_LANE(ID, PFX, CODE, TEXT, SIZE) [SPACE(PFX)][CODE] = {TEXT, IM_MEMARG_LANE, SIZE, 0},
#define KN_VSTORE_LANE(ID, PFX, CODE, TEXT, SIZE) [SPACE(PFX)][CODE] = {TEXT, IM_MEMARG_LANE, SIZE, 0},
#include "opcodes.def"
};

/* ---- Text output ---------------------------------------------------------- */

typedef struct out {
    char *buf;
    size_t cap, len;
} out;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void outf(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->len < o->cap ? o->buf + o->len : NULL, o->len < o->cap ? o->cap - o->len : 0,
                      fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

size_t kn_float_text(char *buf, size_t cap, uint64_t bits, bool is_f32)
{
    unsigned mant = is_f32 ? 23 : 52, expbits = is_f32 ? 8 : 11;
    bool neg = (bits >> (mant + expbits)) & 1;
    uint64_t exp = (bits >> mant) & ((UINT64_C(1) << expbits) - 1);
    uint64_t payload = bits & ((UINT64_C(1) << mant) - 1);
    const char *sign = neg ? "-" : "";
    if (exp == (UINT64_C(1) << expbits) - 1) {
        if (payload == 0)
            return (size_t)snprintf(buf, cap, "%sinf", sign);
        if (payload == UINT64_C(1) << (mant - 1))
            return (size_t)snprintf(buf, cap, "%snan", sign);
        return (size_t)snprintf(buf, cap, "%snan:0x%" PRIx64, sign, payload);
    }
    double d;
    if (is_f32) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, 4);
        d = f;
    } else {
        memcpy(&d, &bits, 8);
    }
    /* The shortest decimal that reads back as the same value. */
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (is_f32 ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d)
            break;
    }
    return (size_t)snprintf(buf, cap, "%s", tmp);
}

static void out_float(out *o, uint64_t bits, bool is_f32)
{
    char tmp[48];
    kn_float_text(tmp, sizeof tmp, bits, is_f32);
    outf(o, " %s", tmp);
}

static const char *valtype_text(uint8_t t)
{
    switch (t) {
    case KN_I32: return "i32";
    case KN_I64: return "i64";
    case KN_F32: return "f32";
    case KN_F64: return "f64";
    case KN_V128: return "v128";
    case KN_FUNCREF: return "funcref";
    case KN_EXTERNREF: return "externref";
    default: return NULL;
    }
}

/* ---- Immediates ----------------------------------------------------------- */

#define U32(var) \
    if (!kn_read_u32(r, &(var))) return false

static bool memarg(kn_reader *r, out *o, unsigned natural)
{
    uint32_t align, offset;
    U32(align);
    U32(offset);
    if (align >= 32)
        return false;
    if (offset)
        outf(o, " offset=%" PRIu32, offset);
    if ((UINT64_C(1) << align) != natural)
        outf(o, " align=%" PRIu64, UINT64_C(1) << align);
    return true;
}

static bool blocktype(kn_reader *r, out *o)
{
    uint8_t b;
    if (!kn_peek_u8(r, &b))
        return false;
    if (b == 0x40) {
        r->p++;
        return true;
    }
    if (valtype_text(b)) {
        r->p++;
        outf(o, " (result %s)", valtype_text(b));
        return true;
    }
    int64_t idx;
    if (!kn_read_s33(r, &idx) || idx < 0)
        return false;
    outf(o, " (type %" PRId64 ")", idx);
    return true;
}

static bool zero_byte(kn_reader *r)
{
    uint8_t b;
    return kn_read_u8(r, &b) && b == 0;
}

static bool v128_const(kn_reader *r, out *o)
{
    const uint8_t *p;
    if (!kn_read_bytes(r, 16, &p))
        return false;
    outf(o, " i32x4");
    for (int lane = 0; lane < 4; lane++) {
        uint32_t u = 0;
        for (int k = 0; k < 4; k++)
            u |= (uint32_t)p[4 * lane + k] << (8 * k);
        outf(o, " 0x%08" PRIx32, u);
    }
    return true;
}

static bool ctrl_imm(kn_reader *r, out *o, uint16_t op, kiln_instr *in)
{
    uint32_t a, b;
    switch (op) {
    case KN_OP_BLOCK:
    case KN_OP_LOOP:
    case KN_OP_IF:
        in->nest = 1;
        return blocktype(r, o);
    case KN_OP_ELSE: in->is_else = true; return true;
    case KN_OP_END: in->nest = -1; return true;
    case KN_OP_BR: case KN_OP_BR_IF: case KN_OP_LOCAL_GET: case KN_OP_LOCAL_SET:
    case KN_OP_LOCAL_TEE: case KN_OP_GLOBAL_GET: case KN_OP_GLOBAL_SET: case KN_OP_TABLE_GET:
    case KN_OP_TABLE_SET: case KN_OP_DATA_DROP: case KN_OP_ELEM_DROP: case KN_OP_TABLE_GROW:
    case KN_OP_TABLE_SIZE: case KN_OP_TABLE_FILL:
        U32(a);
        outf(o, " %" PRIu32, a);
        return true;
    case KN_OP_CALL:
    case KN_OP_REF_FUNC:
        U32(a);
        in->has_func = true;
        in->func = a;
        outf(o, " %" PRIu32, a);
        return true;
    case KN_OP_BR_TABLE:
        U32(b);
        for (uint64_t i = 0; i <= b; i++) {
            U32(a);
            outf(o, " %" PRIu32, a);
        }
        return true;
    case KN_OP_CALL_INDIRECT:
        U32(a);
        U32(b);
        if (b)
            outf(o, " %" PRIu32, b);
        outf(o, " (type %" PRIu32 ")", a);
        return true;
    case KN_OP_SELECT_T:
        U32(b);
        for (uint32_t i = 0; i < b; i++) {
            uint8_t t;
            if (!kn_read_u8(r, &t) || !valtype_text(t))
                return false;
            outf(o, " (result %s)", valtype_text(t));
        }
        return true;
    case KN_OP_MEMORY_SIZE:
    case KN_OP_MEMORY_GROW:
    case KN_OP_MEMORY_FILL:
        return zero_byte(r);
    case KN_OP_MEMORY_COPY:
        return zero_byte(r) && zero_byte(r);
    case KN_OP_MEMORY_INIT:
        U32(a);
        outf(o, " %" PRIu32, a);
        return zero_byte(r);
    case KN_OP_TABLE_INIT: /* elem, then table; the text names the table first */
    case KN_OP_TABLE_COPY: /* destination, source: the text's order too */
        U32(a);
        U32(b);
        if (op == KN_OP_TABLE_INIT)
            outf(o, " %" PRIu32 " %" PRIu32, b, a);
        else
            outf(o, " %" PRIu32 " %" PRIu32, a, b);
        return true;
    case KN_OP_I32_CONST: {
        int32_t v;
        if (!kn_read_s32(r, &v))
            return false;
        outf(o, " %" PRId32, v);
        return true;
    }
    case KN_OP_I64_CONST: {
        int64_t v;
        if (!kn_read_s64(r, &v))
            return false;
        outf(o, " %" PRId64, v);
        return true;
    }
    case KN_OP_F32_CONST: {
        uint32_t bits;
        if (!kn_read_f32_bits(r, &bits))
            return false;
        out_float(o, bits, true);
        return true;
    }
    case KN_OP_F64_CONST: {
        uint64_t bits;
        if (!kn_read_f64_bits(r, &bits))
            return false;
        out_float(o, bits, false);
        return true;
    }
    case KN_OP_REF_NULL: {
        uint8_t t;
        if (!kn_read_u8(r, &t) || (t != KN_FUNCREF && t != KN_EXTERNREF))
            return false;
        outf(o, " %s", t == KN_FUNCREF ? "func" : "extern");
        return true;
    }
    case KN_OP_V128_STORE: return memarg(r, o, 16);
    case KN_OP_V128_CONST: return v128_const(r, o);
    case KN_OP_I8X16_SHUFFLE: {
        const uint8_t *p;
        if (!kn_read_bytes(r, 16, &p))
            return false;
        for (int i = 0; i < 16; i++)
            outf(o, " %u", p[i]);
        return true;
    }
    default: return true; /* no immediates */
    }
}

bool kiln_inspect_instr(const kiln_module *km, uint32_t offset, uint32_t end, kiln_instr *in,
                        char *text, size_t cap)
{
    const kn_module *m = &km->m;
    memset(in, 0, sizeof *in);
    out o = {text, cap, 0};
    if (cap)
        text[0] = '\0';
    if (end > m->len || offset >= end)
        return false;
    kn_reader rd = kn_reader_make(m->bytes, m->bytes + offset, m->bytes + end);
    kn_reader *r = &rd;
    uint8_t b;
    uint32_t sub = 0;
    if (!kn_read_u8(r, &b))
        return false;
    if ((b == 0xfc || b == 0xfd) && (!kn_read_u32(r, &sub) || sub > 255))
        return false;
    const instr_def *d = &defs[SPACE(b)][b == 0xfc || b == 0xfd ? sub : b];
    if (!d->name)
        return false;
    outf(&o, "%s", d->name);
    bool ok;
    uint8_t lane;
    switch (d->imm) {
    case IM_MEMARG: ok = memarg(r, &o, d->natural); break;
    case IM_MEMARG_LANE:
        ok = memarg(r, &o, d->natural) && kn_read_u8(r, &lane);
        if (ok)
            outf(&o, " %u", lane);
        break;
    case IM_LANE:
        ok = kn_read_u8(r, &lane);
        if (ok)
            outf(&o, " %u", lane);
        break;
    case IM_CTRL: ok = ctrl_imm(r, &o, d->op, in); break;
    default: ok = true; break;
    }
    if (!ok) {
        memset(in, 0, sizeof *in);
        if (cap)
            text[0] = '\0';
        return false;
    }
    in->offset = offset;
    in->size = (uint32_t)(r->p - (m->bytes + offset));
    in->name = d->name;
    in->text_len = o.len;
    return true;
}
