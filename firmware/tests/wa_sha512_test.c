/*
 * wa_sha512_test.c - checks wa_sha512.c against tests/fixtures/sha512/vectors.txt
 * with the driver of wa_hash_test.h (usage and output there).
 */
#include "wa_hash_test.h"
#include "wa_sha512.h"

static wa_sha512_ctx s_ctx;

static void init(void)
{
    wa_sha512_init(&s_ctx);
}

static void update(const void *data, size_t len)
{
    wa_sha512_update(&s_ctx, data, len);
}

static void final(uint8_t *out)
{
    wa_sha512_final(&s_ctx, out);
}

const wa_hash_test_t wa_hash_test = {
    .digest_len = WA_SHA512_DIGEST_LEN,
    .block_len = WA_SHA512_BLOCK_LEN,
    .random_chunk_max = 300,
    .million_a = "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                 "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
    .init = init,
    .update = update,
    .final = final,
    .oneshot = wa_sha512,
};
