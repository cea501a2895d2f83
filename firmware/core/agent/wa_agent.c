/*
 * wa_agent.c - the device agent: boots, reads the boot log, loads the apps
 * found in flash and runs them (setup once, then loop periodically), with
 * log and telemetry on the console.
 *
 * Runaway apps: the CPU budget stops a call that runs too long (a trap);
 * an app that traps WA_AGENT_MAX_TRAPS times in a row is stopped. The
 * hardware watchdog is the backstop: if it fires while an app runs, the
 * incident is recorded before the reset and the app is disabled at the next
 * boot, so a device never reboots into the same runaway app.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wa_agent_config.h"
#include "wa_apps.h"
#include "wa_console.h"
#include "wa_install.h"
#include "wa_mgmt.h"
#include "wa_port.h"
#include "wa_runtime.h"
#include "wa_store.h"
#include "wa_trusted_keys.h"

typedef struct agent_app {
    uint32_t slot;
    char name[WA_SLOT_NAME_MAX + 1];
    wa_app_t *app;
    int has_loop;
    uint32_t traps_in_row;
    int stopped;
    int present; /* the slot has a header */
    int refused; /* header, module or runtime refused it */
    /* for status (since boot) */
    uint32_t traps;
    int32_t last_rc;
    char last_msg[WA_APP_MSG_MAX];
    uint64_t started_us;
    uint32_t mem_hw;
} agent_app_t;

static agent_app_t s_apps[WA_STORE_SLOTS];
static volatile uint32_t s_running_slot = WA_NO_SLOT;
static wa_boot_info_t s_boot;

/* ---- host ops: what the apps see --------------------------------------- */

static int op_log(void *ctx, int stream, const char *msg, size_t len)
{
    const agent_app_t *a = (const agent_app_t *)ctx;
    const char *tag = stream == WA_STREAM_STDERR ? "stderr " : "";
    wa_console_printf("[%s] %s%.*s\n", a->name, tag, (int)len, msg);
    return 0;
}

static int op_telemetry(void *ctx, const char *key, size_t key_len, float value)
{
    const agent_app_t *a = (const agent_app_t *)ctx;
    char number[24];
    wa_format_float(number, sizeof number, value);
    wa_console_printf("telemetry %s %.*s=%s\n", a->name, (int)key_len, key, number);
    return 0;
}

static int op_sensor(void *ctx, int32_t channel, float *value)
{
    (void)ctx;
    return wa_port_sensor_read(channel, value);
}

static uint64_t op_time_us(void *ctx)
{
    (void)ctx;
    return wa_port_time_us();
}

static int op_sleep_ms(void *ctx, uint32_t ms)
{
    (void)ctx;
    wa_port_watchdog_feed();
    wa_port_sleep_ms(ms);
    return 0;
}

/* ---- boot ----------------------------------------------------------------- */

static const char *cause_name(uint32_t cause)
{
    switch (cause) {
    case WA_BOOT_WATCHDOG: return "watchdog";
    case WA_BOOT_FAULT: return "fault";
    case WA_BOOT_SOFTWARE: return "software";
    default: return "power-on";
    }
}

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
    wa_console_printf("flash bytes=%u page=%u slots=%u slot_bytes=%u\n",
                      (unsigned)wa_port_flash_size(), (unsigned)WA_STORE_PAGE,
                      (unsigned)WA_STORE_SLOTS, (unsigned)WA_STORE_SLOT_BYTES);
}

/* Disables the app an incident happened in, so it is not started again. */
static void apply_incident(const wa_boot_info_t *boot)
{
    wa_slot_header_t header;
    if (boot->cause == WA_BOOT_POWER_ON || boot->cause == WA_BOOT_SOFTWARE ||
        boot->slot >= WA_STORE_SLOTS) {
        return;
    }
    uint32_t state =
        boot->cause == WA_BOOT_WATCHDOG ? WA_SLOT_DISABLED_WATCHDOG : WA_SLOT_DISABLED_FAULT;
    int rc = wa_store_set_state(boot->slot, state);
    int named = wa_store_header(boot->slot, &header) == WA_OK;
    wa_console_printf("app %.*s disabled: the %s reset the device while it ran%s\n",
                      named ? (int)strnlen(header.name, WA_SLOT_NAME_MAX) : 1,
                      named ? header.name : "?", cause_name(boot->cause),
                      rc == 0 ? "" : " (state not saved)");
}

