/*
 * wa_sha256.h - SHA-256 (FIPS 180-4), streaming and one-shot.
 *
 * Used to check a module streamed into flash against the digest the host
 * sent (Monocypher has no SHA-256). Nothing here allocates; the context is
 * 112 bytes, and a call uses about 180 bytes of stack (wa_sha256(), which
 * holds its own context, about 310) with arm-none-eabi-gcc -Os on Cortex-M4.
 *
 *     wa_sha256_ctx ctx;
 *     wa_sha256_init(&ctx);
 *     wa_sha256_update(&ctx, chunk, chunk_len);   (repeatable)
 *     wa_sha256_final(&ctx, digest);              (ctx must be re-inited after)
 */
#ifndef WA_SHA256_H
#define WA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define WA_SHA256_DIGEST_LEN 32u
#define WA_SHA256_BLOCK_LEN 64u

typedef struct {
    uint32_t state[8];
    uint64_t total;                     /* bytes hashed so far */
    uint8_t block[WA_SHA256_BLOCK_LEN]; /* partial block */
    uint32_t used;                      /* bytes in block[] (< 64) */
} wa_sha256_ctx;

void wa_sha256_init(wa_sha256_ctx *ctx);
/* data may be NULL when len is 0. */
void wa_sha256_update(wa_sha256_ctx *ctx, const void *data, size_t len);
void wa_sha256_final(wa_sha256_ctx *ctx, uint8_t out[WA_SHA256_DIGEST_LEN]);
void wa_sha256(const void *data, size_t len, uint8_t out[WA_SHA256_DIGEST_LEN]);

#endif /* WA_SHA256_H */
