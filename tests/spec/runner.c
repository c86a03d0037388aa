/*
 * runner.c — runs one spec-testsuite script, as converted by wast2json, against
 * kiln through its public API (kiln.h) only.
 *
 *   spec-runner [-v] FILE.json
 *
 * wast2json turns a .wast script into FILE.json (a list of commands) plus the
 * binary modules FILE.N.wasm beside it.  Every command is carried out in one
 * store with one linker, in which the standard "spectest" host module is
 * defined; the result of each check is counted as passed, failed or skipped
 * (text-format modules, which a binary-only engine cannot judge).  Each
 * failure is printed as "FILE:LINE: COMMAND: what differed"; the last line is
 * always "FILE: P passed, F failed, S skipped" and the exit status is 0 only
 * when nothing failed.  The engine is treated as untrusted: every error it
 * returns is reported rather than assumed away, and a fatal signal names the
 * command that was running before the process dies.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kiln.h"

/* ---- Bookkeeping -------------------------------------------------------- */

typedef struct named_instance {
    char *name;
    kiln_instance *inst; /* NULL when that module failed to instantiate */
} named_instance;

typedef struct runner {
    const char *file; /* shown in messages: the .wast the lines refer to */
    char *dir;        /* where the .wasm files named by the script live */
    bool verbose;
    kiln_tier tier;   /* --tier: which tier runs the code */

    kiln_engine *engine;
    kiln_store *store;
    kiln_linker *linker;

    /* The module most recently defined.  It is NULL after a module command
     * fails, so later commands fail loudly instead of silently running
     * against an older module. */
    kiln_instance *current;
    bool have_current; /* false until the first module command */

    named_instance *names;
    size_t nnames, capnames;
    kiln_module **modules; /* kept alive until after the store is freed */
    size_t nmodules, capmodules;

    unsigned long passed, failed, skipped, warnings;
    unsigned long native_funcs, defined_funcs; /* over every module made */
} runner;

/* What the crash handler reports: set before each command. */
static const char *volatile crash_file = "?";
static volatile long crash_line;
static const char *volatile crash_cmd = "startup";

static void out_of_memory(void)
{
    fputs("spec-runner: out of memory\n", stderr);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

static void report(runner *r, long line, const char *cmd, const char *kind, const char *fmt,
                   va_list ap)
{
    printf("%s:%ld: %s: %s", r->file, line, cmd, kind);
    vprintf(fmt, ap);
    putchar('\n');
}

static void fail(runner *r, long line, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(r, line, cmd, "", fmt, ap);
    va_end(ap);
    r->failed++;
}

static void warn(runner *r, long line, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(r, line, cmd, "warning: ", fmt, ap);
    va_end(ap);
    r->warnings++;
}

static const char *kind_name(kiln_error_kind k)
{
    switch (k) {
    case KILN_ERR_DECODE: return "decode";
    case KILN_ERR_VALIDATE: return "validate";
    case KILN_ERR_LINK: return "link";
    case KILN_ERR_TRAP: return "trap";
    case KILN_ERR_LIMIT: return "limit";
    case KILN_ERR_HOST: return "host";
    case KILN_ERR_NOMEM: return "nomem";
    case KILN_ERR_ARG: return "arg";
    case KILN_ERR_PLUGIN: return "plugin";
    }
    return "unknown-kind";
}

/* "trap: out of bounds memory access (trap code 2)" — for failure lines. */
static const char *describe_error(const kiln_error *e, char *buf, size_t n)
{
    const char *msg = kiln_error_message(e);
    snprintf(buf, n, "%s error: %s (trap code %d)", kind_name(kiln_error_kind_of(e)),
             msg ? msg : "(null message)", (int)kiln_error_trap(e));
    return buf;
}

static bool is_trap(const kiln_error *e)
{
    kiln_error_kind k = kiln_error_kind_of(e);
    return k == KILN_ERR_TRAP || k == KILN_ERR_LIMIT;
}

/* ---- Crash reporting ---------------------------------------------------- */

/* The signal handler may use only async-signal-safe calls, hence write(2)
 * and a hand-rolled number formatter. */
static void put_str(const char *s)
{
    ssize_t n = write(STDOUT_FILENO, s, strlen(s));
    (void)n;
}

static void put_num(long v)
{
    char buf[24], *p = buf + sizeof buf;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    *--p = 0;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    put_str(p);
}

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static struct sigaction previous_action[sizeof crash_signals / sizeof crash_signals[0]];

static void on_crash(int sig)
{
    put_str(crash_file);
    put_str(":");
    put_num(crash_line);
    put_str(": ");
    put_str(crash_cmd);
    put_str(": CRASH with signal ");
    put_num(sig);
    put_str("\n");
    /* Hand the signal to whoever had it before (the default action, or a
     * sanitizer's handler, which prints a useful report).  A fault re-occurs
     * when the handler returns; abort() re-raises by itself. */
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        if (crash_signals[i] == sig)
            sigaction(sig, &previous_action[i], NULL);
    if (sig == SIGABRT || sig == SIGILL)
        raise(sig);
}

/* Installed before the engine exists, so an engine that wants SIGSEGV for its
 * own purposes (guard pages) simply takes it over. */
static void install_crash_handler(void)
{
    /* An alternate stack lets the report survive a native stack overflow. */
    static char altstack[1 << 16] __attribute__((aligned(16)));
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_crash;
        sa.sa_flags = SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(crash_signals[i], &sa, &previous_action[i]);
    }
}

/* ---- Reading files ------------------------------------------------------ */

