/*
 * blur — separable Gaussian blur and unsharp mask over an RGBA8 image.
 *
 * A 384x256 RGBA image (one byte per channel) made of gradients, stripes
 * and noise is repeatedly blurred with the 5-tap binomial kernel
 * 1 4 6 4 1 / 16 (horizontal pass into a 16-bit buffer, vertical pass back
 * to bytes, edges clamped), then sharpened with an unsharp mask
 * (img + (img - blur) / 2, clamped to 0..255) so that it never converges to
 * a flat image.  Every channel is independent, so all of it is
 * element-wise integer arithmetic on long rows: u8 -> u16 widening,
 * multiply-adds by small constants, shifts, min/max clamps and narrowing.
 * Plain C; clang auto-vectorises the row loops under -msimd128.
 */
#include <stdint.h>

#define W      384                /* pixels per row */
#define H      256                /* rows */
#define ROW    (W * 4)            /* bytes per row (RGBA) */
#define ROUNDS 24

static uint8_t img[H][ROW];
static uint8_t out[H][ROW];
static uint16_t tmp[H][ROW];      /* horizontal pass, 16x the value (max 4080) */

static uint32_t rng;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void make_image(void)
{
    rng = 0x9e3779b9u;
    for (uint32_t y = 0; y < H; y++) {
        for (uint32_t x = 0; x < W; x++) {
            uint32_t r = next_rand();
            uint8_t *p = &img[y][4 * x];
            p[0] = (uint8_t)(x * 255 / (W - 1));               /* gradient */
            p[1] = (uint8_t)(((x / 8 + y / 8) & 1) ? 220 : 30); /* checkerboard */
            p[2] = (uint8_t)(r & 0xFF);                         /* noise */
            p[3] = (uint8_t)(((y * 7 + x * 3) & 63) * 4 + (r >> 30)); /* stripes */
        }
    }
}

/* horizontal 1 4 6 4 1 over one row; neighbours are 4 bytes apart */
static void blur_row(uint16_t *restrict d, const uint8_t *restrict s)
{
    /* the first and last two pixels: clamp the neighbours at the edge */
    for (uint32_t i = 0; i < 8; i++) {
        uint32_t c = i & 3, x = i >> 2;
        uint32_t xm2 = x >= 2 ? x - 2 : 0, xm1 = x >= 1 ? x - 1 : 0;
        d[i] = (uint16_t)(s[4 * xm2 + c] + 4 * s[4 * xm1 + c] + 6 * s[i] +
                          4 * s[i + 4] + s[i + 8]);
        uint32_t j = ROW - 1 - i;
        c = j & 3, x = j >> 2;
        uint32_t xp2 = x + 2 < W ? x + 2 : W - 1, xp1 = x + 1 < W ? x + 1 : W - 1;
        d[j] = (uint16_t)(s[j - 8] + 4 * s[j - 4] + 6 * s[j] +
                          4 * s[4 * xp1 + c] + s[4 * xp2 + c]);
    }
    for (uint32_t i = 8; i < ROW - 8; i++)
        d[i] = (uint16_t)(s[i - 8] + 4 * s[i - 4] + 6 * s[i] + 4 * s[i + 4] + s[i + 8]);
}

/* vertical 1 4 6 4 1 over five rows of the horizontal result, /256 rounded;
 * the sum is at most 16 * 4080 + 128 = 65408, so 16 bits are enough */
static void blur_col(uint8_t *restrict d, const uint16_t *restrict a,
                     const uint16_t *restrict b, const uint16_t *restrict c,
                     const uint16_t *restrict e, const uint16_t *restrict f)
{
    for (uint32_t i = 0; i < ROW; i++) {
        uint16_t t = (uint16_t)(a[i] + 4 * b[i] + 6 * c[i] + 4 * e[i] + f[i] + 128);
        d[i] = (uint8_t)(t >> 8);
    }
}

static void blur(void)
{
    for (uint32_t y = 0; y < H; y++)
        blur_row(tmp[y], img[y]);
    for (uint32_t y = 0; y < H; y++) {
        uint32_t ym2 = y >= 2 ? y - 2 : 0, ym1 = y >= 1 ? y - 1 : 0;
        uint32_t yp1 = y + 1 < H ? y + 1 : H - 1, yp2 = y + 2 < H ? y + 2 : H - 1;
        blur_col(out[y], tmp[ym2], tmp[ym1], tmp[y], tmp[yp1], tmp[yp2]);
    }
}

/* img = clamp(img + (img - out) / 2, 0, 255), in unsigned 16-bit
 * arithmetic offset by 128: t = (3 img - out + 256) / 2 lies in 0..510 and
 * is img + (img - out) / 2 + 128 */
static void sharpen(void)
{
    for (uint32_t y = 0; y < H; y++) {
        uint8_t *restrict p = img[y];
        const uint8_t *restrict q = out[y];
        for (uint32_t i = 0; i < ROW; i++) {
            uint16_t t = (uint16_t)((uint16_t)(3 * p[i] + 256 - q[i]) >> 1);
            t = t < 128 ? 128 : t;
            t = t > 383 ? 383 : t;
            p[i] = (uint8_t)(t - 128);
        }
    }
}

/* position-weighted sum of every byte (wrapping, so order does not matter) */
static uint32_t image_sum(const uint8_t (*m)[ROW], uint32_t salt)
{
    uint32_t s = 0;
    for (uint32_t y = 0; y < H; y++) {
        uint32_t k = y * 2654435761u + salt;
        for (uint32_t i = 0; i < ROW; i++)
            s += (uint32_t)m[y][i] * (k + i);
    }
    return s;
}

uint64_t run(void)
{
    make_image();
    uint64_t acc = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        blur();
        sharpen();
        acc = acc * 0x100000001b3ull + image_sum((const uint8_t (*)[ROW])out, r);
        acc ^= (uint64_t)image_sum((const uint8_t (*)[ROW])img, ~r) << 21;
    }
    return acc;
}
