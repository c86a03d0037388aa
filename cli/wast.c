/*
 * wast.c — `kiln wast [--verbose] FILE.wast...`: runs WebAssembly spec
 * scripts, as wasmtime's `wast` command does.
 *
 * kiln_wast_parse (kiln_wat.h) reads a script into commands; each file then
 * runs in a fresh store and linker in which the standard "spectest" module
 * is defined, and every command is one verdict, passed or failed: a module
 * must build and instantiate, an action must succeed, an assertion must
 * hold.  Nothing is skipped.  A module that fails leaves no current module,
 * so the commands after it fail loudly rather than run against an older
 * one.  Each failure prints "FILE:LINE: COMMAND: what was expected, what
 * happened"; each file ends with "FILE: N passed, N failed" (and a total
 * after several files); the exit status is 0 only if nothing failed.
 *
 * What counts as "expected" follows wasmtime: a malformed or invalid
 * module passes when any stage rejects it (text parser, decoder or
 * validator), and a trap passes whatever its message.  The differences
 * that would not fail wasmtime either (a trap message that does not
 * contain the script's text, a decode error where the script says
 * invalid, an invalid module the text parser already refused) are
 * warnings: counted, and shown with --verbose.
 *
 * The engine is treated as untrusted: a fatal signal names the file, line
 * and command that was running before the process dies (make spec runs
 * each file in its own process and reports that line).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kiln.h"
#include "kiln_wat.h"
#include "util.h"
#include "wast.h"

static const char wast_usage[] =
    "Usage: kiln wast [OPTIONS] FILE.wast...\n"
    "\n"
    "Run WebAssembly spec scripts (.wast): module (named, binary, quote),\n"
    "register, invoke, get, assert_return (nan:canonical, nan:arithmetic, v128\n"
    "lane patterns, references, either), assert_trap, assert_exhaustion,\n"
    "assert_invalid, assert_malformed, assert_unlinkable and\n"
    "assert_uninstantiable.  Each file runs in a store of its own, with the\n"
    "spec's \"spectest\" module to import from.\n"
    "\n"
    "Each failed command prints one line:\n"
    "\n"
    "  FILE:LINE: COMMAND: what was expected, what happened\n"
    "\n"
    "and each file ends with \"FILE: N passed, N failed\".  A script that does\n"
    "not parse fails as a whole, with the line and column of the error.\n"
    "\n"
    "Options:\n"
    "  -v, --verbose  Also print each command that passed, and the warnings\n"
    "                 (a trap message other than the script's, a decode error\n"
    "                 where it says invalid, ...), which do not fail a command\n"
    "  --tier interp|native\n"
    "                 Which tier runs the code (default native where it is\n"
    "                 supported, x86-64 Linux); with native,\n"
    "                 each file also prints how many of its functions got\n"
    "                 machine code\n"
    "  -h, --help     Show this help\n"
    "\n"
    "Exit codes:\n"
    "  0    every command of every file passed\n"
    "  1    some command failed, or a file could not be read or parsed\n"
    "  2    usage error\n";

/* ---- bookkeeping ------------------------------------------------------------ */

typedef struct named_instance {
    const char *name;            /* borrowed from the script */
    kiln_instance *inst;         /* NULL: that module failed */
} named_instance;

typedef struct wast_run {
    const char *file;
    bool verbose;
    bool native;                 /* --tier native: report the coverage */
    unsigned long native_funcs, defined_funcs; /* over every module made */
    kiln_engine *engine;
    kiln_store *store;
    kiln_linker *linker;
    kiln_instance *current;
    bool have_current;           /* false until the first module command */
    named_instance *names;
    size_t nnames, capnames;
    kiln_module **modules;       /* kept until after the store is freed */
    size_t nmodules, capmodules;
    unsigned long passed, failed, warnings;
} wast_run;

/* What the crash handler reports: set before each command. */
static const char *volatile crash_file = "?";
static volatile unsigned long crash_line;
static const char *volatile crash_cmd = "startup";

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        cli_error("out of memory");
        exit(CLI_EXIT_LOAD);
    }
    return p;
}

