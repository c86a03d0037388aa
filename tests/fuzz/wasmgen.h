/*
 * wasmgen.h — a structure-aware generator of valid WebAssembly 2.0 modules
 * for the fuzzers.  It does not depend on kiln.
 *
 * The input bytes are read as a sequence of choices (an exhausted input
 * reads as zeros, and zero always means "the simplest thing", so every
 * input, the empty one too, makes a module).  The module has up to two
 * imported functions and globals, up to six defined functions with params,
 * locals and results of every value type, a memory with active and passive
 * data, a funcref table holding every function, globals (v128 ones too),
 * exports of everything, and bodies from a typed operand-stack generator:
 * every numeric, memory and (unless scalar-only) SIMD instruction, blocks,
 * loops that only branch back through a decreasing counter, if/else,
 * br/br_if/br_table/return, calls (only to later functions, rarely any),
 * call_indirect, select and locals.  See wasmgen.c.
 */
#ifndef KILN_WASMGEN_H
#define KILN_WASMGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Value types, as the binary format (and kiln_valkind) encode them. */
enum { WG_I32 = 0x7f, WG_I64 = 0x7e, WG_F32 = 0x7d, WG_F64 = 0x7c, WG_V128 = 0x7b };

typedef struct wg_options {
    int simd; /* 1: v128 types and the 0xfd instructions; 0: scalar only */
} wg_options;

typedef struct wg_module {
    uint8_t *bytes;
    size_t len;
    uint64_t arg_seed; /* for wg_value: the arguments of the exported calls */
} wg_module;

/* Makes a valid module from the choices in data[0..size).  Returns 0, or
 * -1 when out of memory (then *out is empty). */
int wg_generate(const uint8_t *data, size_t size, const wg_options *opt, wg_module *out);
void wg_module_free(wg_module *m);

/* An argument of type t (WG_*), chosen from *rng (advanced) with a bias to
 * boundary values (NaNs, infinities, -0, INT_MIN, ...): its little-endian
 * bytes (4, 8 or 16 of out). */
void wg_value(uint64_t *rng, uint8_t t, uint8_t out[16]);

/* The simd mode a target should use: KILN_FUZZ_GEN_SIMD=0|1 in the
 * environment, else the build's default (-DKILN_FUZZ_GEN_SIMD=0|1, 1 if
 * not set). */
int wg_simd_default(void);

/* The catalog: one exported function per instruction the generator knows
 * (in mode opt->simd), each applying it to its params; writes each
 * function's instruction name, one a line in function order, to names
 * (when not NULL).  For checking the opcode table against wasm-objdump. */
int wg_catalog(const wg_options *opt, wg_module *out, FILE *names);

#endif
