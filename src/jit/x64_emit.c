/*
 * x64_emit.c — the encoder behind x64_emit.h.
 *
 * Every instruction goes through one of two helpers: enc_m (a register and
 * a memory operand) or enc_r (two registers), which lay out the legacy
 * prefix, REX, opcode, ModRM, SIB and displacement.  Keeping the ModRM
 * rules in one place is what keeps the special cases (rsp/r12 bases need
 * a SIB byte, rbp/r13 bases cannot go without a displacement, byte access
 * to sil/dil/spl/bpl needs a REX) right for every form at once.
 *
 * Forwarding.  Compiled code keeps every value in its frame slot, so a
 * result stored by one instruction is often loaded by the next; the load
 * would wait on the store (store-to-load forwarding, ~5 cycles on the
 * critical path).  When the buffer's `forward` flag is set, a store of a
 * register to a slot ([rbx + disp]) is remembered, and an instruction
 * emitted immediately after it (nothing in between, b->len unchanged)
 * that reads the same slot at the same width (or loads the whole slot
 * after a 32-bit store) reads the register instead:
 * a load becomes a register move (or nothing, for the same 64-bit
 * register), a compare with zero a test, an ALU operand a register.  The
 * store itself stays, so memory is always current and nothing needs
 * flushing; anything else emitted, and any label bound at the current
 * offset (kn_x64_label, or kn_x64_patch_rel32 to here), ends it.
 */
#include <string.h>

#include "x64_emit.h"

void kn_x64_reserve(x64_buf *b, size_t n)
{
    if (b->oom || b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = b->grow(b->ud, b->p, cap);
    if (!p) {
        b->oom = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}

void kn_x64_bytes(x64_buf *b, const void *bytes, size_t n)
{
    kn_x64_reserve(b, n);
    if (b->oom)
        return;
    const uint8_t *s = bytes;
    for (size_t i = 0; i < n; i++)   /* a few bytes at a time: no memcpy call */
        b->p[b->len + i] = s[i];
    b->len += n;
}

void kn_x64_byte(x64_buf *b, uint8_t v)
{
    if (b->len < b->cap)
        b->p[b->len++] = v;
    else
        kn_x64_bytes(b, &v, 1);
}

void kn_x64_u32(x64_buf *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    kn_x64_bytes(b, le, 4);
}

void kn_x64_label(x64_buf *b)
{
    b->fwd.valid = false;
    b->zf_end = 0;
    b->zx_end = 0;
}

/* The instruction just emitted wrote r at 32 bits. */
static void wrote32(x64_buf *b, x64_reg r)
{
    b->zx_end = b->len;
    b->zx_reg = (int8_t)r;
}

void kn_x64_patch_rel32(x64_buf *b, size_t at, size_t target)
{
    if (target == b->len)
        kn_x64_label(b);
    if (b->oom)
        return;
    uint32_t rel = (uint32_t)((int64_t)target - (int64_t)(at + 4));
    for (int i = 0; i < 4; i++)
        b->p[at + i] = (uint8_t)(rel >> (8 * i));
}

static bool fits8(int32_t v) { return v >= -128 && v <= 127; }

/* Opcode bytes of up to three, in order; `pre` is a legacy prefix (0x66,
 * 0xf3) or 0; `byte_reg` says reg (and rm for enc_r) are 8-bit registers. */
typedef struct { uint8_t pre, n, op[3]; } opc;

/* Room for one instruction (at most 15 bytes): where to write it, then
 * put_end(b, p) with p past its last byte.  NULL when out of memory.  The
 * encoder's hot path: one capacity check per instruction, not per byte. */
static uint8_t *put(x64_buf *b)
{
    if (b->len + 16 > b->cap)
        kn_x64_reserve(b, 16);
    return b->oom ? NULL : b->p + b->len;
}

static void put_end(x64_buf *b, const uint8_t *p) { b->len = (size_t)(p - b->p); }

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
    return p + 4;
}

static uint8_t *put_rex(uint8_t *p, int w, int reg, int index, int base, bool force)
{
    uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 |
                            ((base >> 3) & 1));
    if (rex != 0x40 || force)
        *p++ = rex;
    return p;
}

