/*
 * wa_md.h - the block buffering of a Merkle-Damgard hash, shared by
 * wa_sha256.c and wa_sha512.c (internal to core/crypto; not an API).
 *
 * A hash keeps its chaining state, a partial block of block_len bytes and
 * the count of bytes in it (used < block_len); wa_md_update and wa_md_pad
 * feed it and call its compression function on each full block. Nothing
 * here allocates; the buffers are the caller's context.
 *
 * Static inline on purpose: each hash calls each function once, with
 * constants, so the compiler builds the code it had when each hash carried
 * its own copy (same flash; on the emulated Cortex-M4 the same instruction
 * counts). Out of line it saved 64 bytes of flash but cost about 1% on
 * 16-byte updates (an indirect call and stack arguments a call).
 */
#ifndef WA_MD_H
#define WA_MD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Folds one block of block_len bytes into state. */
typedef void (*wa_md_compress_fn)(void *state, const uint8_t *block);

/* Appends len bytes of data (may be NULL when len is 0): fills and
 * compresses the partial block, compresses whole blocks straight from data,
 * keeps the rest in block and *used. */
static inline void wa_md_update(void *state, wa_md_compress_fn compress, uint8_t *block,
                                uint32_t block_len, uint32_t *used, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t n = *used; /* a local: stores through block may alias *used */

    if (len == 0) {
        return;
    }
    if (n > 0) {
        size_t take = block_len - n;
        if (take > len) {
            take = len;
        }
        memcpy(block + n, p, take);
        n += (uint32_t)take;
        p += take;
        len -= take;
        if (n < block_len) {
            *used = n;
            return;
        }
        compress(state, block);
        n = 0;
    }
    while (len >= block_len) {
        compress(state, p);
        p += block_len;
        len -= block_len;
    }
    if (len > 0) {
        memcpy(block, p, len);
        n = (uint32_t)len;
    }
    *used = n;
}

/* The padding of FIPS 180-4 5.1 up to the length field: a 0x80 byte after
 * the used bytes of block, then zeros up to the last len_bytes of a block
 * (compressing the block first when they do not fit in it). The caller then
 * writes the big-endian bit length there and compresses block. */
static inline void wa_md_pad(void *state, wa_md_compress_fn compress, uint8_t *block,
                             uint32_t block_len, uint32_t used, uint32_t len_bytes)
{
    block[used++] = 0x80u;
    if (used > block_len - len_bytes) {
        memset(block + used, 0, block_len - used);
        compress(state, block);
        used = 0;
    }
    memset(block + used, 0, block_len - len_bytes - used);
}

#endif /* WA_MD_H */
