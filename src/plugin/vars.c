/*
 * vars.c — a plugin's vars: a small map from byte-string keys to byte
 * values, shared by all its instances and the embedder, under one mutex
 * held only while copying.
 *
 * The cap is Extism's max_var_bytes on the whole store: a set that would
 * make the keys and values of all vars (the replaced value still counted,
 * as Extism counts it) exceed it fails with "Variable store is full"; 0
 * disables vars.  Extism also counts its Rust container overheads; kiln
 * counts the bytes only.
 */
#include <stdlib.h>
#include <string.h>

#include "plugin_impl.h"

static kn_var *find(kiln_plugin *p, const uint8_t *key, size_t key_len)
{
    for (size_t i = 0; i < p->nvars; i++)
        if (p->vars[i].key_len == key_len && !memcmp(p->vars[i].key, key, key_len))
            return &p->vars[i];
    return NULL;
}

void kn_vars_free(kiln_plugin *p)
{
    for (size_t i = 0; i < p->nvars; i++) {
        free(p->vars[i].key);
        free(p->vars[i].value);
    }
    free(p->vars);
    p->vars = NULL;
    p->nvars = p->vars_cap = 0;
}

static void remove_var(kiln_plugin *p, kn_var *v)
{
    free(v->key);
    free(v->value);
    *v = p->vars[--p->nvars];
}

static bool fits(kiln_plugin *p, size_t key_len, size_t len)
{
    uint64_t size = (uint64_t)key_len + len;
    for (size_t i = 0; i < p->nvars; i++)
        size += p->vars[i].key_len + p->vars[i].len;
    return size <= p->max_var_bytes;
}

/* Store into v (new or existing); false when out of memory. */
static bool put(kiln_plugin *p, kn_var *v, const uint8_t *key, size_t key_len,
                const uint8_t *value, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return false;
    memcpy(copy, value, len);
    if (v) {
        free(v->value);
        v->value = copy;
        v->len = len;
        return true;
    }
    if (p->nvars == p->vars_cap) {
        size_t cap = p->vars_cap ? p->vars_cap * 2 : 8;
        kn_var *nv = realloc(p->vars, cap * sizeof *nv);
        if (!nv) {
            free(copy);
            return false;
        }
        p->vars = nv;
        p->vars_cap = cap;
    }
    char *k = malloc(key_len + 1);
    if (!k) {
        free(copy);
        return false;
    }
    memcpy(k, key, key_len);
    k[key_len] = 0;
    p->vars[p->nvars++] = (kn_var){.key = k, .value = copy, .key_len = key_len, .len = len};
    return true;
}

kiln_error *kn_vars_set(kiln_plugin *p, const uint8_t *key, size_t key_len,
                        const uint8_t *value, size_t len)
{
    kiln_error *e = NULL;
    pthread_mutex_lock(&p->vars_lock);
    kn_var *v = find(p, key, key_len);
    if (!value) {
        if (v)
            remove_var(p, v);
    } else if (!fits(p, key_len, len)) {
        e = kiln_error_new(KILN_ERR_HOST, "Variable store is full");
    } else if (!put(p, v, key, key_len, value, len)) {
        e = kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&p->vars_lock);
    return e;
}

kiln_error *kn_vars_get_into(kiln_plugin *p, const uint8_t *key, size_t key_len, kn_kernel *k,
                             uint64_t *handle)
{
    kiln_error *e = NULL;
    *handle = 0;
    pthread_mutex_lock(&p->vars_lock);
    kn_var *v = find(p, key, key_len);
    if (v && v->len) {
        uint64_t h = kn_kernel_alloc(k, v->len);
        uint8_t *dst = h ? kn_kernel_ptr(k, h, v->len) : NULL;
        if (dst) {
            memcpy(dst, v->value, v->len);
            *handle = h;
        } else {
            e = kiln_error_new(KILN_ERR_HOST, "oom: kernel memory is full");
        }
    }
    pthread_mutex_unlock(&p->vars_lock);
    return e;
}

/* value NULL removes the var, as the plugin's var_set with handle 0. */
kiln_error *kiln_plugin_var_set(kiln_plugin *p, const char *key, const void *value, size_t len)
{
    if (!p || !key || (!value && len))
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_var_set: NULL argument");
    if (p->max_var_bytes == 0 && value)
        return kiln_error_new(KILN_ERR_LIMIT, "vars are disabled (max_var_bytes is 0)");
    kiln_error *e = kn_vars_set(p, (const uint8_t *)key, strlen(key), value, len);
    if (e && kiln_error_kind_of(e) == KILN_ERR_HOST) {
        kiln_error_free(e);
        return kiln_error_new(KILN_ERR_LIMIT, "vars: %s would exceed max_var_bytes", key);
    }
    return e;
}

bool kiln_plugin_var_get(kiln_plugin *p, const char *key, uint8_t **value, size_t *len)
{
    if (!p || !key || !value || !len)
        return false;
    bool found = false;
    pthread_mutex_lock(&p->vars_lock);
    kn_var *v = find(p, (const uint8_t *)key, strlen(key));
    if (v) {
        uint8_t *copy = malloc(v->len ? v->len : 1);
        if (copy) {
            memcpy(copy, v->value, v->len);
            *value = copy;
            *len = v->len;
            found = true;
        }
    }
    pthread_mutex_unlock(&p->vars_lock);
    return found;
}
