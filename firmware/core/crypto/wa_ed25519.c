/*
 * wa_ed25519.c - Ed25519 verification: our SHA-512 and Monocypher's EdDSA
 * core (see wa_ed25519.h).
 */
#include "wa_ed25519.h"

#include "monocypher.h"
#include "wa_sha512.h"

/* h = SHA-512(R || A || M) mod L. Not inlined: its 270 bytes of hash state
 * are off the stack before the deeper check_equation runs. */
__attribute__((noinline)) static void hash_ram(uint8_t h[32], const uint8_t *sig,
                                               const uint8_t *public_key, const uint8_t *msg,
                                               size_t len)
{
    wa_sha512_ctx ctx;
    uint8_t hram[WA_SHA512_DIGEST_LEN];
    wa_sha512_init(&ctx);
    wa_sha512_update(&ctx, sig, 32); /* R */
    wa_sha512_update(&ctx, public_key, WA_ED25519_KEY_LEN);
    wa_sha512_update(&ctx, msg, len);
    wa_sha512_final(&ctx, hram);
    crypto_eddsa_reduce(h, hram);
}

bool wa_ed25519_check(const uint8_t sig[WA_ED25519_SIG_LEN],
                      const uint8_t public_key[WA_ED25519_KEY_LEN], const uint8_t *msg, size_t len)
{
    uint8_t h[32];
    hash_ram(h, sig, public_key, msg, len);
    return crypto_eddsa_check_equation(sig, public_key, h) == 0;
}
