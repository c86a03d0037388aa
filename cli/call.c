/*
 * call.c — `kiln call`: load an Extism plugin (a module or a manifest) and
 * call one of its functions with input bytes, printing the output bytes.
 *
 * The flags are those of Extism's own `extism call` wherever it has them
 * (--input/-i, --stdin, --config, --set-config, --allow-host, --allow-path,
 * --wasi, --timeout, --memory-max, --log-level, --loop, --manifest/-m), so
 * a command line written for one runs on the other; kiln adds --input
 * @FILE and --fuel.  Where Extism takes a bare number in its own unit
 * (--timeout in milliseconds, --memory-max in 64 KiB pages) kiln reads it
 * the same way, and also accepts the unit-suffixed forms of `kiln run`
 * ("2s", "64M"), which are never ambiguous.
 *
 * The order of work, as in run.c, reports mistakes before anything runs:
 * options and input (exit 2), the manifest and the grants added to it
 * (exit 2: the message names the field), compiling and linking (exit 1),
 * the function's presence (exit 2), and only then the calls.  A plugin's
 * own error (a non-zero return) exits 1 with its message; traps and limits
 * exit 134 as `kiln run` does.  The CLI is an embedder like any other: it
 * sees include/kiln_plugin.h only.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "kiln.h"
#include "kiln_plugin.h"
#include "util.h"

static const char call_usage[] =
    "Usage: kiln call [OPTIONS] PLUGIN.wasm|MANIFEST.json FUNCTION\n"
    "\n"
    "Call FUNCTION of an Extism plugin with input bytes and write its output\n"
    "bytes to stdout (nothing else: no newline is added).  The plugin is a\n"
    "Wasm module or an Extism manifest (JSON), told apart by their first\n"
    "bytes.  FUNCTION must be an export of type () -> i32 or () -> ().\n"
    "Options may come before or after the two operands.\n"
    "\n"
    "Input (default: empty):\n"
    "  -i, --input TEXT     The input bytes: TEXT as given\n"
    "  -i, --input @FILE    ... or the bytes of FILE ('@-' is stdin; write\n"
    "                       '@@TEXT' for a literal TEXT starting with '@')\n"
    "  --stdin              Read the input from stdin, as `extism call --stdin`\n"
    "\n"
    "Grants (added to the manifest's own; nothing is granted unless named):\n"
    "  --config KEY=VALUE   A config value the plugin reads with config_get\n"
    "                       (repeatable; KEY alone sets it to \"\")\n"
    "  --set-config JSON    Config as a JSON object of strings, applied before\n"
    "                       the --config values\n"
    "  --allow-host HOST    Let http_request reach HOST (repeatable; '*' and\n"
    "                       '*.example.com' patterns)\n"
    "  --allow-path [ro:]HOST[:GUEST]\n"
    "                       Give a WASI plugin the host directory HOST as GUEST\n"
    "                       (default: HOST); 'ro:' makes it read-only\n"
    "  --wasi               Grant wasi_snapshot_preview1 (args, env, clocks,\n"
    "                       random; the plugin's stdout and stderr go to the\n"
    "                       log; files only under --allow-path)\n"
    "\n"
    "Limits (for each call):\n"
    "  --timeout MS         Wall-clock limit: milliseconds as in Extism (\"100\"),\n"
    "                       or a duration with a unit as `kiln run` takes it\n"
    "                       (\"500ms\", \"2s\"); 0 removes the manifest's timeout\n"
    "  --fuel N             Stop after N units of fuel (one per call and loop\n"
    "                       iteration)\n"
    "  --memory-max PAGES   Cap the plugin's linear memory: 64 KiB pages as in\n"
    "                       Extism (\"16\"), or a size with a unit (\"1M\", a\n"
    "                       multiple of 64K)\n"
    "\n"
    "Other options:\n"
    "  --log-level LEVEL    Print the plugin's log lines at LEVEL or above on\n"
    "                       stderr as \"[LEVEL] message\": trace, debug, info,\n"
    "                       warn, error, off (default: off)\n"
    "  --loop N             Call FUNCTION N times with the same plugin (guest\n"
    "                       memory and vars live on between calls), printing\n"
    "                       each output followed by a newline when N > 1, as\n"
    "                       Extism does; then the timing on stderr: the first\n"
    "                       call, and for all N calls the total, microseconds\n"
    "                       per call and calls per second\n"
    "  -m, --manifest       Accepted for `extism call`: kiln reads a manifest\n"
    "                       without it\n"
    "  -h, --help           Show this help\n"
    "\n"
    "Exit codes:\n"
    "  0    success\n"
    "  1    the plugin returned an error (\"kiln: plugin error: MESSAGE\",\n"
    "       its error_set text), or its modules could not be compiled or\n"
    "       linked (an import nothing grants is named)\n"
    "  2    usage error: an unknown option or bad value, an unreadable input\n"
    "       file, a bad manifest (the message names the field), no such\n"
    "       function\n"
    "  134  a trap (\"kiln: trap: ...\") or a limit (\"kiln: limit reached:\n"
    "       ...\": fuel, timeout, memory, Ctrl-C), as `kiln run`\n"
    "  N    a WASI plugin that exits with a non-zero code N passes it through\n";

typedef struct call_options {
    const char *file, *func;
    const char *input_arg;        /* --input as given */
    bool use_stdin;
    const char *set_config;       /* --set-config JSON */
    const char **configs, **hosts, **paths; /* repeatable, in order */
    int nconfigs, nhosts, npaths;
    const char *fuel_text, *timeout_text;
    bool has_timeout, has_max_pages;
    uint64_t timeout_ms;
    uint32_t max_pages;
    uint64_t loop;
    bool timing;                  /* --loop given */
    kiln_plugin_options plugin;
} call_options;

