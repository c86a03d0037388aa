/*
 * sha256.c — the one-shot EVP digest of sha256.h, from OpenSSL's libcrypto
 * loaded on first use: linking it would cost every start-up of a program
 * that links the plugin host (the kiln command among them) about 2 ms of
 * loading and relocation, for a digest only a plugin's load asks for.
 *
 * pthread_once makes the load happen exactly once per process; the two
 * function pointers are written once inside it and read-only afterwards
 * (process setup of a dependency, as curl_dl.c's table).  EVP_Digest
 * allocates a context internally, so it can fail; callers turn that, and
 * a libcrypto that cannot be loaded, into an out-of-memory error.
 */
#include "sha256.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <pthread.h>

/* The soname of OpenSSL 3 (Debian's libssl3 package). */
#define KN_CRYPTO_SONAME "libcrypto.so.3"

typedef int (*kn_evp_digest_fn)(const void *, size_t, unsigned char *, unsigned int *,
                                const EVP_MD *, ENGINE *);
typedef const EVP_MD *(*kn_evp_md_fn)(void);

static pthread_once_t kn_crypto_once = PTHREAD_ONCE_INIT;
static kn_evp_digest_fn kn_evp_digest;
static kn_evp_md_fn kn_evp_sha256;

static void kn_crypto_load(void)
{
    void *h = dlopen(KN_CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return;
    void *digest = dlsym(h, "EVP_Digest"), *sha256 = dlsym(h, "EVP_sha256");
    if (!digest || !sha256)
        return;
    /* object to function pointer: what POSIX requires dlsym's result to
     * allow (XSH dlsym, "Application Usage") */
    *(void **)&kn_evp_sha256 = sha256;
    *(void **)&kn_evp_digest = digest;
}

bool kn_sha256(const void *bytes, size_t len, uint8_t out[KN_SHA256_LEN])
{
    static const uint8_t none;
    unsigned int n = 0;
    if (pthread_once(&kn_crypto_once, kn_crypto_load) != 0 || !kn_evp_digest)
        return false;
    return kn_evp_digest(len ? bytes : &none, len, out, &n, kn_evp_sha256(), NULL) == 1 &&
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
