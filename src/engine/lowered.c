/*
 * lowered.c — names, operand layouts and a checked walk of lowered code
 * (lower.h), for the disassembler and the lowering tests.
 *
 * Everything here is generated from opcodes.def through opforms.h, the
 * expansion that also gives the interpreter its instruction lengths, so a
 * walk that lands exactly on the end of a function, with every branch on
 * an instruction boundary, shows that lowering (compile.c), the layout
 * column and the interpreter agree.  The walk never trusts the code: an
 * unknown opcode, an instruction running past the end or a branch outside
 * the code is reported, not followed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kiln_inspect.h"
#include "lowered.h"
#include "module.h"

static const struct {
    const char *name, *layout;
} forms[KN_OP_COUNT] = {
#define KN_FORM(ID, TEXT, LAYOUT) [KN_OP_##ID] = {TEXT, LAYOUT},
#include "opforms.h"
};

const char *kn_op_name(kn_op op) { return op < KN_OP_COUNT && forms[op].name ? forms[op].name : "?"; }

const char *kn_op_layout(uint32_t op) { return op < KN_OP_COUNT ? forms[op].layout : NULL; }

bool kn_lowered_at(const kn_code *code, uint32_t pc, kn_lowered *out)
{
    memset(out, 0, sizeof *out);
    if (pc >= code->nwords)
        return false;
    const uint32_t *w = code->words + pc;
    const char *layout = kn_op_layout(w[0]);
    if (!layout)
        return false;
    uint64_t len = strlen(layout) + 1;
    if (w[0] == KN_OP_JMP_TABLE && len <= code->nwords - pc)
        len += (uint64_t)w[2] + 1; /* the N + 1 offsets after the fixed part */
    if (len > code->nwords - pc)
        return false;
    out->pc = pc;
    out->len = (uint32_t)len;
    out->op = w[0];
    out->name = forms[w[0]].name;
    out->layout = layout;
    out->words = w;
    return true;
}

/* The letter describing word k (1-based) of an instruction: past the
 * layout only a jump table's offsets remain. */
static char operand_kind(const kn_lowered *in, uint32_t k)
{
    size_t n = strlen(in->layout);
    return k <= n ? in->layout[k - 1] : 'j';
}

bool kn_lowered_target(const kn_code *code, const kn_lowered *in, uint32_t k, uint32_t *target)
{
    if (k == 0 || k >= in->len || operand_kind(in, k) != 'j')
        return false;
    int64_t t = (int64_t)in->pc + k + (int32_t)in->words[k];
    if (t < 0 || t >= (int64_t)code->nwords)
        return false;
    *target = (uint32_t)t;
    return true;
}

bool kn_lowered_check(const kn_allocator *a, const kn_code *code, uint32_t *bad_pc, bool *nomem)
{
    /* Pass one marks instruction starts, pass two checks that every branch
     * lands on one.  The bitmap is the only allocation. */
    *bad_pc = 0;
    *nomem = false;
    uint8_t *starts = kn_calloc(a, (size_t)code->nwords / 8 + 1, 1);
    if (!starts) {
        *nomem = true;
        return false;
    }
    kn_lowered in;
    bool ok = true;
    for (uint32_t pc = 0; ok && pc < code->nwords; pc += in.len) {
        if (!kn_lowered_at(code, pc, &in)) {
            *bad_pc = pc;
            ok = false;
        } else {
            starts[pc / 8] |= (uint8_t)(1u << (pc % 8));
        }
    }
    for (uint32_t pc = 0; ok && pc < code->nwords; pc += in.len) {
        kn_lowered_at(code, pc, &in);
        for (uint32_t k = 1; ok && k < in.len; k++) {
            if (operand_kind(&in, k) != 'j')
                continue;
            uint32_t t;
            if (!kn_lowered_target(code, &in, k, &t) || !(starts[t / 8] & (1u << (t % 8)))) {
                *bad_pc = pc;
                ok = false;
            }
        }
    }
    kn_free(a, starts);
    return ok;
}

/* snprintf that keeps counting past the end of the buffer. */
static size_t put(char *buf, size_t cap, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t cap, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0, fmt, ap);
    va_end(ap);
    return len + (n > 0 ? (size_t)n : 0);
}

