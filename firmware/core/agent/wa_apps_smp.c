/*
 * wa_apps_smp.c - the SMP wasm-app group (64): upload, list, start, stop,
 * remove, status, logs, confirm, rollback, send (docs/protocol.md), config
 * set and get (docs/config.md; the work is wa_config.c's). Decodes the
 * requests and writes the answers; the installing is in wa_install.c, every
 * change of an app's state is an event to the lifecycle (wa_lifecycle.h),
 * the log ring is wa_log.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "wa_aot.h"
#include "wa_apps_smp.h"
#include "wa_config.h"
#include "wa_console.h"
#include "wa_err.h"
#include "wa_install.h"
#include "wa_lifecycle.h"
#include "wa_log.h"
#include "wa_port.h"
#include "wa_runner.h"
#include "wa_runtime.h"
#include "wa_sha256.h"
#include "wa_smp.h"
#include "wa_store.h"
#include "wa_trusted_keys.h"
#include "zcbor_decode.h"
#include "zcbor_encode.h"

enum wa_smp_app_cmd {
    WA_SMP_APP_UPLOAD = 0,
    WA_SMP_APP_LIST = 1,
    WA_SMP_APP_START = 2,
    WA_SMP_APP_STOP = 3,
    WA_SMP_APP_REMOVE = 4,
    WA_SMP_APP_STATUS = 5,
    WA_SMP_APP_LOGS = 6,
    WA_SMP_APP_CONFIRM = 7,
    WA_SMP_APP_ROLLBACK = 8,
    WA_SMP_APP_SEND = 9,
    WA_SMP_APP_CONFIG_SET = 10,
    WA_SMP_APP_CONFIG_GET = 11,
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
    HAVE_SINCE = 1u << 7,
    HAVE_FIRST = HAVE_LEN | HAVE_SHA | HAVE_NAME,
};

typedef struct app_req {
    unsigned have;
    uint32_t off;
    uint32_t len;
    uint32_t grants;
    uint32_t kv_quota;
    uint32_t since;
    uint32_t desired;   /* config set: the version */
    const uint8_t *set; /* config set: where its "set" map begins */
    bool start;
    bool bundle;
    struct zcbor_string data;
    struct zcbor_string sha;
    struct zcbor_string name;
    struct zcbor_string deploy;
    struct zcbor_string version;
} app_req_t;

static bool key_is(const struct zcbor_string *k, const char *lit)
{
    return k->len == strlen(lit) && memcmp(k->value, lit, k->len) == 0;
}

enum { F_U32, F_BSTR, F_TSTR, F_BOOL };

/* The request keys: how each is decoded, where to, and its HAVE_ bit (0: none). */
static const struct req_field {
    char key[9];
    uint8_t kind;
    uint8_t have;
    uint8_t at; /* offsetof(app_req_t, ...) */
} s_fields[] = {
    {"off", F_U32, HAVE_OFF, offsetof(app_req_t, off)},
    {"data", F_BSTR, HAVE_DATA, offsetof(app_req_t, data)},
    {"len", F_U32, HAVE_LEN, offsetof(app_req_t, len)},
    {"sha", F_BSTR, HAVE_SHA, offsetof(app_req_t, sha)},
    {"name", F_TSTR, HAVE_NAME, offsetof(app_req_t, name)},
    {"deploy", F_TSTR, HAVE_DEPLOY, offsetof(app_req_t, deploy)},
    {"grants", F_U32, HAVE_GRANTS, offsetof(app_req_t, grants)},
    {"kv_quota", F_U32, 0, offsetof(app_req_t, kv_quota)},
    {"version", F_TSTR, 0, offsetof(app_req_t, version)},
    {"since", F_U32, HAVE_SINCE, offsetof(app_req_t, since)},
    {"bundle", F_BOOL, 0, offsetof(app_req_t, bundle)},
    {"start", F_BOOL, 0, offsetof(app_req_t, start)},
    {"desired", F_U32, 0, offsetof(app_req_t, desired)},
};

