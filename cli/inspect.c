/*
 * inspect.c — `kiln inspect FILE`: a human-readable report of a module's
 * structure, in the spirit of `wasm-objdump -h -x`: the section table, then
 * every index space (types, imports, functions, tables, memories, globals),
 * exports, the start function, element and data segments, custom sections
 * and names.
 *
 * With --disassemble (--func, --lowered), --section or --data it shows code
 * or raw bytes instead (cli/disasm.c).  Functions are labelled with their
 * names and export names everywhere.
 *
 * It uses kiln.h for imports and exports and kiln_inspect.h for everything
 * else.  The module must validate first (the same error line and exit code 1
 * as `kiln validate` otherwise): a report on a module kiln would refuse to
 * run would be misleading.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"
#include "kiln.h"
#include "kiln_inspect.h"
#include "util.h"

static const char inspect_usage[] =
    "Usage: kiln inspect [OPTIONS] FILE\n"
    "\n"
    "Print the structure of a WebAssembly module: its sections with their\n"
    "byte ranges and entry counts, types, imports, functions (type, body\n"
    "size, name), tables, memories (limits in 64 KiB pages), globals (type,\n"
    "mutability, initialiser), exports, the start function, element and data\n"
    "segments (mode, offset expression, size), custom sections and the names\n"
    "from the name section.  Offsets are in hex, sizes in decimal bytes.\n"
    "\n"
    "Functions are labelled with their names (name section) and export\n"
    "names; the custom sections target_features and producers are decoded.\n"
    "\n"
    "FILE may be '-' to read a module from stdin.  An invalid module is\n"
    "reported like `kiln validate` does.\n"
    "\n"
    "The report ends with the tier the module would get: how many of its\n"
    "defined functions the native tier, the default where it exists,\n"
    "compiles (the rest stay interpreted).  For a .kcw (kiln compile) it starts with\n"
    "the artifact's header: format, the kiln and build that made it, CPU\n"
    "features, sizes, and whether this kiln would run its code.\n"
    "\n"
    "Options:\n"
    "  -d, --disassemble     Instead of the report, list every function body:\n"
    "                        byte offset, raw bytes and the instruction in the\n"
    "                        text format, like `objdump -d`\n"
    "  --func NAME|INDEX     Only this function (an index, a name from the name\n"
    "                        section or an export name); implies --disassemble\n"
    "  --lowered             After each function, kiln's lowered code (what the\n"
    "                        interpreter runs); implies --disassemble\n"
    "  --section NAME|INDEX  Dump one section's payload whole, as `xxd` does\n"
    "                        (NAME: type, code, ... or a custom section's name;\n"
    "                        INDEX: its position in the section list)\n"
    "  --data N              Dump data segment N whole\n"
    "  -h, --help            Show this help\n"
    "\n"
    "Exit codes:\n"
    "  0    success\n"
    "  1    the module could not be read, or is malformed or invalid\n"
    "  2    usage error\n";

/* Items of a long element segment, or bytes of a data segment, to show
 * before eliding the rest: enough to recognise them, not a hex dump. */
#define MAX_ELEM_ITEMS 16
#define MAX_DATA_PREVIEW 48

static void print_limits(const kiln_limits *l)
{
    printf("min=%" PRIu64, l->min);
    if (l->has_max)
        printf(" max=%" PRIu64, l->max);
}

static void print_func_ref(const kiln_module *m, uint32_t func)
{
    printf("func[%" PRIu32 "]", func);
    if (func < kiln_inspect_func_count(m))
        print_func_label(m, func);
}

static void print_expr(const kiln_module *m, kiln_expr e)
{
    char buf[256];
    size_t n = kiln_inspect_expr_text(m, e, buf, sizeof buf);
    fputs(buf, stdout);
    if (n >= sizeof buf)
        fputs("...", stdout);
}

/* Bytes as a C-like string literal, so text in data segments is readable
 * and binary is still unambiguous. */
static void print_bytes_preview(const uint8_t *p, uint32_t n)
{
    uint32_t shown = n < MAX_DATA_PREVIEW ? n : MAX_DATA_PREVIEW;
    putchar('"');
    for (uint32_t i = 0; i < shown; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\%02x", c);
    }
    putchar('"');
    if (shown < n)
        printf(" ... (%" PRIu32 " more bytes)", n - shown);
}

