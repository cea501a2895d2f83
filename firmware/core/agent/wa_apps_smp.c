/*
 * wa_apps_smp.c - the SMP wasm-app group (64): upload, list, start, stop,
 * remove (docs/protocol.md). Lives with the agent: it drives the agent's
 * app table (wa_apps.h) and the slots in flash (wa_store.h).
 *
 * Upload streams offset-driven chunks into a slot's flash (pages erased
 * ahead of the write offset) and hashes them as they arrive; at the end it
 * checks the SHA-256, runs the runtime's fit and import checks on the bytes
 * in flash, and writes the slot header last. One upload at a time; its
 * progress is kept in RAM (a reset restarts it from 0).
 */
#include <stdbool.h>
#include <string.h>

#include "wa_apps.h"
#include "wa_console.h"
#include "wa_err.h"
#include "wa_runtime.h"
#include "wa_sha256.h"
#include "wa_smp.h"
#include "wa_store.h"
#include "zcbor_decode.h"
#include "zcbor_encode.h"

enum wa_smp_app_cmd {
    WA_SMP_APP_UPLOAD = 0,
    WA_SMP_APP_LIST = 1,
    WA_SMP_APP_START = 2,
    WA_SMP_APP_STOP = 3,
    WA_SMP_APP_REMOVE = 4,
};

/* ---- request ----------------------------------------------------------------- */

enum {
    HAVE_OFF = 1u << 0,
    HAVE_DATA = 1u << 1,
    HAVE_LEN = 1u << 2,
    HAVE_SHA = 1u << 3,
    HAVE_NAME = 1u << 4,
    HAVE_DEPLOY = 1u << 5,
    HAVE_GRANTS = 1u << 6,
    HAVE_FIRST = HAVE_LEN | HAVE_SHA | HAVE_NAME,
};

typedef struct app_req {
    unsigned have;
    uint32_t off;
    uint32_t len;
    uint32_t grants;
    bool start;
    struct zcbor_string data;
    struct zcbor_string sha;
    struct zcbor_string name;
    struct zcbor_string deploy;
} app_req_t;

static bool key_is(const struct zcbor_string *k, const char *lit)
{
    return k->len == strlen(lit) && memcmp(k->value, lit, k->len) == 0;
}

/* Decodes the request map; unknown keys are skipped. */
static bool parse(const wa_smp_call_t *call, app_req_t *r)
{
    memset(r, 0, sizeof *r);
    ZCBOR_STATE_D(dec, 2, call->body, call->body_len, 1, 0);
    if (!zcbor_map_start_decode(dec)) {
        return false;
    }
    while (!zcbor_array_at_end(dec)) {
        struct zcbor_string k;
        bool ok;
        if (!zcbor_tstr_decode(dec, &k)) {
            return false;
        }
        if (key_is(&k, "off")) {
            ok = zcbor_uint32_decode(dec, &r->off);
            r->have |= HAVE_OFF;
        } else if (key_is(&k, "data")) {
            ok = zcbor_bstr_decode(dec, &r->data);
            r->have |= HAVE_DATA;
        } else if (key_is(&k, "len")) {
            ok = zcbor_uint32_decode(dec, &r->len);
            r->have |= HAVE_LEN;
        } else if (key_is(&k, "sha")) {
            ok = zcbor_bstr_decode(dec, &r->sha);
            r->have |= HAVE_SHA;
        } else if (key_is(&k, "name")) {
            ok = zcbor_tstr_decode(dec, &r->name);
            r->have |= HAVE_NAME;
        } else if (key_is(&k, "deploy")) {
            ok = zcbor_tstr_decode(dec, &r->deploy);
            r->have |= HAVE_DEPLOY;
        } else if (key_is(&k, "grants")) {
            ok = zcbor_uint32_decode(dec, &r->grants);
            r->have |= HAVE_GRANTS;
        } else if (key_is(&k, "start")) {
            ok = zcbor_bool_decode(dec, &r->start);
        } else {
            ok = zcbor_any_skip(dec, NULL);
        }
        if (!ok) {
            return false;
        }
    }
    return zcbor_map_end_decode(dec);
}

/* ---- responses ----------------------------------------------------------------- */

static int result(bool ok)
{
    return ok ? WA_SMP_RC_OK : WA_SMP_RC_EMSGSIZE;
}

