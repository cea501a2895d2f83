/* wa_bench_aot.h - the AOT part of the device bench (wa_bench_aot.c). */
#ifndef WA_BENCH_AOT_H
#define WA_BENCH_AOT_H

#include <stdint.h>

/* Runs kernel export once as AOT code with iters, prints its line; returns 0
 * when its checksum is want, 1 otherwise. */
int wa_bench_aot(const char *name, const char *export, int32_t iters, int32_t want);

/* Prints the sizes of the kernels' blob against their wasm. */
void wa_bench_aot_sizes(void);

#endif /* WA_BENCH_AOT_H */