static void print_sections(const kiln_module *m)
{
    size_t n = kiln_inspect_section_count(m);
    printf("Sections (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        kiln_section_info s;
        kiln_inspect_section(m, i, &s);
        printf("  %-10s start=0x%08" PRIx32 " end=0x%08" PRIx32 " (size=%" PRIu32 ")",
               s.id == 0 ? "custom" : s.name, s.payload, s.payload + s.size, s.size);
        if (s.id == 0)
            printf(" \"%s\"", s.name);
        else if (s.id == 8) {
            uint32_t f;
            if (kiln_inspect_start(m, &f)) {
                printf(" start: ");
                print_func_ref(m, f);
            }
        } else
            printf(" count: %" PRIu32, s.count);
        putchar('\n');
    }
}

static void print_types(const kiln_module *m)
{
    size_t n = kiln_inspect_type_count(m);
    if (!n)
        return;
    printf("\nTypes (%zu):\n", n);
    char sig[512];
    for (size_t i = 0; i < n; i++) {
        kiln_functype t = kiln_inspect_type(m, i);
        printf("  type[%zu] %s\n", i, format_functype(&t, sig, sizeof sig));
    }
}

static const char *externkind_name(kiln_externkind k)
{
    switch (k) {
    case KILN_EXTERN_FUNC: return "func";
    case KILN_EXTERN_TABLE: return "table";
    case KILN_EXTERN_MEMORY: return "memory";
    case KILN_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

static void print_imports(const kiln_module *m)
{
    size_t n = kiln_module_import_count(m);
    if (!n)
        return;
    printf("\nImports (%zu):\n", n);
    /* kiln.h lists imports in file order; each kind has its own index
     * space, so count as we go to show the index each import takes. */
    uint32_t next[4] = {0, 0, 0, 0};
    char sig[512];
    for (size_t i = 0; i < n; i++) {
        kiln_import_desc d;
        kiln_module_import(m, i, &d);
        uint32_t idx = d.type.kind <= KILN_EXTERN_GLOBAL ? next[d.type.kind]++ : 0;
        printf("  %s[%" PRIu32 "] %s.%s: ", externkind_name(d.type.kind), idx, d.module, d.name);
        switch (d.type.kind) {
        case KILN_EXTERN_FUNC:
            fputs(format_functype(&d.type.func, sig, sizeof sig), stdout);
            break;
        case KILN_EXTERN_TABLE:
            printf("%s ", valkind_name(d.type.elem));
            print_limits(&d.type.limits);
            break;
        case KILN_EXTERN_MEMORY:
            printf("pages ");
            print_limits(&d.type.limits);
            break;
        case KILN_EXTERN_GLOBAL:
            printf("%s %s", d.type.global_mutable ? "mut" : "const",
                   valkind_name(d.type.global_type));
            break;
        }
        putchar('\n');
    }
}

static void print_functions(const kiln_module *m)
{
    size_t n = kiln_inspect_func_count(m);
    if (!n)
        return;
    printf("\nFunctions (%zu, %zu imported):\n", n, kiln_inspect_func_import_count(m));
    char sig[512];
    for (size_t i = 0; i < n; i++) {
        kiln_func_info f;
        kiln_inspect_func(m, i, &f);
        printf("  func[%zu] type[%" PRIu32 "] %s", i, f.type_index,
               format_functype(&f.type, sig, sizeof sig));
        if (f.imported)
            printf(" (imported)");
        else
            printf(" size=%" PRIu32 " locals=%" PRIu64 " code=0x%08" PRIx32, f.code_size,
                   f.nlocals, f.code_offset);
        print_func_label(m, (uint32_t)i);
        putchar('\n');
    }
}

static void print_tables(const kiln_module *m)
{
    size_t n = kiln_inspect_table_count(m);
    if (!n)
        return;
    printf("\nTables (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        kiln_table_info t;
        kiln_inspect_table(m, i, &t);
        printf("  table[%zu] %s ", i, valkind_name(t.elem));
        print_limits(&t.limits);
        printf("%s\n", t.imported ? " (imported)" : "");
    }
}

static void print_memories(const kiln_module *m)
{
    size_t n = kiln_inspect_memory_count(m);
    if (!n)
        return;
    printf("\nMemories (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        kiln_memory_info mem;
        kiln_inspect_memory(m, i, &mem);
        printf("  memory[%zu] pages ", i);
        print_limits(&mem.limits);
        printf("%s\n", mem.imported ? " (imported)" : "");
    }
}

static void print_globals(const kiln_module *m)
{
    size_t n = kiln_inspect_global_count(m);
    if (!n)
        return;
    printf("\nGlobals (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        kiln_global_info g;
        kiln_inspect_global(m, i, &g);
        printf("  global[%zu] %s %s", i, g.mutable_ ? "mut" : "const", valkind_name(g.type));
        if (g.imported) {
            printf(" (imported)");
        } else {
            printf(" init ");
            print_expr(m, g.init);
        }
        putchar('\n');
    }
}

static void print_exports(const kiln_module *m)
{
    size_t n = kiln_module_export_count(m);
    if (!n)
        return;
    printf("\nExports (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        kiln_export_desc d;
        kiln_module_export(m, i, &d);
        printf("  %s[%" PRIu32 "] \"%s\"", externkind_name(d.type.kind), d.index, d.name);
        if (d.type.kind == KILN_EXTERN_FUNC) {
            const char *name = kiln_inspect_func_name(m, d.index);
            if (name)
                printf(" <%s>", name);
        }
        putchar('\n');
    }
}

static void print_start(const kiln_module *m)
{
    uint32_t f;
    if (!kiln_inspect_start(m, &f))
        return;
    printf("\nStart: ");
    print_func_ref(m, f);
    putchar('\n');
}

static const char *mode_name(kiln_segment_mode mode)
{
    switch (mode) {
    case KILN_SEGMENT_ACTIVE: return "active";
    case KILN_SEGMENT_PASSIVE: return "passive";
    case KILN_SEGMENT_DECLARATIVE: return "declarative";
    }
    return "?";
}

static void print_elems(const kiln_module *m)
{
    size_t n = kiln_inspect_elem_count(m);
    if (!n)
        return;
    printf("\nElements (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        kiln_elem_info e;
        kiln_inspect_elem(m, i, &e);
        printf("  elem[%zu] %s", i, mode_name(e.mode));
        if (e.mode == KILN_SEGMENT_ACTIVE) {
            printf(" table=%" PRIu32 " offset=(", e.table);
            print_expr(m, e.offset);
            putchar(')');
        }
        printf(" %s count=%" PRIu32 "\n", valkind_name(e.type), e.count);
        uint32_t shown = e.count < MAX_ELEM_ITEMS ? e.count : MAX_ELEM_ITEMS;
        for (uint32_t k = 0; k < shown; k++) {
            kiln_elem_item it;
            kiln_inspect_elem_item(m, i, k, &it);
            printf("    [%" PRIu32 "] ", k);
            if (it.is_func)
                print_func_ref(m, it.func);
            else
                print_expr(m, it.expr);
            putchar('\n');
        }
        if (shown < e.count)
            printf("    ... (%" PRIu32 " more)\n", e.count - shown);
    }
}

static void print_datas(const kiln_module *m)
{
    size_t n = kiln_inspect_data_count(m);
    if (!n)
        return;
    printf("\nData (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        kiln_data_info d;
        kiln_inspect_data(m, i, &d);
        printf("  data[%zu] %s", i, mode_name(d.mode));
        if (d.mode == KILN_SEGMENT_ACTIVE) {
            printf(" memory=%" PRIu32 " offset=(", d.memory);
            print_expr(m, d.offset);
            putchar(')');
        }
        printf(" size=%" PRIu32 "\n    ", d.size);
        print_bytes_preview(d.data, d.size);
        putchar('\n');
    }
}

/* A LEB128 u32 and a length-prefixed string from a custom section's
 * content; false at the end or on anything malformed. */
static bool rd_u32(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *p < end && shift < 35; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (uint32_t)v;
            return v <= UINT32_MAX;
        }
    }
    return false;
}