/* {"err": {"group": 64, "rc": rc}}: an SMP v2 group error. */
static int write_err(wa_smp_call_t *call, int rc)
{
    zcbor_state_t *e = call->enc;
    return result(zcbor_tstr_put_lit(e, "err") && zcbor_map_start_encode(e, 2) &&
                  zcbor_tstr_put_lit(e, "group") && zcbor_uint32_put(e, WA_SMP_GROUP_APP) &&
                  zcbor_tstr_put_lit(e, "rc") && zcbor_int32_put(e, rc) &&
                  zcbor_map_end_encode(e, 2));
}

static int write_off(wa_smp_call_t *call, uint32_t off, bool done)
{
    zcbor_state_t *e = call->enc;
    bool ok = zcbor_tstr_put_lit(e, "off") && zcbor_uint32_put(e, off);
    if (ok && done) {
        ok = zcbor_tstr_put_lit(e, "done") && zcbor_bool_put(e, true);
    }
    return result(ok);
}

/* ---- upload ---------------------------------------------------------------------- */

typedef struct upload {
    bool active;
    bool start;
    uint32_t slot;
    uint32_t len;
    uint32_t off;       /* next byte expected */
    uint32_t erased_to; /* module bytes erased so far (page multiple) */
    uint32_t grants;
    char name[WA_SLOT_NAME_MAX];
    uint32_t name_len;
    wa_slot_meta_t meta; /* sha256 expected, deploy id */
    wa_sha256_ctx sha;   /* over the bytes written so far */
} upload_t;

static upload_t s_up;

static bool same_name(const struct zcbor_string *name)
{
    return name->len == s_up.name_len && memcmp(name->value, s_up.name, name->len) == 0;
}

static void padded(char *out, size_t cap, const struct zcbor_string *s)
{
    memset(out, 0, cap);
    memcpy(out, s->value, s->len < cap ? s->len : cap);
}

/* The installed app in slot matches this first chunk (same sha, deploy, len). */
static bool already_installed(int slot, const app_req_t *r)
{
    wa_slot_header_t header;
    wa_slot_meta_t meta;
    char deploy[WA_SLOT_DEPLOY_MAX];
    padded(deploy, sizeof deploy, &r->deploy);
    return slot >= 0 && wa_store_header((uint32_t)slot, &header) == WA_OK &&
           wa_store_meta((uint32_t)slot, &meta) == WA_OK && header.module_len == r->len &&
           memcmp(meta.sha256, r->sha.value, sizeof meta.sha256) == 0 &&
           memcmp(meta.deploy, deploy, sizeof deploy) == 0;
}

/* Same name's slot (the app is unloaded), else the first empty one. */
static int choose_slot(int existing)
{
    wa_slot_header_t header;
    if (existing >= 0) {
        (void)wa_apps_stop((uint32_t)existing);
        wa_apps_forget((uint32_t)existing);
        return existing;
    }
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        if (wa_apps_name(k) == NULL && wa_store_header(k, &header) == WA_ERR_NOT_FOUND) {
            return (int)k;
        }
    }
    return -1;
}

/* A first chunk: idempotent answer, resume, or a new upload. Returns an
 * agent_err; *answered when the response is already written. */
static int upload_begin(wa_smp_call_t *call, const app_req_t *r, bool *answered)
{
    *answered = false;
    if (r->sha.len != WA_SHA256_DIGEST_LEN || r->name.len == 0 || r->len == 0) {
        return WA_ERR_INVALID_ARG;
    }
    if (r->name.len > WA_SLOT_NAME_MAX || r->deploy.len > WA_SLOT_DEPLOY_MAX) {
        return WA_ERR_TOO_LARGE;
    }
    if (r->len > WA_BOARD_BUDGET_MODULE_BYTES || r->len > WA_STORE_MODULE_MAX) {
        return WA_ERR_MODULE_TOO_LARGE;
    }
    int existing = wa_apps_find((const char *)r->name.value, r->name.len);
    if (already_installed(existing, r)) {
        if (r->start) {
            (void)wa_apps_start((uint32_t)existing);
        }
        *answered = true;
        return write_off(call, r->len, true) == WA_SMP_RC_OK ? WA_OK : WA_ERR_TOO_LARGE;
    }
    if (s_up.active && same_name(&r->name) && s_up.len == r->len &&
        memcmp(s_up.meta.sha256, r->sha.value, WA_SHA256_DIGEST_LEN) == 0) {
        return WA_OK; /* resume: the chunk at 0 gets the offset reached */
    }
    s_up.active = false;
    int slot = choose_slot(existing);
    if (slot < 0) {
        return WA_ERR_NO_MEMORY; /* every slot holds another app */
    }
    int rc = wa_store_erase_header((uint32_t)slot);
    if (rc != WA_OK) {
        return rc;
    }
    memset(&s_up, 0, sizeof s_up);
    s_up.slot = (uint32_t)slot;
    s_up.len = r->len;
    s_up.start = r->start;
    s_up.grants = r->have & HAVE_GRANTS ? r->grants : WA_CAP_ALL;
    memcpy(s_up.name, r->name.value, r->name.len);
    s_up.name_len = (uint32_t)r->name.len;
    memcpy(s_up.meta.sha256, r->sha.value, WA_SHA256_DIGEST_LEN);
    padded(s_up.meta.deploy, sizeof s_up.meta.deploy, &r->deploy);
    wa_sha256_init(&s_up.sha);
    s_up.active = true;
    wa_console_printf("app %.*s upload to slot %u (%u bytes)\n", (int)s_up.name_len, s_up.name,
                      (unsigned)slot, (unsigned)s_up.len);
    return WA_OK;
}

