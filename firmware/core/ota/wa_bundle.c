/*
 * wa_bundle.c - the OTA bundle checks of ota/FORMAT.md, in place.
 *
 * The manifest arrives unsigned as far as parsing goes (its signature is
 * checked after it), so it is first walked once without recursion: one
 * well-formed CBOR item filling all its bytes, containers at most
 * WA_BUNDLE_CBOR_DEPTH deep, definite-length valid UTF-8 text. Only then is
 * it decoded with zcbor, whose skipping of unknown values recurses.
 */
#include <stddef.h>
#include <string.h>

#include "wa_bundle.h"
#include "wa_ed25519.h"
#include "wa_err.h"
#include "wa_runtime.h"
#include "wa_sha256.h"
#include "zcbor_decode.h"

_Static_assert(WA_BUNDLE_SHA256_LEN == WA_SHA256_DIGEST_LEN, "module digest is a SHA-256");
_Static_assert(WA_BUNDLE_SIG_LEN == WA_ED25519_SIG_LEN && WA_BUNDLE_KEY_LEN == WA_ED25519_KEY_LEN,
               "bundles are signed with Ed25519");
_Static_assert(WA_BUNDLE_KID_LEN <= WA_SHA256_DIGEST_LEN, "the kid is a SHA-256 prefix");
_Static_assert(WA_BUNDLE_HEADER_LEN + WA_BUNDLE_SIG_LEN + WA_BUNDLE_MANIFEST_MAX +
                       (uint64_t)WA_BUNDLE_MODULE_MAX <=
                   UINT32_MAX,
               "a bundle's size fits in 32 bits");

static const uint8_t s_magic[4] = {'W', 'A', 'B', '2'};

/* ---- layout (check 1) ------------------------------------------------------------ */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool check_layout(const uint8_t *data, uint32_t len, wa_bundle_t *b)
{
    if (len < WA_BUNDLE_HEADER_LEN + WA_BUNDLE_SIG_LEN || memcmp(data, s_magic, 4) != 0) {
        return false;
    }
    uint32_t m = le32(data + 4);
    uint32_t n = le32(data + 8);
    if (m < 1 || m > WA_BUNDLE_MANIFEST_MAX || n < WA_BUNDLE_MODULE_MIN ||
        n > WA_BUNDLE_MODULE_MAX || len != WA_BUNDLE_HEADER_LEN + m + WA_BUNDLE_SIG_LEN + n) {
        return false;
    }
    memset(b, 0, sizeof *b);
    b->manifest = data + WA_BUNDLE_HEADER_LEN;
    b->manifest_len = m;
    b->signature = b->manifest + m;
    b->module = b->signature + WA_BUNDLE_SIG_LEN;
    b->module_len = n;
    b->health_loops = WA_BUNDLE_HEALTH_LOOPS_DEFAULT;
    b->health_traps = WA_BUNDLE_HEALTH_TRAPS_DEFAULT;
    b->health_window_ms = WA_BUNDLE_HEALTH_WINDOW_DEFAULT;
    b->health_manual = false;
    b->kv_quota = 0xFFFFFFFFu;
    return true;
}

/* ---- well-formed CBOR (RFC 8949 appendix C), without recursion ------------------- */

#define INDEFINITE UINT32_MAX

typedef struct cbor_head {
    uint8_t major;
    uint8_t info; /* additional information: the low 5 bits */
    uint64_t arg;
} cbor_head_t;

/* Reads one head at *p (not a break); false when truncated or reserved. */
static bool read_head(const uint8_t **p, const uint8_t *end, cbor_head_t *h)
{
    static const uint8_t extra[4] = {1, 2, 4, 8};
    h->major = (uint8_t)(**p >> 5);
    h->info = (uint8_t)(**p & 0x1f);
    h->arg = h->info;
    (*p)++;
    if (h->info == 31) {
        return h->major >= 2 && h->major <= 5; /* indefinite length */
    }
    if (h->info < 24) {
        return true;
    }
    if (h->info > 27 || (size_t)(end - *p) < extra[h->info - 24]) {
        return false;
    }
    h->arg = 0;
    for (uint8_t i = 0; i < extra[h->info - 24]; i++) {
        h->arg = h->arg << 8 | *(*p)++;
    }
    return h->major != 7 || h->info != 24 || h->arg >= 32; /* simple values 24..31 */
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i++];
        uint8_t lo = 0x80;
        uint8_t hi = 0xbf;
        size_t more;
        if (c < 0x80) {
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            lo = c == 0xe0 ? 0xa0 : lo; /* no overlong forms */
            hi = c == 0xed ? 0x9f : hi; /* no surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            lo = c == 0xf0 ? 0x90 : lo;
            hi = c == 0xf4 ? 0x8f : hi; /* nothing above U+10FFFF */
        } else {
            return false;
        }
        if (n - i < more || s[i] < lo || s[i] > hi) {
            return false;
        }
        for (size_t k = 1; k < more; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
        }
        i += more;
    }
    return true;
}