static bool read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = xrealloc(NULL, cap);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        buf = xrealloc(buf, cap);
    }
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        free(buf);
        return false;
    }
    *data = buf;
    *len = n;
    return true;
}

/* kiln names are C strings, so an export name with a NUL in it cannot be
 * asked for; cJSON would silently cut such a string short and the runner
 * would then call a different export (names.wast has both "" and
 * "\0\1\2...").  So before parsing, each \u0000 escape is replaced by a
 * character the script does not otherwise use (U+100000, private use); a
 * string holding it is then known to have held a NUL. */
static const char nul_sentinel_utf8[] = "\xf4\x80\x80\x80";
static const char nul_sentinel_escape[] = "\\udbc0\\udc00";

static bool has_nul_sentinel(const char *s) { return s && strstr(s, nul_sentinel_utf8); }

static char *mark_nul_escapes(const char *text, size_t len, bool *ambiguous)
{
    /* If the sentinel already occurs the marking would be ambiguous; leave
     * the text alone (NUL names then fail instead of being skipped). */
    *ambiguous = memmem(text, len, nul_sentinel_utf8, 4) != NULL ||
                 strcasestr(text, nul_sentinel_escape) != NULL;
    size_t count = 0;
    for (size_t i = 0; i + 1 < len; i++)
        if (text[i] == '\\') {
            if (text[i + 1] == 'u' && i + 6 <= len && memcmp(text + i + 2, "0000", 4) == 0)
                count++;
            i++; /* skip the escaped character, so "\\u0000" is not seen */
        }
    char *out = xrealloc(NULL, len + count * 6 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\\' && i + 1 < len) {
            if (!*ambiguous && text[i + 1] == 'u' && i + 6 <= len &&
                memcmp(text + i + 2, "0000", 4) == 0) {
                memcpy(out + o, nul_sentinel_escape, 12);
                o += 12;
                i += 5;
                continue;
            }
            out[o++] = text[i++];
        }
        out[o++] = text[i];
    }
    out[o] = 0;
    return out;
}

/* ---- JSON helpers ------------------------------------------------------- */

static const char *jstr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long jline(const cJSON *cmd)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cmd, "line");
    return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

/* Values are unsigned decimal bit patterns; a leading '-' is accepted too in
 * case a converter writes signed numbers.  The value must fit in `bits`. */
static bool parse_bits(const char *s, unsigned bits, uint64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    uint64_t v;
    if (s[0] == '-') {
        long long sv = strtoll(s, &end, 10);
        if (errno || *end || (bits < 64 && sv < -(1LL << (bits - 1))))
            return false;
        v = (uint64_t)sv;
        if (bits < 64)
            v &= (UINT64_C(1) << bits) - 1;
    } else {
        v = strtoull(s, &end, 10);
        if (errno || *end || (bits < 64 && v >> bits))
            return false;
    }
    *out = v;
    return true;
}

static bool valkind_of(const char *type, kiln_valkind *k)
{
    static const struct {
        const char *name;
        kiln_valkind kind;
    } kinds[] = {
        {"i32", KILN_I32},         {"i64", KILN_I64},          {"f32", KILN_F32},
        {"f64", KILN_F64},         {"v128", KILN_V128},        {"funcref", KILN_FUNCREF},
        {"externref", KILN_EXTERNREF},
    };
    for (size_t i = 0; type && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(type, kinds[i].name) == 0) {
            *k = kinds[i].kind;
            return true;
        }
    return false;
}

static const char *valkind_name(kiln_valkind k)
{
    const char *n = kiln_valkind_name(k);
    return n ? n : "?";
}

/* Lane width in bits for a v128 "lane_type", or 0. */
static unsigned lane_bits(const char *lane_type)
{
    if (!lane_type)
        return 0;
    if (strcmp(lane_type, "i8") == 0)
        return 8;
    if (strcmp(lane_type, "i16") == 0)
        return 16;
    if (strcmp(lane_type, "i32") == 0 || strcmp(lane_type, "f32") == 0)
        return 32;
    if (strcmp(lane_type, "i64") == 0 || strcmp(lane_type, "f64") == 0)
        return 64;
    return 0;
}

static void put_lane(uint8_t *v128, unsigned bits, size_t lane, uint64_t value)
{
    /* v128 lanes are little-endian, like linear memory. */
    for (unsigned b = 0; b < bits / 8; b++)
        v128[lane * (bits / 8) + b] = (uint8_t)(value >> (8 * b));
}

static uint64_t get_lane(const uint8_t *v128, unsigned bits, size_t lane)
{
    uint64_t value = 0;
    for (unsigned b = 0; b < bits / 8; b++)
        value |= (uint64_t)v128[lane * (bits / 8) + b] << (8 * b);
    return value;
}