static void emit_rex(x64_buf *b, int w, int reg, int index, int base, bool force)
{
    uint8_t *p = put(b);
    if (p)
        put_end(b, put_rex(p, w, reg, index, base, force));
}

static void enc_r(x64_buf *b, int w, opc o, int reg, int rm, bool byte_reg);

/* SIB's scale field. */
static int scale_bits(uint8_t scale) { return scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0; }

/* ModRM, SIB and displacement for reg and the memory operand m. */
static uint8_t *put_modrm_m(uint8_t *p, int reg, x64_mem m)
{
    if (m.rip) {                        /* mod 00, r/m 101: [rip + disp32] */
        *p++ = (uint8_t)((reg & 7) << 3 | 5);
        return put_u32(p, (uint32_t)m.disp);
    }
    if (m.base == X_NOREG) {            /* [index*scale + disp32]: SIB base 101, mod 00 */
        *p++ = (uint8_t)((reg & 7) << 3 | 4);
        *p++ = (uint8_t)(scale_bits(m.scale) << 6 | (m.index & 7) << 3 | 5);
        return put_u32(p, (uint32_t)m.disp);
    }
    int mod = m.disp == 0 && (m.base & 7) != 5 ? 0 : fits8(m.disp) ? 1 : 2;
    bool sib = m.index != X_NOREG || (m.base & 7) == 4;
    *p++ = (uint8_t)(mod << 6 | (reg & 7) << 3 | (sib ? 4 : (m.base & 7)));
    if (sib) {
        int idx = m.index == X_NOREG ? 4 : (m.index & 7);
        *p++ = (uint8_t)(scale_bits(m.scale) << 6 | idx << 3 | (m.base & 7));
    }
    if (mod == 1)
        *p++ = (uint8_t)m.disp;
    else if (mod == 2)
        p = put_u32(p, (uint32_t)m.disp);
    return p;
}

static void modrm_m(x64_buf *b, int reg, x64_mem m)
{
    uint8_t *p = put(b);
    if (p)
        put_end(b, put_modrm_m(p, reg, m));
}

static void enc_m(x64_buf *b, int w, opc o, int reg, x64_mem m, bool byte_reg)
{
    if (m.direct) {
        enc_r(b, w, o, reg, m.base, byte_reg);
        return;
    }
    uint8_t *p = put(b);
    if (!p)
        return;
    if (o.pre)
        *p++ = o.pre;
    bool force = byte_reg && reg >= 4 && reg < 8;
    if (m.rip)
        p = put_rex(p, w, reg, 0, 0, force);
    else
        p = put_rex(p, w, reg, m.index == X_NOREG ? 0 : m.index, m.base == X_NOREG ? 0 : m.base, force);
    for (int i = 0; i < o.n; i++)
        *p++ = o.op[i];
    put_end(b, put_modrm_m(p, reg, m));
}

static void enc_r(x64_buf *b, int w, opc o, int reg, int rm, bool byte_reg)
{
    uint8_t *p = put(b);
    if (!p)
        return;
    if (o.pre)
        *p++ = o.pre;
    p = put_rex(p, w, reg, 0, rm, byte_reg && ((reg >= 4 && reg < 8) || (rm >= 4 && rm < 8)));
    for (int i = 0; i < o.n; i++)
        *p++ = o.op[i];
    *p++ = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
    put_end(b, p);
}

#define OP1(a) ((opc){0, 1, {a, 0, 0}})
#define OP2(a, c) ((opc){0, 2, {a, c, 0}})

/* Whether the store just emitted (nothing since) wrote the frame slot m. */
static bool fwd_slot(const x64_buf *b, x64_mem m)
{
    const x64_fwd *f = &b->fwd;
    return b->forward && f->valid && f->end == b->len && f->m.base == m.base &&
           f->m.index == m.index && f->m.disp == m.disp && m.index == X_NOREG && !m.direct;
}

/* The register holding slot m at width w, if the store just emitted put
 * it there (see Forwarding above), else X_NOREG. */
static x64_reg forwarded(const x64_buf *b, int w, x64_mem m)
{
    return fwd_slot(b, m) && !b->fwd.imm && b->fwd.w == w ? (x64_reg)b->fwd.reg : X_NOREG;
}

