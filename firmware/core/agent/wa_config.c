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
#define CBOR_NULL 0xF6u      /* a "set" value that deletes its key */

static const char *config_app(uint32_t k)
{
    return wa_life_info(k)->name;
}

static uint32_t config_version(uint32_t k)
{
    uint32_t v = 0;
    size_t len = 0;
    int rc = wa_kv_get(WA_KV_NS_AGENT, config_app(k), VERSION_KEY, sizeof VERSION_KEY - 1u, &v,
                       sizeof v, &len);
    return rc == WA_OK && len == sizeof v ? v : 0u;
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

/* Stores (text value) or deletes (null) each entry of the "set" map at
 * `at`, in order; the first refusal stops it (the store checks the key and
 * value lengths). WA_OK or an agent_err. */
static int config_apply(const uint8_t *at, const uint8_t *end, const char *app)
{
    ZCBOR_STATE_D(dec, 2, at, (size_t)(end - at), 1, 0);
    if (at != NULL && !zcbor_map_start_decode(dec)) {
        return WA_ERR_INVALID_ARG;
    }
    while (at != NULL && !zcbor_array_at_end(dec)) {
        struct zcbor_string k, v;
        if (!zcbor_tstr_decode(dec, &k) || dec->payload >= dec->payload_end) {
            return WA_ERR_INVALID_ARG;
        }
        int rc =
            *dec->payload == CBOR_NULL
                ? (zcbor_any_skip(dec, NULL) ? wa_kv_delete(WA_KV_NS_CONFIG, app, k.value, k.len)
                                             : WA_ERR_INVALID_ARG)
            : zcbor_tstr_decode(dec, &v) ? wa_kv_set(WA_KV_NS_CONFIG, app, k.value, k.len, v.value,
                                                     v.len, WA_AGENT_CONFIG_BYTES)
                                         : WA_ERR_INVALID_ARG;
        if (rc != WA_OK && rc != WA_ERR_NOT_FOUND) {
            return rc;
        }
    }
    return WA_OK;
}

int wa_config_set(uint32_t k, uint32_t desired, const uint8_t *set, const uint8_t *end)
{
    const char *app = config_app(k);
    int rc = WA_OK;
    if (desired > config_version(k)) {
        rc = config_apply(set, end, app);
        rc = rc != WA_OK ? rc
                         : wa_kv_set(WA_KV_NS_AGENT, app, VERSION_KEY, sizeof VERSION_KEY - 1u,
                                     &desired, sizeof desired, 0);
    }
    desired = config_version(k);
    if (rc == WA_OK && wa_runner_loaded(k) && s_reported[k].applied != desired) {
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
