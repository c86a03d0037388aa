/*
 * run.c — `kiln run`: load a module, instantiate it and run it, either as a
 * command (its `_start` export) or by calling one export with arguments
 * taken from the command line (--invoke), printing the results.
 *
 * The order of work is chosen so that mistakes are reported before anything
 * runs: options, then the module (exit 1 if it does not load), then the
 * entry point and its arguments (exit 2 if they do not fit), and only then
 * instantiation (which already runs the module's start function) and the
 * call.  Traps and limits exit 134 with a backtrace; a guest's own exit
 * code is passed through.  Limits are taken exactly or refused.
 *
 * WASI preview1 is defined in the linker for every module, through
 * kiln_wasi.h like any embedder: deny by default, so the guest sees only
 * the directories (--dir, --dir-ro), environment variables (--env) and
 * listening sockets (--tcplisten) named here, argv[0] (the module's file
 * name) and the arguments after FILE, and the inherited stdio.
 *
 * Two ways to watch a guest: --profile samples its stack from a CPU-time
 * signal while it runs, instantiation included, and writes folded stacks
 * or a flame graph afterwards, even after a trap (profile.c, flame.c);
 * --trace=wasi has the WASI layer describe each call and prints it.
 * --profile=perfmap is for the system's profiler instead: it writes
 * /tmp/perf-PID.map before the guest runs (profile.c), so perf names
 * the native code.
 *
 * With the native tier the code cache is on unless --no-cache
 * (util.c, new_engine_cached): a rejected entry is one warning line.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kiln.h"
#include "kiln_inspect.h"
#include "kiln_wasi.h"
#include "profile.h"
#include "util.h"

static const char run_usage[] =
    "Usage: kiln run [OPTIONS] FILE [ARGS...]\n"
    "       kiln [OPTIONS] FILE [ARGS...]   (the same, when FILE is no command name)\n"
    "\n"
    "Run a WebAssembly module.  Options go before FILE; everything after FILE\n"
    "belongs to the program.  FILE may be '-' to read the module from stdin;\n"
    "put '--' before a FILE whose name starts with '-'.\n"
    "\n"
    "Without --invoke the module runs as a command: its `_start` export is\n"
    "called.  A module without `_start` is run as a reactor if it exports\n"
    "`_initialize`, or just instantiated if it has a start function; with none\n"
    "of those there is nothing to run and kiln exits with 2.\n"
    "\n"
    "Options:\n"
    "  --invoke NAME        Call the exported function NAME with ARGS as its\n"
    "                       parameters and print its results, one per line\n"
    "                       (after `_initialize`, if exported)\n"
    "  --fuel N             Stop after N units of fuel (one per call and loop\n"
    "                       iteration; N up to 2^64-1)\n"
    "  --timeout DURATION   Stop after this much wall-clock time: seconds\n"
    "                       (\"1.5\") or with a unit: ns, us, ms, s, m\n"
    "                       (\"500ms\", \"2s\")\n"
    "  --max-memory BYTES   Cap each linear memory (suffixes K, M, G: \"64M\";\n"
    "                       default and most 4G)\n"
    "  --max-table-elems N  Cap each table at N elements (default 10000000,\n"
    "                       most 4294967295)\n"
    "  --max-stack BYTES    Size of the value stack, in 8-byte slots (suffixes\n"
    "                       K, M, G; default 8M, most 1G)\n"
    "  --max-depth N        Call depth in frames, exactly: 1 runs the called\n"
    "                       function alone (default 10000, most 1000000)\n"
    "  --profile FILE       Sample the guest's call stack while it runs and write\n"
    "                       a profile: FILE.svg, a flame graph (open it in a\n"
    "                       browser: click to zoom, Ctrl-F to search), or\n"
    "                       FILE.folded, folded stacks (\"a;b;c COUNT\" lines,\n"
    "                       root first).  Frames are named from the name\n"
    "                       section, else the export, else func[N]; host and\n"
    "                       WASI functions by their import names\n"
    "  --profile=perfmap    Instead: write /tmp/perf-PID.map naming the native\n"
    "                       code of each compiled function (implies --tier\n"
    "                       native), so that `perf top` and `perf record` /\n"
    "                       `perf report` show Wasm function names\n"
    "  --profile-rate HZ    Samples per second of CPU time (default 997, most\n"
    "                       100000)\n"
    "  --trace=wasi         Print each WASI call, its arguments and its errno\n"
    "                       on stderr, as strace does (a refusal by the\n"
    "                       sandbox shows as ENOTCAPABLE)\n"
    "  --tier interp|native Which tier runs the code (default native where it\n"
    "                       is supported, x86-64 Linux, else interp): native\n"
    "                       compiles functions to x86-64 machine code when\n"
    "                       the module loads (every instruction; only a\n"
    "                       function too big for it stays interpreted), with\n"
    "                       the same results, traps and limits either way.\n"
    "  --no-cache           With the native tier, neither use nor fill the\n"
    "                       code cache ($XDG_CACHE_HOME/kiln, by default\n"
    "                       ~/.cache/kiln), which otherwise saves compiling\n"
    "                       a module again on its next run\n"
    "  -h, --help           Show this help\n"
    "\n"
    "Limits are used exactly as given: a value above the most kiln accepts is\n"
    "a usage error (\"too large\"), never clamped.\n"
    "\n"
    "WASI (wasi_snapshot_preview1; nothing is granted unless named here):\n"
    "  --dir HOST[::GUEST]  Grant the host directory HOST, read-write, seen by\n"
    "                       the guest as GUEST (default: HOST as given)\n"
    "  --dir-ro HOST[::GUEST]\n"
    "                       The same, read-only: every call that would change\n"
    "                       it fails with errno notcapable\n"
    "  --env NAME=VALUE     Set an environment variable for the guest\n"
    "  --env NAME           Pass the host's variable NAME through (if set)\n"
    "  --tcplisten ADDR:PORT\n"
    "                       Listen on ADDR:PORT and give the guest the socket\n"
    "                       (after the preopened directories) for sock_accept;\n"
    "                       with port 0 the kernel picks one, and kiln prints\n"
    "                       \"kiln: listening on ADDR:PORT (fd N)\" on stderr\n"
    "  --argv0 NAME         The guest's argv[0] (default: FILE's base name)\n"
    "\n"
    "Values (--invoke arguments and printed results):\n"
    "  i32, i64   decimal or 0x hex, optionally negative; unsigned values up\n"
    "             to 2^32-1 / 2^64-1 are accepted and wrap.  Printed as signed\n"
    "             decimal.\n"
    "  f32, f64   decimal or scientific (\"0.1\", \"-2.5e-3\"), hex floats\n"
    "             (\"0x1.8p1\"), \"inf\", \"-inf\", \"nan\", \"-nan\" and NaNs with\n"
    "             a payload (\"nan:0x200000\").  Printed as wasmtime prints\n"
    "             them: the shortest decimal that reads back to the same value,\n"
    "             written out without an exponent (1e-7 as 0.0000001); \"-0\"\n"
    "             for negative zero, \"inf\"/\"-inf\", and \"NaN\" for every NaN.\n"
    "  v128       the vector as one unsigned 128-bit number whose\n"
    "             little-endian bytes are the lanes (lane 0 in the low bits):\n"
    "             decimal or 0x hex, 0 to 2^128-1 (the i32x4 1 2 3 4 is\n"
    "             \"0x00000004000000030000000200000001\").\n"
    "             Printed in unsigned decimal, as wasmtime prints it, which\n"
    "             reads back as the same vector.\n"
    "  funcref, externref\n"
    "             only \"null\" can be passed.  Printed as \"<null funcref>\",\n"
    "             \"<null externref>\", \"<funcref>\" or \"<externref>\".\n"
    "\n"
    "On a trap kiln prints `kiln: trap: MESSAGE` (or `kiln: limit reached:\n"
    "MESSAGE` for fuel, timeout, Ctrl-C and memory/table caps) and a\n"
    "backtrace, innermost frame first, with function names from the module's\n"
    "name section, or from its exports where that is gone; kiln then exits\n"
    "134, as wasmtime does on a trap, so a guest's own exit code is never taken\n"
    "for one.  The first Ctrl-C interrupts the guest; a second one kills kiln.\n"
    "\n"
    "The guest's stdin, stdout and stderr are kiln's.  Paths can never leave a\n"
    "granted directory: absolute paths, '..' above it and symlinks that lead\n"
    "outside fail with notcapable.  A module importing anything but WASI\n"
    "fails to link (exit 1).  KILN_WASI_RESOLVE=walk in the environment makes\n"
    "kiln confine paths with its own walk instead of the kernel's openat2.\n"
    "\n" CLI_EXIT_CODES_TEXT;

/* The store a Ctrl-C should interrupt, or NULL.  A signal handler can reach
 * nothing else; an atomic pointer is lock-free and so safe to read there,
 * and kiln_store_interrupt is documented as async-signal-safe. */
