/* wa_lifecycle.c - see wa_lifecycle.h: the transitions. The state and its
 * records are in wa_life_state.c, the words shown to people in
 * wa_life_text.c, the queries in wa_life_query.c. */
#include "wa_lifecycle.h"

#include <stdio.h>
#include <string.h>

#include "wa_agent_config.h"
#include "wa_config.h"
#include "wa_console.h"
#include "wa_err.h"
#include "wa_kv.h"
#include "wa_life_state.h"
#include "wa_port.h"
#include "wa_runner.h"

/* The slot of app name (other than `not`) in state life, newest first; -1. */
static int find_life(const char *name, uint32_t life, uint32_t not )
{
    int best = -1;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        const wa_life_info_t *s = life_slot(k);
        if (k != not &&s->life == life && life_is(k, name, strlen(name)) &&
            (best < 0 || s->gen > life_slot((uint32_t)best)->gen)) {
            best = (int)k;
        }
    }
    return best;
}

/* Persists the removal of slot k, then erases its header page. */
static int retire(uint32_t k)
{
    int rc = life_persist(k, WA_LIFE_REMOVED, WA_REASON_NONE, 0, 0);
    if (rc != WA_OK) {
        return rc;
    }
    wa_runner_forget(k);
    rc = wa_store_erase_header(k);
    if (rc == WA_OK) {
        life_clear(k);
    }
    return rc;
}

/* ---- running a version ---------------------------------------------------------- */

static int s_booting; /* in wa_life_boot: one "load over" mark at its end */
static int s_marked;  /* a load was marked since the last "load over" */
static int s_safe;    /* safe mode: no app is started until an operator acts */

/* Persists that slot k (WA_NO_SLOT: none) is being loaded and started from
 * now on: a reset before the next mark is blamed on it at the next boot. */
static void mark_load(uint32_t k)
{
    if (wa_store_mark(WA_LOAD_MAGIC, k) != WA_OK) {
        wa_console_printf("load mark not saved (flash)\n");
    }
    s_marked = k != WA_NO_SLOT;
}

static void revert(uint32_t k, uint32_t reason, uint32_t count, int32_t rc, const char *why);
static void launch_steps(uint32_t k);

/* Loads slot k's app and calls its setup (or _start), marked in the boot
 * log while it runs; nothing in safe mode. */
static void launch(uint32_t k)
{
    if (s_safe) {
        wa_console_printf("app %s not started: safe mode\n", life_slot(k)->name);
        return;
    }
    wa_port_watchdog_feed();
    mark_load(k);
    launch_steps(k);
    wa_port_watchdog_feed();
    if (!s_booting && s_marked) {
        mark_load(WA_NO_SLOT);
    }
}

#if WA_TEST_HOOKS
/* Test images only (the simulated boards, `make faultfw`): an app whose name
 * begins crash-on-load faults while it loads, one whose name begins hang-on-load
 * never ends loading (the watchdog resets the device), whatever the engine can do. */
static void test_hook_load(const char *name)
{
    if (strncmp(name, "crash-on-load", 13) == 0) {
        __builtin_trap();
    }
    while (strncmp(name, "hang-on-load", 12) == 0) {
    }
}
#else
#define test_hook_load(name) ((void)0)
#endif

static void launch_steps(uint32_t k)
{
    wa_slot_header_t header;
    test_hook_load(life_slot(k)->name);
    wa_error_t err;
    (void)wa_config_roll(k); /* before setup can read its configuration */
    int rc = wa_store_header(k, &header);
    if (rc != WA_OK) {
        err.code = rc;
        snprintf(err.message, sizeof err.message, "slot header unreadable (error %d)", rc);
    } else {
        rc = wa_runner_load(k, &header, &err);
    }
    if (rc != WA_OK) {
        if (life_slot(k)->life == WA_LIFE_TRIAL) {
            revert(k, WA_REASON_LOAD, 0, rc, err.message);
        }
        return;
    }
    const char *entry = wa_runner_has(k, "setup") ? "setup" : "_start";
    int32_t result;
    rc = wa_runner_call(k, entry, &result, &err);
    wa_life_after_call(k, entry, rc, &err);
    wa_config_started(k);
}

