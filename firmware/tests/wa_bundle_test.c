/*
 * wa_bundle_test.c - checks wa_bundle.c against the shared OTA vectors.
 *
 * Usage: wa_bundle_test ota/vectors/vectors.txt PUBLICKEYHEX
 * (format: ota/FORMAT.md "Test vectors"; one "NAME EXPECT HEX" a line, '#'
 * comments; the key is ota/vectors/test.pub's raw 32 bytes as hex, which the
 * Python test reads out of its PEM). Each bundle goes through
 * wa_bundle_verify() with the test key and board mps2-an386; the result must
 * be EXPECT ("ok", or an agent_err name without WA_ERR_), and an accepted
 * bundle must read as the "blink" app the vectors are made of (with the
 * health policy of ok_health_policy, or the defaults). Then checks of its own on the "ok" bundle:
 * keys, boards, truncations, every bit flipped in the signed part, and
 * manifests the generator cannot make (deep nesting, duplicate keys, bad
 * UTF-8, ...). Prints one line a vector, then "N vectors checked, C own
 * checks, F failures"; exits 0 only when F is 0 and N > 0.
 * A host test program: it allocates freely, unlike the code it checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_bundle.h"
#include "wa_err.h"
#include "wa_runtime.h"
#include "wa_test_text.h"

#define BOARD "mps2-an386"

typedef struct {
    uint8_t *data;
    uint32_t len;
} bytes_t;

static int failures;
static int own_checks;
static uint8_t key_buf[1][WA_BUNDLE_KEY_LEN];
/* Before C23 a non-const array does not convert to a pointer to const arrays
 * by itself; a firmware's key table is const already. */
static const uint8_t (*test_key)[WA_BUNDLE_KEY_LEN] = (const uint8_t (*)[WA_BUNDLE_KEY_LEN])key_buf;

static void check(int ok, const char *what)
{
    own_checks++;
    if (!ok) {
        printf("FAIL own check: %s\n", what);
        failures++;
    }
}

/* ---- files ---------------------------------------------------------------------- */

/* Decodes len hex digits; data NULL on a bad digit or odd length. */
static bytes_t hex_decode(const char *s, size_t len)
{
    bytes_t out = {malloc(len / 2 + 1), (uint32_t)(len / 2)};
    if (out.data != NULL && wa_test_hex_decode(s, len, out.data) < 0) {
        free(out.data);
        out.data = NULL;
    }
    return out;
}

static void load_key(const char *hex)
{
    bytes_t key = hex_decode(hex, strlen(hex));
    if (key.data == NULL || key.len != WA_BUNDLE_KEY_LEN) {
        fprintf(stderr, "%s: not a public key (64 hex digits)\n", hex);
        exit(2);
    }
    memcpy(key_buf[0], key.data, WA_BUNDLE_KEY_LEN);
    free(key.data);
}

/* ---- the vectors ---------------------------------------------------------------- */

static const struct {
    const char *name;
    int code;
} s_codes[] = {{"ok", WA_OK},
               {"NOT_SUPPORTED", WA_ERR_NOT_SUPPORTED},
               {"MALFORMED", WA_ERR_MALFORMED},
               {"BAD_SIGNATURE", WA_ERR_BAD_SIGNATURE},
               {"UNTRUSTED_KEY", WA_ERR_UNTRUSTED_KEY},
               {"WRONG_BOARD", WA_ERR_WRONG_BOARD},
               {"ROLLBACK", WA_ERR_ROLLBACK}};

static const char *code_name(int code)
{
    for (size_t i = 0; i < sizeof s_codes / sizeof s_codes[0]; i++) {
        if (s_codes[i].code == code) {
            return s_codes[i].name;
        }
    }
    return "?";
}

static int code_of(const char *name)
{
    for (size_t i = 0; i < sizeof s_codes / sizeof s_codes[0]; i++) {
        if (strcmp(s_codes[i].name, name) == 0) {
            return s_codes[i].code;
        }
    }
    return -1;
}

