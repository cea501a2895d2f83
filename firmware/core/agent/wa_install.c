/* wa_install.c - see wa_install.h. */
#include "wa_install.h"

#include <stdio.h>
#include <string.h>

#include "wa_apps.h"
#include "wa_bundle.h"
#include "wa_console.h"
#include "wa_err.h"
#include "wa_runtime.h"
#include "wa_sha256.h"
#include "wa_store.h"
#include "wa_trusted_keys.h"
#include "wa_wasm.h"

typedef struct upload {
    bool active;
    bool start;
    uint32_t slot;
    uint32_t off;       /* next byte expected */
    uint32_t erased_to; /* module bytes erased so far (page multiple) */
    wa_slot_meta_t meta;
    wa_sha256_ctx sha; /* over the bytes written so far */
} upload_t;

static upload_t s_up;

static void padded(char *out, size_t cap, const char *s, uint32_t len)
{
    memset(out, 0, cap);
    if (s != NULL) {
        memcpy(out, s, len < cap ? len : cap);
    }
}

static uint32_t name_len(const char *name)
{
    return (uint32_t)strnlen(name, WA_SLOT_NAME_MAX);
}

/* The meta describes the module of request r (name, length, SHA-256). */
static bool same_module(const wa_slot_meta_t *m, const wa_install_req_t *r)
{
    return name_len(m->name) == r->name_len && memcmp(m->name, r->name, r->name_len) == 0 &&
           m->module_len == r->len && memcmp(m->sha256, r->sha, sizeof m->sha256) == 0;
}

static bool slot_empty(uint32_t k)
{
    wa_slot_header_t header;
    return wa_store_header(k, &header) == WA_ERR_NOT_FOUND;
}

/* The installed app in slot matches r (same module and deploy id). */
static bool already_installed(int slot, const wa_install_req_t *r)
{
    wa_slot_header_t header;
    wa_slot_meta_t meta;
    char deploy[WA_SLOT_DEPLOY_MAX];
    padded(deploy, sizeof deploy, r->deploy, r->deploy_len);
    return slot >= 0 && wa_store_header((uint32_t)slot, &header) == WA_OK &&
           wa_store_meta((uint32_t)slot, &meta) == WA_OK && same_module(&meta, r) &&
           memcmp(meta.deploy, deploy, sizeof deploy) == 0;
}

/* An empty slot for the upload. A new app may not take the last one: it is
 * kept so that every installed app can be updated beside its running copy.
 * Prefers slots holding no partial upload. -1 when there is none. */
static int choose_slot(bool update)
{
    int clean = -1;
    int stale = -1;
    uint32_t empty = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_slot_meta_t meta;
        if (!slot_empty(k) || wa_apps_name(k) != NULL) {
            continue;
        }
        empty++;
        if (wa_store_meta(k, &meta) == WA_ERR_NOT_FOUND) {
            clean = clean < 0 ? (int)k : clean;
        } else {
            stale = stale < 0 ? (int)k : stale;
        }
    }
    if (empty == 0 || (!update && empty < 2u)) {
        return -1;
    }
    return clean >= 0 ? clean : stale;
}

/* A partial upload of r's module in flash (meta, no header), or -1. */
static int find_partial(const wa_install_req_t *r)
{
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_slot_meta_t meta;
        if (slot_empty(k) && wa_store_meta(k, &meta) == WA_OK && same_module(&meta, r)) {
            return (int)k;
        }
    }
    return -1;
}

/* Continues the partial upload in slot from its last whole page: the bytes
 * after it may be half written, so that page is erased again. */
static void resume_from_flash(uint32_t slot)
{
    memset(&s_up, 0, sizeof s_up);
    (void)wa_store_meta(slot, &s_up.meta);
    const uint8_t *module = wa_store_module_area(slot);
    uint32_t off = wa_store_progress(slot);
    off -= off % WA_STORE_PAGE;
    if (module == NULL || off > s_up.meta.module_len) {
        off = 0;
    }
    wa_sha256_init(&s_up.sha);
    wa_sha256_update(&s_up.sha, module, off);
    s_up.slot = slot;
    s_up.off = off;
    s_up.erased_to = off;
    s_up.active = true;
}

