/*
 * registry_echo.c — a test plugin for the registry (tests/plugin/
 * test_registry.c).  One binary serves as many versions: `version` answers
 * with the config value "version" (or "echo" without one), so a test can
 * load it as v1, v2, ... and check that each call was answered by the
 * version the registry reported.  `self_test` fails when config "fail" is
 * set, for the refusal of a version that does not pass its self-test.
 *
 * Written against the extism:host/env imports directly (no libc, no WASI),
 * so the binary imports nothing but the kernel.
 */
#include <stdint.h>

#define KERNEL(n) __attribute__((import_module("extism:host/env"), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))

KERNEL("alloc") uint64_t k_alloc(uint64_t n);
KERNEL("length") uint64_t k_length(uint64_t h);
KERNEL("store_u8") void k_store_u8(uint64_t h, uint32_t v);
KERNEL("output_set") void k_output_set(uint64_t h, uint64_t n);
KERNEL("error_set") void k_error_set(uint64_t h);
KERNEL("config_get") uint64_t k_config_get(uint64_t key);

static uint64_t put(const char *s)
{
    uint64_t n = 0;
    while (s[n])
        n++;
    uint64_t h = k_alloc(n);
    for (uint64_t i = 0; i < n; i++)
        k_store_u8(h + i, (uint8_t)s[i]);
    return h;
}

static void output_str(const char *s)
{
    uint64_t h = put(s);
    k_output_set(h, k_length(h));
}

EXPORT("version") int32_t version(void)
{
    uint64_t v = k_config_get(put("version"));
    if (v == 0) {
        output_str("echo");
        return 0;
    }
    k_output_set(v, k_length(v));
    return 0;
}

EXPORT("self_test") int32_t self_test(void)
{
    if (k_config_get(put("fail")) != 0) {
        k_error_set(put("self test failed"));
        return 1;
    }
    return 0;
}
