/*
 * wa_agent.c - the device agent: boots, reads the boot log, hands the apps
 * found in flash to the lifecycle (wa_lifecycle.h), then runs them: loop()
 * of every running app each round, the lifecycle's verdicts on versions on
 * trial, and the management UART between rounds.
 *
 * Events: between rounds the agent calls on_timer(id), on_message(len) and
 * on_gpio(pin, level) of the apps with one due (wa_runner_event), and sleeps
 * (the port's wa_port_mgmt_wait: WFI on Cortex-M, poll(2) on the host) until
 * the next round, timer, GPIO sample or management byte (a message comes as
 * an SMP request: its callback runs right after the request is answered). A
 * callback is a call like loop(): same CPU budget, and its traps count the
 * same.
 *
 * Runaway apps: the CPU budget stops a call that runs too long (a trap);
 * the lifecycle decides what a trap means (a version on trial is reverted;
 * a confirmed app that traps WA_AGENT_MAX_TRAPS times in a row is stopped).
 * The hardware watchdog is the backstop: if it fires while an app runs, the
 * incident is recorded before the reset and at the next boot that app is
 * disabled, or reverted when it was on trial.
 */
#include <stdio.h>
#include <string.h>

#include "wa_agent_config.h"
#include "wa_apps_smp.h"
#include "wa_console.h"
#include "wa_kv.h"
#include "wa_lifecycle.h"
#include "wa_mgmt.h"
#include "wa_port.h"
#include "wa_runner.h"
#include "wa_store.h"
#include "wa_trusted_keys.h"

static wa_boot_info_t s_boot;

static void print_banner(void)
{
    wa_console_printf("wamr-agent firmware %s board=%s cpu=%s ram=%u heap_free=%u t_us=%lu\n",
                      WA_AGENT_VERSION, WA_BOARD_NAME, WA_BOARD_CPU, (unsigned)WA_BOARD_RAM_BYTES,
                      (unsigned)wa_port_heap_free(), (unsigned long)wa_port_time_us());
    wa_console_printf("budget module=%u linear=%u stack=%u heap=%u cpu_ticks=%u\n",
                      (unsigned)WA_BOARD_BUDGET_MODULE_BYTES,
                      (unsigned)WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES,
                      (unsigned)WA_BOARD_BUDGET_STACK_BYTES, (unsigned)WA_BOARD_BUDGET_HEAP_BYTES,
                      (unsigned)WA_BOARD_BUDGET_CPU_TICKS);
    wa_console_printf("trusted bundle keys=%u%s%s\n", (unsigned)WA_TRUSTED_KEY_COUNT,
                      WA_REQUIRE_SIGNED ? " (signed bundles only)" : "",
                      WA_TRUSTED_TEST_KEY >= 0 ? " (one is the published TEST key: not for "
                                                 "production)"
                                               : "");
    wa_console_printf("flash bytes=%u page=%u slots=%u slot_bytes=%u kv_pages=%u\n",
                      (unsigned)wa_port_flash_size(), (unsigned)WA_STORE_PAGE,
                      (unsigned)WA_STORE_SLOTS, (unsigned)WA_STORE_SLOT_BYTES,
                      (unsigned)WA_STORE_KV_PAGES);
}

/* Why this boot is in safe mode, once wa_store_boot said it is. */
static char s_safe_why[96];

static void enter_safe_mode(void)
{
    if (s_boot.safe_kept) {
        snprintf(s_safe_why, sizeof s_safe_why,
                 "kept from an earlier boot until an operator acts (start, deploy, rm)");
    } else {
        snprintf(s_safe_why, sizeof s_safe_why,
                 "%u boots in a row reset before serving SMP (last reset: %s)",
                 (unsigned)s_boot.early, wa_store_cause_name(s_boot.cause));
    }
    wa_console_printf("safe mode: %s; SMP served, no app started\n", s_safe_why);
}

const char *wa_agent_safe_mode(void)
{
    return wa_life_safe_mode() ? s_safe_why : NULL;
}