int wa_install_begin(const wa_install_req_t *r, uint32_t *next_off, bool *done)
{
    *done = false;
    *next_off = 0;
    if (r->name_len == 0 || r->len == 0) {
        return WA_ERR_INVALID_ARG;
    }
    if (r->name_len > WA_SLOT_NAME_MAX || r->deploy_len > WA_SLOT_DEPLOY_MAX ||
        r->version_len > WA_SLOT_VERSION_MAX) {
        return WA_ERR_TOO_LARGE;
    }
    if (r->len > WA_BOARD_BUDGET_MODULE_BYTES || r->len > WA_STORE_MODULE_MAX) {
        return WA_ERR_MODULE_TOO_LARGE;
    }
    if (WA_REQUIRE_SIGNED && !r->bundle) {
        return WA_ERR_UNSIGNED;
    }
    int existing = wa_apps_find(r->name, r->name_len);
    if (already_installed(existing, r)) {
        if (r->start) {
            (void)wa_apps_start((uint32_t)existing);
        }
        *done = true;
        *next_off = r->len;
        return WA_OK;
    }
    if (!(s_up.active && same_module(&s_up.meta, r))) {
        int partial = find_partial(r);
        if (partial >= 0) {
            resume_from_flash((uint32_t)partial);
            wa_console_printf("app %.*s upload resumed at %u of %u bytes (slot %u)\n",
                              (int)r->name_len, r->name, (unsigned)s_up.off, (unsigned)r->len,
                              (unsigned)partial);
        }
    }
    if (s_up.active && same_module(&s_up.meta, r)) {
        s_up.start = r->start;
        *next_off = s_up.off; /* resume: the chunk at 0 gets the offset reached */
        return WA_OK;
    }
    s_up.active = false;
    int slot = choose_slot(existing >= 0);
    if (slot < 0) {
        return WA_ERR_NO_MEMORY;
    }
    memset(&s_up, 0, sizeof s_up);
    s_up.meta.magic = WA_META_MAGIC;
    s_up.meta.module_len = r->len;
    s_up.meta.grants = r->grants;
    s_up.meta.flags = (r->start ? WA_META_START : 0u) | (r->bundle ? WA_META_BUNDLE : 0u);
    memcpy(s_up.meta.sha256, r->sha, sizeof s_up.meta.sha256);
    padded(s_up.meta.name, sizeof s_up.meta.name, r->name, r->name_len);
    padded(s_up.meta.deploy, sizeof s_up.meta.deploy, r->deploy, r->deploy_len);
    padded(s_up.meta.version, sizeof s_up.meta.version, r->version, r->version_len);
    int rc = wa_store_begin((uint32_t)slot, &s_up.meta);
    if (rc != WA_OK) {
        return rc;
    }
    wa_sha256_init(&s_up.sha);
    s_up.slot = (uint32_t)slot;
    s_up.start = r->start;
    s_up.active = true;
    wa_console_printf("app %.*s upload to slot %u (%u bytes)\n", (int)r->name_len, r->name,
                      (unsigned)slot, (unsigned)r->len);
    return WA_OK;
}

/* Ends the upload without installing it: the slot is emptied. */
static int refuse(int rc, const char *why)
{
    wa_console_printf("app %.*s refused: %s\n", (int)name_len(s_up.meta.name), s_up.meta.name, why);
    (void)wa_store_erase_header(s_up.slot);
    return rc;
}

static uint32_t next_generation(void)
{
    uint32_t newest = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_slot_header_t header;
        if (wa_store_header(k, &header) == WA_OK && header.generation != 0xFFFFFFFFu &&
            header.generation > newest) {
            newest = header.generation;
        }
    }
    return newest + 1u;
}

/* Retires the older copy `old` of the app just installed in slot `now`. */
static void retire(uint32_t old, uint32_t now)
{
    (void)wa_apps_stop(old);
    wa_apps_forget(old);
    if (wa_store_erase_header(old) == WA_OK) {
        wa_console_printf("slot %u retired: its app was updated in slot %u\n", (unsigned)old,
                          (unsigned)now);
    }
}

/* ---- the metered image ---------------------------------------------------- */

/* The metering rewrite streams small pieces: gather them into flash-sized writes. */
typedef struct image_sink {
    uint32_t at; /* module-area offset of buf[0] */
    uint32_t used;
    uint8_t buf[256];
} image_sink_t;

static int sink_flush(image_sink_t *k)
{
    int rc = k->used == 0
                 ? WA_OK
                 : wa_store_write_module(s_up.slot, k->at, k->buf, k->used, &s_up.erased_to);
    k->at += k->used;
    k->used = 0;
    return rc;
}

static int sink_put(void *ctx, const uint8_t *data, uint32_t len)
{
    image_sink_t *k = (image_sink_t *)ctx;
    while (len > 0) {
        uint32_t n = (uint32_t)sizeof k->buf - k->used;
        n = n < len ? n : len;
        memcpy(k->buf + k->used, data, n);
        k->used += n;
        data += n;
        len -= n;
        if (k->used == sizeof k->buf) {
            int rc = sink_flush(k);
            if (rc != WA_OK) {
                return rc;
            }
        }
    }
    return WA_OK;
}

