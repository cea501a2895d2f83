"""cffi build script of the binding ("pywamr"): the device runtime, compiled
for the host from the same C files the firmware uses.

Run by setuptools (setup.py's cffi_modules) at install time and by
`make build`. It fetches wasm3 first (firmware/tools/fetch_deps.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = ROOT / "firmware" / "core" / "runtime"
# Our device models (docs/device-api.md), shared with the simulated boards.
MODELS = [ROOT / "firmware" / "core" / "port" / "wa_tmp105.c"]
WASM3 = ROOT / "build" / "deps" / "wasm3"

CDEF_TYPES = """
typedef struct wa_budget {
    uint32_t module_bytes; uint32_t linear_memory_bytes; uint32_t stack_bytes;
    uint32_t heap_bytes; uint32_t cpu_ticks;
} wa_budget_t;

enum wa_cap { WA_CAP_NONE, WA_CAP_LOG, WA_CAP_TIME, WA_CAP_SENSOR, WA_CAP_TELEMETRY, WA_CAP_WASI,
              WA_CAP_GPIO, WA_CAP_I2C, WA_CAP_STORAGE, WA_CAP_CONFIG, WA_CAP_ALL, ... };
enum wa_kv_op { WA_KV_OP_GET, WA_KV_OP_SET, WA_KV_OP_DELETE, WA_KV_OP_CONFIG_GET, ... };
enum wa_gpio_mode { WA_GPIO_IN, WA_GPIO_OUT, WA_GPIO_EDGE_RISING, WA_GPIO_EDGE_FALLING,
                    WA_GPIO_MODE_MAX, ... };
enum wa_gpio_op { WA_GPIO_OP_CONFIG, WA_GPIO_OP_READ, WA_GPIO_OP_WRITE, WA_GPIO_OP_EDGES, ... };
#define WA_IO_PINS ...
#define WA_MSG_MAX ...
#define WA_APP_INBOX ...
#define WA_IO_I2C_MAX ...

typedef struct wa_io_allow {
    uint32_t gpio_pins; uint32_t i2c_count; uint16_t i2c[...];
} wa_io_allow_t;

typedef struct wa_tmp105 {
    int32_t millideg; uint8_t pointer; uint8_t config; uint16_t t_low; uint16_t t_high;
} wa_tmp105_t;

typedef struct wa_host_ops {
    void *ctx;
    int (*log)(void *ctx, int stream, const char *msg, size_t len);
    int (*sensor_read)(void *ctx, int32_t channel, float *value);
    int (*telemetry)(void *ctx, const char *key, size_t key_len, float value);
    uint64_t (*time_us)(void *ctx);
    int (*sleep_ms)(void *ctx, uint32_t ms);
    int (*random)(void *ctx, uint8_t *buf, size_t len);
    wa_io_allow_t io;
    int (*gpio)(void *ctx, int op, uint32_t pin, uint32_t arg, uint32_t *out);
    int (*i2c)(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *wr, size_t wr_len,
               uint8_t *rd, size_t rd_len);
    int (*kv)(void *ctx, int op, const uint8_t *key, size_t key_len, uint8_t *val, size_t len,
              uint32_t *out);
} wa_host_ops_t;

typedef struct wa_error { int code; char message[...]; } wa_error_t;
typedef struct wa_value {
    char type;
    union { int32_t i32; int64_t i64; float f32; double f64; } of;
} wa_value_t;

typedef struct wa_stats {
    uint32_t heap_limit; uint32_t heap_used; uint32_t heap_peak;
    uint32_t linear_memory_bytes; uint32_t stack_bytes; uint32_t module_bytes;
    uint64_t ticks_last_call; uint32_t calls; uint32_t traps; uint32_t module_ram_bytes;
} wa_stats_t;

typedef struct wa_wasm_summary {
    uint32_t num_types; uint32_t num_imports; uint32_t num_func_imports; uint32_t num_funcs;
    uint32_t num_globals; uint32_t num_exports; uint32_t num_loops;
    uint32_t num_branches; uint32_t code_bytes;
    int has_memory; int memory_imported; uint32_t mem_initial_pages; uint32_t mem_max_pages;
        uint32_t data_end; uint32_t stack_top; uint32_t heap_base; uint32_t memory_ops;
    int data_offset_unknown; int has_start; int needs_rewrite;
    uint32_t elem_past_end; uint32_t elem_offset; uint32_t elem_count; uint32_t table_size;
} wa_wasm_summary_t;

