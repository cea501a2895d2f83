/*
 * wa_runner.h - the app table: one entry per flash slot, holding the app
 * loaded from it (if any) and what status reports about it since boot.
 * Mechanism only: which app runs, and what a trap means for it, is the
 * lifecycle's to decide (wa_lifecycle.h). Single-threaded: called between
 * two rounds of loop() calls, never while an app runs.
 */
#ifndef WA_RUNNER_H
#define WA_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "wa_runtime.h"
#include "wa_store.h"

#define WA_APP_MSG_MAX 64u

/* What status reports about the app of a slot (since boot). */
typedef struct wa_runner_status {
    int loaded;      /* an app is loaded (it runs) */
    int refused;     /* its last load was refused */
    uint32_t traps;  /* traps since boot */
    int32_t last_rc; /* last trap or refusal (agent_err), 0 if none */
    const char *last_msg;
    uint32_t mem_now;    /* bytes of the app's RAM pool in use now (0: not loaded) */
    uint32_t mem_hw;     /* high-water bytes of the pool; 0 if never started */
    uint32_t mem_budget; /* the pool's budget (heap + linear memory + stack) */
    uint32_t uptime_ms;  /* since it was loaded; 0 when not loaded */
    uint32_t module_ram; /* module bytes held in RAM (0: runs from flash, or not loaded) */
    int aot;             /* it runs its AOT code (docs/aot.md), not the interpreter */
} wa_runner_status_t;

/* Loads the app of slot k from flash (its metered image in place when the
 * install wrote one); calls nothing. Returns WA_OK or the refusal's code
 * with *err set (the console says why). */
int wa_runner_load(uint32_t slot, const wa_slot_header_t *header, wa_error_t *err);

/* Calls an export with no arguments; *result is its i32 result (0 when it
 * returns none). WA_ERR_NO_EXPORT when the app lacks it, WA_ERR_NOT_FOUND
 * when no app is loaded, else WA_OK or the trap's code with *err set. */
int wa_runner_call(uint32_t slot, const char *export_name, int32_t *result, wa_error_t *err);

/* The same for an export taking one i32 argument (on_config(version)). */
int wa_runner_call_i32(uint32_t slot, const char *export_name, int32_t arg, int32_t *result,
                       wa_error_t *err);

/* Calls the event of slot k's app due next, if any (wa_runtime.h): an
 * expired timer's on_timer(id) (a timer expiring in an app without
 * on_timer is dropped), else a queued message's on_message(len), else, when
 * the app exports on_gpio, an edge's on_gpio(pin, level). -1 when none is
 * due, else as wa_runner_call; *export_name names the export. */
int wa_runner_event(uint32_t slot, const char **export_name, wa_error_t *err);

/* Queues a message of len bytes in the inbox of slot k's app (its
 * on_message is called from the agent's loop, wa_runner_event). WA_OK, or
 * WA_ERR_BAD_STATE (no app loaded: not running), WA_ERR_NO_EXPORT (it
 * exports no on_message), WA_ERR_TOO_LARGE, WA_ERR_NO_MEMORY (inbox full). */
int wa_runner_send(uint32_t slot, const uint8_t *data, size_t len);

/* Whether slot k's app exports an event callback (on_timer, on_gpio,
 * on_message): calls may come to it without loop. */
int wa_runner_evented(uint32_t slot);

/* Milliseconds until the next event of any app may be due (0: now;
 * UINT32_MAX: none): its earliest timer, or at most WA_AGENT_GPIO_SAMPLE_MS
 * while an app with on_gpio counts edges (edges are sampled). */
uint32_t wa_runner_next_event(void);

/* Whether the loaded app of slot k exports name. */
int wa_runner_has(uint32_t slot, const char *export_name);

/* Frees the app of slot k (it stops running); its counters stay. */
void wa_runner_unload(uint32_t slot);

/* Frees the app and clears the entry (the slot was erased or reused). */
void wa_runner_forget(uint32_t slot);

void wa_runner_status(uint32_t slot, wa_runner_status_t *st);

/* Whether slot k's app is loaded (it runs). */
int wa_runner_loaded(uint32_t slot);

/* The slot whose app is being called now, or WA_NO_SLOT (for the
 * watchdog and fault hooks). */
uint32_t wa_runner_current(void);

#endif /* WA_RUNNER_H */
