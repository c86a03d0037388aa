/*
 * x64_runtime.c — bulk memory, tables and references: the instructions
 * whose work is the engine runtime's (memory.c, table.c, instance.c).
 *
 * The trivial ones are inline (ref.null, ref.is_null, ref.func,
 * data.drop); the rest call a C function below, or the engine routine
 * itself (memory.init, table.init), with the interpreter's operands,
 * checks, trap codes and order of checks (interp.c), so the two tiers
 * cannot disagree.  A function that may trap returns the trap code
 * (KILN_TRAP_NONE to go on) and compiled code leaves with it.  None of
 * these grows a memory, so r13/r14 stay valid across them.
 */
#include <string.h>

#include "errors.h"
#include "x64_fn.h"

/* ---- The C side (System V; operands as the interpreter reads them) ---- */

static uint32_t rt_memory_fill(kiln_instance *inst, uint32_t d, uint32_t val, uint32_t n)
{
    kiln_memory *m = inst->memories[0];
    if ((uint64_t)d + n > m->size)
        return KILN_TRAP_MEMORY_OOB;
    memset(m->data + d, (int)(uint8_t)val, n);
    kn_dirty_range(m->data, d, n);
    return KILN_TRAP_NONE;
}

static uint32_t rt_memory_copy(kiln_instance *inst, uint32_t d, uint32_t s, uint32_t n)
{
    kiln_memory *m = inst->memories[0];
    if ((uint64_t)d + n > m->size || (uint64_t)s + n > m->size)
        return KILN_TRAP_MEMORY_OOB;
    memmove(m->data + d, m->data + s, n);
    kn_dirty_range(m->data, d, n);
    return KILN_TRAP_NONE;
}

static uint32_t rt_memory_init(kiln_instance *inst, uint32_t data, uint32_t d, uint32_t s,
                               uint32_t n)
{
    return kn_memory_init(inst, 0, data, d, s, n);
}

static uint32_t rt_table_get(kiln_instance *inst, kn_slot *dst, uint32_t table, uint32_t i)
{
    kiln_table *t = inst->tables[table];
    if (i >= t->size)
        return KILN_TRAP_TABLE_OOB;
    dst->ref = t->elems[i];
    return KILN_TRAP_NONE;
}

static uint32_t rt_table_set(kiln_instance *inst, uint32_t table, uint32_t i, void *v)
{
    kiln_table *t = inst->tables[table];
    if (i >= t->size)
        return KILN_TRAP_TABLE_OOB;
    t->elems[i] = v;
    return KILN_TRAP_NONE;
}

static void rt_table_size(kiln_instance *inst, kn_slot *dst, uint32_t table)
{
    dst->i32 = (uint32_t)inst->tables[table]->size;
}

static void rt_table_grow(kiln_instance *inst, kn_slot *dst, uint32_t table, void *init,
                          uint32_t delta)
{
    dst->i32 = (uint32_t)kn_table_grow(inst->tables[table], delta, init);
}

static uint32_t rt_table_fill(kiln_instance *inst, uint32_t table, uint32_t i, void *v,
                              uint32_t n)
{
    kiln_table *t = inst->tables[table];
    if ((uint64_t)i + n > t->size)
        return KILN_TRAP_TABLE_OOB;
    for (uint64_t k = 0; k < n; k++)
        t->elems[i + k] = v;
    return KILN_TRAP_NONE;
}

static uint32_t rt_table_copy(kiln_instance *inst, uint32_t dt, uint32_t st, uint32_t d,
                              uint32_t s, uint32_t n)
{
    kiln_table *td = inst->tables[dt], *ts = inst->tables[st];
    if ((uint64_t)d + n > td->size || (uint64_t)s + n > ts->size)
        return KILN_TRAP_TABLE_OOB;
    memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof(void *));
    return KILN_TRAP_NONE;
}

static uint32_t rt_table_init(kiln_instance *inst, uint32_t table, uint32_t elem, uint32_t d,
                              uint32_t s, uint32_t n)
{
    return kn_table_init(inst, table, elem, d, s, n);
}

static void rt_elem_drop(kiln_instance *inst, uint32_t elem) { inst->elem_segs[elem].len = 0; }

/* ---- The machine side ------------------------------------------------- */

/* Argument registers after rdi (the instance), in order. */
static const x64_reg args[] = {X_RSI, X_RDX, X_RCX, X_R8, X_R9};

/* What each operand word of the instruction becomes, one letter per word
 * after the opcode (the argument order of the C function may differ):
 * 's' a slot's value (32 bits), 'r' a slot's 64 bits (a reference), 'd' a
 * slot's address, 'i' the word itself. */
