/* wa_config.c - see wa_config.h. */
#include "wa_config.h"

#include <stdbool.h>
#include <string.h>

#include "wa_agent_config.h"
#include "wa_lifecycle.h"
#include "wa_runner.h"
#include "zcbor_decode.h"

/* What the running app of a slot made of its configuration. */
typedef struct reported {
    uint32_t applied;   /* the version it applied last; 0: none */
    uint32_t delivered; /* the version of the last delivery; 0: none */
    int32_t code;       /* on_config's result, or the trap's agent_err */
    uint32_t status;    /* of the last delivery: WA_CONFIG_APPLIED, _REJECTED, _TRAPPED */
} reported_t;

static reported_t s_reported[WA_STORE_SLOTS];

#define VERSION_KEY "config" /* in WA_KV_NS_AGENT: the desired version, 4 bytes */
#define COMMIT_KEY "staged"  /* in WA_KV_NS_AGENT: the version staged whole, 4 bytes */
#define CBOR_NULL 0xF6u      /* a "set" value that deletes its key */
#define DELETE 0xFFu         /* a staged value of this one byte (no UTF-8): delete the key */

/* A staged entry taken out of the store (a walk must not change it). */
static struct {
    size_t key_len, len;
    uint8_t key[WA_KV_KEY_MAX], val[WA_KV_VALUE_MAX];
} s_entry;

static const char *config_app(uint32_t k)
{
    return wa_life_info(k)->name;
}

static uint32_t agent_u32(const char *app, const char *key)
{
    uint32_t v = 0;
    size_t len = 0;
    int rc = wa_kv_get(WA_KV_NS_AGENT, app, key, strlen(key), &v, sizeof v, &len);
    return rc == WA_OK && len == sizeof v ? v : 0u;
}

static int take_one(const uint8_t *key, size_t key_len, const uint8_t *val, size_t len, void *ctx)
{
    (void)ctx;
    s_entry.key_len = key_len;
    s_entry.len = len;
    memcpy(s_entry.key, key, key_len);
    memcpy(s_entry.val, val, len);
    return 1;
}

int wa_config_roll(uint32_t k)
{
    const char *app = config_app(k);
    uint32_t staged = agent_u32(app, COMMIT_KEY);
    bool commit = staged > agent_u32(app, VERSION_KEY);
    int rc = WA_OK;
    while (rc == WA_OK && wa_kv_each(WA_KV_NS_STAGE, app, take_one, NULL) == 1) {
        const uint8_t *key = s_entry.key;
        rc = !commit ? WA_OK
             : s_entry.len == 1 && s_entry.val[0] == DELETE
                 ? wa_kv_delete(WA_KV_NS_CONFIG, app, key, s_entry.key_len)
                 : wa_kv_set(WA_KV_NS_CONFIG, app, key, s_entry.key_len, s_entry.val, s_entry.len,
                             0);
        rc = rc == WA_ERR_NOT_FOUND ? WA_OK : rc;
        rc = rc != WA_OK ? rc : wa_kv_delete(WA_KV_NS_STAGE, app, key, s_entry.key_len);
    }
    return rc != WA_OK || !commit ? rc
                                  : wa_kv_set(WA_KV_NS_AGENT, app, VERSION_KEY,
                                              sizeof VERSION_KEY - 1u, &staged, sizeof staged, 0);
}

/* The desired version, after rolling a committed staged one forward. */
static uint32_t config_version(uint32_t k)
{
    (void)wa_config_roll(k);
    return agent_u32(config_app(k), VERSION_KEY);
}

static bool config_granted(uint32_t k)
{
    wa_slot_header_t header;
    return wa_store_header(k, &header) == WA_OK && (header.grants & WA_CAP_CONFIG) != 0;
}

int wa_config_slot(const char *name, size_t len, int *rc)
{
    int k = wa_life_current(name, len);
    *rc = k < 0 ? WA_ERR_NOT_FOUND : config_granted((uint32_t)k) ? WA_OK : WA_ERR_NOT_GRANTED;
    return *rc == WA_OK ? k : -1;
}

/* Calls on_config(version) of slot k's app (applied at once without the
 * export) and records what came of it. */
static void config_deliver(uint32_t k, uint32_t version)
{
    reported_t *r = &s_reported[k];
    wa_error_t err;
    int32_t result = 0;
    int rc = wa_runner_call_i32(k, "on_config", (int32_t)version, &result, &err);
    wa_life_after_call(k, "on_config", rc, &err);
    bool returned = rc == WA_OK || rc == WA_ERR_NO_EXPORT;
    r->code = returned ? result : rc;
    r->status = !returned     ? WA_CONFIG_TRAPPED
                : result != 0 ? WA_CONFIG_REJECTED
                              : WA_CONFIG_APPLIED;
    r->applied = r->status == WA_CONFIG_APPLIED ? version : r->applied;
    r->delivered = version;
}