enum wa_shrink {
    WA_SHRINK_DONE = 0, WA_SHRINK_NO_MEMORY = 1, WA_SHRINK_IMPORTED = 2,
    WA_SHRINK_MEMORY_OPS = 3, WA_SHRINK_NO_HEAP_BASE = 4, WA_SHRINK_DATA_OFFSET = 5,
};

typedef struct wa_wasm_extern {
    uint8_t kind; const char *module; uint32_t module_len; const char *name;
    uint32_t name_len; uint32_t index; char sig[...];
} wa_wasm_extern_t;

typedef int (*wa_wasm_extern_cb)(void *ctx, const wa_wasm_extern_t *ext);
typedef struct wa_app wa_app_t;
"""

CDEF_FUNCS = """
int wa_check_fit(const wa_budget_t *budget, const uint8_t *wasm, uint32_t len,
                 wa_wasm_summary_t *summary, wa_error_t *err);
uint32_t wa_linear_memory(const wa_wasm_summary_t *s, int *why);
int wa_check_imports(uint32_t grants, const uint8_t *wasm, uint32_t len, wa_error_t *err);
wa_app_t *wa_app_load(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                      const uint8_t *wasm, uint32_t len, wa_error_t *err);
wa_app_t *wa_app_load_metered(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                              const uint8_t *image, uint32_t len, wa_error_t *err);
int wa_check_image(const wa_budget_t *budget, const uint8_t *image, uint32_t len,
                   uint32_t *checked, wa_error_t *err);
wa_app_t *wa_app_load_installed(const wa_budget_t *budget, uint32_t grants,
                                const wa_host_ops_t *ops, const uint8_t *image, uint32_t len,
                                uint32_t checked, wa_error_t *err);
uint32_t wa_crc32(const uint8_t *data, uint32_t len);
int wa_app_export_sig(wa_app_t *app, const char *name, char *sig, size_t sig_len,
                      wa_error_t *err);
int wa_app_call(wa_app_t *app, const char *name, const wa_value_t *args, uint32_t nargs,
                wa_value_t *results, uint32_t max_results, uint32_t *nresults, wa_error_t *err);
int wa_app_call_export(wa_app_t *app, const char *name, size_t name_len, const wa_value_t *args,
                       uint32_t nargs, wa_value_t *results, uint32_t max_results,
                       uint32_t *nresults, wa_error_t *err);
void wa_app_stats(const wa_app_t *app, wa_stats_t *stats);
int wa_app_timer_take(wa_app_t *app, int32_t *id);
uint32_t wa_app_timer_wait(wa_app_t *app);
int wa_app_gpio_take(wa_app_t *app, uint32_t *pin, uint32_t *level);
int wa_app_gpio_watched(const wa_app_t *app);
int wa_app_msg_put(wa_app_t *app, const uint8_t *data, size_t len);
int wa_app_msg_take(wa_app_t *app, uint32_t *len);
void wa_app_free(wa_app_t *app);
size_t wa_heap_live(void);

int wa_wasm_summarize(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *out,
                      char *msg, size_t msg_len);
int wa_wasm_for_each_import(const uint8_t *wasm, uint32_t len, wa_wasm_extern_cb cb, void *ctx,
                            char *msg, size_t msg_len);
int wa_wasm_for_each_export(const uint8_t *wasm, uint32_t len, wa_wasm_extern_cb cb, void *ctx,
                            char *msg, size_t msg_len);
int wa_wasm_validate(const uint8_t *wasm, uint32_t len, char *msg, size_t msg_len);
int wa_wasm_validate_counting(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *counts,
                              char *msg, size_t msg_len);
int wa_wasm_meter_size(const uint8_t *wasm, uint32_t len, uint32_t *out_len, char *msg,
                       size_t msg_len);
int wa_wasm_meter(const uint8_t *wasm, uint32_t len, uint8_t *out, uint32_t out_cap,
                  uint32_t *out_len, uint32_t *tick_func, char *msg, size_t msg_len);
uint32_t wa_wasm_meter_bound(uint32_t len, const wa_wasm_summary_t *s);
int wa_wasm_meter_into(const uint8_t *wasm, uint32_t len, uint8_t *out, uint32_t out_cap,
                       uint32_t *out_len, char *msg, size_t msg_len);
#define WA_WASM_METER_ROOM ...

