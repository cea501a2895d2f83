/*
 * wa_apps.h - the agent's app table (one entry per flash slot), as the
 * management side (wa_apps_smp.c) sees it. Single-threaded: called between
 * two rounds of loop() calls, never while an app runs.
 */
#ifndef WA_APPS_H
#define WA_APPS_H

#include <stddef.h>
#include <stdint.h>

/* Name of the app in slot k (NUL-terminated), or NULL for an empty slot. */
const char *wa_apps_name(uint32_t slot);

/* Slot of the app called name (len bytes), or -1. */
int wa_apps_find(const char *name, size_t len);

/* "running", "stopped", "disabled" (after a watchdog or fault reset) or
 * "refused" (header, module or runtime refused it); NULL for an empty slot. */
const char *wa_apps_state(uint32_t slot);

/* Reads slot k from flash into the table; with start, loads and starts the
 * app (setup or _start, then loop every round), else leaves it stopped.
 * Returns WA_OK, WA_ERR_NOT_FOUND (empty slot), WA_ERR_BAD_STATE (disabled)
 * or the refusal's code. */
int wa_apps_load(uint32_t slot, int start);

/* Starts a stopped app (reloading it from flash); no-op if running. */
int wa_apps_start(uint32_t slot);

/* Stops an app and frees what it holds; it stays installed. */
int wa_apps_stop(uint32_t slot);

/* Unloads the app and empties the entry (before its slot is rewritten). */
void wa_apps_forget(uint32_t slot);

/* What status reports about an app (since boot). */
#define WA_APP_MSG_MAX 64u
typedef struct wa_app_status {
    const char *state;    /* as wa_apps_state */
    uint32_t traps;       /* traps since boot */
    int32_t last_rc;      /* last trap or refusal (agent_err), 0 if none */
    const char *last_msg; /* its message, NULL if none */
    uint32_t mem_hw;      /* high-water bytes of the app's RAM pool; 0 if never started */
    uint32_t mem_budget;  /* the pool's budget (heap + linear memory + stack) */
    uint32_t uptime_ms;   /* since it was started; 0 when not running */
    uint32_t module_ram;  /* module bytes held in RAM (0: runs from flash, or not loaded) */
} wa_app_status_t;

/* Fills *st for the app in slot k; WA_ERR_NOT_FOUND for an empty slot. */
int wa_apps_status(uint32_t slot, wa_app_status_t *st);

/* Apps installed (slots with a header). */
uint32_t wa_apps_count(void);

/* Why this boot happened: "power-on", "watchdog", "fault" or "software". */
const char *wa_agent_reset_cause(void);

/* Registers the wasm-app SMP group (64) with the SMP server. */
void wa_apps_smp_init(void);

#endif /* WA_APPS_H */
