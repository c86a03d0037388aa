/*
 * test_api.c — unit tests of kiln_toml.h beyond what toml-test checks:
 * source positions of values and keys, error positions and messages,
 * every getter (including on the wrong type), strings with NUL, the int64
 * limits, datetime fields, the nesting limit, big tables (the hash index)
 * and NULL arguments.  Prints "ok NAME" or "FAIL NAME: ..." per test;
 * tests/toml/run.sh counts them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_toml.h"

static int failed_checks;
#define CHECK(c)                                                                   \
    do {                                                                           \
        if (!(c)) {                                                                \
            printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);         \
            failed_checks++;                                                       \
        }                                                                          \
    } while (0)

static kiln_toml_doc *parse(const char *text)
{
    kiln_toml_doc *doc = NULL;
    kiln_toml_error err;
    if (!kiln_toml_parse(text, strlen(text), &doc, &err)) {
        printf("  unexpected error: %s\n", err.message);
        failed_checks++;
    }
    return doc;
}

/* text must be rejected with exactly this message (which has line:col). */
static void rejects(const char *text, size_t len, const char *message, int line)
{
    kiln_toml_doc *doc = (kiln_toml_doc *)&failed_checks; /* must stay untouched */
    kiln_toml_error err;
    if (kiln_toml_parse(text, len, &doc, &err)) {
        printf("  %d: accepted, expected %s\n", line, message);
        failed_checks++;
        kiln_toml_free(doc);
        return;
    }
    if (strcmp(err.message, message) != 0) {
        printf("  %d: error \"%s\", expected \"%s\"\n", line, err.message, message);
        failed_checks++;
    }
    CHECK(doc == (kiln_toml_doc *)&failed_checks);
}
#define REJECTS(text, msg) rejects(text, sizeof text - 1, msg, __LINE__)

static bool pos_is(kiln_toml_pos p, uint32_t line, uint32_t col)
{
    if (p.line == line && p.column == col)
        return true;
    printf("  position %u:%u, expected %u:%u\n", p.line, p.column, line, col);
    return false;
}

static const kiln_toml_value *path(const kiln_toml_value *v, const char *a, const char *b)
{
    v = kiln_toml_table_get(v, a);
    return b ? kiln_toml_table_get(v, b) : v;
}

static void test_positions(void)
{
    kiln_toml_doc *doc = parse("# manifest\n"
                               "name = \"hello\"\n"
                               "[component.hello]\n"
                               "source = 'x.wasm'\n"
                               "  sorce = 3\n"
                               "arr = [1,\n"
                               "\t2]\n"
                               "\"\xC3\xA9\" = 1979-05-27\n"
                               "[[routes]]\n"
                               "inl = { a.b = true }\n");
    if (!doc)
        return;
    const kiln_toml_value *root = kiln_toml_root(doc);
    CHECK(pos_is(kiln_toml_pos_of(root), 1, 1));
    CHECK(pos_is(kiln_toml_pos_of(path(root, "name", NULL)), 2, 8));
    CHECK(pos_is(kiln_toml_table_key_pos(root, 0), 2, 1));
    const kiln_toml_value *comp = path(root, "component", NULL);
    CHECK(pos_is(kiln_toml_pos_of(comp), 3, 2)); /* made by the header's key */
    const kiln_toml_value *hello = path(root, "component", "hello");
    CHECK(pos_is(kiln_toml_pos_of(hello), 3, 1));
    CHECK(pos_is(kiln_toml_table_key_pos(comp, 0), 3, 12));
    size_t len;
    CHECK(strcmp(kiln_toml_table_key(hello, 1, &len), "sorce") == 0 && len == 5);
    CHECK(pos_is(kiln_toml_table_key_pos(hello, 1), 5, 3));
    CHECK(pos_is(kiln_toml_pos_of(kiln_toml_table_value(hello, 1)), 5, 11));
    const kiln_toml_value *arr = path(hello, "arr", NULL);
    CHECK(pos_is(kiln_toml_pos_of(arr), 6, 7));
    CHECK(pos_is(kiln_toml_pos_of(kiln_toml_array_get(arr, 1)), 7, 2));
    /* columns count characters: "é" is one */
    CHECK(pos_is(kiln_toml_pos_of(path(hello, "\xC3\xA9", NULL)), 8, 7));
    const kiln_toml_value *routes = path(root, "routes", NULL);
    CHECK(kiln_toml_type_of(routes) == KILN_TOML_ARRAY && kiln_toml_array_len(routes) == 1);
    const kiln_toml_value *r0 = kiln_toml_array_get(routes, 0);
    CHECK(pos_is(kiln_toml_pos_of(r0), 9, 1));
    CHECK(pos_is(kiln_toml_pos_of(path(r0, "inl", NULL)), 10, 7));
    CHECK(pos_is(kiln_toml_pos_of(path(path(r0, "inl", NULL), "a", "b")), 10, 15));
    kiln_toml_free(doc);
}