static int refuse(int rc, const char *why)
{
    wa_console_printf("app %.*s refused: %s\n", (int)s_up.name_len, s_up.name, why);
    return rc;
}

/* All bytes are in flash: check them, then write the header. */
static int upload_finish(void)
{
    uint8_t digest[WA_SHA256_DIGEST_LEN];
    wa_sha256_final(&s_up.sha, digest);
    if (memcmp(digest, s_up.meta.sha256, sizeof digest) != 0) {
        return refuse(WA_ERR_MALFORMED, "SHA-256 of the uploaded bytes does not match");
    }
    const uint8_t *module = wa_store_module_area(s_up.slot);
    if (module == NULL) {
        return refuse(WA_ERR_NOT_SUPPORTED, "no memory-mapped flash");
    }
    wa_budget_t budget = {WA_BOARD_BUDGET_MODULE_BYTES, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES,
                          WA_BOARD_BUDGET_STACK_BYTES, WA_BOARD_BUDGET_HEAP_BYTES,
                          WA_BOARD_BUDGET_CPU_TICKS};
    wa_error_t err;
    int rc = wa_check_fit(&budget, module, s_up.len, NULL, &err);
    if (rc == WA_OK) {
        rc = wa_check_imports(s_up.grants, module, s_up.len, &err);
    }
    if (rc != WA_OK) {
        return refuse(rc, err.message);
    }
    wa_slot_header_t header;
    memset(&header, 0, sizeof header);
    header.magic = WA_SLOT_MAGIC;
    header.version = WA_SLOT_VERSION;
    header.header_size = sizeof header;
    header.module_len = s_up.len;
    header.grants = s_up.grants;
    header.cpu_ticks = WA_SLOT_TICKS_DEFAULT;
    header.module_crc32 = wa_crc32(module, s_up.len);
    memcpy(header.name, s_up.name, s_up.name_len);
    header.reserved[0] = 0xFFFFFFFFu;
    header.reserved[1] = 0xFFFFFFFFu;
    rc = wa_store_install(s_up.slot, &header, &s_up.meta);
    if (rc != WA_OK) {
        return refuse(rc, "flash write failed");
    }
    wa_console_printf("app %.*s installed (%u bytes, slot %u)\n", (int)s_up.name_len, s_up.name,
                      (unsigned)s_up.len, (unsigned)s_up.slot);
    (void)wa_apps_load(s_up.slot, s_up.start);
    return WA_OK;
}

static int app_upload(wa_smp_call_t *call)
{
    app_req_t r;
    if (!parse(call, &r) || !(r.have & HAVE_OFF)) {
        return WA_SMP_RC_EINVAL;
    }
    if (r.off == 0 && (r.have & HAVE_FIRST) == HAVE_FIRST) {
        bool answered;
        int rc = upload_begin(call, &r, &answered);
        if (rc != WA_OK || answered) {
            return rc != WA_OK ? write_err(call, rc) : WA_SMP_RC_OK;
        }
    }
    if (!s_up.active) {
        return write_off(call, 0, false); /* no upload: start again from 0 */
    }
    if (r.off != s_up.off) {
        return write_off(call, s_up.off, false);
    }
    if (r.data.len > s_up.len - s_up.off) {
        s_up.active = false;
        return write_err(call, WA_ERR_INVALID_ARG);
    }
    int rc = wa_store_write_module(s_up.slot, s_up.off, r.data.value, (uint32_t)r.data.len,
                                   &s_up.erased_to);
    if (rc != WA_OK) {
        s_up.active = false;
        return write_err(call, rc);
    }
    wa_sha256_update(&s_up.sha, r.data.value, r.data.len);
    s_up.off += (uint32_t)r.data.len;
    if (s_up.off < s_up.len) {
        return write_off(call, s_up.off, false);
    }
    s_up.active = false;
    rc = upload_finish();
    return rc != WA_OK ? write_err(call, rc) : write_off(call, s_up.len, true);
}

