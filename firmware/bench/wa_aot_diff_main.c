/*
 * wa_aot_diff_main.c - the AOT differential test image: each call below runs
 * under the interpreter (wa_app_load: the module metered) and as AOT code
 * (wa_app_load_aot: the runtime's own AOT path, fit and import checks
 * included), both with the board's budget and the call's cpu_ticks and
 * grants, and prints one line per engine:
 *   aotdiff call=N case=NAME engine=wasm|aot rc=.. result=.. ticks=.. out=.. msg=...
 * (result: the results, comma-separated: an i32 in decimal, i64/f32/f64 as
 * their bits in hex, "-" for none; out: a hash of what the natives logged),
 * ("engine=aot refused" for a module the compiler refused for the board's
 * CPU), then "aotdiff done calls=N". tests/qemu/test_aot_diff.py compares
 * the lines.
 * Linked in place of the agent into build/aotdiff/<board>/firmware.elf
 * (`make aot-diff-firmware`), with every wat fixture and its AOT blob for the
 * board's CPU from firmware/tools/aot_cases.py (aot_len 0: refused).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_aot.h"
#include "wa_aot_cases.h"
#include "wa_board.h"
#include "wa_console.h"
#include "wa_err.h"
#include "wa_port.h"
#include "wa_runtime.h"

typedef struct call {
    const char *module; /* case name: a wat fixture's, an example's, or kernels */
    const char *export; /* or several, space-separated: called in turn on one app */
    const char *types;  /* the arguments' types: i I f F (wasm3 letters) */
    int64_t args[4];    /* their bits: an f32's in the low word, an f64's */
    uint32_t cpu_ticks;
    uint32_t grants;
} call_t;

#define LOG WA_CAP_LOG
#define ALL WA_CAP_ALL
#define F32(bits) ((int64_t)(bits))

/* One line a call; tests/qemu/test_aot_diff.py reads the case names from here
 * (a wat fixture is either named here or excluded there, with its reason). */
