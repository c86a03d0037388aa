/*
 * sha2.h — SHA-256 (FIPS 180-4) for the engine, which must not depend on
 * OpenSSL (libkiln links only libc, libm and pthreads).  Used by the
 * compiled-code artifacts (src/jit/artifact.c): the module's digest in the
 * cache key and the checksum over an artifact.  Incremental, so an
 * artifact is hashed as it is written, without a second copy.
 *
 * Named kn_sha2_* because the plugin host has its own kn_sha256 (through
 * libcrypto) and both are linked into the kiln binary.
 */
#ifndef KN_SHA2_H
#define KN_SHA2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KN_SHA2_LEN 32

typedef struct kn_sha2 {
    uint32_t h[8];
    uint64_t len;               /* bytes hashed so far */
    uint8_t buf[64];
    size_t nbuf;
} kn_sha2;

void kn_sha2_init(kn_sha2 *c);
void kn_sha2_update(kn_sha2 *c, const void *data, size_t len);
void kn_sha2_final(kn_sha2 *c, uint8_t out[KN_SHA2_LEN]);
/* src/jit/sha2_x64.c: n 64-byte blocks compressed into h with the CPU's
 * SHA instructions (k: the round constants); false, h untouched, where
 * there are none. */
bool kn_sha2_hw_blocks(uint32_t h[8], const uint8_t *p, size_t n, const uint32_t k[64]);
/* One call: the digest of bytes[0 .. len). */
void kn_sha2_sum(const void *bytes, size_t len, uint8_t out[KN_SHA2_LEN]);

#endif
