/*
 * wa_natives.c - the native API table (from wa_native_api.def) and the
 * "wamr_agent" module's functions. The WASI subset is in wa_wasi.c.
 */
#include <string.h>

#include "wa_engine.h"
#include "wa_slots.h"

const char WA_WASI_MODULE[] = "wasi_snapshot_preview1";

/* Declarations of every wa_native_<name>, then the table itself. */
#define WA_NATIVE(cap, module, name, sig, c_ret, c_params, doc)                                    \
    int wa_native_##name(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len);
#include "wa_native_api.def"
#undef WA_NATIVE

static const wa_native_t s_natives[] = {
#define WA_NATIVE(cap, module, name, sig, c_ret, c_params, doc)                                    \
    {WA_CAP_##cap, module, #name, sig, wa_native_##name},
#include "wa_native_api.def"
#undef WA_NATIVE
};

static int name_is(const char *want, const char *got, uint32_t got_len)
{
    return strlen(want) == got_len && memcmp(want, got, got_len) == 0;
}

const wa_native_t *wa_natives_find(const char *module, uint32_t module_len, const char *name,
                                   uint32_t name_len)
{
    for (size_t i = 0; i < sizeof s_natives / sizeof s_natives[0]; i++) {
        if (name_is(s_natives[i].module, module, module_len) &&
            name_is(s_natives[i].name, name, name_len)) {
            return &s_natives[i];
        }
    }
    return NULL;
}

/* Turns a host op's result into the module's return value, or a trap. */
static int host_result(wa_app_t *app, uint64_t *ret, const char *what, int rc)
{
    if (rc == WA_ERR_TRAP_HOST) {
        return wa_app_native_trap(app, WA_ERR_TRAP_HOST, "%s: host function failed", what);
    }
    wa_slot_set_i32(ret, rc == 0 ? 0 : -rc);
    return 0;
}

static int guest_range(wa_app_t *app, const char *what, uint32_t mem_len, uint32_t off,
                       uint32_t len)
{
    if (wa_mem_ok(mem_len, off, len)) {
        return 0;
    }
    return wa_app_native_trap(app, WA_ERR_TRAP_OUT_OF_BOUNDS,
                              "%s: buffer 0x%x+%u is outside linear memory (%u bytes)", what,
                              (unsigned)off, (unsigned)len, (unsigned)mem_len);
}

int wa_native_log(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    uint32_t off = wa_slot_u32(&sp[1]);
    uint32_t len = wa_slot_u32(&sp[2]);
    int rc = guest_range(app, "log", mem_len, off, len);
    if (rc != 0) {
        return rc;
    }
    int res = 0;
    if (app->ops.log != NULL) {
        res = app->ops.log(app->ops.ctx, WA_STREAM_LOG, (const char *)mem + off, len);
    }
    return host_result(app, &sp[0], "log", res);
}

uint64_t wa_app_time_us(const wa_app_t *app)
{
    return app->ops.time_us != NULL ? app->ops.time_us(app->ops.ctx) : 0;
}

int wa_native_time_ms(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)mem;
    (void)mem_len;
    wa_slot_set_i64(&sp[0], (int64_t)(wa_app_time_us(app) / 1000u));
    return 0;
}

int wa_native_sleep_ms(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)mem;
    (void)mem_len;
    int32_t ms = wa_slot_i32(&sp[1]);
    int res = 0;
    if (ms > 0 && app->ops.sleep_ms != NULL) {
        res = app->ops.sleep_ms(app->ops.ctx, (uint32_t)ms);
    }
    return host_result(app, &sp[0], "sleep_ms", res);
}