static void test_errors(void)
{
    REJECTS("a = 1\nb = 2\na = 3\n", "3:1: duplicate key \"a\"");
    REJECTS("s = \"a\\qb\"", "1:7: invalid escape \\q");
    REJECTS("[t]\nx = 1\n[t]\n", "3:2: table \"t\" is defined twice");
    REJECTS("a = { b = 1 }\na.c = 2\n", "2:1: cannot add keys to inline table \"a\"");
    REJECTS("[a.b]\n[a]\nb.c = 1\n",
            "3:1: cannot add keys to table \"b\" with dotted keys: it has a [header]");
    REJECTS("[a.b.c]\n[a]\nb.d = 1\n[a.b]\n", "4:4: table \"a.b\" is defined twice");
    REJECTS("x = [1, 2]\n[[x]]\n",
            "2:3: cannot append to array \"x\" with [[ ]]: it was written as a literal");
    REJECTS("a = hello\n", "1:5: invalid value 'hello' (strings need quotes)");
    REJECTS("d = 2023-02-29\n", "1:5: invalid datetime '2023-02-29': day out of range for the month");
    REJECTS("t = 24:00:00\n", "1:5: invalid datetime '24:00:00': hour out of range");
    REJECTS("a = 1 # ok\nb = 2 # \x01\n", "2:9: control character U+0001 in a comment");
    REJECTS("a = 1\r\nb = 2\r", "2:6: carriage return not followed by a newline at the end of a line");
    REJECTS("a = 1\nb = \"\xC3\x28\"\n", "2:6: invalid UTF-8 (byte 0xC3)");
    REJECTS("a = \"x\0y\"\n", "1:7: NUL byte in the document");
    REJECTS("k = \"\"\"ab\"\"\"\"\"\"\n", "1:15: too many quotes at the end of a multi-line string");
    REJECTS("t = { a = 1,\n b = 2 }", "1:13: expected a key, found end of line");
    REJECTS("s = \"\\uD800\"", "1:6: \\uD800 is not a Unicode scalar value");
    REJECTS("a = 1\nb = \"\"\"\nx\ny = 2\n", "2:5: unterminated string");
    REJECTS("a = [\n1,\n2,\n3 4]", "4:3: expected ',' or ']' after an array item");
    /* the BOM is not a column */
    REJECTS("\xEF\xBB\xBF" "a = 1\nb = ", "2:5: expected a value");
    /* err may be NULL; out stays untouched on failure */
    kiln_toml_doc *doc = NULL;
    CHECK(!kiln_toml_parse("=", 1, &doc, NULL) && doc == NULL);
    kiln_toml_error err;
    CHECK(!kiln_toml_parse("a = 1", 5, NULL, &err));
    CHECK(!kiln_toml_parse(NULL, 5, &doc, &err) && doc == NULL);
    CHECK(kiln_toml_parse(NULL, 0, &doc, &err) && kiln_toml_table_size(kiln_toml_root(doc)) == 0);
    kiln_toml_free(doc);
    kiln_toml_free(NULL);
}

static void test_integers(void)
{
    kiln_toml_doc *doc = parse("max = 9223372036854775807\nmin = -9223372036854775808\n"
                               "hex = 0x7FFF_FFFF_FFFF_FFFF\noct = 0o777\nbin = 0b1010\n"
                               "us = 1_000_000\nplus = +7\n");
    if (!doc)
        return;
    const kiln_toml_value *r = kiln_toml_root(doc);
    int64_t i = 0;
    CHECK(kiln_toml_int(path(r, "max", NULL), &i) && i == INT64_MAX);
    CHECK(kiln_toml_int(path(r, "min", NULL), &i) && i == INT64_MIN);
    CHECK(kiln_toml_int(path(r, "hex", NULL), &i) && i == INT64_MAX);
    CHECK(kiln_toml_int(path(r, "oct", NULL), &i) && i == 511);
    CHECK(kiln_toml_int(path(r, "bin", NULL), &i) && i == 10);
    CHECK(kiln_toml_int(path(r, "us", NULL), &i) && i == 1000000);
    CHECK(kiln_toml_int(path(r, "plus", NULL), &i) && i == 7);
    kiln_toml_free(doc);
    REJECTS("a = 9223372036854775808", "1:5: integer '9223372036854775808' does not fit in 64 bits");
    REJECTS("a = -9223372036854775809", "1:5: integer '-9223372036854775809' does not fit in 64 bits");
    REJECTS("a = 0x8000000000000000", "1:5: integer '0x8000000000000000' does not fit in 64 bits");
    REJECTS("a = 0b11111111111111111111111111111111111111111111111111111111111111111",
            "1:5: integer '0b11111111111111111111111111111111111111111111111111111111111111111' "
            "does not fit in 64 bits");
    REJECTS("a = 012", "1:5: leading zeros are not allowed in '012'");
    REJECTS("a = 1__2", "1:5: invalid number '1__2'");
}