/* Decodes the value of key k into r; false if it is malformed. */
static bool parse_value(zcbor_state_t *dec, const struct zcbor_string *k, app_req_t *r)
{
    for (size_t i = 0; i < sizeof s_fields / sizeof s_fields[0]; i++) {
        const struct req_field *f = &s_fields[i];
        if (!key_is(k, f->key)) {
            continue;
        }
        void *to = (uint8_t *)r + f->at;
        r->have |= f->have;
        return f->kind == F_U32    ? zcbor_uint32_decode(dec, to)
               : f->kind == F_BOOL ? zcbor_bool_decode(dec, to)
               : f->kind == F_BSTR ? zcbor_bstr_decode(dec, to)
                                   : zcbor_tstr_decode(dec, to);
    }
    r->set = key_is(k, "set") ? dec->payload : r->set;
    return zcbor_any_skip(dec, NULL);
}

/* Decodes the request map; unknown keys are skipped. */
static bool parse(const wa_smp_call_t *call, app_req_t *r)
{
    memset(r, 0, sizeof *r);
    r->kv_quota = WA_SLOT_QUOTA_DEFAULT;
    ZCBOR_STATE_D(dec, 2, call->body, call->body_len, 1, 0);
    if (!zcbor_map_start_decode(dec)) {
        return false;
    }
    while (!zcbor_array_at_end(dec)) {
        struct zcbor_string k;
        if (!zcbor_tstr_decode(dec, &k) || !parse_value(dec, &k, r)) {
            return false;
        }
    }
    return zcbor_map_end_decode(dec);
}

/* ---- app names --------------------------------------------------------------- */

/* The length of the UTF-8 sequence at p[0..n) if it is well formed (shortest
 * form, no surrogate, at most U+10FFFF) and not a control character (C0, DEL,
 * C1); else 0. */
static size_t printable_char(const uint8_t *p, size_t n)
{
    uint8_t b = p[0];
    size_t len = b < 0x80u                  ? 1u
                 : b >= 0xC2u && b <= 0xDFu ? 2u
                 : (b & 0xF0u) == 0xE0u     ? 3u
                 : b >= 0xF0u && b <= 0xF4u ? 4u
                                            : 0u;
    if (len == 0u || len > n) {
        return 0;
    }
    uint32_t cp = len == 1u ? b : b & (0x3Fu >> (len - 1u));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0u) != 0x80u) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    static const uint32_t least[5] = {0, 0, 0x80u, 0x800u, 0x10000u};
    bool control = cp < 0x20u || (cp >= 0x7Fu && cp < 0xA0u);
    bool bad = cp < least[len] || (cp >= 0xD800u && cp <= 0xDFFFu) || cp > 0x10FFFFu;
    return control || bad ? 0u : len;
}

/* An app name (docs/protocol.md, App names): 1 to WA_SLOT_NAME_MAX bytes of
 * well-formed UTF-8 with no control character (so no NUL). WA_OK, or
 * WA_ERR_TOO_LARGE, or WA_ERR_INVALID_ARG. */
static int check_name(const struct zcbor_string *name)
{
    if (name->len > WA_SLOT_NAME_MAX) {
        return WA_ERR_TOO_LARGE;
    }
    size_t at = 0;
    while (at < name->len) {
        size_t n = printable_char(name->value + at, name->len - at);
        if (n == 0) {
            return WA_ERR_INVALID_ARG;
        }
        at += n;
    }
    return name->len == 0 ? WA_ERR_INVALID_ARG : WA_OK;
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
    return result(wa_smp_put_map(e, "err", 2) && wa_smp_put_uint(e, "group", WA_SMP_GROUP_APP) &&
                  wa_smp_put_int(e, "rc", rc) && zcbor_map_end_encode(e, 2));
}

/* {"off": off} + "done": true once installed, + "unchanged": true when the
 * module was installed already (nothing was written), + "trial": true when
 * this request began a trial of it. */
static int write_off(wa_smp_call_t *call, const wa_install_res_t *res)
{
    zcbor_state_t *e = call->enc;
    bool ok = wa_smp_put_uint(e, "off", res->next_off);
    if (ok && res->done) {
        ok = wa_smp_put_bool(e, "done", true);
    }
    if (ok && res->unchanged) {
        ok = wa_smp_put_bool(e, "unchanged", true);
    }
    if (ok && res->done && res->trial) {
        ok = wa_smp_put_bool(e, "trial", true);
    }
    return result(ok);
}