int wa_native_sensor_read(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    int32_t channel = wa_slot_i32(&sp[1]);
    uint32_t out = wa_slot_u32(&sp[2]);
    int rc = guest_range(app, "sensor_read", mem_len, out, (uint32_t)sizeof(float));
    if (rc != 0) {
        return rc;
    }
    float value = 0.0f;
    int res = WA_ERR_NOT_FOUND;
    if (app->ops.sensor_read != NULL) {
        res = app->ops.sensor_read(app->ops.ctx, channel, &value);
    }
    if (res == 0) {
        memcpy(mem + out, &value, sizeof value);
    }
    return host_result(app, &sp[0], "sensor_read", res);
}

int wa_native_telemetry_publish(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    uint32_t key = wa_slot_u32(&sp[1]);
    uint32_t key_len = wa_slot_u32(&sp[2]);
    float value = wa_slot_f32(&sp[3]);
    int rc = guest_range(app, "telemetry_publish", mem_len, key, key_len);
    if (rc != 0) {
        return rc;
    }
    int res = 0;
    if (app->ops.telemetry != NULL) {
        res = app->ops.telemetry(app->ops.ctx, (const char *)mem + key, key_len, value);
    }
    return host_result(app, &sp[0], "telemetry_publish", res);
}

/* ---- device I/O: gpio and i2c (docs/device-api.md) --------------------------- */

/* WA_OK when the board profile lists pin and the host can do GPIO; *bit is its mask. */
static int gpio_pin(const wa_app_t *app, int32_t pin, uint32_t *bit)
{
    if (pin < 0 || pin >= WA_IO_PINS || (app->ops.io.gpio_pins & (1u << pin)) == 0) {
        return WA_ERR_DENIED;
    }
    *bit = 1u << pin;
    return app->ops.gpio != NULL ? WA_OK : WA_ERR_NOT_SUPPORTED;
}

/* One gpio native: checks the pin, and that it is configured as need says
 * (a mask of app->gpio_*), then runs op; on success the value goes to *out
 * (when not NULL, in linear memory: checked by the caller). */
static int gpio_call(wa_app_t *app, uint64_t *sp, const char *what, int op, uint32_t need,
                     uint32_t arg, uint8_t *out)
{
    int32_t pin = wa_slot_i32(&sp[1]);
    uint32_t bit = 0, value = 0;
    int rc = gpio_pin(app, pin, &bit);
    if (rc == WA_OK && (need & bit) == 0) {
        rc = WA_ERR_BAD_STATE;
    }
    if (rc == WA_OK) {
        rc = app->ops.gpio(app->ops.ctx, op, (uint32_t)pin, arg, &value);
    }
    if (rc == WA_OK && out != NULL) {
        int32_t v = value > INT32_MAX ? INT32_MAX : (int32_t)value;
        memcpy(out, &v, sizeof v);
    }
    return host_result(app, &sp[0], what, rc);
}

/* gpio_read and gpio_edges: the value goes to the i32 at the second argument. */
static int gpio_value(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len, const char *what,
                      int op, uint32_t need)
{
    uint32_t out = wa_slot_u32(&sp[2]);
    int rc = guest_range(app, what, mem_len, out, (uint32_t)sizeof(int32_t));
    return rc != 0 ? rc : gpio_call(app, sp, what, op, need, 0, mem + out);
}

int wa_native_gpio_config(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)mem;
    (void)mem_len;
    int32_t pin = wa_slot_i32(&sp[1]);
    uint32_t mode = wa_slot_u32(&sp[2]), bit = 0, unused = 0;
    int rc = gpio_pin(app, pin, &bit);
    int edges = (mode & (WA_GPIO_EDGE_RISING | WA_GPIO_EDGE_FALLING)) != 0;
    if (rc == WA_OK && (mode > WA_GPIO_MODE_MAX || ((mode & WA_GPIO_OUT) && edges))) {
        rc = WA_ERR_INVALID_ARG;
    }
    if (rc == WA_OK) {
        rc = app->ops.gpio(app->ops.ctx, WA_GPIO_OP_CONFIG, (uint32_t)pin, mode, &unused);
    }
    if (rc == WA_OK) {
        app->gpio_in = (app->gpio_in & ~bit) | ((mode & WA_GPIO_OUT) ? 0u : bit);
        app->gpio_out = (app->gpio_out & ~bit) | ((mode & WA_GPIO_OUT) ? bit : 0u);
        app->gpio_edge = (app->gpio_edge & ~bit) | (edges ? bit : 0u);
    }
    return host_result(app, &sp[0], "gpio_config", rc);
}