/* The health policy of vector name (make_vectors.py's POLICY, or the defaults). */
static int health_mismatch(const char *name, const wa_bundle_t *b)
{
    if (strcmp(name, "ok_health_policy") == 0) {
        return b->health_loops != 20 || b->health_traps != 1 || b->health_window_ms != 60000 ||
               !b->health_manual;
    }
    return b->health_loops != WA_BUNDLE_HEALTH_LOOPS_DEFAULT ||
           b->health_traps != WA_BUNDLE_HEALTH_TRAPS_DEFAULT ||
           b->health_window_ms != WA_BUNDLE_HEALTH_WINDOW_DEFAULT || b->health_manual;
}

/* What every accepted vector holds (ota/vectors/make_vectors.py). */
static const char *blink_mismatch(const char *name, const wa_bundle_t *b)
{
    if (strcmp(b->name, "blink") != 0 || strcmp(b->version, "1.0.0") != 0 || b->seq != 7) {
        return "name, version or seq";
    }
    if (b->caps != (WA_CAP_LOG | WA_CAP_TIME) || b->unknown_caps) {
        return "caps";
    }
    if (b->n_boards != 2 || !wa_bundle_has_board(b, BOARD) || !wa_bundle_has_board(b, "esp32") ||
        wa_bundle_has_board(b, "esp3") || wa_bundle_has_board(b, "mps2-an386x")) {
        return "boards";
    }
    if (health_mismatch(name, b) || b->mem_linear != 0) {
        return "health or mem";
    }
    if (b->module_len != 34 || b->signature != b->manifest + b->manifest_len) {
        return "layout";
    }
    return NULL;
}

static void run_vector(const char *name, const char *expect, const bytes_t *bundle)
{
    wa_bundle_t b;
    int want = code_of(expect);
    int rc = wa_bundle_verify(bundle->data, bundle->len, test_key, 1, BOARD, &b);
    const char *bad = rc == WA_OK ? blink_mismatch(name, &b) : NULL;
    if (want < 0 || rc != want || bad != NULL) {
        printf("FAIL %s: expected %s, got %s%s%s\n", name, expect, code_name(rc),
               bad != NULL ? "; wrong " : "", bad != NULL ? bad : "");
        failures++;
    } else if (rc == WA_OK) {
        printf("ok   %-32s %-13s %s %s seq %u caps 0x%02x\n", name, expect, b.name, b.version,
               (unsigned)b.seq, (unsigned)b.caps);
    } else {
        printf("ok   %-32s %s\n", name, expect);
    }
}

/* Runs every vector; keeps the bundles named "ok", "unknown_capability" and
 * "wrong_board" for the own checks (in that order in kept[]). */
static int run_vectors(char *text, bytes_t kept[3])
{
    static const char *const keep[3] = {"ok", "unknown_capability", "wrong_board"};
    int count = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char name[64];
        char expect[32];
        int hex_at = 0;
        if (line[0] == '#' || line[strspn(line, " \r")] == '\0') {
            continue;
        }
        count++;
        bytes_t bundle = {NULL, 0};
        if (sscanf(line, "%63s %31s %n", name, expect, &hex_at) == 2 && hex_at > 0) {
            bundle = hex_decode(line + hex_at, strcspn(line + hex_at, " \r"));
        }
        if (bundle.data == NULL) {
            printf("FAIL line %d: not NAME EXPECT HEX\n", count);
            failures++;
            continue;
        }
        run_vector(name, expect, &bundle);
        for (int k = 0; k < 3; k++) {
            if (strcmp(name, keep[k]) == 0 && kept[k].data == NULL) {
                kept[k] = bundle;
                bundle.data = NULL;
            }
        }
        free(bundle.data);
    }
    return count;
}

/* ---- own checks ----------------------------------------------------------------- */

