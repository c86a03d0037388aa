/*
 * bench_plugin.c — the Extism plugin the plugin benchmark calls, on kiln
 * and on node's @extism/extism alike (bench/plugin/run.sh builds it with
 * clang-19 --target=wasm32, no libc).
 *
 * It talks to the kernel the way the PDKs do (the C and Rust PDKs copy
 * the input into linear memory 8 bytes at a time with input_load_u64 and
 * copy output back with store_u64 into a block from alloc), so the
 * numbers include the host-call traffic a real plugin makes:
 *   empty         returns 0, touches nothing: the fixed cost of a call
 *   count_vowels  counts the vowels of its input, outputs {"count":N}
 *   echo          outputs its input unchanged (the 1 KiB and 1 MiB rows)
 */
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("input_length") uint64_t input_length(void);
IMPORT("input_load_u8") uint32_t input_load_u8(uint64_t offs);
IMPORT("input_load_u64") uint64_t input_load_u64(uint64_t offs);
IMPORT("alloc") uint64_t kalloc(uint64_t len);
IMPORT("store_u8") void store_u8(uint64_t offs, uint32_t v);
IMPORT("store_u64") void store_u64(uint64_t offs, uint64_t v);
IMPORT("output_set") void output_set(uint64_t offs, uint64_t len);

extern unsigned char __heap_base;

/* The input, copied into linear memory (grown as needed: 1 MiB inputs). */
static unsigned char *load_input(uint64_t n)
{
    unsigned char *buf = &__heap_base;
    uint64_t need = (uint64_t)(uintptr_t)buf + n;
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
    if (need > have &&
        __builtin_wasm_memory_grow(0, (unsigned long)((need - have + 65535) >> 16)) == (unsigned long)-1)
        return 0;
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = input_load_u64(i);
        __builtin_memcpy(buf + i, &v, 8);
    }
    for (; i < n; i++)
        buf[i] = (unsigned char)input_load_u8(i);
    return buf;
}

static void output(const unsigned char *p, uint64_t n)
{
    uint64_t h = kalloc(n), i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        __builtin_memcpy(&v, p + i, 8);
        store_u64(h + i, v);
    }
    for (; i < n; i++)
        store_u8(h + i, p[i]);
    output_set(h, n);
}

EXPORT("empty") int32_t empty(void) { return 0; }

EXPORT("count_vowels") int32_t count_vowels(void)
{
    uint64_t n = input_length();
    unsigned char *in = load_input(n);
    if (!in)
        return 1;
    uint64_t count = 0;
    for (uint64_t i = 0; i < n; i++)
        switch (in[i] | 0x20) {
        case 'a': case 'e': case 'i': case 'o': case 'u': count++;
        }
    unsigned char out[40] = "{\"count\":", digits[21];
    int len = 9, d = 0;
    do
        digits[d++] = (unsigned char)('0' + count % 10);
    while ((count /= 10));
    while (d)
        out[len++] = digits[--d];
    out[len++] = '}';
    output(out, (uint64_t)len);
    return 0;
}

EXPORT("echo") int32_t echo(void)
{
    uint64_t n = input_length();
    unsigned char *in = load_input(n);
    if (!in)
        return 1;
    output(in, n);
    return 0;
}
