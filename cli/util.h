/*
 * util.h — helpers shared by the kiln subcommands: exit codes, error
 * printing, reading and loading a module file, and the text forms of values,
 * sizes and durations used on the command line.
 *
 * The CLI is an ordinary embedder: it sees only include/kiln.h and
 * include/kiln_inspect.h, never the engine's internal headers.
 */
#ifndef KILN_CLI_UTIL_H
#define KILN_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/* Exit codes of the kiln command (also listed in `kiln help`):
 *   0    success
 *   1    the module could not be read, decoded, validated or linked
 *   2    usage error (bad command, option or argument)
 *   134  the guest trapped or hit a limit (fuel, timeout, interrupt, a
 *        memory or table cap): 128 + SIGABRT, as wasmtime exits on a trap,
 *        so that no guest exit code (proc_exit takes 0-125 by convention)
 *        can be mistaken for it
 *   N    a guest that exits explicitly (proc_exit) passes its code through */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_LOAD = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_TRAP = 134,
};

/* The same table for help texts (a literal, so it can be concatenated). */
#define CLI_EXIT_CODES_TEXT                                                        \
    "Exit codes:\n"                                                               \
    "  0    success\n"                                                            \
    "  1    the module could not be read, decoded, validated or linked\n"         \
    "  2    usage error: unknown command or option, bad option value, wrong\n"   \
    "       arguments for --invoke, nothing to run\n"                            \
    "  134  the guest trapped (\"kiln: trap: ...\"), or reached a limit\n"        \
    "       (\"kiln: limit reached: ...\": fuel, timeout, interrupt, memory or\n" \
    "       table cap); 128 + SIGABRT, as wasmtime exits on a trap\n"            \
    "  N    a guest that exits explicitly (e.g. WASI proc_exit) passes its\n"     \
    "       exit code N through\n"

/* "kiln: <message>\n" on stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* A usage error: the message, then a hint naming the help to read.
 * `command` is the subcommand ("run") or NULL for the top level.
 * Returns CLI_EXIT_USAGE so callers can `return usage_error(...)`. */
int usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* --tcplisten (listen.c).  The port of "HOST:PORT" / "[V6]:PORT", or an
 * error if it is not a decimal number up to 65535. */
kiln_error *cli_listen_port(const char *addr, unsigned *port);
/* Bind and listen on addr; the socket in *fd. */
kiln_error *cli_tcp_listen(const char *addr, int *fd);
/* "kiln: listening on ADDR:PORT (fd N)" on stderr, for the socket fd,
 * which the guest has as guest_fd. */
void cli_print_listening(int fd, unsigned guest_fd);

/* Read a whole file into a malloc'd buffer (caller frees).  On failure
 * prints "kiln: PATH: <reason>" and returns false. */
bool read_file(const char *path, uint8_t **data, size_t *len);

/* Print a load/link error for PATH on one line:
 *   kiln: PATH: error at offset 0x1a: <message>   (decode/validate)
 *   kiln: PATH: <message>                          (anything else)       */
void print_module_error(const char *path, const kiln_error *err);

/* Make the engine every command uses; prints the error and returns false
 * if that fails. */
bool new_engine(kiln_engine **out);
/* The same with a tier (kiln run --tier). */
bool new_engine_tier(kiln_tier tier, kiln_engine **out);
/* The same with the code cache (cli_cache_dir) when cache is set and the
 * tier is native; pooled false leaves the written-page map out of compiled
 * code (kiln_config.no_write_map), for commands that never make a
 * kiln_template (kiln run, kiln compile). */
bool new_engine_cached(kiln_tier tier, bool cache, bool pooled, kiln_engine **out);
/* The CLI's code cache: $XDG_CACHE_HOME/kiln, else ~/.cache/kiln; false
 * when neither can be formed. */
bool cli_cache_dir(char *buf, size_t cap);
/* Whether the file at path starts like a .kcw artifact ("-": false). */
bool file_is_artifact(const char *path);

/* A module file's binary (malloc'd, the caller frees): the file itself, or,
 * if its content is the text format (kiln_wat_is_text: not the "\0asm"
 * magic, and "(" first after whitespace and comments), the text converted,
 * with a name section of its $names if names.  Prints
 * "kiln: PATH:LINE:COL: message" on a parse error and returns false. */
bool read_module_file(const char *path, bool names, uint8_t **data, size_t *len);

/* Read (as read_module_file, with names), decode and validate PATH.  Prints the error and
 * returns CLI_EXIT_LOAD on failure, else CLI_EXIT_OK with *out owned by the
 * caller.  A .kcw artifact gives its module with its code; one this kiln
 * rejects gives a one-line warning and its module recompiled.  A cache
 * entry that was rejected is warned about too (KILN_CACHE_DEBUG in the
 * environment: a line on every cache outcome). */
int load_module(kiln_engine *engine, const char *path, kiln_module **out);

/* --- option values ------------------------------------------------------ */

/* An option's value: `--name VALUE` or `--name=VALUE`.  If argv[*i] is the
 * option `name`, sets *value, advances *i past what it consumed and returns
 * 1; returns 0 if argv[*i] is another option; -1 (after printing a usage
 * error) if the value is missing. */
int option_value(const char *command, char **argv, int argc, int *i, const char *name,
                 const char **value);

/* What a number on the command line turned out to be: too large is its
 * own answer, so the message can say so instead of "not a number". */
typedef enum { NUM_OK, NUM_BAD, NUM_TOO_LARGE } num_status;

/* A byte count with an optional binary suffix: 4096, 64K, 64KiB, 16M, 1G. */
num_status parse_size(const char *text, uint64_t *out);
/* A plain unsigned decimal (or 0x hex) count. */
num_status parse_count(const char *text, uint64_t *out);
/* A duration: seconds by default ("1.5"), or with a unit: ns, us, ms, s, m
 * ("500ms", "2s").  Returns nanoseconds (too large: 2^64 ns or more). */
num_status parse_duration(const char *text, uint64_t *ns);

/* --- values -------------------------------------------------------------- */

const char *valkind_name(kiln_valkind k);

/* Parse text as a value of kind k (see `kiln help run` for the syntax).
 * Returns false if it is not one. */
bool parse_value(const char *text, kiln_valkind k, kiln_val *out);

/* Render a value; buf should have room for at least 64 bytes.  Integers,
 * v128 and floats other than NaNs are printed so that parse_value gives back
 * exactly the same bits (every NaN prints as "NaN"). */
void format_value(const kiln_val *v, char *buf, size_t cap);

/* Render a function type as "(i32, i64) -> (f32)"; returns buf. */
char *format_functype(const kiln_functype *t, char *buf, size_t cap);

/* Options of a command that has none but -h/--help (and `--`): sets *first
 * to the index of the first operand and returns -1 to go on, or the exit
 * code to return (help printed, or a usage error). */
int parse_help_only(const char *cmd, const char *usage, int argc, char **argv, int *first);

#endif