/* An argument value from the script. */
static bool parse_arg(const cJSON *arg, kiln_val *out, char *why, size_t n)
{
    const char *type = jstr(arg, "type");
    kiln_valkind k;
    if (!valkind_of(type, &k)) {
        snprintf(why, n, "unsupported argument type %s", type ? type : "(none)");
        return false;
    }
    memset(out, 0, sizeof *out);
    out->kind = k;
    uint64_t bits;
    if (k == KILN_V128) {
        const cJSON *lanes = cJSON_GetObjectItemCaseSensitive(arg, "value");
        unsigned lb = lane_bits(jstr(arg, "lane_type"));
        if (!lb || !cJSON_IsArray(lanes) || (unsigned)cJSON_GetArraySize(lanes) != 128 / lb) {
            snprintf(why, n, "bad v128 argument");
            return false;
        }
        size_t i = 0;
        for (const cJSON *l = lanes->child; l; l = l->next, i++) {
            if (!cJSON_IsString(l) || !parse_bits(l->valuestring, lb, &bits)) {
                snprintf(why, n, "bad v128 lane value %s",
                         cJSON_IsString(l) ? l->valuestring : "(not a string)");
                return false;
            }
            put_lane(out->of.v128, lb, i, bits);
        }
        return true;
    }
    const char *value = jstr(arg, "value");
    if (k == KILN_FUNCREF || k == KILN_EXTERNREF) {
        if (value && strcmp(value, "null") == 0)
            return true; /* already NULL */
        if (k == KILN_EXTERNREF && parse_bits(value, 64, &bits) && bits < UINTPTR_MAX) {
            /* N+1 so that (ref.extern 0) differs from null. */
            out->of.externref = (void *)(uintptr_t)(bits + 1);
            return true;
        }
        snprintf(why, n, "cannot construct %s argument %s", type, value ? value : "(none)");
        return false;
    }
    unsigned width = (k == KILN_I32 || k == KILN_F32) ? 32 : 64;
    if (!parse_bits(value, width, &bits)) {
        snprintf(why, n, "bad %s argument value %s", type, value ? value : "(none)");
        return false;
    }
    uint32_t b32 = (uint32_t)bits;
    switch (k) {
    case KILN_I32: out->of.i32 = (int32_t)b32; break;
    case KILN_I64: out->of.i64 = (int64_t)bits; break;
    /* memcpy keeps NaN payloads bit for bit (no float arithmetic involved). */
    case KILN_F32: memcpy(&out->of.f32, &b32, 4); break;
    case KILN_F64: memcpy(&out->of.f64, &bits, 8); break;
    default: break;
    }
    return true;
}

/* ---- Comparing results -------------------------------------------------- */

/* A float pattern: an exact bit pattern, or one of the two NaN classes. */
enum nan_class { NAN_NONE, NAN_CANONICAL, NAN_ARITHMETIC };

static enum nan_class nan_class_of(const char *s)
{
    if (s && strcmp(s, "nan:canonical") == 0)
        return NAN_CANONICAL;
    if (s && strcmp(s, "nan:arithmetic") == 0)
        return NAN_ARITHMETIC;
    return NAN_NONE;
}

/* Per the spec: a canonical NaN has only the top fraction bit set (either
 * sign); an arithmetic NaN has at least that bit set. */
static bool float_matches(enum nan_class c, unsigned width, uint64_t got, uint64_t want)
{
    uint64_t sign = UINT64_C(1) << (width - 1);
    uint64_t quiet_nan = width == 32 ? UINT64_C(0x7fc00000) : UINT64_C(0x7ff8000000000000);
    switch (c) {
    case NAN_CANONICAL: return (got & ~sign) == quiet_nan;
    case NAN_ARITHMETIC: return (got & quiet_nan) == quiet_nan;
    case NAN_NONE: return got == want;
    }
    return false;
}

static void format_lanes(const uint8_t *v, unsigned lb, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < 128 / lb && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%" PRIu64, i ? " " : "", get_lane(v, lb, i));
}

static void format_value(const kiln_val *v, char *buf, size_t n)
{
    uint32_t b32;
    uint64_t b64;
    switch (v->kind) {
    case KILN_I32:
        snprintf(buf, n, "i32 %" PRIu32 " (%" PRId32 ")", (uint32_t)v->of.i32, v->of.i32);
        break;
    case KILN_I64:
        snprintf(buf, n, "i64 %" PRIu64 " (%" PRId64 ")", (uint64_t)v->of.i64, v->of.i64);
        break;
    case KILN_F32:
        memcpy(&b32, &v->of.f32, 4);
        snprintf(buf, n, "f32 %" PRIu32 " (0x%08" PRIx32 ", %.9g)", b32, b32, (double)v->of.f32);
        break;
    case KILN_F64:
        memcpy(&b64, &v->of.f64, 8);
        snprintf(buf, n, "f64 %" PRIu64 " (0x%016" PRIx64 ", %.17g)", b64, b64, v->of.f64);
        break;
    case KILN_V128: {
        size_t o = (size_t)snprintf(buf, n, "v128 bytes");
        for (int i = 0; i < 16 && o < n; i++)
            o += (size_t)snprintf(buf + o, n - o, " %02x", v->of.v128[i]);
        break;
    }
    case KILN_FUNCREF:
        snprintf(buf, n, "funcref %s", v->of.funcref ? "non-null" : "null");
        break;
    case KILN_EXTERNREF:
        if (!v->of.externref)
            snprintf(buf, n, "externref null");
        else
            snprintf(buf, n, "externref %" PRIuPTR " (host pointer %p)",
                     (uintptr_t)v->of.externref - 1, v->of.externref);
        break;
    default: snprintf(buf, n, "value of unknown kind %d", (int)v->kind); break;
    }
}

