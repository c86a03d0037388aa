/*
 * disasm.h — Wasm instructions as text (disasm.c): decoding one
 * instruction of a function body or constant expression from the module
 * bytes and writing it in the text format's syntax.  Backs the instruction
 * view of kiln_inspect.h; the float spelling is shared with inspect.c's
 * constant expressions.
 */
#ifndef KN_DISASM_H
#define KN_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A float's bits as text-format text that reads back to the same bits:
 * the shortest round-tripping decimal, inf, nan or nan:0x<payload>.
 * snprintf-like: returns the full length. */
size_t kn_float_text(char *buf, size_t cap, uint64_t bits, bool is_f32);

#endif