/* ---- upload ---------------------------------------------------------------------- */

static int app_upload(wa_smp_call_t *call)
{
    app_req_t r;
    wa_install_res_t res;
    int rc = WA_OK;
    memset(&res, 0, sizeof res);
    if (!parse(call, &r) || !(r.have & HAVE_OFF)) {
        return WA_SMP_RC_EINVAL;
    }
    if (r.off == 0 && (r.have & HAVE_FIRST) == HAVE_FIRST) {
        if (r.sha.len != WA_SHA256_DIGEST_LEN) {
            return write_err(call, WA_ERR_INVALID_ARG);
        }
        if ((rc = check_name(&r.name)) != WA_OK) {
            return write_err(call, rc);
        }
        wa_install_req_t req = {(const char *)r.name.value,
                                (uint32_t)r.name.len,
                                r.len,
                                r.sha.value,
                                (const char *)r.deploy.value,
                                (uint32_t)r.deploy.len,
                                (const char *)r.version.value,
                                (uint32_t)r.version.len,
                                r.have & HAVE_GRANTS ? r.grants : WA_CAP_ALL,
                                r.kv_quota,
                                r.start,
                                r.bundle};
        rc = wa_install_begin(&req, &res);
        if (rc == WA_OK && res.done) {
            return write_off(call, &res); /* that module is installed already */
        }
    }
    if (rc == WA_OK) {
        rc = wa_install_chunk(r.off, r.data.value, (uint32_t)r.data.len, &res);
    }
    return rc != WA_OK ? write_err(call, rc) : write_off(call, &res);
}

/* ---- list, start, stop, remove ------------------------------------------------- */

/* "reason": {"code", "rc", "msg"} of a reverted or failed version. */
static bool put_reason(zcbor_state_t *e, uint32_t slot)
{
    const wa_life_info_t *s = wa_life_info(slot);
    const char *verdict = wa_life_verdict(slot);
    if (verdict == NULL) {
        return true;
    }
    return wa_smp_put_map(e, "reason", 3) &&
           wa_smp_put_str(e, "code", wa_life_reason_name(wa_life_reason(slot)), 16) &&
           wa_smp_put_int(e, "rc", s->rc) &&
           wa_smp_put_str(e, "msg", verdict, WA_LIFE_MSG_MAX + 16) && zcbor_map_end_encode(e, 3);
}

/* The keys list and status share: name, slot, state, life, size, mem,
 * sha, version, reason. */
static bool put_slot(zcbor_state_t *e, uint32_t k)
{
    const wa_life_info_t *s = wa_life_info(k);
    wa_slot_header_t header;
    wa_slot_meta_t meta;
    wa_runner_status_t st;
    wa_runner_status(k, &st);
    uint32_t size = wa_store_header(k, &header) == WA_OK ? header.module_len : 0;
    bool ok = wa_smp_put_str(e, "name", s->name, WA_SLOT_NAME_MAX) &&
              wa_smp_put_uint(e, "slot", k) &&
              wa_smp_put_str(e, "state", wa_life_run_state(k), 16) &&
              wa_smp_put_str(e, "life", wa_life_name(s->life), 16) &&
              wa_smp_put_uint(e, "size", size) && wa_smp_put_uint(e, "mem", st.mem_now);
    if (ok && wa_store_meta(k, &meta) == WA_OK) {
        ok = wa_smp_put_key(e, "sha") &&
             zcbor_bstr_encode_ptr(e, (const char *)meta.sha256, sizeof meta.sha256);
        if (ok && meta.version[0] != '\0') {
            ok = wa_smp_put_str(e, "version", meta.version, sizeof meta.version);
        }
        if (ok && meta.deploy[0] != '\0') {
            ok = wa_smp_put_str(e, "deploy", meta.deploy, sizeof meta.deploy);
        }
    }
    return ok && put_reason(e, k);
}

