/*
 * diag.h — the words of the engine's error messages: instruction names
 * (from opcodes.def, the one opcode table), value type lists and function
 * names.  Used by the validator (compile.c) to say which function and which
 * instruction failed and by the interpreter to name backtrace frames.
 */
#ifndef KN_DIAG_H
#define KN_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"

/* The text name of the instruction with opcode `byte` (and, after a 0xfc
 * or 0xfd prefix, sub-opcode `sub`), or NULL if kiln knows no such one. */
const char *kn_instr_name(uint8_t byte, uint32_t sub);

/* "i32", "funcref", ...; `any` for 0 (the unknown type of an unreachable
 * stack). */
const char *kn_valtype_name(kn_valtype t);

/* Writes "[i32, f64]" for n types at buf (at most cap bytes, always
 * terminated), "[..., i32, f64]" when `skipped` more came before them. */
void kn_format_types(char *buf, size_t cap, const kn_valtype *t, uint32_t n, uint32_t skipped);

/* "expected [i32, i32] but got [i64]" at buf: want are an instruction's
 * inputs (nwant, bottom first, then an i32 if want_i32), got the types the
 * stack held (ngot, after got_skipped not shown).  Long lists keep their
 * last entries, nearest the stack top, where a mismatch is seen. */
void kn_format_mismatch(char *buf, size_t cap, const kn_valtype *want, uint32_t nwant,
                        bool want_i32, const kn_valtype *got, uint32_t ngot,
                        uint32_t got_skipped);

/* The best name of function fi: its name-section entry, else the name of
 * the first export of it, else NULL.  Optimised builds strip the name
 * section but keep their exports (a command's _start), so backtraces and
 * validation errors still say something a reader recognises. */
const char *kn_func_name(const kn_module *m, uint32_t fi);

#endif