static _Atomic(kiln_store *) interrupt_target;

static void on_sigint(int sig)
{
    (void)sig;
    kiln_store *s = atomic_load(&interrupt_target);
    if (s)
        kiln_store_interrupt(s);
}

/* While guest code runs, the first Ctrl-C stops it cleanly (exit 3,
 * "interrupted"); SA_RESETHAND makes a second one kill kiln outright in case
 * the guest is stuck somewhere an interrupt cannot reach. */
static void interrupt_begin(kiln_store *store, struct sigaction *saved)
{
    atomic_store(&interrupt_target, store);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, saved);
}

static void interrupt_end(const struct sigaction *saved)
{
    sigaction(SIGINT, saved, NULL);
    atomic_store(&interrupt_target, NULL);
}

typedef struct run_options {
    const char *invoke;
    const char *argv0;
    kiln_wasi_config *wasi; /* the grants, in the order given */
    int ndirs;              /* --dir and --dir-ro given */
    const char **listen;    /* --tcplisten addresses, bound by open_wasi */
    int nlisten;
    const char *fuel_text, *timeout_text; /* as given, for messages */
    kiln_store_limits limits;
    kiln_tier tier;
    const char *file;
    int nargs;
    char **args;
    const char *profile_path;   /* --profile */
    uint64_t profile_hz;        /* --profile-rate, 0: the default */
    cli_profile *profile;       /* opened by run_main, finished by run_module */
    bool trace_wasi;            /* --trace=wasi */
    bool perfmap;               /* --profile=perfmap */
    bool no_cache;              /* --no-cache */
} run_options;

