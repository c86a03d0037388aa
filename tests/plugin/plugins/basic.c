/* basic.c — the test plugin for the kernel and runtime functions: echo,
 * count_vowels, errors, vars, config, logs, traps, limits. */
#include "../pdk/kiln_pdk.h"

KP_EXPORT(noop) { return 0; }

__attribute__((export_name("unit"))) void unit(void) { kp_output_str("unit"); }

KP_EXPORT(echo)
{
    uint64_t n;
    uint8_t *in = kp_input(&n);
    kp_output(in, n);
    free(in);
    return 0;
}

/* Echo without copying into linear memory: the input block is the output. */
KP_EXPORT(echo_zero_copy)
{
    kp_output_set(kp_input_offset(), kp_input_length());
    return 0;
}

KP_EXPORT(count_vowels)
{
    uint64_t n, count = 0;
    uint8_t *in = kp_input(&n);
    for (uint64_t i = 0; i < n; i++)
        count += strchr("aeiouAEIOU", in[i]) && in[i];
    free(in);
    char out[64] = "{\"count\":", num[24];
    strcat(out, kp_utoa(count, num));
    strcat(out, "}");
    kp_output_str(out);
    return 0;
}

KP_EXPORT(fail) { return kp_error("it went wrong"); }
KP_EXPORT(fail_rc) { return 7; }
/* error set, but 0 returned: still an error, as in Extism */
KP_EXPORT(fail_zero)
{
    kp_error("error with rc 0");
    return 0;
}

KP_EXPORT(count_calls)
{
    uint64_t n = 0;
    char *v = kp_var("count", &n);
    uint32_t c = 0;
    if (v && n == 4)
        memcpy(&c, v, 4);
    free(v);
    c++;
    kp_var_put("count", &c, 4);
    char out[24];
    kp_output_str(kp_utoa(c, out));
    return 0;
}

/* input "KEY=VALUE" sets, "KEY" reads, "-KEY" removes */
KP_EXPORT(var)
{
    uint64_t n;
    char *in = (char *)kp_input(&n);
    char *eq = strchr(in, '=');
    if (in[0] == '-') {
        kp_var_put(in + 1, NULL, 0);
    } else if (eq) {
        *eq = 0;
        kp_var_put(in, eq + 1, strlen(eq + 1));
    } else {
        char *v = kp_var(in, &n);
        if (!v)
            return kp_error("unset");
        kp_output(v, n);
    }
    return 0;
}

KP_EXPORT(config)
{
    uint64_t n;
    char *in = (char *)kp_input(&n);
    char *v = kp_config(in);
    if (!v)
        return kp_error("no such config");
    kp_output_str(v);
    return 0;
}

KP_EXPORT(logs)
{
    kp_log(0, "trace line");
    kp_log(1, "debug line");
    kp_log(2, "info line");
    kp_log(3, "warn line");
    kp_log(4, "error line");
    char out[24];
    kp_output_str(kp_utoa((uint64_t)kp_get_log_level(), out));
    return 0;
}

KP_EXPORT(trap) { __builtin_trap(); }

KP_EXPORT(loop)
{
    volatile uint64_t i = 0;
    for (;;)
        i++;
    return 0;
}

/* Grow linear memory one page at a time until it fails; output the pages. */
KP_EXPORT(grow)
{
    uint64_t pages = __builtin_wasm_memory_size(0);
    while (__builtin_wasm_memory_grow(0, 1) != (size_t)-1)
        pages++;
    char out[24];
    kp_output_str(kp_utoa(pages, out));
    return 0;
}

/* Allocate 4 KiB kernel blocks until alloc returns 0 (the cap). */
KP_EXPORT(kernel_fill)
{
    uint64_t n = 0;
    while (kp_alloc(4096))
        n++;
    return n ? kp_error("kernel memory full") : 0;
}

/* Kernel functions: alloc, length, free, store/load, length_unsafe,
 * memory_bytes, error_get, reset. */
KP_EXPORT(kernel)
{
    kp_handle a = kp_alloc(10), b = kp_alloc(3);
    if (!a || !b || a == b)
        return kp_error("alloc");
    if (kp_length(a) != 10 || kp_length(b) != 3 || kp_length(a + 1) != 0 || kp_length(0) != 0)
        return kp_error("length");
    if (kp_length_unsafe(a) != 10)
        return kp_error("length_unsafe");
    kp_store_u64(a, 0x0102030405060708ull);
    kp_store_u8(a + 8, 0xAB);
    if (kp_load_u64(a) != 0x0102030405060708ull || kp_load_u8(a + 8) != 0xAB ||
        kp_load_u8(a) != 0x08)
        return kp_error("load/store");
    if (kp_alloc(0) != 0)
        return kp_error("alloc(0)");
    if (kp_memory_bytes() == 0)
        return kp_error("memory_bytes");
    kp_free(a);
    if (kp_length(a) != 0)
        return kp_error("free");
    kp_free(12345678); /* not a block: nothing happens */
    if (kp_error_get() != 0)
        return kp_error("error_get before set");
    kp_handle e = kp_new_str("x");
    kp_error_set(e);
    if (kp_error_get() != e)
        return kp_error("error_get");
    kp_error_set(0);
    uint64_t n = kp_input_length();
    if (n >= 8 && kp_input_load_u64(0) != kp_load_u64(kp_input_offset()))
        return kp_error("input_load_u64");
    if (n >= 1 && kp_input_load_u8(n - 1) != kp_load_u8(kp_input_offset() + n - 1))
        return kp_error("input_load_u8");
    kp_reset();
    if (kp_length(b) != 0)
        return kp_error("reset");
    kp_output_str("kernel ok");
    return 0;
}

/* Reads kernel memory far outside the arena: must trap, not crash. */
KP_EXPORT(kernel_oob)
{
    return (int32_t)kp_load_u64(1ull << 60);
}

KP_EXPORT(input_oob)
{
    return (int32_t)kp_input_load_u8(kp_input_length());
}

/* Concurrent calls must never share an instance: the input goes into a
 * static buffer of linear memory, the guest spins a while, then outputs the
 * buffer; a call running at the same time in the same instance would have
 * overwritten it. */
static char shared[64];
KP_EXPORT(isolation)
{
    uint64_t n;
    char *in = (char *)kp_input(&n);
    memset(shared, 0, sizeof shared);
    strncpy(shared, in, sizeof shared - 1);
    for (volatile int i = 0; i < 20000; i++)
        ;
    kp_output_str(shared);
    free(in);
    return 0;
}