static const call_t CALLS[] = {
    {"kernels", "bench_crc32", "i", {3}, 20000000, 0},
    {"kernels", "bench_matmul", "i", {2}, 20000000, 0},
    {"kernels", "bench_filter", "i", {2}, 20000000, 0},
    {"kernels", "bench_noop", "i", {7}, 20000000, 0},
    {"kernels", "bench_crc32", "i", {3}, 5000, 0},
    {"trap_oob", "run", "", {0}, 1000, 0},
    {"trap_div_zero", "run", "i", {0}, 1000, 0},
    {"trap_div_zero", "run", "i", {5}, 1000, 0},
    {"trap_unreachable", "run", "", {0}, 1000, 0},
    {"spin", "spin", "i", {1000}, 20000000, 0},
    {"spin", "spin", "i", {100000}, 50000, 0},
    {"busy_calls", "run", "", {0}, 10000, 0},
    {"recursion", "run", "", {0}, 20000000, 0},
    {"imports_sensor", "run", "", {0}, 1000, WA_CAP_SENSOR | LOG},
    {"imports_sensor", "run", "", {0}, 1000, LOG},
    {"aot_float", "conv", "i", {0x40490fdb}, 1000, 0},
    {"aot_float", "conv", "i", {0x7fc00000}, 1000, 0},
    {"aot_float", "conv", "i", {0x4f800000}, 1000, 0},
    {"aot_float", "mix", "i", {100}, 20000000, 0},
    {"add", "add", "ii", {2, 3}, 1000, 0},
    {"add", "add", "ii", {-1, INT32_MIN}, 1000, 0},
    {"add", "addf", "FF", {0x3ff8000000000000, 0x4002000000000000}, 1000, 0},
    {"add", "noop", "", {0}, 1000, 0},
    {"add", "add", "i", {2}, 1000, 0},
    {"add", "missing", "", {0}, 1000, 0},
    {"bad_import_sig", "run", "", {0}, 1000, ALL},
    {"big_memory", "run", "", {0}, 1000, 0},
    {"compile_fails_in_else", "loop", "", {0}, 1000, 0},
    {"device_io", "gpio_config", "ii", {0, 1}, 1000, ALL},
    {"device_io", "gpio_read", "i", {8}, 1000, ALL},
    {"device_io", "gpio_read_out_of_bounds", "", {0}, 1000, ALL},
    {"device_io", "i2c_read", "iiii", {0, 0x48, 0, 2}, 1000, ALL},
    {"device_io", "i2c_out_of_bounds", "", {0}, 1000, ALL},
    {"device_io", "gpio_read", "i", {8}, 1000, LOG},
    {"indirect_calls", "call", "ii", {0, 5}, 1000, 0},
    {"indirect_calls", "call", "ii", {1, 5}, 1000, 0},
    {"indirect_calls", "call", "ii", {2, 5}, 1000, 0},
    {"indirect_calls", "call", "ii", {3, 5}, 1000, 0},
    {"indirect_calls", "call", "ii", {4, 5}, 1000, 0},
    {"indirect_calls", "call", "ii", {5, 5}, 1000, 0},
    {"infinite_loop", "run", "", {0}, 30000, 0},
    {"loop_forever", "loop", "", {0}, 30000, 0},
    {"no_exports", "run", "", {0}, 1000, 0},
    {"proc_exit", "run", "", {0}, 1000, ALL},
    {"recursion_loop", "loop", "", {0}, 20000000, 0},
    {"shrink_memory", "peek", "i", {4090}, 1000, LOG},
    {"shrink_memory", "peek", "i", {4109}, 1000, LOG},
    {"shrink_memory", "peek", "i", {8192}, 1000, LOG},
    {"shrink_memory", "log", "ii", {4090, 10}, 1000, LOG},
    {"shrink_memory", "log", "ii", {4100, 100}, 1000, LOG},
    {"tamper_app", "loop", "", {0}, 1000, 0},
    {"trap_after_trial", "loop", "", {0}, 1000, 0},
    {"trap_in_loop", "loop", "", {0}, 1000, 0},
    {"unknown_import", "run", "", {0}, 1000, ALL},
    {"wasi_command_tail", "_start", "", {0}, 1000, ALL},
    {"wasi_enosys", "run", "", {0}, 1000, ALL},
    {"sensor", "setup loop loop loop loop loop", "", {0}, 20000000, ALL},
    {"thermostat", "setup loop loop loop", "", {0}, 20000000, ALL},
    {"io_probe", "setup loop", "", {0}, 20000000, ALL},
    {"kv_probe", "setup loop", "", {0}, 20000000, ALL},
    {"kv_writer", "setup loop", "", {0}, 20000000, ALL},
    {"hello_wasi", "_start", "", {0}, 20000000, ALL},
    {"sensor", "setup loop", "", {0}, 20000000, LOG},
    {"aot_indirect", "pick", "i", {0}, 1000, 0},
    {"aot_indirect", "pick", "i", {1}, 1000, 0},
    {"aot_indirect", "pick", "i", {2}, 1000, 0},
    {"aot_indirect", "sum", "i", {1000}, 20000000, 0},
    {"aot_indirect", "sum", "i", {100000}, 50000, 0},
    {"coremark_like", "bench_coremark_like", "i", {1}, 20000000, 0},
    {"meter_loops", "nested", "i", {3}, 1000, 0},
    {"grow_memory", "grow", "i", {2}, 1000, 0},
    {"grow_memory", "size", "", {0}, 1000, 0},
    {"grow_memory", "grow", "i", {-1}, 1000, 0},
    {"aot_grow", "run", "i", {1}, 1000, 0},
    {"aot_grow", "run", "i", {0}, 1000, 0},
    {"aot_grow", "run", "i", {2}, 1000, 0},
    {"aot_multi", "quad", "i", {5}, 1000, 0},
    {"aot_multi", "quad", "i", {0x7fffffff}, 1000, 0},
    {"aot_multi", "swap", "Ii", {-2, 9}, 1000, 0},
    {"aot_multi", "divmod", "ii", {17, 5}, 1000, 0},
    {"aot_multi", "divmod", "ii", {1, 0}, 1000, 0},
    {"aot_multi", "pick", "ii", {0, 0x12345678}, 1000, 0},
    {"aot_multi", "pick", "ii", {1, 0x12345678}, 1000, 0},
    {"aot_multi", "pick", "ii", {2, 1}, 1000, 0},
    {"aot_multi", "pick", "ii", {3, 1}, 1000, 0},
    {"aot_multi", "spin", "i", {1000}, 20000000, 0},
    {"aot_multi", "spin", "i", {100000}, 50000, 0},
    {"aot_multi", "five", "", {0}, 1000, 0},
    {"aot_multi_import", "run", "", {0}, 1000, ALL},
    {"multi_float_block", "keep", "i", {7}, 1000, 0},
    {"aot_sqrt", "run", "i", {2}, 1000, 0},
    {"aot_sqrt", "run", "i", {0x7fffffff}, 1000, 0},
    {"aot_ops", "ext8", "i", {0x80}, 1000, 0},
    {"aot_ops", "ext16_64", "I", {0x8000}, 1000, 0},
    {"aot_ops", "ext32_64", "I", {0x80000000}, 1000, 0},
    {"aot_ops", "sat_f32_s", "i", {0x7fc00000}, 1000, 0},
    {"aot_ops", "sat_f32_s", "i", {0x4f000000}, 1000, 0},
    {"aot_ops", "sat_f32_s", "i", {(int32_t)0xcf000001u}, 1000, 0},
    {"aot_ops", "sat_f64_u", "I", {(int64_t)0xbff0000000000000u}, 1000, 0},
    {"aot_ops", "sat_f64_u", "I", {0x43f0000000000000}, 1000, 0},
    {"aot_ops", "sat_f64_u", "I", {0x7ff0000000000000}, 1000, 0},
    {"aot_ops", "copy", "iii", {4, 0, 16}, 1000, 0},
    {"aot_ops", "copy", "iii", {0, 4, 16}, 1000, 0},
    {"aot_ops", "copy", "iii", {65530, 0, 16}, 1000, 0},
    {"aot_ops", "copy", "iii", {65536, 0, 0}, 1000, 0},
    {"aot_ops", "fill", "iii", {10, 0xab, 20}, 1000, 0},
    {"aot_ops", "fill", "iii", {65537, 0, 0}, 1000, 0},
    {"aot_ops", "table", "i", {1}, 1000, 0},
    {"aot_ops", "table", "i", {99}, 1000, 0},
    {"aot_ops", "bits", "I", {0x0123456789abcdef}, 1000, 0},
    {"aot_ops", "bits", "I", {0}, 1000, 0},
    {"aot_ops", "divs", "ii", {INT32_MIN, -1}, 1000, 0},
    {"aot_ops", "rems", "ii", {INT32_MIN, -1}, 1000, 0},
    {"aot_ops", "rems", "ii", {-7, 2}, 1000, 0},
    {"aot_ops", "divs64", "II", {INT64_MIN, -1}, 1000, 0},
    {"aot_ops", "min", "ii", {INT32_MIN, 0}, 1000, 0},
    {"aot_ops", "max", "ii", {INT32_MIN, 0}, 1000, 0},
    {"aot_ops", "unaligned", "i", {1}, 1000, 0},
    {"aot_ops", "unaligned", "i", {65530}, 1000, 0},
    {"aot_convert", "u64f32", "I", {(int64_t)0xa12ce22b4ed990adu}, 1000, 0},
    {"aot_convert", "u64f32", "I", {5}, 1000, 0},
    {"aot_convert", "s64f32", "I", {(int64_t)0xa12ce22b4ed990adu}, 1000, 0},
    {"aot_convert", "s64f32", "I", {0x0000010000000081}, 1000, 0},
    {"aot_convert", "u64f64", "I", {(int64_t)0xa12ce22b4ed990adu}, 1000, 0},
    {"aot_convert", "u64f64", "I", {0x0020000000000001}, 1000, 0},
    {"aot_convert", "s64f64", "I", {(int64_t)0xa12ce22b4ed990adu}, 1000, 0},
    {"aot_convert", "s64f64", "I", {-3}, 1000, 0},
    {"aot_f64_helpers", "cmp", "FF", {0x3ff0000000000000, 0x4000000000000000}, 1000, 0},
    {"aot_f64_helpers", "cmp", "FF", {0x4000000000000000, 0x4000000000000000}, 1000, 0},
    {"aot_f64_helpers", "cmp", "FF", {0x7ff8000000000001, 0x3ff0000000000000}, 1000, 0},
    {"aot_f64_helpers", "cmp", "FF", {0x3ff0000000000000, 0x7ff0000000000001}, 1000, 0},
    {"aot_f64_helpers", "cmp", "FF", {1, 2}, 1000, 0},
    {"aot_f64_helpers", "cmpneg", "FF", {0, 0}, 1000, 0},
    {"aot_f64_helpers", "cmpneg", "FF", {0x4004000000000000, 0x4008000000000000}, 1000, 0},
    {"aot_f64_helpers", "cmpneg", "FF", {0x7ff0000000000000, 0x3ff0000000000000}, 1000, 0},
    {"aot_f64_helpers", "cmpneg", "FF", {0x3ff0000000000000, 0}, 1000, 0},
    {"aot_f64_helpers", "sqrt", "I", {0x7ff0000000000123}, 1000, 0},
    {"aot_f64_helpers", "sqrt", "I", {0x7ff8000000000000}, 1000, 0},
    {"aot_f64_helpers", "sqrt", "I", {0x4000000000000000}, 1000, 0},
    {"aot_f64_helpers", "sqrt", "I", {1}, 1000, 0},
    {"aot_f64_helpers", "popcnt", "I", {0x70f0f0f00000ffff}, 1000, 0},
    {"aot_f64_helpers", "d2l", "F", {(int64_t)0xc3c23456789abcdeu}, 1000, 0},
    {"aot_f64_helpers", "d2u", "F", {0x43e23456789abcde}, 1000, 0},
    {"aot_f64_helpers", "f2l", "f", {0xde123456}, 1000, 0},
    {"aot_f64_helpers", "f2u", "f", {0x5f123456}, 1000, 0},
    {"aot_f64_helpers", "d2i", "F", {(int64_t)0xc1d23456789abcdeu}, 1000, 0},
    {"aot_f64_helpers", "d2ui", "F", {0x41e23456789abcde}, 1000, 0},
    {"aot_f64_helpers", "d2ui", "F", {(int64_t)0xbfe8000000000000u}, 1000, 0},
};