static void check_keys_and_boards(const bytes_t *ok, const bytes_t *unknown_cap,
                                  const bytes_t *wrong_board)
{
    wa_bundle_t b;
    check(wa_bundle_verify(ok->data, ok->len, NULL, 0, BOARD, &b) == WA_ERR_UNTRUSTED_KEY,
          "no trusted key: UNTRUSTED_KEY");
    check(wa_bundle_verify(ok->data, ok->len, test_key, 1, NULL, &b) == WA_OK,
          "board NULL: accepted");
    check(wa_bundle_verify(ok->data, ok->len, test_key, 1, "esp32", &b) == WA_OK,
          "second board: accepted");
    check(wa_bundle_verify(ok->data, ok->len, test_key, 1, "mps2", &b) == WA_ERR_WRONG_BOARD,
          "board prefix: WRONG_BOARD");
    check(wa_bundle_verify(wrong_board->data, wrong_board->len, test_key, 1, NULL, &b) == WA_OK,
          "wrong_board with board NULL: accepted");
    check(wa_bundle_parse(unknown_cap->data, unknown_cap->len, &b) == WA_OK && b.unknown_caps &&
              b.caps == WA_CAP_LOG,
          "unknown capability: parses, flagged");
    check(wa_bundle_parse(NULL, 0, &b) == WA_ERR_MALFORMED &&
              wa_bundle_parse(ok->data, ok->len, NULL) == WA_ERR_MALFORMED,
          "NULL: MALFORMED");
    check(!wa_bundle_has_board(&b, NULL) && !wa_bundle_has_board(NULL, BOARD),
          "has_board NULL: false");
}

/* Every shorter bundle is malformed; every single bit flipped in the signed
 * part is refused (and, under the sanitizers, read nothing out of bounds). */
static void check_damage(const bytes_t *ok)
{
    wa_bundle_t b;
    int all_refused = 1;
    for (uint32_t n = 0; n < ok->len; n++) {
        uint8_t *copy = malloc(n + 1); /* exactly n bytes readable (+1 for n = 0) */
        memcpy(copy, ok->data, n);
        all_refused &= wa_bundle_parse(copy, n, &b) == WA_ERR_MALFORMED;
        free(copy);
    }
    check(all_refused, "every truncation: MALFORMED");
    uint8_t *copy = malloc(ok->len);
    uint32_t signed_len = WA_BUNDLE_HEADER_LEN + (ok->data[4] | (uint32_t)ok->data[5] << 8);
    all_refused = 1;
    for (uint32_t bit = 0; bit < 8 * signed_len; bit++) {
        memcpy(copy, ok->data, ok->len);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        all_refused &= wa_bundle_verify(copy, ok->len, test_key, 1, BOARD, &b) != WA_OK;
    }
    free(copy);
    check(all_refused, "every bit flipped in header and manifest: refused");
}

/* The "ok" bundle with extra_pairs more map entries in its manifest and tail
 * appended to it, parsed (its signature no longer matches). */
static int parse_variant(const bytes_t *ok, unsigned extra_pairs, const uint8_t *tail,
                         size_t tail_len)
{
    uint32_t m = ok->data[4] | (uint32_t)ok->data[5] << 8;
    uint32_t len = (uint32_t)(ok->len + tail_len);
    uint8_t *v = malloc(len);
    uint32_t m2 = (uint32_t)(m + tail_len);
    memcpy(v, ok->data, WA_BUNDLE_HEADER_LEN + m);
    if (tail_len > 0) {
        memcpy(v + WA_BUNDLE_HEADER_LEN + m, tail, tail_len);
    }
    memcpy(v + WA_BUNDLE_HEADER_LEN + m2, ok->data + WA_BUNDLE_HEADER_LEN + m,
           ok->len - WA_BUNDLE_HEADER_LEN - m);
    v[4] = (uint8_t)m2;
    v[5] = (uint8_t)(m2 >> 8);
    v[WA_BUNDLE_HEADER_LEN] = (uint8_t)(v[WA_BUNDLE_HEADER_LEN] + extra_pairs); /* 0xa8: 8 pairs */
    wa_bundle_t b;
    int rc = wa_bundle_parse(v, len, &b);
    free(v);
    return rc;
}

/* Key "x" whose value is depth nested one-element arrays around a 0. */
static int parse_nested(const bytes_t *ok, size_t depth)
{
    uint8_t *tail = malloc(depth + 3);
    tail[0] = 0x61;
    tail[1] = 'x';
    memset(tail + 2, 0x81, depth);
    tail[depth + 2] = 0x00;
    int rc = parse_variant(ok, 1, tail, depth + 3);
    free(tail);
    return rc;
}