int wa_native_gpio_read(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    return gpio_value(app, sp, mem, mem_len, "gpio_read", WA_GPIO_OP_READ,
                      app->gpio_in | app->gpio_out);
}

int wa_native_gpio_write(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)mem;
    (void)mem_len;
    uint32_t level = wa_slot_i32(&sp[2]) != 0;
    return gpio_call(app, sp, "gpio_write", WA_GPIO_OP_WRITE, app->gpio_out, level, NULL);
}

int wa_native_gpio_edges(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    return gpio_value(app, sp, mem, mem_len, "gpio_edges", WA_GPIO_OP_EDGES, app->gpio_edge);
}

static int i2c_allowed(const wa_io_allow_t *io, int32_t bus, int32_t addr)
{
    for (uint32_t i = 0; i < io->i2c_count && i < WA_IO_I2C_MAX; i++) {
        if (bus >= 0 && io->i2c[i] == (uint32_t)bus * 256u + (uint32_t)addr) {
            return 1;
        }
    }
    return 0;
}

int wa_native_i2c_transfer(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    int32_t bus = wa_slot_i32(&sp[1]), addr = wa_slot_i32(&sp[2]);
    uint32_t wr = wa_slot_u32(&sp[3]), rd = wa_slot_u32(&sp[5]);
    int32_t wr_len = wa_slot_i32(&sp[4]), rd_len = wa_slot_i32(&sp[6]);
    int rc = WA_OK;
    if (addr < 0 || addr > 0x7f || wr_len < 0 || rd_len < 0 || wr_len > WA_IO_I2C_XFER_MAX ||
        rd_len > WA_IO_I2C_XFER_MAX) {
        rc = WA_ERR_INVALID_ARG;
    } else if (!i2c_allowed(&app->ops.io, bus, addr)) {
        rc = WA_ERR_DENIED;
    } else if (app->ops.i2c == NULL) {
        rc = WA_ERR_NOT_SUPPORTED;
    }
    if (rc == WA_OK) {
        rc = guest_range(app, "i2c_transfer", mem_len, wr, (uint32_t)wr_len);
        if (rc == 0) {
            rc = guest_range(app, "i2c_transfer", mem_len, rd, (uint32_t)rd_len);
        }
        if (rc != 0) {
            return rc;
        }
        rc = app->ops.i2c(app->ops.ctx, (uint32_t)bus, (uint32_t)addr, mem + wr, (size_t)wr_len,
                          mem + rd, (size_t)rd_len);
    }
    return host_result(app, &sp[0], "i2c_transfer", rc);
}

/* ---- timers and events (docs/device-api.md "Timers and events") -------------- */

/* The armed timer id, or (want_free) a free entry when none is; NULL if neither. */
static wa_timer_t *timer_find(wa_app_t *app, int32_t id, int want_free)
{
    wa_timer_t *free_one = NULL;
    for (uint32_t i = 0; i < WA_APP_TIMERS; i++) {
        wa_timer_t *t = &app->timers[i];
        if (t->used && t->id == id) {
            return t;
        }
        free_one = free_one == NULL && !t->used ? t : free_one;
    }
    return want_free ? free_one : NULL;
}

static uint32_t now_ms(const wa_app_t *app)
{
    return (uint32_t)(wa_app_time_us(app) / 1000u);
}