static void boot(void)
{
    print_banner();
    int rc = wa_store_boot(&s_boot);
    if (rc != 0) {
        wa_console_printf("boot log unavailable (error %d)\n", rc);
        return;
    }
    wa_console_printf("boot %u reset=%s\n", (unsigned)s_boot.boot_count, cause_name(s_boot.cause));
    apply_incident(&s_boot);
}

const char *wa_agent_reset_cause(void)
{
    return cause_name(s_boot.cause);
}

/* ---- apps ----------------------------------------------------------------- */

static wa_budget_t slot_budget(const wa_slot_header_t *header)
{
    wa_budget_t b = {WA_BOARD_BUDGET_MODULE_BYTES, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES,
                     WA_BOARD_BUDGET_STACK_BYTES, WA_BOARD_BUDGET_HEAP_BYTES,
                     WA_BOARD_BUDGET_CPU_TICKS};
    if (header->cpu_ticks != WA_SLOT_TICKS_DEFAULT) {
        b.cpu_ticks = header->cpu_ticks;
    }
    return b;
}

static void note_error(agent_app_t *a, int rc, const char *message)
{
    size_t len = strnlen(message, sizeof a->last_msg - 1u); /* cut to fit */
    a->last_rc = rc;
    memcpy(a->last_msg, message, len);
    a->last_msg[len] = '\0';
}

static int call_export(agent_app_t *a, const char *export_name)
{
    wa_error_t err;
    wa_value_t result;
    uint32_t n = 0;
    s_running_slot = a->slot;
    int rc = wa_app_call(a->app, export_name, NULL, 0, &result, 1, &n, &err);
    s_running_slot = WA_NO_SLOT;
    if (rc != WA_OK) {
        a->traps_in_row++;
        a->traps++;
        note_error(a, rc, err.message);
        wa_console_printf("app %s trap: %s\n", a->name, err.message);
        return rc;
    }
    a->traps_in_row = 0;
    if (n == 1 && result.type == 'i' && result.of.i32 != 0) {
        wa_console_printf("app %s %s returned %d\n", a->name, export_name, (int)result.of.i32);
    }
    return WA_OK;
}

/* The app runs from its metered image in flash when the install wrote one
 * (no copy in RAM), else from a copy the runtime meters at load. */
static wa_app_t *load_app(agent_app_t *a, const wa_slot_header_t *header, const uint8_t *module,
                          const wa_budget_t *budget, const wa_host_ops_t *ops, wa_error_t *err)
{
    int rc;
    const uint8_t *image = budget->cpu_ticks != 0 ? wa_store_image(a->slot, header, &rc) : NULL;
    if (image != NULL) {
        return wa_app_load_metered(budget, header->grants, ops, image, header->image_len, err);
    }
    if (budget->cpu_ticks != 0 && rc == WA_ERR_MALFORMED) {
        wa_console_printf("app %s: metered image corrupt (CRC); metering a copy in RAM\n", a->name);
    }
    return wa_app_load(budget, header->grants, ops, module, header->module_len, err);
}

static int start_app(agent_app_t *a, const wa_slot_header_t *header, const uint8_t *module)
{
    static const wa_host_ops_t ops_template = {NULL,       op_log,      op_sensor, op_telemetry,
                                               op_time_us, op_sleep_ms, NULL};
    wa_host_ops_t ops = ops_template;
    wa_budget_t budget = slot_budget(header);
    wa_error_t err;
    char sig[WA_WASM_SIG_MAX];
    ops.ctx = a;
    a->app = load_app(a, header, module, &budget, &ops, &err);
    if (a->app == NULL) {
        wa_console_printf("app %s refused: %s\n", a->name, err.message);
        a->refused = 1;
        note_error(a, err.code, err.message);
        return err.code;
    }
    a->started_us = wa_port_time_us();
    a->has_loop = wa_app_export_sig(a->app, "loop", sig, sizeof sig, NULL) == WA_OK;
    wa_console_printf("app %s started (%u bytes, slot %u) t_us=%lu\n", a->name,
                      (unsigned)header->module_len, (unsigned)a->slot,
                      (unsigned long)wa_port_time_us());
    if (wa_app_export_sig(a->app, "setup", sig, sizeof sig, NULL) == WA_OK) {
        call_export(a, "setup");
    } else if (wa_app_export_sig(a->app, "_start", sig, sizeof sig, NULL) == WA_OK) {
        call_export(a, "_start");
    }
    return WA_OK;
}

