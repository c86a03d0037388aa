/*
 * parse.c — the structure of a TOML document: lines of key = value,
 * [table] and [[array of tables]] headers, arrays and inline tables, and
 * the rules that say which tables may be opened or extended again.
 *
 * Each table remembers how it was made (toml_impl.h): TT_IMPLICIT as the
 * parent of a header's key, TT_HEADER by its own [header] (or as an element
 * of [[header]]), TT_DOTTED by a dotted key, TT_INLINE as { ... }.  The
 * rules then are:
 *   - a [header] may name a new key, or an implicit table (which it then
 *     defines, once); anything else is a redefinition;
 *   - a header's path may pass through any table but an inline one, and
 *     through a [[header]] array (into its last element), but not through
 *     a literal array or a scalar;
 *   - a dotted key's path may pass only through tables that dotted keys
 *     made, so it can extend neither a table defined by a header nor an
 *     inline table; its last key must be new;
 *   - inline tables and literal arrays are sealed once written.
 * Because a table's dotted children are reachable only through it, sealing
 * an inline table seals everything in it.
 */
#include <stdlib.h>
#include <string.h>

#include "toml_impl.h"

typedef struct key_part {
    char *s;
    size_t len, off;
    kiln_toml_pos pos;
} key_part;

typedef struct key_path {
    key_part *parts;
    size_t n, cap;
} key_path;

static void path_free(key_path *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->parts[i].s);
    free(k->parts);
}

static bool path_push(tp *p, key_path *k, size_t off)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;
        key_part *parts = realloc(k->parts, cap * sizeof *parts);
        if (!parts)
            return tp_nomem(p);
        k->parts = parts;
        k->cap = cap;
    }
    char *s = malloc(p->blen + 1);
    if (!s)
        return tp_nomem(p);
    memcpy(s, p->buf, p->blen + 1);
    k->parts[k->n++] = (key_part){s, p->blen, off, tp_pos(p, off)};
    return true;
}

/* key *( ws '.' ws key ), with the whitespace around it. */
static bool read_key(tp *p, key_path *k)
{
    for (;;) {
        tp_skip_ws(p);
        size_t off = p->i;
        if (!tp_read_key_part(p) || !path_push(p, k, off))
            return false;
        tp_skip_ws(p);
        if (tp_peek(p, 0) != '.')
            return true;
        p->i++;
    }
}

/* The dotted name of parts[0..n) for messages. */
static void path_name(const key_path *k, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        if (i)
            out[o++] = '.';
        tp_describe(out + o, cap - o, k->parts[i].s, k->parts[i].len);
        o += strlen(out + o);
    }
}

static bool fail_at_part(tp *p, const key_path *k, size_t i, const char *what)
{
    char name[120];
    path_name(k, i + 1, name, sizeof name);
    return tp_fail(p, k->parts[i].off, what, name);
}

static kiln_toml_value *new_container(tp *p, kiln_toml_type type, size_t off, uint8_t flags,
                                      unsigned depth)
{
    if (depth > KILN_TOML_MAX_DEPTH) {
        tp_fail(p, off, "nested deeper than %d levels", KILN_TOML_MAX_DEPTH);
        return NULL;
    }
    kiln_toml_value *v = tt_new(p, type, off);
    if (v) {
        v->flags = flags;
        v->depth = (uint16_t)depth;
    }
    return v;
}

/* A new table under key part i of k in t, made as `flags`. */
static kiln_toml_value *add_table(tp *p, kiln_toml_value *t, const key_path *k, size_t i,
                                  uint8_t flags)
{
    const key_part *kp = &k->parts[i];
    kiln_toml_value *v = new_container(p, KILN_TOML_TABLE, kp->off, flags, t->depth + 1u);
    if (!v || !tt_insert(p, t, kp->s, kp->len, kp->pos, v))
        return NULL;
    return v;
}

static bool value(tp *p, kiln_toml_value **out, unsigned depth);

