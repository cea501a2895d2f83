/*
 * wa_app.h - the app object shared by the runtime's own files (runtime,
 * natives, WASI, engine backend). Not part of the public API.
 */
#ifndef WA_APP_H
#define WA_APP_H

#include <stdint.h>

#include "wa_heap.h"
#include "wa_port_config.h"
#include "wa_runtime.h"

struct wa_engine; /* defined by the engine backend */

/* One timer of an app (timer_start): armed while used is set. */
typedef struct wa_timer {
    uint32_t due_ms;    /* next expiry: the host's clock in ms (wraps) */
    uint32_t period_ms; /* 0: one-shot */
    int32_t id;         /* the app's name for it */
    uint32_t used;
} wa_timer_t;

/* A line being assembled from WASI fd_write calls. */
typedef struct wa_line {
    char text[WA_LINE_BUFFER];
    uint32_t len;
} wa_line_t;

struct wa_app {
    wa_budget_t budget;
    uint32_t grants;
    wa_host_ops_t ops;
    wa_heap_t heap;  /* charged with every engine allocation */
    uint8_t *module; /* the bytes the engine reads: the caller's, or a metered copy */
    uint32_t module_len;
    int module_borrowed;   /* module is the caller's bytes (not freed) */
    int metered;           /* module went through the metering rewrite (wa_wasm.h) */
    int engine_loops;      /* its loops spend the CPU budget in the engine (wa_m3_compile.c) */
    uint32_t memory_limit; /* linear memory bytes the engine may allocate (wa_linear_memory) */
    int64_t fuel;          /* CPU ticks left in the current call */
    uint64_t ticks_last_call;
    uint32_t calls;
    uint32_t traps;
    int exited; /* proc_exit was called in this call */
    int32_t exit_status;
    int native_error; /* agent_err a native trapped with, 0 if none */
    char native_message[WA_ERROR_MESSAGE_MAX];
    wa_line_t out[2];                      /* stdout, stderr */
    uint32_t gpio_in, gpio_out, gpio_edge; /* pins configured (bit n: pin n), by mode */
    wa_timer_t timers[WA_APP_TIMERS];
    uint16_t inbox_used;         /* bytes of inbox in use */
    uint16_t inbox_told;         /* messages at its head on_message was called for */
    uint8_t inbox[WA_APP_INBOX]; /* messages, oldest first: a uint16_t length, then the bytes */
    struct wa_engine *engine;
    struct wa_aot *aot; /* AOT code runs instead of the engine (wa_aot.h); NULL: interpreted */
};

/* Sets err (may be NULL) to code and a printf-style message; returns code. */
int wa_error_set(wa_error_t *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records why a native function traps; returns WA_ERR_TRAP_HOST or code. */
int wa_app_native_trap(wa_app_t *app, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Monotonic microseconds from the host, 0 without a clock. */
uint64_t wa_app_time_us(const wa_app_t *app);

/* Sends any partial WASI output lines to the log. */
void wa_app_flush_output(wa_app_t *app);

#endif /* WA_APP_H */