void wa_config_started(uint32_t k)
{
    memset(&s_reported[k], 0, sizeof s_reported[k]);
    uint32_t version = config_version(k);
    if (version != 0 && wa_runner_loaded(k) && config_granted(k)) {
        config_deliver(k, version);
    }
}

/* Sums the bytes (key + value) of the configuration the staged entries
 * would leave: the stored keys not staged, the staged values. */
typedef struct config_size {
    const char *app;
    unsigned ns;
    uint32_t total;
} config_size_t;

static int add_size(const uint8_t *key, size_t key_len, const uint8_t *val, size_t len, void *ctx)
{
    config_size_t *c = (config_size_t *)ctx;
    size_t n = 0;
    uint8_t b;
    bool hidden = c->ns == WA_KV_NS_STAGE
                      ? len == 1 && val[0] == DELETE
                      : wa_kv_get(WA_KV_NS_STAGE, c->app, key, key_len, &b, 0, &n) == WA_OK;
    c->total += hidden ? 0u : (uint32_t)(key_len + len);
    return 0;
}

/* Stages each entry of the "set" map at `at` (a text value, or null as
 * DELETE), in order; the first refusal stops it (the store checks the key
 * and value lengths); then checks the whole against WA_AGENT_CONFIG_BYTES.
 * WA_OK or an agent_err. */
static int config_stage(const uint8_t *at, const uint8_t *end, const char *app)
{
    static const uint8_t del = DELETE;
    ZCBOR_STATE_D(dec, 2, at, (size_t)(end - at), 1, 0);
    if (at != NULL && !zcbor_map_start_decode(dec)) {
        return WA_ERR_INVALID_ARG;
    }
    while (at != NULL && !zcbor_array_at_end(dec)) {
        struct zcbor_string k, v = {&del, 1};
        if (!zcbor_tstr_decode(dec, &k) || dec->payload >= dec->payload_end) {
            return WA_ERR_INVALID_ARG;
        }
        bool ok = *dec->payload == CBOR_NULL
                      ? zcbor_any_skip(dec, NULL)
                      : zcbor_tstr_decode(dec, &v) && !(v.len == 1 && v.value[0] == DELETE);
        int rc = ok ? wa_kv_set(WA_KV_NS_STAGE, app, k.value, k.len, v.value, v.len, 0)
                    : WA_ERR_INVALID_ARG;
        if (rc != WA_OK) {
            return rc;
        }
    }
    config_size_t c = {app, WA_KV_NS_CONFIG, 0};
    (void)wa_kv_each(WA_KV_NS_CONFIG, app, add_size, &c);
    c.ns = WA_KV_NS_STAGE;
    (void)wa_kv_each(WA_KV_NS_STAGE, app, add_size, &c);
    return c.total > WA_AGENT_CONFIG_BYTES ? WA_ERR_NO_SPACE : WA_OK;
}

/* Stages the version's entries, commits them (COMMIT_KEY), then rolls them
 * forward; a refusal before the commit discards them (the next roll). */
int wa_config_set(uint32_t k, uint32_t desired, const uint8_t *set, const uint8_t *end)
{
    const char *app = config_app(k);
    int rc = WA_OK;
    if (desired > config_version(k)) {
        rc = config_stage(set, end, app);
        rc = rc != WA_OK ? rc
                         : wa_kv_set(WA_KV_NS_AGENT, app, COMMIT_KEY, sizeof COMMIT_KEY - 1u,
                                     &desired, sizeof desired, 0);
        int rolled = wa_config_roll(k);
        rc = rc != WA_OK ? rc : rolled;
    }
    /* Delivered once per version and run: a retried request (same version,
     * its answer lost or late) does not call on_config again, applied or not. */
    desired = config_version(k);
    if (rc == WA_OK && wa_runner_loaded(k) && s_reported[k].delivered != desired) {
        config_deliver(k, desired);
    }
    return rc;
}

void wa_config_state(uint32_t k, wa_config_state_t *st)
{
    const reported_t *r = &s_reported[k];
    st->desired = config_version(k);
    st->applied = r->applied;
    st->code = r->code;
    bool failed = r->delivered == st->desired && r->status >= WA_CONFIG_REJECTED;
    st->status = st->desired == 0                                   ? WA_CONFIG_NONE
                 : failed                                           ? r->status
                 : r->applied == st->desired && wa_runner_loaded(k) ? WA_CONFIG_APPLIED
                                                                    : WA_CONFIG_PENDING;
}

int wa_config_each(uint32_t k, wa_kv_each_fn fn, void *ctx)
{
    return wa_kv_each(WA_KV_NS_CONFIG, config_app(k), fn, ctx);
}
