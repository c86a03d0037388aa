/*
 * toml_impl.h — the TOML layer's internal types: the value tree and the
 * parser's state, shared by lex.c (characters, keys, strings), scalar.c
 * (numbers, booleans, datetimes), parse.c (the document's structure and
 * TOML's table rules) and tree.c (building, looking up and freeing values;
 * the public getters).
 *
 * Invariants: every value belongs to exactly one container (or is the
 * root); a table's entries are in the order their keys were first written,
 * and its hash index (when it has one) maps every key to its entry; no
 * container is deeper than KILN_TOML_MAX_DEPTH.  The parser stops at the
 * first error: every function that can fail returns false after recording
 * it in the state, and callers just pass false up.
 */
#ifndef KILN_TOML_IMPL_H
#define KILN_TOML_IMPL_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_toml.h"

/* How a table came to be, for TOML's redefinition rules. */
enum {
    TT_IMPLICIT = 1, /* parent of a header's key: [a.b] makes a; may be defined later once */
    TT_HEADER = 2,   /* defined by [header] or as an element of [[header]] */
    TT_DOTTED = 4,   /* made by a dotted key (a.b = 1 makes a) */
    TT_INLINE = 8,   /* an inline table: sealed once written */
};
/* Arrays: literal arrays are sealed; [[header]] arrays grow. */
enum { TA_LITERAL = 1, TA_TABLES = 2 };

typedef struct tt_entry {
    char *key;
    size_t key_len;
    kiln_toml_pos pos;
    kiln_toml_value *val;
} tt_entry;

struct kiln_toml_value {
    kiln_toml_type type;
    kiln_toml_pos pos;
    uint8_t flags;
    uint16_t depth; /* containers above this one; the root is 0 */
    union {
        struct {
            char *s;
            size_t len;
        } str;
        int64_t i;
        double f;
        bool b;
        kiln_toml_datetime dt; /* .text points into the value's own copy */
        struct {
            kiln_toml_value **items;
            size_t len, cap;
        } arr;
        struct {
            tt_entry *ents;
            size_t len, cap;
            uint32_t *index; /* open addressing, entry number + 1; 0 = free */
            size_t index_cap;
        } tab;
    } u;
};

struct kiln_toml_doc {
    kiln_toml_value *root;
};

typedef struct tp {
    const char *s;
    size_t n, i;
    kiln_toml_error *err;
    bool failed;
    /* the position of byte pc_off, to count lines and columns forward */
    size_t pc_off;
    kiln_toml_pos pc;
    locale_t c_locale; /* for strtod_l, made on first use */
    kiln_toml_value *root, *cur;
    char *buf; /* scratch for the string or key being read */
    size_t blen, bcap;
} tp;

/* lex.c */
bool tp_fail(tp *p, size_t off, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
bool tp_nomem(tp *p);
kiln_toml_pos tp_pos(tp *p, size_t off);
bool tp_check_utf8(tp *p);
int tp_peek(const tp *p, size_t ahead);
void tp_skip_ws(tp *p);
bool tp_skip_comment(tp *p);
bool tp_newline(tp *p);
bool tp_end_of_line(tp *p);
bool tp_buf_put(tp *p, const char *data, size_t n);
bool tp_read_key_part(tp *p);
bool tp_read_string(tp *p, int quote);
void tp_describe(char *out, size_t cap, const char *s, size_t n);

/* scalar.c */
bool tp_read_scalar(tp *p, kiln_toml_value *v);
const char *tp_parse_datetime(const char *s, size_t n, kiln_toml_datetime *dt);

/* parse.c */
bool tp_document(tp *p);

/* tree.c */
kiln_toml_value *tt_new(tp *p, kiln_toml_type type, size_t off);
void tt_free(kiln_toml_value *v);
tt_entry *tt_find(const kiln_toml_value *t, const char *key, size_t len);
bool tt_insert(tp *p, kiln_toml_value *t, const char *key, size_t len, kiln_toml_pos pos,
               kiln_toml_value *v);
bool tt_push(tp *p, kiln_toml_value *arr, kiln_toml_value *v);

#endif