/* Meters the module into the slot after it, so that the app runs from flash
 * with no copy in RAM. Fills the header's image fields, or leaves them at
 * WA_SLOT_NO_IMAGE when the image does not fit the slot (the runtime then
 * meters a copy in RAM at each load, as for preloaded apps). */
static void write_image(const uint8_t *area, wa_slot_header_t *header)
{
    static image_sink_t sink;
    char msg[64];
    uint32_t len = 0;
    uint32_t at = WA_STORE_IMAGE_OFFSET(header);
    const uint8_t *module = area + header->module_off;
    header->image_len = WA_SLOT_NO_IMAGE;
    header->image_crc32 = 0xFFFFFFFFu;
    if (wa_wasm_meter_size(module, header->module_len, &len, msg, sizeof msg) != WA_OK ||
        at > WA_STORE_MODULE_MAX || len > WA_STORE_MODULE_MAX - at) {
        return;
    }
    memset(&sink, 0, sizeof sink);
    sink.at = at;
    uint32_t written = 0;
    int rc =
        wa_wasm_meter_to(module, header->module_len, sink_put, &sink, &written, msg, sizeof msg);
    if (rc == WA_OK) {
        rc = sink_flush(&sink);
    }
    if (rc != WA_OK || written != len) {
        wa_console_printf("app %.*s: no metered image (%s)\n", (int)name_len(header->name),
                          header->name, msg);
        return;
    }
    header->image_len = len;
    header->image_crc32 = wa_crc32(area + at, len);
}

/* What finish() installs: the uploaded bytes, or the module inside a bundle. */
typedef struct payload {
    uint32_t off; /* in the module area */
    uint32_t len;
    uint32_t grants;
    uint32_t seq;
} payload_t;

static const char *bundle_refusal(int rc)
{
    switch (rc) {
    case WA_ERR_UNTRUSTED_KEY: return "bundle signed by a key this device does not trust";
    case WA_ERR_BAD_SIGNATURE: return "bundle signature or module hash does not verify";
    case WA_ERR_WRONG_BOARD: return "bundle is not for this board";
    case WA_ERR_NOT_SUPPORTED: return "bundle grants a capability this firmware lacks";
    default: return "not a valid bundle";
    }
}

/* Verifies a bundle in flash (ota/FORMAT.md) and finds its module; refuses a
 * bundle for another app or with a lower security counter than the installed
 * app's (anti-rollback). */
static int open_bundle(const uint8_t *area, payload_t *p)
{
    static wa_bundle_t b; /* 1.7 KiB of stack go to the signature check already */
    static char why[96];
    const wa_slot_meta_t *m = &s_up.meta;
    int rc = wa_bundle_verify(area, m->module_len, wa_trusted_keys, WA_TRUSTED_KEY_COUNT,
                              WA_BOARD_NAME, &b);
    if (rc != WA_OK) {
        return refuse(rc, bundle_refusal(rc));
    }
    if (strncmp(b.name, m->name, sizeof m->name) != 0) {
        snprintf(why, sizeof why, "the bundle is for app %s", b.name);
        return refuse(WA_ERR_INVALID_ARG, why);
    }
    int old = wa_apps_find(m->name, name_len(m->name));
    wa_slot_header_t installed;
    if (old >= 0 && wa_store_header((uint32_t)old, &installed) == WA_OK && b.seq < installed.seq) {
        snprintf(why, sizeof why, "security counter %u is below the installed %u (rollback)",
                 (unsigned)b.seq, (unsigned)installed.seq);
        return refuse(WA_ERR_ROLLBACK, why);
    }
    p->off = (uint32_t)(b.module - area);
    p->len = b.module_len;
    p->grants = b.caps;
    p->seq = b.seq;
    return WA_OK;
}

