/*
 * base64.c — the strict decoder of base64.h.  Four characters make three
 * bytes; the last quantum may end in "=" or "==", and then the bits the
 * padding leaves over must be zero (canonical encoding), as Extism
 * requires.  A table maps each byte to its 6-bit value or to -1.
 */
#include "base64.h"

#include <stdlib.h>

static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* How many '=' end s (0..2), or -1 if the padding is malformed. */
static int padding(const char *s, size_t n)
{
    if (n == 0 || s[n - 1] != '=')
        return 0;
    if (s[n - 2] != '=')
        return 1;
    return s[n - 3] == '=' ? -1 : 2;
}

kn_b64_status kn_base64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen,
                               size_t *bad)
{
    if (n % 4) {
        *bad = n;
        return KN_B64_INVALID;
    }
    int pad = padding(s, n);
    if (pad < 0) {
        *bad = n - 3;
        return KN_B64_INVALID;
    }
    size_t len = n / 4 * 3 - (size_t)pad, body = n - (size_t)pad;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return KN_B64_NOMEM;
    uint32_t acc = 0;
    size_t o = 0;
    for (size_t i = 0; i < body; i++) {
        int v = sextet((unsigned char)s[i]);
        if (v < 0) {
            free(buf);
            *bad = i;
            return KN_B64_INVALID;
        }
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            buf[o++] = (uint8_t)(acc >> 16);
            buf[o++] = (uint8_t)(acc >> 8);
            buf[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    /* The last quantum: 2 characters (12 bits, 4 unused) make one byte, 3
     * characters (18 bits, 2 unused) make two. */
    if (pad == 2) {
        if (acc & 0xf) {
            free(buf);
            *bad = body - 1;
            return KN_B64_INVALID;
        }
        buf[o++] = (uint8_t)(acc >> 4);
    } else if (pad == 1) {
        if (acc & 0x3) {
            free(buf);
            *bad = body - 1;
            return KN_B64_INVALID;
        }
        buf[o++] = (uint8_t)(acc >> 10);
        buf[o++] = (uint8_t)(acc >> 2);
    }
    *out = buf;
    *outlen = o;
    return KN_B64_OK;
}