int wa_native_timer_start(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)mem;
    (void)mem_len;
    int32_t id = wa_slot_i32(&sp[1]), delay = wa_slot_i32(&sp[2]), period = wa_slot_i32(&sp[3]);
    wa_timer_t *t = timer_find(app, id, 1);
    int rc = delay < 0 || period < 0 ? WA_ERR_INVALID_ARG : t == NULL ? WA_ERR_NO_MEMORY : WA_OK;
    if (rc == WA_OK) {
        t->used = 1;
        t->id = id;
        t->period_ms = (uint32_t)period;
        t->due_ms = now_ms(app) + (uint32_t)delay;
    }
    return host_result(app, &sp[0], "timer_start", rc);
}

int wa_native_timer_stop(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)mem;
    (void)mem_len;
    wa_timer_t *t = timer_find(app, wa_slot_i32(&sp[1]), 0);
    if (t != NULL) {
        t->used = 0;
    }
    return host_result(app, &sp[0], "timer_stop", t != NULL ? WA_OK : WA_ERR_NOT_FOUND);
}

/* The armed timer expiring first and, in *left, the ms until it does (<= 0:
 * expired; the ms clock wraps after 49 days, so it compares differences). */
static wa_timer_t *timer_first(wa_app_t *app, int32_t *left)
{
    wa_timer_t *first = NULL;
    uint32_t now = now_ms(app);
    for (uint32_t i = 0; i < WA_APP_TIMERS; i++) {
        wa_timer_t *t = &app->timers[i];
        int32_t l = (int32_t)(t->due_ms - now);
        if (t->used && (first == NULL || l < *left)) {
            first = t;
            *left = l;
        }
    }
    return first;
}

uint32_t wa_app_timer_wait(wa_app_t *app)
{
    int32_t left = 0;
    return timer_first(app, &left) == NULL ? UINT32_MAX : left > 0 ? (uint32_t)left : 0u;
}

int wa_app_timer_take(wa_app_t *app, int32_t *id)
{
    int32_t left = 0;
    wa_timer_t *t = timer_first(app, &left);
    if (t == NULL || left > 0) {
        return 0;
    }
    uint32_t now = t->due_ms - (uint32_t)left;
    *id = t->id;
    t->used = t->period_ms != 0;
    t->due_ms += t->period_ms;
    if ((int32_t)(t->due_ms - now) <= 0) {
        t->due_ms = now + t->period_ms; /* fell behind: skip the missed periods */
    }
    return 1;
}

int wa_app_gpio_watched(const wa_app_t *app)
{
    return app->gpio_edge != 0 && app->ops.gpio != NULL;
}

int wa_app_gpio_take(wa_app_t *app, uint32_t *pin, uint32_t *level)
{
    for (uint32_t p = 0; wa_app_gpio_watched(app) && p < WA_IO_PINS; p++) {
        uint32_t count = 0;
        if ((app->gpio_edge >> p & 1u) &&
            app->ops.gpio(app->ops.ctx, WA_GPIO_OP_EDGES, p, 0, &count) == WA_OK && count != 0 &&
            app->ops.gpio(app->ops.ctx, WA_GPIO_OP_READ, p, 0, level) == WA_OK) {
            *pin = p;
            return 1;
        }
    }
    return 0;
}

/* ---- messages (docs/device-api.md "Messages") ----------------------------------- */

/* The length of the message at byte at of the inbox. */
static uint32_t msg_len(const wa_app_t *app, uint32_t at)
{
    uint16_t len;
    memcpy(&len, app->inbox + at, sizeof len);
    return len;
}

int wa_app_msg_put(wa_app_t *app, const uint8_t *data, size_t len)
{
    uint16_t n = (uint16_t)len;
    if (len > WA_MSG_MAX) {
        return WA_ERR_TOO_LARGE;
    }
    if (app->inbox_used + sizeof n + len > sizeof app->inbox) {
        return WA_ERR_NO_MEMORY;
    }
    memcpy(app->inbox + app->inbox_used, &n, sizeof n);
    memcpy(app->inbox + app->inbox_used + sizeof n, data, len);
    app->inbox_used = (uint16_t)(app->inbox_used + sizeof n + len);
    return WA_OK;
}

