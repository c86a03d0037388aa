/*
 * toml_json.c — kiln's TOML parser as a toml-test decoder, and the
 * comparison that tests/toml/run.sh uses.
 *
 *   toml_json FILE|-              parse; print toml-test's tagged JSON
 *                                 ({"type":"integer","value":"42"}) on
 *                                 stdout; exit 1 with "FILE:LINE:COL: ..."
 *                                 on stderr if FILE is not valid TOML
 *   toml_json FILE EXPECTED.json  parse and compare with EXPECTED: exit 0
 *                                 if equal, else 1 with the first difference
 *
 * The comparison is semantic, as toml-test's own: object keys in any order,
 * integers and floats by value (nan equal to nan, the sign of zero kept),
 * datetimes by their text with 't', 'z' and the space upper-cased/made 'T'
 * and trailing zeros of the fraction dropped.  cJSON cannot hold a NUL
 * inside a string, so the expected file's \u0000 escapes are read as
 * U+F0000 (a private-use character no test uses) and the parser's NULs are
 * mapped the same way before comparing.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_toml.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, r;
    char *b = malloc(cap);
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return b;
}

/* ---- printing -------------------------------------------------------- */

static void print_string(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c == 0x7F)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* A datetime's text as toml-test writes it: 'T' and 'Z' upper case. */
static void dt_text(const kiln_toml_value *v, char *out, size_t cap)
{
    kiln_toml_datetime dt;
    kiln_toml_datetime_get(v, &dt);
    size_t n = dt.text_len < cap - 1 ? dt.text_len : cap - 1;
    memcpy(out, dt.text, n);
    out[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i] == 't' || (out[i] == ' ' && i == 10))
            out[i] = 'T';
        else if (out[i] == 'z')
            out[i] = 'Z';
}

static void print_value(const kiln_toml_value *v);

static void print_scalar(const kiln_toml_value *v)
{
    char buf[512];
    const char *s;
    size_t n;
    int64_t i;
    double d;
    bool b;
    kiln_toml_type t = kiln_toml_type_of(v);
    if (kiln_toml_string(v, &s, &n)) {
        printf("{\"type\":\"string\",\"value\":");
        print_string(s, n);
        printf("}");
        return;
    }
    if (kiln_toml_int(v, &i))
        snprintf(buf, sizeof buf, "%lld", (long long)i);
    else if (kiln_toml_float(v, &d))
        snprintf(buf, sizeof buf, isnan(d) ? "nan" : isinf(d) ? (d < 0 ? "-inf" : "inf") : "%.17g",
                 d);
    else if (kiln_toml_bool(v, &b))
        snprintf(buf, sizeof buf, "%s", b ? "true" : "false");
    else
        dt_text(v, buf, sizeof buf);
    printf("{\"type\":\"%s\",\"value\":\"%s\"}", kiln_toml_type_name(t), buf);
}

static void print_value(const kiln_toml_value *v)
{
    size_t n, len;
    switch (kiln_toml_type_of(v)) {
    case KILN_TOML_TABLE:
        putchar('{');
        n = kiln_toml_table_size(v);
        for (size_t i = 0; i < n; i++) {
            const char *k = kiln_toml_table_key(v, i, &len);
            print_string(k, len);
            putchar(':');
            print_value(kiln_toml_table_value(v, i));
            if (i + 1 < n)
                putchar(',');
        }
        putchar('}');
        break;
    case KILN_TOML_ARRAY:
        putchar('[');
        n = kiln_toml_array_len(v);
        for (size_t i = 0; i < n; i++) {
            print_value(kiln_toml_array_get(v, i));
            if (i + 1 < n)
                putchar(',');
        }
        putchar(']');
        break;
    default:
        print_scalar(v);
    }
}

/* ---- comparing ------------------------------------------------------- */

static char *map_nul(const char *s, size_t n)
{
    char *o = malloc(n * 4 + 1), *w = o;
    for (size_t i = 0; i < n; i++)
        if (s[i])
            *w++ = s[i];
        else
            memcpy(w, "\xF3\xB0\x80\x80", 4), w += 4;
    *w = 0;
    return o;
}

/* \u0000 in JSON text to \uDB80\uDC00 (U+F0000); other escapes kept. */
static char *json_nul_escapes(const char *s, size_t n)
{
    char *o = malloc(n * 3 + 1), *w = o;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 5 < n && memcmp(s + i + 1, "u0000", 5) == 0) {
            memcpy(w, "\\uDB80\\uDC00", 12), w += 12, i += 5;
        } else if (s[i] == '\\' && i + 1 < n) {
            *w++ = s[i++];
            *w++ = s[i];
        } else {
            *w++ = s[i];
        }
    }
    *w = 0;
    return o;
}

static void normalize_dt(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in) < cap - 1 ? strlen(in) : cap - 1, o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == 't' || (c == ' ' && i == 10))
            c = 'T';
        if (c == 'z')
            c = 'Z';
        out[o++] = c;
        if (c == '.' && i > 0 && in[i - 1] >= '0' && in[i - 1] <= '9' && i > 10) {
            size_t e = i + 1;
            while (e < n && in[e] >= '0' && in[e] <= '9')
                e++;
            size_t last = e;
            while (last > i + 1 && in[last - 1] == '0')
                last--;
            if (last == i + 1)
                o--; /* only zeros: drop the '.' too */
            for (size_t k = i + 1; k < last; k++)
                out[o++] = in[k];
            i = e - 1;
        }
    }
    out[o] = 0;
}