/* Does `got` match the expected value `exp`?  If not, `why` says how. */
static bool value_matches(const cJSON *exp, const kiln_val *got, char *why, size_t n)
{
    const char *type = jstr(exp, "type");
    kiln_valkind k;
    char gotbuf[256];
    if (!valkind_of(type, &k)) {
        snprintf(why, n, "unsupported expected type %s", type ? type : "(none)");
        return false;
    }
    format_value(got, gotbuf, sizeof gotbuf);
    if (got->kind != k) {
        snprintf(why, n, "expected a %s, got %s", type, gotbuf);
        return false;
    }
    const char *value = jstr(exp, "value");
    uint64_t bits = 0;
    if (k == KILN_V128) {
        const char *lane_type = jstr(exp, "lane_type");
        unsigned lb = lane_bits(lane_type);
        const cJSON *lanes = cJSON_GetObjectItemCaseSensitive(exp, "value");
        if (!lb || !cJSON_IsArray(lanes) || (unsigned)cJSON_GetArraySize(lanes) != 128 / lb) {
            snprintf(why, n, "malformed expected v128 value");
            return false;
        }
        bool is_float = lane_type[0] == 'f';
        size_t i = 0;
        bool ok = true;
        for (const cJSON *l = lanes->child; l; l = l->next, i++) {
            const char *s = cJSON_IsString(l) ? l->valuestring : NULL;
            enum nan_class c = is_float ? nan_class_of(s) : NAN_NONE;
            if (c == NAN_NONE && !parse_bits(s, lb, &bits)) {
                snprintf(why, n, "malformed expected lane %s", s ? s : "(not a string)");
                return false;
            }
            uint64_t lane = get_lane(got->of.v128, lb, i);
            if (is_float ? !float_matches(c, lb, lane, bits) : lane != bits)
                ok = false;
        }
        if (!ok) {
            char lanebuf[400];
            size_t o = 0;
            for (const cJSON *l = lanes->child; l && o < sizeof lanebuf; l = l->next)
                o += (size_t)snprintf(lanebuf + o, sizeof lanebuf - o, "%s%s",
                                      l == lanes->child ? "" : " ",
                                      cJSON_IsString(l) ? l->valuestring : "?");
            char gotlanes[400];
            format_lanes(got->of.v128, lb, gotlanes, sizeof gotlanes);
            snprintf(why, n, "expected %s lanes [%s], got [%s]", lane_type, lanebuf, gotlanes);
        }
        return ok;
    }
    if (k == KILN_FUNCREF || k == KILN_EXTERNREF) {
        bool want_null = value && strcmp(value, "null") == 0;
        void *p = k == KILN_FUNCREF ? (void *)got->of.funcref : got->of.externref;
        bool ok;
        if (want_null)
            ok = p == NULL;
        else if (k == KILN_FUNCREF)
            ok = p != NULL; /* the script cannot name a particular function */
        else if (parse_bits(value, 64, &bits))
            ok = p == (void *)(uintptr_t)(bits + 1);
        else {
            snprintf(why, n, "malformed expected externref %s", value ? value : "(none)");
            return false;
        }
        if (!ok)
            snprintf(why, n, "expected %s %s, got %s", type,
                     want_null ? "null" : value ? value : "non-null", gotbuf);
        return ok;
    }
    unsigned width = (k == KILN_I32 || k == KILN_F32) ? 32 : 64;
    enum nan_class c = (k == KILN_F32 || k == KILN_F64) ? nan_class_of(value) : NAN_NONE;
    if (c == NAN_NONE && !parse_bits(value, width, &bits)) {
        snprintf(why, n, "malformed expected %s value %s", type, value ? value : "(none)");
        return false;
    }
    uint64_t g;
    uint32_t g32;
    switch (k) {
    case KILN_I32: g = (uint32_t)got->of.i32; break;
    case KILN_I64: g = (uint64_t)got->of.i64; break;
    case KILN_F32: memcpy(&g32, &got->of.f32, 4); g = g32; break;
    default: memcpy(&g, &got->of.f64, 8); break;
    }
    bool ok = (k == KILN_F32 || k == KILN_F64) ? float_matches(c, width, g, bits) : g == bits;
    if (!ok)
        snprintf(why, n, "expected %s %s, got %s", type, value, gotbuf);
    return ok;
}

/* ---- Modules and instances ---------------------------------------------- */

static void bind_name(runner *r, const char *name, kiln_instance *inst)
{
    if (r->nnames == r->capnames) {
        r->capnames = r->capnames ? 2 * r->capnames : 8;
        r->names = xrealloc(r->names, r->capnames * sizeof *r->names);
    }
    r->names[r->nnames].name = xstrdup(name);
    r->names[r->nnames].inst = inst;
    r->nnames++;
}

/* The instance a command refers to: a named one, else the current one.  A
 * later module of the same name shadows an earlier one. */
static kiln_instance *find_instance(runner *r, const char *name, char *why, size_t n)
{
    if (!name) {
        if (!r->current)
            snprintf(why, n, r->have_current ? "the current module failed to instantiate"
                                             : "no module defined yet");
        return r->current;
    }
    for (size_t i = r->nnames; i-- > 0;)
        if (strcmp(r->names[i].name, name) == 0) {
            if (!r->names[i].inst)
                snprintf(why, n, "module %s failed to instantiate", name);
            return r->names[i].inst;
        }
    snprintf(why, n, "no module named %s", name);
    return NULL;
}

static void keep_module(runner *r, kiln_module *m)
{
    if (r->nmodules == r->capmodules) {
        r->capmodules = r->capmodules ? 2 * r->capmodules : 16;
        r->modules = xrealloc(r->modules, r->capmodules * sizeof *r->modules);
    }
    r->modules[r->nmodules++] = m;
}

/* Decode a module file named by the script.  Returns false with `why` set if
 * the file cannot be read; otherwise *err is the engine's verdict. */
