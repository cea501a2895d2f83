/*
 * wa_runtime.h - the device runtime: load a wasm app under a board budget,
 * link it to the native API its grants allow, call its exports.
 *
 * The same code runs in the firmware and, through the cffi binding, on the
 * host. It hides the engine (wasm3 today, see wa_engine.h): nothing here
 * names an engine type.
 *
 * Ownership: wa_app_load() copies what it keeps of the module; the caller's
 * buffer may be freed when it returns. The host ops struct and its ctx must
 * outlive the app. wa_app_free() releases everything the app allocated.
 * Not thread-safe per app; different apps may run on different threads.
 */
#ifndef WA_RUNTIME_H
#define WA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "wa_err.h"
#include "wa_port_config.h"
#include "wa_wasm.h"

/* What one app may use; filled from the board profile (boards/<name>.toml). */
typedef struct wa_budget {
    uint32_t module_bytes;        /* largest module accepted */
    uint32_t linear_memory_bytes; /* cap on linear memory (whole 64 KiB pages) */
    uint32_t stack_bytes;         /* engine operand stack */
    uint32_t heap_bytes;          /* engine heap: compiled code, module metadata */
    uint32_t cpu_ticks;           /* per call: loop iterations + calls; 0 = unlimited */
} wa_budget_t;

/* Capabilities an app can be granted; each native function needs one, but
 * for those of WA_CAP_NONE (an app's own inbox: msg_read), which every app may
 * import. */
enum wa_cap {
    WA_CAP_NONE = 0,
    WA_CAP_LOG = 1u << 0,
    WA_CAP_TIME = 1u << 1,
    WA_CAP_SENSOR = 1u << 2,
    WA_CAP_TELEMETRY = 1u << 3,
    WA_CAP_WASI = 1u << 4,
    WA_CAP_GPIO = 1u << 5,
    WA_CAP_I2C = 1u << 6,
    WA_CAP_STORAGE = 1u << 7,
    WA_CAP_CONFIG = 1u << 8,
    WA_CAP_ALL = (1u << 9) - 1u
};

/* The grants' names (manifests, bundles, messages), the one for bit i at
 * index i; agent/wamr_agent/capabilities.py mirrors them. */
#define WA_CAP_NAMES                                                                               \
    "log", "time", "sensor", "telemetry", "wasi", "gpio", "i2c", "storage", "config"

/* GPIO modes (wa_native_api.def gpio_config) and host ops. A mode is one of
 * IN or OUT; an input may add EDGE_RISING and/or EDGE_FALLING to count edges. */
enum wa_gpio_mode {
    WA_GPIO_IN = 0,
    WA_GPIO_OUT = 1,
    WA_GPIO_EDGE_RISING = 2,
    WA_GPIO_EDGE_FALLING = 4,
    WA_GPIO_MODE_MAX = 7
};
enum wa_gpio_op {
    WA_GPIO_OP_CONFIG = 0,
    WA_GPIO_OP_READ = 1,
    WA_GPIO_OP_WRITE = 2,
    WA_GPIO_OP_EDGES = 3
};

/* Key-value storage (kv_get, kv_set, kv_delete) and its host op. */
enum wa_kv_op { WA_KV_OP_GET = 0, WA_KV_OP_SET = 1, WA_KV_OP_DELETE = 2, WA_KV_OP_CONFIG_GET = 3 };
#define WA_APP_KV_KEY_MAX 32    /* key bytes: 1 to this */
#define WA_APP_KV_VALUE_MAX 256 /* value bytes: 0 to this */

#define WA_APP_TIMERS 4       /* timers one app may have armed at once (timer_start) */
#define WA_MSG_MAX 256        /* bytes of one message to an app (msg_read, SMP app send) */
#define WA_APP_INBOX 320      /* an app's inbox, bytes: each message takes its length + 2 */
#define WA_IO_PINS 32         /* pins 0-31 */
#define WA_IO_I2C_MAX 8       /* (bus, address) pairs a profile may allow */
#define WA_IO_I2C_XFER_MAX 64 /* bytes per direction in one I2C transaction */

/* The device I/O an app may reach: the board profile's [gpio] and [i2c]. */
typedef struct wa_io_allow {
    uint32_t gpio_pins;          /* bit n set: pin n */
    uint32_t i2c_count;          /* entries used in i2c */
    uint16_t i2c[WA_IO_I2C_MAX]; /* bus << 8 | 7-bit address */
} wa_io_allow_t;

/* Log streams passed to wa_host_ops.log. */
enum wa_stream { WA_STREAM_LOG = 0, WA_STREAM_STDOUT = 1, WA_STREAM_STDERR = 2 };

