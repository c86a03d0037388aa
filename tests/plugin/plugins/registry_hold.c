/*
 * registry_hold.c — a second test plugin for the registry: `version`
 * answers "hold"; `hold` calls the embedder's host function "hold"
 * (extism:host/user, () -> ()), which the test blocks until it lets the
 * call finish, so a call can be kept in flight while its version is
 * replaced and unloaded.  `self_test` always passes.
 */
#include <stdint.h>

#define KERNEL(n) __attribute__((import_module("extism:host/env"), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))

KERNEL("alloc") uint64_t k_alloc(uint64_t n);
KERNEL("store_u8") void k_store_u8(uint64_t h, uint32_t v);
KERNEL("output_set") void k_output_set(uint64_t h, uint64_t n);
__attribute__((import_module("extism:host/user"), import_name("hold"))) void host_hold(void);

static void output_str(const char *s, uint64_t n)
{
    uint64_t h = k_alloc(n);
    for (uint64_t i = 0; i < n; i++)
        k_store_u8(h + i, (uint8_t)s[i]);
    k_output_set(h, n);
}

EXPORT("version") int32_t version(void)
{
    output_str("hold", 4);
    return 0;
}

EXPORT("hold") int32_t hold(void)
{
    host_hold();
    output_str("held", 4);
    return 0;
}

EXPORT("self_test") int32_t self_test(void)
{
    return 0;
}
