/*
 * greet.c — an Extism plugin that calls a function of its host: greet
 * passes its input to "extism:host/user" "upper" (text in a kernel block
 * in, a new block out) and returns "Hello, " + the result + "!".  Only an
 * embedder that grants "upper" can load it (examples/embed_plugin.c does);
 * `kiln call` grants no host functions, so it refuses the plugin, naming
 * the import.
 *
 * Build (the committed greet.wasm is this, stripped):
 *   clang-19 --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-all \
 *       -o greet.wasm greet.c
 */
#include "extism.h"

__attribute__((import_module("extism:host/user"), import_name("upper")))
uint64_t host_upper(uint64_t text);

EXPORT(greet)
{
    uint64_t len = extism_input_length();
    char name[64];
    if (len >= sizeof name)
        len = sizeof name - 1;
    for (uint64_t i = 0; i < len; i++)
        name[i] = (char)extism_input_load_u8(i);

    char *upper = from_kernel(host_upper(to_kernel(name, len)));
    char out[80] = "Hello, ";
    strncat(out, upper ? upper : "", sizeof out - strlen(out) - 2);
    strcat(out, "!");
    free(upper);
    extism_output_set(to_kernel(out, strlen(out)), strlen(out));
    return 0;
}
