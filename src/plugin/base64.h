/*
 * base64.h — the standard base64 alphabet (RFC 4648 section 4), decoded as
 * strictly as Extism's manifest does (the Rust base64 crate's STANDARD
 * engine): the length is a multiple of 4, padding is present and only at
 * the end, the unused bits of the last symbol are zero, and nothing else
 * (no whitespace, no URL-safe alphabet) is accepted.  So a module's data
 * that Extism refuses, kiln refuses too.
 */
#ifndef KN_PLUGIN_BASE64_H
#define KN_PLUGIN_BASE64_H

#include <stddef.h>
#include <stdint.h>

typedef enum kn_b64_status { KN_B64_OK = 0, KN_B64_INVALID, KN_B64_NOMEM } kn_b64_status;

/* Decode the n characters at s into a new malloc'd buffer (*out, *outlen;
 * at least one byte is allocated, so *out is never NULL on success).  On
 * KN_B64_INVALID, *bad is the offset of the first offending character (n
 * when the length is wrong).  Outputs are untouched on failure. */
kn_b64_status kn_base64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen,
                               size_t *bad);

#endif
