/*
 * wa_aot_diff_main.c - the AOT differential test image: each call below runs
 * under the interpreter (the module metered, the board's budget with the
 * call's cpu_ticks) and as AOT code (wa_aot.c, the same budget), and prints
 * one line per engine:
 *   aotdiff call=N case=NAME engine=wasm|aot rc=.. result=.. ticks=.. msg=...
 * then "aotdiff done calls=N". tests/qemu/test_aot_diff.py compares the
 * lines. Linked in place of the agent into build/aotdiff/<board>/firmware.elf
 * (`make aot-diff-firmware`); the modules and blobs come from
 * firmware/tools/aot_cases.py.
 */
#include <stdlib.h>
#include <string.h>

#include "wa_aot.h"
#include "wa_aot_cases.h"
#include "wa_board.h"
#include "wa_console.h"
#include "wa_err.h"
#include "wa_port.h"
#include "wa_runtime.h"

#define AOT_STACK_BYTES 4096u

typedef struct call {
    const char *module; /* case name */
    const char *export;
    int nargs;
    int32_t arg;
    uint32_t cpu_ticks;
    uint32_t grants; /* non-zero: natives get an app loaded with these */
} call_t;

static const call_t CALLS[] = {
    {"kernels", "bench_crc32", 1, 3, 20000000, 0},
    {"kernels", "bench_matmul", 1, 2, 20000000, 0},
    {"kernels", "bench_filter", 1, 2, 20000000, 0},
    {"kernels", "bench_noop", 1, 7, 20000000, 0},
    {"kernels", "bench_crc32", 1, 3, 5000, 0},
    {"trap_oob", "run", 0, 0, 1000, 0},
    {"trap_div_zero", "run", 1, 0, 1000, 0},
    {"trap_div_zero", "run", 1, 5, 1000, 0},
    {"trap_unreachable", "run", 0, 0, 1000, 0},
    {"spin", "spin", 1, 1000, 20000000, 0},
    {"spin", "spin", 1, 100000, 50000, 0},
    {"busy_calls", "run", 0, 0, 10000, 0},
    {"recursion", "run", 0, 0, 20000000, 0},
    {"imports_sensor", "run", 0, 0, 1000, WA_CAP_SENSOR | WA_CAP_LOG},
    {"imports_sensor", "run", 0, 0, 1000, WA_CAP_LOG},
    {"aot_float", "conv", 1, 0x40490fdb, 1000, 0},
    {"aot_float", "conv", 1, 0x7fc00000, 1000, 0},
    {"aot_float", "conv", 1, 0x4f800000, 1000, 0},
    {"aot_float", "mix", 1, 100, 20000000, 0},
    {"aot_indirect", "pick", 1, 0, 1000, 0},
    {"aot_indirect", "pick", 1, 1, 1000, 0},
    {"aot_indirect", "pick", 1, 2, 1000, 0},
    {"aot_indirect", "sum", 1, 1000, 20000000, 0},
    {"aot_indirect", "sum", 1, 100000, 50000, 0},
    {"coremark_like", "bench_coremark_like", 1, 1, 20000000, 0},
    {"shrink_memory", "peek", 1, 4090, 1000, WA_CAP_LOG},
    {"shrink_memory", "peek", 1, 4109, 1000, WA_CAP_LOG},
    {"grow_memory", "grow", 1, 2, 1000, 0},
    {"grow_memory", "size", 0, 0, 1000, 0},
    {"aot_grow", "run", 1, 1, 1000, 0},
    {"aot_grow", "run", 1, 0, 1000, 0},
    {"aot_grow", "run", 1, 2, 1000, 0},
    {"aot_sqrt", "run", 1, 2, 1000, 0},
    {"aot_sqrt", "run", 1, 0x7fffffff, 1000, 0},
};

#define NCALLS (sizeof CALLS / sizeof CALLS[0])

static const wa_host_ops_t NO_OPS = {.ctx = NULL};

static const wa_aot_case_t *find_case(const char *name)
{
    for (uint32_t i = 0; i < wa_aot_case_count; i++) {
        if (strcmp(wa_aot_cases[i].name, name) == 0) {
            return &wa_aot_cases[i];
        }
    }
    return NULL;
}