static void revert(uint32_t k, uint32_t reason, uint32_t count, int32_t rc, const char *why)
{
    wa_life_info_t *s = life_slot(k);
    int prev = find_life(s->name, WA_LIFE_CONFIRMED, k);
    uint32_t life = prev >= 0 ? WA_LIFE_REVERTED : WA_LIFE_FAILED;
    if (life_persist(k, life, reason, count, rc) != WA_OK) {
        wa_console_printf("app %s: verdict not saved (flash); reverted at the next boot\n",
                          s->name);
    }
    snprintf(s->msg, sizeof s->msg, "%s", why);
    s->verdict_us = wa_port_time_us();
    wa_runner_unload(k);
    if (prev < 0) {
        wa_console_printf("app %s failed its trial (slot %u): %s\n", s->name, (unsigned)k, why);
        return;
    }
    wa_console_printf("app %s reverted (slot %u): %s; slot %u runs again\n", s->name, (unsigned)k,
                      why, (unsigned)prev);
    if (life_slot((uint32_t)prev)->run == WA_RUN_STARTED) {
        launch((uint32_t)prev);
    }
}

static int begin_trial(uint32_t k)
{
    wa_life_info_t *s = life_slot(k);
    if (s->life == WA_LIFE_TRIAL) {
        return WA_OK;
    }
    int rc = life_persist(k, WA_LIFE_TRIAL, WA_REASON_NONE, 0, 0);
    if (rc != WA_OK) {
        return rc;
    }
    s->loops = 0;
    s->traps = 0;
    s->traps_in_row = 0;
    s->msg[0] = '\0';
    s->trial_us = wa_port_time_us();
    s->verdict_us = 0;
    int prev = find_life(s->name, WA_LIFE_CONFIRMED, k);
    if (prev >= 0) {
        wa_runner_unload((uint32_t)prev);
    }
    wa_console_printf("app %s on trial (slot %u): %u loop rounds, %u traps at most, %u ms%s\n",
                      s->name, (unsigned)k, (unsigned)s->need_loops, (unsigned)s->max_traps,
                      (unsigned)s->window_ms,
                      (s->flags & WA_SLOT_F_MANUAL) ? ", confirmed by an operator" : "");
    launch(k);
    return WA_OK;
}

static int confirm(uint32_t k)
{
    wa_life_info_t *s = life_slot(k);
    int rc = life_persist(k, WA_LIFE_CONFIRMED, WA_REASON_NONE, 0, 0);
    if (rc != WA_OK) {
        return rc;
    }
    s->verdict_us = wa_port_time_us();
    wa_console_printf("app %s confirmed (slot %u, %u loop rounds, %u traps, %u ms)\n", s->name,
                      (unsigned)k, (unsigned)s->loops, (unsigned)s->traps,
                      (unsigned)((wa_port_time_us() - s->trial_us) / 1000u));
    for (uint32_t j = 0; j < WA_STORE_SLOTS; j++) {
        const wa_life_info_t *o = life_slot(j);
        if (j != k && life_is(j, s->name, strlen(s->name)) && o->gen < s->gen &&
            (o->life == WA_LIFE_CONFIRMED || o->life == WA_LIFE_STAGED) && retire(j) == WA_OK) {
            wa_console_printf("slot %u retired: its app was updated in slot %u\n", (unsigned)j,
                              (unsigned)k);
        }
    }
    return WA_OK;
}

/* ---- boot ----------------------------------------------------------------------- */

/* Finishes removals and retirements a reset interrupted. */
static void settle(void)
{
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        const wa_life_info_t *s = life_slot(k);
        if (s->life == WA_LIFE_REMOVED && wa_store_erase_header(k) == WA_OK) {
            life_clear(k);
        }
    }
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        const wa_life_info_t *s = life_slot(k);
        int newer = find_life(s->name, WA_LIFE_CONFIRMED, k);
        if ((s->life == WA_LIFE_CONFIRMED || s->life == WA_LIFE_STAGED) && newer >= 0 &&
            life_slot((uint32_t)newer)->gen > s->gen && retire(k) == WA_OK) {
            wa_console_printf("slot %u retired: its app was updated in slot %u\n", (unsigned)k,
                              (unsigned)newer);
        }
    }
}

