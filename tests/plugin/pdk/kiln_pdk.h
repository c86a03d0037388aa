/*
 * kiln_pdk.h — a small plugin development kit of our own for the test
 * plugins (C, clang-19 --target=wasm32-wasi): the imports of
 * "extism:host/env" as Extism's kernel and runtime define them, and helpers
 * over them.  Header-only; a plugin exports its functions with
 * KP_EXPORT(name) and is linked as a reactor (-mexec-model=reactor).
 */
#ifndef KILN_PDK_H
#define KILN_PDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t kp_handle;

#define KP_IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define KP_EXPORT(name) __attribute__((export_name(#name))) int32_t name(void)

KP_IMPORT("alloc") kp_handle kp_alloc(uint64_t n);
KP_IMPORT("free") void kp_free(kp_handle h);
KP_IMPORT("length") uint64_t kp_length(kp_handle h);
KP_IMPORT("length_unsafe") uint64_t kp_length_unsafe(kp_handle h);
KP_IMPORT("load_u8") uint8_t kp_load_u8(uint64_t off);
KP_IMPORT("load_u64") uint64_t kp_load_u64(uint64_t off);
KP_IMPORT("store_u8") void kp_store_u8(uint64_t off, uint8_t v);
KP_IMPORT("store_u64") void kp_store_u64(uint64_t off, uint64_t v);
KP_IMPORT("input_offset") kp_handle kp_input_offset(void);
KP_IMPORT("input_length") uint64_t kp_input_length(void);
KP_IMPORT("input_load_u8") uint8_t kp_input_load_u8(uint64_t off);
KP_IMPORT("input_load_u64") uint64_t kp_input_load_u64(uint64_t off);
KP_IMPORT("output_set") void kp_output_set(kp_handle off, uint64_t len);
KP_IMPORT("error_set") void kp_error_set(kp_handle h);
KP_IMPORT("error_get") kp_handle kp_error_get(void);
KP_IMPORT("config_get") kp_handle kp_config_get(kp_handle key);
KP_IMPORT("var_get") kp_handle kp_var_get(kp_handle key);
KP_IMPORT("var_set") void kp_var_set(kp_handle key, kp_handle value);
KP_IMPORT("http_request") kp_handle kp_http_request(kp_handle req, kp_handle body);
KP_IMPORT("http_status_code") int32_t kp_http_status_code(void);
KP_IMPORT("http_headers") kp_handle kp_http_headers(void);
KP_IMPORT("log_trace") void kp_log_trace(kp_handle h);
KP_IMPORT("log_debug") void kp_log_debug(kp_handle h);
KP_IMPORT("log_info") void kp_log_info(kp_handle h);
KP_IMPORT("log_warn") void kp_log_warn(kp_handle h);
KP_IMPORT("log_error") void kp_log_error(kp_handle h);
KP_IMPORT("get_log_level") int32_t kp_get_log_level(void);
KP_IMPORT("memory_bytes") uint64_t kp_memory_bytes(void);
KP_IMPORT("reset") void kp_reset(void);

/* Copy n bytes between linear and kernel memory, 8 at a time. */
static inline void kp_store(kp_handle h, const void *src, uint64_t n)
{
    const uint8_t *s = src;
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        kp_store_u64(h + i, v);
    }
    for (; i < n; i++)
        kp_store_u8(h + i, s[i]);
}

static inline void kp_load(kp_handle h, void *dst, uint64_t n)
{
    uint8_t *d = dst;
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = kp_load_u64(h + i);
        memcpy(d + i, &v, 8);
    }
    for (; i < n; i++)
        d[i] = kp_load_u8(h + i);
}

/* A new kernel block holding bytes (0 when n is 0). */
static inline kp_handle kp_new(const void *bytes, uint64_t n)
{
    kp_handle h = kp_alloc(n);
    if (h)
        kp_store(h, bytes, n);
    return h;
}

static inline kp_handle kp_new_str(const char *s) { return kp_new(s, strlen(s)); }

/* The input, malloc'd (NUL-terminated for convenience); *n its length. */
static inline uint8_t *kp_input(uint64_t *n)
{
    uint64_t len = kp_input_length();
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    uint64_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v = kp_input_load_u64(i);
        memcpy(buf + i, &v, 8);
    }
    for (; i < len; i++)
        buf[i] = kp_input_load_u8(i);
    buf[len] = 0;
    *n = len;
    return buf;
}

static inline void kp_output(const void *bytes, uint64_t n)
{
    kp_handle h = kp_new(bytes, n);
    kp_output_set(h, n);
}

static inline void kp_output_str(const char *s) { kp_output(s, strlen(s)); }

/* Set the call's error; return 1 for the export to return. */
static inline int32_t kp_error(const char *msg)
{
    kp_error_set(kp_new_str(msg));
    return 1;
}

/* A block's bytes, malloc'd and NUL-terminated, or NULL for handle 0. */
static inline char *kp_read(kp_handle h, uint64_t *n)
{
    if (!h)
        return NULL;
    uint64_t len = kp_length(h);
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    kp_load(h, buf, len);
    buf[len] = 0;
    if (n)
        *n = len;
    return buf;
}

static inline char *kp_config(const char *key)
{
    kp_handle k = kp_new_str(key);
    char *v = kp_read(kp_config_get(k), NULL);
    kp_free(k);
    return v;
}

static inline char *kp_var(const char *key, uint64_t *n)
{
    kp_handle k = kp_new_str(key);
    char *v = kp_read(kp_var_get(k), n);
    kp_free(k);
    return v;
}

static inline void kp_var_put(const char *key, const void *value, uint64_t n)
{
    kp_handle k = kp_new_str(key), v = value ? kp_new(value, n) : 0;
    kp_var_set(k, v);
    kp_free(k);
    kp_free(v);
}

/* Decimal text of v into buf (room for 21 bytes); returns buf.  The test
 * plugins avoid stdio so that they import nothing from WASI. */
static inline char *kp_utoa(uint64_t v, char *buf)
{
    char tmp[21];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while (v /= 10);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

/* level: 0 trace .. 4 error, as Extism numbers them. */
static inline void kp_log(int level, const char *msg)
{
    kp_handle h = kp_new_str(msg);
    switch (level) {
    case 0: kp_log_trace(h); break;
    case 1: kp_log_debug(h); break;
    case 2: kp_log_info(h); break;
    case 3: kp_log_warn(h); break;
    default: kp_log_error(h); break;
    }
    kp_free(h);
}

#endif
