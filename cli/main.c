/*
 * main.c — the kiln command: picks a subcommand from the first argument and
 * handles the few things that belong to no subcommand (--version, help).
 *
 * Each subcommand lives in its own file (run.c, validate.c, inspect.c,
 * serve.c, call.c, compile.c) and owns its options and its help text; this file only knows
 * their names.
 * Usage errors anywhere exit with 2 after one line on stderr and a hint
 * pointing at the relevant help, so scripts can tell "you called me wrong"
 * from "your module is broken" (1) and "your program trapped" (134).
 *
 * A first argument that is no command name means `run`, as in wasmtime:
 * `kiln app.wasm ARGS` and `kiln --fuel 9 app.wasm` are `kiln run ...`.
 * Command names win, so a module file named like a command is run as
 * `kiln run run` or `kiln ./run`; a word that is neither a command nor an
 * existing file is reported as an unknown command, not a missing file.
 */
#include <unistd.h>

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kiln.h"
#include "util.h"

static const cli_command *const commands[] = {&cli_run,   &cli_validate, &cli_inspect,
                                              &cli_serve, &cli_call, &cli_print, &cli_parse,
                                              &cli_wast, &cli_compile};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_main_usage(FILE *out)
{
    fputs("kiln — a WebAssembly runtime\n"
          "\n"
          "Usage: kiln <COMMAND> [OPTIONS] ...\n"
          "       kiln [RUN OPTIONS] FILE [ARGS...]   (the same as kiln run)\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-10s %s\n", "help", "Show help for kiln or one of its commands");
    fputs("\n"
          "Options:\n"
          "  -h, --help     Show this help\n"
          "  -V, --version  Print the version\n"
          "\n",
          out);
    fputs(CLI_EXIT_CODES_TEXT, out);
    fputs("\nA FILE in place of the command runs it: 'kiln app.wasm' is 'kiln run\n"
          "app.wasm'.  Command names come first, so run a file named like a\n"
          "command as 'kiln run run' or 'kiln ./run'.\n"
          "\nRun 'kiln help <COMMAND>' for more about a command.\n",
          out);
}

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc <= 1) {
        print_main_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2)
        return usage_error(NULL, "help takes at most one command name");
    if (strcmp(argv[1], "help") == 0) {
        fputs("Usage: kiln help [COMMAND]\n\nShow help for kiln or one of its commands.\n",
              stdout);
        return CLI_EXIT_OK;
    }
    const cli_command *c = find_command(argv[1]);
    if (!c)
        return usage_error(NULL, "no such command '%s'", argv[1]);
    fputs(c->usage, stdout);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("kiln %s\n", kiln_version());
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_main_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(first, "help") == 0)
        return cmd_help(argc - 1, argv + 1);
    const cli_command *c = find_command(first);
    if (c)
        return c->main(argc - 1, argv + 1);
    /* `kiln FILE` and `kiln --option ... FILE` are `kiln run ...`: run's
     * parser sees argv from here, with argv[0] standing for "run".  A bare
     * word that names no file is more likely a mistyped command. */
    if (first[0] != '-' && access(first, F_OK) != 0 && !strstr(first, ".wasm") &&
        !strstr(first, ".wat") && !strchr(first, '/'))
        return usage_error(NULL, "unknown command '%s' (and no such file)", first);
    return cli_run.main(argc, argv);
}