static int is_disabled(uint32_t state)
{
    return state == WA_SLOT_DISABLED_WATCHDOG || state == WA_SLOT_DISABLED_FAULT;
}

void wa_apps_forget(uint32_t slot)
{
    if (slot >= WA_STORE_SLOTS) {
        return;
    }
    agent_app_t *a = &s_apps[slot];
    wa_app_free(a->app);
    memset(a, 0, sizeof *a);
    a->slot = slot;
}

int wa_apps_load(uint32_t slot, int start)
{
    wa_slot_header_t header;
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    agent_app_t *a = &s_apps[slot];
    agent_app_t kept = *a; /* a restart keeps the counters status reports */
    wa_apps_forget(slot);
    int rc = wa_store_header(slot, &header);
    if (kept.present && strncmp(kept.name, header.name, WA_SLOT_NAME_MAX) == 0) {
        a->traps = kept.traps;
        a->last_rc = kept.last_rc;
        memcpy(a->last_msg, kept.last_msg, sizeof a->last_msg);
        a->mem_hw = kept.mem_hw;
    }
    if (rc == WA_ERR_NOT_FOUND) {
        return rc;
    }
    a->present = 1;
    memcpy(a->name, header.name, WA_SLOT_NAME_MAX);
    a->name[WA_SLOT_NAME_MAX] = '\0';
    if (rc != WA_OK) {
        a->refused = 1;
        wa_console_printf("slot %u: unreadable app header (error %d)\n", (unsigned)slot, rc);
        return rc;
    }
    uint32_t state = wa_store_state(slot);
    if (is_disabled(state)) {
        wa_console_printf("app %s not started: disabled after a %s reset\n", a->name,
                          state == WA_SLOT_DISABLED_WATCHDOG ? "watchdog" : "fault");
        return WA_ERR_BAD_STATE;
    }
    if (state == WA_SLOT_STOPPED) {
        start = 0; /* stopped over SMP: stays stopped across resets */
    }
    if (!start) {
        a->stopped = 1;
        return WA_OK;
    }
    const uint8_t *module = wa_store_module(slot, &header, NULL, 0, &rc);
    if (module == NULL) {
        a->refused = 1;
        wa_console_printf("app %s not started: module unreadable or corrupt (error %d)\n", a->name,
                          rc);
        return rc;
    }
    return start_app(a, &header, module);
}

const char *wa_apps_name(uint32_t slot)
{
    return slot < WA_STORE_SLOTS && s_apps[slot].present ? s_apps[slot].name : NULL;
}

int wa_apps_find(const char *name, size_t len)
{
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        const agent_app_t *a = &s_apps[k];
        if (a->present && len <= WA_SLOT_NAME_MAX && strlen(a->name) == len &&
            memcmp(a->name, name, len) == 0) {
            return (int)k;
        }
    }
    return -1;
}

const char *wa_apps_state(uint32_t slot)
{
    if (wa_apps_name(slot) == NULL) {
        return NULL;
    }
    const agent_app_t *a = &s_apps[slot];
    if (a->refused) {
        return "refused";
    }
    if (is_disabled(wa_store_state(slot))) {
        return "disabled";
    }
    return a->app != NULL && !a->stopped ? "running" : "stopped";
}