/* Consumes what follows head h: a string's bytes, or opens a container. */
static bool enter_item(const uint8_t **p, const uint8_t *end, const cbor_head_t *h, uint32_t *left,
                       uint32_t *depth)
{
    size_t room = (size_t)(end - *p);
    if (h->major == 2 || h->major == 3) {
        if (h->info == 31 || h->arg > room) {
            return false; /* zcbor reads no indefinite-length strings */
        }
        if (h->major == 3 && !utf8_valid(*p, (size_t)h->arg)) {
            return false;
        }
        *p += h->arg;
        return true;
    }
    if (h->major != 4 && h->major != 5) {
        return true; /* integers and simple values: the head is all */
    }
    /* Each item takes a byte at least, so a count above room is malformed; checking
     * arg first keeps 2 * arg from wrapping. */
    uint64_t items = h->major == 5 ? 2 * h->arg : h->arg;
    if ((h->info != 31 && (h->arg > room || items > room)) || *depth == WA_BUNDLE_CBOR_DEPTH) {
        return false;
    }
    left[++*depth] = h->info == 31 ? INDEFINITE : (uint32_t)items;
    return true;
}

/* Whether [p, end) is exactly one well-formed CBOR item within the limits. */
static bool cbor_well_formed(const uint8_t *p, const uint8_t *end)
{
    uint32_t left[WA_BUNDLE_CBOR_DEPTH + 1]; /* items still due, per open container */
    uint32_t depth = 0;
    left[0] = 1;
    while (depth > 0 || left[0] > 0) {
        cbor_head_t h;
        if (left[depth] == 0) {
            depth--;
            continue;
        }
        if (p == end) {
            return false;
        }
        if (*p == 0xff) { /* a break closes an indefinite-length container */
            if (left[depth] != INDEFINITE) {
                return false;
            }
            left[depth] = 0;
            p++;
            continue;
        }
        do { /* a tag and the item it tags fill one place */
            if (p == end || !read_head(&p, end, &h)) {
                return false;
            }
        } while (h.major == 6);
        if (left[depth] != INDEFINITE) {
            left[depth]--;
        }
        if (!enter_item(&p, end, &h, left, &depth)) {
            return false;
        }
    }
    return p == end;
}

/* ---- manifest (check 2) ---------------------------------------------------------- */

static bool text_is(const struct zcbor_string *s, const char *lit)
{
    return s->len == strlen(lit) && memcmp(s->value, lit, s->len) == 0;
}

/* The next map key: its index in keys[0..n), or n for any other key (which is
 * skipped with its value); -1 when malformed or repeated (seen: bits of the
 * keys met so far). Keys that are not text count as unknown. */
static int next_key(zcbor_state_t *dec, const char *const *keys, int n, uint32_t *seen)
{
    struct zcbor_string k;
    if (ZCBOR_MAJOR_TYPE(*dec->payload) != ZCBOR_MAJOR_TYPE_TSTR) {
        return zcbor_any_skip(dec, NULL) && zcbor_any_skip(dec, NULL) ? n : -1;
    }
    if (!zcbor_tstr_decode(dec, &k)) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (text_is(&k, keys[i])) {
            if (*seen & (1u << i)) {
                return -1;
            }
            *seen |= 1u << i;
            return i;
        }
    }
    return zcbor_any_skip(dec, NULL) ? n : -1;
}

typedef bool (*value_fn)(zcbor_state_t *dec, wa_bundle_t *b, int key);

/* A map whose known keys' values value() decodes; *seen: the keys found. */
static bool decode_map(zcbor_state_t *dec, wa_bundle_t *b, const char *const *keys, int n,
                       value_fn value, uint32_t *seen)
{
    *seen = 0;
    if (!zcbor_map_start_decode(dec)) {
        return false;
    }
    while (!zcbor_array_at_end(dec)) {
        int k = next_key(dec, keys, n, seen);
        if (k < 0 || (k < n && !value(dec, b, k))) {
            return false;
        }
    }
    return zcbor_map_end_decode(dec);
}

static bool decode_text(zcbor_state_t *dec, char *dst, size_t max)
{
    struct zcbor_string s;
    if (!zcbor_tstr_decode(dec, &s) || s.len < 1 || s.len > max ||
        memchr(s.value, '\0', s.len) != NULL) {
        return false;
    }
    memcpy(dst, s.value, s.len);
    dst[s.len] = '\0';
    return true;
}

