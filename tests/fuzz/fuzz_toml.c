/*
 * fuzz_toml.c — libFuzzer target for the TOML parser (src/toml/): parses
 * the input, walks the whole tree through every getter, frees it.
 *
 * Besides what ASan and UBSan catch, it aborts when the API contradicts
 * itself: an error without a "LINE:COL: " message, a value without a
 * position, a key that lookup does not find again, a getter that accepts
 * a value of another type, a datetime whose text is empty, or a tree
 * deeper than KILN_TOML_MAX_DEPTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_toml.h"

#define REQUIRE(c)                                                            \
    do {                                                                      \
        if (!(c)) {                                                           \
            fprintf(stderr, "fuzz_toml: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                          \
        }                                                                     \
    } while (0)

static void walk(const kiln_toml_value *v, int depth);

static void walk_scalar(const kiln_toml_value *v, kiln_toml_type t)
{
    const char *s;
    size_t len;
    int64_t i;
    double d;
    bool b;
    kiln_toml_datetime dt;
    REQUIRE(kiln_toml_string(v, &s, &len) == (t == KILN_TOML_STRING));
    if (t == KILN_TOML_STRING)
        REQUIRE(s[len] == 0 && strlen(s) <= len);
    REQUIRE(kiln_toml_int(v, &i) == (t == KILN_TOML_INTEGER));
    REQUIRE(kiln_toml_float(v, &d) == (t == KILN_TOML_FLOAT));
    REQUIRE(kiln_toml_bool(v, &b) == (t == KILN_TOML_BOOL));
    bool is_dt = t >= KILN_TOML_DATETIME && t <= KILN_TOML_TIME_LOCAL;
    REQUIRE(kiln_toml_datetime_get(v, &dt) == is_dt);
    if (is_dt)
        REQUIRE(dt.kind == t && dt.text_len > 0 && dt.text[dt.text_len] == 0 &&
                dt.nanosecond < 1000000000u);
}

static void walk_table(const kiln_toml_value *v, int depth)
{
    size_t n = kiln_toml_table_size(v), len;
    for (size_t i = 0; i < n; i++) {
        const char *k = kiln_toml_table_key(v, i, &len);
        const kiln_toml_value *item = kiln_toml_table_value(v, i);
        REQUIRE(k && item && kiln_toml_table_key_pos(v, i).line >= 1);
        REQUIRE(kiln_toml_table_getn(v, k, len) == item);
        if (strlen(k) == len)
            REQUIRE(kiln_toml_table_get(v, k) == item);
        walk(item, depth + 1);
    }
    REQUIRE(kiln_toml_table_key(v, n, &len) == NULL);
}

static void walk(const kiln_toml_value *v, int depth)
{
    /* Containers nest at most KILN_TOML_MAX_DEPTH deep; a scalar may sit
     * one level below the deepest container. */
    REQUIRE(v && depth <= KILN_TOML_MAX_DEPTH + 1);
    REQUIRE(depth <= KILN_TOML_MAX_DEPTH || (kiln_toml_type_of(v) != KILN_TOML_TABLE &&
                                             kiln_toml_type_of(v) != KILN_TOML_ARRAY));
    kiln_toml_pos pos = kiln_toml_pos_of(v);
    REQUIRE(pos.line >= 1 && pos.column >= 1);
    kiln_toml_type t = kiln_toml_type_of(v);
    REQUIRE(strcmp(kiln_toml_type_name(t), "?") != 0);
    if (t == KILN_TOML_TABLE) {
        walk_table(v, depth);
    } else if (t == KILN_TOML_ARRAY) {
        size_t n = kiln_toml_array_len(v);
        for (size_t i = 0; i < n; i++)
            walk(kiln_toml_array_get(v, i), depth + 1);
        REQUIRE(kiln_toml_array_get(v, n) == NULL);
    } else {
        REQUIRE(kiln_toml_table_size(v) == 0 && kiln_toml_array_len(v) == 0);
        walk_scalar(v, t);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    kiln_toml_doc *doc = NULL;
    kiln_toml_error err;
    if (!kiln_toml_parse((const char *)data, size, &doc, &err)) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%u:%u: ", err.pos.line, err.pos.column);
        REQUIRE(doc == NULL && err.pos.line >= 1 && err.pos.column >= 1);
        REQUIRE(strncmp(err.message, prefix, strlen(prefix)) == 0 &&
                strlen(err.message) > strlen(prefix));
        return 0;
    }
    const kiln_toml_value *root = kiln_toml_root(doc);
    REQUIRE(kiln_toml_type_of(root) == KILN_TOML_TABLE);
    walk(root, 0);
    kiln_toml_free(doc);
    return 0;
}