static double parse_float(const char *s)
{
    const char *u = s[0] == '+' || s[0] == '-' ? s + 1 : s;
    double sign = s[0] == '-' ? -1 : 1;
    if (strcmp(u, "inf") == 0)
        return sign * INFINITY;
    if (strcmp(u, "nan") == 0)
        return NAN;
    return strtod(s, NULL);
}

static bool fail(const char *path, const char *what)
{
    fprintf(stderr, "at %s: %s\n", path[0] ? path : "(root)", what);
    return false;
}

static bool scalar_equal(const kiln_toml_value *v, const char *want)
{
    char a[512], b[512];
    const char *s;
    size_t n;
    int64_t i;
    double d, e;
    bool bl;
    if (kiln_toml_string(v, &s, &n)) {
        char *m = map_nul(s, n);
        bool eq = strcmp(m, want) == 0;
        free(m);
        return eq;
    }
    if (kiln_toml_int(v, &i))
        return snprintf(a, sizeof a, "%lld", (long long)i) > 0 && strcmp(a, want) == 0;
    if (kiln_toml_float(v, &d)) {
        e = parse_float(want);
        if (isnan(d) || isnan(e))
            return isnan(d) && isnan(e);
        return d == e && signbit(d) == signbit(e);
    }
    if (kiln_toml_bool(v, &bl))
        return strcmp(bl ? "true" : "false", want) == 0;
    dt_text(v, b, sizeof b);
    normalize_dt(b, a, sizeof a);
    normalize_dt(want, b, sizeof b);
    return strcmp(a, b) == 0;
}

static bool equal(const kiln_toml_value *v, const cJSON *j, const char *path);

static bool table_equal(const kiln_toml_value *v, const cJSON *j, const char *path)
{
    char sub[1024];
    size_t n = kiln_toml_table_size(v), len;
    if (!cJSON_IsObject(j))
        return fail(path, "a table where the expected JSON has no object");
    if ((size_t)cJSON_GetArraySize(j) != n)
        return fail(path, "the table has a different number of keys");
    for (size_t i = 0; i < n; i++) {
        const char *k = kiln_toml_table_key(v, i, &len);
        char *m = map_nul(k, len);
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(j, m);
        snprintf(sub, sizeof sub, "%s.%s", path, m);
        free(m);
        if (!item)
            return fail(sub, "key not expected");
        if (!equal(kiln_toml_table_value(v, i), item, sub))
            return false;
    }
    return true;
}

static bool equal(const kiln_toml_value *v, const cJSON *j, const char *path)
{
    char sub[1024];
    kiln_toml_type t = kiln_toml_type_of(v);
    if (t == KILN_TOML_TABLE)
        return table_equal(v, j, path);
    if (t == KILN_TOML_ARRAY) {
        size_t n = kiln_toml_array_len(v);
        if (!cJSON_IsArray(j) || (size_t)cJSON_GetArraySize(j) != n)
            return fail(path, "array differs in type or length");
        for (size_t i = 0; i < n; i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (!equal(kiln_toml_array_get(v, i), cJSON_GetArrayItem(j, (int)i), sub))
                return false;
        }
        return true;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(j, "value");
    if (!cJSON_IsString(type) || !cJSON_IsString(val))
        return fail(path, "a scalar where the expected JSON has none");
    if (strcmp(type->valuestring, kiln_toml_type_name(t)) != 0) {
        snprintf(sub, sizeof sub, "type %s, expected %s", kiln_toml_type_name(t),
                 type->valuestring);
        return fail(path, sub);
    }
    if (!scalar_equal(v, val->valuestring)) {
        snprintf(sub, sizeof sub, "value differs from expected \"%s\"", val->valuestring);
        return fail(path, sub);
    }
    return true;
}

static int compare(const kiln_toml_value *root, const char *json_path)
{
    size_t n;
    char *text = read_file(json_path, &n);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", json_path);
        return 2;
    }
    char *fixed = json_nul_escapes(text, n);
    cJSON *j = cJSON_Parse(fixed);
    free(text);
    free(fixed);
    if (!j) {
        fprintf(stderr, "%s: not JSON\n", json_path);
        return 2;
    }
    bool eq = equal(root, j, "");
    cJSON_Delete(j);
    return eq ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: toml_json FILE|- [EXPECTED.json]\n");
        return 2;
    }
    size_t len;
    char *text = read_file(argv[1], &len);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    kiln_toml_doc *doc;
    kiln_toml_error err;
    if (!kiln_toml_parse(text, len, &doc, &err)) {
        fprintf(stderr, "%s:%s\n", argv[1], err.message);
        free(text);
        return 1;
    }
    free(text);
    int rc = 0;
    if (argc == 3) {
        rc = compare(kiln_toml_root(doc), argv[2]);
    } else {
        print_value(kiln_toml_root(doc));
        putchar('\n');
    }
    kiln_toml_free(doc);
    return rc;
}
