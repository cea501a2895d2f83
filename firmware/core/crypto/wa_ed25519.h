/*
 * wa_ed25519.h - Ed25519 signature check (RFC 8032, PureEdDSA).
 *
 * h = SHA-512(R || A || M) reduced mod L (wa_sha512.c, then Monocypher 4's
 * crypto_eddsa_reduce), then Monocypher's crypto_eddsa_check_equation. The
 * message is hashed where it lies in one streaming pass: it may be a
 * bundle's signed bytes in flash, never copied.
 *
 * What the check accepts: S must be below the group order L (a
 * non-canonical S is refused, as RFC 8032 5.1.7 requires); A and R must
 * decode to curve points; the group equation is checked with the cofactor
 * ([8][S]B = [8]R + [8][h]A, which RFC 8032 allows). Every signature made
 * by an RFC 8032 signer with a proper key passes here and in OpenSSL alike.
 * Stack, arm-none-eabi-gcc -Os on Cortex-M4: the SHA-512 context (208
 * bytes) plus Monocypher's check_equation, about 1.5 KiB.
 */
#ifndef WA_ED25519_H
#define WA_ED25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WA_ED25519_SIG_LEN 64u
#define WA_ED25519_KEY_LEN 32u

/* Whether sig (R || S) is public_key's signature of msg[0..len). msg may
 * be NULL when len is 0. */
bool wa_ed25519_check(const uint8_t sig[WA_ED25519_SIG_LEN],
                      const uint8_t public_key[WA_ED25519_KEY_LEN], const uint8_t *msg, size_t len);

#endif /* WA_ED25519_H */