/* binding-only helpers (defined below in the generated source) */
int wa_bench_call_loop(wa_app_t *app, const char *name, uint32_t count, wa_error_t *err);
const char *wa_binding_engine(void);

extern "Python" int py_log(void *ctx, int stream, const char *msg, size_t len);
extern "Python" int py_sensor_read(void *ctx, int32_t channel, float *value);
extern "Python" int py_telemetry(void *ctx, const char *key, size_t key_len, float value);
extern "Python" uint64_t py_time_us(void *ctx);
extern "Python" int py_sleep_ms(void *ctx, uint32_t ms);
extern "Python" int py_random(void *ctx, uint8_t *buf, size_t len);
void wa_tmp105_init(wa_tmp105_t *t, int32_t millideg);
int wa_tmp105_transfer(wa_tmp105_t *t, const uint8_t *wr, size_t wr_len, uint8_t *rd,
                       size_t rd_len);
extern "Python" int py_gpio(void *ctx, int op, uint32_t pin, uint32_t arg, uint32_t *out);
extern "Python" int py_i2c(void *ctx, uint32_t bus, uint32_t addr, const uint8_t *wr,
                           size_t wr_len, uint8_t *rd, size_t rd_len);
extern "Python" int py_kv(void *ctx, int op, const uint8_t *key, size_t key_len, uint8_t *val,
                          size_t len, uint32_t *out);
extern "Python" int py_on_extern(void *ctx, const wa_wasm_extern_t *ext);
"""

PRELUDE = r"""
#include "wa_crc32.h"
#include "wa_heap.h"
#include "wa_runtime.h"
#include "wa_tmp105.h"

/* Calls a no-argument export count times from C: the baseline against which
   the per-call cost of the Python binding is measured (bench/). */
int wa_bench_call_loop(wa_app_t *app, const char *name, uint32_t count, wa_error_t *err)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; i++) {
        int rc = wa_app_call(app, name, NULL, 0, NULL, 0, &n, err);
        if (rc != WA_OK) {
            return rc;
        }
    }
    return WA_OK;
}

const char *wa_binding_engine(void) { return "wasm3 0.5.0"; }
"""


def engine_flags() -> list[str]:
    """The engine's compile flags, shared with every other build of the runtime."""
    text = (RUNTIME / "wa_engine_wasm3.flags").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def engine_defines() -> list[tuple[str, str | None]]:
    pairs = [f[2:].split("=", 1) for f in engine_flags() if f.startswith("-D")]
    return [(p[0], p[1] if len(p) > 1 else None) for p in pairs]


def error_enum_cdef() -> str:
    """The agent_err enum's names, read from wa_err.h; cffi asks the compiler for values."""
    names = re.findall(r"^\s*(WA_(?:OK|ERR_[A-Z0-9_]+?))\s*=", (RUNTIME / "wa_err.h").read_text(),
                       re.M)
    return "enum agent_err { " + ", ".join(names) + ", ... };\n"


def fetch_engine() -> None:
    fetch = ROOT / "firmware" / "tools" / "fetch_deps.py"
    subprocess.run([sys.executable, str(fetch), "wasm3"], check=True)


# wasm3 files built through a file of ours that includes them (wa_m3_core.c,
# wa_m3_compile.c) instead of directly.
WRAPPED = ("m3_core.c", "m3_compile.c")


def sources() -> list[str]:
    runtime = sorted(str(p.relative_to(ROOT)) for p in RUNTIME.glob("*.c"))
    engine = sorted(str(p.relative_to(ROOT)) for p in WASM3.glob("m3_*.c")
                    if p.name not in WRAPPED)
    models = [str(p.relative_to(ROOT)) for p in MODELS]
    return runtime + models + engine


fetch_engine()
ffibuilder = FFI()
ffibuilder.cdef(CDEF_TYPES + error_enum_cdef() + CDEF_FUNCS)
ffibuilder.set_source(
    "wamr_agent.pywamr._wamr",
    PRELUDE,
    sources=sources(),
    include_dirs=[str(RUNTIME.relative_to(ROOT)), str(MODELS[0].parent.relative_to(ROOT)),
                  str(WASM3.relative_to(ROOT))],
    define_macros=engine_defines(),
    extra_compile_args=[*(f for f in engine_flags() if not f.startswith("-D")),
                        "-O3", "-std=gnu11", "-fomit-frame-pointer", "-fno-stack-protector",
                        "-Wno-unused-parameter", "-Wno-sign-compare"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