/* key = value into table t; the key's dotted prefix makes or enters tables. */
static bool keyval(tp *p, kiln_toml_value *t)
{
    key_path k = {0};
    bool ok = read_key(p, &k);
    for (size_t i = 0; ok && i + 1 < k.n; i++) {
        tt_entry *e = tt_find(t, k.parts[i].s, k.parts[i].len);
        if (!e) {
            ok = (t = add_table(p, t, &k, i, TT_DOTTED)) != NULL;
        } else if (e->val->type == KILN_TOML_TABLE && e->val->flags == TT_DOTTED) {
            t = e->val;
        } else if (e->val->type == KILN_TOML_TABLE) {
            ok = fail_at_part(p, &k, i, e->val->flags & TT_INLINE
                                            ? "cannot add keys to inline table \"%s\""
                                            : "cannot add keys to table \"%s\" with dotted "
                                              "keys: it has a [header]");
        } else {
            ok = fail_at_part(p, &k, i, "key \"%s\" already has a value that is not a table");
        }
    }
    if (ok && tt_find(t, k.parts[k.n - 1].s, k.parts[k.n - 1].len))
        ok = fail_at_part(p, &k, k.n - 1, "duplicate key \"%s\"");
    if (ok && tp_peek(p, 0) != '=')
        ok = tp_fail(p, p->i, "expected '=' after a key");
    kiln_toml_value *v = NULL;
    if (ok) {
        p->i++;
        tp_skip_ws(p);
        ok = value(p, &v, t->depth + 1u);
    }
    if (ok) {
        const key_part *last = &k.parts[k.n - 1];
        ok = tt_insert(p, t, last->s, last->len, last->pos, v);
    }
    path_free(&k);
    return ok;
}

/* Whitespace, comments and newlines, as allowed between array items. */
static bool skip_blank(tp *p)
{
    for (;;) {
        tp_skip_ws(p);
        if (!tp_skip_comment(p))
            return false;
        if (!tp_newline(p))
            return true;
    }
}

static bool array(tp *p, kiln_toml_value *arr, unsigned depth)
{
    p->i++;
    for (;;) {
        if (!skip_blank(p))
            return false;
        if (tp_peek(p, 0) == ']')
            break;
        kiln_toml_value *v;
        if (!value(p, &v, depth + 1) || !tt_push(p, arr, v) || !skip_blank(p))
            return false;
        if (tp_peek(p, 0) == ']')
            break;
        if (tp_peek(p, 0) != ',')
            return tp_fail(p, p->i, "expected ',' or ']' after an array item");
        p->i++;
    }
    p->i++;
    return true;
}

static bool inline_table(tp *p, kiln_toml_value *t)
{
    p->i++;
    tp_skip_ws(p);
    if (tp_peek(p, 0) == '}') {
        p->i++;
        return true;
    }
    for (;;) {
        if (!keyval(p, t))
            return false;
        tp_skip_ws(p);
        int c = tp_peek(p, 0);
        p->i++;
        if (c == '}')
            return true;
        if (c != ',') {
            p->i--;
            return tp_fail(p, p->i, c == '\n' || c == '\r' || c == '#'
                                        ? "an inline table must be on one line"
                                        : "expected ',' or '}' after a key = value");
        }
    }
}

static bool value(tp *p, kiln_toml_value **out, unsigned depth)
{
    size_t off = p->i;
    int c = tp_peek(p, 0);
    kiln_toml_value *v;
    bool ok;
    if (c == '[' || c == '{') {
        v = c == '[' ? new_container(p, KILN_TOML_ARRAY, off, TA_LITERAL, depth)
                     : new_container(p, KILN_TOML_TABLE, off, TT_INLINE, depth);
        if (!v)
            return false;
        ok = c == '[' ? array(p, v, depth) : inline_table(p, v);
    } else if (c == '"' || c == '\'') {
        if (!(v = tt_new(p, KILN_TOML_STRING, off)))
            return false;
        ok = tp_read_string(p, c) && (v->u.str.s = malloc(p->blen + 1)) != NULL;
        if (ok) {
            memcpy(v->u.str.s, p->buf, p->blen + 1);
            v->u.str.len = p->blen;
        } else if (!p->failed) {
            tp_nomem(p);
        }
    } else {
        if (!(v = tt_new(p, KILN_TOML_BOOL, off)))
            return false;
        ok = tp_read_scalar(p, v);
    }
    if (!ok) {
        tt_free(v);
        return false;
    }
    *out = v;
    return true;
}

/* Enters part i of a header's path from t: a table that is not inline, or
 * the last table of a [[header]] array. */
static bool header_step(tp *p, kiln_toml_value **t, const key_path *k, size_t i)
{
    tt_entry *e = tt_find(*t, k->parts[i].s, k->parts[i].len);
    if (!e)
        return (*t = add_table(p, *t, k, i, TT_IMPLICIT)) != NULL;
    kiln_toml_value *v = e->val;
    if (v->type == KILN_TOML_TABLE && !(v->flags & TT_INLINE)) {
        *t = v;
        return true;
    }
    if (v->type == KILN_TOML_ARRAY && (v->flags & TA_TABLES)) {
        *t = v->u.arr.items[v->u.arr.len - 1];
        return true;
    }
    if (v->type == KILN_TOML_TABLE)
        return fail_at_part(p, k, i, "cannot extend inline table \"%s\"");
    return fail_at_part(p, k, i, "key \"%s\" already has a value that is not a table");
}

