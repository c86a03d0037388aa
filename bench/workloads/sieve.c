/*
 * sieve — byte-array processing.
 *
 * Sieve of Eratosthenes over a byte array (one byte per odd number), run
 * several times; counts the primes and sums them.  Dominated by strided
 * byte stores and a linear scan: memory-access and loop overhead.
 */
#include <stdint.h>

#define LIMIT 4000000u            /* sieve the numbers below LIMIT */
#define ODDS  (LIMIT / 2)         /* flag[i] stands for 2*i+1 */
#define ROUNDS 9

static uint8_t flag[ODDS];

static uint64_t sieve_once(uint32_t limit, uint32_t *count_out)
{
    uint32_t odds = limit / 2;
    for (uint32_t i = 0; i < odds; i++)
        flag[i] = 1;
    flag[0] = 0;                  /* 1 is not prime */
    for (uint32_t i = 1;; i++) {
        uint32_t p = 2 * i + 1;
        if ((uint64_t)p * p >= limit)
            break;
        if (!flag[i])
            continue;
        for (uint32_t j = (p * p) / 2; j < odds; j += p)
            flag[j] = 0;
    }
    uint32_t count = 1;           /* 2 */
    uint64_t sum = 2;
    for (uint32_t i = 1; i < odds; i++) {
        if (flag[i]) {
            count++;
            sum += 2 * i + 1;
        }
    }
    *count_out = count;
    return sum;
}

uint64_t run(void)
{
    uint64_t acc = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        uint32_t count;
        /* slightly different limit each round so no round can be skipped */
        uint64_t sum = sieve_once(LIMIT - r * 1000u, &count);
        acc = acc * 1000003u + sum;
        acc ^= (uint64_t)count << 40;
    }
    return acc;
}
