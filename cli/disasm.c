/*
 * disasm.c — the views of `kiln inspect` that show code and raw bytes:
 * --disassemble (function bodies with byte offsets, as `objdump -d` shows
 * machine code, optionally with kiln's lowered code after each function),
 * --section and --data (one section's payload or one data segment, whole,
 * as an `xxd` hex dump).
 *
 * Everything comes from kiln_inspect.h: the instruction text is the
 * engine's (the spec's text syntax, names from the opcode table), and the
 * lowered listing is the engine's debug view of what the interpreter runs.
 * A lowered listing that does not walk cleanly is reported as an engine
 * bug (exit 1), which is what the lowering tests rely on.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "kiln_inspect.h"
#include "util.h"

/* Raw bytes shown on one line before the instruction text; longer
 * instructions continue on following lines, as objdump does. */
#define BYTES_PER_LINE 8

void print_name_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\%02x", c);
    }
}

void print_func_label(const kiln_module *m, uint32_t func)
{
    const char *name = kiln_inspect_func_name(m, func);
    if (name)
        printf(" <%s>", name);
    size_t n = kiln_module_export_count(m);
    for (size_t i = 0; i < n; i++) {
        kiln_export_desc d;
        kiln_module_export(m, i, &d);
        if (d.type.kind == KILN_EXTERN_FUNC && d.index == func) {
            printf(" (export \"");
            print_name_escaped(d.name, strlen(d.name));
            printf("\")");
        }
    }
}

static void print_line(const uint8_t *bytes, uint32_t off, uint32_t size, int depth, const char *text)
{
    for (uint32_t k = 0; k == 0 || k < size; k += BYTES_PER_LINE) {
        printf(" %06" PRIx32 ":", off + k);
        uint32_t n = size - k < BYTES_PER_LINE ? size - k : BYTES_PER_LINE;
        for (uint32_t j = 0; j < BYTES_PER_LINE; j++) {
            if (j < n)
                printf(" %02x", bytes[off + k + j]);
            else
                fputs("   ", stdout);
        }
        if (k == 0)
            printf(" | %*s%s", 2 * depth, "", text);
        putchar('\n');
    }
}

static int print_lowered(const kiln_module *m, uint32_t func)
{
    kiln_lowered_info li;
    if (!kiln_inspect_lowered(m, func, &li))
        return CLI_EXIT_OK;
    printf("  lowered: %" PRIu32 " words, frame %" PRIu32 " slots (%" PRIu32 " params, %" PRIu32
           " locals)\n",
           li.nwords, li.frame_slots, li.param_slots, li.local_slots);
    char text[512];
    kiln_lowered_instr in;
    for (uint32_t pc = 0; pc < li.nwords; pc += in.nwords) {
        if (!kiln_inspect_lowered_instr(m, func, pc, &in, text, sizeof text))
            break;
        printf("    %04" PRIu32 ": %s%s\n", pc, text, in.text_len >= sizeof text ? " ..." : "");
    }
    uint32_t bad;
    if (!kiln_inspect_lowered_check(m, func, &bad)) {
        cli_error("lowered code of func[%" PRIu32 "] does not walk cleanly at word %" PRIu32
                  " (an engine bug)",
                  func, bad);
        return CLI_EXIT_LOAD;
    }
    return CLI_EXIT_OK;
}

static int disassemble_func(const kiln_module *m, const uint8_t *bytes, uint32_t func, bool lowered)
{
    kiln_func_info f;
    kiln_inspect_func(m, func, &f);
    char sig[512];
    printf("\nfunc[%" PRIu32 "]", func);
    print_func_label(m, func);
    printf(": type[%" PRIu32 "] %s%s\n", f.type_index, format_functype(&f.type, sig, sizeof sig),
           f.imported ? " (imported)" : "");
    if (f.imported)
        return CLI_EXIT_OK;
    /* The local declarations: from after the entry's size field to the
     * first instruction. */
    uint32_t decl = f.body_offset - (f.code_size - f.body_size);
    char text[4096];
    snprintf(text, sizeof text, "(%" PRIu64 " locals)", f.nlocals);
    print_line(bytes, decl, f.body_offset - decl, 0, text);
    uint32_t end = f.body_offset + f.body_size;
    int depth = 1;
    kiln_instr in;
    for (uint32_t off = f.body_offset; off < end; off += in.size) {
        if (!kiln_inspect_instr(m, off, end, &in, text, sizeof text)) {
            cli_error("func[%" PRIu32 "]: no instruction at 0x%" PRIx32, func, off);
            return CLI_EXIT_LOAD;
        }
        if (in.nest < 0 || in.is_else)
            depth--;
        if (in.has_func) {
            const char *name = kiln_inspect_func_name(m, in.func);
            size_t len = strlen(text);
            if (name && len + 4 < sizeof text)
                snprintf(text + len, sizeof text - len, " <%s>", name);
        }
        print_line(bytes, off, in.size, depth > 0 ? depth : 0, text);
        if (in.nest > 0 || in.is_else)
            depth++;
    }
    return lowered ? print_lowered(m, func) : CLI_EXIT_OK;
}