int wa_app_msg_take(wa_app_t *app, uint32_t *len)
{
    uint32_t at = 0;
    for (uint32_t n = 0; at < app->inbox_used; n++, at += 2u + msg_len(app, at)) {
        if (n == app->inbox_told) {
            app->inbox_told++;
            *len = msg_len(app, at);
            return 1;
        }
    }
    return 0;
}

int wa_native_msg_read(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    uint32_t buf = wa_slot_u32(&sp[1]);
    int32_t cap = wa_slot_i32(&sp[2]);
    int rc = cap < 0 ? WA_ERR_INVALID_ARG : app->inbox_used == 0 ? WA_ERR_NOT_FOUND : WA_OK;
    if (rc != WA_OK) {
        return host_result(app, &sp[0], "msg_read", rc);
    }
    rc = guest_range(app, "msg_read", mem_len, buf, (uint32_t)cap);
    if (rc != 0) {
        return rc;
    }
    uint32_t len = msg_len(app, 0), take = 2u + len;
    memcpy(mem + buf, app->inbox + 2, len < (uint32_t)cap ? len : (uint32_t)cap);
    app->inbox_used = (uint16_t)(app->inbox_used - take);
    memmove(app->inbox, app->inbox + take, app->inbox_used);
    app->inbox_told = (uint16_t)(app->inbox_told - (app->inbox_told != 0));
    wa_slot_set_i32(&sp[0], (int32_t)len);
    return 0;
}

/* ---- key-value storage (docs/device-api.md "Storage") -------------------------- */

/* kv_get, kv_set, kv_delete, config_get (args: key, key_len[, val, len]):
 * the lengths are checked here, the storing is the host's; the gets return
 * the length. */
static int kv_call(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len, int op,
                   const char *what)
{
    uint32_t key = wa_slot_u32(&sp[1]), key_len = wa_slot_u32(&sp[2]), out = 0;
    uint32_t val = op != WA_KV_OP_DELETE ? wa_slot_u32(&sp[3]) : 0u;
    uint32_t len = op != WA_KV_OP_DELETE ? wa_slot_u32(&sp[4]) : 0u;
    int rc = key_len - 1u >= WA_APP_KV_KEY_MAX || len > INT32_MAX ||
                     (op == WA_KV_OP_SET && len > WA_APP_KV_VALUE_MAX)
                 ? WA_ERR_INVALID_ARG
                 : WA_OK;
    if (rc == WA_OK && ((rc = guest_range(app, what, mem_len, key, key_len)) != 0 ||
                        (rc = guest_range(app, what, mem_len, val, len)) != 0)) {
        return rc;
    }
    if (rc == WA_OK) {
        rc = app->ops.kv == NULL
                 ? WA_ERR_NOT_SUPPORTED
                 : app->ops.kv(app->ops.ctx, op, mem + key, key_len, mem + val, len, &out);
    }
    if (rc == WA_OK && (op == WA_KV_OP_GET || op == WA_KV_OP_CONFIG_GET)) {
        wa_slot_set_i32(&sp[0], out > INT32_MAX ? INT32_MAX : (int32_t)out);
        return 0;
    }
    return host_result(app, &sp[0], what, rc);
}

int wa_native_kv_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    return kv_call(app, sp, mem, mem_len, WA_KV_OP_GET, "kv_get");
}

int wa_native_kv_set(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    return kv_call(app, sp, mem, mem_len, WA_KV_OP_SET, "kv_set");
}

int wa_native_kv_delete(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    return kv_call(app, sp, mem, mem_len, WA_KV_OP_DELETE, "kv_delete");
}

/* The configuration pushed from the fleet (docs/config.md): read-only. */
int wa_native_config_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    return kv_call(app, sp, mem, mem_len, WA_KV_OP_CONFIG_GET, "config_get");
}