static void free_call_options(call_options *o)
{
    free(o->configs);
    free(o->hosts);
    free(o->paths);
}

/* ---- options ----------------------------------------------------------- */

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "off"};

static int parse_level(const char *v, kiln_log_level *out)
{
    for (int l = 0; l <= KILN_LOG_OFF; l++)
        if (strcmp(v, level_names[l]) == 0) {
            *out = (kiln_log_level)l;
            return CLI_EXIT_OK;
        }
    return usage_error("call", "--log-level: '%s' is not one of trace, debug, info, warn, "
                               "error, off", v);
}

/* Extism's unit (milliseconds) for a bare number, kiln's duration syntax
 * otherwise; a duration must come out a whole number of milliseconds,
 * since that is what the manifest can hold. */
static int parse_timeout(const char *v, call_options *o)
{
    uint64_t n;
    num_status st = parse_count(v, &n);
    if (st == NUM_BAD) {
        st = parse_duration(v, &n);
        if (st == NUM_OK && n % 1000000u != 0)
            return usage_error("call", "--timeout: '%s' is not a whole number of "
                                       "milliseconds", v);
        n /= 1000000u;
    }
    if (st == NUM_TOO_LARGE)
        return usage_error("call", "--timeout: '%s' is too large", v);
    if (st != NUM_OK)
        return usage_error("call", "--timeout: '%s' is not milliseconds or a duration "
                                   "(e.g. 100, 500ms, 2s)", v);
    o->timeout_ms = n;
    o->has_timeout = true;
    o->timeout_text = v;
    return CLI_EXIT_OK;
}

/* Pages for a bare number (Extism), bytes for a size with a unit. */
static int parse_memory_max(const char *v, call_options *o)
{
    uint64_t n;
    num_status st = parse_count(v, &n);
    if (st == NUM_BAD) {
        st = parse_size(v, &n);
        if (st == NUM_OK && n % 65536u != 0)
            return usage_error("call", "--memory-max: '%s' is not a multiple of 64K "
                                       "(one page)", v);
        n /= 65536u;
    }
    if (st == NUM_TOO_LARGE || (st == NUM_OK && n > 65536u))
        return usage_error("call", "--memory-max: '%s' is too large (at most 65536 pages, "
                                   "4G)", v);
    if (st != NUM_OK || n == 0)
        return usage_error("call", "--memory-max: '%s' is not a positive number of pages "
                                   "or a size (e.g. 16, 1M)", v);
    o->max_pages = (uint32_t)n;
    o->has_max_pages = true;
    return CLI_EXIT_OK;
}

static int parse_positive(const char *name, const char *v, uint64_t *out)
{
    num_status st = parse_count(v, out);
    if (st == NUM_TOO_LARGE)
        return usage_error("call", "%s: '%s' is too large (at most 18446744073709551615)",
                           name, v);
    if (st != NUM_OK || *out == 0)
        return usage_error("call", "%s: '%s' is not a positive integer", name, v);
    return CLI_EXIT_OK;
}

/* The options that take a value.  1 if argv[*i] was one (consumed), 0 if
 * not, -1 after a usage error. */