/* Kept free after the entries for closing the list, "next" and the map. */
#define LIST_TAIL_RESERVE 16u

/* The occupied slots from the request's "off" (0 when absent), as many as
 * the response holds (8 with long reasons do not fit WA_MGMT_TX_BUF), then
 * "next": the slot to ask from for the rest, absent when none is left. An
 * entry that does not fit is taken back: the encoding is not canonical, so
 * no count precedes it. */
static int app_list(wa_smp_call_t *call)
{
    app_req_t r;
    if (!parse(call, &r)) {
        return WA_SMP_RC_EINVAL;
    }
    zcbor_state_t *e = call->enc;
    uint32_t k = r.have & HAVE_OFF ? r.off : 0u;
    bool ok = wa_smp_put_key(e, "apps") && zcbor_list_start_encode(e, WA_STORE_SLOTS);
    bool any = false;
    for (; ok && k < WA_STORE_SLOTS; k++) {
        uint8_t *at = e->payload_mut;
        size_t count = e->elem_count;
        if (wa_life_info(k) == NULL ||
            (zcbor_map_start_encode(e, 10) && put_slot(e, k) && zcbor_map_end_encode(e, 10) &&
             (size_t)(e->payload_end - e->payload) >= LIST_TAIL_RESERVE)) {
            any = any || wa_life_info(k) != NULL;
            continue;
        }
        (void)zcbor_pop_error(e);
        e->payload_mut = at;
        e->elem_count = count;
        ok = any; /* one entry alone that does not fit: EMSGSIZE */
        break;
    }
    ok = ok && zcbor_list_end_encode(e, WA_STORE_SLOTS);
    return result(ok && (k >= WA_STORE_SLOTS || wa_smp_put_uint(e, "next", k)));
}

/* Runs a lifecycle command on the request's "name"; action NULL: queues the
 * request's "data" in the inbox of the app's running version (send). */
static int by_name(wa_smp_call_t *call, int (*action)(const char *name, size_t len))
{
    app_req_t r;
    if (!parse(call, &r) || !(r.have & HAVE_NAME) || (action == NULL && !(r.have & HAVE_DATA))) {
        return WA_SMP_RC_EINVAL;
    }
    int rc = check_name(&r.name);
    if (rc != WA_OK) {
        return write_err(call, rc);
    }
    const char *name = (const char *)r.name.value;
    if (action == wa_life_remove) {
        wa_install_forget(name, (uint32_t)r.name.len); /* uploads of it in progress too */
    }
    if (action != NULL) {
        rc = action(name, r.name.len);
    } else {
        int slot = wa_life_current(name, r.name.len);
        rc = slot < 0 ? WA_ERR_NOT_FOUND : wa_runner_send((uint32_t)slot, r.data.value, r.data.len);
    }
    return rc == WA_OK ? WA_SMP_RC_OK : write_err(call, rc);
}

static int app_start(wa_smp_call_t *call)
{
    return by_name(call, wa_life_start);
}

static int app_stop(wa_smp_call_t *call)
{
    return by_name(call, wa_life_stop);
}

static int app_remove(wa_smp_call_t *call)
{
    return by_name(call, wa_life_remove);
}

static int app_confirm(wa_smp_call_t *call)
{
    return by_name(call, wa_life_confirm);
}

static int app_rollback(wa_smp_call_t *call)
{
    return by_name(call, wa_life_rollback);
}

static int app_send(wa_smp_call_t *call)
{
    return by_name(call, NULL);
}

/* ---- status, logs ---------------------------------------------------------------- */

/* What the device accepts, for the host's checks before an upload: "kids",
 * the ids of the keys whose bundles it installs (8 bytes each, as a
 * manifest's "kid"), and "aot_abi", the ABI of the AOT code it runs (0: none,
 * it interprets every module). */
