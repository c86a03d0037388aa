/*
 * count_vowels.c — an Extism plugin: counts the vowels of its input.
 *
 * Reads the config key "vowels" (default "aeiouAEIOU"), keeps a running
 * total of the vowels it has counted in the var "total" (vars outlive a
 * call), logs one line at info level and returns JSON:
 *
 *   {"count": 3, "total": 3, "vowels": "aeiouAEIOU"}
 *
 * Empty input is an error the plugin reports itself (error_set).
 *
 * Build (the committed count_vowels.wasm is this, stripped):
 *   clang-19 --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all \
 *       -o count_vowels.wasm count_vowels.c
 */
#include "extism.h"

static uint64_t key(const char *name) { return to_kernel(name, strlen(name)); }

/* Append text to buf at *at (no stdio: it would import WASI, which a
 * plugin gets only when granted). */
static void put(char *buf, size_t size, size_t *at, const char *text)
{
    while (*text && *at + 1 < size)
        buf[(*at)++] = *text++;
    buf[*at] = 0;
}

static void put_num(char *buf, size_t size, size_t *at, unsigned long long v)
{
    char digits[24], *d = digits + sizeof digits - 1;
    *d = 0;
    do
        *--d = (char)('0' + v % 10);
    while (v /= 10);
    put(buf, size, at, d);
}

EXPORT(count_vowels)
{
    uint64_t len = extism_input_length();
    if (len == 0) {
        const char *msg = "count_vowels: no input";
        extism_error_set(to_kernel(msg, strlen(msg)));
        return 1;
    }
    char *vowels = from_kernel(extism_config_get(key("vowels")));
    const char *set = vowels ? vowels : "aeiouAEIOU";

    unsigned long long count = 0;
    for (uint64_t i = 0; i < len; i++) {
        char c = (char)extism_input_load_u8(i);
        count += c && strchr(set, c);
    }

    char *stored = from_kernel(extism_var_get(key("total")));
    unsigned long long total = (stored ? strtoul(stored, NULL, 10) : 0) + count;
    free(stored);
    char text[256];
    size_t n = 0;
    put_num(text, sizeof text, &n, total);
    extism_var_set(key("total"), to_kernel(text, n));

    n = 0;
    put(text, sizeof text, &n, "counted ");
    put_num(text, sizeof text, &n, count);
    put(text, sizeof text, &n, " vowels in ");
    put_num(text, sizeof text, &n, len);
    put(text, sizeof text, &n, " bytes");
    extism_log_info(to_kernel(text, n));

    n = 0;
    put(text, sizeof text, &n, "{\"count\": ");
    put_num(text, sizeof text, &n, count);
    put(text, sizeof text, &n, ", \"total\": ");
    put_num(text, sizeof text, &n, total);
    put(text, sizeof text, &n, ", \"vowels\": \"");
    put(text, sizeof text, &n, set);
    put(text, sizeof text, &n, "\"}");
    extism_output_set(to_kernel(text, n), n);
    free(vowels);
    return 0;
}