int wa_apps_start(uint32_t slot)
{
    if (wa_apps_name(slot) == NULL) {
        return WA_ERR_NOT_FOUND;
    }
    const agent_app_t *a = &s_apps[slot];
    return a->app != NULL && !a->stopped ? WA_OK : wa_apps_load(slot, 1);
}

int wa_apps_stop(uint32_t slot)
{
    if (wa_apps_name(slot) == NULL) {
        return WA_ERR_NOT_FOUND;
    }
    agent_app_t *a = &s_apps[slot];
    if (a->app != NULL) {
        wa_stats_t stats;
        wa_app_stats(a->app, &stats);
        a->mem_hw = stats.heap_peak;
        wa_app_free(a->app);
        a->app = NULL;
        wa_console_printf("app %s stopped\n", a->name);
    }
    a->stopped = 1;
    return WA_OK;
}

uint32_t wa_apps_count(void)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        n += s_apps[k].present ? 1u : 0u;
    }
    return n;
}

int wa_apps_status(uint32_t slot, wa_app_status_t *st)
{
    if (wa_apps_name(slot) == NULL) {
        return WA_ERR_NOT_FOUND;
    }
    const agent_app_t *a = &s_apps[slot];
    int running = a->app != NULL && !a->stopped;
    memset(st, 0, sizeof *st);
    st->state = wa_apps_state(slot);
    st->traps = a->traps;
    st->last_rc = a->last_rc;
    st->last_msg = a->last_rc != 0 ? a->last_msg : NULL;
    st->mem_hw = a->mem_hw;
    st->mem_budget = WA_BOARD_BUDGET_HEAP_BYTES + WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES +
                     WA_BOARD_BUDGET_STACK_BYTES;
    if (a->app != NULL) {
        wa_stats_t stats;
        wa_app_stats(a->app, &stats);
        st->mem_hw = stats.heap_peak;
        st->mem_budget = stats.heap_limit;
        st->module_ram = stats.module_ram_bytes;
    }
    st->uptime_ms = running ? (uint32_t)((wa_port_time_us() - a->started_us) / 1000u) : 0u;
    return WA_OK;
}

static int run_apps(void)
{
    int running = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        agent_app_t *a = &s_apps[k];
        if (a->app == NULL || a->stopped || !a->has_loop) {
            continue;
        }
        running++;
        call_export(a, "loop");
        if (a->traps_in_row >= WA_AGENT_MAX_TRAPS) {
            a->stopped = 1;
            wa_console_printf("app %s stopped after %u traps in a row\n", a->name,
                              (unsigned)a->traps_in_row);
        }
        wa_port_watchdog_feed();
    }
    return running;
}

/* Answers management requests while waiting for the next round of loop()s. */
static void serve_until_next_round(void)
{
    for (uint32_t waited = 0; waited < WA_AGENT_LOOP_PERIOD_MS; waited += WA_AGENT_POLL_MS) {
        wa_mgmt_poll();
        wa_port_sleep_ms(WA_AGENT_POLL_MS);
    }
}

void wa_agent_main(void)
{
    wa_mgmt_init();
    wa_apps_smp_init();
    boot();
    wa_install_settle();
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        (void)wa_apps_load(k, 1);
    }
    wa_console_printf("agent ready heap_free=%u t_us=%lu\n", (unsigned)wa_port_heap_free(),
                      (unsigned long)wa_port_time_us());
    wa_port_watchdog_start(WA_AGENT_WATCHDOG_MS);
    int was_idle = 0;
    int first_round = 1;
    for (;;) {
        int idle = run_apps() == 0;
        if (first_round && !idle) {
            wa_console_printf("first loop round done t_us=%lu\n", (unsigned long)wa_port_time_us());
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
    wa_console_printf("watchdog expired while running slot %d\n",
                      s_running_slot == WA_NO_SLOT ? -1 : (int)s_running_slot);
    (void)wa_store_incident(WA_BOOT_WATCHDOG, s_running_slot);
}

void wa_agent_fault(uint32_t pc, uint32_t lr, uint32_t cfsr)
{
    (void)pc;
    (void)lr;
    (void)cfsr;
    (void)wa_store_incident(WA_BOOT_FAULT, s_running_slot);
}
