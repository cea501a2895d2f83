/* wa_install.c - see wa_install.h. */
#include "wa_install.h"

#include <stdio.h>
#include <string.h>

#include "wa_agent_config.h"
#include "wa_aot.h"
#include "wa_bundle.h"
#include "wa_console.h"
#include "wa_err.h"
#include "wa_lifecycle.h"
#include "wa_runtime.h"
#include "wa_sha256.h"
#include "wa_store.h"
#include "wa_trusted_keys.h"
#include "wa_wasm.h"

typedef struct upload {
    bool active;
    bool start;
    bool bundle; /* what the request that began or resumed it says, never the meta's flag */
    uint32_t slot;
    uint32_t off;       /* next byte expected */
    uint32_t erased_to; /* module bytes erased so far (page multiple) */
    uint32_t kv_quota;  /* the request's (a bundle carries its own) */
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

/* The installed version of r's app with r's module and deploy id, or -1. */
static int find_installed(const wa_install_req_t *r)
{
    char deploy[WA_SLOT_DEPLOY_MAX];
    padded(deploy, sizeof deploy, r->deploy, r->deploy_len);
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_slot_meta_t meta;
        if (wa_life_info(k) != NULL && wa_store_meta(k, &meta) == WA_OK && same_module(&meta, r) &&
            memcmp(meta.deploy, deploy, sizeof deploy) == 0) {
            return (int)k;
        }
    }
    return -1;
}

/* The identical module is installed in slot k: start it, or begin a new
 * trial of a version that is not confirmed, when r asks to start. */
static int answer_installed(uint32_t k, const wa_install_req_t *r, wa_install_res_t *res)
{
    const wa_life_info_t *s = wa_life_info(k);
    int rc = WA_OK;
    res->done = true;
    res->next_off = r->len;
    if (s->life == WA_LIFE_TRIAL) {
        res->trial = true;
    } else if (r->start && s->life == WA_LIFE_CONFIRMED) {
        rc = wa_life_start(r->name, r->name_len);
        res->unchanged = true;
    } else if (r->start) {
        rc = wa_life_retry(k);
        res->trial = rc == WA_OK;
    } else {
        res->unchanged = true;
    }
    return rc;
}

/* A partial upload of r's module in flash (meta, no header), or -1. One
 * whose install was cut between its header and its commit word starts over. */
static int find_partial(const wa_install_req_t *r)
{
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_slot_meta_t meta;
        if (wa_life_info(k) == NULL && wa_store_meta(k, &meta) == WA_OK && same_module(&meta, r) &&
            wa_store_header_unwritten(k)) {
            return (int)k;
        }
    }
    return -1;
}

/* Continues the partial upload in slot from its last whole page before the
 * end: the bytes after it may be half written, so that page is erased
 * again (and the last page is always written again, so that the install
 * runs: a cut may have come after the last byte and before the header). */
static void resume_from_flash(uint32_t slot)
{
    memset(&s_up, 0, sizeof s_up);
    (void)wa_store_meta(slot, &s_up.meta);
    const uint8_t *module = wa_store_module_area(slot);
    uint32_t len = s_up.meta.module_len;
    uint32_t off = wa_store_progress(slot);
    off -= off % WA_STORE_PAGE;
    if (module == NULL || off > len) {
        off = 0;
    }
    if (off == len) {
        off = (len - 1u) - (len - 1u) % WA_STORE_PAGE;
    }
    wa_sha256_init(&s_up.sha);
    wa_sha256_update(&s_up.sha, module, off);
    s_up.slot = slot;
    s_up.off = off;
    s_up.erased_to = off;
    s_up.active = true;
}

static int check_request(const wa_install_req_t *r)
{
    if (r->name_len == 0 || r->len == 0) {
        return WA_ERR_INVALID_ARG;
    }
    if (r->name_len > WA_SLOT_NAME_MAX || r->deploy_len > WA_SLOT_DEPLOY_MAX ||
        r->version_len > WA_SLOT_VERSION_MAX) {
        return WA_ERR_TOO_LARGE;
    }
    if (r->len > WA_STORE_MODULE_MAX || (!r->bundle && r->len > WA_BOARD_BUDGET_MODULE_BYTES)) {
        return WA_ERR_MODULE_TOO_LARGE;
    }
    if (WA_REQUIRE_SIGNED && !r->bundle) {
        return WA_ERR_UNSIGNED;
    }
    /* a bundle's counter is checked once its manifest is verified */
    return wa_life_check_upload(r->name, r->name_len, r->bundle, 0xFFFFFFFFu);
}

