/*
 * kernels.h - benchmark kernels, built from one source twice: natively
 * (build/bench/libkernels.so) and to wasm (build/bench/kernels.wasm, no
 * imports, one 64 KiB page). bench/run.py times both and checks that they
 * return the same checksum for the same iteration count.
 *
 * Every kernel is pure: its result depends only on its argument, never on
 * earlier calls, so a fresh wasm instance and a long-lived shared library
 * agree. iters <= 0 does no work and returns the checksum of no work.
 */
#ifndef KERNELS_H
#define KERNELS_H

#include <stdint.h>

/* CRC-32 (IEEE, table-driven) over a 4 KiB buffer, chained iters times. */
int32_t bench_crc32(int32_t iters);

/* 16x16 int32 matrix multiply iters times, feeding each product back. */
int32_t bench_matmul(int32_t iters);

/* Fixed-point (Q14) biquad low-pass over 1024 samples, iters passes. */
int32_t bench_filter(int32_t iters);

/* Returns x: measures the cost of one call. */
int32_t bench_noop(int32_t x);

#endif /* KERNELS_H */