static bool rd_str(const uint8_t **p, const uint8_t *end, const char **s, uint32_t *n)
{
    if (!rd_u32(p, end, n) || *n > (size_t)(end - *p))
        return false;
    *s = (const char *)*p;
    *p += *n;
    return true;
}

/* target_features: a vector of (prefix '+', '-' or '=', feature name). */
static bool print_target_features(const uint8_t *p, const uint8_t *end)
{
    uint32_t n, len;
    const char *s;
    if (!rd_u32(&p, end, &n))
        return false;
    printf("    features:");
    for (uint32_t i = 0; i < n; i++) {
        if (p >= end)
            return false;
        char prefix = (char)*p++;
        if (!rd_str(&p, end, &s, &len))
            return false;
        printf(" %c", prefix);
        print_name_escaped(s, len);
    }
    putchar('\n');
    return p == end;
}

/* producers: a vector of fields (language, processed-by, sdk), each a
 * vector of (name, version). */
static bool print_producers(const uint8_t *p, const uint8_t *end)
{
    uint32_t nfields, nvals, len;
    const char *s;
    if (!rd_u32(&p, end, &nfields))
        return false;
    for (uint32_t i = 0; i < nfields; i++) {
        if (!rd_str(&p, end, &s, &len) || !rd_u32(&p, end, &nvals))
            return false;
        printf("    ");
        print_name_escaped(s, len);
        putchar(':');
        for (uint32_t k = 0; k < nvals; k++) {
            if (!rd_str(&p, end, &s, &len))
                return false;
            printf("%s ", k ? "," : "");
            print_name_escaped(s, len);
            if (!rd_str(&p, end, &s, &len))
                return false;
            if (len) {
                putchar(' ');
                print_name_escaped(s, len);
            }
        }
        putchar('\n');
    }
    return p == end;
}

