/*
 * kiln_wat_print.h — a module as WebAssembly text (the spec's text format).
 *
 * The text writer of kiln's text-format layer (src/wat/); it reads the
 * module through kiln_inspect.h only, so the engine knows nothing of it.
 * The text is flat (one instruction per line, blocks closed by `end`),
 * with $names from the name section for the module and its functions, and
 * parses back to an equivalent module: the same types, imports, functions
 * and their code, tables, memories, globals, exports, start function,
 * element and data segments.  Custom sections are not printed (a comment
 * names each one that was dropped).
 */
#ifndef KILN_WAT_PRINT_H
#define KILN_WAT_PRINT_H

#include <stddef.h>

#include "kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The module as text, in a NUL-terminated buffer (*out, of *len bytes
 * without the NUL) that the caller releases with kiln_wat_print_free.  The
 * only error is running out of memory (KILN_ERR_NOMEM). */
KILN_API kiln_error *kiln_wat_print(const kiln_module *m, char **out, size_t *len);
KILN_API void kiln_wat_print_free(char *text);

#ifdef __cplusplus
}
#endif
#endif