static bool put_accepts(zcbor_state_t *e)
{
    bool ok = wa_smp_put_key(e, "kids") && zcbor_list_start_encode(e, WA_TRUSTED_KEY_COUNT);
    for (uint32_t i = 0; ok && i < WA_TRUSTED_KEY_COUNT; i++) {
        ok = zcbor_bstr_encode_ptr(e, (const char *)wa_trusted_kids[i], sizeof wa_trusted_kids[i]);
    }
    return ok && zcbor_list_end_encode(e, WA_TRUSTED_KEY_COUNT) &&
           wa_smp_put_uint(e, "aot_abi", WA_AOT_SUPPORTED ? WA_AOT_ABI : 0u);
}

static int device_status(wa_smp_call_t *call)
{
    zcbor_state_t *e = call->enc;
    bool ok = wa_smp_put_str(e, "board", call->dev->board, 64) &&
              wa_smp_put_str(e, "fw", call->dev->version, 64) &&
              wa_smp_put_uint(e, "uptime_ms", (uint32_t)(wa_port_time_us() / 1000u)) &&
              wa_smp_put_uint(e, "boot", wa_store_boot_count()) &&
              wa_smp_put_str(e, "reset", wa_agent_reset_cause(), 16) &&
              wa_smp_put_uint(e, "heap_free", (uint32_t)wa_port_heap_free()) &&
              wa_smp_put_uint(e, "slots", WA_STORE_SLOTS) &&
              wa_smp_put_uint(e, "apps", wa_life_count()) &&
              wa_smp_put_uint(e, "free_slots", wa_life_free_slots()) &&
              wa_smp_put_uint(e, "buf_size", call->dev->buf_size) &&
              wa_smp_put_key(e, "framings") && zcbor_list_start_encode(e, 2) &&
              wa_smp_put_key(e, "console") && wa_smp_put_key(e, "raw") &&
              zcbor_list_end_encode(e, 2) && put_accepts(e);
    const char *safe = wa_agent_safe_mode();
    ok = ok && (safe == NULL || wa_smp_put_str(e, "safe_mode", safe, 96));
    return result(ok);
}

/* The slot a status request names: by name and sha when it gives one,
 * else the app's current slot; -1 if none. */
static int status_slot(const app_req_t *r)
{
    const char *name = (const char *)r->name.value;
    if (!(r->have & HAVE_SHA)) {
        return wa_life_current(name, r->name.len);
    }
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_slot_meta_t meta;
        const wa_life_info_t *s = wa_life_info(k);
        if (s != NULL && strlen(s->name) == r->name.len &&
            memcmp(s->name, name, r->name.len) == 0 && wa_store_meta(k, &meta) == WA_OK &&
            r->sha.len == sizeof meta.sha256 &&
            memcmp(meta.sha256, r->sha.value, r->sha.len) == 0) {
            return (int)k;
        }
    }
    return -1;
}

/* "trial": the figures of a version on trial, or of its trial that ended
 * since boot (elapsed then stops at the verdict). */
static bool put_trial(zcbor_state_t *e, const wa_life_info_t *s)
{
    uint64_t end = s->verdict_us != 0 ? s->verdict_us : wa_port_time_us();
    uint32_t elapsed = (uint32_t)((end - s->trial_us) / 1000u);
    return wa_smp_put_map(e, "trial", 7) && wa_smp_put_uint(e, "loops", s->loops) &&
           wa_smp_put_uint(e, "need_loops", s->need_loops) &&
           wa_smp_put_uint(e, "traps", s->traps) && wa_smp_put_uint(e, "max_traps", s->max_traps) &&
           wa_smp_put_uint(e, "elapsed_ms", elapsed) &&
           wa_smp_put_uint(e, "window_ms", s->window_ms) &&
           wa_smp_put_bool(e, "manual", (s->flags & WA_SLOT_F_MANUAL) != 0) &&
           zcbor_map_end_encode(e, 7);
}

/* "update": the newest attempt of the app when it is not the current slot. */
static bool put_update(zcbor_state_t *e, uint32_t newest)
{
    wa_slot_meta_t meta;
    bool ok = wa_smp_put_map(e, "update", 4) &&
              wa_smp_put_str(e, "life", wa_life_name(wa_life_info(newest)->life), 16);
    if (ok && wa_store_meta(newest, &meta) == WA_OK) {
        ok = wa_smp_put_key(e, "sha") &&
             zcbor_bstr_encode_ptr(e, (const char *)meta.sha256, sizeof meta.sha256) &&
             (meta.version[0] == '\0' ||
              wa_smp_put_str(e, "version", meta.version, sizeof meta.version));
    }
    return ok && put_reason(e, newest) && zcbor_map_end_encode(e, 4);
}