/*
 * What the runtime needs from its host (the firmware port, or Python).
 * Functions returning int return 0 on success or an agent_err code: the
 * module then sees the negated code (-4 for WA_ERR_NOT_FOUND), except for
 * WA_ERR_TRAP_HOST, which stops the call with a trap.
 * Any member may be NULL; the documented fallback applies.
 */
typedef struct wa_host_ops {
    void *ctx; /* passed back to every op */
    /* One log line, without newline. NULL: dropped. */
    int (*log)(void *ctx, int stream, const char *msg, size_t len);
    /* NULL: every channel reports WA_ERR_NOT_FOUND. */
    int (*sensor_read)(void *ctx, int32_t channel, float *value);
    /* NULL: dropped. */
    int (*telemetry)(void *ctx, const char *key, size_t key_len, float value);
    /* Monotonic microseconds since boot. NULL: always 0. */
    uint64_t (*time_us)(void *ctx);
    /* NULL: returns at once. */
    int (*sleep_ms)(void *ctx, uint32_t ms);
    /* Fill buf. NULL: WASI random_get returns ENOSYS. */
    int (*random)(void *ctx, uint8_t *buf, size_t len);
    /* What gpio and i2c may reach; checked by the runtime before the ops
     * below are called (anything else: WA_ERR_DENIED). Zero: nothing. */
    wa_io_allow_t io;
    /* One GPIO operation (enum wa_gpio_op) on an allowed pin; arg is the mode
     * (CONFIG) or the level 0/1 (WRITE). *out gets the level (READ) or the
     * edges counted since the last EDGES or CONFIG, then cleared (EDGES).
     * NULL: WA_ERR_NOT_SUPPORTED. */
    int (*gpio)(void *ctx, int op, uint32_t pin, uint32_t arg, uint32_t *out);
    /* One I2C transaction with an allowed 7-bit address: START, wr_len bytes
     * written, then (rd_len > 0) a repeated START and rd_len bytes read, STOP.
     * Both lengths 0: an address probe. Returns 0, WA_ERR_NACK (no
     * acknowledge) or WA_ERR_IO. NULL: WA_ERR_NOT_SUPPORTED. */
    int (*i2c)(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *wr, size_t wr_len,
               uint8_t *rd, size_t rd_len);
    /* One key-value operation (enum wa_kv_op): GET, SET, DELETE on the app's
     * own keys, CONFIG_GET on its configuration pushed from the fleet
     * (docs/config.md); key and value lengths are checked already. GET and
     * CONFIG_GET: copy at most len bytes of the value to val, *out = its
     * full length; SET: stores len bytes of val; DELETE: val unused.
     * Returns 0, WA_ERR_NOT_FOUND (GET, CONFIG_GET, DELETE: no such key) or
     * WA_ERR_NO_SPACE (SET: quota or store full). NULL:
     * WA_ERR_NOT_SUPPORTED. */
    int (*kv)(void *ctx, int op, const uint8_t *key, size_t key_len, uint8_t *val, size_t len,
              uint32_t *out);
} wa_host_ops_t;

#define WA_ERROR_MESSAGE_MAX 200

/* Why an operation failed: one agent_err code and one line of text. */
typedef struct wa_error {
    int code;
    char message[WA_ERROR_MESSAGE_MAX];
} wa_error_t;

/* A wasm value; type is 'i' (i32), 'I' (i64), 'f' (f32) or 'F' (f64). */
typedef struct wa_value {
    char type;
    union {
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
    } of;
} wa_value_t;

/* Memory and CPU figures of one app (bytes unless said otherwise). */
typedef struct wa_stats {
    uint32_t heap_limit;          /* heap + linear memory + stack budget */
    uint32_t heap_used;           /* now, everything the engine allocated */
    uint32_t heap_peak;           /* high-water mark of heap_used */
    uint32_t linear_memory_bytes; /* current linear memory */
    uint32_t stack_bytes;         /* operand stack reserved */
    uint32_t module_bytes;        /* bytes of the (metered) module the engine reads */
    uint64_t ticks_last_call;     /* CPU budget used by the last call */
    uint32_t calls;
    uint32_t traps;
    uint32_t module_ram_bytes; /* of module_bytes, held in RAM (0: read in place, e.g. flash) */
} wa_stats_t;

typedef struct wa_app wa_app_t;

/*
 * Checks, without loading, that the module fits the budget: size, linear
 * memory (declared initial pages and static data/stack), supported features.
 * Fills *summary when not NULL. Returns WA_OK or the code also put in *err.
 */
int wa_check_fit(const wa_budget_t *budget, const uint8_t *wasm, uint32_t len,
                 wa_wasm_summary_t *summary, wa_error_t *err);

