/*
 * wa_bench_aot.c - the AOT part of the device bench (firmware/bench/wa_bench_main.c):
 * each kernel as AOT code (its own blob of build/bench/aot_cases.c, else the kernels one,
 * docs/aot.md) under the board's CPU budget, timed as the interpreter is
 * (an untimed call with iters 0 first). Prints
 *   bench aot kernel=NAME aot_us=.. ticks=.. checksum=.. ok=1
 *   bench aot_size module=NAME wasm_bytes=.. code_bytes=.. blob_bytes=.. ram_bytes=..
 */
#include <stdlib.h>
#include <string.h>

#include "wa_aot.h"
#include "wa_aot_cases.h"
#include "wa_bench_aot.h"
#include "wa_board.h"
#include "wa_console.h"
#include "wa_err.h"
#include "wa_port.h"

const wa_aot_case_t *wa_bench_aot_case(const char *name)
{
    for (uint32_t i = 0; i < wa_aot_case_count; i++) {
        if (strcmp(wa_aot_cases[i].name, name) == 0 && wa_aot_cases[i].aot_len > 0) {
            return &wa_aot_cases[i];
        }
    }
    return NULL;
}

/* The module with the kernel: a case of its name, else the kernels module. */
static const wa_aot_case_t *kernel_case(const char *name)
{
    const wa_aot_case_t *k = wa_bench_aot_case(name);
    return k != NULL ? k : wa_bench_aot_case("kernels");
}

int wa_bench_aot(const char *name, const char *export, int32_t iters, int32_t want)
{
    const wa_aot_case_t *k = kernel_case(name);
    wa_error_t err = {0};
    uint32_t ram_len =
        k ? wa_aot_ram_bytes(k->aot, k->aot_len, WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES) : 0;
    uint8_t *ram = ram_len ? malloc(ram_len) : NULL;
    wa_aot_t *a = ram ? wa_aot_load(k->aot, k->aot_len, ram, ram_len, NULL, 0, &err) : NULL;
    if (a == NULL) {
        wa_console_printf("bench error: aot load: %s\n", ram ? err.message : "no blob or RAM");
        free(ram);
        return 1;
    }
    wa_value_t arg = {.type = 'i', .of.i32 = 0}, res = {.type = 'i', .of.i32 = 0};
    uint32_t nres = 0;
    uint64_t ticks = 0;
    (void)wa_aot_call(a, export, &arg, 1, &res, 1, &nres, WA_BOARD_BUDGET_CPU_TICKS, 4096, &ticks,
                      &err); /* fills the input buffers, untimed */
    arg.of.i32 = iters;
    uint64_t t0 = wa_port_time_us();
    int rc = wa_aot_call(a, export, &arg, 1, &res, 1, &nres, WA_BOARD_BUDGET_CPU_TICKS, 4096,
                         &ticks, &err);
    uint32_t us = (uint32_t)(wa_port_time_us() - t0);
    int ok = rc == WA_OK && nres == 1 && res.of.i32 == want;
    if (rc != WA_OK) {
        wa_console_printf("bench error: aot %s: %s\n", name, err.message);
    }
    wa_console_printf("bench aot kernel=%s aot_us=%lu ticks=%lu checksum=%ld ok=%d\n", name,
                      (unsigned long)us, (unsigned long)ticks, (long)res.of.i32, ok);
    free(ram);
    return !ok;
}

void wa_bench_aot_sizes(void)
{
    static const char *const modules[] = {"kernels", "coremark_like"};
    for (uint32_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        const wa_aot_case_t *k = wa_bench_aot_case(modules[i]);
        if (k == NULL) {
            continue;
        }
        const wa_aot_header_t *h = (const wa_aot_header_t *)(const void *)k->aot;
        wa_console_printf("bench aot_size module=%s wasm_bytes=%lu code_bytes=%lu blob_bytes=%lu "
                          "ram_bytes=%lu\n",
                          modules[i], (unsigned long)k->wasm_len, (unsigned long)h->code_len,
                          (unsigned long)k->aot_len,
                          (unsigned long)(h->data_len + h->bss_len + h->instance_bytes));
    }
}
