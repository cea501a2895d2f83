/* wa_bench_aot.h - the AOT part of the device bench (wa_bench_aot.c). */
#ifndef WA_BENCH_AOT_H
#define WA_BENCH_AOT_H

#include <stdint.h>

#include "wa_aot_cases.h"

/* The case of build/bench/aot_cases.c named name that has a blob; NULL if none. */
const wa_aot_case_t *wa_bench_aot_case(const char *name);

/* Runs kernel export once as AOT code with iters, prints its line; returns 0
 * when its checksum is want, 1 otherwise. */
int wa_bench_aot(const char *name, const char *export, int32_t iters, int32_t want);

/* Prints the sizes of the kernels' blob against their wasm. */
void wa_bench_aot_sizes(void);

/* Load time, interpreted against AOT, per module (wa_bench_load.c); prints a line
 * each, returns the number of failures. */
int wa_bench_load(void);

#endif /* WA_BENCH_AOT_H */