static void report(uint32_t n, const call_t *c, const char *engine, int rc, const wa_value_t *res,
                   uint32_t nres, uint64_t ticks, const char *msg)
{
    wa_console_printf("aotdiff call=%lu case=%s engine=%s rc=%d result=%ld ticks=%lu msg=%s\n",
                      (unsigned long)n, c->module, engine, rc, nres == 1 ? (long)res->of.i32 : -1L,
                      (unsigned long)ticks, rc == WA_OK ? "-" : msg);
}

static void run_wasm(uint32_t n, const call_t *c, const wa_aot_case_t *k)
{
    wa_budget_t budget = {WA_BOARD_BUDGET_MODULE_BYTES, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES,
                          WA_BOARD_BUDGET_STACK_BYTES, WA_BOARD_BUDGET_HEAP_BYTES, c->cpu_ticks};
    wa_error_t err;
    wa_value_t arg = {.type = 'i', .of.i32 = c->arg}, res = {.type = 'i', .of.i32 = 0};
    uint32_t nres = 0;
    wa_app_t *app = wa_app_load(&budget, c->grants, &NO_OPS, k->wasm, k->wasm_len, &err);
    if (app == NULL) {
        report(n, c, "wasm", err.code, &res, 0, 0, err.message);
        return;
    }
    int rc = wa_app_call(app, c->export, &arg, (uint32_t)c->nargs, &res, 1, &nres, &err);
    wa_stats_t stats;
    wa_app_stats(app, &stats);
    report(n, c, "wasm", rc, &res, nres, stats.ticks_last_call, err.message);
    wa_app_free(app);
}

/* The app the natives of an AOT call get: the module loaded by the runtime
 * (its interpreter state unused), or NULL for a call without grants. */
static wa_app_t *natives_app(const call_t *c, const wa_aot_case_t *k)
{
    wa_budget_t budget = {WA_BOARD_BUDGET_MODULE_BYTES, 0, WA_BOARD_BUDGET_STACK_BYTES,
                          WA_BOARD_BUDGET_HEAP_BYTES, 0};
    wa_error_t err;
    budget.linear_memory_bytes = WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES;
    return c->grants ? wa_app_load(&budget, WA_CAP_ALL, &NO_OPS, k->wasm, k->wasm_len, &err) : NULL;
}

static void run_aot(uint32_t n, const call_t *c, const wa_aot_case_t *k)
{
    wa_error_t err = {0};
    wa_app_t *app = natives_app(c, k);
    wa_value_t arg = {.type = 'i', .of.i32 = c->arg}, res = {.type = 'i', .of.i32 = 0};
    uint32_t nres = 0;
    uint64_t ticks = 0;
    uint32_t ram_len = wa_aot_ram_bytes(k->aot, k->aot_len, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES);
    uint8_t *ram = malloc(ram_len);
    wa_aot_t *a = ram ? wa_aot_load(k->aot, k->aot_len, ram, ram_len, app, c->grants, &err) : NULL;
    int rc = a == NULL ? (ram ? err.code : WA_ERR_NO_MEMORY)
                       : wa_aot_call(a, c->export, &arg, (uint32_t)c->nargs, &res, &nres,
                                     c->cpu_ticks, AOT_STACK_BYTES, &ticks, &err);
    report(n, c, "aot", rc, &res, nres, ticks, err.message);
    free(ram);
    if (app != NULL) {
        wa_app_free(app);
    }
}

void wa_agent_main(void)
{
    int failures = 0;
    wa_console_printf("wamr-agent firmware aotdiff board=%s\n", WA_BOARD_NAME);
    for (uint32_t n = 0; n < NCALLS; n++) {
        const wa_aot_case_t *k = find_case(CALLS[n].module);
        if (k == NULL || k->aot_len == 0) {
            wa_console_printf("aotdiff error: no blob for %s\n", CALLS[n].module);
            failures++;
            continue;
        }
        run_wasm(n, &CALLS[n], k);
        run_aot(n, &CALLS[n], k);
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
