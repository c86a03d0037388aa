/*
 * parse.c — `kiln parse FILE [-o OUT]`: the text format to a binary module,
 * as wasm-tools names it.
 *
 * The conversion is the library's (kiln_wat_to_wasm, via read_module_file,
 * which every other command also loads through, there with names); it does
 * not validate, so `kiln validate` is the next step for a module kiln
 * should run.  Without --debug-names the output is wat2wasm's, byte for
 * byte; a binary input passes through unchanged.  Without -o the binary goes to stdout,
 * unless stdout is a terminal (as wasm-tools refuses too).  A parse error
 * prints "kiln: FILE:LINE:COL: message" and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kiln.h"
#include "util.h"

static const char parse_usage[] =
    "Usage: kiln parse [OPTIONS] FILE\n"
    "\n"
    "Convert a module in the WebAssembly text format (.wat) to the binary\n"
    "format.  FILE may be '-' to read stdin; a binary FILE is copied as it is.\n"
    "The module is not validated: run `kiln validate` on the result for that.\n"
    "Errors name the line and column:\n"
    "\n"
    "  kiln: FILE:LINE:COL: MESSAGE\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   Write the binary to FILE (default: stdout, which\n"
    "                      must not be a terminal)\n"
    "  --debug-names       Add a name section with the text's $names (as\n"
    "                      wat2wasm --debug-names)\n"
    "  -h, --help          Show this help\n"
    "\n"
    "Exit codes:\n"
    "  0    converted\n"
    "  1    FILE could not be read or parsed, or the output not written\n"
    "  2    usage error\n";

static int write_output(const char *out, const uint8_t *bytes, size_t len)
{
    bool to_stdout = out == NULL || strcmp(out, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(out, "wb");
    if (!f) {
        cli_error("%s: %s", out, strerror(errno));
        return CLI_EXIT_LOAD;
    }
    bool ok = fwrite(bytes, 1, len, f) == len;
    ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
    if (!ok) {
        cli_error("%s: %s", to_stdout ? "stdout" : out, strerror(errno ? errno : EIO));
        return CLI_EXIT_LOAD;
    }
    return CLI_EXIT_OK;
}

static int parse_main(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    bool names = false;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        int r;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(parse_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (strcmp(a, "--debug-names") == 0) {
            names = true;
            i++;
            continue;
        }
        if ((r = option_value("parse", argv, argc, &i, "-o", &out)) != 0 ||
            (r = option_value("parse", argv, argc, &i, "--output", &out)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        if (a[0] == '-' && strcmp(a, "-") != 0)
            return usage_error("parse", "unknown option '%s'", a);
        if (file)
            return usage_error("parse", "unexpected argument '%s' (one FILE at a time)", a);
        file = a;
        i++;
    }
    if (!file)
        return usage_error("parse", "missing FILE");
    if ((!out || strcmp(out, "-") == 0) && isatty(STDOUT_FILENO))
        return usage_error("parse", "refusing to write a binary module to a terminal; "
                                    "use -o FILE or a pipe");
    uint8_t *bytes;
    size_t len;
    if (!read_module_file(file, names, &bytes, &len))
        return CLI_EXIT_LOAD;
    int code = write_output(out, bytes, len);
    free(bytes);
    return code;
}

const cli_command cli_parse = {
    .name = "parse",
    .summary = "Convert a text-format module (.wat) to a binary",
    .usage = parse_usage,
    .main = parse_main,
};
