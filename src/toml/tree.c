/*
 * tree.c — the document tree: making values, adding entries to tables and
 * items to arrays, finding keys, freeing; and the public getters.
 *
 * A table keeps its entries in an array in document order.  Small tables
 * are searched linearly; from INDEX_MIN entries on, a table also has an
 * open-addressing hash index (FNV-1a of the key bytes, linear probing, at
 * most half full) so a table with many keys is not quadratic to build.
 * Freeing recurses, which is safe because the parser refuses containers
 * nested deeper than KILN_TOML_MAX_DEPTH.
 */
#include <stdlib.h>
#include <string.h>

#include "toml_impl.h"

enum { INDEX_MIN = 8 };

kiln_toml_value *tt_new(tp *p, kiln_toml_type type, size_t off)
{
    kiln_toml_value *v = calloc(1, sizeof *v);
    if (!v) {
        tp_nomem(p);
        return NULL;
    }
    v->type = type;
    v->pos = tp_pos(p, off);
    return v;
}

void tt_free(kiln_toml_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case KILN_TOML_TABLE:
        for (size_t i = 0; i < v->u.tab.len; i++) {
            free(v->u.tab.ents[i].key);
            tt_free(v->u.tab.ents[i].val);
        }
        free(v->u.tab.ents);
        free(v->u.tab.index);
        break;
    case KILN_TOML_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++)
            tt_free(v->u.arr.items[i]);
        free(v->u.arr.items);
        break;
    case KILN_TOML_STRING:
        free(v->u.str.s);
        break;
    case KILN_TOML_DATETIME:
    case KILN_TOML_DATETIME_LOCAL:
    case KILN_TOML_DATE_LOCAL:
    case KILN_TOML_TIME_LOCAL:
        free((char *)v->u.dt.text);
        break;
    default:
        break;
    }
    free(v);
}

static uint32_t hash(const char *key, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

static bool same(const tt_entry *e, const char *key, size_t len)
{
    return e->key_len == len && memcmp(e->key, key, len) == 0;
}

tt_entry *tt_find(const kiln_toml_value *t, const char *key, size_t len)
{
    if (!t || t->type != KILN_TOML_TABLE)
        return NULL;
    tt_entry *ents = t->u.tab.ents;
    if (!t->u.tab.index) {
        for (size_t i = 0; i < t->u.tab.len; i++)
            if (same(&ents[i], key, len))
                return &ents[i];
        return NULL;
    }
    size_t mask = t->u.tab.index_cap - 1;
    for (size_t s = hash(key, len) & mask;; s = (s + 1) & mask) {
        uint32_t slot = t->u.tab.index[s];
        if (slot == 0)
            return NULL;
        if (same(&ents[slot - 1], key, len))
            return &ents[slot - 1];
    }
}

static void index_add(kiln_toml_value *t, size_t entry)
{
    size_t mask = t->u.tab.index_cap - 1;
    const tt_entry *e = &t->u.tab.ents[entry];
    size_t s = hash(e->key, e->key_len) & mask;
    while (t->u.tab.index[s])
        s = (s + 1) & mask;
    t->u.tab.index[s] = (uint32_t)entry + 1;
}

/* Keeps the index at most half full once the table has INDEX_MIN entries. */
static bool index_grow(tp *p, kiln_toml_value *t, size_t want)
{
    if (want < INDEX_MIN || want * 2 <= t->u.tab.index_cap)
        return true;
    size_t cap = 16;
    while (cap < want * 2)
        cap *= 2;
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx)
        return tp_nomem(p);
    free(t->u.tab.index);
    t->u.tab.index = idx;
    t->u.tab.index_cap = cap;
    for (size_t i = 0; i < t->u.tab.len; i++)
        index_add(t, i);
    return true;
}

/* Adds key = v to table t (the key is not there yet; the caller checked).
 * On failure v is freed, so the caller never has to. */
bool tt_insert(tp *p, kiln_toml_value *t, const char *key, size_t len, kiln_toml_pos pos,
               kiln_toml_value *v)
{
    if (t->u.tab.len == t->u.tab.cap) {
        size_t cap = t->u.tab.cap ? t->u.tab.cap * 2 : 4;
        tt_entry *e = realloc(t->u.tab.ents, cap * sizeof *e);
        if (!e)
            return tt_free(v), tp_nomem(p);
        t->u.tab.ents = e;
        t->u.tab.cap = cap;
    }
    char *k = malloc(len + 1);
    if (!k || !index_grow(p, t, t->u.tab.len + 1)) {
        free(k);
        tt_free(v);
        return tp_nomem(p);
    }
    memcpy(k, key, len);
    k[len] = 0;
    t->u.tab.ents[t->u.tab.len] = (tt_entry){k, len, pos, v};
    if (t->u.tab.index)
        index_add(t, t->u.tab.len);
    t->u.tab.len++;
    return true;
}