/* Backtraces of deep recursion can have thousands of frames; show the
 * innermost ones (where it went wrong) and the outermost few (how it got
 * there) and count the rest. */
#define BACKTRACE_HEAD 20
#define BACKTRACE_TAIL 5

static void print_frame(const kiln_error *err, size_t i)
{
    const char *name = kiln_error_frame_name(err, i);
    fprintf(stderr, "  %zu: func[%" PRIu32 "]%s%s\n", i, kiln_error_frame_func(err, i),
            name ? " " : "", name ? name : "");
}

static void print_backtrace(const kiln_error *err)
{
    size_t n = kiln_error_frame_count(err);
    if (n == 0)
        return;
    fputs("backtrace:\n", stderr);
    if (n <= BACKTRACE_HEAD + BACKTRACE_TAIL + 1) {
        for (size_t i = 0; i < n; i++)
            print_frame(err, i);
        return;
    }
    for (size_t i = 0; i < BACKTRACE_HEAD; i++)
        print_frame(err, i);
    fprintf(stderr, "  ... %zu more frames ...\n", n - BACKTRACE_HEAD - BACKTRACE_TAIL);
    for (size_t i = n - BACKTRACE_TAIL; i < n; i++)
        print_frame(err, i);
}

/* Report an error from instantiation or a call and return the exit code. */
static int report_run_error(const run_options *o, kiln_error *err)
{
    kiln_error_kind kind = kiln_error_kind_of(err);
    kiln_trap_code trap = kiln_error_trap(err);
    int code;
    if (trap == KILN_TRAP_EXIT) {
        /* The guest chose to exit: that is not an error of ours to print. */
        code = kiln_error_exit_code(err);
    } else if (kind == KILN_ERR_LIMIT) {
        const char *detail = "";
        char buf[128] = "";
        if (trap == KILN_TRAP_OUT_OF_FUEL && o->fuel_text)
            snprintf(buf, sizeof buf, " (--fuel %s)", o->fuel_text);
        else if (trap == KILN_TRAP_DEADLINE && o->timeout_text)
            snprintf(buf, sizeof buf, " (--timeout %s)", o->timeout_text);
        detail = buf;
        cli_error("limit reached: %s%s", kiln_error_message(err), detail);
        print_backtrace(err);
        code = CLI_EXIT_TRAP;
    } else if (kind == KILN_ERR_TRAP || kind == KILN_ERR_HOST) {
        cli_error("trap: %s", kiln_error_message(err));
        print_backtrace(err);
        code = CLI_EXIT_TRAP;
    } else {
        /* Link errors, and anything else that stops the module from being
         * set up (e.g. out of memory for its memories or tables). */
        print_module_error(o->file, err);
        code = CLI_EXIT_LOAD;
    }
    kiln_error_free(err);
    return code;
}

