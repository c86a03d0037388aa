/*
 * extism.h — the few imports of Extism's kernel ("extism:host/env") that
 * the example plugins use, and two helpers over them.  A plugin built
 * against this runs on kiln and on Extism alike.  Everything the kernel
 * holds (input, output, config, vars, log lines) lives in kernel memory,
 * outside the plugin's linear memory, and is named by an i64 handle.
 */
#ifndef EXAMPLE_EXTISM_H
#define EXAMPLE_EXTISM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(#name))) int32_t name(void)

IMPORT("alloc") uint64_t extism_alloc(uint64_t len);
IMPORT("length") uint64_t extism_length(uint64_t handle);
IMPORT("load_u8") uint8_t extism_load_u8(uint64_t offset);
IMPORT("store_u8") void extism_store_u8(uint64_t offset, uint8_t byte);
IMPORT("input_length") uint64_t extism_input_length(void);
IMPORT("input_load_u8") uint8_t extism_input_load_u8(uint64_t offset);
IMPORT("output_set") void extism_output_set(uint64_t handle, uint64_t len);
IMPORT("error_set") void extism_error_set(uint64_t handle);
IMPORT("config_get") uint64_t extism_config_get(uint64_t key);
IMPORT("var_get") uint64_t extism_var_get(uint64_t key);
IMPORT("var_set") void extism_var_set(uint64_t key, uint64_t value);
IMPORT("log_info") void extism_log_info(uint64_t handle);

/* A kernel block holding a copy of len bytes (byte by byte: short texts). */
static inline uint64_t to_kernel(const void *bytes, uint64_t len)
{
    uint64_t h = extism_alloc(len);
    for (uint64_t i = 0; i < len; i++)
        extism_store_u8(h + i, ((const uint8_t *)bytes)[i]);
    return h;
}

/* A malloc'd, NUL-terminated copy of a kernel block (NULL for handle 0). */
static inline char *from_kernel(uint64_t h)
{
    if (!h)
        return NULL;
    uint64_t len = extism_length(h);
    char *s = malloc(len + 1);
    for (uint64_t i = 0; s && i < len; i++)
        s[i] = (char)extism_load_u8(h + i);
    if (s)
        s[len] = 0;
    return s;
}

#endif
