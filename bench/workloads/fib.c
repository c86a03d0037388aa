/*
 * fib — call-heavy recursion.
 *
 * Naive doubly-recursive Fibonacci plus the Takeuchi function.  Almost all
 * of the time goes into function calls/returns and a few integer ops, so
 * this measures a runtime's call overhead.
 */
#include <stdint.h>

/* volatile so the native compiler cannot specialise on the argument */
static volatile uint32_t fib_n = 32;
static volatile int32_t tak_x = 22, tak_y = 14, tak_z = 6;

static uint32_t fib(uint32_t n)
{
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

static uint32_t tak_calls;

static int32_t tak(int32_t x, int32_t y, int32_t z)
{
    tak_calls++;
    if (y >= x)
        return z;
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

uint32_t run(void)
{
    uint32_t n = fib_n;
    uint32_t acc = 0;
    for (uint32_t k = n - 3; k <= n; k++)
        acc = acc * 31u + fib(k);
    tak_calls = 0;
    int32_t t = tak(tak_x, tak_y, tak_z);
    acc = acc * 31u + (uint32_t)t;
    acc = acc * 31u + tak_calls;
    return acc;
}
