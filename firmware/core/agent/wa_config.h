/*
 * wa_config.h - the configuration pushed from the fleet (docs/config.md).
 *
 * Per app name: desired key/values (strings) and a desired version number,
 * persisted with wa_kv.h, atomically (a redo log): a config set's entries
 * go to WA_KV_NS_STAGE first (a delete as a one-byte 0xFF value); then one
 * commit record (the staged version, WA_KV_NS_AGENT); then each entry is
 * applied to WA_KV_NS_CONFIG and taken out of the stage, and the version
 * record (WA_KV_NS_AGENT) is written. A power cut before the commit leaves
 * the old version and values (the stage is discarded), after it the new
 * ones (wa_config_roll finishes the work before the app or config get sees
 * the configuration). The running app gets on_config(version) (a call metered and
 * counted like loop); what it made of it, the reported side (the version
 * it applied last, and how the last delivery went), is kept in RAM per
 * slot: every start of the app delivers its configuration again.
 *
 * The SMP commands (config set 10, config get 11) are decoded and answered
 * in wa_apps_smp.c. Single-threaded: called by the SMP server between the
 * apps' calls (the group's writes wait for a call to end, wa_mgmt.h) and
 * by the lifecycle.
 */
#ifndef WA_CONFIG_H
#define WA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "wa_kv.h"

/* How the delivery of the desired version went (config get's "status"). */
enum wa_config_status {
    WA_CONFIG_NONE = 0,     /* the app has no configuration */
    WA_CONFIG_APPLIED = 1,  /* the running app applied the desired version */
    WA_CONFIG_PENDING = 2,  /* not delivered: the app does not run */
    WA_CONFIG_REJECTED = 3, /* on_config returned code (non-zero) */
    WA_CONFIG_TRAPPED = 4   /* on_config trapped: code is the trap's agent_err */
};

/* What config get and set answer about an app. */
typedef struct wa_config_state {
    uint32_t desired; /* the desired version; 0: no configuration */
    uint32_t applied; /* the version the running app applied last; 0: none */
    int32_t code;     /* on_config's result, or the trap's agent_err */
    uint32_t status;  /* enum wa_config_status */
} wa_config_state_t;

/* The current slot of app name (len bytes), or -1 with *rc set:
 * WA_ERR_NOT_FOUND (no such app), WA_ERR_NOT_GRANTED (not granted config). */
int wa_config_slot(const char *name, size_t len, int *rc);

/* Applies the "set" map of a config set request (at `set`, CBOR up to end;
 * NULL: none) as version desired of slot k's app: a text value stores the
 * key's value, null deletes the key (a JSON merge patch, RFC 7386), other
 * keys stay; then the version. Nothing is stored when the device has this
 * version or a newer one already (a retry). All or nothing: a refused
 * entry, or a configuration above WA_AGENT_CONFIG_BYTES in all, leaves the
 * old version and values. Then delivers the version to the app when it runs and
 * has not applied it. WA_OK, WA_ERR_INVALID_ARG (not a map of text keys to
 * text or null, a key of 0 or more than WA_KV_KEY_MAX bytes, a value above
 * WA_KV_VALUE_MAX), WA_ERR_NO_SPACE (more than WA_AGENT_CONFIG_BYTES, or
 * the area is full) or a flash error. */
int wa_config_set(uint32_t slot, uint32_t desired, const uint8_t *set, const uint8_t *end);

/* Finishes a config set a power cut interrupted: a committed staged
 * version newer than the stored one is applied and stored, the entries of
 * an uncommitted one discarded. Called before the app starts and by the
 * functions here. WA_OK or an agent_err. */
int wa_config_roll(uint32_t slot);

/* Slot k's app's configuration state; each key/value through fn (as
 * wa_kv_each). */
void wa_config_state(uint32_t slot, wa_config_state_t *st);
int wa_config_each(uint32_t slot, wa_kv_each_fn fn, void *ctx);

/* Slot k's app has started (after its setup): when it runs, is granted
 * config and has a desired version, calls on_config with it. */
void wa_config_started(uint32_t slot);

#endif /* WA_CONFIG_H */