#define NCALLS (sizeof CALLS / sizeof CALLS[0])
#define MAX_RESULTS 4 /* aot_multi's five: more than the caller takes */

/* The natives' view of the world, the same for both engines: logged text and
 * telemetry go into a hash, a sensor reads 20.5 + channel, time stands still,
 * no storage, GPIO or I2C. */
static uint32_t log_hash;

static int host_log(void *ctx, int stream, const char *msg, size_t len)
{
    (void)ctx;
    log_hash = (log_hash ^ (uint32_t)stream) * 16777619u;
    for (size_t i = 0; i < len; i++) {
        log_hash = (log_hash ^ (uint8_t)msg[i]) * 16777619u;
    }
    return WA_OK;
}

static int host_sensor(void *ctx, int32_t channel, float *value)
{
    (void)ctx;
    *value = 20.5f + (float)channel;
    return WA_OK;
}

static int host_telemetry(void *ctx, const char *key, size_t key_len, float value)
{
    char line[48];
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    int n = snprintf(line, sizeof line, "%.*s=%08lx", (int)(key_len < 32 ? key_len : 32), key,
                     (unsigned long)bits);
    return host_log(ctx, 9, line, n > 0 ? (size_t)n : 0u);
}

static const wa_host_ops_t OPS = {
    .ctx = NULL, .log = host_log, .sensor_read = host_sensor, .telemetry = host_telemetry};

