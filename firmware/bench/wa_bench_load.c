/*
 * wa_bench_load.c - the load time of an app on the device (firmware/bench/wa_bench_main.c):
 * from the start of its load to the return of its first call, as the agent loads an
 * installed app at boot: interpreted from the module in place (its CRC, then
 * wa_app_load_checked with the word the install's check gave; the engine counts the
 * loops) against its AOT code (the module's CRC, then wa_app_load_aot; docs/aot.md),
 * for the modules of build/bench/aot_cases.c named below. The module is checked
 * first, outside the count (the install does that once). Prints, per module,
 *   bench load module=NAME entry=E wasm_bytes=.. interp_load_us=.. interp_call_us=..
 *     aot_load_us=.. aot_call_us=.. ok=1
 * (under QEMU -icount shift=0 a microsecond is 1000 emulated instructions).
 */
#include <string.h>

#include "wa_aot_cases.h"
#include "wa_app.h"
#include "wa_bench_aot.h"
#include "wa_board.h"
#include "wa_console.h"
#include "wa_crc32.h"
#include "wa_err.h"
#include "wa_port.h"
#include "wa_runtime.h"

typedef struct load_case {
    const char *module; /* a case of build/bench/aot_cases.c */
    const char *entry;  /* the first call, as the agent makes it */
    int32_t arg;        /* its argument when it takes one */
} load_case_t;

static const load_case_t CASES[] = {
    {"sensor", "setup", -1},
    {"hello_wasi", "_start", -1},
    {"coremark_like", "bench_coremark_like", 0},
};

static const wa_host_ops_t NO_OPS = {.ctx = NULL}; /* every op NULL: its fallback */
/* The board's budget, as the agent gives an app without a manifest of its own. */
static const wa_budget_t BUDGET = {WA_BOARD_BUDGET_MODULE_BYTES,
                                   WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES, WA_BOARD_BUDGET_STACK_BYTES,
                                   WA_BOARD_BUDGET_HEAP_BYTES, WA_BOARD_BUDGET_CPU_TICKS};

typedef struct timing {
    uint32_t load_us, call_us;
} timing_t;

/* Loads as the agent does at boot (wa_runner.c: the module's CRC-32 checked,
 * then wa_app_load_checked, checked at install, or wa_app_load_aot) and makes
 * the first call; 0 when both succeed (proc_exit(0) is a success), 1 otherwise. */
static int load_and_call(const load_case_t *c, const wa_aot_case_t *k, int aot, uint32_t checked,
                         timing_t *t)
{
    wa_error_t err = {0};
    wa_value_t arg = {.type = 'i', .of.i32 = c->arg}, res = {.type = 'i', .of.i32 = 0};
    uint32_t nres = 0;
    uint64_t t0 = wa_port_time_us();
    volatile uint32_t crc = wa_crc32(k->wasm, k->wasm_len);
    (void)crc;
    wa_app_t *app =
        aot ? wa_app_load_aot(&BUDGET, ~0u, &NO_OPS, k->wasm, k->wasm_len, k->aot, k->aot_len, &err)
            : wa_app_load_checked(&BUDGET, ~0u, &NO_OPS, k->wasm, k->wasm_len, checked, &err);
    uint64_t t1 = wa_port_time_us();
    int rc = app != NULL
                 ? wa_app_call(app, c->entry, &arg, c->arg >= 0 ? 1u : 0u, &res, 1, &nres, &err)
                 : err.code;
    t->load_us = (uint32_t)(t1 - t0);
    t->call_us = (uint32_t)(wa_port_time_us() - t1);
    int ok = rc == WA_OK || (rc == WA_ERR_TRAP_EXIT && app->exit_status == 0);
    if (!ok) {
        wa_console_printf("bench error: load %s (%s): %s\n", c->module, aot ? "aot" : "interpreted",
                          err.message);
    }
    if (app != NULL) {
        wa_app_free(app);
    }
    return !ok;
}

static int bench_load_one(const load_case_t *c)
{
    const wa_aot_case_t *k = wa_bench_aot_case(c->module);
    if (k == NULL) {
        wa_console_printf("bench error: load %s: no AOT case\n", c->module);
        return 1;
    }
    wa_error_t err = {0};
    uint32_t checked = 0; /* the install's check, not timed */
    if (wa_check_image(&BUDGET, k->wasm, k->wasm_len, &checked, &err) != WA_OK) {
        wa_console_printf("bench error: load %s: module refused: %s\n", c->module, err.message);
        return 1;
    }
    timing_t interp, aot;
    int failed = load_and_call(c, k, 0, checked, &interp);
    failed += load_and_call(c, k, 1, 0, &aot);
    wa_console_printf("bench load module=%s entry=%s wasm_bytes=%lu interp_load_us=%lu "
                      "interp_call_us=%lu aot_load_us=%lu aot_call_us=%lu ok=%d\n",
                      c->module, c->entry, (unsigned long)k->wasm_len,
                      (unsigned long)interp.load_us, (unsigned long)interp.call_us,
                      (unsigned long)aot.load_us, (unsigned long)aot.call_us, !failed);
    return failed != 0;
}

int wa_bench_load(void)
{
    int failures = 0;
    for (uint32_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        failures += bench_load_one(&CASES[i]);
    }
    return failures;
}
