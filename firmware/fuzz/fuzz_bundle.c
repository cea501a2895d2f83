/*
 * fuzz_bundle.c - the OTA bundle verifier (wa_bundle.c) on arbitrary bytes,
 * with the published test key trusted (wa_trusted_keys.h as the default
 * TRUSTED_KEYS builds it).
 *
 * Invariants: parse and verify agree on what is malformed; what they accept
 * points into the input (manifest, signature, module, boards) and has
 * NUL-terminated name and version of at most their limits.
 */
#include <string.h>

#include "fuzz_common.h"
#include "wa_bundle.h"
#include "wa_err.h"
#include "wa_trusted_keys.h"

static int inside(const uint8_t *data, size_t size, const uint8_t *p, uint32_t len)
{
    return p >= data && len <= size && (size_t)(p - data) <= size - len;
}

static void check_fields(const uint8_t *data, size_t size, const wa_bundle_t *b)
{
    FUZZ_CHECK(inside(data, size, b->manifest, b->manifest_len));
    FUZZ_CHECK(inside(data, size, b->signature, WA_BUNDLE_SIG_LEN));
    FUZZ_CHECK(inside(data, size, b->module, b->module_len));
    FUZZ_CHECK(b->boards == NULL || inside(data, size, b->boards, b->boards_len));
    FUZZ_CHECK(b->module_len >= WA_BUNDLE_MODULE_MIN && b->module_len <= WA_BUNDLE_MODULE_MAX);
    FUZZ_CHECK(b->manifest_len <= WA_BUNDLE_MANIFEST_MAX);
    FUZZ_CHECK(memchr(b->name, 0, sizeof b->name) != NULL);
    FUZZ_CHECK(memchr(b->version, 0, sizeof b->version) != NULL);
    (void)wa_bundle_has_board(b, "esp32");
    (void)wa_bundle_has_board(b, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64u * 1024u) {
        return 0;
    }
    wa_bundle_t parsed;
    wa_bundle_t verified;
    int prc = wa_bundle_parse(data, (uint32_t)size, &parsed);
    int vrc = wa_bundle_verify(data, (uint32_t)size, wa_trusted_keys, WA_TRUSTED_KEY_COUNT, "esp32",
                               &verified);
    FUZZ_CHECK((prc == WA_ERR_MALFORMED) == (vrc == WA_ERR_MALFORMED));
    if (prc == WA_OK) {
        check_fields(data, size, &parsed);
        check_fields(data, size, &verified);
    }
    /* No trusted key at all, no board check: still only parse-level results. */
    vrc = wa_bundle_verify(data, (uint32_t)size, NULL, 0, NULL, &verified);
    FUZZ_CHECK(vrc != WA_OK);
    return 0;
}
