/*
 * spec_check.c — the text parser against wast2json, one .wast at a time.
 *
 *   spec_check FILE.wast DIR/FILE.json [-v]
 *
 * Reads FILE.wast with kiln_wast_parse and the same script as converted by
 * wast2json (the oracle), command by command in order, and checks:
 *   - every text or quoted module that wast2json wrote as .wasm (module,
 *     assert_invalid, assert_unlinkable, assert_trap/uninstantiable) is
 *     parsed by kiln to exactly the same bytes;
 *   - every assert_malformed text case (quote) is rejected: by the parser,
 *     or — where the malformation is binary-level (e.g. a name that is
 *     not UTF-8 once escapes are decoded) — by kiln_module_new; the two
 *     are counted apart;
 *   - every action's arguments and assert_return's expected results equal
 *     wast2json's (bits, v128 lanes, NaN patterns, references), and the
 *     command kinds, lines and messages agree;
 *   - with --names NAMES.json (the script through wast2json
 *     --debug-names), the same modules with kiln's debug_names option
 *     equal those, name section included.
 * Prints mismatches, then "FILE: N passed, N failed (R by the parser, B by
 * kiln_module_new)".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "kiln.h"
#include "kiln_wat.h"

static int passed, failed, by_parser, by_binary;
static bool verbose;
static const char *wast_name;

static void fail(uint32_t line, const char *fmt, const char *a)
{
    printf("FAIL %s:%u: ", wast_name, line);
    printf(fmt, a);
    putchar('\n');
    failed++;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[n] = 0;
        *len = (size_t)n;
    }
    return p;
}

static const char *dir_of_json;
static kiln_wat_options opts; /* debug_names in the --names pass */

static void check_module_bytes(const kiln_wast_command *c, const cJSON *jc)
{
    const cJSON *fn = cJSON_GetObjectItem(jc, "filename");
    if (!cJSON_IsString(fn)) {
        fail(c->line, "%s", "no filename in the json");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir_of_json, fn->valuestring);
    size_t want_len;
    char *want = slurp(path, &want_len);
    const uint8_t *got = c->module.bytes;
    size_t got_len = c->module.len;
    uint8_t *owned = NULL;
    kiln_wat_error err;
    if (c->module.form == KILN_WAST_MODULE_QUOTE) {
        if (!kiln_wat_to_wasm_opts((const char *)got, got_len, &opts, &owned, &got_len, &err)) {
            printf("FAIL %s:%u: quote module: %u:%u: %s\n", wast_name, c->line, err.line,
                   err.column, err.message);
            failed++;
            free(want);
            return;
        }
        got = owned;
    }
    if (c->module.parse_failed) {
        printf("FAIL %s:%u: %u:%u: %s\n", wast_name, c->line, c->module.error.line,
               c->module.error.column, c->module.error.message);
        failed++;
    } else if (!want || want_len != got_len || memcmp(want, got, got_len) != 0) {
        fail(c->line, "module bytes differ from wast2json's %s", fn->valuestring);
        if (verbose) {
            FILE *f = fopen("/tmp/kiln-wat-got.wasm", "wb");
            if (f) {
                fwrite(got, 1, got_len, f);
                fclose(f);
            }
        }
    } else {
        passed++;
    }
    kiln_wat_free(owned);
    free(want);
}