static void apply_incident(const wa_boot_info_t *boot)
{
    const wa_life_info_t *s = life_slot(boot->slot);
    int incident = boot->cause == WA_BOOT_WATCHDOG || boot->cause == WA_BOOT_FAULT;
    if (!incident || s == NULL || s->life != WA_LIFE_CONFIRMED || boot->slot == boot->load_slot) {
        return;
    }
    uint32_t run =
        boot->cause == WA_BOOT_WATCHDOG ? WA_RUN_DISABLED_WATCHDOG : WA_RUN_DISABLED_FAULT;
    int rc = life_persist_run(boot->slot, run);
    wa_console_printf("app %s disabled: the %s reset the device while it ran%s\n", s->name,
                      boot->cause == WA_BOOT_WATCHDOG ? "watchdog" : "fault",
                      rc == WA_OK ? "" : " (not saved)");
}

/* A confirmed app whose load or start the reset cut short is disabled: at
 * once after a watchdog or fault reset, after a power-on reset only when the
 * reset before cut its load short too (a power cut while loading is no
 * fault of the app's; a fault that could not record itself looks like one). */
static void apply_load_reset(const wa_boot_info_t *boot)
{
    const wa_life_info_t *s = life_slot(boot->load_slot);
    if (s == NULL || s->gen == 0 || s->life != WA_LIFE_CONFIRMED) {
        return;
    }
    const char *cause = wa_store_cause_name(boot->cause);
    if (boot->cause == WA_BOOT_POWER_ON && !boot->load_again) {
        wa_console_printf("app %s: the device reset while loading it (%s); disabled if that "
                          "happens again\n",
                          s->name, cause);
        return;
    }
    int rc = life_persist_run(boot->load_slot, WA_RUN_DISABLED_LOAD + (boot->cause & 3u));
    wa_console_printf("app %s disabled: the device reset while loading it (%s)%s\n", s->name, cause,
                      rc == WA_OK ? "" : " (not saved)");
}

/* A version still on trial at boot: the device reset while it ran. */
static void revert_after_reset(const wa_boot_info_t *boot)
{
    static const char *const why[] = {"the device reset while it was on trial",
                                      "the watchdog reset the device while it was on trial",
                                      "a CPU fault reset the device while it was on trial"};
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        if (life_slot(k)->life != WA_LIFE_TRIAL) {
            continue;
        }
        if (boot->load_slot == k) {
            char text[WA_LIFE_MSG_MAX];
            snprintf(text, sizeof text, "the device reset while loading it (%s)",
                     wa_store_cause_name(boot->cause));
            revert(k, WA_REASON_LOAD, WA_LIFE_COUNT_RESET | (boot->cause & 3u), 0, text);
            continue;
        }
        uint32_t reason = WA_REASON_RESET;
        if (boot->slot == k && boot->cause == WA_BOOT_WATCHDOG) {
            reason = WA_REASON_WATCHDOG;
        } else if (boot->slot == k && boot->cause == WA_BOOT_FAULT) {
            reason = WA_REASON_FAULT;
        }
        revert(k, reason, 0, 0, why[reason - WA_REASON_RESET]);
    }
}

void wa_life_boot(const wa_boot_info_t *boot)
{
    int rc = life_state_load();
    if (rc != WA_OK) {
        wa_console_printf("lifecycle journal unreadable (error %d)\n", rc);
    }
    s_booting = 1;
    s_safe = boot->safe;
    settle();
    apply_incident(boot);
    apply_load_reset(boot);
    revert_after_reset(boot); /* starts the previous versions */
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        const wa_life_info_t *s = life_slot(k);
        if (s->life == WA_LIFE_CONFIRMED && s->run == WA_RUN_STARTED && !wa_runner_loaded(k)) {
            launch(k);
        } else if (s->life == WA_LIFE_CONFIRMED && s->run >= WA_RUN_DISABLED_LOAD) {
            wa_console_printf("app %s not started: disabled after a reset while loading it\n",
                              s->name);
        } else if (s->life == WA_LIFE_CONFIRMED && s->run >= WA_RUN_DISABLED_WATCHDOG) {
            wa_console_printf("app %s not started: disabled after a %s reset\n", s->name,
                              s->run == WA_RUN_DISABLED_WATCHDOG ? "watchdog" : "fault");
        }
    }
    s_booting = 0;
    if (s_marked) {
        mark_load(WA_NO_SLOT);
    }
}

int wa_life_safe_mode(void)
{
    return s_safe;
}

/* An operator's command: safe mode ends (persisted first, so the next boot
 * is a normal one); the other apps start at that boot. */
