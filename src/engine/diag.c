/*
 * diag.c — the words of the engine's error messages (diag.h).
 *
 * Instruction names come from opcodes.def's TEXT column, so a new
 * instruction is named in messages as soon as it has a row; nothing here
 * lists opcodes.  Nothing allocates: messages are built by the caller into
 * bounded buffers, so a long type list is shortened rather than failing.
 */
#include <stdio.h>
#include <string.h>

#include "diag.h"

/* Names by opcode space: single bytes, 0xfc (misc), 0xfd (SIMD); the
 * Wasm 2.0 sub-opcodes of both prefixes are below 256. */
#define DIAG_IDX(PFX) ((PFX) == 0xfc ? 1 : (PFX) == 0xfd ? 2 : 0)
static const char *const instr_names[3][256] = {
#define KN_CTRL(ID, PFX, CODE, TEXT, LAYOUT) [DIAG_IDX(PFX)][CODE] = TEXT,
#define KN_LOAD(ID, PFX, CODE, TEXT, T, MEMT) KN_CTRL(ID, PFX, CODE, TEXT, "")
#define KN_STORE(ID, PFX, CODE, TEXT, T, MEMT) KN_CTRL(ID, PFX, CODE, TEXT, "")
#define KN_UNOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) KN_CTRL(ID, PFX, CODE, TEXT, "")
#define KN_BINOP(ID, PFX, CODE, TEXT, IN, OUT, EXPR) KN_CTRL(ID, PFX, CODE, TEXT, "")
#define KN_UNOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) KN_CTRL(ID, PFX, CODE, TEXT, "")
#define KN_BINOP_T(ID, PFX, CODE, TEXT, IN, OUT, FN) KN_CTRL(ID, PFX, CODE, TEXT, "")
#include "opcodes.def"
};

const char *kn_instr_name(uint8_t byte, uint32_t sub)
{
    if (byte == 0xfc || byte == 0xfd)
        return sub < 256 ? instr_names[DIAG_IDX(byte)][sub] : NULL;
    return instr_names[0][byte];
}

const char *kn_valtype_name(kn_valtype t)
{
    const char *s = t ? kiln_valkind_name((kiln_valkind)t) : "any";
    return s ? s : "?";
}

void kn_format_types(char *buf, size_t cap, const kn_valtype *t, uint32_t n, uint32_t skipped)
{
    size_t len = (size_t)snprintf(buf, cap, "[%s", skipped ? "..." : "");
    for (uint32_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i || skipped ? ", " : "",
                                kn_valtype_name(t[i]));
    if (len < cap)
        snprintf(buf + len, cap - len, "]");
}

void kn_format_mismatch(char *buf, size_t cap, const kn_valtype *want, uint32_t nwant,
                        bool want_i32, const kn_valtype *got, uint32_t ngot, uint32_t got_skipped)
{
    enum { SHOW = 8 };
    kn_valtype w[SHOW];
    uint32_t total = nwant + want_i32, nw = total < SHOW ? total : SHOW;
    for (uint32_t i = 0; i < nw; i++) {
        uint32_t k = total - nw + i;
        w[i] = k < nwant ? want[k] : KN_I32;
    }
    char ws[SHOW * 12 + 16], gs[SHOW * 12 + 16];
    kn_format_types(ws, sizeof ws, w, nw, total - nw);
    kn_format_types(gs, sizeof gs, got, ngot, got_skipped);
    snprintf(buf, cap, "expected %s but got %s", ws, gs);
}

const char *kn_func_name(const kn_module *m, uint32_t fi)
{
    if (fi >= m->nfuncs)
        return NULL;
    if (m->func_names && m->func_names[fi])
        return m->func_names[fi];
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == KN_EXT_FUNC && m->exports[i].index == fi)
            return m->exports[i].name;
    return NULL;
}