typedef struct rtcall {
    const void *fn;
    const char *pass;           /* per argument: letter and word index */
    bool traps;
} rtcall;

static bool rtcall_of(kn_op op, rtcall *c)
{
    switch (op) {
    case KN_OP_MEMORY_FILL: *c = (rtcall){(const void *)rt_memory_fill, "s1s2s3", true}; return true;
    case KN_OP_MEMORY_COPY: *c = (rtcall){(const void *)rt_memory_copy, "s1s2s3", true}; return true;
    case KN_OP_MEMORY_INIT: *c = (rtcall){(const void *)rt_memory_init, "i1s2s3s4", true}; return true;
    case KN_OP_TABLE_GET: *c = (rtcall){(const void *)rt_table_get, "d1i2s3", true}; return true;
    case KN_OP_TABLE_SET: *c = (rtcall){(const void *)rt_table_set, "i1s2r3", true}; return true;
    case KN_OP_TABLE_SIZE: *c = (rtcall){(const void *)rt_table_size, "d1i2", false}; return true;
    case KN_OP_TABLE_GROW: *c = (rtcall){(const void *)rt_table_grow, "d1i2r3s4", false}; return true;
    case KN_OP_TABLE_FILL: *c = (rtcall){(const void *)rt_table_fill, "i1s2r3s4", true}; return true;
    case KN_OP_TABLE_COPY: *c = (rtcall){(const void *)rt_table_copy, "i1i2s3s4s5", true}; return true;
    case KN_OP_TABLE_INIT: *c = (rtcall){(const void *)rt_table_init, "i1i2s3s4s5", true}; return true;
    case KN_OP_ELEM_DROP: *c = (rtcall){(const void *)rt_elem_drop, "i1", false}; return true;
    default: return false;
    }
}

const void *kn_x64_runtime_helper(uint32_t op)
{
    rtcall c;
    return op < KN_OP_COUNT && rtcall_of((kn_op)op, &c) ? c.fn : NULL;
}

uint32_t kn_x64_runtime_covered(const fn *f)
{
    rtcall c;
    kn_op op = (kn_op)W[0];
    switch (op) {
    case KN_OP_REF_NULL: case KN_OP_REF_IS_NULL: case KN_OP_REF_FUNC: case KN_OP_DATA_DROP:
        return kn_x64_len(op);
    default:
        return op < KN_OP_COUNT && rtcall_of(op, &c) ? kn_x64_len(op) : 0;
    }
}

void kn_x64_runtime(fn *f)
{
    rtcall c;
    switch ((kn_op)W[0]) {
    case KN_OP_REF_NULL: kn_x64_store_imm(B, 1, SLOT(1), 0); return;
    case KN_OP_REF_IS_NULL:
        kn_x64_alu_mi(B, 1, X_CMP, SLOT(2), 0);
        kn_x64_setcc(B, X_CC_E, X_RAX);
        kn_x64_movzx8_rr(B, X_RAX, X_RAX);
        kn_x64_store(B, 1, SLOT(1), X_RAX);
        return;
    case KN_OP_REF_FUNC:
        kn_x64_load(B, 1, X_RAX, x64_m(X_R15, OFF(kiln_instance, funcs)));
        kn_x64_load(B, 1, X_RAX, x64_m(X_RAX, (int32_t)(8 * W[2])));
        kn_x64_store(B, 1, SLOT(1), X_RAX);
        return;
    case KN_OP_DATA_DROP:
        kn_x64_load(B, 1, X_RAX, x64_m(X_R15, OFF(kiln_instance, data_dropped)));
        kn_x64_mov_imm(B, X_RCX, 1);
        kn_x64_store8(B, x64_m(X_RAX, (int32_t)W[1]), X_RCX);
        return;
    default:
        break;
    }
    rtcall_of((kn_op)W[0], &c);
    kn_x64_mov(B, 1, X_RDI, X_R15);
    for (size_t i = 0; c.pass[2 * i]; i++) {
        x64_reg r = args[i];
        uint32_t k = (uint32_t)(c.pass[2 * i + 1] - '0');
        switch (c.pass[2 * i]) {
        case 's': kn_x64_load(B, 0, r, SLOT(k)); break;
        case 'r': kn_x64_load(B, 1, r, SLOT(k)); break;
        case 'd': kn_x64_lea(B, 1, r, SLOT(k)); break;
        default: kn_x64_mov_imm(B, r, W[k]); break;
        }
    }
    kn_x64_call_c(f, c.fn);
    if (c.traps)
        kn_x64_exit_if_trap(f);
}
