/*
 * startup.c — a do-nothing module: run() returns a constant at once.  Its
 * row in the table is each runner's fixed cost (process start, module
 * load/compile, instantiation); it is left out of the geometric means.
 */
#include <stdint.h>

uint32_t run(void)
{
    return 42;
}
