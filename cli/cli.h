/*
 * cli.h — the subcommands of the kiln command and their help texts.
 *
 * main.c dispatches on the first argument; each subcommand lives in its own
 * file and receives argv starting at its own name (argv[0] == "run").
 */
#ifndef KILN_CLI_H
#define KILN_CLI_H

typedef struct cli_command {
    const char *name;
    const char *summary;      /* one line for `kiln help` */
    const char *usage;        /* the full text for `kiln help NAME` */
    int (*main)(int argc, char **argv);
} cli_command;

extern const cli_command cli_run;
extern const cli_command cli_validate;
extern const cli_command cli_inspect;
extern const cli_command cli_serve;
extern const cli_command cli_call;
extern const cli_command cli_print;
extern const cli_command cli_parse;
extern const cli_command cli_wast;
extern const cli_command cli_compile;

/* `kiln serve`'s help, shared with kiln-serve (serve_usage.c). */
extern const char cli_serve_usage[];

#endif
