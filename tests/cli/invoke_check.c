/*
 * invoke_check.c — checks `kiln run --invoke` against the spec testsuite:
 * for every assert_return in a wast2json script whose module imports
 * nothing and whose arguments and results are numbers, it runs the kiln
 * command line on the module file, passing the arguments as text, and
 * compares the printed lines with the expected values.
 *
 *   invoke-check KILN SCRIPT.json [EVERY]
 *
 * Arguments are written exactly (integers as unsigned decimal, floats as
 * hex floats, NaNs as nan:0xPAYLOAD), so the test covers the command's
 * parsing as well as its printing.  A printed float must read back (strtod/
 * strtof) to the expected bits, and an expected NaN must print as NaN.
 * EVERY (default 1) runs only every EVERY-th eligible assertion, to bound
 * the time spent starting processes.  Ends with
 * "invoke FILE: N passed, N failed".
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kiln.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Does the module at path import nothing (so the CLI can run it alone)? */
static bool import_free(kiln_engine *engine, const char *path)
{
    size_t len;
    char *bytes = slurp(path, &len);
    if (!bytes)
        return false;
    kiln_module *m;
    kiln_error *e = kiln_module_new(engine, (const uint8_t *)bytes, len, &m);
    free(bytes);
    if (e) {
        kiln_error_free(e);
        return false;
    }
    bool ok = kiln_module_import_count(m) == 0;
    kiln_module_free(m);
    return ok;
}

static bool numeric(const char *type)
{
    return type && (!strcmp(type, "i32") || !strcmp(type, "i64") || !strcmp(type, "f32") ||
                    !strcmp(type, "f64"));
}

/* Export names passed on a shell command line: keep to the plain ones. */
static bool plain_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* The argument as the command line takes it. */
static void arg_text(const char *type, uint64_t bits, char *buf, size_t n)
{
    if (!strcmp(type, "i32") || !strcmp(type, "i64")) {
        snprintf(buf, n, "%" PRIu64, bits);
        return;
    }
    bool f32 = !strcmp(type, "f32");
    unsigned mant = f32 ? 23 : 52, expbits = f32 ? 8 : 11;
    bool neg = (bits >> (mant + expbits)) & 1;
    uint64_t exp = (bits >> mant) & ((UINT64_C(1) << expbits) - 1);
    uint64_t payload = bits & ((UINT64_C(1) << mant) - 1);
    if (exp == (UINT64_C(1) << expbits) - 1 && payload) {
        snprintf(buf, n, "%snan:0x%" PRIx64, neg ? "-" : "", payload);
    } else if (f32) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, 4);
        snprintf(buf, n, "%a", (double)f);
    } else {
        double d;
        memcpy(&d, &bits, 8);
        snprintf(buf, n, "%a", d);
    }
}

