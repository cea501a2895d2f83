/*
 * wa_wasi.c - the WASI preview1 subset: enough for clang + wasi-libc
 * programs (printf, clock_gettime, exit) to run unchanged. stdout and
 * stderr become log lines; there is no filesystem, no arguments and no
 * environment. Other WASI imports are linked to an ENOSYS stub by the
 * engine backend.
 */
#include <string.h>

#include "wa_engine.h"
#include "wa_slots.h"

enum wasi_errno {
    WASI_SUCCESS = 0,
    WASI_EBADF = 8,
    WASI_EFAULT = 21,
    WASI_EINVAL = 28,
    WASI_ENOSYS = 52,
};

static void line_flush(wa_app_t *app, int stream)
{
    wa_line_t *line = &app->out[stream - WA_STREAM_STDOUT];
    if (line->len > 0 && app->ops.log != NULL) {
        (void)app->ops.log(app->ops.ctx, stream, line->text, line->len);
    }
    line->len = 0;
}

void wa_app_flush_output(wa_app_t *app)
{
    line_flush(app, WA_STREAM_STDOUT);
    line_flush(app, WA_STREAM_STDERR);
}

static void line_write(wa_app_t *app, int stream, const uint8_t *data, uint32_t len)
{
    wa_line_t *line = &app->out[stream - WA_STREAM_STDOUT];
    for (uint32_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            line_flush(app, stream);
            continue;
        }
        if (line->len == sizeof line->text) {
            line_flush(app, stream);
        }
        line->text[line->len++] = (char)data[i];
    }
}

static int32_t write_iovecs(wa_app_t *app, int stream, const uint8_t *mem, uint32_t mem_len,
                            uint32_t iovs, uint32_t count, uint32_t *written)
{
    if (count > mem_len / 8u || !wa_mem_ok(mem_len, iovs, count * 8u)) {
        return WASI_EFAULT;
    }
    *written = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t buf;
        uint32_t len;
        memcpy(&buf, mem + iovs + 8u * i, 4);
        memcpy(&len, mem + iovs + 8u * i + 4u, 4);
        if (!wa_mem_ok(mem_len, buf, len)) {
            return WASI_EFAULT;
        }
        line_write(app, stream, mem + buf, len);
        *written += len;
    }
    return WASI_SUCCESS;
}

int wa_native_fd_write(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    int32_t fd = wa_slot_i32(&sp[1]);
    uint32_t written = 0;
    int32_t rc = WASI_EBADF;
    if (fd == 1 || fd == 2) {
        int stream = fd == 1 ? WA_STREAM_STDOUT : WA_STREAM_STDERR;
        rc = write_iovecs(app, stream, mem, mem_len, wa_slot_u32(&sp[2]), wa_slot_u32(&sp[3]),
                          &written);
    }
    uint32_t out = wa_slot_u32(&sp[4]);
    if (rc == WASI_SUCCESS) {
        if (!wa_mem_ok(mem_len, out, 4)) {
            rc = WASI_EFAULT;
        } else {
            memcpy(mem + out, &written, 4);
        }
    }
    wa_slot_set_i32(&sp[0], rc);
    return 0;
}

/* fdstat: filetype u8, flags u16, rights_base u64, rights_inheriting u64. */
int wa_native_fd_fdstat_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    enum { FDSTAT_SIZE = 24, FILETYPE_CHARACTER_DEVICE = 2 };
    const uint64_t rights_fd_write = 1u << 6;
    int32_t fd = wa_slot_i32(&sp[1]);
    uint32_t out = wa_slot_u32(&sp[2]);
    int32_t rc = WASI_SUCCESS;
    (void)app;
    if (fd < 0 || fd > 2) {
        rc = WASI_EBADF;
    } else if (!wa_mem_ok(mem_len, out, FDSTAT_SIZE)) {
        rc = WASI_EFAULT;
    } else {
        memset(mem + out, 0, FDSTAT_SIZE);
        mem[out] = FILETYPE_CHARACTER_DEVICE;
        memcpy(mem + out + 8, &rights_fd_write, 8);
    }
    wa_slot_set_i32(&sp[0], rc);
    return 0;
}

int wa_native_clock_time_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    int32_t clock = wa_slot_i32(&sp[1]);
    uint32_t out = wa_slot_u32(&sp[3]);
    int32_t rc = WASI_SUCCESS;
    if (clock < 0 || clock > 3) {
        rc = WASI_EINVAL;
    } else if (!wa_mem_ok(mem_len, out, 8)) {
        rc = WASI_EFAULT;
    } else {
        uint64_t ns = wa_app_time_us(app) * 1000u;
        memcpy(mem + out, &ns, 8);
    }
    wa_slot_set_i32(&sp[0], rc);
    return 0;
}

int wa_native_random_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    uint32_t buf = wa_slot_u32(&sp[1]);
    uint32_t len = wa_slot_u32(&sp[2]);
    int32_t rc = WASI_ENOSYS;
    if (!wa_mem_ok(mem_len, buf, len)) {
        rc = WASI_EFAULT;
    } else if (app->ops.random != NULL) {
        rc = app->ops.random(app->ops.ctx, mem + buf, len) == 0 ? WASI_SUCCESS : WASI_EINVAL;
    }
    wa_slot_set_i32(&sp[0], rc);
    return 0;
}

int wa_native_proc_exit(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)mem;
    (void)mem_len;
    app->exited = 1;
    app->exit_status = wa_slot_i32(&sp[0]);
    return wa_app_native_trap(app, WA_ERR_TRAP_EXIT, "the app called proc_exit(%d)",
                              (int)app->exit_status);
}

/* Writes 0 to two u32 out-parameters: no arguments, no environment. */
static int32_t write_two_zeros(uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    uint32_t a = wa_slot_u32(&sp[1]);
    uint32_t b = wa_slot_u32(&sp[2]);
    if (!wa_mem_ok(mem_len, a, 4) || !wa_mem_ok(mem_len, b, 4)) {
        return WASI_EFAULT;
    }
    memset(mem + a, 0, 4);
    memset(mem + b, 0, 4);
    return WASI_SUCCESS;
}

int wa_native_args_sizes_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)app;
    wa_slot_set_i32(&sp[0], write_two_zeros(sp, mem, mem_len));
    return 0;
}

int wa_native_environ_sizes_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)app;
    wa_slot_set_i32(&sp[0], write_two_zeros(sp, mem, mem_len));
    return 0;
}

/* With no arguments and no environment there is nothing to write. */
int wa_native_args_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    (void)app;
    (void)mem;
    (void)mem_len;
    wa_slot_set_i32(&sp[0], WASI_SUCCESS);
    return 0;
}

int wa_native_environ_get(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len)
{
    return wa_native_args_get(app, sp, mem, mem_len);
}