/* After an instruction that left the forwarded register as it was. */
static void still_forwarded(x64_buf *b) { b->fwd.end = b->len; }

void kn_x64_load(x64_buf *b, int w, x64_reg r, x64_mem m)
{
    if (fwd_slot(b, m) && b->fwd.imm && (b->fwd.w || !w)) {
        /* a constant just stored to the slot (sign-extended from 32 bits
         * to the whole slot), read at 32 bits or whole */
        int32_t k = b->fwd.k;
        kn_x64_mov_imm(b, r, w ? (uint64_t)(int64_t)k : (uint64_t)(uint32_t)k);
        b->fwd.end = b->len;
        return;
    }
    x64_reg s = forwarded(b, w, m);
    /* A whole slot read just after a 32-bit store to it (a copy of an i32
     * or f32): only its low half means anything, which no instruction
     * reads at 64 bits, so the register stands in for it, zero-extended. */
    if (s == X_NOREG && w && (s = forwarded(b, 0, m)) != X_NOREG)
        w = 0;
    if (s == X_NOREG) {
        enc_m(b, w, OP1(0x8b), r, m, false);
        if (!w)
            wrote32(b, r);
        return;
    }
    /* a 32-bit move also clears the top half: not needed when it is clear */
    if (r != s || (!w && !b->fwd.zx))
        kn_x64_mov(b, w, r, s);
    if (!w)
        wrote32(b, r);
    still_forwarded(b);
}

void kn_x64_store(x64_buf *b, int w, x64_mem m, x64_reg r)
{
    bool zx = !w && b->zx_end && b->zx_end == b->len && b->zx_reg == r;
    enc_m(b, w, OP1(0x89), r, m, false);
    if (b->forward && m.base == X_RBX && m.index == X_NOREG && !m.direct)
        b->fwd = (x64_fwd){b->len, m, (int8_t)w, (int8_t)r, true, zx, false, 0};
}
void kn_x64_store8(x64_buf *b, x64_mem m, x64_reg r) { enc_m(b, 0, OP1(0x88), r, m, true); }
void kn_x64_store16(x64_buf *b, x64_mem m, x64_reg r)
{
    enc_m(b, 0, (opc){0x66, 1, {0x89, 0, 0}}, r, m, false);
}

void kn_x64_store_imm(x64_buf *b, int w, x64_mem m, int32_t imm)
{
    enc_m(b, w, OP1(0xc7), 0, m, false);
    kn_x64_u32(b, (uint32_t)imm);
    if (b->forward && m.base == X_RBX && m.index == X_NOREG && !m.direct)
        b->fwd = (x64_fwd){b->len, m, (int8_t)w, X_NOREG, true, false, true, imm};
}

void kn_x64_store8_imm(x64_buf *b, x64_mem m, uint8_t imm)
{
    enc_m(b, 0, OP1(0xc6), 0, m, false);
    kn_x64_byte(b, imm);
}

void kn_x64_cmp8_mi(x64_buf *b, x64_mem m, uint8_t imm)
{
    enc_m(b, 0, OP1(0x80), X_CMP, m, false);
    kn_x64_byte(b, imm);
}

void kn_x64_mov(x64_buf *b, int w, x64_reg d, x64_reg s) { enc_r(b, w, OP1(0x89), s, d, false); }

void kn_x64_mov_imm(x64_buf *b, x64_reg r, uint64_t imm)
{
    if (imm <= UINT32_MAX) {                     /* mov r32, imm32 zero-extends */
        emit_rex(b, 0, 0, 0, r, false);
        kn_x64_byte(b, (uint8_t)(0xb8 + (r & 7)));
        kn_x64_u32(b, (uint32_t)imm);
    } else if ((int64_t)imm >= INT32_MIN && (int64_t)imm < 0) {  /* mov r64, simm32 */
        enc_r(b, 1, OP1(0xc7), 0, r, false);
        kn_x64_u32(b, (uint32_t)imm);
    } else {                                     /* movabs */
        emit_rex(b, 1, 0, 0, r, false);
        kn_x64_byte(b, (uint8_t)(0xb8 + (r & 7)));
        kn_x64_u32(b, (uint32_t)imm);
        kn_x64_u32(b, (uint32_t)(imm >> 32));
    }
}