static void operator_acted(void)
{
    if (!s_safe) {
        return;
    }
    int rc = wa_store_mark(WA_OPERATOR_MAGIC, WA_NO_SLOT);
    s_safe = 0;
    wa_console_printf("safe mode over: an operator acted%s; the apps start at the next boot\n",
                      rc == WA_OK ? "" : " (not saved)");
}

/* ---- the agent loop ------------------------------------------------------------- */

/* The engine's trap message without the "<export>: [trap] " it starts with. */
static const char *trap_text(const char *export_name, const char *message)
{
    size_t n = strlen(export_name);
    if (strncmp(message, export_name, n) == 0 && strncmp(message + n, ": ", 2) == 0) {
        message += n + 2u;
    }
    return strncmp(message, "[trap] ", 7) == 0 ? message + 7 : message;
}

void wa_life_after_call(uint32_t slot, const char *export_name, int rc, const wa_error_t *err)
{
    wa_life_info_t *s = life_slot(slot);
    if (s == NULL || rc == WA_ERR_NO_EXPORT || rc == WA_ERR_NOT_FOUND) {
        return;
    }
    if (rc == WA_OK) {
        s->traps_in_row = 0;
        /* a round: loop, or an event callback (on_timer, on_message, ...) */
        s->loops += s->life == WA_LIFE_TRIAL && (strcmp(export_name, "loop") == 0 ||
                                                 strncmp(export_name, "on_", 3) == 0)
                        ? 1u
                        : 0u;
        return;
    }
    s->traps_in_row++;
    if (s->life == WA_LIFE_TRIAL && ++s->traps > s->max_traps) {
        char why[WA_LIFE_MSG_MAX];
        snprintf(why, sizeof why, "%s trapped %u time%s: %.40s", export_name, (unsigned)s->traps,
                 s->traps == 1 ? "" : "s", trap_text(export_name, err->message));
        revert(slot, rc == WA_ERR_TRAP_CPU_BUDGET ? WA_REASON_CPU_BUDGET : WA_REASON_TRAPS,
               s->traps, rc, why);
    } else if (s->life != WA_LIFE_TRIAL && s->traps_in_row >= WA_AGENT_MAX_TRAPS) {
        wa_runner_unload(slot);
        wa_console_printf("app %s stopped after %u traps in a row\n", s->name,
                          (unsigned)s->traps_in_row);
    }
}

/* The health export's verdict: WA_OK, or the trial is reverted. */
static int health_holds(uint32_t k)
{
    wa_error_t err;
    int32_t result = 0;
    int rc = wa_runner_call(k, "health", &result, &err);
    char why[WA_LIFE_MSG_MAX];
    if (rc == WA_ERR_NO_EXPORT || (rc == WA_OK && result == 0)) {
        return WA_OK;
    }
    if (rc != WA_OK) {
        snprintf(why, sizeof why, "health trapped: %.48s", trap_text("health", err.message));
    } else {
        snprintf(why, sizeof why, "health returned %d", (int)result);
    }
    revert(k, WA_REASON_HEALTH, 0, rc != WA_OK ? rc : result, why);
    return WA_ERR_BAD_STATE;
}

/* Whether slot k's trial has its rounds (docs/lifecycle.md): loop and the
 * event callbacks count. An app without loop may get no callback (nobody
 * sends it a message): it has them once the time they take at the agent's
 * round has passed too; one with no callback at all (a WASI command) needs
 * none. */
static int rounds_done(uint32_t k, const wa_life_info_t *s, uint64_t now)
{
    if (s->loops >= s->need_loops || wa_runner_has(k, "loop")) {
        return s->loops >= s->need_loops;
    }
    return !wa_runner_evented(k) ||
           now - s->trial_us >= (uint64_t)s->need_loops * WA_AGENT_LOOP_PERIOD_MS * 1000u;
}

void wa_life_tick(void)
{
    uint64_t now = wa_port_time_us();
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        const wa_life_info_t *s = life_slot(k);
        if (s->life != WA_LIFE_TRIAL || (s->flags & WA_SLOT_F_MANUAL) || !wa_runner_loaded(k)) {
            continue;
        }
        if (rounds_done(k, s, now) && now - s->trial_us >= (uint64_t)s->window_ms * 1000u &&
            health_holds(k) == WA_OK) {
            (void)confirm(k);
        }
    }
}

/* ---- commands ------------------------------------------------------------------- */