static bool load_module(runner *r, const char *filename, kiln_module **out, kiln_error **err,
                        char *why, size_t n)
{
    *out = NULL;
    *err = NULL;
    if (!filename) {
        snprintf(why, n, "command names no module file");
        return false;
    }
    size_t plen = strlen(r->dir) + strlen(filename) + 2;
    char *path = xrealloc(NULL, plen);
    snprintf(path, plen, "%s/%s", r->dir, filename);
    uint8_t *bytes;
    size_t len;
    bool ok = read_file(path, &bytes, &len);
    if (!ok)
        snprintf(why, n, "cannot read %s: %s", path, strerror(errno));
    free(path);
    if (!ok)
        return false;
    kiln_module *m = NULL;
    *err = kiln_module_new(r->engine, bytes, len, &m);
    free(bytes);
    if (*err)
        return true;
    if (!m) {
        snprintf(why, n, "kiln_module_new returned neither an error nor a module");
        return false;
    }
    uint32_t defined;
    r->native_funcs += kiln_module_native_funcs(m, &defined);
    r->defined_funcs += defined;
    keep_module(r, m);
    *out = m;
    return true;
}

/* Is this a binary module?  Text ones are for a text-format parser. */
static bool is_text_module(const cJSON *cmd)
{
    const char *mt = jstr(cmd, "module_type");
    if (mt)
        return strcmp(mt, "binary") != 0;
    const char *fn = jstr(cmd, "filename");
    size_t len = fn ? strlen(fn) : 0;
    return len < 5 || strcmp(fn + len - 5, ".wasm") != 0;
}

/* ---- Actions ------------------------------------------------------------ */

typedef struct action_result {
    kiln_error *err; /* the engine's error, if the action failed */
    kiln_val *results;
    size_t nresults;
} action_result;

static void action_result_free(action_result *ar)
{
    if (ar->err)
        kiln_error_free(ar->err);
    free(ar->results);
    memset(ar, 0, sizeof *ar);
}

/* Carry out an invoke or get.  Returns false (with `why`) if it could not
 * even be attempted; an error from the engine itself lands in ar->err. */
static bool run_action(runner *r, const cJSON *action, action_result *ar, char *why, size_t n)
{
    memset(ar, 0, sizeof *ar);
    const char *type = jstr(action, "type");
    const char *field = jstr(action, "field");
    if (!type || !field) {
        snprintf(why, n, "malformed action");
        return false;
    }
    if (has_nul_sentinel(field)) {
        snprintf(why, n, "export name contains NUL");
        return false;
    }
    kiln_instance *inst = find_instance(r, jstr(action, "module"), why, n);
    if (!inst)
        return false;

    if (strcmp(type, "get") == 0) {
        kiln_global *g = kiln_instance_export_global(inst, field);
        if (!g) {
            snprintf(why, n, "no exported global \"%s\"", field);
            return false;
        }
        ar->results = xrealloc(NULL, sizeof *ar->results);
        ar->results[0] = kiln_global_get(g);
        ar->nresults = 1;
        return true;
    }
    if (strcmp(type, "invoke") != 0) {
        snprintf(why, n, "unsupported action type %s", type);
        return false;
    }
    kiln_func *f = kiln_instance_export_func(inst, field);
    if (!f) {
        snprintf(why, n, "no exported function \"%s\"", field);
        return false;
    }
    kiln_functype ft = kiln_func_type(f);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
    size_t nargs = cJSON_IsArray(args) ? (size_t)cJSON_GetArraySize(args) : 0;
    if (nargs != ft.nparams) {
        snprintf(why, n, "\"%s\" takes %" PRIu32 " parameters, the script passes %zu", field,
                 ft.nparams, nargs);
        return false;
    }
    kiln_val *argv = xrealloc(NULL, (nargs ? nargs : 1) * sizeof *argv);
    size_t i = 0;
    for (const cJSON *a = nargs ? args->child : NULL; a; a = a->next, i++) {
        if (!parse_arg(a, &argv[i], why, n)) {
            free(argv);
            return false;
        }
        if (argv[i].kind != ft.params[i]) {
            snprintf(why, n, "parameter %zu of \"%s\" is %s, the script passes %s", i, field,
                     valkind_name(ft.params[i]), valkind_name(argv[i].kind));
            free(argv);
            return false;
        }
    }
    ar->nresults = ft.nresults;
    ar->results = xrealloc(NULL, (ft.nresults ? ft.nresults : 1) * sizeof *ar->results);
    memset(ar->results, 0, (ft.nresults ? ft.nresults : 1) * sizeof *ar->results);
    ar->err = kiln_call(r->store, f, argv, nargs, ar->results, ar->nresults);
    free(argv);
    return true;
}

/* ---- Commands ----------------------------------------------------------- */

static void cmd_module(runner *r, const cJSON *cmd, long line)
{
    char why[512], ebuf[512];
    const char *name = jstr(cmd, "name");
    kiln_module *m;
    kiln_error *err;
    kiln_instance *inst = NULL;
    r->have_current = true;
    r->current = NULL;
    if (is_text_module(cmd)) {
        /* Cannot happen with wast2json, which writes every module it can
         * parse as binary; later commands then fail for want of a module. */
        fail(r, line, "module", "text module %s not supported", jstr(cmd, "filename"));
    } else if (!load_module(r, jstr(cmd, "filename"), &m, &err, why, sizeof why)) {
        fail(r, line, "module", "%s", why);
    } else if (err) {
        fail(r, line, "module", "kiln_module_new failed: %s",
             describe_error(err, ebuf, sizeof ebuf));
        kiln_error_free(err);
    } else if ((err = kiln_linker_instantiate(r->linker, m, &inst)) != NULL) {
        inst = NULL;
        fail(r, line, "module", "instantiation failed: %s", describe_error(err, ebuf, sizeof ebuf));
        kiln_error_free(err);
    } else if (!inst) {
        fail(r, line, "module", "kiln_linker_instantiate returned no error and no instance");
    } else {
        r->passed++;
    }
    r->current = inst;
    if (name)
        bind_name(r, name, inst);
}

