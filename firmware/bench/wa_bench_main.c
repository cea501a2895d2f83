/*
 * wa_bench_main.c - the benchmark kernels (bench/kernels/kernels.c) on the
 * device: each runs natively (the same source compiled for the board's CPU)
 * and as wasm under the board's budget, unmetered (cpu_ticks 0) and metered
 * (the board's cpu_ticks). Linked instead of the agent into
 * build/benchfw/<board>/firmware.elf (`make bench-firmware`); bench/qemu_bench.py
 * boots it under QEMU with -icount, where a microsecond of wa_port_time_us()
 * is 1000 emulated instructions.
 *
 * Prints one line per kernel, then "bench done", and exits with the number of
 * failures (a load failure, a trap, or a wasm checksum that differs from the
 * native one):
 *   bench kernel=crc32 iters=N native_us=.. wasm_us=.. metered_us=.. ticks=.. ok=1
 */
#include <stdint.h>
#include <string.h>

#include "../../bench/kernels/kernels.h"
#include "wa_board.h"
#include "wa_console.h"
#include "wa_port.h"
#include "wa_runtime.h"

/* Generated from build/bench/kernels.wasm by the Makefile (kernels_wasm.c). */
extern const uint8_t wa_bench_kernels_wasm[];
extern const uint32_t wa_bench_kernels_wasm_len;

typedef int32_t (*kernel_fn)(int32_t iters);

typedef struct kernel {
    const char *name;   /* printed name */
    const char *export; /* wasm export */
    kernel_fn native;
    int32_t iters; /* each wasm run takes a few hundred ms of virtual time */
} kernel_t;

static const kernel_t KERNELS[] = {
    {"crc32", "bench_crc32", bench_crc32, 400},
    {"matmul", "bench_matmul", bench_matmul, 800},
    {"filter", "bench_filter", bench_filter, 1000},
};

#define NKERNELS (sizeof KERNELS / sizeof KERNELS[0])

typedef struct result {
    uint32_t wasm_us;
    int32_t checksum;
    uint32_t ticks;
    int ok;
} result_t;

static const wa_host_ops_t NO_OPS = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};

static uint32_t elapsed_us(uint64_t t0)
{
    return (uint32_t)(wa_port_time_us() - t0);
}

/* Loads kernels.wasm under the board budget with cpu_ticks, runs every
 * kernel once, frees the app. Failures are printed and marked !ok. */
static void run_wasm(uint32_t cpu_ticks, result_t out[NKERNELS])
{
    wa_budget_t budget = {WA_BOARD_BUDGET_MODULE_BYTES, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES,
                          WA_BOARD_BUDGET_STACK_BYTES, WA_BOARD_BUDGET_HEAP_BYTES, cpu_ticks};
    wa_error_t err;
    memset(out, 0, NKERNELS * sizeof out[0]);
    wa_app_t *app =
        wa_app_load(&budget, 0, &NO_OPS, wa_bench_kernels_wasm, wa_bench_kernels_wasm_len, &err);
    if (app == NULL) {
        wa_console_printf("bench error: load (cpu_ticks=%lu): %s\n", (unsigned long)cpu_ticks,
                          err.message);
        return;
    }
    for (uint32_t k = 0; k < NKERNELS; k++) {
        wa_value_t arg = {.type = 'i', .of.i32 = KERNELS[k].iters};
        wa_value_t res = {.type = 'i', .of.i32 = 0};
        wa_value_t warm = {.type = 'i', .of.i32 = 0};
        uint32_t nres = 0;
        /* iters 0 fills the kernel's input buffers, so they are not timed. */
        (void)wa_app_call(app, KERNELS[k].export, &warm, 1, &res, 1, &nres, &err);
        uint64_t t0 = wa_port_time_us();
        int rc = wa_app_call(app, KERNELS[k].export, &arg, 1, &res, 1, &nres, &err);
        out[k].wasm_us = elapsed_us(t0);
        if (rc != WA_OK || nres != 1 || res.type != 'i') {
            wa_console_printf("bench error: %s (cpu_ticks=%lu): %s\n", KERNELS[k].name,
                              (unsigned long)cpu_ticks, rc != WA_OK ? err.message : "no result");
            continue;
        }
        wa_stats_t stats;
        wa_app_stats(app, &stats);
        out[k].checksum = res.of.i32;
        out[k].ticks = (uint32_t)stats.ticks_last_call;
        out[k].ok = 1;
    }
    wa_app_free(app);
}

void wa_agent_main(void)
{
    static result_t plain[NKERNELS];
    static result_t metered[NKERNELS];
    int failures = 0;
    wa_console_printf("wamr-agent firmware bench board=%s cpu=%s kernels=%lu bytes\n",
                      WA_BOARD_NAME, WA_BOARD_CPU, (unsigned long)wa_bench_kernels_wasm_len);
    run_wasm(0, plain);
    run_wasm(WA_BOARD_BUDGET_CPU_TICKS, metered);
    for (uint32_t k = 0; k < NKERNELS; k++) {
        const kernel_t *kn = &KERNELS[k];
        (void)kn->native(0); /* fills the input buffers, untimed (as for wasm) */
        uint64_t t0 = wa_port_time_us();
        int32_t want = kn->native(kn->iters);
        uint32_t native_us = elapsed_us(t0);
        int ok = plain[k].ok && metered[k].ok && plain[k].checksum == want &&
                 metered[k].checksum == want;
        if (plain[k].ok && metered[k].ok && !ok) {
            wa_console_printf(
                "bench error: %s: native %ld, wasm %ld, metered %ld: results differ\n", kn->name,
                (long)want, (long)plain[k].checksum, (long)metered[k].checksum);
        }
        wa_console_printf("bench kernel=%s iters=%ld native_us=%lu wasm_us=%lu metered_us=%lu "
                          "ticks=%lu checksum=%ld ok=%d\n",
                          kn->name, (long)kn->iters, (unsigned long)native_us,
                          (unsigned long)plain[k].wasm_us, (unsigned long)metered[k].wasm_us,
                          (unsigned long)metered[k].ticks, (long)want, ok);
        failures += !ok;
    }
    wa_console_printf("bench done failures=%d\n", failures);
    wa_port_exit(failures);
}

void wa_agent_watchdog_expiring(void)
{
}

void wa_agent_fault(uint32_t pc, uint32_t lr, uint32_t cfsr)
{
    (void)pc;
    (void)lr;
    (void)cfsr;
}