/* A function given by index, name-section name or export name. */
static bool find_func(const kiln_module *m, const char *sel, uint32_t *out)
{
    size_t n = kiln_inspect_func_count(m);
    uint64_t v;
    if (parse_count(sel, &v) == NUM_OK) {
        *out = (uint32_t)v;
        return v < n;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = kiln_inspect_func_name(m, i);
        if (name && strcmp(name, sel) == 0) {
            *out = (uint32_t)i;
            return true;
        }
    }
    size_t ne = kiln_module_export_count(m);
    for (size_t i = 0; i < ne; i++) {
        kiln_export_desc d;
        kiln_module_export(m, i, &d);
        if (d.type.kind == KILN_EXTERN_FUNC && strcmp(d.name, sel) == 0) {
            *out = d.index;
            return true;
        }
    }
    return false;
}

int inspect_disassemble(const kiln_module *m, const char *path, const char *func_sel, bool lowered)
{
    size_t len;
    const uint8_t *bytes = kiln_inspect_bytes(m, &len);
    uint32_t only = 0;
    if (func_sel && !find_func(m, func_sel, &only))
        return usage_error("inspect", "--func %s: no such function (give an index below %zu, "
                                      "a name or an export name)",
                           func_sel, kiln_inspect_func_count(m));
    printf("%s: disassembly of the code section\n", path);
    size_t n = kiln_inspect_func_count(m);
    int code = CLI_EXIT_OK;
    for (size_t i = func_sel ? only : kiln_inspect_func_import_count(m); i < n; i++) {
        int c = disassemble_func(m, bytes, (uint32_t)i, lowered);
        if (c != CLI_EXIT_OK)
            code = c;
        if (func_sel)
            break;
    }
    return code;
}

/* ---- Hex dumps -------------------------------------------------------------- */

/* xxd's layout: offset, 16 bytes in groups of two, the printable ones.
 * Offsets count from `base` (the file offset of the first byte). */
static void hex_dump(const uint8_t *p, size_t n, uint64_t base)
{
    for (size_t i = 0; i < n; i += 16) {
        printf("%08" PRIx64 ":", base + i);
        for (size_t j = 0; j < 16; j++) {
            if (j % 2 == 0)
                putchar(' ');
            if (i + j < n)
                printf("%02x", p[i + j]);
            else
                fputs("  ", stdout);
        }
        fputs("  ", stdout);
        for (size_t j = 0; j < 16 && i + j < n; j++)
            putchar(p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
        putchar('\n');
    }
}

int inspect_dump_section(const kiln_module *m, const char *sel)
{
    size_t n = kiln_inspect_section_count(m), len;
    const uint8_t *bytes = kiln_inspect_bytes(m, &len);
    uint64_t v;
    bool by_index = parse_count(sel, &v) == NUM_OK;
    for (size_t i = 0; i < n; i++) {
        kiln_section_info s;
        kiln_inspect_section(m, i, &s);
        if (by_index ? v != i : strcmp(s.name, sel) != 0)
            continue;
        printf("section[%zu] %s%s%s start=0x%08" PRIx32 " end=0x%08" PRIx32 " (size=%" PRIu32 ")\n",
               i, s.id == 0 ? "custom \"" : "", s.name, s.id == 0 ? "\"" : "", s.payload,
               s.payload + s.size, s.size);
        hex_dump(bytes + s.payload, s.size, s.payload);
        return CLI_EXIT_OK;
    }
    if (by_index)
        return usage_error("inspect", "--section %s: no such section (the module has %zu)", sel, n);
    return usage_error("inspect", "--section %s: no section of that name", sel);
}

int inspect_dump_data(const kiln_module *m, const char *sel)
{
    size_t n = kiln_inspect_data_count(m);
    uint64_t v;
    if (parse_count(sel, &v) != NUM_OK)
        return usage_error("inspect", "--data %s: expected a data segment index", sel);
    if (v >= n)
        return usage_error("inspect", "--data %s: no such data segment (the module has %zu)", sel, n);
    kiln_data_info d;
    kiln_inspect_data(m, (size_t)v, &d);
    printf("data[%" PRIu64 "] size=%" PRIu32 " (offsets from the segment's start; at 0x%08" PRIx32
           " in the file)\n",
           v, d.size, d.data_offset);
    hex_dump(d.data, d.size, 0);
    return CLI_EXIT_OK;
}
