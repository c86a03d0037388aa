/*
 * print.c — `kiln print FILE`: a module as WebAssembly text (the spec's
 * text format), written by the library's text writer (kiln_wat_print.h),
 * on stdout or into the file given with -o.  The text parses back to an
 * equivalent module; custom sections are named in comments, not printed.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kiln.h"
#include "kiln_wat_print.h"
#include "util.h"

static const char print_usage[] =
    "Usage: kiln print [OPTIONS] FILE\n"
    "\n"
    "Print a WebAssembly module as text in the spec's text format: types,\n"
    "imports, functions (one instruction per line), tables, memories,\n"
    "globals, exports, the start function, element and data segments, with\n"
    "$names from the name section.  The text parses back to an equivalent\n"
    "module (e.g. with `wat2wasm`); custom sections are dropped, each named\n"
    "in a comment.\n"
    "\n"
    "FILE may be '-' to read a module from stdin.  An invalid module is\n"
    "reported like `kiln validate` does.\n"
    "\n"
    "Options:\n"
    "  -o FILE      Write the text to FILE instead of stdout\n"
    "  -h, --help   Show this help\n"
    "\n"
    "Exit codes:\n"
    "  0    success\n"
    "  1    the module could not be read, or is malformed or invalid, or\n"
    "       the output could not be written\n"
    "  2    usage error\n";

static int write_text(const char *path, const char *text, size_t len)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) {
        cli_error("%s: cannot open for writing", path);
        return CLI_EXIT_LOAD;
    }
    bool ok = fwrite(text, 1, len, f) == len;
    ok = (path ? fclose(f) : fflush(f)) == 0 && ok;
    if (!ok) {
        cli_error("%s: write failed", path ? path : "stdout");
        return CLI_EXIT_LOAD;
    }
    return CLI_EXIT_OK;
}

static int print_main(int argc, char **argv)
{
    const char *outpath = NULL;
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
            fputs(print_usage, stdout);
            return CLI_EXIT_OK;
        }
        int r = option_value("print", argv, argc, &i, "-o", &outpath);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0)
            return usage_error("print", "unknown option '%s'", a);
    }
    if (i >= argc)
        return usage_error("print", "missing FILE");
    if (i + 1 < argc)
        return usage_error("print", "unexpected argument '%s' (one FILE at a time)", argv[i + 1]);

    kiln_engine *engine;
    if (!new_engine(&engine))
        return CLI_EXIT_LOAD;
    kiln_module *m;
    int code = load_module(engine, argv[i], &m);
    if (code == CLI_EXIT_OK) {
        char *text;
        size_t len;
        kiln_error *e = kiln_wat_print(m, &text, &len);
        if (e) {
            cli_error("%s", kiln_error_message(e));
            kiln_error_free(e);
            code = CLI_EXIT_LOAD;
        } else {
            code = write_text(outpath, text, len);
            kiln_wat_print_free(text);
        }
        kiln_module_free(m);
    }
    kiln_engine_free(engine);
    return code;
}

const cli_command cli_print = {
    .name = "print",
    .summary = "Print a module as WebAssembly text",
    .usage = print_usage,
    .main = print_main,
};