/* Does the printed line match the expected value? */
static bool line_matches(const char *type, const char *want, const char *line)
{
    if (!strncmp(want, "nan:", 4))
        return !strcmp(line, "NaN");
    uint64_t bits = strtoull(want, NULL, 10);
    /* Every NaN prints as NaN (as wasmtime prints it): its bits are lost. */
    bool f32 = !strcmp(type, "f32");
    if (!strcmp(type, "f64") || f32) {
        unsigned mant = f32 ? 23 : 52, expbits = f32 ? 8 : 11;
        uint64_t e = (bits >> mant) & ((UINT64_C(1) << expbits) - 1);
        if (e == (UINT64_C(1) << expbits) - 1 && (bits & ((UINT64_C(1) << mant) - 1)))
            return !strcmp(line, "NaN");
    }
    char *end;
    errno = 0;
    if (!strcmp(type, "i32")) {
        long long v = strtoll(line, &end, 10);
        return !*end && (uint32_t)v == (uint32_t)bits;
    }
    if (!strcmp(type, "i64")) {
        long long v = strtoll(line, &end, 10);
        return !*end && !errno && (uint64_t)v == bits;
    }
    if (!strcmp(type, "f32")) {
        float f = strtof(line, &end);
        uint32_t b;
        memcpy(&b, &f, 4);
        return !*end && *line && b == (uint32_t)bits;
    }
    double d = strtod(line, &end);
    uint64_t b;
    memcpy(&b, &d, 8);
    return !*end && *line && b == bits;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: invoke-check KILN SCRIPT.json [EVERY]\n");
        return 2;
    }
    const char *kiln = argv[1], *json_path = argv[2];
    long every = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
    if (every < 1)
        every = 1;
    size_t len;
    char *text = slurp(json_path, &len);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!root) {
        fprintf(stderr, "invoke-check: cannot read %s\n", json_path);
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", json_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    const char *base = slash ? slash + 1 : json_path;

    kiln_engine *engine;
    if (kiln_engine_new(NULL, &engine)) {
        cJSON_Delete(root);
        return 2;
    }
    int passed = 0, failed = 0;
    long seen = 0;
    char module[4200] = "";
    bool module_ok = false;
    const cJSON *cmd;
    cJSON_ArrayForEach(cmd, cJSON_GetObjectItemCaseSensitive(root, "commands"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(cmd, "type");
        if (!cJSON_IsString(t))
            continue;
        if (!strcmp(t->valuestring, "module")) {
            const cJSON *fn = cJSON_GetObjectItemCaseSensitive(cmd, "filename");
            module_ok = cJSON_IsString(fn) && !cJSON_GetObjectItemCaseSensitive(cmd, "name");
            if (module_ok) {
                snprintf(module, sizeof module, "%s/%s", dir, fn->valuestring);
                module_ok = import_free(engine, module);
            }
            continue;
        }
        if (!strcmp(t->valuestring, "register") || !strcmp(t->valuestring, "action"))
            module_ok = false; /* state the command line cannot reproduce */
        if (strcmp(t->valuestring, "assert_return") || !module_ok)
            continue;
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
        const cJSON *field = cJSON_GetObjectItemCaseSensitive(action, "field");
        const cJSON *atype = cJSON_GetObjectItemCaseSensitive(action, "type");
        if (!cJSON_IsString(atype) || strcmp(atype->valuestring, "invoke") ||
            cJSON_GetObjectItemCaseSensitive(action, "module") || !cJSON_IsString(field) ||
            !plain_name(field->valuestring))
            continue;
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
        const cJSON *exps = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
        bool ok = cJSON_GetArraySize(exps) > 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, args) ok = ok && numeric(cJSON_GetStringValue(cJSON_GetObjectItem(v, "type")));
        cJSON_ArrayForEach(v, exps) ok = ok && numeric(cJSON_GetStringValue(cJSON_GetObjectItem(v, "type")));
        if (!ok || seen++ % every)
            continue;

        char command[8192];
        size_t n = (size_t)snprintf(command, sizeof command, "'%s' run --invoke %s '%s'", kiln,
                                    field->valuestring, module);
        cJSON_ArrayForEach(v, args)
        {
            char a[64];
            const char *val = cJSON_GetStringValue(cJSON_GetObjectItem(v, "value"));
            arg_text(cJSON_GetStringValue(cJSON_GetObjectItem(v, "type")),
                     strtoull(val ? val : "0", NULL, 10), a, sizeof a);
            n += (size_t)snprintf(command + n, sizeof command - n, " '%s'", a);
        }
        /* Everything after FILE is an argument, negative numbers too. */
        snprintf(command + n, sizeof command - n, " 2>&1");

        FILE *out = popen(command, "r");
        char got[64][512];
        int lines = 0;
        if (out) {
            while (lines < 64 && fgets(got[lines], sizeof got[lines], out)) {
                got[lines][strcspn(got[lines], "\n")] = '\0';
                lines++;
            }
            int status = pclose(out);
            ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        } else {
            ok = false;
        }
        int i = 0;
        cJSON_ArrayForEach(v, exps)
        {
            const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(v, "value"));
            ok = ok && i < lines && want &&
                 line_matches(cJSON_GetStringValue(cJSON_GetObjectItem(v, "type")), want, got[i]);
            i++;
        }
        ok = ok && i == lines;
        if (ok) {
            passed++;
        } else {
            failed++;
            printf("FAIL %s:%d: %s -> %s\n", base,
                   cJSON_GetNumberValue(cJSON_GetObjectItem(cmd, "line")) > 0
                       ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(cmd, "line"))
                       : 0,
                   command, lines ? got[0] : "(no output)");
        }
    }
    kiln_engine_free(engine);
    cJSON_Delete(root);
    printf("invoke %s: %d passed, %d failed\n", base, passed, failed);
    return failed ? 1 : 0;
}
