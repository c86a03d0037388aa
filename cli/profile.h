/*
 * profile.h — `kiln run --profile`: a sampling profile of the guest,
 * written as folded stacks or as an SVG flame graph (flame.c).
 *
 * cli_profile_open checks the options and opens the output file before
 * anything runs (a bad path or rate is a usage error); start/stop bracket
 * the guest code; cli_profile_finish names the frames (the store must
 * still be alive) and writes the file.
 */
#ifndef KILN_CLI_PROFILE_H
#define KILN_CLI_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kiln.h"

#define CLI_PROFILE_DEFAULT_HZ 997

typedef struct cli_profile cli_profile;

/* A profile to be written to path (".svg": a flame graph, else folded
 * stacks), sampled at hz; NULL after printing a usage error. */
cli_profile *cli_profile_open(const char *path, uint32_t hz);
/* Start and stop sampling `store` on this thread; start prints an error
 * and returns false if the sampler cannot run. */
bool cli_profile_start(cli_profile *p, kiln_store *store);
void cli_profile_stop(cli_profile *p);
/* Name the frames, write the file and free p; false after printing an
 * error.  The store sampled must still exist. */
bool cli_profile_finish(cli_profile *p, const char *module_file);
/* Free p without writing (an early error), removing the empty file. */
void cli_profile_free(cli_profile *p);

/* --profile=perfmap: /tmp/perf-PID.map (perf's jit interface: one line
 * "START SIZE NAME" per code range, hex without 0x) for the module's
 * native code, functions named as in backtraces (func[N] when unnamed),
 * the trampoline as kiln:trampoline.  Prints an error and returns false
 * if the file cannot be written; a module without native code gets a
 * warning and an empty map. */
bool cli_perfmap_write(const kiln_module *m);

/* One folded stack: frames root first, separated by ';', and its count. */
typedef struct folded_stack {
    char *stack;
    uint64_t count;
} folded_stack;

/* flame.c: an SVG flame graph of n stacks (sorted by stack text, no two
 * equal) to f; title at the top.  False on a write error. */
bool flame_svg_write(FILE *f, const folded_stack *stacks, size_t n, const char *title);

#endif