static const char *command_name(kiln_wast_kind k)
{
    switch (k) {
    case KILN_WAST_MODULE: return "module";
    case KILN_WAST_REGISTER: return "register";
    case KILN_WAST_ACTION: return "action";
    case KILN_WAST_ASSERT_RETURN: return "assert_return";
    case KILN_WAST_ASSERT_TRAP: return "assert_trap";
    case KILN_WAST_ASSERT_EXHAUSTION: return "assert_exhaustion";
    case KILN_WAST_ASSERT_INVALID: return "assert_invalid";
    case KILN_WAST_ASSERT_MALFORMED: return "assert_malformed";
    case KILN_WAST_ASSERT_UNLINKABLE: return "assert_unlinkable";
    case KILN_WAST_ASSERT_UNINSTANTIABLE: return "assert_uninstantiable";
    }
    return "?";
}

static void say(wast_run *r, const kiln_wast_command *c, const char *kind, const char *fmt,
                va_list ap)
{
    printf("%s:%lu: %s: %s", r->file, (unsigned long)c->line, command_name(c->kind), kind);
    vprintf(fmt, ap);
    putchar('\n');
}

static void fail(wast_run *r, const kiln_wast_command *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(wast_run *r, const kiln_wast_command *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(r, c, "", fmt, ap);
    va_end(ap);
    r->failed++;
}

static void warn(wast_run *r, const kiln_wast_command *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(wast_run *r, const kiln_wast_command *c, const char *fmt, ...)
{
    r->warnings++;
    if (!r->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    say(r, c, "warning: ", fmt, ap);
    va_end(ap);
}

static void pass(wast_run *r, const kiln_wast_command *c)
{
    r->passed++;
    if (r->verbose)
        printf("%s:%lu: %s: ok\n", r->file, (unsigned long)c->line, command_name(c->kind));
}

/* A name as the script wrote it, bytes that are not printable ASCII
 * escaped as \hh. */
static const char *quote_name(const char *s, size_t len, char *buf, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '"')
            buf[o++] = (char)ch;
        else
            o += (size_t)snprintf(buf + o, n - o, "\\%02x", ch);
    }
    buf[o] = 0;
    return buf;
}

/* ---- crashes ----------------------------------------------------------------- */

/* A signal handler may use only async-signal-safe calls: write(2) and a
 * hand-made number formatter. */
static void put_str(const char *s)
{
    ssize_t n = write(STDOUT_FILENO, s, strlen(s));
    (void)n;
}

static void on_crash(int sig)
{
    char num[24], *p = num + sizeof num;
    unsigned long v = crash_line;
    *--p = 0;
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    put_str(crash_file);
    put_str(":");
    put_str(p);
    put_str(": ");
    put_str(crash_cmd);
    put_str(": kiln crashed (fatal signal)\n");
    /* Hand the signal back to the default action (or a sanitizer), which
     * a fault reaches again when this returns; abort() re-raises itself. */
    signal(sig, SIG_DFL);
    if (sig == SIGABRT || sig == SIGILL)
        raise(sig);
}

static void install_crash_handler(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    /* An alternate stack lets the report survive a native stack overflow. */
    static char altstack[1 << 16] __attribute__((aligned(16)));
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_crash;
        sa.sa_flags = SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

/* ---- modules and instances ------------------------------------------------------ */

static void bind_name(wast_run *r, const char *name, kiln_instance *inst)
{
    if (r->nnames == r->capnames) {
        r->capnames = r->capnames ? 2 * r->capnames : 8;
        r->names = xrealloc(r->names, r->capnames * sizeof *r->names);
    }
    r->names[r->nnames++] = (named_instance){name, inst};
}

/* The instance a command refers to: a named one (a later module of the
 * same name shadows an earlier one), else the current one. */
static kiln_instance *find_instance(wast_run *r, const char *name, char *why, size_t n)
{
    if (!name) {
        if (!r->current)
            snprintf(why, n, r->have_current ? "the current module failed"
                                             : "no module defined yet");
        return r->current;
    }
    for (size_t i = r->nnames; i-- > 0;)
        if (strcmp(r->names[i].name, name) == 0) {
            if (!r->names[i].inst)
                snprintf(why, n, "module $%s failed", name);
            return r->names[i].inst;
        }
    snprintf(why, n, "no module named $%s", name);
    return NULL;
}

/* A script module made into a kiln_module: the text encoded by the parser,
 * the binary as written, or a quoted text parsed now.  Exactly one of
 * text_failed, err and module is set. */
typedef struct built {
    bool text_failed;
    kiln_wat_error text_error;
    kiln_error *err;
    kiln_module *module;         /* owned by the run (freed after the store) */
} built;

static void build(wast_run *r, const kiln_wast_module *m, built *b)
{
    memset(b, 0, sizeof *b);
    const uint8_t *bytes = m->bytes;
    size_t len = m->len;
    uint8_t *parsed = NULL;
    if (m->form == KILN_WAST_MODULE_TEXT && (m->parse_failed || !bytes)) {
        b->text_failed = true;
        b->text_error = m->error;
        return;
    }
    if (m->form == KILN_WAST_MODULE_QUOTE) {
        if (!kiln_wat_to_wasm((const char *)m->bytes, m->len, &parsed, &len, &b->text_error)) {
            b->text_failed = true;
            return;
        }
        bytes = parsed;
    }
    b->err = kiln_module_new(r->engine, bytes, len, &b->module);
    kiln_wat_free(parsed);
    if (b->err)
        return;
    uint32_t defined;
    r->native_funcs += kiln_module_native_funcs(b->module, &defined);
    r->defined_funcs += defined;
    if (r->nmodules == r->capmodules) {
        r->capmodules = r->capmodules ? 2 * r->capmodules : 16;
        r->modules = xrealloc(r->modules, r->capmodules * sizeof *r->modules);
    }
    r->modules[r->nmodules++] = b->module;
}

/* "the text does not parse (quoted text 1:7: unknown operator)" */
static const char *text_error(const kiln_wast_module *m, const kiln_wat_error *e, char *buf,
                              size_t n)
{
    snprintf(buf, n, "%s %u:%u: %s", m->form == KILN_WAST_MODULE_QUOTE ? "quoted text" : "line",
             e->line, e->column, e->message);
    return buf;
}

static void cmd_module(wast_run *r, const kiln_wast_command *c)
{
    char ebuf[512];
    built b;
    kiln_instance *inst = NULL;
    build(r, &c->module, &b);
    if (b.text_failed) {
        fail(r, c, "expected a module, the text does not parse (%s)",
             text_error(&c->module, &b.text_error, ebuf, sizeof ebuf));
    } else if (b.err) {
        fail(r, c, "expected a module, got %s", wast_describe_error(b.err, ebuf, sizeof ebuf));
    } else {
        kiln_error *err = kiln_linker_instantiate(r->linker, b.module, &inst);
        if (err) {
            fail(r, c, "expected an instance, got %s", wast_describe_error(err, ebuf, sizeof ebuf));
            kiln_error_free(err);
            inst = NULL;
        } else {
            pass(r, c);
        }
    }
    kiln_error_free(b.err);
    r->current = inst;
    r->have_current = true;
    if (c->module.name)
        bind_name(r, c->module.name, inst);
}

static void cmd_register(wast_run *r, const kiln_wast_command *c)
{
    char why[256], ebuf[512];
    kiln_instance *inst = find_instance(r, c->register_module, why, sizeof why);
    if (!inst) {
        fail(r, c, "expected a module to register, %s", why);
        return;
    }
    kiln_error *err = kiln_linker_define_instance(r->linker, c->register_name, inst);
    if (err) {
        fail(r, c, "registering \"%s\": %s", c->register_name,
             wast_describe_error(err, ebuf, sizeof ebuf));
        kiln_error_free(err);
        return;
    }
    pass(r, c);
}

/* ---- actions ------------------------------------------------------------------ */

typedef struct action_result {
    kiln_error *err;             /* the engine's error, if the action failed */
    kiln_val *results;
    size_t nresults;
} action_result;

static bool invoke(wast_run *r, kiln_instance *inst, const kiln_wast_action *a,
                   action_result *ar, char *why, size_t n)
{
    char qbuf[200];
    kiln_func *f = kiln_instance_export_func_n(inst, a->field, a->field_len);
    if (!f) {
        snprintf(why, n, "no exported function \"%s\"",
                 quote_name(a->field, a->field_len, qbuf, sizeof qbuf));
        return false;
    }
    kiln_functype ft = kiln_func_type(f);
    if (a->nargs != ft.nparams) {
        snprintf(why, n, "\"%s\" takes %u arguments, the script passes %zu",
                 quote_name(a->field, a->field_len, qbuf, sizeof qbuf), ft.nparams, a->nargs);
        return false;
    }
    kiln_val *args = xrealloc(NULL, a->nargs * sizeof *args);
    for (size_t i = 0; i < a->nargs; i++) {
        bool ok = wast_arg(&a->args[i], &args[i], why, n);
        if (ok && args[i].kind != ft.params[i]) {
            snprintf(why, n, "argument %zu is a %s, the function takes a %s", i,
                     valkind_name(args[i].kind), valkind_name(ft.params[i]));
            ok = false;
        }
        if (!ok) {
            free(args);
            return false;
        }
    }
    ar->nresults = ft.nresults;
    ar->results = xrealloc(NULL, ft.nresults * sizeof *ar->results);
    ar->err = kiln_call(r->store, f, args, a->nargs, ar->results, ft.nresults);
    free(args);
    return true;
}

/* Carry out an invoke or get.  False (with why) if it could not even be
 * attempted; the engine's own error lands in ar->err. */
static bool run_action(wast_run *r, const kiln_wast_action *a, action_result *ar, char *why,
                       size_t n)
{
    memset(ar, 0, sizeof *ar);
    kiln_instance *inst = find_instance(r, a->module, why, n);
    if (!inst)
        return false;
    if (!a->is_get)
        return invoke(r, inst, a, ar, why, n);
    char qbuf[200];
    kiln_global *g = memchr(a->field, 0, a->field_len) ? NULL
                                                        : kiln_instance_export_global(inst, a->field);
    if (!g) {
        snprintf(why, n, "no exported global \"%s\"",
                 quote_name(a->field, a->field_len, qbuf, sizeof qbuf));
        return false;
    }
    ar->results = xrealloc(NULL, sizeof *ar->results);
    ar->results[0] = kiln_global_get(g);
    ar->nresults = 1;
    return true;
}

static void action_result_free(action_result *ar)
{
    kiln_error_free(ar->err);
    free(ar->results);
}

static bool is_trap(const kiln_error *e)
{
    kiln_error_kind k = kiln_error_kind_of(e);
    return k == KILN_ERR_TRAP || k == KILN_ERR_LIMIT;
}

static void check_message(wast_run *r, const kiln_wast_command *c, const kiln_error *e)
{
    const char *msg = kiln_error_message(e);
    if (c->message && (!msg || !strstr(msg, c->message)))
        warn(r, c, "message \"%s\" does not contain \"%s\"", msg ? msg : "", c->message);
}

static void check_results(wast_run *r, const kiln_wast_command *c, const action_result *ar)
{
    char want[600], got[600];
    if (c->nresults != ar->nresults) {
        fail(r, c, "expected %zu results, the function returns %zu", c->nresults, ar->nresults);
        return;
    }
    for (size_t i = 0; i < c->nresults; i++)
        if (!wast_result_matches(&c->results[i], &ar->results[i])) {
            wast_format_result(&c->results[i], want, sizeof want);
            wast_format_got(&ar->results[i], &c->results[i], got, sizeof got);
            if (c->nresults > 1)
                fail(r, c, "result %zu: expected %s, got %s", i, want, got);
            else
                fail(r, c, "expected %s, got %s", want, got);
            return;
        }
    pass(r, c);
}

static void cmd_action(wast_run *r, const kiln_wast_command *c)
{
    char why[600], ebuf[512];
    action_result ar;
    if (!run_action(r, &c->action, &ar, why, sizeof why)) {
        fail(r, c, "cannot run the action: %s", why);
        action_result_free(&ar);
        return;
    }
    bool exhaustion = c->kind == KILN_WAST_ASSERT_EXHAUSTION;
    const char *msg = c->message ? c->message : "";
    if (c->kind == KILN_WAST_ACTION || c->kind == KILN_WAST_ASSERT_RETURN) {
        if (ar.err)
            fail(r, c, "expected results, got %s", wast_describe_error(ar.err, ebuf, sizeof ebuf));
        else if (c->kind == KILN_WAST_ASSERT_RETURN)
            check_results(r, c, &ar);
        else
            pass(r, c);
    } else if (!ar.err) {
        fail(r, c, "expected %s \"%s\", the call returned normally",
             exhaustion ? "stack exhaustion" : "a trap", msg);
    } else if (!is_trap(ar.err) ||
               (exhaustion && kiln_error_trap(ar.err) != KILN_TRAP_STACK_EXHAUSTED)) {
        fail(r, c, "expected %s \"%s\", got %s", exhaustion ? "stack exhaustion" : "a trap", msg,
             wast_describe_error(ar.err, ebuf, sizeof ebuf));
    } else {
        check_message(r, c, ar.err);
        pass(r, c);
    }
    action_result_free(&ar);
}

/* ---- modules that must fail ---------------------------------------------------------- */

/* assert_invalid and assert_malformed: some stage must refuse the module. */
static void cmd_rejected(wast_run *r, const kiln_wast_command *c)
{
    char ebuf[512];
    bool malformed = c->kind == KILN_WAST_ASSERT_MALFORMED;
    const char *msg = c->message ? c->message : "";
    built b;
    build(r, &c->module, &b);
    if (b.text_failed) {
        if (!malformed)
            warn(r, c, "the text parser refused it (%s), the validator should have",
                 text_error(&c->module, &b.text_error, ebuf, sizeof ebuf));
        pass(r, c);
        return;
    }
    if (!b.err) {
        fail(r, c, "expected a%s module \"%s\", kiln accepted it",
             malformed ? " malformed" : "n invalid", msg);
        return;
    }
    kiln_error_kind k = kiln_error_kind_of(b.err);
    if (k != KILN_ERR_DECODE && k != KILN_ERR_VALIDATE) {
        fail(r, c, "expected a%s module \"%s\", got %s", malformed ? " malformed" : "n invalid",
             msg, wast_describe_error(b.err, ebuf, sizeof ebuf));
    } else {
        /* Where the decoder ends and the validator begins is partly kiln's
         * choice, so the other kind of refusal is only worth a note; so is
         * a quoted text that only the decoder refused. */
        if (k != (malformed ? KILN_ERR_DECODE : KILN_ERR_VALIDATE))
            warn(r, c, "expected a%s module \"%s\", got %s",
                 malformed ? " malformed" : "n invalid", msg,
                 wast_describe_error(b.err, ebuf, sizeof ebuf));
        else if (malformed && c->module.form != KILN_WAST_MODULE_BINARY)
            warn(r, c, "the text parser accepted it; the decoder refused it: %s",
                 wast_describe_error(b.err, ebuf, sizeof ebuf));
        pass(r, c);
    }
    kiln_error_free(b.err);
}

/* assert_unlinkable, assert_uninstantiable and assert_trap on a module: the
 * module builds, and instantiating it fails with a link error or a trap. */
static void cmd_uninstantiable(wast_run *r, const kiln_wast_command *c)
{
    char ebuf[512];
    bool link = c->kind == KILN_WAST_ASSERT_UNLINKABLE;
    const char *want = link ? "a link error" : "a trap";
    const char *msg = c->message ? c->message : "";
    built b;
    build(r, &c->module, &b);
    if (b.text_failed) {
        fail(r, c, "expected %s \"%s\", the text does not parse (%s)", want, msg,
             text_error(&c->module, &b.text_error, ebuf, sizeof ebuf));
        return;
    }
    if (b.err) {
        fail(r, c, "expected %s \"%s\", the module does not build: %s", want, msg,
             wast_describe_error(b.err, ebuf, sizeof ebuf));
        kiln_error_free(b.err);
        return;
    }
    kiln_instance *inst = NULL;
    kiln_error *err = kiln_linker_instantiate(r->linker, b.module, &inst);
    if (!err) {
        /* The instance stays in the store; it just is not made current. */
        fail(r, c, "expected %s \"%s\", the module instantiated", want, msg);
    } else if (link ? kiln_error_kind_of(err) != KILN_ERR_LINK : !is_trap(err)) {
        fail(r, c, "expected %s \"%s\", got %s", want, msg,
             wast_describe_error(err, ebuf, sizeof ebuf));
    } else {
        check_message(r, c, err);
        pass(r, c);
    }
    kiln_error_free(err);
}

static void run_command(wast_run *r, const kiln_wast_command *c)
{
    crash_line = c->line;
    crash_cmd = command_name(c->kind);
    switch (c->kind) {
    case KILN_WAST_MODULE: cmd_module(r, c); break;
    case KILN_WAST_REGISTER: cmd_register(r, c); break;
    case KILN_WAST_ACTION:
    case KILN_WAST_ASSERT_RETURN:
    case KILN_WAST_ASSERT_EXHAUSTION: cmd_action(r, c); break;
    case KILN_WAST_ASSERT_TRAP:
        if (c->has_module)
            cmd_uninstantiable(r, c);
        else
            cmd_action(r, c);
        break;
    case KILN_WAST_ASSERT_INVALID:
    case KILN_WAST_ASSERT_MALFORMED: cmd_rejected(r, c); break;
    case KILN_WAST_ASSERT_UNLINKABLE:
    case KILN_WAST_ASSERT_UNINSTANTIABLE: cmd_uninstantiable(r, c); break;
    default: fail(r, c, "a command kiln wast does not know (%d)", (int)c->kind); break;
    }
    fflush(stdout);
}

/* ---- files -------------------------------------------------------------------------- */

static bool run_setup(wast_run *r)
{
    char ebuf[512];
    kiln_error *err = kiln_store_new(r->engine, NULL, &r->store);
    if (!err)
        err = kiln_linker_new(r->store, &r->linker);
    if (!err)
        err = wast_define_spectest(r->store, r->linker);
    if (!err)
        return true;
    printf("%s: cannot set up the store and the spectest module: %s\n", r->file,
           wast_describe_error(err, ebuf, sizeof ebuf));
    kiln_error_free(err);
    r->failed++;
    return false;
}

static void run_free(wast_run *r)
{
    /* Instances die with the store; modules must outlive them. */
    kiln_linker_free(r->linker);
    kiln_store_free(r->store);
    for (size_t i = 0; i < r->nmodules; i++)
        kiln_module_free(r->modules[i]);
    free(r->modules);
    free(r->names);
}

/* Runs one file and prints its summary; adds its counts to *passed and
 * *failed. */
static void run_file(kiln_engine *engine, const char *path, bool verbose, bool native,
                     unsigned long *passed, unsigned long *failed)
{
    wast_run r = {.file = path, .verbose = verbose, .native = native, .engine = engine};
    uint8_t *text;
    size_t len;
    kiln_wast_script *script = NULL;
    kiln_wat_error perr;
    crash_file = path;
    crash_line = 0;
    crash_cmd = "parse";
    if (!read_file(path, &text, &len)) {
        r.failed = 1;
    } else {
        if (!kiln_wast_parse((const char *)text, len, &script, &perr)) {
            printf("%s:%u:%u: %s\n", path, perr.line, perr.column, perr.message);
            r.failed = 1;
        }
        free(text);
    }
    if (script && run_setup(&r)) {
        size_t n = kiln_wast_count(script);
        for (size_t i = 0; i < n; i++)
            run_command(&r, kiln_wast_get(script, i));
    }
    crash_cmd = "cleanup";
    run_free(&r);
    kiln_wast_free(script);
    if (r.warnings && !verbose)
        printf("%s: %lu warnings (--verbose shows them)\n", path, r.warnings);
    if (native)
        printf("%s: native code for %lu of %lu functions\n", path, r.native_funcs,
               r.defined_funcs);
    printf("%s: %lu passed, %lu failed\n", path, r.passed, r.failed);
    fflush(stdout);
    *passed += r.passed;
    *failed += r.failed;
}

static int wast_main(int argc, char **argv)
{
    bool verbose = false;
    kiln_tier tier = KILN_TIER_DEFAULT;
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1]) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(wast_usage, stdout);
            return CLI_EXIT_OK;
        }
        const char *v;
        int r = option_value("wast", argv, argc, &i, "--tier", &v); /* steps past it */
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0) {
            if (strcmp(v, "interp") == 0)
                tier = KILN_TIER_INTERP;
            else if (strcmp(v, "native") == 0)
                tier = KILN_TIER_NATIVE;
            else
                return usage_error("wast", "--tier: '%s' is not interp or native", v);
            continue;
        }
        if (strcmp(a, "-v") != 0 && strcmp(a, "--verbose") != 0)
            return usage_error("wast", "unknown option '%s'", a);
        verbose = true;
        i++;
    }
    if (i >= argc)
        return usage_error("wast", "missing FILE.wast");

    kiln_engine *engine;
    if (!new_engine_tier(tier, &engine))
        return CLI_EXIT_LOAD;
    setvbuf(stdout, NULL, _IOLBF, 0);
    install_crash_handler();
    unsigned long passed = 0, failed = 0;
    int files = argc - i;
    for (; i < argc; i++)
        run_file(engine, argv[i], verbose, tier != KILN_TIER_INTERP, &passed, &failed);
    if (files > 1)
        printf("total: %lu passed, %lu failed\n", passed, failed);
    kiln_engine_free(engine);
    return failed ? CLI_EXIT_LOAD : CLI_EXIT_OK;
}

const cli_command cli_wast = {
    .name = "wast",
    .summary = "Run WebAssembly spec scripts (.wast)",
    .usage = wast_usage,
    .main = wast_main,
};