static void cmd_register(runner *r, const cJSON *cmd, long line)
{
    char why[512], ebuf[512];
    const char *as = jstr(cmd, "as");
    if (!as) {
        fail(r, line, "register", "no \"as\" name");
        return;
    }
    kiln_instance *inst = find_instance(r, jstr(cmd, "name"), why, sizeof why);
    if (!inst) {
        fail(r, line, "register", "%s", why);
        return;
    }
    kiln_error *err = kiln_linker_define_instance(r->linker, as, inst);
    if (err) {
        fail(r, line, "register", "kiln_linker_define_instance(\"%s\") failed: %s", as,
             describe_error(err, ebuf, sizeof ebuf));
        kiln_error_free(err);
        return;
    }
    r->passed++;
}

static void cmd_action(runner *r, const cJSON *cmd, long line, const char *type)
{
    char why[1024], ebuf[512];
    action_result ar;
    if (has_nul_sentinel(jstr(cJSON_GetObjectItemCaseSensitive(cmd, "action"), "field"))) {
        /* See mark_nul_escapes: not expressible through kiln's C-string API. */
        if (r->verbose)
            printf("%s:%ld: %s: skipped: export name contains NUL\n", r->file, line, type);
        r->skipped++;
        return;
    }
    if (!run_action(r, cJSON_GetObjectItemCaseSensitive(cmd, "action"), &ar, why, sizeof why)) {
        fail(r, line, type, "%s", why);
        action_result_free(&ar);
        return;
    }
    const cJSON *expected = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
    size_t nexp = cJSON_IsArray(expected) ? (size_t)cJSON_GetArraySize(expected) : 0;

    if (strcmp(type, "action") == 0 || strcmp(type, "assert_return") == 0) {
        if (ar.err) {
            fail(r, line, type, "%s", describe_error(ar.err, ebuf, sizeof ebuf));
        } else if (strcmp(type, "action") == 0) {
            r->passed++; /* a bare action only has to succeed */
        } else if (nexp != ar.nresults) {
            fail(r, line, type, "expected %zu results, the export returns %zu", nexp,
                 ar.nresults);
        } else {
            size_t i = 0;
            bool ok = true;
            for (const cJSON *e = expected->child; e; e = e->next, i++)
                if (!value_matches(e, &ar.results[i], why, sizeof why)) {
                    if (nexp > 1)
                        fail(r, line, type, "result %zu: %s", i, why);
                    else
                        fail(r, line, type, "%s", why);
                    ok = false;
                    break;
                }
            if (ok)
                r->passed++;
        }
    } else {
        bool exhaustion = strcmp(type, "assert_exhaustion") == 0;
        const char *text = jstr(cmd, "text");
        if (!ar.err) {
            fail(r, line, type, "expected %s \"%s\", the call returned normally",
                 exhaustion ? "stack exhaustion" : "a trap", text ? text : "");
        } else if (!is_trap(ar.err)) {
            fail(r, line, type, "expected a trap \"%s\", got %s", text ? text : "",
                 describe_error(ar.err, ebuf, sizeof ebuf));
        } else if (exhaustion && kiln_error_trap(ar.err) != KILN_TRAP_STACK_EXHAUSTED) {
            fail(r, line, type, "expected stack exhaustion, got %s",
                 describe_error(ar.err, ebuf, sizeof ebuf));
        } else {
            const char *msg = kiln_error_message(ar.err);
            if (text && (!msg || !strstr(msg, text)))
                warn(r, line, type, "trap message \"%s\" does not contain \"%s\"",
                     msg ? msg : "(null)", text);
            r->passed++;
        }
    }
    action_result_free(&ar);
}

/* assert_invalid and assert_malformed: decoding the binary must fail. */
static void cmd_bad_module(runner *r, const cJSON *cmd, long line, const char *type)
{
    char why[512], ebuf[512];
    if (is_text_module(cmd)) {
        r->skipped++;
        return;
    }
    kiln_module *m;
    kiln_error *err;
    if (!load_module(r, jstr(cmd, "filename"), &m, &err, why, sizeof why)) {
        fail(r, line, type, "%s", why);
        return;
    }
    const char *text = jstr(cmd, "text");
    if (!err) {
        fail(r, line, type, "module was accepted, expected \"%s\"", text ? text : "");
        return;
    }
    /* Which of the two a failure is depends partly on how the decoder is
     * split, so a mismatch is only worth a note. */
    kiln_error_kind want = strcmp(type, "assert_invalid") == 0 ? KILN_ERR_VALIDATE
                                                               : KILN_ERR_DECODE;
    kiln_error_kind k = kiln_error_kind_of(err);
    if (k != KILN_ERR_DECODE && k != KILN_ERR_VALIDATE)
        fail(r, line, type, "expected a %s error \"%s\", got %s", kind_name(want),
             text ? text : "", describe_error(err, ebuf, sizeof ebuf));
    else {
        if (k != want && r->verbose)
            warn(r, line, type, "expected a %s error \"%s\", got %s", kind_name(want),
                 text ? text : "", describe_error(err, ebuf, sizeof ebuf));
        r->passed++;
    }
    kiln_error_free(err);
}