#define VARIANT(ok, pairs, ...)                                                                    \
    parse_variant(ok, pairs, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void check_manifest_variants(const bytes_t *ok)
{
    check(ok->data[WA_BUNDLE_HEADER_LEN] == 0xa8 && ok->data[4] == 182 && ok->data[5] == 0,
          "the ok manifest is a map of 8 pairs, 182 bytes");
    check(parse_variant(ok, 0, NULL, 0) == WA_OK, "unchanged: parses");
    check(VARIANT(ok, 1, 0x61, 'x', 0x9f, 0x01, 0xa1, 0x02, 0x03, 0xff) == WA_OK,
          "unknown indefinite-length value: skipped");
    check(VARIANT(ok, 1, 0x61, 'x', 0xc1, 0x1a, 0, 0, 0, 1) == WA_OK,
          "unknown tagged value: skipped");
    check(VARIANT(ok, 1, 0x01, 0x02) == WA_OK, "key that is not text: skipped");
    check(parse_nested(ok, WA_BUNDLE_CBOR_DEPTH - 1) == WA_OK, "unknown value at the depth limit");
    check(parse_nested(ok, WA_BUNDLE_CBOR_DEPTH) == WA_ERR_MALFORMED,
          "one level deeper: MALFORMED");
    check(parse_nested(ok, 1800) == WA_ERR_MALFORMED, "1800 levels: MALFORMED");
    check(VARIANT(ok, 1, 0x63, 's', 'e', 'q', 0x07) == WA_ERR_MALFORMED,
          "duplicate key: MALFORMED");
    check(VARIANT(ok, 0, 0x00) == WA_ERR_MALFORMED, "a byte after the map: MALFORMED");
    check(VARIANT(ok, 1, 0x61, 'x', 0x7f, 0x61, 'a', 0xff) == WA_ERR_MALFORMED,
          "indefinite-length string: MALFORMED");
    check(VARIANT(ok, 1, 0x61, 'x', 0x62, 0xc3, 0x28) == WA_ERR_MALFORMED,
          "invalid UTF-8: MALFORMED");
    check(VARIANT(ok, 1, 0x61, 'x', 0x5a, 0xff, 0xff, 0xff, 0xff) == WA_ERR_MALFORMED,
          "string longer than the manifest: MALFORMED");
    check(VARIANT(ok, 1, 0x61, 'x', 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) ==
              WA_ERR_MALFORMED,
          "array of 2^64-1 items: MALFORMED");
}

static void check_name_with_nul(const bytes_t *ok)
{
    uint8_t *copy = malloc(ok->len);
    memcpy(copy, ok->data, ok->len);
    uint8_t *name = NULL;
    for (uint32_t i = WA_BUNDLE_HEADER_LEN; i + 6 <= ok->len && name == NULL; i++) {
        name = memcmp(copy + i,
                      "\x65"
                      "blink",
                      6) == 0
                   ? copy + i + 1
                   : NULL;
    }
    wa_bundle_t b;
    check(name != NULL, "the ok manifest holds \"blink\"");
    if (name != NULL) {
        name[2] = '\0';
        check(wa_bundle_parse(copy, ok->len, &b) == WA_ERR_MALFORMED, "NUL in name: MALFORMED");
    }
    free(copy);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s vectors.txt PUBLICKEYHEX\n", argv[0]);
        return 2;
    }
    load_key(argv[2]);
    char *text = wa_test_read_text(argv[1]);
    bytes_t kept[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    int count = run_vectors(text, kept);
    if (kept[0].data == NULL || kept[1].data == NULL || kept[2].data == NULL) {
        printf("FAIL the vectors lack ok, unknown_capability or wrong_board\n");
        failures++;
    } else {
        check_keys_and_boards(&kept[0], &kept[1], &kept[2]);
        check_damage(&kept[0]);
        check_manifest_variants(&kept[0]);
        check_name_with_nul(&kept[0]);
    }
    printf("%d vectors checked, %d own checks, %d failures\n", count, own_checks, failures);
    for (int k = 0; k < 3; k++) {
        free(kept[k].data);
    }
    free(text);
    return failures == 0 && count > 0 ? 0 : 1;
}