int wa_life_installed(uint32_t slot, int start)
{
    operator_acted();
    life_read_slot(slot); /* the new header, as boot would read it */
    if (life_slot(slot) == NULL || life_slot(slot)->gen == 0) {
        return WA_ERR_UNKNOWN;
    }
    return start ? begin_trial(slot) : WA_OK;
}

int wa_life_retry(uint32_t slot)
{
    operator_acted();
    const wa_life_info_t *s = life_slot(slot);
    if (s == NULL || s->gen == 0) {
        return WA_ERR_NOT_FOUND;
    }
    if (s->life == WA_LIFE_CONFIRMED) {
        return WA_ERR_BAD_STATE;
    }
    return begin_trial(slot);
}

int wa_life_start(const char *name, size_t len)
{
    operator_acted();
    int k = wa_life_current(name, len);
    int staged = wa_life_newest(name, len);
    if (k < 0) {
        return WA_ERR_NOT_FOUND;
    }
    if (life_slot((uint32_t)staged)->life == WA_LIFE_STAGED) {
        return begin_trial((uint32_t)staged); /* an update installed with --no-start */
    }
    const wa_life_info_t *s = life_slot((uint32_t)k);
    if (s->life != WA_LIFE_CONFIRMED) {
        return s->life == WA_LIFE_TRIAL ? WA_OK : begin_trial((uint32_t)k);
    }
    if (s->run >= WA_RUN_DISABLED_WATCHDOG && s->run < WA_RUN_DISABLED_LOAD) {
        return WA_ERR_BAD_STATE; /* deploy it again */
    }
    int rc = life_persist_run((uint32_t)k, WA_RUN_STARTED);
    if (rc == WA_OK && !wa_runner_loaded((uint32_t)k)) {
        launch((uint32_t)k);
    }
    return rc;
}

int wa_life_stop(const char *name, size_t len)
{
    operator_acted();
    int k = wa_life_current(name, len);
    if (k < 0) {
        return WA_ERR_NOT_FOUND;
    }
    const wa_life_info_t *s = life_slot((uint32_t)k);
    if (s->life == WA_LIFE_TRIAL) {
        return WA_ERR_BAD_STATE; /* confirm or roll back first */
    }
    wa_runner_unload((uint32_t)k);
    return s->run == WA_RUN_STARTED ? life_persist_run((uint32_t)k, WA_RUN_STOPPED) : WA_OK;
}

int wa_life_remove(const char *name, size_t len)
{
    operator_acted();
    int found = 0;
    int rc = WA_OK;
    for (uint32_t k = 0; k < WA_STORE_SLOTS && rc == WA_OK; k++) {
        if (life_is(k, name, len)) {
            found = 1;
            rc = retire(k);
            wa_console_printf("app %.*s removed (slot %u)\n", (int)len, name, (unsigned)k);
        }
    }
    if (found && rc == WA_OK) { /* its storage goes too (after: a cut keeps the app's keys) */
        char app[WA_SLOT_NAME_MAX + 1] = {0};
        memcpy(app, name, len < WA_SLOT_NAME_MAX ? len : WA_SLOT_NAME_MAX);
        (void)wa_kv_drop(app);
    }
    return found ? rc : WA_ERR_NOT_FOUND;
}

int wa_life_confirm(const char *name, size_t len)
{
    operator_acted();
    int k = wa_life_current(name, len);
    if (k < 0) {
        return WA_ERR_NOT_FOUND;
    }
    return life_slot((uint32_t)k)->life == WA_LIFE_TRIAL ? confirm((uint32_t)k) : WA_ERR_BAD_STATE;
}

int wa_life_rollback(const char *name, size_t len)
{
    operator_acted();
    int k = wa_life_current(name, len);
    if (k < 0) {
        return WA_ERR_NOT_FOUND;
    }
    if (life_slot((uint32_t)k)->life != WA_LIFE_TRIAL) {
        return WA_ERR_BAD_STATE;
    }
    revert((uint32_t)k, WA_REASON_MANUAL, 0, 0, "rolled back by an operator");
    return WA_OK;
}

int wa_life_reclaim(uint32_t slot)
{
    const wa_life_info_t *s = life_slot(slot);
    if (s == NULL) {
        return WA_ERR_INVALID_ARG;
    }
    return s->gen == 0 ? WA_OK : retire(slot);
}
