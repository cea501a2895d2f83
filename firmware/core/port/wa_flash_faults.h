/*
 * wa_flash_faults.h - a counted fault injector for the port's flash, written
 * once for every port: it numbers every program (write) and erase operation
 * and, for a plan, decides what happens at operation K:
 *
 *   cut-before:K        power is cut before op K touches flash
 *   cut-after:K         op K completes, then power is cut
 *   cut-during:K[:SEED] op K is torn, then power is cut: a program writes its
 *                       first r bytes (r in [0, len)), byte r becomes
 *                       target | mask (NOR programming only clears bits: an
 *                       interrupted byte keeps some bits at 1), the rest stays
 *                       erased; an erase erases the pages before one page p,
 *                       leaves those after p as they were, and turns each
 *                       byte of p into 0xFF, its old value, or old | mask
 *   fail-write:K        op K (a program) returns success but programs
 *                       nothing; nothing happens when op K is an erase
 *
 * Entries are separated by commas ("fail-write:7,fail-write:9"). r, p and the
 * masks come from a small PRNG seeded with SEED (default: derived from K), so
 * a case replays exactly. Ops are numbered from 0 at the start of a run; a
 * port that keeps the count across its software resets passes it on with
 * wa_flash_faults_set_count().
 *
 * A power cut is the port's to carry out: print the line of
 * wa_flash_faults_cut_line() on the console, output nothing more, and end
 * with WA_FLASH_FAULTS_CUT_STATUS (host: _exit; QEMU: semihosting exit).
 *
 * Not thread-safe; no allocation, no stdio: the formatting functions are
 * async-signal-safe (a watchdog handler may write flash).
 */
#ifndef WA_FLASH_FAULTS_H
#define WA_FLASH_FAULTS_H

#include <stddef.h>
#include <stdint.h>

/* The exit status of a planned power cut (mirrored in Python:
 * agent/wamr_agent/emulator/faults.py POWER_CUT_STATUS). */
#define WA_FLASH_FAULTS_CUT_STATUS 86
/* Plan entries kept; more are refused by wa_flash_faults_plan(). */
#define WA_FLASH_FAULTS_MAX 8u
/* Longest trace or cut line, NUL included. */
#define WA_FLASH_FAULTS_LINE_MAX 64u

enum wa_flash_action {
    WA_FLASH_DO = 0,         /* no fault: the port performs the op */
    WA_FLASH_SKIP = 1,       /* fail-write: return success, program nothing */
    WA_FLASH_CUT_BEFORE = 2, /* cut the power without touching flash */
    WA_FLASH_CUT_AFTER = 3,  /* perform the op, then cut the power */
    WA_FLASH_CUT_DURING = 4, /* apply wa_flash_faults_tear(), then cut the power */
};

/* One flash operation and what the plan says about it. */
typedef struct wa_flash_op {
    uint32_t index; /* 0, 1, 2, ... from the start of the run */
    char kind;      /* 'P' program (write) or 'E' erase */
    uint32_t off;
    uint32_t len;
    uint8_t action; /* enum wa_flash_action */
    uint32_t seed;  /* for WA_FLASH_CUT_DURING */
} wa_flash_op_t;

/* Replaces the plan with `plan` (see above; NULL or "" = none). Returns 0, or
 * -1 when it is malformed or has more than WA_FLASH_FAULTS_MAX entries (the
 * plan is then empty). */
int wa_flash_faults_plan(const char *plan);

/* The number of the next op (= ops counted so far), and setting it (a port
 * carrying the count over a software reset). */
uint32_t wa_flash_faults_count(void);
void wa_flash_faults_set_count(uint32_t next);

/* Counts an op the port is about to perform (after its own range and NOR
 * checks) and returns it with the plan's decision. */
wa_flash_op_t wa_flash_faults_next(char kind, uint32_t off, uint32_t len);

/* The torn state of a WA_FLASH_CUT_DURING op, applied to `view`: the port's
 * bytes at op->off (op->len of them, writable). Program: `data` is what was
 * being written (view holds erased bytes). Erase: `data` is NULL, `page` the
 * erase page size (op->len is a multiple of it). */
void wa_flash_faults_tear(const wa_flash_op_t *op, uint8_t *view, const uint8_t *data,
                          uint32_t page);

/* "K P OFFSET LEN\n" (decimal; E for an erase) into out; returns its length,
 * 0 if cap is below WA_FLASH_FAULTS_LINE_MAX. */
size_t wa_flash_faults_trace_line(const wa_flash_op_t *op, char *out, size_t cap);

/* "power cut at flash op K (before|after|during)\n"; as above. */
size_t wa_flash_faults_cut_line(const wa_flash_op_t *op, char *out, size_t cap);

#endif /* WA_FLASH_FAULTS_H */
