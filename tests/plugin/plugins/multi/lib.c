/* lib.c — the library module of a two-module plugin: main.c imports
 * triple from it by the module name "lib". */
#include <stdint.h>

__attribute__((export_name("triple"))) int32_t triple(int32_t x) { return 3 * x; }