/* Appends v to arr; on failure v is freed. */
bool tt_push(tp *p, kiln_toml_value *arr, kiln_toml_value *v)
{
    if (arr->u.arr.len == arr->u.arr.cap) {
        size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 4;
        kiln_toml_value **items = realloc(arr->u.arr.items, cap * sizeof *items);
        if (!items)
            return tt_free(v), tp_nomem(p);
        arr->u.arr.items = items;
        arr->u.arr.cap = cap;
    }
    arr->u.arr.items[arr->u.arr.len++] = v;
    return true;
}

/* ---- public getters ------------------------------------------------------ */

void kiln_toml_free(kiln_toml_doc *doc)
{
    if (!doc)
        return;
    tt_free(doc->root);
    free(doc);
}

const kiln_toml_value *kiln_toml_root(const kiln_toml_doc *doc)
{
    return doc ? doc->root : NULL;
}

kiln_toml_type kiln_toml_type_of(const kiln_toml_value *v)
{
    return v ? v->type : (kiln_toml_type)0;
}

kiln_toml_pos kiln_toml_pos_of(const kiln_toml_value *v)
{
    return v ? v->pos : (kiln_toml_pos){0, 0};
}

const char *kiln_toml_type_name(kiln_toml_type t)
{
    static const char *const names[] = {"?", "table", "array", "string", "integer", "float",
                                        "bool", "datetime", "datetime-local", "date-local",
                                        "time-local"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static bool is(const kiln_toml_value *v, kiln_toml_type t)
{
    return v && v->type == t;
}

size_t kiln_toml_table_size(const kiln_toml_value *table)
{
    return is(table, KILN_TOML_TABLE) ? table->u.tab.len : 0;
}

const kiln_toml_value *kiln_toml_table_getn(const kiln_toml_value *table, const char *key,
                                            size_t key_len)
{
    const tt_entry *e = key ? tt_find(table, key, key_len) : NULL;
    return e ? e->val : NULL;
}

const kiln_toml_value *kiln_toml_table_get(const kiln_toml_value *table, const char *key)
{
    return key ? kiln_toml_table_getn(table, key, strlen(key)) : NULL;
}

static const tt_entry *entry(const kiln_toml_value *table, size_t i)
{
    return is(table, KILN_TOML_TABLE) && i < table->u.tab.len ? &table->u.tab.ents[i] : NULL;
}

const char *kiln_toml_table_key(const kiln_toml_value *table, size_t i, size_t *len)
{
    const tt_entry *e = entry(table, i);
    if (e && len)
        *len = e->key_len;
    return e ? e->key : NULL;
}

kiln_toml_pos kiln_toml_table_key_pos(const kiln_toml_value *table, size_t i)
{
    const tt_entry *e = entry(table, i);
    return e ? e->pos : (kiln_toml_pos){0, 0};
}

const kiln_toml_value *kiln_toml_table_value(const kiln_toml_value *table, size_t i)
{
    const tt_entry *e = entry(table, i);
    return e ? e->val : NULL;
}

size_t kiln_toml_array_len(const kiln_toml_value *array)
{
    return is(array, KILN_TOML_ARRAY) ? array->u.arr.len : 0;
}

const kiln_toml_value *kiln_toml_array_get(const kiln_toml_value *array, size_t i)
{
    return is(array, KILN_TOML_ARRAY) && i < array->u.arr.len ? array->u.arr.items[i] : NULL;
}

bool kiln_toml_string(const kiln_toml_value *v, const char **s, size_t *len)
{
    if (!is(v, KILN_TOML_STRING))
        return false;
    if (s)
        *s = v->u.str.s;
    if (len)
        *len = v->u.str.len;
    return true;
}

bool kiln_toml_int(const kiln_toml_value *v, int64_t *out)
{
    if (!is(v, KILN_TOML_INTEGER))
        return false;
    if (out)
        *out = v->u.i;
    return true;
}

bool kiln_toml_float(const kiln_toml_value *v, double *out)
{
    if (!is(v, KILN_TOML_FLOAT))
        return false;
    if (out)
        *out = v->u.f;
    return true;
}

bool kiln_toml_bool(const kiln_toml_value *v, bool *out)
{
    if (!is(v, KILN_TOML_BOOL))
        return false;
    if (out)
        *out = v->u.b;
    return true;
}

bool kiln_toml_datetime_get(const kiln_toml_value *v, kiln_toml_datetime *out)
{
    if (!v || v->type < KILN_TOML_DATETIME || v->type > KILN_TOML_TIME_LOCAL)
        return false;
    if (out)
        *out = v->u.dt;
    return true;
}
