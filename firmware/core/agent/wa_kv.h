/*
 * wa_kv.h - key-value storage in the app flash area (wa_store_layout.h):
 * each app's own keys (the storage native API) and the agent's per-app
 * records, in namespaces, keyed by the app's installed name.
 *
 * Log-structured: records (app, namespace, key, value or tombstone, with a
 * sequence number and a CRC over all of it) are appended to erased space;
 * of the records of one key the one with the highest sequence number wins,
 * and a drop record of an app hides every older record of that app. The
 * WA_STORE_KV_PAGES pages are a ring: each starts with its page number; the
 * page after the newest one is kept erased. When the newest page is full
 * the erased one takes over, the oldest page's live records are copied to
 * it (unchanged: same sequence number, same CRC) and the oldest page is
 * erased. So every page is erased in turn (wear is spread evenly), and a
 * power cut before, during or after any flash operation leaves each key
 * with its old or its new value: a torn record fails its CRC, and a copy
 * says what its original says. A compaction cut short is finished by
 * wa_kv_open or by the next one.
 *
 * Single owner at a time (the agent loop); not reentrant. A wa_kv_each
 * callback may call wa_kv_get but must not change the store.
 */
#ifndef WA_KV_H
#define WA_KV_H

#include <stddef.h>
#include <stdint.h>

#define WA_KV_NS_APP 0u    /* an app's own keys: kv_get/kv_set/kv_delete */
#define WA_KV_NS_CONFIG 1u /* desired configuration pushed from the fleet */
#define WA_KV_NS_AGENT 2u  /* the agent's own per-app records (config version, applied) */
#define WA_KV_NS_STAGE 3u  /* a config set's entries before they are committed (wa_config.h) */
#define WA_KV_KEY_MAX 32u
#define WA_KV_VALUE_MAX 256u

/* At boot, after the journal: finds the newest page and the next sequence
 * number, and finishes a compaction a power cut interrupted (no flash
 * operation otherwise: a new area is numbered by its first record). Needs
 * the port's memory-mapped flash (WA_ERR_NOT_SUPPORTED without). Returns 0
 * or an agent_err code. */
int wa_kv_open(void);

/* app: the NUL-terminated app name (slot name, at most WA_SLOT_NAME_MAX
 * bytes). Each returns 0 or an agent_err code; WA_ERR_INVALID_ARG for a
 * key of 0 or more than WA_KV_KEY_MAX bytes, a value above WA_KV_VALUE_MAX,
 * a bad namespace or app name. */

/* WA_ERR_NOT_FOUND when the key has no value; else *len = the value's full
 * length, of which at most cap bytes are copied to val. */
int wa_kv_get(unsigned ns, const char *app, const void *key, size_t key_len, void *val, size_t cap,
              size_t *len);

/* quota: bytes (key + value, summed over the app's live keys in ns) the
 * app may hold with this value in place; 0 = no quota check (agent
 * namespaces). WA_ERR_NO_SPACE when the quota or the area is full. */
int wa_kv_set(unsigned ns, const char *app, const void *key, size_t key_len, const void *val,
              size_t len, uint32_t quota);

/* WA_ERR_NOT_FOUND when the key has no value. */
int wa_kv_delete(unsigned ns, const char *app, const void *key, size_t key_len);

/* Non-zero stops the walk (wa_kv_each then returns it). */
typedef int (*wa_kv_each_fn)(const uint8_t *key, size_t key_len, const uint8_t *val, size_t len,
                             void *ctx);

/* Calls fn with each key of app in ns that has a value (in no set order);
 * key and val are valid only during the call. */
int wa_kv_each(unsigned ns, const char *app, wa_kv_each_fn fn, void *ctx);

/* Drops every key of app in every namespace (on `app remove`). */
int wa_kv_drop(const char *app);

#endif /* WA_KV_H */
