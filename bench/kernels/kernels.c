/*
 * kernels.c - benchmark kernels; see kernels.h.
 *
 * Freestanding C: no libc, no builtins that would become imports, only
 * unsigned (wrapping) arithmetic for checksums so native and wasm builds
 * compute bit-identical results. Input buffers are filled once, on first
 * use, from a fixed-seed LCG and never written afterwards.
 */
#include "kernels.h"

#include "bench_common.h"

#define CRC_BUF_BYTES 4096
#define MAT_N 16
#define FILTER_SAMPLES 1024
#define Q14(x) ((int32_t)((x)*16384.0 + ((x) < 0 ? -0.5 : 0.5)))

static uint8_t crc_buf[CRC_BUF_BYTES];
static uint32_t crc_table[256];
static uint32_t mat_a[MAT_N][MAT_N];
static uint32_t mat_b[MAT_N][MAT_N];
static int16_t samples[FILTER_SAMPLES];
static int ready;

static void fill_inputs(void)
{
    uint32_t seed = 0x2545F491u;
    for (uint32_t i = 0; i < 256u; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++) {
            c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
    for (int i = 0; i < CRC_BUF_BYTES; i++) {
        crc_buf[i] = (uint8_t)(lcg_next(&seed) >> 24);
    }
    for (int r = 0; r < MAT_N; r++) {
        for (int c = 0; c < MAT_N; c++) {
            mat_a[r][c] = lcg_next(&seed) >> 20;
            mat_b[r][c] = lcg_next(&seed) >> 20;
        }
    }
    /* A sawtooth plus noise, within +-12000 so the filter never saturates. */
    for (int i = 0; i < FILTER_SAMPLES; i++) {
        int32_t noise = (int32_t)(lcg_next(&seed) >> 21) - 1024;
        samples[i] = (int16_t)((i % 64) * 160 - 5120 + noise);
    }
    ready = 1;
}

static void ensure_inputs(void)
{
    if (!ready) {
        fill_inputs();
    }
}

KERNEL_EXPORT(bench_crc32)
int32_t bench_crc32(int32_t iters)
{
    ensure_inputs();
    uint32_t crc = 0xFFFFFFFFu;
    for (int32_t it = 0; it < iters; it++) {
        for (int i = 0; i < CRC_BUF_BYTES; i++) {
            crc = crc_table[(crc ^ crc_buf[i]) & 0xFFu] ^ (crc >> 8);
        }
    }
    return (int32_t)~crc;
}

static void matmul(uint32_t out[MAT_N][MAT_N], uint32_t a[MAT_N][MAT_N])
{
    for (int r = 0; r < MAT_N; r++) {
        for (int c = 0; c < MAT_N; c++) {
            uint32_t sum = 0;
            for (int k = 0; k < MAT_N; k++) {
                sum += a[r][k] * mat_b[k][c];
            }
            out[r][c] = sum;
        }
    }
}

KERNEL_EXPORT(bench_matmul)
int32_t bench_matmul(int32_t iters)
{
    uint32_t a[MAT_N][MAT_N];
    uint32_t prod[MAT_N][MAT_N];
    uint32_t sum = 0;
    ensure_inputs();
    for (int r = 0; r < MAT_N; r++) {
        for (int c = 0; c < MAT_N; c++) {
            a[r][c] = mat_a[r][c];
        }
    }
    for (int32_t it = 0; it < iters; it++) {
        matmul(prod, a);
        /* Feed the product back (a = prod >> 3) so no iteration can be hoisted. */
        for (int r = 0; r < MAT_N; r++) {
            for (int c = 0; c < MAT_N; c++) {
                a[r][c] = prod[r][c] >> 3;
                sum = sum * 31u + prod[r][c];
            }
        }
    }
    return (int32_t)sum;
}

/* Butterworth low-pass, cutoff 0.1 * sample rate, coefficients in Q14. */
KERNEL_EXPORT(bench_filter)
int32_t bench_filter(int32_t iters)
{
    const int64_t b0 = Q14(0.0675), b1 = Q14(0.1349), b2 = Q14(0.0675);
    const int64_t a1 = Q14(-1.1430), a2 = Q14(0.4128);
    int64_t x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    uint32_t sum = 0;
    ensure_inputs();
    for (int32_t it = 0; it < iters; it++) {
        for (int i = 0; i < FILTER_SAMPLES; i++) {
            int64_t x = samples[i];
            /* >> on a negative value: arithmetic shift in gcc and clang alike. */
            int64_t y = (b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) >> 14;
            x2 = x1;
            x1 = x;
            y2 = y1;
            y1 = y;
            sum = sum * 31u + (uint32_t)y;
        }
    }
    return (int32_t)sum;
}

KERNEL_EXPORT(bench_noop)
int32_t bench_noop(int32_t x)
{
    return x;
}
