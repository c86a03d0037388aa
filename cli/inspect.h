/*
 * inspect.h — the parts of `kiln inspect` that live in cli/disasm.c:
 * disassembly and whole dumps of one section or data segment, and the
 * function labels both files print.
 */
#ifndef KILN_CLI_INSPECT_H
#define KILN_CLI_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/* Bytes as they are where printable ASCII, else \hh; quotes and
 * backslashes escaped. */
void print_name_escaped(const char *s, size_t n);
/* " <name>" from the name section, then " (export \"NAME\")" per export. */
void print_func_label(const kiln_module *m, uint32_t func);
/* --disassemble [--func SEL] [--lowered]; exit code. */
int inspect_disassemble(const kiln_module *m, const char *path, const char *func_sel, bool lowered);
/* --section NAME|INDEX and --data N; exit code. */
int inspect_dump_section(const kiln_module *m, const char *sel);
int inspect_dump_data(const kiln_module *m, const char *sel);

#endif