void kn_x64_load_zx(x64_buf *b, int w, int bits, x64_reg r, x64_mem m)
{
    if (bits == 32) /* a 32-bit mov zero-extends */
        kn_x64_load(b, 0, r, m);
    else
        enc_m(b, w, OP2(0x0f, bits == 8 ? 0xb6 : 0xb7), r, m, bits == 8 && m.direct);
}

void kn_x64_load_sx(x64_buf *b, int w, int bits, x64_reg r, x64_mem m)
{
    if (bits == 32)
        enc_m(b, 1, OP1(0x63), r, m, false);
    else
        enc_m(b, w, OP2(0x0f, bits == 8 ? 0xbe : 0xbf), r, m, bits == 8 && m.direct);
}

void kn_x64_sx_rr(x64_buf *b, int w, int bits, x64_reg d, x64_reg s)
{
    if (bits == 32)
        enc_r(b, 1, OP1(0x63), d, s, false);
    else
        enc_r(b, w, OP2(0x0f, bits == 8 ? 0xbe : 0xbf), d, s, bits == 8);
}

void kn_x64_lea(x64_buf *b, int w, x64_reg r, x64_mem m)
{
    enc_m(b, w, OP1(0x8d), r, m, false);
    if (!w)
        wrote32(b, r);
}

/* After an ALU operation on register r: ZF is now r's (not for cmp). */
static void set_zf(x64_buf *b, int w, x64_alu op, x64_reg r)
{
    b->zf_end = op == X_CMP ? 0 : b->len;
    b->zf_reg = (int8_t)r;
    b->zf_w = (int8_t)w;
    if (!w && op != X_CMP)
        wrote32(b, r);
}

void kn_x64_alu_rm(x64_buf *b, int w, x64_alu op, x64_reg r, x64_mem m)
{
    x64_reg s = forwarded(b, w, m);
    if (s != X_NOREG)
        enc_r(b, w, OP1((uint8_t)(op * 8 + 3)), r, s, false);
    else
        enc_m(b, w, OP1((uint8_t)(op * 8 + 3)), r, m, false);
    set_zf(b, w, op, r);
}

void kn_x64_alu_rr(x64_buf *b, int w, x64_alu op, x64_reg d, x64_reg s)
{
    enc_r(b, w, OP1((uint8_t)(op * 8 + 1)), s, d, false);
    set_zf(b, w, op, d);
}

void kn_x64_alu_ri(x64_buf *b, int w, x64_alu op, x64_reg r, int32_t imm)
{
    if (fits8(imm)) {
        enc_r(b, w, OP1(0x83), op, r, false);
        kn_x64_byte(b, (uint8_t)imm);
    } else {
        enc_r(b, w, OP1(0x81), op, r, false);
        kn_x64_u32(b, (uint32_t)imm);
    }
    set_zf(b, w, op, r);
}

void kn_x64_cmp0_eq(x64_buf *b, int w, x64_mem m)
{
    if (m.direct && b->zf_end && b->zf_end == b->len && b->zf_reg == m.base && b->zf_w == w)
        return;
    kn_x64_alu_mi(b, w, X_CMP, m, 0);
}

void kn_x64_alu_mi(x64_buf *b, int w, x64_alu op, x64_mem m, int32_t imm)
{
    x64_reg s = forwarded(b, w, m);
    if (s != X_NOREG && op == X_CMP && imm == 0) {
        kn_x64_test_rr(b, w, s, s);     /* the same flags as cmp s, 0 */
        still_forwarded(b);
        return;
    }
    if (fits8(imm)) {
        enc_m(b, w, OP1(0x83), op, m, false);
        kn_x64_byte(b, (uint8_t)imm);
    } else {
        enc_m(b, w, OP1(0x81), op, m, false);
        kn_x64_u32(b, (uint32_t)imm);
    }
}

