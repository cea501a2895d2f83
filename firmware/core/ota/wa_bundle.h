/*
 * wa_bundle.h - checks an OTA bundle (ota/FORMAT.md, version 2) where it
 * lies: a signed manifest and a wasm module in one buffer, typically
 * memory-mapped flash.
 *
 * Nothing here allocates or copies the module or the manifest. A wa_bundle_t
 * holds pointers into the caller's buffer, which must stay readable,
 * unchanged, as long as the wa_bundle_t is used; the small fields (name,
 * version, digests, ...) are copied into it. Reentrant: no static state.
 * The signature is Ed25519 (RFC 8032; wa_ed25519.h): the header and manifest
 * are hashed with SHA-512 in place, in one pass.
 *
 * Stack, arm-none-eabi-gcc 12 -Os on Cortex-M4, worst case from
 * -fcallgraph-info=su (tests/crosscompile/test_bundle_c.py prints it and
 * keeps wa_bundle_verify under 2 KiB): wa_bundle_parse about 1.1 KiB, with
 * unknown values nested to WA_BUNDLE_CBOR_DEPTH; wa_bundle_verify about
 * 1.7 KiB, deepest in Monocypher's crypto_eddsa_check_equation. Flash,
 * linked with --gc-sections: about 2 KiB here, 1.9 KiB of SHA-512, 7.6 KiB
 * of Monocypher's EdDSA core, plus SHA-256 and zcbor's decoder (in the
 * firmware already). No BLAKE2b: the key id is a SHA-256 prefix.
 *
 *     wa_bundle_t b;
 *     int rc = wa_bundle_verify(flash, len, trusted_keys, n_keys, "mps2-an386", &b);
 *     if (rc == WA_OK) { install b.module (b.module_len bytes) as b.name, grants b.caps }
 */
#ifndef WA_BUNDLE_H
#define WA_BUNDLE_H

#include <stdbool.h>
#include <stdint.h>

/* Layout (FORMAT.md "Layout"). */
#define WA_BUNDLE_HEADER_LEN 12u /* magic, manifest_len, module_len */
#define WA_BUNDLE_SIG_LEN 64u
#define WA_BUNDLE_MANIFEST_MAX 2048u
#define WA_BUNDLE_MODULE_MIN 8u
#define WA_BUNDLE_MODULE_MAX (16u * 1024u * 1024u)

/* Manifest limits (FORMAT.md "Manifest"; the caps and entry counts, and
 * non-empty names in the arrays, as the host verifier enforces them). */
#define WA_BUNDLE_NAME_MAX 32u
#define WA_BUNDLE_VERSION_MAX 16u
#define WA_BUNDLE_BOARDS_MAX 16u
#define WA_BUNDLE_CAPS_MAX 16u
#define WA_BUNDLE_ENTRY_MAX 16u
#define WA_BUNDLE_SHA256_LEN 32u
#define WA_BUNDLE_KID_LEN 8u
#define WA_BUNDLE_KEY_LEN 32u /* an Ed25519 public key */

/* Containers nested deeper than this (the manifest's own map counts as 1)
 * make a manifest malformed: it bounds the stack the skipping of unknown
 * values needs, since the manifest is parsed before its signature is
 * checked. The format itself nests 2 deep. */
#define WA_BUNDLE_CBOR_DEPTH 8u

#define WA_BUNDLE_HEALTH_LOOPS_DEFAULT 10u
#define WA_BUNDLE_HEALTH_TRAPS_DEFAULT 0u
#define WA_BUNDLE_HEALTH_WINDOW_DEFAULT 0u

typedef struct wa_bundle {
    /* Into the caller's buffer. The signature covers [data, manifest + manifest_len). */
    const uint8_t *manifest;
    uint32_t manifest_len;
    const uint8_t *signature; /* WA_BUNDLE_SIG_LEN bytes */
    const uint8_t *module;
    uint32_t module_len;
    const uint8_t *boards; /* the encoded elements of "boards" (see wa_bundle_has_board) */
    uint32_t boards_len;
    uint32_t n_boards;

    char name[WA_BUNDLE_NAME_MAX + 1];       /* NUL-terminated; no NUL inside */
    char version[WA_BUNDLE_VERSION_MAX + 1]; /* NUL-terminated; no NUL inside */
    uint32_t seq;                            /* anti-rollback counter */
    uint32_t caps;                           /* enum wa_cap bits (wa_runtime.h) */
    bool unknown_caps;                       /* "caps" names one this firmware lacks */
    uint8_t module_sha256[WA_BUNDLE_SHA256_LEN];
    uint8_t kid[WA_BUNDLE_KID_LEN];
    uint32_t health_loops; /* WA_BUNDLE_HEALTH_LOOPS_DEFAULT when absent */
    uint32_t health_traps; /* WA_BUNDLE_HEALTH_TRAPS_DEFAULT when absent */
    /* Least time on trial before the version may be confirmed, in ms
     * (WA_BUNDLE_HEALTH_WINDOW_DEFAULT when absent). */
    uint32_t health_window_ms;
    /* "confirm": "manual": the version stays on trial until an operator
     * confirms it; false for "auto" and when absent. */
    bool health_manual;
    uint32_t kv_quota;   /* "kv_quota": key-value bytes; 0xFFFFFFFF when absent */
    uint32_t mem_linear; /* "mem" fields in bytes; 0 when absent */
    uint32_t mem_stack;
    uint32_t mem_heap;
} wa_bundle_t;

/*
 * FORMAT.md checks 1-2: the layout and the manifest (required keys and their
 * types and lengths; any key order; unknown keys skipped). Duplicate known
 * keys, bytes after the manifest's map, indefinite-length strings and invalid
 * UTF-8 are malformed too. An unknown capability is not: it sets
 * out->unknown_caps (wa_bundle_verify reports it, at check 7).
 * Checks no signature: the result is not to be trusted.
 * Returns WA_OK (0) with *out filled, or WA_ERR_MALFORMED (also for NULL
 * data or out); *out is then unspecified.
 */
int wa_bundle_parse(const uint8_t *data, uint32_t len, wa_bundle_t *out);

/*
 * Every check of FORMAT.md, in its order, reporting the first failure:
 * parse (WA_ERR_MALFORMED); the manifest's kid names one of the n_trusted
 * public keys (WA_ERR_UNTRUSTED_KEY); the signature verifies with it, and the
 * module's SHA-256 matches the manifest (WA_ERR_BAD_SIGNATURE); board is in
 * "boards" (WA_ERR_WRONG_BOARD; board NULL skips this check); every
 * capability is known (WA_ERR_NOT_SUPPORTED). trusted may be NULL when
 * n_trusted is 0.
 * Returns WA_OK (0) with *out filled. After a failure at check 3 or later
 * *out holds the parsed manifest (for messages); after a parse failure it is
 * unspecified. Reads the whole module once (SHA-256).
 */
int wa_bundle_verify(const uint8_t *data, uint32_t len, const uint8_t (*trusted)[WA_BUNDLE_KEY_LEN],
                     uint32_t n_trusted, const char *board, wa_bundle_t *out);

/* Whether board (a NUL-terminated board profile name) is in the "boards" of a
 * bundle wa_bundle_parse or wa_bundle_verify accepted. False for NULL. */
bool wa_bundle_has_board(const wa_bundle_t *bundle, const char *board);

#endif /* WA_BUNDLE_H */