/* assert_unlinkable and assert_uninstantiable (and assert_trap on a module):
 * the module decodes but instantiating it must fail in the given way. */
static void cmd_failing_instantiation(runner *r, const cJSON *cmd, long line, const char *type,
                                      bool want_link_error)
{
    char why[512], ebuf[512];
    if (is_text_module(cmd)) {
        r->skipped++;
        return;
    }
    kiln_module *m;
    kiln_error *err;
    if (!load_module(r, jstr(cmd, "filename"), &m, &err, why, sizeof why)) {
        fail(r, line, type, "%s", why);
        return;
    }
    if (err) {
        fail(r, line, type, "kiln_module_new failed: %s", describe_error(err, ebuf, sizeof ebuf));
        kiln_error_free(err);
        return;
    }
    const char *text = jstr(cmd, "text");
    kiln_instance *inst = NULL;
    err = kiln_linker_instantiate(r->linker, m, &inst);
    if (!err) {
        /* The instance stays in the store; it is simply not made current. */
        fail(r, line, type, "instantiation succeeded, expected \"%s\"", text ? text : "");
        return;
    }
    bool ok = want_link_error ? kiln_error_kind_of(err) == KILN_ERR_LINK : is_trap(err);
    if (!ok) {
        fail(r, line, type, "expected a %s \"%s\", got %s",
             want_link_error ? "link error" : "trap", text ? text : "",
             describe_error(err, ebuf, sizeof ebuf));
    } else {
        const char *msg = kiln_error_message(err);
        if (!want_link_error && text && (!msg || !strstr(msg, text)))
            warn(r, line, type, "trap message \"%s\" does not contain \"%s\"",
                 msg ? msg : "(null)", text);
        r->passed++;
    }
    kiln_error_free(err);
}

static void run_command(runner *r, const cJSON *cmd)
{
    const char *type = jstr(cmd, "type");
    long line = jline(cmd);
    crash_line = line;
    crash_cmd = type ? type : "?";
    if (!type) {
        fail(r, line, "?", "command without a type");
    } else if (strcmp(type, "module") == 0) {
        cmd_module(r, cmd, line);
    } else if (strcmp(type, "register") == 0) {
        cmd_register(r, cmd, line);
    } else if (strcmp(type, "action") == 0 || strcmp(type, "assert_return") == 0 ||
               strcmp(type, "assert_exhaustion") == 0) {
        cmd_action(r, cmd, line, type);
    } else if (strcmp(type, "assert_trap") == 0) {
        /* wast2json writes (assert_trap (module ...)) as
         * assert_uninstantiable, but accept the direct form too. */
        if (cJSON_GetObjectItemCaseSensitive(cmd, "filename"))
            cmd_failing_instantiation(r, cmd, line, type, false);
        else
            cmd_action(r, cmd, line, type);
    } else if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0) {
        cmd_bad_module(r, cmd, line, type);
    } else if (strcmp(type, "assert_unlinkable") == 0) {
        cmd_failing_instantiation(r, cmd, line, type, true);
    } else if (strcmp(type, "assert_uninstantiable") == 0) {
        cmd_failing_instantiation(r, cmd, line, type, false);
    } else {
        printf("%s:%ld: %s: skipped: unknown command type\n", r->file, line, type);
        r->skipped++;
    }
    fflush(stdout);
}

/* ---- The spectest host module ------------------------------------------- */

/* The print functions exist only to be imported and called; they do nothing. */
static kiln_error *spectest_print(kiln_caller *caller, void *env, const kiln_val *args,
                                  kiln_val *results)
{
    return NULL;
}

static bool define_spectest(runner *r)
{
    static const kiln_valkind p_i32[] = {KILN_I32}, p_i64[] = {KILN_I64}, p_f32[] = {KILN_F32},
                              p_f64[] = {KILN_F64}, p_i32_f32[] = {KILN_I32, KILN_F32},
                              p_f64_f64[] = {KILN_F64, KILN_F64};
    static const struct {
        const char *name;
        uint32_t nparams;
        const kiln_valkind *params;
    } funcs[] = {
        {"print", 0, NULL},          {"print_i32", 1, p_i32},         {"print_i64", 1, p_i64},
        {"print_f32", 1, p_f32},     {"print_f64", 1, p_f64},         {"print_i32_f32", 2, p_i32_f32},
        {"print_f64_f64", 2, p_f64_f64},
    };
    char ebuf[512];
    kiln_error *err = NULL;
    const char *what = NULL;

    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0] && !err; i++) {
        kiln_functype ft = {.nparams = funcs[i].nparams, .params = funcs[i].params};
        kiln_func *f;
        what = funcs[i].name;
        err = kiln_func_new(r->store, &ft, spectest_print, NULL, NULL, &f);
        if (!err)
            err = kiln_linker_define_func(r->linker, "spectest", funcs[i].name, f);
    }

    kiln_val globals[4];
    const char *gnames[4] = {"global_i32", "global_i64", "global_f32", "global_f64"};
    memset(globals, 0, sizeof globals);
    globals[0].kind = KILN_I32, globals[0].of.i32 = 666;
    globals[1].kind = KILN_I64, globals[1].of.i64 = 666;
    globals[2].kind = KILN_F32, globals[2].of.f32 = 666.6f;
    globals[3].kind = KILN_F64, globals[3].of.f64 = 666.6;
    for (size_t i = 0; i < 4 && !err; i++) {
        kiln_global *g;
        what = gnames[i];
        err = kiln_global_new(r->store, globals[i], false, &g);
        if (!err)
            err = kiln_linker_define_global(r->linker, "spectest", gnames[i], g);
    }

    if (!err) {
        kiln_table *t;
        what = "table";
        err = kiln_table_new(r->store, KILN_FUNCREF, (kiln_limits){10, 20, true}, &t);
        if (!err)
            err = kiln_linker_define_table(r->linker, "spectest", "table", t);
    }
    if (!err) {
        kiln_memory *m;
        what = "memory";
        err = kiln_memory_new(r->store, (kiln_limits){1, 2, true}, &m);
        if (!err)
            err = kiln_linker_define_memory(r->linker, "spectest", "memory", m);
    }
    if (err) {
        fail(r, 0, "spectest", "defining spectest.%s failed: %s", what,
             describe_error(err, ebuf, sizeof ebuf));
        kiln_error_free(err);
        return false;
    }
    return true;
}