static void check_malformed(kiln_engine *engine, const kiln_wast_command *c)
{
    if (c->module.form == KILN_WAST_MODULE_BINARY)
        return; /* the binary cases are the engine's, not the parser's */
    if (c->module.form == KILN_WAST_MODULE_TEXT) {
        if (c->module.parse_failed) {
            passed++, by_parser++;
        } else {
            fail(c->line, "%s", "malformed text module parsed");
        }
        return;
    }
    uint8_t *wasm;
    size_t len;
    kiln_wat_error err;
    if (!kiln_wat_to_wasm((const char *)c->module.bytes, c->module.len, &wasm, &len, &err)) {
        passed++, by_parser++;
        if (verbose)
            printf("  %s:%u: rejected (%s) at %u:%u: %s\n", wast_name, c->line, c->message,
                   err.line, err.column, err.message);
        return;
    }
    kiln_module *m = NULL;
    kiln_error *e = kiln_module_new(engine, wasm, len, &m);
    if (e) {
        passed++, by_binary++;
        if (verbose)
            printf("  %s:%u: binary-level (%s): %s\n", wast_name, c->line, c->message,
                   kiln_error_message(e));
        kiln_error_free(e);
    } else {
        fail(c->line, "malformed module accepted (%s)", c->message);
        kiln_module_free(m);
    }
    kiln_wat_free(wasm);
}

/* ---- values ---- */

static int wabt_subnormal;

/* wabt rounds a hex float literal that lands exactly halfway between two
 * subnormals toward zero (e.g. -0x1.fffffffffffffp-1023 to
 * 0x800fffffffffffff); kiln rounds to nearest even, one ulp up (here the
 * smallest normal), as IEEE 754 and glibc's strtod do.  Accepted only in
 * exactly that shape, and counted. */
static bool wabt_subnormal_tie(uint64_t want, uint64_t got, unsigned bits)
{
    uint64_t sign = UINT64_C(1) << (bits - 1);
    uint64_t exp_mask = bits == 64 ? UINT64_C(0x7ff0000000000000) : 0x7f800000u;
    if ((want & sign) != (got & sign) || (want & exp_mask) != 0)
        return false;
    uint64_t w = want & ~sign, g = got & ~sign;
    if (g != w + 1 || (w & 1) == 0)
        return false;
    wabt_subnormal++;
    return true;
}

static bool lane_eq(const char *want, uint64_t bits, kiln_wast_pattern p, unsigned fbits)
{
    if (strcmp(want, "nan:canonical") == 0)
        return p == KILN_WAST_NAN_CANONICAL;
    if (strcmp(want, "nan:arithmetic") == 0)
        return p == KILN_WAST_NAN_ARITHMETIC;
    uint64_t w = strtoull(want, NULL, 10);
    return p == KILN_WAST_EXACT && (w == bits || (fbits && wabt_subnormal_tie(w, bits, fbits)));
}

static bool value_eq(const kiln_wast_value *v, const cJSON *j)
{
    const char *type = cJSON_GetObjectItem(j, "type")->valuestring;
    const cJSON *val = cJSON_GetObjectItem(j, "value");
    static const char *const names[] = {"i32", "i64", "f32", "f64", "v128", "funcref",
                                        "externref"};
    if (strcmp(names[v->type], type) != 0)
        return false;
    if (v->type == KILN_WAST_FUNCREF || v->type == KILN_WAST_EXTERNREF) {
        if (!cJSON_IsString(val))
            return v->any;
        if (strcmp(val->valuestring, "null") == 0)
            return v->is_null;
        return !v->is_null && !v->any && strtoull(val->valuestring, NULL, 10) == v->bits;
    }
    if (v->type != KILN_WAST_V128)
        return lane_eq(val->valuestring, v->bits, v->pattern[0],
                       v->type == KILN_WAST_F32 ? 32 : v->type == KILN_WAST_F64 ? 64 : 0);
    const char *lt = cJSON_GetObjectItem(j, "lane_type")->valuestring;
    static const char *const shapes[] = {"i8", "i16", "i32", "i64", "f32", "f64"};
    static const unsigned bytes[] = {1, 2, 4, 8, 4, 8};
    if (strcmp(shapes[v->shape], lt) != 0)
        return false;
    unsigned w = bytes[v->shape], lanes = 16 / w;
    if (cJSON_GetArraySize(val) != (int)lanes)
        return false;
    for (unsigned l = 0; l < lanes; l++) {
        uint64_t bits = 0;
        for (unsigned i = 0; i < w; i++)
            bits |= (uint64_t)v->v128[l * w + i] << (8 * i);
        unsigned fb = v->shape == KILN_WAST_F32X4 ? 32 : v->shape == KILN_WAST_F64X2 ? 64 : 0;
        if (!lane_eq(cJSON_GetArrayItem(val, (int)l)->valuestring, bits, v->pattern[l], fb))
            return false;
    }
    return true;
}

