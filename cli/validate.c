/*
 * validate.c — `kiln validate FILE...`: decode and validate modules without
 * running them, for build scripts and for checking a toolchain's output.
 *
 * Each valid file prints "FILE: valid" on stdout; each invalid one prints the
 * same one-line error `kiln run` would (with the byte offset) on stderr.
 * Every file is checked even after a failure, so one call reports them all;
 * the exit code is 1 if any failed.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kiln.h"
#include "util.h"

static const char validate_usage[] =
    "Usage: kiln validate [OPTIONS] FILE...\n"
    "\n"
    "Check that each FILE is a well-formed, valid WebAssembly module.  Prints\n"
    "`FILE: valid` for each valid module, or one error line with the byte\n"
    "offset of the problem:\n"
    "\n"
    "  kiln: FILE: error at offset 0x1a: MESSAGE\n"
    "\n"
    "FILE may be '-' to read a module from stdin.\n"
    "\n"
    "Options:\n"
    "  -h, --help   Show this help\n"
    "\n"
    "Exit codes:\n"
    "  0    every module is valid\n"
    "  1    some module could not be read, or is malformed or invalid\n"
    "  2    usage error\n";

static int validate_main(int argc, char **argv)
{
    int i, done = parse_help_only("validate", validate_usage, argc, argv, &i);
    if (done >= 0)
        return done;
    if (i >= argc)
        return usage_error("validate", "missing FILE");

    kiln_engine *engine;
    if (!new_engine(&engine))
        return CLI_EXIT_LOAD;
    int code = CLI_EXIT_OK;
    for (; i < argc; i++) {
        kiln_module *module;
        if (load_module(engine, argv[i], &module) != CLI_EXIT_OK) {
            code = CLI_EXIT_LOAD;
            continue;
        }
        kiln_module_free(module);
        printf("%s: valid\n", argv[i]);
    }
    kiln_engine_free(engine);
    return code;
}

const cli_command cli_validate = {
    .name = "validate",
    .summary = "Check that modules are valid without running them",
    .usage = validate_usage,
    .main = validate_main,
};