static void test_scalars(void)
{
    kiln_toml_doc *doc = parse("s = \"a\\u0000b\"\nlit = 'C:\\x'\nf = -1.5e3\npinf = +inf\n"
                               "ninf = -inf\nn = nan\nt = true\nml = \"\"\"\nx\\\n   y\"\"\"\"\"\n");
    if (!doc)
        return;
    const kiln_toml_value *r = kiln_toml_root(doc);
    const char *s;
    size_t len;
    double d;
    bool b;
    int64_t i = 99;
    CHECK(kiln_toml_string(path(r, "s", NULL), &s, &len) && len == 3 && memcmp(s, "a\0b", 4) == 0);
    CHECK(kiln_toml_string(path(r, "lit", NULL), &s, &len) && strcmp(s, "C:\\x") == 0);
    CHECK(kiln_toml_string(path(r, "ml", NULL), &s, &len) && strcmp(s, "xy\"\"") == 0);
    CHECK(kiln_toml_float(path(r, "f", NULL), &d) && d == -1500.0);
    CHECK(kiln_toml_float(path(r, "pinf", NULL), &d) && isinf(d) && d > 0);
    CHECK(kiln_toml_float(path(r, "ninf", NULL), &d) && isinf(d) && d < 0);
    CHECK(kiln_toml_float(path(r, "n", NULL), &d) && isnan(d));
    CHECK(kiln_toml_bool(path(r, "t", NULL), &b) && b);
    /* wrong types: false, output untouched */
    CHECK(!kiln_toml_int(path(r, "f", NULL), &i) && i == 99);
    CHECK(!kiln_toml_float(path(r, "s", NULL), &d));
    CHECK(!kiln_toml_string(path(r, "t", NULL), &s, &len));
    CHECK(!kiln_toml_bool(r, &b));
    CHECK(!kiln_toml_datetime_get(path(r, "s", NULL), NULL));
    CHECK(kiln_toml_table_get(r, "missing") == NULL);
    CHECK(kiln_toml_table_get(path(r, "s", NULL), "x") == NULL);
    CHECK(kiln_toml_array_get(r, 0) == NULL && kiln_toml_array_len(r) == 0);
    CHECK(kiln_toml_table_key(r, 100, &len) == NULL && kiln_toml_table_value(r, 100) == NULL);
    CHECK(kiln_toml_type_of(NULL) == 0 && kiln_toml_table_size(NULL) == 0);
    CHECK(strcmp(kiln_toml_type_name(kiln_toml_type_of(path(r, "n", NULL))), "float") == 0);
    kiln_toml_free(doc);
}

static void test_datetimes(void)
{
    kiln_toml_doc *doc = parse("odt = 1979-05-27t07:32:00.999999999999-07:30\n"
                               "ldt = 2000-02-29 23:59:60\nld = 1979-05-27\nlt = 07:32:01.5\n");
    if (!doc)
        return;
    const kiln_toml_value *r = kiln_toml_root(doc);
    kiln_toml_datetime dt;
    CHECK(kiln_toml_datetime_get(path(r, "odt", NULL), &dt));
    CHECK(dt.kind == KILN_TOML_DATETIME && dt.year == 1979 && dt.month == 5 && dt.day == 27);
    CHECK(dt.hour == 7 && dt.minute == 32 && dt.second == 0 && dt.nanosecond == 999999999);
    CHECK(dt.frac_digits == 12 && dt.offset_minutes == -450);
    CHECK(dt.text_len == 38 && memcmp(dt.text, "1979-05-27t07:32:00.999999999999-07:30", 38) == 0);
    CHECK(kiln_toml_datetime_get(path(r, "ldt", NULL), &dt));
    CHECK(dt.kind == KILN_TOML_DATETIME_LOCAL && dt.day == 29 && dt.second == 60);
    CHECK(kiln_toml_datetime_get(path(r, "ld", NULL), &dt));
    CHECK(dt.kind == KILN_TOML_DATE_LOCAL && dt.hour == 0 && dt.frac_digits == 0);
    CHECK(kiln_toml_datetime_get(path(r, "lt", NULL), &dt));
    CHECK(dt.kind == KILN_TOML_TIME_LOCAL && dt.year == 0 && dt.second == 1);
    CHECK(dt.nanosecond == 500000000 && dt.frac_digits == 1);
    kiln_toml_free(doc);
    REJECTS("d = 1900-02-29", "1:5: invalid datetime '1900-02-29': day out of range for the month");
    REJECTS("d = 1979-05-27T07:32:00+24:00",
            "1:5: invalid datetime '1979-05-27T07:32:00+24:00': offset out of range");
}

