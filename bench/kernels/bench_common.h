/*
 * bench_common.h - what the benchmark sources (kernels.c, coremark_like.c)
 * share: how a kernel is exported, and the fixed-seed generator of their inputs.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>

#ifdef __wasm__
#define KERNEL_EXPORT(name) __attribute__((export_name(#name)))
#else
#define KERNEL_EXPORT(name) __attribute__((visibility("default")))
#endif

/* Linear congruential generator (Numerical Recipes constants): the next value. */
static inline uint32_t lcg_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

#endif /* BENCH_COMMON_H */
