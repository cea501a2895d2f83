/*
 * wa_lifecycle.h - the app lifecycle: one state machine per flash slot.
 *
 *   (upload) DOWNLOADING --checks--> STAGED --start--> TRIAL --health--> CONFIRMED
 *                                                        |
 *                                    traps, CPU budget, health != 0, cannot
 *                                    start, reset, rollback: REVERTED (the
 *                                    previous version runs again) or FAILED
 *                                    (a first install: nothing runs)
 *
 * DOWNLOADING is a slot with an upload's meta and no committed header
 * (wa_install.c). From STAGED on, every transition is appended to the
 * journal (wa_journal.h) before it takes effect: persist first, act second.
 * A new version runs on trial while the previous one stays in its slot
 * (stopped); confirming it retires the previous one. A reset of any kind
 * while a version is on trial reverts it at the next boot.
 *
 * The journal also keeps each app's run flag (stopped over SMP, disabled
 * after a watchdog or fault reset) and the highest security counter ever
 * installed per app name, which survives removal.
 *
 * Handlers (the SMP group, the upload, the agent loop, boot) feed it events
 * and never write state themselves. Single-threaded.
 */
#ifndef WA_LIFECYCLE_H
#define WA_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "wa_runtime.h"
#include "wa_store.h"

enum wa_life {
    WA_LIFE_EMPTY = 0, /* no committed header */
    WA_LIFE_STAGED = 1,
    WA_LIFE_TRIAL = 2,
    WA_LIFE_CONFIRMED = 3,
    WA_LIFE_REVERTED = 4,
    WA_LIFE_FAILED = 5,
    WA_LIFE_REMOVED = 6, /* being removed: its header page is erased next */
};

enum wa_reason {
    WA_REASON_NONE = 0,
    WA_REASON_TRAPS = 1,
    WA_REASON_CPU_BUDGET = 2,
    WA_REASON_HEALTH = 3,
    WA_REASON_LOAD = 4,
    WA_REASON_RESET = 5,
    WA_REASON_WATCHDOG = 6,
    WA_REASON_FAULT = 7,
    WA_REASON_MANUAL = 8,
};

enum wa_run {
    WA_RUN_STARTED = 0,
    WA_RUN_STOPPED = 1,           /* stopped over SMP: stays stopped across resets */
    WA_RUN_DISABLED_WATCHDOG = 2, /* the watchdog reset the device while it ran */
    WA_RUN_DISABLED_FAULT = 3,    /* a CPU fault reset the device while it ran */
    /* The device reset while loading or starting it (wa_life_boot): a
     * watchdog or fault reset the first time, a power-on reset the second
     * time in a row. WA_RUN_DISABLED_LOAD + enum wa_boot_cause; `start`
     * tries it again. */
    WA_RUN_DISABLED_LOAD = 4,
};

#define WA_LIFE_MSG_MAX 72u
/* wa_life_info_t.count of a WA_REASON_LOAD verdict: the device reset while
 * loading the version (low bits: enum wa_boot_cause). */
#define WA_LIFE_COUNT_RESET 0x80u
#define WA_LIFE_SEQ_MAX 32u /* app names whose security counter is kept */

typedef struct wa_life_info {
    uint32_t gen; /* the header's generation; 0: empty slot */
    uint8_t life; /* enum wa_life */
    uint8_t reason;
    uint8_t count; /* traps counted for the verdict */
    uint8_t run;   /* enum wa_run */
    int32_t rc;    /* the verdict's agent_err, or what health returned */
    uint32_t flags;
    uint32_t seq;
    char name[WA_SLOT_NAME_MAX + 1];
    /* the trial (while life is WA_LIFE_TRIAL) */
    uint32_t loops;
    uint32_t traps;
    uint32_t need_loops;
    uint32_t max_traps;
    uint32_t window_ms;
    uint64_t trial_us;   /* when it began (0: no trial since boot) */
    uint64_t verdict_us; /* when it ended (0: not yet) */
    uint32_t traps_in_row;
    char msg[WA_LIFE_MSG_MAX]; /* the verdict as one line, since boot */
} wa_life_info_t;