/* Keys in document order, and lookups in a table big enough to be hashed;
 * a key written twice in it is still found. */
static void test_tables(void)
{
    kiln_toml_doc *doc = parse("z = 1\na = 2\nm.x = 3\n[b]\n[m.y]\n");
    if (doc) {
        const kiln_toml_value *r = kiln_toml_root(doc);
        const char *want[] = {"z", "a", "m", "b"};
        CHECK(kiln_toml_table_size(r) == 4);
        for (size_t i = 0; i < 4; i++)
            CHECK(strcmp(kiln_toml_table_key(r, i, NULL), want[i]) == 0);
        CHECK(kiln_toml_table_size(path(r, "m", NULL)) == 2);
        kiln_toml_free(doc);
    }
    /* dotted keys may define a table that a header only implied */
    doc = parse("[a.b.c]\n[a]\nb.d = 1\n");
    if (doc) {
        CHECK(kiln_toml_table_size(path(kiln_toml_root(doc), "a", "b")) == 2);
        kiln_toml_free(doc);
    }
    size_t cap = 2000 * 24, n = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(text + n, cap - n, "k%d = %d\n", i, i);
    kiln_toml_doc *big = parse(text);
    if (big) {
        const kiln_toml_value *r = kiln_toml_root(big);
        int64_t v = -1;
        CHECK(kiln_toml_table_size(r) == 2000);
        CHECK(kiln_toml_int(kiln_toml_table_get(r, "k1234"), &v) && v == 1234);
        CHECK(kiln_toml_table_getn(r, "k1234x", 5) == kiln_toml_table_get(r, "k1234"));
        CHECK(kiln_toml_table_get(r, "k2000") == NULL);
        kiln_toml_free(big);
    }
    n += (size_t)snprintf(text + n, cap - n, "k1999 = 0\n");
    kiln_toml_error err;
    CHECK(!kiln_toml_parse(text, n, &big, &err) &&
          strcmp(err.message, "2001:1: duplicate key \"k1999\"") == 0);
    free(text);
    /* a key with a NUL in it */
    doc = parse("\"a\\u0000b\" = 1\n");
    if (doc) {
        size_t len;
        const char *k = kiln_toml_table_key(kiln_toml_root(doc), 0, &len);
        CHECK(len == 3 && memcmp(k, "a\0b", 3) == 0);
        CHECK(kiln_toml_table_getn(kiln_toml_root(doc), "a\0b", 3) != NULL);
        CHECK(kiln_toml_table_get(kiln_toml_root(doc), "a") == NULL);
        kiln_toml_free(doc);
    }
}

/* KILN_TOML_MAX_DEPTH levels are fine, one more is an error. */
static void nested(int depth, bool ok)
{
    char *text = malloc((size_t)depth * 2 + 8);
    size_t n = 0;
    memcpy(text, "a = ", 4), n = 4;
    for (int i = 0; i < depth; i++)
        text[n++] = '[';
    for (int i = 0; i < depth; i++)
        text[n++] = ']';
    kiln_toml_doc *doc = NULL;
    kiln_toml_error err;
    bool parsed = kiln_toml_parse(text, n, &doc, &err);
    CHECK(parsed == ok);
    if (!ok)
        CHECK(strstr(err.message, "nested deeper than 256 levels") != NULL);
    kiln_toml_free(doc);
    free(text);
}

static void test_depth(void)
{
    nested(KILN_TOML_MAX_DEPTH, true);
    nested(KILN_TOML_MAX_DEPTH + 1, false);
    nested(100000, false);
    char text[4096] = "";
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "k.");
    snprintf(text + n, sizeof text - n, "k = 1\n");
    kiln_toml_doc *doc;
    kiln_toml_error err;
    CHECK(!kiln_toml_parse(text, strlen(text), &doc, &err) &&
          strcmp(err.message, "1:513: nested deeper than 256 levels") == 0);
}

int main(void)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } tests[] = {
        {"positions", test_positions}, {"errors", test_errors},     {"integers", test_integers},
        {"scalars", test_scalars},     {"datetimes", test_datetimes}, {"tables", test_tables},
        {"depth", test_depth},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        failed_checks = 0;
        tests[i].fn();
        if (failed_checks)
            printf("FAIL %s: %d checks failed\n", tests[i].name, failed_checks), failed++;
        else
            printf("ok %s\n", tests[i].name);
    }
    return failed ? 1 : 0;
}
