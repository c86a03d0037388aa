/*
 * dot — integer dot products: an int16 FIR filter and an int8 neural layer.
 *
 * 1. A 32-tap int16 FIR low-pass filter (Q15 coefficients, rounded,
 *    saturated back to int16) run over a 32 Ki-sample signal, the output
 *    fed back as the next pass's input: each output sample is a 32-element
 *    int16 x int16 -> int32 dot product.
 * 2. A small quantised dense network: 256x256 int8 weight matrices,
 *    int8 activations, int32 accumulators, a per-row bias, a requantising
 *    shift and a ReLU clamp back to int8, for several layers and inputs:
 *    matrix-vector products of int8 x int8 -> int32 dot products.
 *
 * Everything is integer arithmetic, so the result is exact whatever order
 * the sums are done in (the vectorised reductions reorder them), and no sum can overflow int32
 * (the FIR coefficients' magnitudes add up to 26350 < 2^15, so a FIR sum
 * stays below 2^30; a layer sum stays below 256 * 128 * 128 = 2^22).  Plain C;
 * clang auto-vectorises the inner loops under -msimd128 (widening
 * multiplies, i32x4/i64x2 adds, min/max clamps).
 */
#include <stdint.h>

#define TAPS     32
#define NSAMP    (32 * 1024)
#define PASSES   24
#define N        256              /* layer width */
#define LAYERS   6
#define INPUTS   128

static int16_t sig[NSAMP + TAPS];
static int16_t filt[NSAMP + TAPS];
static int16_t coef[TAPS];

static int8_t weight[LAYERS][N][N];
static int32_t bias[LAYERS][N];
static int8_t act[2][N];

static uint32_t rng;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* ---- FIR ------------------------------------------------------------------ */

static int32_t dot16(const int16_t *restrict a, const int16_t *restrict b)
{
    int32_t s = 0;
    for (uint32_t k = 0; k < TAPS; k++)
        s += (int32_t)a[k] * b[k];   /* |s| < 26350 * 32768 < 2^30 */
    return s;
}

static uint64_t fir_pass(void)
{
    uint64_t h = 0;
    for (uint32_t n = 0; n < NSAMP; n++) {
        int32_t s = (dot16(&sig[n], coef) + (1 << 14)) >> 15;
        s = s > 32767 ? 32767 : s;
        s = s < -32768 ? -32768 : s;
        filt[n] = (int16_t)s;
    }
    /* next input: the filtered signal plus a little fresh noise */
    for (uint32_t n = 0; n < NSAMP; n++) {
        h = h * 31 + (uint16_t)filt[n];
        sig[n] = (int16_t)(filt[n] ^ (int16_t)(next_rand() & 0x3FF));
    }
    return h;
}

/* ---- quantised dense layers ---------------------------------------------- */

static int32_t dot8(const int8_t *restrict a, const int8_t *restrict b)
{
    int32_t s = 0;
    for (uint32_t k = 0; k < N; k++)
        s += (int32_t)a[k] * b[k];
    return s;
}

static uint32_t network(uint32_t input)
{
    for (uint32_t i = 0; i < N; i++)
        act[0][i] = (int8_t)((int32_t)(next_rand() % 255) - 127);
    act[0][input & (N - 1)] = 127;
    uint32_t h = 0;
    for (uint32_t l = 0; l < LAYERS; l++) {
        const int8_t *x = act[l & 1];
        int8_t *y = act[(l + 1) & 1];
        for (uint32_t o = 0; o < N; o++) {
            int32_t s = (dot8(weight[l][o], x) + bias[l][o]) >> 7;
            s = s < 0 ? 0 : s;            /* ReLU */
            s = s > 127 ? 127 : s;
            y[o] = (int8_t)s;
            h = h * 0x01000193u + (uint32_t)s;
        }
    }
    return h;
}

uint64_t run(void)
{
    rng = 0x2545f491u;
    /* Q15 coefficients of a symmetric low-pass (made-up window); their
     * magnitudes add up to 26350, so a 32-tap sum fits easily in int32 */
    static const int16_t proto[TAPS / 2] = {-31, -48, -52, -29, 36, 143, 276,
                                            400, 455, 379, 125, -311, -860, 1630,
                                            3500, 4900};
    for (uint32_t k = 0; k < TAPS / 2; k++)
        coef[k] = coef[TAPS - 1 - k] = proto[k];
    for (uint32_t n = 0; n < NSAMP + TAPS; n++)
        sig[n] = (int16_t)(next_rand() >> 16);
    for (uint32_t l = 0; l < LAYERS; l++)
        for (uint32_t o = 0; o < N; o++) {
            for (uint32_t i = 0; i < N; i++)
                weight[l][o][i] = (int8_t)(next_rand() >> 24);
            bias[l][o] = (int32_t)(next_rand() % 4096) - 1024;
        }

    uint64_t acc = 0;
    for (uint32_t p = 0; p < PASSES; p++)
        acc = acc * 0x100000001b3ull + fir_pass();
    for (uint32_t i = 0; i < INPUTS; i++)
        acc = (acc ^ network(i)) * 0x9e3779b97f4a7c15ull;
    return acc;
}
