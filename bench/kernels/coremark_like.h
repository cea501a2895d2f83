/*
 * coremark_like.h - a CoreMark-like workload, written for this project.
 *
 * It does the four kinds of work EEMBC's CoreMark is known for, in our own
 * code and with our own sizes and seeds: a linked list (find, reverse,
 * merge sort), small integer matrices (add and multiply a constant,
 * matrix-vector, matrix-matrix, matrix-matrix with bit extraction), a state
 * machine that scans a buffer of number-like strings, and CRC-16 over all
 * the results. It is NOT EEMBC CoreMark: its figures are not CoreMark scores
 * and must not be compared with published ones.
 *
 * Built like kernels.c, one source three ways: natively for the board's CPU
 * (the bench firmware), to wasm (build/bench/coremark_like.wasm: no imports,
 * one 64 KiB page) and as a host library (build/bench/libcoremark_like.so).
 */
#ifndef COREMARK_LIKE_H
#define COREMARK_LIKE_H

#include <stdint.h>

/* The seed of the inputs whose per-iteration results the self-check knows. */
#define COREMARK_LIKE_SEED 0x5EED2026u

/*
 * Runs iters iterations over inputs built once from COREMARK_LIKE_SEED.
 * Every iteration leaves the inputs as it found them, so each computes the
 * same three CRC-16s (list, matrix, state machine); each is checked against
 * its known value (the self-check). Returns the CRC-16 chained over all
 * iterations' results (0..65535; 0 for iters <= 0), or -1 when any
 * iteration's result differs from the known one.
 */
int32_t bench_coremark_like(int32_t iters);

/* The same work on inputs built from seed: any seed but COREMARK_LIKE_SEED
 * fails the self-check (returns -1), which shows that the check can fail. */
int32_t coremark_like_seeded(int32_t iters, int32_t seed);

#endif /* COREMARK_LIKE_H */
