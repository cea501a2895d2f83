/* wa_runner.c - see wa_runner.h. */
#include "wa_runner.h"

#include <stdio.h>
#include <string.h>

#include "wa_agent_config.h"
#include "wa_aot.h"
#include "wa_console.h"
#include "wa_kv.h"
#include "wa_mgmt.h"
#include "wa_port.h"

typedef struct runner_app {
    char name[WA_SLOT_NAME_MAX + 1];
    wa_app_t *app;
    int refused;
    uint32_t traps;
    int32_t last_rc;
    char last_msg[WA_APP_MSG_MAX];
    uint64_t started_us;
    uint32_t mem_hw;
    uint32_t kv_quota;
} runner_app_t;

static runner_app_t s_apps[WA_STORE_SLOTS];
static volatile uint32_t s_current = WA_NO_SLOT;

/* ---- host ops: what the apps see --------------------------------------- */

static int op_log(void *ctx, int stream, const char *msg, size_t len)
{
    const runner_app_t *a = (const runner_app_t *)ctx;
    const char *tag = stream == WA_STREAM_STDERR ? "stderr " : "";
    wa_console_printf("[%s] %s%.*s\n", a->name, tag, (int)len, msg);
    return 0;
}

static int op_telemetry(void *ctx, const char *key, size_t key_len, float value)
{
    const runner_app_t *a = (const runner_app_t *)ctx;
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

/* The app sleeps; the agent answers SMP meanwhile (wa_mgmt.h). */
static int op_sleep_ms(void *ctx, uint32_t ms)
{
    (void)ctx;
    wa_port_watchdog_feed();
    wa_mgmt_serve_until(wa_port_time_us() + (uint64_t)ms * 1000u);
    return 0;
}

static int op_gpio(void *ctx, int op, uint32_t pin, uint32_t arg, uint32_t *out)
{
    (void)ctx;
    return wa_port_gpio(op, pin, arg, out);
}

static int op_i2c(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *wr, size_t wr_len,
                  uint8_t *rd, size_t rd_len)
{
    (void)ctx;
    return wa_port_i2c(bus, addr, wr, wr_len, rd, rd_len);
}

_Static_assert(WA_APP_KV_KEY_MAX == WA_KV_KEY_MAX && WA_APP_KV_VALUE_MAX == WA_KV_VALUE_MAX,
               "the natives check the store's key and value limits");

/* The app's own keys, by its name, within its quota; and (CONFIG_GET) its
 * configuration pushed from the fleet (wa_config.h). */
static int op_kv(void *ctx, int op, const uint8_t *key, size_t key_len, uint8_t *val, size_t len,
                 uint32_t *out)
{
    const runner_app_t *a = (const runner_app_t *)ctx;
    size_t full = 0;
    unsigned ns = op == WA_KV_OP_CONFIG_GET ? WA_KV_NS_CONFIG : WA_KV_NS_APP;
    int rc = op == WA_KV_OP_SET      ? wa_kv_set(ns, a->name, key, key_len, val, len, a->kv_quota)
             : op == WA_KV_OP_DELETE ? wa_kv_delete(ns, a->name, key, key_len)
                                     : wa_kv_get(ns, a->name, key, key_len, val, len, &full);
    *out = (uint32_t)full;
    return rc;
}

/* The board profile's [gpio] and [i2c] (wa_board.h) bound what gpio and i2c reach. */
static const wa_host_ops_t k_ops = {
    NULL,       op_log,
    op_sensor,  op_telemetry,
    op_time_us, op_sleep_ms,
    NULL,       {WA_BOARD_GPIO_PINS, WA_BOARD_I2C_ALLOW_COUNT, WA_BOARD_I2C_ALLOW},
    op_gpio,    op_i2c,
    op_kv};

/* ---- the table ---------------------------------------------------------------- */

static void note_error(runner_app_t *a, int rc, const char *message)
{
    size_t len = strnlen(message, sizeof a->last_msg - 1u); /* cut to fit */
    a->last_rc = rc;
    memcpy(a->last_msg, message, len);
    a->last_msg[len] = '\0';
}

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

/* Its AOT code for this CPU when the module carries some and came from a
 * verified signed bundle (docs/aot.md); NULL (interpreted) otherwise, and the
 * console says why when the module has an AOT section. module is the slot's
 * bytes in flash, not checked yet: only a module with AOT code to run has
 * its CRC checked (a corrupt one is not run, and load_app reads it again),
 * so that one without costs a walk of its section headers. */
static wa_app_t *load_aot(const char *name, const wa_slot_header_t *header,
                          const wa_budget_t *budget, wa_host_ops_t *ops, const uint8_t *module,
                          wa_error_t *err)
{
#if WA_AOT_SUPPORTED
    uint32_t blob_len = 0;
    const char *why = NULL;
    const uint8_t *blob = wa_aot_find(module, header->module_len, &blob_len, &why);
    if ((blob != NULL || why != NULL) && !(header->flags & WA_SLOT_F_SIGNED)) {
        why = "not from a signed bundle";
    } else if (blob != NULL && wa_crc32(module, header->module_len) == header->module_crc32) {
        wa_app_t *app = wa_app_load_aot(budget, header->grants, ops, module, header->module_len,
                                        blob, blob_len, err);
        if (app != NULL) {
            wa_console_printf("app %s: runs its AOT code\n", name);
            return app;
        }
        why = err->message;
    }
    if (why != NULL) {
        wa_console_printf("app %s: interpreted (%s)\n", name, why);
    }
#else
    (void)name, (void)header, (void)budget, (void)ops, (void)module, (void)err;
#endif
    return NULL;
}

/* The app runs its AOT code (load_aot), else interpreted from its bytes in
 * flash, in place: the module, checked at install, so only its CRC is
 * checked here and the bodies are not validated again (docs/architecture.md,
 * "Cold start"); the engine counts its loops. A slot an earlier firmware
 * installed has a metered image after the module: that runs in place (its
 * loops count in wasm), and the module only when the image is corrupt. */
static wa_app_t *load_app(uint32_t slot, const wa_slot_header_t *header, wa_host_ops_t *ops,
                          wa_error_t *err)
{
    int rc;
    wa_budget_t budget = slot_budget(header);
    const uint8_t *area = wa_store_module_area(slot);
    wa_app_t *app = area != NULL ? load_aot(s_apps[slot].name, header, &budget, ops,
                                            area + header->module_off, err)
                                 : NULL;
    if (app != NULL) {
        return app;
    }
    const uint8_t *image = budget.cpu_ticks != 0 ? wa_store_image(slot, header, &rc) : NULL;
    if (image != NULL) {
        return wa_app_load_installed(&budget, header->grants, ops, image, header->image_len,
                                     WA_SLOT_CHECKED(header->flags), err);
    }
    if (budget.cpu_ticks != 0 && rc == WA_ERR_MALFORMED) {
        wa_console_printf("app %s: metered image corrupt (CRC); running the module\n",
                          s_apps[slot].name);
    }
    const uint8_t *module = wa_store_module(slot, header, NULL, 0, &rc);
    if (module == NULL) {
        err->code = rc;
        snprintf(err->message, sizeof err->message, "module unreadable or corrupt (error %d)", rc);
        return NULL;
    }
    /* the check's word is the module's when no image was written */
    uint32_t checked = header->image_len == WA_SLOT_NO_IMAGE ? WA_SLOT_CHECKED(header->flags) : 0u;
    return wa_app_load_checked(&budget, header->grants, ops, module, header->module_len, checked,
                               err);
}

int wa_runner_load(uint32_t slot, const wa_slot_header_t *header, wa_error_t *err)
{
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    runner_app_t *a = &s_apps[slot];
    static wa_host_ops_t ops[WA_STORE_SLOTS];
    wa_runner_unload(slot);
    if (strncmp(a->name, header->name, WA_SLOT_NAME_MAX) != 0) {
        wa_runner_forget(slot); /* another app: counters start over */
        memcpy(a->name, header->name, WA_SLOT_NAME_MAX);
        a->name[WA_SLOT_NAME_MAX] = '\0';
    }
    ops[slot] = k_ops;
    ops[slot].ctx = a;
    a->kv_quota = header->kv_quota == WA_SLOT_QUOTA_DEFAULT ? WA_BOARD_KV_QUOTA : header->kv_quota;
    a->app = load_app(slot, header, &ops[slot], err);
    a->refused = a->app == NULL;
    if (a->app == NULL) {
        wa_console_printf("app %s refused: %s\n", a->name, err->message);
        note_error(a, err->code, err->message);
        return err->code;
    }
    a->started_us = wa_port_time_us();
    wa_console_printf("app %s started (%u bytes, slot %u) t_us=%lu\n", a->name,
                      (unsigned)header->module_len, (unsigned)slot,
                      (unsigned long)wa_port_time_us());
    return WA_OK;
}

int wa_runner_has(uint32_t slot, const char *export_name)
{
    char sig[WA_WASM_SIG_MAX];
    return slot < WA_STORE_SLOTS && s_apps[slot].app != NULL &&
           wa_app_export_sig(s_apps[slot].app, export_name, sig, sizeof sig, NULL) == WA_OK;
}

/* Calls an export with nargs i32 arguments (see wa_runner_call). */
static int call(uint32_t slot, const char *export_name, const wa_value_t *args, uint32_t nargs,
                int32_t *result, wa_error_t *err)
{
    wa_value_t value;
    uint32_t n = 0;
    *result = 0;
    if (slot >= WA_STORE_SLOTS || s_apps[slot].app == NULL) {
        return WA_ERR_NOT_FOUND;
    }
    if (!wa_runner_has(slot, export_name)) {
        return WA_ERR_NO_EXPORT;
    }
    runner_app_t *a = &s_apps[slot];
    s_current = slot;
    int rc = wa_app_call(a->app, export_name, args, nargs, &value, 1, &n, err);
    s_current = WA_NO_SLOT;
    if (rc != WA_OK) {
        a->traps++;
        note_error(a, rc, err->message);
        wa_console_printf("app %s trap: %s\n", a->name, err->message);
        return rc;
    }
    if (n == 1 && value.type == 'i') {
        *result = value.of.i32;
    }
    return WA_OK;
}

int wa_runner_call(uint32_t slot, const char *export_name, int32_t *result, wa_error_t *err)
{
    return call(slot, export_name, NULL, 0, result, err);
}

int wa_runner_call_i32(uint32_t slot, const char *export_name, int32_t arg, int32_t *result,
                       wa_error_t *err)
{
    wa_value_t value = {'i', {arg}};
    return call(slot, export_name, &value, 1, result, err);
}

int wa_runner_event(uint32_t slot, const char **export_name, wa_error_t *err)
{
    wa_value_t args[2] = {{'i', {0}}, {'i', {0}}};
    wa_app_t *app = slot < WA_STORE_SLOTS ? s_apps[slot].app : NULL;
    int32_t unused;
    uint32_t nargs = 2;
    *export_name = "on_gpio";
    if (app != NULL && wa_app_timer_take(app, &args[0].of.i32)) {
        *export_name = "on_timer";
        nargs = 1;
    } else if (app != NULL && wa_app_msg_take(app, (uint32_t *)&args[0].of.i32)) {
        *export_name = "on_message";
        nargs = 1;
    } else if (app == NULL || !wa_runner_has(slot, "on_gpio") ||
               !wa_app_gpio_take(app, (uint32_t *)&args[0].of.i32, (uint32_t *)&args[1].of.i32)) {
        return -1;
    }
    return call(slot, *export_name, args, nargs, &unused, err);
}

int wa_runner_send(uint32_t slot, const uint8_t *data, size_t len)
{
    if (!wa_runner_loaded(slot)) {
        return WA_ERR_BAD_STATE;
    }
    if (!wa_runner_has(slot, "on_message")) {
        return WA_ERR_NO_EXPORT;
    }
    return wa_app_msg_put(s_apps[slot].app, data, len);
}

int wa_runner_evented(uint32_t slot)
{
    return wa_runner_has(slot, "on_timer") || wa_runner_has(slot, "on_gpio") ||
           wa_runner_has(slot, "on_message");
}

uint32_t wa_runner_next_event(void)
{
    uint32_t next = UINT32_MAX;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        wa_app_t *app = s_apps[k].app;
        if (app == NULL) {
            continue;
        }
        uint32_t due = wa_app_timer_wait(app);
        if (due > WA_AGENT_GPIO_SAMPLE_MS && wa_app_gpio_watched(app) &&
            wa_runner_has(k, "on_gpio")) {
            due = WA_AGENT_GPIO_SAMPLE_MS;
        }
        next = due < next ? due : next;
    }
    return next;
}