static void check_action(const kiln_wast_command *c, const cJSON *jc)
{
    const cJSON *a = cJSON_GetObjectItem(jc, "action");
    if (!a) {
        fail(c->line, "%s", "no action in the json");
        return;
    }
    const cJSON *field = cJSON_GetObjectItem(a, "field");
    const cJSON *args = cJSON_GetObjectItem(a, "args");
    bool ok = c->action.is_get == (strcmp(cJSON_GetObjectItem(a, "type")->valuestring, "get") == 0);
    /* cJSON stops a string at an escaped NUL: compare up to there */
    size_t flen = strlen(field->valuestring);
    ok = ok && (flen == c->action.field_len || memchr(c->action.field, 0, c->action.field_len)) &&
         memcmp(field->valuestring, c->action.field, flen) == 0;
    int nargs = args ? cJSON_GetArraySize(args) : 0;
    ok = ok && (size_t)nargs == c->action.nargs;
    for (int i = 0; ok && i < nargs; i++)
        ok = value_eq(&c->action.args[i], cJSON_GetArrayItem(args, i));
    const cJSON *exp = cJSON_GetObjectItem(jc, "expected");
    if (ok && c->kind == KILN_WAST_ASSERT_RETURN) {
        int n = exp ? cJSON_GetArraySize(exp) : 0;
        ok = (size_t)n == c->nresults;
        for (int i = 0; ok && i < n; i++) {
            const cJSON *e = cJSON_GetArrayItem(exp, i);
            const cJSON *either = cJSON_GetObjectItem(e, "values");
            if (either) {
                int k = cJSON_GetArraySize(either);
                ok = (size_t)k == c->results[i].nalts;
                for (int j = 0; ok && j < k; j++)
                    ok = value_eq(&c->results[i].alts[j], cJSON_GetArrayItem(either, j));
            } else {
                ok = c->results[i].nalts == 1 && value_eq(&c->results[i].alts[0], e);
            }
        }
    }
    if (ok)
        passed++;
    else
        fail(c->line, "action or results differ from wast2json's (%s)", field->valuestring);
}