static void boot(void)
{
    print_banner();
    int rc = wa_store_boot(&s_boot, WA_AGENT_SAFE_MODE_BOOTS);
    if (rc != 0) {
        wa_console_printf("boot %u reset=%s (not saved: error %d)\n", (unsigned)s_boot.boot_count,
                          wa_store_cause_name(s_boot.cause), rc);
    } else {
        wa_console_printf("boot %u reset=%s\n", (unsigned)s_boot.boot_count,
                          wa_store_cause_name(s_boot.cause));
    }
    if (s_boot.safe) {
        enter_safe_mode();
    }
    /* From here on a hang (loading an app included) resets the device. */
    wa_port_watchdog_start(WA_AGENT_WATCHDOG_MS);
    if ((rc = wa_kv_open()) != WA_OK) {
        wa_console_printf("kv store: error %d\n", rc);
    }
    wa_life_boot(&s_boot);
}

const char *wa_agent_reset_cause(void)
{
    return wa_store_cause_name(s_boot.cause);
}

/* One round: loop() of every running app; returns how many run (export
 * loop or a callback: an app with only callbacks gets no loop() call). */
static int run_apps(void)
{
    int running = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_error_t err;
        int32_t result;
        if (!wa_runner_has(k, "loop") && !wa_runner_evented(k)) {
            continue;
        }
        running++;
        int rc = wa_runner_call(k, "loop", &result, &err);
        wa_life_after_call(k, "loop", rc, &err);
        wa_port_watchdog_feed();
    }
    wa_life_tick();
    return running;
}

/* Calls the callbacks due (a bounded number per app, so that a timer
 * shorter than its callback cannot starve the rest). */
static void run_events(void)
{
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        for (uint32_t n = 0; n <= WA_APP_TIMERS; n++) {
            wa_error_t err;
            const char *name;
            int rc = wa_runner_event(k, &name, &err);
            if (rc < 0) {
                break;
            }
            wa_life_after_call(k, name, rc, &err);
            wa_port_watchdog_feed();
        }
    }
}

/* Answers management requests and calls the apps' callbacks until the next
 * round of loop()s is due, WA_AGENT_LOOP_PERIOD_MS after this one ended.
 * Between them the port waits for the management UART's next byte, the
 * round or the next event, whichever comes first, so a request is answered
 * as soon as it has arrived. */
static void serve_until_next_round(void)
{
    uint64_t round_us = wa_port_time_us() + WA_AGENT_LOOP_PERIOD_MS * 1000ull;
    for (;;) {
        wa_mgmt_poll();
        run_events();
        uint64_t now = wa_port_time_us();
        if (now >= round_us) {
            return;
        }
        uint32_t wait = (uint32_t)((round_us - now + 999u) / 1000u);
        uint32_t next = wa_runner_next_event();
        wait = next < wait ? next : wait;
        if (!wa_mgmt_pending() && wait > 0) {
            wa_port_mgmt_wait(wait);
        }
    }
}

void wa_agent_main(void)
{
    wa_mgmt_init();
    wa_apps_smp_init();
    boot();
    wa_console_printf("agent ready heap_free=%u t_us=%lu%s\n", (unsigned)wa_port_heap_free(),
                      (unsigned long)wa_port_time_us(), s_boot.safe ? " (safe mode)" : "");
    int was_idle = 0;
    int first_round = 1;
    for (;;) {
        int idle = run_apps() == 0;
        if (first_round && !idle) {
            wa_console_printf("first loop round done t_us=%lu\n", (unsigned long)wa_port_time_us());
        }
        if (first_round) {
            (void)wa_store_mark(WA_SERVED_MAGIC, WA_NO_SLOT); /* this boot did not loop */
        }
        first_round = 0;
        if (idle && !was_idle) {
            wa_console_printf("idle: no app running\n");
        }
        was_idle = idle;
        wa_port_watchdog_feed();
        serve_until_next_round();
    }
}

/* ---- hooks from the port --------------------------------------------------- */

void wa_agent_watchdog_expiring(void)
{
    uint32_t slot = wa_runner_current();
    wa_console_printf("watchdog expired while running slot %d\n",
                      slot == WA_NO_SLOT ? -1 : (int)slot);
    (void)wa_store_incident(WA_BOOT_WATCHDOG, slot);
}

void wa_agent_fault(uint32_t pc, uint32_t lr, uint32_t cfsr)
{
    (void)pc;
    (void)lr;
    (void)cfsr;
    (void)wa_store_incident(WA_BOOT_FAULT, wa_runner_current());
}