/* ---- list, start, stop, remove ------------------------------------------------- */

static int app_list(wa_smp_call_t *call)
{
    zcbor_state_t *e = call->enc;
    bool ok = zcbor_tstr_put_lit(e, "apps") && zcbor_list_start_encode(e, WA_STORE_SLOTS);
    for (uint32_t k = 0; ok && k < WA_STORE_SLOTS; k++) {
        const char *name = wa_apps_name(k);
        wa_slot_header_t header;
        wa_slot_meta_t meta;
        if (name == NULL) {
            continue;
        }
        uint32_t size = wa_store_header(k, &header) == WA_OK ? header.module_len : 0;
        const char *state = wa_apps_state(k);
        ok = zcbor_map_start_encode(e, 5) && zcbor_tstr_put_lit(e, "name") &&
             zcbor_tstr_put_term(e, name, WA_SLOT_NAME_MAX + 1) && zcbor_tstr_put_lit(e, "slot") &&
             zcbor_uint32_put(e, k) && zcbor_tstr_put_lit(e, "state") &&
             zcbor_tstr_put_term(e, state, 16) && zcbor_tstr_put_lit(e, "size") &&
             zcbor_uint32_put(e, size);
        if (ok && wa_store_meta(k, &meta) == WA_OK) {
            ok = zcbor_tstr_put_lit(e, "sha") &&
                 zcbor_bstr_encode_ptr(e, (const char *)meta.sha256, sizeof meta.sha256);
        }
        ok = ok && zcbor_map_end_encode(e, 5);
    }
    return result(ok && zcbor_list_end_encode(e, WA_STORE_SLOTS));
}

/* The request's "name" as a slot; -1 with *rc_smp set when the request is
 * malformed, -2 when no app has that name. */
static int named_slot(const wa_smp_call_t *call, int *rc_smp)
{
    app_req_t r;
    *rc_smp = WA_SMP_RC_OK;
    if (!parse(call, &r) || !(r.have & HAVE_NAME)) {
        *rc_smp = WA_SMP_RC_EINVAL;
        return -1;
    }
    int slot = wa_apps_find((const char *)r.name.value, r.name.len);
    return slot < 0 ? -2 : slot;
}

static int by_name(wa_smp_call_t *call, int (*action)(uint32_t slot))
{
    int rc_smp;
    int slot = named_slot(call, &rc_smp);
    if (slot == -1) {
        return rc_smp;
    }
    int rc = slot < 0 ? WA_ERR_NOT_FOUND : action((uint32_t)slot);
    return rc == WA_OK ? WA_SMP_RC_OK : write_err(call, rc);
}

static int remove_app(uint32_t slot)
{
    (void)wa_apps_stop(slot);
    if (s_up.active && s_up.slot == slot) {
        s_up.active = false;
    }
    int rc = wa_store_erase_header(slot);
    if (rc == WA_OK) {
        wa_console_printf("app %s removed (slot %u)\n", wa_apps_name(slot), (unsigned)slot);
        wa_apps_forget(slot);
    }
    return rc;
}

static int app_start(wa_smp_call_t *call)
{
    return by_name(call, wa_apps_start);
}

static int app_stop(wa_smp_call_t *call)
{
    return by_name(call, wa_apps_stop);
}

static int app_remove(wa_smp_call_t *call)
{
    return by_name(call, remove_app);
}

static const wa_smp_command_t s_app_commands[] = {
    {WA_SMP_GROUP_APP, WA_SMP_APP_UPLOAD, WA_SMP_OP_WRITE, app_upload},
    {WA_SMP_GROUP_APP, WA_SMP_APP_LIST, WA_SMP_OP_READ, app_list},
    {WA_SMP_GROUP_APP, WA_SMP_APP_START, WA_SMP_OP_WRITE, app_start},
    {WA_SMP_GROUP_APP, WA_SMP_APP_STOP, WA_SMP_OP_WRITE, app_stop},
    {WA_SMP_GROUP_APP, WA_SMP_APP_REMOVE, WA_SMP_OP_WRITE, app_remove},
};

void wa_apps_smp_init(void)
{
    wa_smp_register(s_app_commands, sizeof s_app_commands / sizeof s_app_commands[0]);
}