/* Starts a new upload of r into a free slot. */
static int begin_new(const wa_install_req_t *r)
{
    int slot = wa_life_choose_slot(r->name, r->name_len);
    if (slot < 0) {
        return WA_ERR_NO_MEMORY;
    }
    int rc = wa_life_reclaim((uint32_t)slot);
    if (rc != WA_OK) {
        return rc;
    }
    memset(&s_up, 0, sizeof s_up);
    s_up.meta.magic = WA_META_MAGIC;
    s_up.meta.module_len = r->len;
    s_up.meta.grants = r->grants;
    s_up.kv_quota = r->kv_quota;
    s_up.meta.flags = (r->start ? WA_META_START : 0u) | (r->bundle ? WA_META_BUNDLE : 0u);
    memcpy(s_up.meta.sha256, r->sha, sizeof s_up.meta.sha256);
    padded(s_up.meta.name, sizeof s_up.meta.name, r->name, r->name_len);
    padded(s_up.meta.deploy, sizeof s_up.meta.deploy, r->deploy, r->deploy_len);
    padded(s_up.meta.version, sizeof s_up.meta.version, r->version, r->version_len);
    rc = wa_store_begin((uint32_t)slot, &s_up.meta);
    if (rc != WA_OK) {
        return rc;
    }
    wa_sha256_init(&s_up.sha);
    s_up.slot = (uint32_t)slot;
    s_up.start = r->start;
    s_up.bundle = r->bundle;
    s_up.active = true;
    wa_console_printf("app %.*s upload to slot %u (%u bytes)\n", (int)r->name_len, r->name,
                      (unsigned)slot, (unsigned)r->len);
    return WA_OK;
}

int wa_install_begin(const wa_install_req_t *r, wa_install_res_t *res)
{
    memset(res, 0, sizeof *res);
    int rc = check_request(r);
    int installed = find_installed(r);
    if (installed >= 0 && (rc == WA_OK || rc == WA_ERR_BAD_STATE)) {
        return answer_installed((uint32_t)installed, r, res);
    }
    if (rc != WA_OK) {
        return rc;
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
        /* a partial upload left by other firmware or another peer: its stored
         * flags and grants are not trusted, this request (checked above) says
         * what the bytes are, and finish() checks them as such */
        s_up.start = r->start;
        s_up.bundle = r->bundle;
        s_up.meta.grants = r->grants;
        s_up.kv_quota = r->kv_quota;
        res->next_off = s_up.off; /* resume: the chunk at 0 gets the offset reached */
        return WA_OK;
    }
    s_up.active = false;
    return begin_new(r);
}

/* Ends the upload without installing it: the slot is emptied. */
static int refuse(int rc, const char *why)
{
    wa_console_printf("app %.*s refused: %s\n", (int)name_len(s_up.meta.name), s_up.meta.name, why);
    (void)wa_store_erase_header(s_up.slot);
    return rc;
}

/* ---- the checks ----------------------------------------------------------- */

static const wa_budget_t k_budget = {
    WA_BOARD_BUDGET_MODULE_BYTES, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES, WA_BOARD_BUDGET_STACK_BYTES,
    WA_BOARD_BUDGET_HEAP_BYTES, WA_BOARD_BUDGET_CPU_TICKS};
static wa_error_t s_err; /* the checks' refusal (static: stack is scarce here) */

/* What finish() installs: the uploaded bytes, or the module inside a bundle. */
typedef struct payload {
    uint32_t off; /* in the module area */
    uint32_t len;
    uint32_t grants;
    uint32_t seq;
    uint32_t flags; /* WA_SLOT_F_* */
    uint32_t loops, traps, window_ms;
    uint32_t kv_quota;
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
 * bundle for another app or with a security counter below the highest ever
 * installed for the app (anti-rollback, which survives removal). */
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
    rc = wa_life_check_upload(m->name, name_len(m->name), 1, b.seq);
    if (rc != WA_OK) {
        snprintf(why, sizeof why, "security counter %u is below one installed before (rollback)",
                 (unsigned)b.seq);
        return refuse(rc, rc == WA_ERR_ROLLBACK ? why : "a version of the app is on trial");
    }
    p->off = (uint32_t)(b.module - area);
    p->len = b.module_len;
    p->grants = b.caps;
    p->seq = b.seq;
    p->flags = WA_SLOT_F_SIGNED | (b.health_manual ? WA_SLOT_F_MANUAL : 0u);
    p->loops = b.health_loops;
    p->traps = b.health_traps;
    p->window_ms = b.health_window_ms;
    p->kv_quota = b.kv_quota;
    return WA_OK;
}

/* The header of the payload in the upload's slot. The app runs from the
 * module's bytes in place: there is no metered image (an earlier firmware
 * wrote one after the module, and this one still runs it, wa_runner.c). */
