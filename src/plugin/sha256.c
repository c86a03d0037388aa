/*
 * sha256.c — the one-shot EVP digest of sha256.h.  EVP_Digest allocates a
 * context internally, so it can fail; callers turn that into an
 * out-of-memory error.
 */
#include "sha256.h"

#include <openssl/evp.h>

bool kn_sha256(const void *bytes, size_t len, uint8_t out[KN_SHA256_LEN])
{
    static const uint8_t none;
    unsigned int n = 0;
    return EVP_Digest(len ? bytes : &none, len, out, &n, EVP_sha256(), NULL) == 1 &&
           n == KN_SHA256_LEN;
}

void kn_sha256_hex(const uint8_t digest[KN_SHA256_LEN], char out[KN_SHA256_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < KN_SHA256_LEN; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }
    out[KN_SHA256_HEX_LEN] = 0;
}