static bool decode_bytes(zcbor_state_t *dec, uint8_t *dst, size_t len)
{
    struct zcbor_string s;
    if (!zcbor_bstr_decode(dec, &s) || s.len != len) {
        return false;
    }
    memcpy(dst, s.value, len);
    return true;
}

static void add_cap(wa_bundle_t *b, const struct zcbor_string *s)
{
    static const char *const names[] = {WA_CAP_NAMES};
    for (uint32_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (text_is(s, names[i])) {
            b->caps |= 1u << i;
            return;
        }
    }
    b->unknown_caps = true;
}

/* The elements of an open array, at most max non-empty text strings; the
 * names of caps are added to b->caps. */
static bool decode_names(zcbor_state_t *dec, wa_bundle_t *b, uint32_t max, bool caps,
                         uint32_t *count)
{
    uint32_t n = 0;
    while (!zcbor_array_at_end(dec)) {
        struct zcbor_string s;
        if (n == max || !zcbor_tstr_decode(dec, &s) || s.len == 0) {
            return false;
        }
        if (caps) {
            add_cap(b, &s);
        }
        n++;
    }
    *count = n;
    return true;
}

static bool decode_list(zcbor_state_t *dec, wa_bundle_t *b, uint32_t max, bool caps)
{
    uint32_t n;
    return zcbor_list_start_decode(dec) && decode_names(dec, b, max, caps, &n) &&
           zcbor_list_end_decode(dec);
}

/* Kept as where its elements are encoded, for wa_bundle_has_board(). */
static bool decode_boards(zcbor_state_t *dec, wa_bundle_t *b)
{
    if (!zcbor_list_start_decode(dec)) {
        return false;
    }
    b->boards = dec->payload;
    if (!decode_names(dec, b, WA_BUNDLE_BOARDS_MAX, false, &b->n_boards)) {
        return false;
    }
    b->boards_len = (uint32_t)(dec->payload - b->boards);
    return b->n_boards >= 1 && zcbor_list_end_decode(dec);
}

static bool decode_module_value(zcbor_state_t *dec, wa_bundle_t *b, int key)
{
    uint32_t len;
    if (key == 1) {
        return decode_bytes(dec, b->module_sha256, WA_BUNDLE_SHA256_LEN);
    }
    return zcbor_uint32_decode(dec, &len) && len == b->module_len;
}

static bool decode_mem_value(zcbor_state_t *dec, wa_bundle_t *b, int key)
{
    uint32_t *dst[] = {&b->mem_linear, &b->mem_stack, &b->mem_heap};
    return zcbor_uint32_decode(dec, dst[key]);
}

/* "confirm": "auto" or "manual"; any other value is malformed. */
static bool decode_confirm(zcbor_state_t *dec, wa_bundle_t *b)
{
    struct zcbor_string s;
    if (!zcbor_tstr_decode(dec, &s)) {
        return false;
    }
    b->health_manual = text_is(&s, "manual");
    return b->health_manual || text_is(&s, "auto");
}

static bool decode_health_value(zcbor_state_t *dec, wa_bundle_t *b, int key)
{
    uint32_t *dst[] = {&b->health_loops, &b->health_traps, &b->health_window_ms};
    return key == 3 ? decode_confirm(dec, b) : zcbor_uint32_decode(dec, dst[key]);
}

enum manifest_key {
    K_NAME,
    K_VERSION,
    K_SEQ,
    K_BOARDS,
    K_CAPS,
    K_MODULE,
    K_MEM,
    K_ENTRY,
    K_HEALTH,
    K_KID,
    K_KV_QUOTA,
    K_COUNT_
};

#define REQUIRED_KEYS                                                                              \
    (1u << K_NAME | 1u << K_VERSION | 1u << K_SEQ | 1u << K_BOARDS | 1u << K_CAPS |                \
     1u << K_MODULE | 1u << K_KID)

static bool decode_manifest_value(zcbor_state_t *dec, wa_bundle_t *b, int key)
{
    static const char *const module_keys[] = {"len", "sha256"};
    static const char *const mem_keys[] = {"linear", "stack", "heap"};
    static const char *const health_keys[] = {"loops", "traps", "window", "confirm"};
    uint32_t seen;
    switch (key) {
    case K_NAME: return decode_text(dec, b->name, WA_BUNDLE_NAME_MAX);
    case K_VERSION: return decode_text(dec, b->version, WA_BUNDLE_VERSION_MAX);
    case K_SEQ: return zcbor_uint32_decode(dec, &b->seq);
    case K_BOARDS: return decode_boards(dec, b);
    case K_CAPS: return decode_list(dec, b, WA_BUNDLE_CAPS_MAX, true);
    case K_MODULE:
        return decode_map(dec, b, module_keys, 2, decode_module_value, &seen) && seen == 3u;
    case K_MEM: return decode_map(dec, b, mem_keys, 3, decode_mem_value, &seen);
    case K_ENTRY: return decode_list(dec, b, WA_BUNDLE_ENTRY_MAX, false);
    case K_HEALTH: return decode_map(dec, b, health_keys, 4, decode_health_value, &seen);
    case K_KID: return decode_bytes(dec, b->kid, WA_BUNDLE_KID_LEN);
    case K_KV_QUOTA: return zcbor_uint32_decode(dec, &b->kv_quota);
    default: return false;
    }
}