/* The last part of [header]: a new table, or an implicit one defined now. */
static bool header_table(tp *p, kiln_toml_value *t, const key_path *k, size_t off)
{
    size_t last = k->n - 1;
    tt_entry *e = tt_find(t, k->parts[last].s, k->parts[last].len);
    if (!e) {
        if (!(t = add_table(p, t, k, last, TT_HEADER)))
            return false;
    } else if (e->val->type == KILN_TOML_TABLE && e->val->flags == TT_IMPLICIT) {
        t = e->val;
        t->flags = TT_HEADER;
    } else {
        return fail_at_part(p, k, last, e->val->type == KILN_TOML_TABLE
                                            ? "table \"%s\" is defined twice"
                                            : "key \"%s\" already has a value");
    }
    t->pos = tp_pos(p, off);
    p->cur = t;
    return true;
}

/* The last part of [[header]]: a new element of a new or [[ ]]-made array. */
static bool header_array(tp *p, kiln_toml_value *t, const key_path *k, size_t off)
{
    const key_part *kp = &k->parts[k->n - 1];
    tt_entry *e = tt_find(t, kp->s, kp->len);
    kiln_toml_value *arr;
    if (!e) {
        arr = new_container(p, KILN_TOML_ARRAY, off, TA_TABLES, t->depth + 1u);
        if (!arr || !tt_insert(p, t, kp->s, kp->len, kp->pos, arr))
            return false;
    } else if (e->val->type == KILN_TOML_ARRAY && (e->val->flags & TA_TABLES)) {
        arr = e->val;
    } else {
        return fail_at_part(p, k, k->n - 1, e->val->type == KILN_TOML_ARRAY
                                                ? "cannot append to array \"%s\" with "
                                                  "[[ ]]: it was written as a literal"
                                                : "key \"%s\" already has a value that is "
                                                  "not an array of tables");
    }
    kiln_toml_value *elem = new_container(p, KILN_TOML_TABLE, off, TT_HEADER, arr->depth + 1u);
    if (!elem || !tt_push(p, arr, elem))
        return false;
    p->cur = elem;
    return true;
}

static bool header(tp *p)
{
    size_t off = p->i;
    bool aot = tp_peek(p, 1) == '[';
    p->i += aot ? 2 : 1;
    key_path k = {0};
    bool ok = read_key(p, &k);
    if (ok && (tp_peek(p, 0) != ']' || (aot && tp_peek(p, 1) != ']')))
        ok = tp_fail(p, p->i, aot ? "expected ']]' to close the header" :
                                    "expected ']' to close the header");
    if (ok)
        p->i += aot ? 2 : 1;
    kiln_toml_value *t = p->root;
    for (size_t i = 0; ok && i + 1 < k.n; i++)
        ok = header_step(p, &t, &k, i);
    if (ok)
        ok = aot ? header_array(p, t, &k, off) : header_table(p, t, &k, off);
    path_free(&k);
    return ok;
}

bool tp_document(tp *p)
{
    if (p->n >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0)
        p->i = 3;
    if (!(p->root = new_container(p, KILN_TOML_TABLE, p->i, TT_HEADER, 0)))
        return false;
    p->cur = p->root;
    for (;;) {
        tp_skip_ws(p);
        if (!tp_skip_comment(p))
            return false;
        if (p->i >= p->n)
            return true;
        if (tp_newline(p))
            continue;
        int c = tp_peek(p, 0);
        if (c == '\r')
            return tp_fail(p, p->i, "carriage return not followed by a newline");
        if (!(c == '[' ? header(p) : keyval(p, p->cur)) || !tp_end_of_line(p))
            return false;
    }
}

bool kiln_toml_parse(const char *text, size_t len, kiln_toml_doc **out, kiln_toml_error *err)
{
    tp p = {.s = text ? text : "", .n = text ? len : 0, .err = err};
    if (err)
        memset(err, 0, sizeof *err);
    if (!out)
        return tp_fail(&p, 0, "no place for the document (out is NULL)");
    bool ok = tp_check_utf8(&p) && tp_document(&p);
    kiln_toml_doc *doc = ok ? malloc(sizeof *doc) : NULL;
    if (ok && !doc)
        ok = tp_nomem(&p);
    free(p.buf);
    if (p.c_locale)
        freelocale(p.c_locale);
    if (!ok) {
        tt_free(p.root);
        return false;
    }
    doc->root = p.root;
    *out = doc;
    return true;
}