/* Find an exported function by name, with its type. */
static bool find_func_export(const kiln_module *m, const char *name, kiln_export_desc *out)
{
    size_t n = kiln_module_export_count(m);
    for (size_t i = 0; i < n; i++) {
        kiln_export_desc d;
        kiln_module_export(m, i, &d);
        if (d.type.kind == KILN_EXTERN_FUNC && strcmp(d.name, name) == 0) {
            *out = d;
            return true;
        }
    }
    return false;
}

static void list_func_exports(const kiln_module *m)
{
    size_t n = kiln_module_export_count(m), shown = 0;
    for (size_t i = 0; i < n; i++) {
        kiln_export_desc d;
        kiln_module_export(m, i, &d);
        if (d.type.kind != KILN_EXTERN_FUNC)
            continue;
        fprintf(stderr, "%s%s", shown ? ", " : "kiln: exported functions: ", d.name);
        shown++;
    }
    if (shown)
        fputc('\n', stderr);
    else
        fputs("kiln: the module exports no functions\n", stderr);
}

/* Parse the program arguments as the parameters of `type`. */
static int parse_invoke_args(const run_options *o, const kiln_functype *type, kiln_val *vals)
{
    char sig[256];
    if ((uint32_t)o->nargs != type->nparams)
        return usage_error("run", "'%s' has type %s: expected %" PRIu32 " argument%s, got %d",
                           o->invoke, format_functype(type, sig, sizeof sig), type->nparams,
                           type->nparams == 1 ? "" : "s", o->nargs);
    for (int i = 0; i < o->nargs; i++)
        if (!parse_value(o->args[i], type->params[i], &vals[i]))
            return usage_error("run", "argument %d of '%s': '%s' is not a valid %s", i + 1,
                               o->invoke, o->args[i], valkind_name(type->params[i]));
    return CLI_EXIT_OK;
}

static int call_and_print(kiln_store *store, const run_options *o, kiln_func *f,
                          const kiln_val *args, size_t nargs)
{
    kiln_functype t = kiln_func_type(f);
    kiln_val *results = calloc(t.nresults ? t.nresults : 1, sizeof *results);
    if (!results) {
        cli_error("out of memory");
        return CLI_EXIT_LOAD;
    }
    struct sigaction saved;
    interrupt_begin(store, &saved);
    kiln_error *err = kiln_call(store, f, args, nargs, results, t.nresults);
    interrupt_end(&saved);
    int code = CLI_EXIT_OK;
    if (err) {
        code = report_run_error(o, err);
    } else {
        char buf[400]; /* positional floats: up to ~330 characters */
        for (uint32_t i = 0; i < t.nresults; i++) {
            format_value(&results[i], buf, sizeof buf);
            puts(buf);
        }
    }
    free(results);
    return code;
}

/* Add a grant to the WASI config; a usage error (-1) if it is refused. */
static int grant(kiln_error *e, const char *option, const char *value)
{
    if (!e)
        return 1;
    usage_error("run", "%s %s: %s", option, value, kiln_error_message(e));
    kiln_error_free(e);
    return -1;
}

/* The WASI options: 1 if argv[*i] was one (consumed), 0 if not, -1 after a
 * usage error. */