static bool put_app_status(zcbor_state_t *e, uint32_t slot)
{
    const wa_life_info_t *s = wa_life_info(slot);
    wa_runner_status_t st;
    wa_runner_status(slot, &st);
    bool ok = put_slot(e, slot) && wa_smp_put_uint(e, "traps", st.traps) &&
              wa_smp_put_uint(e, "mem_hw", st.mem_hw) &&
              wa_smp_put_uint(e, "mem_budget", st.mem_budget) &&
              wa_smp_put_uint(e, "uptime_ms", st.uptime_ms) &&
              wa_smp_put_uint(e, "module_ram", st.module_ram) &&
              wa_smp_put_bool(e, "signed", (s->flags & WA_SLOT_F_SIGNED) != 0);
    if (ok && (s->flags & WA_SLOT_F_SIGNED)) {
        ok = wa_smp_put_uint(e, "seq", s->seq);
    }
    if (ok && st.aot) {
        ok = wa_smp_put_bool(e, "aot", true);
    }
    if (ok && s->trial_us != 0) {
        ok = put_trial(e, s);
    }
    if (ok && st.last_msg != NULL) {
        ok = wa_smp_put_map(e, "last_err", 2) && wa_smp_put_int(e, "rc", st.last_rc) &&
             wa_smp_put_str(e, "msg", st.last_msg, WA_APP_MSG_MAX) && zcbor_map_end_encode(e, 2);
    }
    int newest = wa_life_newest(s->name, strlen(s->name));
    if (ok && newest >= 0 && (uint32_t)newest != slot) {
        ok = put_update(e, (uint32_t)newest);
    }
    return ok;
}

static int app_status(wa_smp_call_t *call)
{
    app_req_t r;
    if (!parse(call, &r)) {
        return WA_SMP_RC_EINVAL;
    }
    if (!(r.have & HAVE_NAME)) {
        return device_status(call);
    }
    int rc = check_name(&r.name);
    if (rc != WA_OK) {
        return write_err(call, rc);
    }
    int slot = status_slot(&r);
    return slot < 0 ? write_err(call, WA_ERR_NOT_FOUND)
                    : result(put_app_status(call->enc, (uint32_t)slot));
}

/* Bytes a log line takes in the answer, with room for its map and keys. */
#define LOG_ENTRY_OVERHEAD 24u
/* Kept free after the lines for "next", "dropped" and closing the map. */
#define LOG_TAIL_RESERVE 32u

static int app_logs(wa_smp_call_t *call)
{
    app_req_t r;
    static wa_log_line_t line; /* 268 bytes: not on the stack */
    if (!parse(call, &r)) {
        return WA_SMP_RC_EINVAL;
    }
    uint32_t oldest = wa_log_oldest();
    uint32_t next = wa_log_next();
    uint32_t seq = r.have & HAVE_SINCE ? r.since : 0u;
    uint32_t dropped = 0;
    if (seq > next) {
        seq = oldest; /* a sequence from before a reboot: everything kept */
    } else if (seq < oldest) {
        dropped = oldest - seq;
        seq = oldest;
    }
    zcbor_state_t *e = call->enc;
    bool ok = wa_smp_put_uint(e, "boot", wa_store_boot_count()) && wa_smp_put_key(e, "lines") &&
              zcbor_list_start_encode(e, 64);
    for (; ok && seq < next && wa_log_get(seq, &line) == 0; seq++) {
        size_t room = (size_t)(e->payload_end - e->payload);
        if (room < line.len + LOG_ENTRY_OVERHEAD + LOG_TAIL_RESERVE) {
            break;
        }
        ok = zcbor_map_start_encode(e, 2) && wa_smp_put_uint(e, "t", line.t_ms) &&
             wa_smp_put_key(e, "msg") && zcbor_tstr_encode_ptr(e, line.text, line.len) &&
             zcbor_map_end_encode(e, 2);
    }
    ok = ok && zcbor_list_end_encode(e, 64) && wa_smp_put_uint(e, "next", seq) &&
         wa_smp_put_uint(e, "dropped", dropped);
    return result(ok);
}