/* ---- events ---------------------------------------------------------------- */

/* At boot: reads the slots and the journal, finishes what a reset
 * interrupted (a removal, a retirement), reverts a version on trial, applies
 * the boot's incident, disables the app whose load or start the reset cut
 * short, and starts the confirmed apps (none in safe mode: boot->safe). */
void wa_life_boot(const wa_boot_info_t *boot);

/* Whether the device is in safe mode: no app started at boot, until an
 * operator's command (start, stop, rm, an install, confirm, rollback)
 * leaves it (persisted: the next boot is a normal one). */
int wa_life_safe_mode(void);

/* After an export of slot k's app was called (rc: WA_OK or the trap). */
void wa_life_after_call(uint32_t slot, const char *export_name, int rc, const wa_error_t *err);

/* Once per agent round: confirms the versions whose health policy holds. */
void wa_life_tick(void);

/* The upload into slot k has its header committed (STAGED); with start,
 * its trial begins. Returns WA_OK or an agent_err. */
int wa_life_installed(uint32_t slot, int start);

/* SMP commands on the app called name (len bytes). Each returns WA_OK,
 * WA_ERR_NOT_FOUND (no such app), WA_ERR_BAD_STATE (not in a state the
 * command applies to), or a flash error. */
int wa_life_start(const char *name, size_t len);
int wa_life_stop(const char *name, size_t len);
int wa_life_remove(const char *name, size_t len);
int wa_life_confirm(const char *name, size_t len);
int wa_life_rollback(const char *name, size_t len);

/* Begins a new trial of slot k (a re-deploy of a staged, reverted or
 * failed version). */
int wa_life_retry(uint32_t slot);

/* ---- uploads --------------------------------------------------------------- */

/* A slot for an upload of app name: empty, or one whose content may go (a
 * reverted or failed version, or a staged one of the same app). A new app
 * may not take the last usable slot: it is kept so that every installed app
 * can be updated beside its running version. Erases nothing. -1 if none. */
int wa_life_choose_slot(const char *name, size_t len);

/* Makes slot k (chosen above) empty, persisting first. Returns an agent_err. */
int wa_life_reclaim(uint32_t slot);

/* Whether an upload of app name may go on: WA_ERR_BAD_STATE while a
 * version of it is on trial; WA_ERR_UNSIGNED for a bare module when a
 * signed bundle of that name was ever installed; for a bundle with counter
 * seq, WA_ERR_ROLLBACK below the highest ever installed. */
int wa_life_check_upload(const char *name, size_t len, int bundle, uint32_t seq);

/* Records seq as installed for app name (before its header is committed).
 * WA_ERR_NO_MEMORY when WA_LIFE_SEQ_MAX names are kept already. */
int wa_life_note_seq(const char *name, size_t len, uint32_t seq);

/* The generation for a new install. */
uint32_t wa_life_next_generation(void);

/* ---- queries --------------------------------------------------------------- */

/* Slot k's state; NULL for an empty slot. */
const wa_life_info_t *wa_life_info(uint32_t slot);

/* The app's current slot: the one on trial, else the confirmed one, else
 * the newest staged, else the newest reverted or failed; -1 if none. */
int wa_life_current(const char *name, size_t len);

/* The newest slot of app name, -1 if none. */
int wa_life_newest(const char *name, size_t len);

/* Slots a new app could be installed into now (one is always kept). */
uint32_t wa_life_free_slots(void);

/* Apps installed (slots holding a version). */
uint32_t wa_life_count(void);

/* "staged", "trial", "confirmed", "reverted", "failed"; "traps", ...;
 * and the verdict of slot k as one line. */
const char *wa_life_name(uint32_t life);
const char *wa_life_reason_name(uint32_t reason);
const char *wa_life_verdict(uint32_t slot);

/* The reason code shown with slot k's verdict (a confirmed app disabled by
 * a reset while loading shows "load"). */
uint32_t wa_life_reason(uint32_t slot);

/* The run state as list and status show it: "running", "stopped",
 * "disabled" or "refused". */
const char *wa_life_run_state(uint32_t slot);

#endif /* WA_LIFECYCLE_H */
