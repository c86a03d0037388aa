/*
 * random.c — random_get through getentropy, arc4random_buf and
 * __wasi_random_get: draws are not all zero, two draws differ, 64 KiB
 * contains every byte value (a broken or constant source would not), a
 * zero-length request succeeds, and getentropy refuses more than 256
 * bytes (EIO, libc's own rule).
 */
#include <stdint.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

static int nonzero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 1;
    return 0;
}

int main(void)
{
    CHECK_INIT();
    unsigned char a[256], b[256];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK_INT(getentropy(a, sizeof a), 0, "getentropy 256 bytes");
    CHECK_INT(getentropy(b, sizeof b), 0, "getentropy 256 more");
    CHECK(nonzero(a, sizeof a), "the bytes are not all zero");
    CHECK(memcmp(a, b, sizeof a) != 0, "two draws differ");
    CHECK_ERR(getentropy(a, 257), EIO, "getentropy of 257 bytes: EIO");

    unsigned char c[1000] = {0}, d[1000] = {0};
    arc4random_buf(c, sizeof c);
    arc4random_buf(d, sizeof d);
    CHECK(nonzero(c, sizeof c) && memcmp(c, d, sizeof c) != 0, "arc4random_buf: nonzero, two draws differ");
    uint32_t r1 = arc4random(), r2 = arc4random(), r3 = arc4random();
    CHECK(!(r1 == r2 && r2 == r3), "three arc4random() values are not all equal");

    static unsigned char big[65536];
    CHECK_WASI(__wasi_random_get(big, sizeof big), 0, "__wasi_random_get 64 KiB");
    int count[256] = {0};
    for (size_t i = 0; i < sizeof big; i++)
        count[big[i]]++;
    int missing = 0, most = 0;
    for (int i = 0; i < 256; i++) {
        missing += count[i] == 0;
        if (count[i] > most)
            most = count[i];
    }
    CHECK_INT(missing, 0, "every byte value occurs in 64 KiB");
    CHECK(most < 400, "no byte value occurs more than 400 times (expected about 256)");
    CHECK_WASI(__wasi_random_get(big, 0), 0, "__wasi_random_get of 0 bytes");
    CHECK_DONE();
}