static int wasi_option(char **argv, int argc, int *i, run_options *o)
{
    const char *v;
    int r;
    static const char *const dir_opts[] = {"--dir", "--dir-ro"};
    for (int ro = 0; ro < 2; ro++) {
        if ((r = option_value("run", argv, argc, i, dir_opts[ro], &v)) == 0)
            continue;
        if (r < 0)
            return -1;
        const char *sep = strstr(v, "::");
        char host[4096];
        size_t hl = sep ? (size_t)(sep - v) : strlen(v);
        if (hl == 0 || hl >= sizeof host || (sep && !sep[2]))
            return grant(kiln_error_new(KILN_ERR_ARG, "expected HOST or HOST::GUEST"),
                         dir_opts[ro], v);
        memcpy(host, v, hl);
        host[hl] = 0;
        unsigned perms = KILN_WASI_DIR_READ | (ro ? 0 : KILN_WASI_DIR_WRITE);
        o->ndirs++;
        return grant(kiln_wasi_config_preopen_dir(o->wasi, host, sep ? sep + 2 : host, perms),
                     dir_opts[ro], v);
    }
    if ((r = option_value("run", argv, argc, i, "--env", &v)) != 0) {
        if (r < 0)
            return -1;
        const char *eq = strchr(v, '=');
        if (!eq) {
            const char *host = getenv(v);
            if (!host || !*v)
                return *v ? 1 : grant(kiln_error_new(KILN_ERR_ARG, "empty name"), "--env", v);
            return grant(kiln_wasi_config_env(o->wasi, v, host), "--env", v);
        }
        char name[4096];
        size_t nl = (size_t)(eq - v);
        if (nl >= sizeof name)
            return grant(kiln_error_new(KILN_ERR_ARG, "name too long"), "--env", v);
        memcpy(name, v, nl);
        name[nl] = 0;
        return grant(kiln_wasi_config_env(o->wasi, name, eq + 1), "--env", v);
    }
    if ((r = option_value("run", argv, argc, i, "--tcplisten", &v)) != 0) {
        unsigned port;
        if (r < 0 || grant(cli_listen_port(v, &port), "--tcplisten", v) < 0)
            return -1;
        const char **l = realloc(o->listen, (size_t)(o->nlisten + 1) * sizeof *l);
        if (!l)
            return grant(kiln_error_new(KILN_ERR_NOMEM, "out of memory"), "--tcplisten", v);
        o->listen = l;
        o->listen[o->nlisten++] = v;
        return 1;
    }
    if ((r = option_value("run", argv, argc, i, "--argv0", &v)) != 0) {
        if (r > 0)
            o->argv0 = v;
        return r;
    }
    return 0;
}

/* The limit options.  Each value is taken exactly: one kiln cannot honour
 * (above the engine's maximum, kiln.h's KILN_MAX_*) is a usage error, never
 * clamped, and a number too large to read says so. */
enum { L_FUEL, L_TIMEOUT, L_MEMORY, L_TABLE, L_STACK, L_DEPTH, L_COUNT };
static const struct limit_opt {
    const char *name, *what;
    num_status (*parse)(const char *text, uint64_t *out);
    uint64_t max;
    const char *max_text;
} limit_opts[L_COUNT] = {
    [L_FUEL] = {"--fuel", "a positive integer", parse_count, UINT64_MAX, "18446744073709551615"},
    [L_TIMEOUT] = {"--timeout", "a positive duration (e.g. 1.5, 500ms, 2s)", parse_duration,
                   UINT64_MAX, "about 584 years"},
    [L_MEMORY] = {"--max-memory", "a positive size (e.g. 65536, 64K, 16M, 1G)", parse_size,
                  KILN_MAX_MEMORY_BYTES, "4G, the most a 32-bit memory can have"},
    [L_TABLE] = {"--max-table-elems", "a positive integer", parse_count, KILN_MAX_TABLE_ELEMS,
                 "4294967295, the most a table can have"},
    [L_STACK] = {"--max-stack", "a positive size (e.g. 1M)", parse_size, KILN_MAX_STACK_BYTES,
                 "1G"},
    [L_DEPTH] = {"--max-depth", "a positive integer", parse_count, KILN_MAX_CALL_DEPTH,
                 "1000000"},
};

/* 1 if argv[*i] was a limit option (consumed), 0 if not, -1 after a usage
 * error. */