void kn_x64_alu_mr(x64_buf *b, int w, x64_alu op, x64_mem m, x64_reg r)
{
    enc_m(b, w, OP1((uint8_t)(op * 8 + 1)), r, m, false);
}

void kn_x64_imul_rm(x64_buf *b, int w, x64_reg r, x64_mem m)
{
    x64_reg s = forwarded(b, w, m);
    if (s != X_NOREG)
        enc_r(b, w, OP2(0x0f, 0xaf), r, s, false);
    else
        enc_m(b, w, OP2(0x0f, 0xaf), r, m, false);
}

void kn_x64_imul_rri(x64_buf *b, int w, x64_reg d, x64_reg s, int32_t imm)
{
    if (fits8(imm)) {
        enc_r(b, w, OP1(0x6b), d, s, false);
        kn_x64_byte(b, (uint8_t)imm);
    } else {
        enc_r(b, w, OP1(0x69), d, s, false);
        kn_x64_u32(b, (uint32_t)imm);
    }
}

void kn_x64_shift_cl(x64_buf *b, int w, x64_shift op, x64_reg r) { enc_r(b, w, OP1(0xd3), op, r, false); }

void kn_x64_shift_i(x64_buf *b, int w, x64_shift op, x64_reg r, uint8_t k)
{
    enc_r(b, w, OP1(0xc1), op, r, false);
    kn_x64_byte(b, k);
}

void kn_x64_test_rr(x64_buf *b, int w, x64_reg a, x64_reg c) { enc_r(b, w, OP1(0x85), c, a, false); }
void kn_x64_neg(x64_buf *b, int w, x64_reg r) { enc_r(b, w, OP1(0xf7), 3, r, false); }
void kn_x64_div(x64_buf *b, int w, bool is_signed, x64_reg r) { enc_r(b, w, OP1(0xf7), is_signed ? 7 : 6, r, false); }

void kn_x64_sign_extend_ax(x64_buf *b, int w)
{
    if (w)
        kn_x64_byte(b, 0x48);
    kn_x64_byte(b, 0x99);
}

void kn_x64_bitscan(x64_buf *b, int w, uint8_t op, x64_reg r, x64_mem m)
{
    opc o = OP2(0x0f, op);
    if (op == 0xb8)
        o.pre = 0xf3;
    enc_m(b, w, o, r, m, false);
}

void kn_x64_setcc(x64_buf *b, x64_cc cc, x64_reg r) { enc_r(b, 0, OP2(0x0f, (uint8_t)(0x90 + cc)), 0, r, true); }
void kn_x64_movzx8_rr(x64_buf *b, x64_reg d, x64_reg s) { enc_r(b, 0, OP2(0x0f, 0xb6), d, s, true); }
void kn_x64_cmov(x64_buf *b, int w, x64_cc cc, x64_reg d, x64_reg s)
{
    enc_r(b, w, OP2(0x0f, (uint8_t)(0x40 + cc)), d, s, false);
}
void kn_x64_cmov_rm(x64_buf *b, int w, x64_cc cc, x64_reg d, x64_mem m)
{
    enc_m(b, w, OP2(0x0f, (uint8_t)(0x40 + cc)), d, m, false);
}
void kn_x64_dec_m(x64_buf *b, int w, x64_mem m) { enc_m(b, w, OP1(0xff), 1, m, false); }

size_t kn_x64_jmp32(x64_buf *b)
{
    kn_x64_byte(b, 0xe9);
    size_t at = b->len;
    kn_x64_u32(b, 0);
    return at;
}

size_t kn_x64_jcc32(x64_buf *b, x64_cc cc)
{
    kn_x64_byte(b, 0x0f);
    kn_x64_byte(b, (uint8_t)(0x80 + cc));
    size_t at = b->len;
    kn_x64_u32(b, 0);
    return at;
}

size_t kn_x64_call32(x64_buf *b)
{
    b->ncalls++;
    kn_x64_byte(b, 0xe8);
    size_t at = b->len;
    kn_x64_u32(b, 0);
    return at;
}

void kn_x64_call_m(x64_buf *b, x64_mem m)
{
    b->ncalls++;
    enc_m(b, 0, OP1(0xff), 2, m, false);
}