static const char *kind_json(const kiln_wast_command *c)
{
    switch (c->kind) {
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

static void check_command(kiln_engine *engine, const kiln_wast_command *c, const cJSON *jc)
{
    const char *type = cJSON_GetObjectItem(jc, "type")->valuestring;
    const char *want = kind_json(c);
    /* wast2json calls assert_trap on a module assert_uninstantiable */
    if (strcmp(type, want) != 0) {
        fail(c->line, "command kind differs: wast2json says %s", type);
        return;
    }
    const cJSON *line = cJSON_GetObjectItem(jc, "line");
    uint32_t at = c->has_module ? c->module.line : c->has_action ? c->action.line : c->line;
    if (line && (uint32_t)line->valueint != at) {
        fail(c->line, "line differs from wast2json's (%s)", type);
        return;
    }
    const cJSON *text = cJSON_GetObjectItem(jc, "text");
    if (cJSON_IsString(text) && (!c->message || strcmp(text->valuestring, c->message) != 0)) {
        fail(c->line, "message differs: %s", text->valuestring);
        return;
    }
    if (c->kind == KILN_WAST_ASSERT_MALFORMED) {
        check_malformed(engine, c);
    } else if (c->has_module && c->module.form != KILN_WAST_MODULE_BINARY) {
        check_module_bytes(c, jc);
    } else if (c->has_action) {
        check_action(c, jc);
    } else if (c->kind == KILN_WAST_REGISTER) {
        const cJSON *as = cJSON_GetObjectItem(jc, "as");
        if (cJSON_IsString(as) && strcmp(as->valuestring, c->register_name) == 0)
            passed++;
        else
            fail(c->line, "%s", "register name differs");
    }
}

/* The script again with debug_names, its modules against wast2json
 * --debug-names's. */
static void names_pass(const char *wast, size_t wlen, const char *names_json)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", names_json);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    size_t jlen;
    char *json = slurp(names_json, &jlen);
    kiln_wast_script *s = NULL;
    kiln_wat_error err;
    opts.debug_names = true;
    if (!json || !kiln_wast_parse_opts(wast, wlen, &opts, &s, &err)) {
        printf("FAIL %s: --names pass: cannot read or parse\n", wast_name);
        failed++;
        free(json);
        return;
    }
    const char *saved = dir_of_json;
    dir_of_json = dir;
    cJSON *root = cJSON_Parse(json);
    const cJSON *cmds = cJSON_GetObjectItem(root, "commands");
    for (size_t i = 0; i < kiln_wast_count(s) && (int)i < cJSON_GetArraySize(cmds); i++) {
        const kiln_wast_command *c = kiln_wast_get(s, i);
        if (c->has_module && c->kind != KILN_WAST_ASSERT_MALFORMED &&
            c->module.form != KILN_WAST_MODULE_BINARY)
            check_module_bytes(c, cJSON_GetArrayItem(cmds, (int)i));
    }
    dir_of_json = saved;
    opts.debug_names = false;
    cJSON_Delete(root);
    kiln_wast_free(s);
    free(json);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: spec_check FILE.wast FILE.json [-v]\n");
        return 2;
    }
    const char *names_json = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else if (strcmp(argv[i], "--names") == 0 && i + 1 < argc)
            names_json = argv[++i];
    }
    wast_name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", argv[2]);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    dir_of_json = dir;
    size_t wlen, jlen;
    char *wast = slurp(argv[1], &wlen), *json = slurp(argv[2], &jlen);
    if (!wast || !json) {
        printf("FAIL %s: cannot read inputs\n%s: 0 passed, 1 failed\n", wast_name, wast_name);
        return 1;
    }
    kiln_wast_script *s;
    kiln_wat_error err;
    if (!kiln_wast_parse(wast, wlen, &s, &err)) {
        printf("FAIL %s:%u:%u: %s\n%s: 0 passed, 1 failed\n", wast_name, err.line, err.column,
               err.message, wast_name);
        return 1;
    }
    cJSON *root = cJSON_Parse(json);
    const cJSON *cmds = cJSON_GetObjectItem(root, "commands");
    kiln_engine *engine;
    kiln_error *e = kiln_engine_new(NULL, &engine);
    if (e)
        return 2;
    size_t n = kiln_wast_count(s);
    if ((int)n != cJSON_GetArraySize(cmds)) {
        printf("FAIL %s: %zu commands, wast2json has %d\n", wast_name, n,
               cJSON_GetArraySize(cmds));
        failed++;
    }
    for (size_t i = 0; i < n && (int)i < cJSON_GetArraySize(cmds); i++)
        check_command(engine, kiln_wast_get(s, i), cJSON_GetArrayItem(cmds, (int)i));
    if (names_json)
        names_pass(wast, wlen, names_json);
    printf("%s: %d passed, %d failed (%d malformed rejected by the parser, %d by "
           "kiln_module_new; %d hex subnormal ties rounded to even where wabt truncates)\n",
           wast_name, passed, failed, by_parser, by_binary, wabt_subnormal);
    kiln_engine_free(engine);
    cJSON_Delete(root);
    kiln_wast_free(s);
    free(wast);
    free(json);
    return failed ? 1 : 0;
}