/* All bytes are in flash: check them, write the header, switch over. */
static int finish(void)
{
    uint8_t digest[WA_SHA256_DIGEST_LEN];
    const wa_slot_meta_t *m = &s_up.meta;
    wa_sha256_final(&s_up.sha, digest);
    if (memcmp(digest, m->sha256, sizeof digest) != 0) {
        return refuse(WA_ERR_MALFORMED, "SHA-256 of the uploaded bytes does not match");
    }
    const uint8_t *area = wa_store_module_area(s_up.slot);
    if (area == NULL) {
        return refuse(WA_ERR_NOT_SUPPORTED, "no memory-mapped flash");
    }
    payload_t p = {0, m->module_len, m->grants, 0};
    if (m->flags & WA_META_BUNDLE) {
        int rc = open_bundle(area, &p);
        if (rc != WA_OK) {
            return rc;
        }
    }
    const uint8_t *module = area + p.off;
    wa_budget_t budget = {WA_BOARD_BUDGET_MODULE_BYTES, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES,
                          WA_BOARD_BUDGET_STACK_BYTES, WA_BOARD_BUDGET_HEAP_BYTES,
                          WA_BOARD_BUDGET_CPU_TICKS};
    wa_error_t err;
    int rc = wa_check_fit(&budget, module, p.len, NULL, &err);
    if (rc == WA_OK) {
        rc = wa_check_imports(p.grants, module, p.len, &err);
    }
    if (rc != WA_OK) {
        return refuse(rc, err.message);
    }
    wa_slot_header_t header;
    memset(&header, 0, sizeof header);
    header.magic = WA_SLOT_MAGIC;
    header.version = WA_SLOT_VERSION;
    header.header_size = sizeof header;
    header.module_len = p.len;
    header.grants = p.grants;
    header.cpu_ticks = WA_SLOT_TICKS_DEFAULT;
    header.module_crc32 = wa_crc32(module, p.len);
    memcpy(header.name, m->name, sizeof header.name);
    header.generation = next_generation();
    header.module_off = p.off;
    header.seq = p.seq;
    header.reserved = 0xFFFFFFFFu;
    write_image(area, &header);
    int old = wa_apps_find(m->name, name_len(m->name));
    rc = wa_store_install(s_up.slot, &header);
    if (rc == WA_OK && !s_up.start) {
        rc = wa_store_set_state(s_up.slot, WA_SLOT_STOPPED);
    }
    if (rc != WA_OK) {
        return refuse(rc, "flash write failed");
    }
    char image[64] = "";
    if (header.image_len != WA_SLOT_NO_IMAGE) {
        snprintf(image, sizeof image, ", metered image %u bytes", (unsigned)header.image_len);
    }
    if (m->flags & WA_META_BUNDLE) {
        snprintf(image + strlen(image), sizeof image - strlen(image), ", bundle seq %u",
                 (unsigned)p.seq);
    }
    wa_console_printf("app %.*s installed (%u bytes, slot %u%s)\n", (int)name_len(m->name), m->name,
                      (unsigned)p.len, (unsigned)s_up.slot, image);
    if (old >= 0) {
        retire((uint32_t)old, s_up.slot);
    }
    (void)wa_apps_load(s_up.slot, s_up.start);
    return WA_OK;
}

int wa_install_chunk(uint32_t off, const uint8_t *data, uint32_t len, uint32_t *next_off,
                     bool *done)
{
    *done = false;
    *next_off = s_up.active ? s_up.off : 0u; /* no upload: start again from 0 */
    if (!s_up.active || off != s_up.off) {
        return WA_OK;
    }
    if (len > s_up.meta.module_len - s_up.off) {
        s_up.active = false;
        return WA_ERR_INVALID_ARG;
    }
    int rc = wa_store_write_module(s_up.slot, s_up.off, data, len, &s_up.erased_to);
    if (rc != WA_OK) {
        s_up.active = false;
        return rc;
    }
    wa_sha256_update(&s_up.sha, data, len);
    uint32_t before = s_up.off;
    s_up.off += len;
    if (s_up.off / WA_STORE_PAGE != before / WA_STORE_PAGE) {
        wa_store_set_progress(s_up.slot, s_up.off - s_up.off % WA_STORE_PAGE);
    }
    *next_off = s_up.off;
    if (s_up.off < s_up.meta.module_len) {
        return WA_OK;
    }
    s_up.active = false;
    rc = finish();
    *done = rc == WA_OK;
    return rc;
}

void wa_install_forget(const char *name, uint32_t len)
{
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_slot_meta_t meta;
        if (slot_empty(k) && wa_store_meta(k, &meta) == WA_OK && name_len(meta.name) == len &&
            memcmp(meta.name, name, len) == 0) {
            (void)wa_store_erase_header(k);
            if (s_up.slot == k) {
                s_up.active = false;
            }
        }
    }
}

void wa_install_settle(void)
{
    for (uint32_t a = 0; a < WA_STORE_SLOTS; a++) {
        for (uint32_t b = a + 1u; b < WA_STORE_SLOTS; b++) {
            wa_slot_header_t ha;
            wa_slot_header_t hb;
            if (wa_store_header(a, &ha) != WA_OK || wa_store_header(b, &hb) != WA_OK ||
                strncmp(ha.name, hb.name, WA_SLOT_NAME_MAX) != 0) {
                continue;
            }
            uint32_t older = ha.generation < hb.generation ? a : b;
            uint32_t newer = older == a ? b : a;
            if (wa_store_erase_header(older) == WA_OK) {
                wa_console_printf("slot %u retired: its app was updated in slot %u\n",
                                  (unsigned)older, (unsigned)newer);
            }
        }
    }
}
