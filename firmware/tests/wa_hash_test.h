/*
 * wa_hash_test.h - the vectors-file test of a streaming hash: the driver
 * (wa_hash_test_main.c) and what each hash's test gives it (wa_sha256_test.c,
 * wa_sha512_test.c). Built with wa_test_text.c and the hash.
 *
 * Usage: wa_sha256_test tests/fixtures/sha256/vectors.txt (sha512 likewise;
 * format: firmware/tools/sha_vectors.py; one "HEXINPUT HEXDIGEST" a line, '-'
 * for the empty input, '#' comments). Each vector is hashed one-shot and
 * streamed: in chunks of 1, B - 1, B and B + 1 bytes (B the block length:
 * 64 for SHA-256, 128 for SHA-512), of pseudo-random sizes, and split in two
 * at 1, B - 1, B, B + 1 and a pseudo-random offset. Then the FIPS
 * million-'a' message, streamed. Prints "N vectors checked, F failures" and
 * exits 0 only when F is 0 and N > 0.
 * A host test program: it allocates freely, unlike the code it checks.
 */
#ifndef WA_HASH_TEST_H
#define WA_HASH_TEST_H

#include <stddef.h>
#include <stdint.h>

#define WA_HASH_TEST_DIGEST_MAX 64u

typedef struct wa_hash_test {
    size_t digest_len;       /* bytes, at most WA_HASH_TEST_DIGEST_MAX */
    size_t block_len;        /* bytes */
    size_t random_chunk_max; /* pseudo-random chunk sizes are 0..this */
    const char *million_a;   /* hex digest of one million 'a' (FIPS 180-4) */
    /* The streaming calls, on one context the hash's test keeps. */
    void (*init)(void);
    void (*update)(const void *data, size_t len);
    void (*final)(uint8_t *out);
    void (*oneshot)(const void *data, size_t len, uint8_t *out);
} wa_hash_test_t;

/* The hash under test, defined by its test file. */
extern const wa_hash_test_t wa_hash_test;

#endif /* WA_HASH_TEST_H */
