/*
 * wa_sha512.h - SHA-512 (FIPS 180-4), streaming and one-shot.
 *
 * The hash of Ed25519 (RFC 8032): wa_bundle.c hashes R || A || the signed
 * bytes of a bundle with it, in place in flash. Monocypher's EdDSA uses
 * BLAKE2b and the pinned Monocypher sources carry no SHA-512, hence this one.
 * Nothing here allocates; the context is 208 bytes. The compression keeps a
 * rolling 16-word schedule (128 bytes, not 640).
 *
 *     wa_sha512_ctx ctx;
 *     wa_sha512_init(&ctx);
 *     wa_sha512_update(&ctx, chunk, chunk_len);   (repeatable)
 *     wa_sha512_final(&ctx, digest);              (ctx must be re-inited after)
 */
#ifndef WA_SHA512_H
#define WA_SHA512_H

#include <stddef.h>
#include <stdint.h>

#define WA_SHA512_DIGEST_LEN 64u
#define WA_SHA512_BLOCK_LEN 128u

typedef struct {
    uint64_t state[8];
    uint64_t total;                     /* bytes hashed so far (messages below 2^64 bytes) */
    uint8_t block[WA_SHA512_BLOCK_LEN]; /* partial block */
    uint32_t used;                      /* bytes in block[] (< 128) */
} wa_sha512_ctx;

void wa_sha512_init(wa_sha512_ctx *ctx);
/* data may be NULL when len is 0. */
void wa_sha512_update(wa_sha512_ctx *ctx, const void *data, size_t len);
/* Writes the digest and wipes ctx. */
void wa_sha512_final(wa_sha512_ctx *ctx, uint8_t out[WA_SHA512_DIGEST_LEN]);
void wa_sha512(const void *data, size_t len, uint8_t out[WA_SHA512_DIGEST_LEN]);

#endif /* WA_SHA512_H */
