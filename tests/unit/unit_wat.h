/*
 * unit_wat.h — the unit tests' one way from WebAssembly text to module
 * bytes: with debug names (so backtraces name functions), printing the
 * parser's message when the text is wrong.  The caller frees *wasm with
 * kiln_wat_free.
 */
#ifndef KN_UNIT_WAT_H
#define KN_UNIT_WAT_H

#include <stdio.h>
#include <string.h>

#include "kiln_wat.h"

static inline bool unit_wat(const char *text, uint8_t **wasm, size_t *len)
{
    kiln_wat_error we;
    kiln_wat_options o = {.debug_names = true};
    if (kiln_wat_to_wasm_opts(text, strlen(text), &o, wasm, len, &we))
        return true;
    printf("  wat: %u:%u: %s\n", we.line, we.column, we.message);
    return false;
}

#endif