void kn_x64_call_r(x64_buf *b, x64_reg r)
{
    b->ncalls++;
    enc_r(b, 0, OP1(0xff), 2, r, false);
}
void kn_x64_jmp_r(x64_buf *b, x64_reg r) { enc_r(b, 0, OP1(0xff), 4, r, false); }
void kn_x64_ret(x64_buf *b) { kn_x64_byte(b, 0xc3); }
void kn_x64_vzeroupper(x64_buf *b) { kn_x64_bytes(b, (const uint8_t[]){0xc5, 0xf8, 0x77}, 3); }

/* The recommended multi-byte NOPs (nopw/nopl with a memory operand), so
 * that padding decodes as few instructions. */
void kn_x64_nops(x64_buf *b, size_t n)
{
    static const uint8_t nop[9][9] = {
        {0x90},
        {0x66, 0x90},
        {0x0f, 0x1f, 0x00},
        {0x0f, 0x1f, 0x40, 0x00},
        {0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
        {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
        {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
    };
    while (n) {
        size_t k = n < 9 ? n : 9;
        kn_x64_bytes(b, nop[k - 1], k);
        n -= k;
    }
}

void kn_x64_push(x64_buf *b, x64_reg r)
{
    emit_rex(b, 0, 0, 0, r, false);
    kn_x64_byte(b, (uint8_t)(0x50 + (r & 7)));
}

void kn_x64_pop(x64_buf *b, x64_reg r)
{
    emit_rex(b, 0, 0, 0, r, false);
    kn_x64_byte(b, (uint8_t)(0x58 + (r & 7)));
}

void kn_x64_rep_stosq(x64_buf *b) { kn_x64_bytes(b, (const uint8_t[]){0xf3, 0x48, 0xab}, 3); }

void kn_x64_lea_rip(x64_buf *b, x64_reg r, int32_t disp)
{
    emit_rex(b, 1, r, 0, 0, false);
    kn_x64_byte(b, 0x8d);
    kn_x64_byte(b, (uint8_t)(((r & 7) << 3) | 5));
    kn_x64_u32(b, (uint32_t)disp);
}

size_t kn_x64_lea_rip32(x64_buf *b, x64_reg r)
{
    kn_x64_lea_rip(b, r, 0);
    return b->len - 4;
}

static opc sse(int dbl, uint8_t op) { return (opc){(uint8_t)(dbl ? 0xf2 : 0xf3), 2, {0x0f, op, 0}}; }

/* movaps x, y: a whole-register copy.  movss/movsd between registers
 * would merge into the destination's old value, a dependency the
 * register slots (an xmm register as a direct operand) must not get. */
static void movaps(x64_buf *b, int x, int y) { enc_r(b, 0, (opc){0, 2, {0x0f, 0x28, 0}}, x, y, false); }

void kn_x64_sse_rm(x64_buf *b, int dbl, uint8_t op, int x, x64_mem m)
{
    if (op == X_SSE_LOAD && m.direct) {
        if (x != (int)m.base)
            movaps(b, x, m.base);
        return;
    }
    enc_m(b, 0, sse(dbl, op), x, m, false);
}
void kn_x64_sse_rr(x64_buf *b, int dbl, uint8_t op, int x, int y) { enc_r(b, 0, sse(dbl, op), x, y, false); }

/* VEX: map 0F, L = 0, W = 0; pp 3 is the F2 prefix (double), 2 F3. */
void kn_x64_vsse(x64_buf *b, int dbl, uint8_t op, int x, int v, x64_mem m)
{
    int base = m.direct ? m.base : m.rip || m.base == X_NOREG ? 0 : m.base;
    int index = !m.direct && !m.rip && m.index != X_NOREG ? m.index : 0;
    int nr = ~x >> 3 & 1, nx = ~index >> 3 & 1, nb = ~base >> 3 & 1;
    uint8_t tail = (uint8_t)((~v & 15) << 3 | (dbl ? 3 : 2));
    if (nx && nb) {                     /* the two-byte form */
        kn_x64_byte(b, 0xc5);
        kn_x64_byte(b, (uint8_t)(nr << 7 | tail));
    } else {
        kn_x64_byte(b, 0xc4);
        kn_x64_byte(b, (uint8_t)(nr << 7 | nx << 6 | nb << 5 | 1));
        kn_x64_byte(b, tail);
    }
    kn_x64_byte(b, op);
    if (m.direct)
        kn_x64_byte(b, (uint8_t)(0xc0 | (x & 7) << 3 | (m.base & 7)));
    else
        modrm_m(b, x, m);
}
void kn_x64_sse_store(x64_buf *b, int dbl, x64_mem m, int x)
{
    if (m.direct) {
        if (x != (int)m.base)
            movaps(b, m.base, x);
        return;
    }
    enc_m(b, 0, sse(dbl, 0x11), x, m, false);
}

void kn_x64_movdqu_load(x64_buf *b, int x, x64_mem m)
{
    enc_m(b, 0, (opc){0xf3, 2, {0x0f, 0x6f, 0}}, x, m, false);
}
void kn_x64_movdqu_store(x64_buf *b, x64_mem m, int x)
{
    enc_m(b, 0, (opc){0xf3, 2, {0x0f, 0x7f, 0}}, x, m, false);
}
void kn_x64_packed_rr(x64_buf *b, uint8_t op, int x, int y)
{
    enc_r(b, 0, (opc){0x66, 2, {0x0f, op, 0}}, x, y, false);
}
void kn_x64_packed38_rr(x64_buf *b, uint8_t op, int x, int y)
{
    enc_r(b, 0, (opc){0x66, 3, {0x0f, 0x38, op}}, x, y, false);
}
void kn_x64_movmsk(x64_buf *b, uint8_t pre, uint8_t op, x64_reg r, int x)
{
    enc_r(b, 0, (opc){pre, 2, {0x0f, op, 0}}, r, x, false);
}
void kn_x64_movd_load(x64_buf *b, int x, x64_mem m)
{
    enc_m(b, 0, (opc){0x66, 2, {0x0f, 0x6e, 0}}, x, m, false);
}
void kn_x64_movq_load(x64_buf *b, int x, x64_mem m)
{
    enc_m(b, 0, (opc){0xf3, 2, {0x0f, 0x7e, 0}}, x, m, false);
}
void kn_x64_fpacked_rr(x64_buf *b, int dbl, uint8_t op, int x, int y)
{
    enc_r(b, 0, (opc){(uint8_t)(dbl ? 0x66 : 0), 2, {0x0f, op, 0}}, x, y, false);
}

void kn_x64_packed_shift_i(x64_buf *b, uint8_t grp, int digit, int x, uint8_t imm)
{
    enc_r(b, 0, (opc){0x66, 2, {0x0f, grp, 0}}, digit, x, false);
    kn_x64_byte(b, imm);
}

void kn_x64_ucomis(x64_buf *b, int dbl, int x, int y)
{
    enc_r(b, 0, (opc){(uint8_t)(dbl ? 0x66 : 0), 2, {0x0f, 0x2e, 0}}, x, y, false);
}
void kn_x64_ucomis_rm(x64_buf *b, int dbl, int x, x64_mem m)
{
    enc_m(b, 0, (opc){(uint8_t)(dbl ? 0x66 : 0), 2, {0x0f, 0x2e, 0}}, x, m, false);
}

void kn_x64_cvtsi2s(x64_buf *b, int dbl, int w, int x, x64_reg r) { enc_r(b, w, sse(dbl, 0x2a), x, r, false); }
void kn_x64_movd(x64_buf *b, int w, int x, x64_reg r) { enc_r(b, w, (opc){0x66, 2, {0x0f, 0x6e, 0}}, x, r, false); }
void kn_x64_movd_to(x64_buf *b, int w, x64_reg r, int x) { enc_r(b, w, (opc){0x66, 2, {0x0f, 0x7e, 0}}, x, r, false); }

void kn_x64_round(x64_buf *b, int dbl, int x, x64_mem m, uint8_t mode)
{
    enc_m(b, 0, (opc){0x66, 3, {0x0f, 0x3a, (uint8_t)(dbl ? 0x0b : 0x0a)}}, x, m, false);
    kn_x64_byte(b, (uint8_t)(8 | mode));
}
