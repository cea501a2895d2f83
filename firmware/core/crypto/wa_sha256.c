/*
 * wa_sha256.c - SHA-256 per FIPS 180-4, section 6.2.
 *
 * The message schedule is kept as a rolling window of 16 words (W[t] for
 * t >= 16 overwrites W[t - 16]) so the compression function needs 64 bytes
 * of schedule rather than 256. Byte order is handled explicitly (big-endian
 * words), so the code is endian- and alignment-independent.
 */
#include "wa_sha256.h"

#include <string.h>

#include "wa_md.h"

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u,
};

/* First 32 bits of the fractional parts of the square roots of the first 8
 * primes (FIPS 180-4, 5.3.3). */
static const uint32_t H0[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A wa_md_compress_fn: folds a WA_SHA256_BLOCK_LEN-byte block into state[8]. */
static void compress(void *state_words, const uint8_t *block)
{
    uint32_t *state = state_words;
    uint32_t w[16];
    uint32_t v[8];
    unsigned t;

    for (t = 0; t < 8; t++) {
        v[t] = state[t];
    }
    for (t = 0; t < 64; t++) {
        uint32_t wt;
        if (t < 16) {
            wt = load_be32(block + 4u * t);
        } else {
            uint32_t w15 = w[(t - 15u) & 15u];
            uint32_t w2 = w[(t - 2u) & 15u];
            uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
            uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
            wt = w[t & 15u] + s0 + w[(t - 7u) & 15u] + s1;
        }
        w[t & 15u] = wt;

        /* v = a b c d e f g h */
        uint32_t e = v[4];
        uint32_t a = v[0];
        uint32_t sig1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & v[5]) ^ (~e & v[6]);
        uint32_t t1 = v[7] + sig1 + ch + K[t] + wt;
        uint32_t sig0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]);
        uint32_t t2 = sig0 + maj;

        v[7] = v[6];
        v[6] = v[5];
        v[5] = v[4];
        v[4] = v[3] + t1;
        v[3] = v[2];
        v[2] = v[1];
        v[1] = v[0];
        v[0] = t1 + t2;
    }
    for (t = 0; t < 8; t++) {
        state[t] += v[t];
    }
}

void wa_sha256_init(wa_sha256_ctx *ctx)
{
    memcpy(ctx->state, H0, sizeof ctx->state);
    ctx->total = 0;
    ctx->used = 0;
}

void wa_sha256_update(wa_sha256_ctx *ctx, const void *data, size_t len)
{
    ctx->total += len;
    wa_md_update(ctx->state, compress, ctx->block, WA_SHA256_BLOCK_LEN, &ctx->used, data, len);
}

void wa_sha256_final(wa_sha256_ctx *ctx, uint8_t out[WA_SHA256_DIGEST_LEN])
{
    uint64_t bits = ctx->total << 3;
    unsigned i;

    /* Padding (5.1.1): a 1 bit, zeros, then the 64-bit big-endian bit length
     * ending a block. */
    wa_md_pad(ctx->state, compress, ctx->block, WA_SHA256_BLOCK_LEN, ctx->used, 8u);
    store_be32(ctx->block + 56, (uint32_t)(bits >> 32));
    store_be32(ctx->block + 60, (uint32_t)bits);
    compress(ctx->state, ctx->block);

    for (i = 0; i < 8; i++) {
        store_be32(out + 4u * i, ctx->state[i]);
    }
    memset(ctx, 0, sizeof *ctx);
}

void wa_sha256(const void *data, size_t len, uint8_t out[WA_SHA256_DIGEST_LEN])
{
    wa_sha256_ctx ctx;
    wa_sha256_init(&ctx);
    wa_sha256_update(&ctx, data, len);
    wa_sha256_final(&ctx, out);
}