static int value_option(char **argv, int argc, int *i, call_options *o)
{
    static const char *const names[] = {
        "--input", "-i", "--config", "--set-config", "--allow-host", "--allow-path",
        "--timeout", "--fuel", "--memory-max", "--log-level", "--loop",
    };
    const char *v = NULL;
    size_t k = 0;
    int r = 0;
    for (; k < sizeof names / sizeof names[0]; k++)
        if ((r = option_value("call", argv, argc, i, names[k], &v)) != 0)
            break;
    if (r <= 0)
        return r;
    int code = CLI_EXIT_OK;
    switch (k) {
    case 0: case 1:
        if (o->input_arg)
            return usage_error("call", "--input given twice"), -1;
        o->input_arg = v;
        break;
    case 2: o->configs[o->nconfigs++] = v; break;
    case 3: o->set_config = v; break;
    case 4: o->hosts[o->nhosts++] = v; break;
    case 5: o->paths[o->npaths++] = v; break;
    case 6: code = parse_timeout(v, o); break;
    case 7:
        code = parse_positive("--fuel", v, &o->plugin.fuel);
        o->fuel_text = v;
        break;
    case 8: code = parse_memory_max(v, o); break;
    case 9: code = parse_level(v, &o->plugin.log_level); break;
    default:
        code = parse_positive("--loop", v, &o->loop);
        o->timing = true;
        break;
    }
    return code == CLI_EXIT_OK ? 1 : -1;
}

/* 1 for a flag without a value (consumed), 0 if argv[*i] is none, -1 for
 * --help (printed). */
static int flag_option(const char *a, call_options *o)
{
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
        fputs(call_usage, stdout);
        return -1;
    }
    if (strcmp(a, "--wasi") == 0)
        o->plugin.wasi = true;
    else if (strcmp(a, "--stdin") == 0)
        o->use_stdin = true;
    else if (strcmp(a, "--manifest") != 0 && strcmp(a, "-m") != 0)
        return 0;
    return 1;
}

/* Options and the two operands, in any order (as Extism's CLI takes them);
 * after "--" everything is an operand.  Returns CLI_EXIT_OK, -1 after
 * --help, or a usage error's exit code. */
