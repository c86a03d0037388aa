/*
 * wast.h — the parts of `kiln wast` shared between its files: turning the
 * script's values into kiln values and judging results (wast_value.c), and
 * the standard "spectest" host module (wast_value.c as well).
 *
 * Everything here works through the public headers only (kiln.h,
 * kiln_wat.h), as any embedder would.
 */
#ifndef KILN_CLI_WAST_H
#define KILN_CLI_WAST_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln.h"
#include "kiln_wat.h"

/* An argument as a kiln value.  False (with why) for what a script can
 * write but no embedder can make: a ref.func argument. */
bool wast_arg(const kiln_wast_value *v, kiln_val *out, char *why, size_t n);

/* Does got match one expected result (any of an `either`)? */
bool wast_result_matches(const kiln_wast_result *want, const kiln_val *got);

/* The script's spelling of an expected result ("i32 7 (0x7)",
 * "f32 nan:canonical", "v128 i32x4 1 2 3 4", "either(...)"), and of a
 * value kiln returned, written in the same style (v128 lanes in the shape
 * of the expected result, when there is one) so the two can be compared
 * by eye. */
void wast_format_result(const kiln_wast_result *want, char *buf, size_t n);
void wast_format_got(const kiln_val *got, const kiln_wast_result *like, char *buf, size_t n);

/* "trap error: integer divide by zero" — an engine error on one line. */
const char *wast_describe_error(const kiln_error *e, char *buf, size_t n);

/* Define spectest.print*, global_i32/i64/f32/f64, table and memory in
 * the linker, as the spec interpreter does.  NULL or the engine's error. */
kiln_error *wast_define_spectest(kiln_store *store, kiln_linker *linker);

#endif
