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