static bool decode_manifest(wa_bundle_t *b)
{
    static const char *const keys[K_COUNT_] = {
        [K_NAME] = "name",     [K_VERSION] = "version",  [K_SEQ] = "seq",
        [K_BOARDS] = "boards", [K_CAPS] = "caps",        [K_MODULE] = "module",
        [K_MEM] = "mem",       [K_ENTRY] = "entry",      [K_HEALTH] = "health",
        [K_KID] = "kid",       [K_KV_QUOTA] = "kv_quota"};
    uint32_t seen;
    /* Backups: the manifest's map and one map or array in it. */
    ZCBOR_STATE_D(dec, 2, b->manifest, b->manifest_len, 1, 0);
    return decode_map(dec, b, keys, K_COUNT_, decode_manifest_value, &seen) &&
           (seen & REQUIRED_KEYS) == REQUIRED_KEYS;
}

int wa_bundle_parse(const uint8_t *data, uint32_t len, wa_bundle_t *out)
{
    if (data == NULL || out == NULL || !check_layout(data, len, out) ||
        !cbor_well_formed(out->manifest, out->manifest + out->manifest_len) ||
        !decode_manifest(out)) {
        return WA_ERR_MALFORMED;
    }
    return WA_OK;
}

/* ---- key, signature, module, board, capabilities (checks 3-7) -------------------- */

static const uint8_t *find_key(const uint8_t (*trusted)[WA_BUNDLE_KEY_LEN], uint32_t n,
                               const uint8_t kid[WA_BUNDLE_KID_LEN])
{
    for (uint32_t i = 0; trusted != NULL && i < n; i++) {
        uint8_t hash[WA_SHA256_DIGEST_LEN]; /* the kid is the start of the SHA-256 */
        wa_sha256(trusted[i], WA_BUNDLE_KEY_LEN, hash);
        if (memcmp(hash, kid, WA_BUNDLE_KID_LEN) == 0) {
            return trusted[i];
        }
    }
    return NULL;
}

static bool module_matches(const wa_bundle_t *b)
{
    uint8_t digest[WA_SHA256_DIGEST_LEN];
    wa_sha256(b->module, b->module_len, digest);
    return memcmp(digest, b->module_sha256, sizeof digest) == 0;
}

int wa_bundle_verify(const uint8_t *data, uint32_t len, const uint8_t (*trusted)[WA_BUNDLE_KEY_LEN],
                     uint32_t n_trusted, const char *board, wa_bundle_t *out)
{
    int rc = wa_bundle_parse(data, len, out);
    if (rc != WA_OK) {
        return rc;
    }
    const uint8_t *key = find_key(trusted, n_trusted, out->kid);
    if (key == NULL) {
        return WA_ERR_UNTRUSTED_KEY;
    }
    /* The signed bytes are hashed where they lie (R || A || header || manifest). */
    if (!wa_ed25519_check(out->signature, key, data, WA_BUNDLE_HEADER_LEN + out->manifest_len) ||
        !module_matches(out)) {
        return WA_ERR_BAD_SIGNATURE;
    }
    if (board != NULL && !wa_bundle_has_board(out, board)) {
        return WA_ERR_WRONG_BOARD;
    }
    return out->unknown_caps ? WA_ERR_NOT_SUPPORTED : WA_OK;
}

bool wa_bundle_has_board(const wa_bundle_t *bundle, const char *board)
{
    if (bundle == NULL || board == NULL || bundle->boards == NULL) {
        return false;
    }
    size_t len = strlen(board);
    ZCBOR_STATE_D(dec, 0, bundle->boards, bundle->boards_len, bundle->n_boards, 0);
    for (uint32_t i = 0; i < bundle->n_boards; i++) {
        struct zcbor_string s;
        if (!zcbor_tstr_decode(dec, &s)) {
            return false;
        }
        if (s.len == len && memcmp(s.value, board, len) == 0) {
            return true;
        }
    }
    return false;
}