void wa_runner_unload(uint32_t slot)
{
    if (slot >= WA_STORE_SLOTS || s_apps[slot].app == NULL) {
        return;
    }
    runner_app_t *a = &s_apps[slot];
    wa_stats_t stats;
    wa_app_stats(a->app, &stats);
    a->mem_hw = stats.heap_peak;
    wa_app_free(a->app);
    a->app = NULL;
    wa_console_printf("app %s stopped (slot %u)\n", a->name, (unsigned)slot);
}

void wa_runner_forget(uint32_t slot)
{
    if (slot < WA_STORE_SLOTS) {
        wa_app_free(s_apps[slot].app);
        memset(&s_apps[slot], 0, sizeof s_apps[slot]);
    }
}

void wa_runner_status(uint32_t slot, wa_runner_status_t *st)
{
    memset(st, 0, sizeof *st);
    if (slot >= WA_STORE_SLOTS) {
        return;
    }
    const runner_app_t *a = &s_apps[slot];
    st->loaded = a->app != NULL;
    st->refused = a->refused;
    st->traps = a->traps;
    st->last_rc = a->last_rc;
    st->last_msg = a->last_rc != 0 ? a->last_msg : NULL;
    st->mem_hw = a->mem_hw;
    st->mem_budget = WA_BOARD_BUDGET_HEAP_BYTES + WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES +
                     WA_BOARD_BUDGET_STACK_BYTES;
    if (a->app != NULL) {
        wa_stats_t stats;
        wa_app_stats(a->app, &stats);
        st->mem_now = stats.heap_used;
        st->mem_hw = stats.heap_peak;
        st->mem_budget = stats.heap_limit;
        st->module_ram = stats.module_ram_bytes;
        st->aot = wa_app_is_aot(a->app);
        st->uptime_ms = (uint32_t)((wa_port_time_us() - a->started_us) / 1000u);
    }
}

int wa_runner_loaded(uint32_t slot)
{
    return slot < WA_STORE_SLOTS && s_apps[slot].app != NULL;
}

uint32_t wa_runner_current(void)
{
    return s_current;
}