/*
 * Linear memory shrinking (WAMR's rule): a module that defines its one memory,
 * has no memory.size or memory.grow in any function, places every active data
 * segment at a constant offset and exports an i32 global __heap_base gets only
 * the bytes below max(__heap_base, the end of its data), rounded up to
 * WA_SHRINK_ALIGN (at most its initial pages). An access at or past that end
 * traps as out of bounds; a native's pointers are checked against it. Anything
 * else gets its initial pages. wa_linear_memory() returns the bytes the
 * engine allocates and sets *why to WA_SHRINK_DONE or the first rule the
 * module breaks.
 */
#define WA_SHRINK_ALIGN 16u
enum wa_shrink {
    WA_SHRINK_DONE = 0,
    WA_SHRINK_NO_MEMORY = 1,    /* no linear memory, or 0 initial pages */
    WA_SHRINK_IMPORTED = 2,     /* the memory is imported */
    WA_SHRINK_MEMORY_OPS = 3,   /* memory.size or memory.grow in a function */
    WA_SHRINK_NO_HEAP_BASE = 4, /* no exported i32 global __heap_base */
    WA_SHRINK_DATA_OFFSET = 5,  /* a data segment at a non-constant offset */
};
uint32_t wa_linear_memory(const wa_wasm_summary_t *s, int *why);

/*
 * Checks, without loading, that every import is part of the native API,
 * has its declared signature and is allowed by grants (enum wa_cap bits).
 * Returns WA_OK, WA_ERR_UNKNOWN_IMPORT, WA_ERR_NOT_GRANTED,
 * WA_ERR_IMPORT_TYPE or WA_ERR_MALFORMED; the message names the import.
 */
int wa_check_imports(uint32_t grants, const uint8_t *wasm, uint32_t len, wa_error_t *err);

/*
 * Loads and instantiates a module: fit and import checks, engine load,
 * linking, and the start function. The engine reads the caller's bytes in
 * place, which must outlive the app; with a CPU budget (budget->cpu_ticks
 * != 0) it counts the loops' rounds itself (wa_m3_compile.c). Only a module
 * the engine refuses as it is, valid as it is (wa_wasm_summary_t's
 * needs_rewrite), is loaded from a metered copy in RAM instead. Returns the
 * app, or NULL with *err set.
 */
wa_app_t *wa_app_load(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                      const uint8_t *wasm, uint32_t len, wa_error_t *err);

/*
 * The same for a module metered already (wa_wasm_meter: an image an earlier
 * firmware wrote to flash at install): the engine reads image in place, and
 * its loops count their rounds in wasm; image must outlive the app.
 */
wa_app_t *wa_app_load_metered(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                              const uint8_t *image, uint32_t len, wa_error_t *err);

/*
 * Install once, load at every boot (docs/architecture.md, "Cold start").
 * wa_check_image checks a module wa_check_fit and wa_check_imports accepted
 * (or a metered image of it, wa_wasm_meter's output) as the engine will read
 * it: wa_check_fit, validation included, but for its size (the module's was
 * checked; metering makes it larger). WA_OK or the code also put in *err;
 * *checked gets the word to keep with the bytes (0 when refused): this
 * firmware's WA_CHECKED_STAMP << 1, and WA_CHECKED_MEMORY_OPS when a body
 * has memory.size or memory.grow (no shrinking, wa_linear_memory).
 *
 * wa_app_load_checked loads a module so checked as wa_app_load does, and
 * wa_app_load_installed a metered image as wa_app_load_metered does, but
 * both trust the check: with checked from this firmware's wa_check_image,
 * the bodies are not validated again and the imports are checked only as
 * they are linked; any other checked word (0, an older firmware's stamp)
 * checks everything. The caller must have checked that the bytes are those
 * checked since (the slot's CRC-32, written at install): the runtime cannot
 * tell bytes changed after the check.
 */
#define WA_CHECKED_MEMORY_OPS 1u
/* Bump WA_CHECK_RULES when the checks change (validator rules, engine
 * restrictions); the stamp follows the limits the validator enforces too,
 * so an image checked by a firmware with other rules or limits is checked
 * again. 1 to 127. */
#define WA_CHECK_RULES 1u
#define WA_CHECKED_STAMP                                                                           \
    (1u + (WA_CHECK_RULES * 31u + WA_MAX_NESTING * 7u + WA_VALIDATE_MAX_OPERANDS +                 \
           WA_VALIDATE_MAX_FUNCS * 3u + WA_VALIDATE_MAX_TYPES * 5u + WA_VALIDATE_MAX_GLOBALS) %    \
              127u)
int wa_check_image(const wa_budget_t *budget, const uint8_t *image, uint32_t len, uint32_t *checked,
                   wa_error_t *err);