static void fill_header(wa_slot_header_t *h, const payload_t *p, const uint8_t *module)
{
    memset(h, 0, sizeof *h);
    h->image_len = WA_SLOT_NO_IMAGE;
    h->image_crc32 = 0xFFFFFFFFu;
    h->magic = WA_SLOT_MAGIC;
    h->version = WA_SLOT_VERSION;
    h->header_size = sizeof *h;
    h->module_len = p->len;
    h->grants = p->grants;
    h->cpu_ticks = WA_SLOT_TICKS_DEFAULT;
    h->module_crc32 = wa_crc32(module, p->len);
    memcpy(h->name, s_up.meta.name, sizeof h->name);
    h->generation = wa_life_next_generation();
    h->module_off = p->off;
    h->seq = p->seq;
    h->flags = p->flags;
    h->health_loops = (uint16_t)(p->loops > 0xFFFFu ? 0xFFFFu : p->loops);
    h->health_traps = (uint16_t)(p->traps > 0xFFFFu ? 0xFFFFu : p->traps);
    h->health_window_ms = p->window_ms;
    h->kv_quota = p->kv_quota;
}

/* The module's own checks: fit and imports against its grants. The fit's
 * check (wa_check_image, validation included) is done here once: its word in
 * the header (*checked) lets every load skip the validator, the slot's CRC-32
 * showing the bytes unchanged (docs/architecture.md, "Cold start"). */
static int check_module(const uint8_t *module, const payload_t *p, uint32_t *checked)
{
    *checked = 0;
    int rc = p->len > k_budget.module_bytes
                 ? wa_check_fit(&k_budget, module, p->len, NULL, &s_err)
                 : wa_check_image(&k_budget, module, p->len, checked, &s_err);
    if (rc == WA_OK) {
        rc = wa_check_imports(p->grants, module, p->len, &s_err);
    }
    return rc == WA_OK ? WA_OK : refuse(rc, s_err.message);
}

static void print_installed(const wa_slot_header_t *h, const payload_t *p)
{
    char image[32] = "";
    if (p->flags & WA_SLOT_F_SIGNED) {
        snprintf(image, sizeof image, ", bundle seq %u", (unsigned)p->seq);
    }
    wa_console_printf("app %.*s installed (%u bytes, slot %u%s)\n", (int)name_len(h->name), h->name,
                      (unsigned)p->len, (unsigned)s_up.slot, image);
}

/* All bytes are in flash: check them, record the security counter, write
 * the header and its commit word; the lifecycle takes it from there. */
static int finish(wa_install_res_t *res)
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
    if (WA_REQUIRE_SIGNED && !s_up.bundle) {
        return refuse(WA_ERR_UNSIGNED, "this device installs signed bundles only");
    }
    if (!s_up.bundle && m->module_len > WA_BOARD_BUDGET_MODULE_BYTES) {
        return refuse(WA_ERR_MODULE_TOO_LARGE, "module above the board's limit");
    }
    payload_t p = {0, m->module_len, m->grants, 0, 0, WA_AGENT_HEALTH_LOOPS, 0, 0, s_up.kv_quota};
    uint32_t checked = 0;
    int rc = s_up.bundle ? open_bundle(area, &p) : WA_OK;
    if (rc == WA_OK) {
        rc = check_module(area + p.off, &p, &checked);
    }
    if (rc != WA_OK) {
        return rc;
    }
    if ((p.flags & WA_SLOT_F_SIGNED) &&
        (rc = wa_life_note_seq(m->name, name_len(m->name), p.seq)) != WA_OK) {
        return refuse(rc, "no room to keep another app's security counter");
    }
    static wa_slot_header_t header;
    fill_header(&header, &p, area + p.off);
    header.flags |= WA_SLOT_F_CHECKED(checked);
    rc = wa_store_install(s_up.slot, &header);
    if (rc != WA_OK) {
        return refuse(rc, "flash write failed");
    }
    print_installed(&header, &p);
    res->trial = s_up.start;
    return wa_life_installed(s_up.slot, s_up.start);
}

int wa_install_chunk(uint32_t off, const uint8_t *data, uint32_t len, wa_install_res_t *res)
{
    res->done = false;
    res->next_off = s_up.active ? s_up.off : 0u; /* no upload: start again from 0 */
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
    res->next_off = s_up.off;
    if (s_up.off < s_up.meta.module_len) {
        return WA_OK;
    }
    s_up.active = false;
    rc = finish(res);
    res->done = rc == WA_OK;
    return rc;
}

void wa_install_forget(const char *name, uint32_t len)
{
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_slot_meta_t meta;
        if (wa_life_info(k) == NULL && wa_store_meta(k, &meta) == WA_OK &&
            name_len(meta.name) == len && memcmp(meta.name, name, len) == 0) {
            (void)wa_store_erase_header(k);
            if (s_up.slot == k) {
                s_up.active = false;
            }
        }
    }
}