static int limit_option(char **argv, int argc, int *i, run_options *o)
{
    for (int k = 0; k < L_COUNT; k++) {
        const struct limit_opt *l = &limit_opts[k];
        const char *v;
        int r = option_value("run", argv, argc, i, l->name, &v);
        if (r <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        uint64_t n = 0;
        num_status st = l->parse(v, &n);
        if (st == NUM_TOO_LARGE || (st == NUM_OK && n > l->max))
            return usage_error("run", "%s: '%s' is too large (at most %s)", l->name, v,
                               l->max_text), -1;
        if (st != NUM_OK || n == 0)
            return usage_error("run", "%s: '%s' is not %s", l->name, v, l->what), -1;
        switch (k) {
        case L_FUEL: o->limits.fuel = n; o->fuel_text = v; break;
        case L_TIMEOUT: o->limits.timeout_ns = n; o->timeout_text = v; break;
        case L_MEMORY: o->limits.max_memory_bytes = n; break;
        case L_TABLE: o->limits.max_table_elems = n; break;
        case L_STACK: o->limits.max_stack_bytes = n; break;
        default: o->limits.max_call_depth = (uint32_t)n; break;
        }
        return 1;
    }
    return 0;
}

/* --profile, --profile-rate and --trace: 1 if argv[*i] was one
 * (consumed), 0 if not, -1 after a usage error. */
static int observe_option(char **argv, int argc, int *i, run_options *o)
{
    const char *v;
    int r;
    if ((r = option_value("run", argv, argc, i, "--profile", &v)) != 0) {
        if (r > 0 && !*v)
            return usage_error("run", "--profile needs a file name (FILE.svg or FILE.folded)"), -1;
        if (r > 0 && strcmp(v, "perfmap") == 0)
            o->perfmap = true;
        else
            o->profile_path = v;
        return r;
    }
    if ((r = option_value("run", argv, argc, i, "--profile-rate", &v)) != 0) {
        if (r < 0)
            return -1;
        uint64_t hz = 0;
        num_status st = parse_count(v, &hz);
        if (st == NUM_TOO_LARGE || (st == NUM_OK && hz > KILN_SAMPLER_MAX_HZ))
            return usage_error("run", "--profile-rate: '%s' is too large (at most %u)", v,
                               KILN_SAMPLER_MAX_HZ), -1;
        if (st != NUM_OK || hz == 0)
            return usage_error("run", "--profile-rate: '%s' is not a positive integer (samples "
                                      "per second)", v), -1;
        o->profile_hz = hz;
        return 1;
    }
    if ((r = option_value("run", argv, argc, i, "--trace", &v)) != 0) {
        if (r < 0)
            return -1;
        if (strcmp(v, "wasi") != 0)
            return usage_error("run", "--trace: '%s' is not something kiln traces (only 'wasi')",
                               v), -1;
        o->trace_wasi = true;
        return 1;
    }
    return 0;
}

static int parse_run_options(int argc, char **argv, run_options *o)
{
    memset(o, 0, sizeof *o);
    kiln_error *e = kiln_wasi_config_new(&o->wasi);
    if (e) {
        cli_error("%s", kiln_error_message(e));
        kiln_error_free(e);
        return CLI_EXIT_LOAD;
    }
    int i = 1;
    while (i < argc) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0)
            break; /* FILE */
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(run_usage, stdout);
            return -1;
        }
        const char *v;
        int r;
        if ((r = option_value("run", argv, argc, &i, "--invoke", &v)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (!*v)
                return usage_error("run", "--invoke needs a function name");
            o->invoke = v;
        } else if ((r = option_value("run", argv, argc, &i, "--tier", &v)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (strcmp(v, "interp") == 0)
                o->tier = KILN_TIER_INTERP;
            else if (strcmp(v, "native") == 0)
                o->tier = KILN_TIER_NATIVE;
            else
                return usage_error("run", "--tier: '%s' is not interp or native", v);
        } else if (strcmp(a, "--no-cache") == 0) {
            o->no_cache = true;
            i++;
        } else if ((r = limit_option(argv, argc, &i, o)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else if ((r = wasi_option(argv, argc, &i, o)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else if ((r = observe_option(argv, argc, &i, o)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else {
            return usage_error("run", "unknown option '%s'", a);
        }
    }
    if (i >= argc)
        return usage_error("run", "missing FILE");
    if (o->profile_hz && !o->profile_path)
        return usage_error("run", "--profile-rate needs --profile FILE");
    if (o->perfmap && o->tier == KILN_TIER_INTERP)
        return usage_error("run", "--profile=perfmap maps native code: not with --tier interp");
    o->file = argv[i];
    o->args = argv + i + 1;
    o->nargs = argc - i - 1;
    return CLI_EXIT_OK;
}

/* Everything after the module has loaded; owns nothing but what it makes. */
static int run_module(kiln_engine *engine, const kiln_module *module, kiln_wasi *wasi,
                      run_options *o)
{
    /* Decide what to call before running anything. */
    kiln_export_desc entry = {0}, init = {0};
    bool has_entry = false;
    bool has_init = find_func_export(module, "_initialize", &init);
    if (o->invoke) {
        if (!find_func_export(module, o->invoke, &entry)) {
            cli_error("%s: no exported function named '%s'", o->file, o->invoke);
            list_func_exports(module);
            return CLI_EXIT_USAGE;
        }
        has_entry = true;
    } else if (find_func_export(module, "_start", &entry)) {
        has_entry = true;
        has_init = false; /* a command does its own initialisation */
    } else if (!has_init && !kiln_inspect_start(module, NULL)) {
        cli_error("%s: no _start export; use --invoke NAME to call a function", o->file);
        list_func_exports(module);
        return CLI_EXIT_USAGE;
    }

    uint32_t nparams = has_entry ? entry.type.func.nparams : 0;
    kiln_val *args = calloc(nparams ? nparams : 1, sizeof *args);
    if (!args) {
        cli_error("out of memory");
        return CLI_EXIT_LOAD;
    }
    int code = CLI_EXIT_OK;
    if (o->invoke) {
        code = parse_invoke_args(o, &entry.type.func, args);
    } else if (has_entry && nparams != 0) {
        cli_error("%s: _start takes parameters %s; use --invoke _start ARGS...", o->file,
                  format_functype(&entry.type.func, (char[256]){0}, 256));
        code = CLI_EXIT_USAGE;
    }
    if (code != CLI_EXIT_OK) {
        free(args);
        return code;
    }

    kiln_store *store = NULL;
    kiln_linker *linker = NULL;
    kiln_instance *inst = NULL;
    kiln_error *err = kiln_store_new(engine, &o->limits, &store);
    if (!err)
        err = kiln_linker_new(store, &linker);
    if (!err)
        err = kiln_wasi_define(wasi, store, linker);
    if (err && kiln_error_kind_of(err) == KILN_ERR_ARG) {
        /* A limit the engine refuses (the options are checked already). */
        code = usage_error("run", "%s", kiln_error_message(err));
        kiln_error_free(err);
        goto out;
    }
    if (err) {
        code = report_run_error(o, err);
        goto out;
    }
    if (o->profile && !cli_profile_start(o->profile, store)) {
        code = CLI_EXIT_LOAD;
        goto out;
    }
    /* Instantiation runs the start function, so it is guest code too. */
    struct sigaction saved;
    interrupt_begin(store, &saved);
    err = kiln_linker_instantiate(linker, module, &inst);
    interrupt_end(&saved);
    if (err) {
        code = report_run_error(o, err);
        goto out;
    }
    if (has_init) {
        kiln_func *f = kiln_instance_export_func(inst, "_initialize");
        code = f ? call_and_print(store, o, f, NULL, 0) : CLI_EXIT_OK;
        if (code != CLI_EXIT_OK)
            goto out;
    }
    if (has_entry) {
        kiln_func *f = kiln_instance_export_func(inst, o->invoke ? o->invoke : "_start");
        if (!f) {
            cli_error("%s: export '%s' disappeared after instantiation", o->file,
                      o->invoke ? o->invoke : "_start");
            code = CLI_EXIT_LOAD;
            goto out;
        }
        code = call_and_print(store, o, f, args, nparams);
    }
out:
    free(args);
    if (o->profile && store) {
        /* Written whatever happened: a profile of a run that trapped or
         * hit a limit is still worth having.  Names need the store. */
        if (!cli_profile_finish(o->profile, o->file) && code == CLI_EXIT_OK)
            code = CLI_EXIT_LOAD;
        o->profile = NULL;
    }
    if (linker)
        kiln_linker_free(linker);
    if (store)
        kiln_store_free(store); /* frees the instance too */
    return code;
}

/* Bind the --tcplisten sockets and grant them (after the directories, in
 * the order given); then, once kiln_wasi_new has its own copies, print
 * where each port-0 one listens, and close ours. */
static kiln_error *listen_sockets(run_options *o, int *fds)
{
    kiln_error *e = NULL;
    for (int i = 0; !e && i < o->nlisten; i++) {
        fds[i] = -1;
        if (!(e = cli_tcp_listen(o->listen[i], &fds[i])))
            e = kiln_wasi_config_preopen_socket(o->wasi, fds[i]);
        if (e) {
            kiln_error *m = kiln_error_new(KILN_ERR_ARG, "--tcplisten %s: %s", o->listen[i],
                                           kiln_error_message(e));
            kiln_error_free(e);
            e = m;
        }
    }
    return e;
}

static void listen_done(const run_options *o, int *fds, bool opened)
{
    for (int i = 0; i < o->nlisten; i++) {
        unsigned port = 1;
        if (opened && fds[i] >= 0 && !cli_listen_port(o->listen[i], &port) && port == 0)
            cli_print_listening(fds[i], (unsigned)(3 + o->ndirs + i));
        if (fds[i] >= 0)
            close(fds[i]);
    }
}

/* The guest's argv (its name, then the arguments after FILE), and every
 * grant opened: a directory that does not exist or an address that cannot
 * be bound is a usage error, reported before the module is even read. */
static int open_wasi(run_options *o, kiln_wasi **out)
{
    const char *name = o->argv0;
    if (!name) {
        const char *slash = strrchr(o->file, '/');
        name = slash && slash[1] ? slash + 1 : o->file;
    }
    kiln_error *e = kiln_wasi_config_arg(o->wasi, name);
    for (int i = 0; !e && i < o->nargs; i++)
        e = kiln_wasi_config_arg(o->wasi, o->args[i]);
    const char *resolve = getenv("KILN_WASI_RESOLVE");
    if (resolve && strcmp(resolve, "walk") == 0)
        kiln_wasi_config_resolve(o->wasi, KILN_WASI_RESOLVE_WALK);
    int *fds = calloc(o->nlisten ? (size_t)o->nlisten : 1, sizeof *fds);
    if (!e && !fds)
        e = kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    for (int i = 0; fds && i < o->nlisten; i++)
        fds[i] = -1;
    if (!e)
        e = listen_sockets(o, fds);
    if (!e)
        e = kiln_wasi_new(o->wasi, out);
    if (fds)
        listen_done(o, fds, !e);
    free(fds);
    if (!e)
        return CLI_EXIT_OK;
    int code = kiln_error_kind_of(e) == KILN_ERR_ARG
                   ? usage_error("run", "%s", kiln_error_message(e))
                   : (cli_error("%s", kiln_error_message(e)), CLI_EXIT_LOAD);
    kiln_error_free(e);
    return code;
}

/* --trace=wasi: the library formats each call, the CLI prints it. */
static void trace_line(void *ud, const char *line)
{
    (void)ud;
    fprintf(stderr, "%s\n", line);
}

static int run_main(int argc, char **argv)
{
    run_options o;
    int code = parse_run_options(argc, argv, &o);
    kiln_wasi *wasi = NULL;
    if (code == CLI_EXIT_OK && o.trace_wasi)
        kiln_wasi_config_trace(o.wasi, trace_line, NULL);
    if (code == CLI_EXIT_OK)
        code = open_wasi(&o, &wasi);
    if (code == CLI_EXIT_OK && o.profile_path &&
        !(o.profile = cli_profile_open(o.profile_path,
                                       o.profile_hz ? (uint32_t)o.profile_hz
                                                    : CLI_PROFILE_DEFAULT_HZ)))
        code = CLI_EXIT_USAGE;
    kiln_wasi_config_free(o.wasi);
    free(o.listen);
    if (code < 0)
        return CLI_EXIT_OK; /* --help */
    if (code != CLI_EXIT_OK) {
        kiln_wasi_free(wasi);
        return code;
    }

    /* A guest writing to a closed pipe gets errno `pipe`, as it would
     * natively with SIGPIPE ignored, instead of killing kiln. */
    signal(SIGPIPE, SIG_IGN);
    kiln_engine *engine;
    if (o.tier == KILN_TIER_DEFAULT && (o.perfmap || file_is_artifact(o.file)))
        o.tier = KILN_TIER_NATIVE;
    if (!new_engine_cached(o.tier, !o.no_cache, false, &engine)) {
        cli_profile_free(o.profile);
        kiln_wasi_free(wasi);
        return CLI_EXIT_LOAD;
    }
    kiln_module *module;
    code = load_module(engine, o.file, &module);
    if (code == CLI_EXIT_OK && o.perfmap && !cli_perfmap_write(module))
        code = CLI_EXIT_LOAD;
    if (code == CLI_EXIT_OK) {
        code = run_module(engine, module, wasi, &o);
        kiln_module_free(module);
    }
    cli_profile_free(o.profile); /* not written: nothing ran */
    kiln_engine_free(engine);
    kiln_wasi_free(wasi);
    fflush(stdout);
    return code;
}

const cli_command cli_run = {
    .name = "run",
    .summary = "Run a WebAssembly module (a WASI command, or one export)",
    .usage = run_usage,
    .main = run_main,
};