static void print_customs(const kiln_module *m)
{
    size_t n = kiln_inspect_custom_count(m);
    if (!n)
        return;
    printf("\nCustom sections (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        kiln_custom_info c;
        kiln_inspect_custom(m, i, &c);
        printf("  \"");
        print_name_escaped(c.name, strlen(c.name));
        printf("\" start=0x%08" PRIx32 " end=0x%08" PRIx32 " (size=%" PRIu32 ")\n", c.payload,
               c.payload + c.size, c.size);
        const uint8_t *end = c.data + c.data_size;
        bool ok = true;
        if (strcmp(c.name, "target_features") == 0)
            ok = print_target_features(c.data, end);
        else if (strcmp(c.name, "producers") == 0)
            ok = print_producers(c.data, end);
        if (!ok)
            printf("    (malformed %s section)\n", c.name);
    }
}

typedef struct inspect_opts {
    bool disassemble, lowered;
    const char *func, *section, *data;
} inspect_opts;

/* Options, then FILE; returns -1 to go on (with *first at FILE) or an exit
 * code. */
static int parse_opts(int argc, char **argv, inspect_opts *o, int *first)
{
    int i = 1;
    while (i < argc) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0)
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(inspect_usage, stdout);
            return CLI_EXIT_OK;
        }
        int r;
        if (strcmp(a, "-d") == 0 || strcmp(a, "--disassemble") == 0) {
            o->disassemble = true;
            i++;
        } else if (strcmp(a, "--lowered") == 0) {
            o->lowered = o->disassemble = true;
            i++;
        } else if ((r = option_value("inspect", argv, argc, &i, "--func", &o->func)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            o->disassemble = true;
        } else if ((r = option_value("inspect", argv, argc, &i, "--section", &o->section)) != 0 ||
                   (r = option_value("inspect", argv, argc, &i, "--data", &o->data)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else {
            return usage_error("inspect", "unknown option '%s'", a);
        }
    }
    if ((o->section != NULL) + (o->data != NULL) + o->disassemble > 1)
        return usage_error("inspect", "--disassemble, --section and --data go one at a time");
    *first = i;
    return -1;
}

static void print_report(const kiln_module *m, const char *path)
{
    printf("%s:\n", path);
    const char *name = kiln_inspect_module_name(m);
    if (name)
        printf("Module name: %s\n", name);
    putchar('\n');
    print_sections(m);
    print_types(m);
    print_imports(m);
    print_functions(m);
    print_tables(m);
    print_memories(m);
    print_globals(m);
    print_exports(m);
    print_start(m);
    print_elems(m);
    print_datas(m);
    print_customs(m);
}

static void print_hex(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

/* The header of a .kcw; false (after an error line) if it has none. */
static bool print_artifact(const char *path)
{
    uint8_t *bytes;
    size_t len;
    if (!read_file(path, &bytes, &len))
        return false;
    kiln_artifact_info in;
    kiln_error *err = kiln_artifact_inspect(bytes, len, &in);
    if (err) {
        cli_error("%s: %s", path, kiln_error_message(err));
        kiln_error_free(err);
        free(bytes);
        return false;
    }
    printf("%s: kiln compiled module (.kcw), %zu bytes\n", path, len);
    printf("  format:      %" PRIu32 "\n", in.format);
    printf("  made by:     kiln %s, build ", in.kiln_version);
    print_hex(in.build, 8);
    printf("\n  CPU:         0x%016" PRIx64 "\n", in.cpu_features);
    printf("  config:      0x%016" PRIx64 "\n", in.config_hash);
    printf("  module:      sha256 ");
    print_hex(in.module_sha256, 32);
    printf("%s\n", in.module ? "" : " (does not match the embedded bytes)");
    printf("  functions:   %" PRIu32 " native of %" PRIu32 "\n", in.native_funcs, in.funcs);
    printf("  code:        %" PRIu64 " bytes, %" PRIu32 " relocations\n", in.code_size,
           in.relocs);
    printf("  status:      %s\n\n", in.problem ? in.problem : "this kiln runs its code");
    free(bytes);
    return true;
}

/* Which tier the module's functions would get by default (the native
 * tier where this build has one). */
static void print_tier(const char *path)
{
    kiln_engine *engine;
    kiln_module *m;
    printf("\nTier:\n");
    if (!new_engine_tier(KILN_TIER_DEFAULT, &engine))
        return;
    if (load_module(engine, path, &m) == CLI_EXIT_OK) {
        uint32_t defined = 0, native = kiln_module_native_funcs(m, &defined);
        printf("  %s: %" PRIu32 " of %" PRIu32 " defined functions native by default"
               " (--tier interp: none)\n",
               native == 0 ? "interp" : native == defined ? "native" : "mixed", native, defined);
        kiln_module_free(m);
    }
    kiln_engine_free(engine);
}

static int inspect_main(int argc, char **argv)
{
    inspect_opts o = {0};
    int i = argc, done = parse_opts(argc, argv, &o, &i);
    if (done >= 0)
        return done;
    if (i >= argc)
        return usage_error("inspect", "missing FILE");
    if (i + 1 < argc)
        return usage_error("inspect", "unexpected argument '%s' (one FILE at a time)",
                           argv[i + 1]);
    const char *path = argv[i];

    bool artifact = file_is_artifact(path);
    if (artifact && !o.disassemble && !o.section && !o.data && !print_artifact(path))
        return CLI_EXIT_LOAD;
    kiln_engine *engine;
    if (!new_engine(&engine))
        return CLI_EXIT_LOAD;
    kiln_module *m;
    int code = load_module(engine, path, &m);
    if (code == CLI_EXIT_OK) {
        if (o.disassemble)
            code = inspect_disassemble(m, path, o.func, o.lowered);
        else if (o.section)
            code = inspect_dump_section(m, o.section);
        else if (o.data)
            code = inspect_dump_data(m, o.data);
        else
            print_report(m, path);
        kiln_module_free(m);
        if (!o.disassemble && !o.section && !o.data && strcmp(path, "-") != 0)
            print_tier(path);
    }
    kiln_engine_free(engine);
    return code;
}

const cli_command cli_inspect = {
    .name = "inspect",
    .summary = "Show the structure of a module",
    .usage = inspect_usage,
    .main = inspect_main,
};