/* ---- Main ---------------------------------------------------------------- */

static void runner_free(runner *r)
{
    /* Instances die with the store; modules must outlive their instances. */
    if (r->linker)
        kiln_linker_free(r->linker);
    if (r->store)
        kiln_store_free(r->store);
    for (size_t i = 0; i < r->nmodules; i++)
        kiln_module_free(r->modules[i]);
    if (r->engine)
        kiln_engine_free(r->engine);
    for (size_t i = 0; i < r->nnames; i++)
        free(r->names[i].name);
    free(r->names);
    free(r->modules);
    free(r->dir);
}

static bool runner_init(runner *r)
{
    char ebuf[512];
    kiln_config config = {.tier = r->tier};
    kiln_error *err = kiln_engine_new(&config, &r->engine);
    const char *what = "kiln_engine_new";
    if (!err) {
        /* All limits at their defaults, including max_call_depth, which is
         * what assert_exhaustion exercises. */
        kiln_store_limits limits;
        memset(&limits, 0, sizeof limits);
        what = "kiln_store_new";
        err = kiln_store_new(r->engine, &limits, &r->store);
    }
    if (!err) {
        what = "kiln_linker_new";
        err = kiln_linker_new(r->store, &r->linker);
    }
    if (err) {
        fail(r, 0, "setup", "%s failed: %s", what, describe_error(err, ebuf, sizeof ebuf));
        kiln_error_free(err);
        return false;
    }
    return define_spectest(r);
}

int main(int argc, char **argv)
{
    runner r;
    memset(&r, 0, sizeof r);
    int argi = 1;
    if (argi < argc && strcmp(argv[argi], "-v") == 0) {
        r.verbose = true;
        argi++;
    }
    if (argi + 1 < argc && strcmp(argv[argi], "--tier") == 0) {
        r.tier = strcmp(argv[argi + 1], "native") == 0 ? KILN_TIER_NATIVE : KILN_TIER_INTERP;
        argi += 2;
    }
    if (argi + 1 != argc) {
        fprintf(stderr, "usage: spec-runner [-v] [--tier interp|native] FILE.json\n");
        return 2;
    }
    const char *json_path = argv[argi];
    setvbuf(stdout, NULL, _IOLBF, 0);

    uint8_t *raw;
    size_t rawlen;
    if (!read_file(json_path, &raw, &rawlen)) {
        fprintf(stderr, "spec-runner: cannot read %s: %s\n", json_path, strerror(errno));
        printf("%s: 0 passed, 1 failed, 0 skipped\n", json_path);
        return 1;
    }
    raw = xrealloc(raw, rawlen + 1);
    raw[rawlen] = 0;
    bool ambiguous;
    char *text = mark_nul_escapes((const char *)raw, rawlen, &ambiguous);
    free(raw);
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *commands = cJSON_GetObjectItemCaseSensitive(root, "commands");
    if (!root || !cJSON_IsArray(commands)) {
        fprintf(stderr, "spec-runner: %s is not a wast2json script\n", json_path);
        printf("%s: 0 passed, 1 failed, 0 skipped\n", json_path);
        cJSON_Delete(root);
        return 1;
    }

    /* Failures name the .wast, since that is what the line numbers are in. */
    const char *source = jstr(root, "source_filename");
    const char *slash = source ? strrchr(source, '/') : NULL;
    r.file = source ? (slash ? slash + 1 : source) : json_path;
    crash_file = r.file;
    slash = strrchr(json_path, '/');
    if (slash) {
        r.dir = xrealloc(NULL, (size_t)(slash - json_path) + 1);
        memcpy(r.dir, json_path, (size_t)(slash - json_path));
        r.dir[slash - json_path] = 0;
    } else {
        r.dir = xstrdup(".");
    }
    if (ambiguous && r.verbose)
        printf("%s: note: cannot tell NUL in names apart; such names will fail\n", r.file);

    install_crash_handler();
    if (runner_init(&r))
        for (const cJSON *c = commands->child; c; c = c->next)
            run_command(&r, c);

    crash_cmd = "cleanup";
    crash_line = 0;
    runner_free(&r);
    if (r.warnings)
        printf("%s: %lu warnings\n", r.file, r.warnings);
    if (r.tier == KILN_TIER_NATIVE)
        printf("%s: native code for %lu of %lu functions\n", r.file, r.native_funcs,
               r.defined_funcs);
    printf("%s: %lu passed, %lu failed, %lu skipped\n", r.file, r.passed, r.failed, r.skipped);
    cJSON_Delete(root);
    return r.failed ? 1 : 0;
}