static const wa_aot_case_t *find_case(const char *name)
{
    for (uint32_t i = 0; i < wa_aot_case_count; i++) {
        if (strcmp(wa_aot_cases[i].name, name) == 0) {
            return &wa_aot_cases[i];
        }
    }
    return NULL;
}

static void format_results(char *out, size_t cap, const wa_value_t *res, uint32_t nres)
{
    size_t at = 0;
    out[0] = '-';
    out[1] = '\0';
    for (uint32_t i = 0; i < nres && at + 24 < cap; i++) {
        const char *sep = i ? "," : "";
        uint64_t bits = (uint64_t)res[i].of.i64;
        if (res[i].type == 'i') {
            at += (size_t)snprintf(out + at, cap - at, "%s%ld", sep, (long)res[i].of.i32);
        } else if (res[i].type == 'f') {
            at += (size_t)snprintf(out + at, cap - at, "%sf:%08lx", sep,
                                   (unsigned long)(uint32_t)bits);
        } else {
            at += (size_t)snprintf(out + at, cap - at, "%s%c:%08lx%08lx", sep, res[i].type,
                                   (unsigned long)(bits >> 32), (unsigned long)(uint32_t)bits);
        }
    }
}

static void run(uint32_t n, const call_t *c, const wa_aot_case_t *k, int aot)
{
    wa_budget_t budget = {WA_BOARD_BUDGET_MODULE_BYTES, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES,
                          WA_BOARD_BUDGET_STACK_BYTES, WA_BOARD_BUDGET_HEAP_BYTES, c->cpu_ticks};
    wa_error_t err = {0};
    wa_value_t args[4], res[MAX_RESULTS];
    uint32_t nargs = (uint32_t)strlen(c->types), nres = 0;
    for (uint32_t i = 0; i < nargs; i++) {
        args[i].type = c->types[i];
        args[i].of.i64 = c->args[i];
        if (c->types[i] == 'i' || c->types[i] == 'f') {
            args[i].of.i32 = (int32_t)c->args[i];
        }
    }
    log_hash = 2166136261u;
    wa_app_t *app = aot ? wa_app_load_aot(&budget, c->grants, &OPS, k->wasm, k->wasm_len, k->aot,
                                          k->aot_len, &err)
                        : wa_app_load(&budget, c->grants, &OPS, k->wasm, k->wasm_len, &err);
    int rc = err.code;
    char ticks[96] = "0";
    size_t at = 0;
    /* export: one name, or several separated by spaces, called in turn on the
     * same app (a reactor's setup and loops) until one fails */
    for (const char *e = c->export; app != NULL && rc == WA_OK && *e != '\0';) {
        char name[32];
        size_t len = strcspn(e, " ");
        snprintf(name, sizeof name, "%.*s", (int)len, e);
        e += len + (e[len] == ' ');
        rc = wa_app_call(app, name, args, nargs, res, MAX_RESULTS, &nres, &err);
        wa_stats_t stats;
        wa_app_stats(app, &stats);
        at += (size_t)snprintf(ticks + at, sizeof ticks - at, "%s%lu", at ? "+" : "",
                               (unsigned long)stats.ticks_last_call);
        at = at < sizeof ticks ? at : sizeof ticks - 1;
    }
    if (app != NULL) {
        wa_app_free(app);
    }
    char results[96];
    format_results(results, sizeof results, res, rc == WA_OK ? nres : 0);
    wa_console_printf(
        "aotdiff call=%lu case=%s engine=%s rc=%d result=%s ticks=%s out=%08lx msg=%s\n",
        (unsigned long)n, c->module, aot ? "aot" : "wasm", rc, results, ticks,
        (unsigned long)log_hash, rc == WA_OK ? "-" : err.message);
}

void wa_agent_main(void)
{
    int failures = 0;
    wa_console_printf("wamr-agent firmware aotdiff board=%s\n", WA_BOARD_NAME);
    for (uint32_t n = 0; n < NCALLS; n++) {
        const wa_aot_case_t *k = find_case(CALLS[n].module);
        if (k == NULL) {
            wa_console_printf("aotdiff error: no case %s\n", CALLS[n].module);
            failures++;
            continue;
        }
        run(n, &CALLS[n], k, 0);
        if (k->aot_len == 0) { /* the compiler refused it for this CPU */
            wa_console_printf("aotdiff call=%lu case=%s engine=aot refused\n", (unsigned long)n,
                              CALLS[n].module);
            continue;
        }
        run(n, &CALLS[n], k, 1);
    }
    wa_console_printf("aotdiff done calls=%lu\n", (unsigned long)NCALLS);
    wa_port_exit(failures);
}

void wa_agent_watchdog_expiring(void)
{
}

void wa_agent_fault(uint32_t pc, uint32_t lr, uint32_t cfsr)
{
    wa_console_printf("aotdiff fault pc=0x%lx lr=0x%lx cfsr=0x%lx\n", (unsigned long)pc,
                      (unsigned long)lr, (unsigned long)cfsr);
}