static size_t operand_text(const kn_code *code, const kn_lowered *in, uint32_t k, char *buf,
                           size_t cap, size_t len)
{
    uint32_t w = in->words[k], t;
    float f;
    double d;
    switch (operand_kind(in, k)) {
    case 'd': case 's': case 'b': return put(buf, cap, len, "s%" PRIu32, w);
    case 'i': return put(buf, cap, len, "%" PRId32, (int32_t)w);
    case 'r':
        memcpy(&f, &w, sizeof f);
        return put(buf, cap, len, "%a", (double)f);
    case 'W': {
        uint64_t bits = w | (uint64_t)in->words[k + 1] << 32;
        memcpy(&d, &bits, sizeof d);
        return put(buf, cap, len, "%a", d);
    }
    case 'w':
        return put(buf, cap, len, "0x%" PRIx64, w | (uint64_t)in->words[k + 1] << 32);
    case 'h': return len; /* printed with its low word */
    case 'o': return put(buf, cap, len, "offset=%" PRIu32, w);
    case 'j':
        if (kn_lowered_target(code, in, k, &t))
            return put(buf, cap, len, "@%" PRIu32, t);
        return put(buf, cap, len, "@?");
    case 'v': return put(buf, cap, len, "0x%08" PRIx32, w);
    case 'F': return put(buf, cap, len, "func %" PRIu32, w);
    case 't': return put(buf, cap, len, "type %" PRIu32, w);
    case 'T': return put(buf, cap, len, "table %" PRIu32, w);
    case 'g': return put(buf, cap, len, "global %" PRIu32, w);
    case 'D': return put(buf, cap, len, "data %" PRIu32, w);
    case 'E': return put(buf, cap, len, "elem %" PRIu32, w);
    default: return put(buf, cap, len, "%" PRIu32, w); /* k, l, c, n */
    }
}

size_t kn_lowered_text(const kn_code *code, const kn_lowered *in, char *buf, size_t cap)
{
    if (cap)
        buf[0] = 0;
    size_t len = put(buf, cap, 0, "%s", in->name);
    const char *sep = " ";
    for (uint32_t k = 1; k < in->len; k++) {
        if (operand_kind(in, k) == 'h')
            continue;
        len = put(buf, cap, len, "%s", sep);
        len = operand_text(code, in, k, buf, cap, len);
        sep = ", ";
    }
    return len;
}

/* ---- kiln_inspect.h's view ---------------------------------------------- */

static const kn_code *code_of(const kiln_module *km, size_t func)
{
    const kn_module *m = &km->m;
    if (func >= m->nfuncs || func < m->num_func_imports)
        return NULL;
    return m->funcs[func].code;
}

bool kiln_inspect_lowered(const kiln_module *m, size_t func, kiln_lowered_info *out)
{
    memset(out, 0, sizeof *out);
    const kn_code *c = code_of(m, func);
    if (!c)
        return false;
    out->nwords = c->nwords;
    out->param_slots = c->param_slots;
    out->local_slots = c->local_slots;
    out->frame_slots = c->frame_slots;
    return true;
}

bool kiln_inspect_lowered_instr(const kiln_module *m, size_t func, uint32_t pc,
                                kiln_lowered_instr *out, char *text, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (cap)
        text[0] = '\0';
    const kn_code *c = code_of(m, func);
    kn_lowered in;
    if (!c || !kn_lowered_at(c, pc, &in))
        return false;
    out->pc = in.pc;
    out->nwords = in.len;
    out->name = in.name;
    out->layout = in.layout;
    out->words = in.words;
    out->text_len = kn_lowered_text(c, &in, text, cap);
    return true;
}

bool kiln_inspect_lowered_check(const kiln_module *m, size_t func, uint32_t *bad_pc)
{
    *bad_pc = 0;
    const kn_code *c = code_of(m, func);
    if (!c)
        return false;
    bool nomem;
    bool ok = kn_lowered_check(&m->m.alloc, c, bad_pc, &nomem);
    if (nomem)
        *bad_pc = UINT32_MAX;
    return ok;
}
