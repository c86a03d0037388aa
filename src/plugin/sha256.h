/*
 * sha256.h — SHA-256 through OpenSSL's libcrypto (EVP, loaded on first
 * use), and its lowercase hex form, the one Extism's manifest "hash"
 * field uses and compares byte for byte.
 */
#ifndef KN_PLUGIN_SHA256_H
#define KN_PLUGIN_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KN_SHA256_LEN 32
#define KN_SHA256_HEX_LEN 64

/* false only if libcrypto could not be loaded or run the digest (out of
 * memory). */
bool kn_sha256(const void *bytes, size_t len, uint8_t out[KN_SHA256_LEN]);
/* 64 lowercase hex digits and a NUL. */
void kn_sha256_hex(const uint8_t digest[KN_SHA256_LEN], char out[KN_SHA256_HEX_LEN + 1]);

#endif
