/*
 * wa_sha256_test.c - checks wa_sha256.c against tests/fixtures/sha256/vectors.txt
 * with the driver of wa_hash_test.h (usage and output there).
 */
#include "wa_hash_test.h"
#include "wa_sha256.h"

static wa_sha256_ctx s_ctx;

static void init(void)
{
    wa_sha256_init(&s_ctx);
}

static void update(const void *data, size_t len)
{
    wa_sha256_update(&s_ctx, data, len);
}

static void final(uint8_t *out)
{
    wa_sha256_final(&s_ctx, out);
}

const wa_hash_test_t wa_hash_test = {
    .digest_len = WA_SHA256_DIGEST_LEN,
    .block_len = WA_SHA256_BLOCK_LEN,
    .random_chunk_max = 150,
    .million_a = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    .init = init,
    .update = update,
    .final = final,
    .oneshot = wa_sha256,
};