/* ---- config set, config get (docs/config.md) ------------------------------------- */

static int config_pair(const uint8_t *key, size_t key_len, const uint8_t *val, size_t len,
                       void *ctx)
{
    zcbor_state_t *e = ctx;
    return !(zcbor_tstr_encode_ptr(e, (const char *)key, key_len) &&
             zcbor_tstr_encode_ptr(e, (const char *)val, len));
}

/* {"desired", "applied", "code", "status"} (+ get: "values"). */
static int config_command(wa_smp_call_t *call, bool set)
{
    app_req_t r;
    wa_config_state_t st;
    if (!parse(call, &r) || !(r.have & HAVE_NAME) ||
        (set && (r.desired == 0 || r.desired > INT32_MAX))) {
        return WA_SMP_RC_EINVAL;
    }
    int rc = check_name(&r.name);
    int k = rc == WA_OK ? wa_config_slot((const char *)r.name.value, r.name.len, &rc) : -1;
    if (rc == WA_OK && set) {
        rc = wa_config_set((uint32_t)k, r.desired, r.set, call->body + call->body_len);
    }
    if (rc != WA_OK) {
        return write_err(call, rc);
    }
    wa_config_state((uint32_t)k, &st);
    zcbor_state_t *e = call->enc;
    bool ok = wa_smp_put_uint(e, "desired", st.desired) &&
              wa_smp_put_uint(e, "applied", st.applied) && wa_smp_put_int(e, "code", st.code) &&
              wa_smp_put_uint(e, "status", st.status);
    if (ok && !set) {
        ok = wa_smp_put_map(e, "values", 64) &&
             wa_config_each((uint32_t)k, config_pair, e) == WA_OK && zcbor_map_end_encode(e, 64);
    }
    return result(ok);
}

static int app_config_set(wa_smp_call_t *call)
{
    return config_command(call, true);
}

static int app_config_get(wa_smp_call_t *call)
{
    return config_command(call, false);
}

static const wa_smp_command_t s_app_commands[] = {
    {WA_SMP_GROUP_APP, WA_SMP_APP_UPLOAD, WA_SMP_OP_WRITE, app_upload},
    {WA_SMP_GROUP_APP, WA_SMP_APP_LIST, WA_SMP_OP_READ, app_list},
    {WA_SMP_GROUP_APP, WA_SMP_APP_START, WA_SMP_OP_WRITE, app_start},
    {WA_SMP_GROUP_APP, WA_SMP_APP_STOP, WA_SMP_OP_WRITE, app_stop},
    {WA_SMP_GROUP_APP, WA_SMP_APP_REMOVE, WA_SMP_OP_WRITE, app_remove},
    {WA_SMP_GROUP_APP, WA_SMP_APP_STATUS, WA_SMP_OP_READ, app_status},
    {WA_SMP_GROUP_APP, WA_SMP_APP_LOGS, WA_SMP_OP_READ, app_logs},
    {WA_SMP_GROUP_APP, WA_SMP_APP_CONFIRM, WA_SMP_OP_WRITE, app_confirm},
    {WA_SMP_GROUP_APP, WA_SMP_APP_ROLLBACK, WA_SMP_OP_WRITE, app_rollback},
    {WA_SMP_GROUP_APP, WA_SMP_APP_SEND, WA_SMP_OP_WRITE, app_send},
    {WA_SMP_GROUP_APP, WA_SMP_APP_CONFIG_SET, WA_SMP_OP_WRITE, app_config_set},
    {WA_SMP_GROUP_APP, WA_SMP_APP_CONFIG_GET, WA_SMP_OP_READ, app_config_get},
};

void wa_apps_smp_init(void)
{
    wa_smp_register(s_app_commands, sizeof s_app_commands / sizeof s_app_commands[0]);
}