wa_app_t *wa_app_load_installed(const wa_budget_t *budget, uint32_t grants,
                                const wa_host_ops_t *ops, const uint8_t *image, uint32_t len,
                                uint32_t checked, wa_error_t *err);
wa_app_t *wa_app_load_checked(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                              const uint8_t *wasm, uint32_t len, uint32_t checked, wa_error_t *err);

/*
 * The same for a module whose AOT code blob (wa_aot_find, in the module;
 * docs/aot.md) runs instead of the interpreter: the module's checks (fit,
 * imports and grants) as for wa_app_load, then the blob's loader, with its
 * RAM from the app's heap. Only for a module from a verified signed bundle;
 * Cortex-M firmware only. wasm and blob must outlive the app.
 */
wa_app_t *wa_app_load_aot(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                          const uint8_t *wasm, uint32_t len, const uint8_t *blob, uint32_t blob_len,
                          wa_error_t *err);

/* 1 when the app runs AOT code (wa_app_load_aot), 0 when interpreted. */
int wa_app_is_aot(const wa_app_t *app);

/*
 * Writes the export's signature ("i(iI)", "v()", ...) into sig. Returns
 * WA_OK or WA_ERR_NO_EXPORT.
 */
int wa_app_export_sig(wa_app_t *app, const char *name, char *sig, size_t sig_len, wa_error_t *err);

/*
 * Calls an exported function. args must match its parameters in number and
 * type; up to max_results results are written to results, their number to
 * *nresults. A WASI proc_exit(0) inside the call ends it normally with no
 * results. Returns WA_OK, WA_ERR_NO_EXPORT, WA_ERR_ARG_MISMATCH,
 * WA_ERR_NOT_SUPPORTED (a signature longer than the runtime passes:
 * WA_WASM_SIG_LONG) or a WA_ERR_TRAP_* code (message: the engine's text
 * plus the function).
 */
int wa_app_call(wa_app_t *app, const char *name, const wa_value_t *args, uint32_t nargs,
                wa_value_t *results, uint32_t max_results, uint32_t *nresults, wa_error_t *err);

/*
 * The same for an export named by name_len bytes, which may include NUL
 * (a module may export "a\0b" beside "a"; wa_app_call's C string can only
 * name the latter). Names are compared in full, never up to a NUL. A NUL
 * must follow the name_len bytes: messages print the name as a C string.
 */
int wa_app_call_export(wa_app_t *app, const char *name, size_t name_len, const wa_value_t *args,
                       uint32_t nargs, wa_value_t *results, uint32_t max_results,
                       uint32_t *nresults, wa_error_t *err);

/*
 * Events (docs/device-api.md "Timers and events"): the host calls the app's
 * on_timer(id) / on_gpio(pin, level) for what these take.
 *
 * Timers count the host's time_us in whole ms. wa_app_timer_take: when one
 * of the app's timers has expired, stores its id, re-arms it (periodic: one
 * period later, or one period from now when it fell behind) or disarms it
 * (one-shot), and returns 1; else 0. wa_app_timer_wait: ms until the app's
 * earliest timer expires (0: expired), UINT32_MAX when none is armed.
 * wa_app_gpio_take: when an input the app configured with edge bits has
 * counted edges (the host's EDGES op, which clears them), stores the pin and
 * its level now and returns 1; else 0. wa_app_gpio_watched: whether any
 * input of the app counts edges (the host then samples them).
 */
int wa_app_timer_take(wa_app_t *app, int32_t *id);
uint32_t wa_app_timer_wait(wa_app_t *app);
int wa_app_gpio_take(wa_app_t *app, uint32_t *pin, uint32_t *level);
int wa_app_gpio_watched(const wa_app_t *app);

/*
 * Messages (docs/device-api.md "Messages"): the host queues them in the app's
 * inbox, calls on_message(len) once for each, and the app takes them, oldest
 * first, with the native msg_read.
 *
 * wa_app_msg_put: copies len bytes into the inbox. WA_OK, WA_ERR_TOO_LARGE
 * (above WA_MSG_MAX), or WA_ERR_NO_MEMORY (no room: the app has not read the
 * earlier ones). wa_app_msg_take: when a queued message has not been announced
 * yet, stores its length, counts it announced and returns 1; else 0.
 */
int wa_app_msg_put(wa_app_t *app, const uint8_t *data, size_t len);
int wa_app_msg_take(wa_app_t *app, uint32_t *len);

/* Fills *stats. Never fails for a live app. */
void wa_app_stats(const wa_app_t *app, wa_stats_t *stats);

/* Frees the app and all it allocated. NULL is ignored. */
void wa_app_free(wa_app_t *app);

#endif /* WA_RUNTIME_H */