static int parse_call_options(int argc, char **argv, call_options *o)
{
    memset(o, 0, sizeof *o);
    o->loop = 1;
    o->plugin.log_level = KILN_LOG_OFF;
    size_t n = argc > 0 ? (size_t)argc : 1;
    o->configs = calloc(n, sizeof *o->configs);
    o->hosts = calloc(n, sizeof *o->hosts);
    o->paths = calloc(n, sizeof *o->paths);
    if (!o->configs || !o->hosts || !o->paths) {
        cli_error("out of memory");
        return CLI_EXIT_LOAD;
    }
    const char *operands[2];
    int nops = 0;
    bool dashdash = false;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        int r;
        if (dashdash || a[0] != '-' || strcmp(a, "-") == 0) {
            if (nops == 2)
                return usage_error("call", "unexpected argument '%s'", a);
            operands[nops++] = a;
            i++;
        } else if (strcmp(a, "--") == 0) {
            dashdash = true;
            i++;
        } else if ((r = flag_option(a, o)) != 0) {
            if (r < 0)
                return -1;
            i++;
        } else if ((r = value_option(argv, argc, &i, o)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else {
            return usage_error("call", "unknown option '%s'", a);
        }
    }
    if (nops == 0)
        return usage_error("call", "missing PLUGIN.wasm or MANIFEST.json");
    if (nops == 1)
        return usage_error("call", "missing FUNCTION");
    if (o->input_arg && o->use_stdin)
        return usage_error("call", "--input and --stdin both give the input");
    o->file = operands[0];
    o->func = operands[1];
    return CLI_EXIT_OK;
}

/* ---- input ------------------------------------------------------------- */

static int read_input(const call_options *o, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    const char *file = NULL;
    if (o->use_stdin)
        file = "-";
    else if (o->input_arg && o->input_arg[0] == '@' && o->input_arg[1] != '@')
        file = o->input_arg + 1;
    if (file) {
        if (!*file)
            return usage_error("call", "--input @FILE: the file name is empty");
        return read_file(file, data, len) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (!o->input_arg)
        return CLI_EXIT_OK;
    const char *text = o->input_arg[0] == '@' ? o->input_arg + 1 : o->input_arg;
    *len = strlen(text);
    *data = malloc(*len ? *len : 1);
    if (!*data) {
        cli_error("out of memory");
        return CLI_EXIT_LOAD;
    }
    memcpy(*data, text, *len);
    return CLI_EXIT_OK;
}

/* ---- the manifest and its grants --------------------------------------- */

/* A grant the manifest refused: a usage error naming the option. */
static int refused(kiln_error *e, const char *option, const char *value)
{
    if (!e)
        return CLI_EXIT_OK;
    int code = kiln_error_kind_of(e) == KILN_ERR_NOMEM
                   ? (cli_error("%s", kiln_error_message(e)), CLI_EXIT_LOAD)
                   : usage_error("call", "%s %s: %s", option, value, kiln_error_message(e));
    kiln_error_free(e);
    return code;
}

static int apply_set_config(kiln_plugin_manifest *m, const char *json)
{
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return usage_error("call", "--set-config: not a JSON object");
    }
    int code = CLI_EXIT_OK;
    for (cJSON *it = root->child; it && code == CLI_EXIT_OK; it = it->next) {
        if (!cJSON_IsString(it))
            code = usage_error("call", "--set-config: the value of \"%s\" is not a string",
                               it->string);
        else
            code = refused(kiln_plugin_manifest_set_config(m, it->string, it->valuestring),
                           "--set-config", it->string);
    }
    cJSON_Delete(root);
    return code;
}

static int apply_config(kiln_plugin_manifest *m, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
    char *key = malloc(kl + 1);
    if (!key) {
        cli_error("out of memory");
        return CLI_EXIT_LOAD;
    }
    memcpy(key, kv, kl);
    key[kl] = 0;
    int code = kl == 0 ? usage_error("call", "--config %s: the key is empty", kv)
                       : refused(kiln_plugin_manifest_set_config(m, key, eq ? eq + 1 : ""),
                                 "--config", kv);
    free(key);
    return code;
}

/* [ro:]HOST[:GUEST]: Extism splits at the first ':' (the manifest's own
 * "ro:" prefix is taken first, so a read-only grant can be made here too). */
static int apply_path(kiln_plugin_manifest *m, const char *spec)
{
    bool ro = strncmp(spec, "ro:", 3) == 0;
    const char *p = ro ? spec + 3 : spec;
    const char *colon = strchr(p, ':');
    size_t hl = colon ? (size_t)(colon - p) : strlen(p);
    if (hl == 0 || (colon && !colon[1]))
        return usage_error("call", "--allow-path %s: expected [ro:]HOST or HOST:GUEST", spec);
    char *host = malloc(hl + 1);
    if (!host) {
        cli_error("out of memory");
        return CLI_EXIT_LOAD;
    }
    memcpy(host, p, hl);
    host[hl] = 0;
    int code = refused(kiln_plugin_manifest_allow_path(m, host, colon ? colon + 1 : NULL, ro),
                       "--allow-path", spec);
    free(host);
    return code;
}

static int apply_grants(kiln_plugin_manifest *m, const call_options *o)
{
    int code = o->set_config ? apply_set_config(m, o->set_config) : CLI_EXIT_OK;
    for (int i = 0; code == CLI_EXIT_OK && i < o->nconfigs; i++)
        code = apply_config(m, o->configs[i]);
    for (int i = 0; code == CLI_EXIT_OK && i < o->nhosts; i++)
        code = refused(kiln_plugin_manifest_allow_host(m, o->hosts[i]), "--allow-host",
                       o->hosts[i]);
    for (int i = 0; code == CLI_EXIT_OK && i < o->npaths; i++)
        code = apply_path(m, o->paths[i]);
    if (code == CLI_EXIT_OK && o->has_timeout)
        kiln_plugin_manifest_set_timeout_ms(m, o->timeout_ms);
    if (code == CLI_EXIT_OK && o->has_max_pages)
        kiln_plugin_manifest_set_max_pages(m, o->max_pages);
    return code;
}

static int load_manifest(const call_options *o, kiln_plugin_manifest **out)
{
    kiln_error *e = kiln_plugin_manifest_load(o->file, out);
    if (e) {
        int code = kiln_error_kind_of(e) == KILN_ERR_NOMEM ? CLI_EXIT_LOAD : CLI_EXIT_USAGE;
        cli_error("%s", kiln_error_message(e)); /* it names the file */
        kiln_error_free(e);
        return code;
    }
    int code = apply_grants(*out, o);
    if (code != CLI_EXIT_OK) {
        kiln_plugin_manifest_free(*out);
        *out = NULL;
    }
    return code;
}

/* ---- running ----------------------------------------------------------- */

static void print_log(void *ud, kiln_log_level level, const char *msg, size_t len)
{
    (void)ud;
    const char *name = (unsigned)level < KILN_LOG_OFF ? level_names[level] : "log";
    fprintf(stderr, "[%s] ", name);
    fwrite(msg, 1, len, stderr);
    fputc('\n', stderr);
}

/* Ctrl-C cancels the call in progress.  kiln_plugin_cancel_fire is not
 * promised to be async-signal-safe, so the signal is taken by sigwait on a
 * thread of its own instead of a handler; after the first one that thread
 * unblocks SIGINT with its default action, so a second Ctrl-C kills kiln
 * even if the guest is stuck where a cancel cannot reach. */
static void *sigint_thread(void *arg)
{
    kiln_plugin_cancel *c = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    int sig;
    if (sigwait(&set, &sig) == 0) {
        kiln_plugin_cancel_fire(c);
        signal(SIGINT, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        for (;;)
            pause();
    }
    return NULL;
}

static bool start_sigint_thread(kiln_plugin_cancel *c, pthread_t *t)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return false;
    if (pthread_create(t, NULL, sigint_thread, c) == 0)
        return true;
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return false;
}

/* sigwait and pause are cancellation points, so the thread ends wherever
 * it is, and the token can then be freed. */
static void stop_sigint_thread(pthread_t t)
{
    pthread_cancel(t);
    pthread_join(t, NULL);
}

static void print_backtrace(const kiln_error *err)
{
    size_t n = kiln_error_frame_count(err);
    if (n)
        fputs("backtrace:\n", stderr);
    for (size_t i = 0; i < n && i < 30; i++) {
        const char *name = kiln_error_frame_name(err, i);
        fprintf(stderr, "  %zu: func[%" PRIu32 "]%s%s\n", i, kiln_error_frame_func(err, i),
                name ? " " : "", name ? name : "");
    }
    if (n > 30)
        fprintf(stderr, "  ... %zu more frames\n", n - 30);
}

/* Report a failed call and return the exit code. */
static int report_call_error(const call_options *o, kiln_error *err)
{
    kiln_error_kind kind = kiln_error_kind_of(err);
    kiln_trap_code trap = kiln_error_trap(err);
    int code = CLI_EXIT_TRAP;
    char detail[160] = "";
    if (trap == KILN_TRAP_EXIT) {
        /* A WASI plugin's exit(N): its code, as `kiln run` passes it. */
        code = kiln_error_exit_code(err);
        if (code == 0)
            code = CLI_EXIT_LOAD; /* the call did not finish: no output */
        cli_error("plugin exited with code %d", kiln_error_exit_code(err));
    } else if (kind == KILN_ERR_PLUGIN) {
        cli_error("plugin error: %s", kiln_error_message(err));
        code = CLI_EXIT_LOAD;
    } else if (kind == KILN_ERR_LIMIT) {
        if (trap == KILN_TRAP_OUT_OF_FUEL && o->fuel_text)
            snprintf(detail, sizeof detail, " (--fuel %s)", o->fuel_text);
        else if (trap == KILN_TRAP_DEADLINE && o->timeout_text)
            snprintf(detail, sizeof detail, " (--timeout %s)", o->timeout_text);
        cli_error("limit reached: %s%s", kiln_error_message(err), detail);
        print_backtrace(err);
    } else if (kind == KILN_ERR_TRAP || kind == KILN_ERR_HOST) {
        cli_error("trap: %s", kiln_error_message(err));
        print_backtrace(err);
    } else if (kind == KILN_ERR_ARG) {
        code = usage_error("call", "%s", kiln_error_message(err));
    } else {
        /* Instantiating the plugin's modules on the first call (linking,
         * memory for them) and anything else that is not the guest's. */
        print_module_error(o->file, err);
        code = CLI_EXIT_LOAD;
    }
    kiln_error_free(err);
    return code;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void print_timing(uint64_t calls, uint64_t first_ns, uint64_t total_ns)
{
    double us = total_ns / 1e3 / (double)calls;
    fprintf(stderr, "kiln: %" PRIu64 " call%s in %.3f ms: %.3f us/call, %.0f calls/s "
                    "(first call %.3f us)\n",
            calls, calls == 1 ? "" : "s", total_ns / 1e6, us,
            total_ns ? (double)calls * 1e9 / (double)total_ns : 0.0, first_ns / 1e3);
}

/* Call o->func o->loop times, printing each output; only the calls
 * themselves are timed, not writing their output. */
static int call_loop(kiln_plugin *p, const call_options *o, kiln_plugin_cancel *cancel,
                     const uint8_t *input, size_t input_len)
{
    kiln_plugin_call_opts copts = {.cancel = cancel};
    uint64_t total = 0, first = 0, i = 0;
    int code = CLI_EXIT_OK;
    for (; i < o->loop && code == CLI_EXIT_OK; i++) {
        uint8_t *out = NULL;
        size_t out_len = 0;
        uint64_t t0 = now_ns();
        kiln_error *err = kiln_plugin_call(p, o->func, input, input_len, &copts, &out,
                                           &out_len);
        uint64_t dt = now_ns() - t0;
        total += dt;
        if (i == 0)
            first = dt;
        if (err) {
            fflush(stdout);
            code = report_call_error(o, err);
            break;
        }
        if ((out_len && fwrite(out, 1, out_len, stdout) != out_len) ||
            (o->loop > 1 && putchar('\n') == EOF)) {
            cli_error("stdout: write failed");
            code = CLI_EXIT_LOAD;
        }
        free(out);
    }
    if (fflush(stdout) != 0 && code == CLI_EXIT_OK) {
        cli_error("stdout: write failed");
        code = CLI_EXIT_LOAD;
    }
    if (o->timing && code == CLI_EXIT_OK)
        print_timing(i, first, total);
    return code;
}

static int run_plugin(kiln_engine *engine, const kiln_plugin_manifest *m, call_options *o,
                      kiln_plugin_cancel *cancel, const uint8_t *input, size_t input_len)
{
    o->plugin.log = print_log;
    kiln_plugin *p;
    kiln_error *e = kiln_plugin_new(engine, m, &o->plugin, &p);
    if (e) {
        int code = kiln_error_kind_of(e) == KILN_ERR_ARG
                       ? usage_error("call", "%s: %s", o->file, kiln_error_message(e))
                       : (print_module_error(o->file, e), CLI_EXIT_LOAD);
        kiln_error_free(e);
        return code;
    }
    int code;
    if (!kiln_plugin_has_function(p, o->func)) {
        cli_error("%s: no function named '%s' of type () -> i32 or () -> ()", o->file,
                  o->func);
        code = CLI_EXIT_USAGE;
    } else {
        code = call_loop(p, o, cancel, input, input_len);
    }
    kiln_plugin_free(p);
    return code;
}

/* The manifest, the engine and the plugin, with Ctrl-C watched from
 * before the manifest is read: a Ctrl-C before the first call starts
 * makes that call fail as cancelled, so none is lost. */
static int load_and_run(call_options *o, const uint8_t *input, size_t input_len)
{
    kiln_plugin_cancel *cancel = NULL;
    kiln_error *e = kiln_plugin_cancel_new(&cancel);
    if (e) {
        cli_error("%s", kiln_error_message(e));
        kiln_error_free(e);
        return CLI_EXIT_LOAD;
    }
    pthread_t t;
    bool watching = start_sigint_thread(cancel, &t); /* else Ctrl-C kills kiln */
    kiln_plugin_manifest *m = NULL;
    kiln_engine *engine = NULL;
    int code = load_manifest(o, &m);
    if (code == CLI_EXIT_OK && !new_engine(&engine))
        code = CLI_EXIT_LOAD;
    if (code == CLI_EXIT_OK)
        code = run_plugin(engine, m, o, cancel, input, input_len);
    kiln_plugin_manifest_free(m);
    if (engine)
        kiln_engine_free(engine);
    if (watching)
        stop_sigint_thread(t);
    kiln_plugin_cancel_free(cancel);
    return code;
}

static int call_main(int argc, char **argv)
{
    call_options o;
    int code = parse_call_options(argc, argv, &o);
    uint8_t *input = NULL;
    size_t input_len = 0;
    if (code == CLI_EXIT_OK)
        code = read_input(&o, &input, &input_len);
    if (code == CLI_EXIT_OK)
        code = load_and_run(&o, input, input_len);
    free(input);
    free_call_options(&o);
    return code < 0 ? CLI_EXIT_OK : code;
}

const cli_command cli_call = {
    .name = "call",
    .summary = "Call a function of an Extism plugin (a module or a manifest)",
    .usage = call_usage,
    .main = call_main,
};
