/*
 * wa_m3_compile.c - builds wasm3's m3_compile.c (fetched, unmodified) with
 * every wasm `loop` compiled to our loop operation instead of the engine's,
 * so the CPU budget counts a loop's rounds in the engine, with no rewrite of
 * the module (docs/architecture.md, "CPU budget"). Build scripts compile
 * this file instead of m3_compile.c; m3_compile.c is the only wasm3 file
 * that emits the loop operation.
 *
 * A round is one pass of the operation's do-while: the loop's first entry
 * and every branch back to it (wasm3's ContinueLoop operations return the
 * loop's pc to it). Before each round, when the running app counts its
 * loops here (wa_m3_loop_counter, set by wa_engine_wasm3.c), it spends one
 * tick of the counter as a call does; with the counter spent, m3_Yield()
 * refills it from the reserve or traps, and the trap ends the loop.
 */
#include <stdint.h>

#include "m3_exec.h"
#include "wa_port_config.h"

/* The counter the running app's loops spend (wa_engine_wasm3.c), NULL when
 * its loops are not counted here: no CPU budget, or a module the metering
 * rewrite counts in wasm (wa_wasm.h). */
extern WA_THREAD_LOCAL int32_t *wa_m3_loop_counter;

d_m3Op(WaLoop)
{
    m3ret_t r;
    IM3Memory memory = m3MemInfo(_mem);
    d_m3ClearRegisters; /* nothing is live in a register at a loop's start */
    do {
        int32_t *counter = wa_m3_loop_counter;
        if (counter != NULL) {
            int32_t left = *counter - 1;
            if (left > 0) { /* every round but one in 2^20: a load, a store */
                *counter = left;
            } else if ((r = m3_Yield()) != m3Err_none) {
                return r;
            }
        }
        r = nextOpImpl();
        _mem = memory->mallocated; /* the round may have grown the memory */
    } while (r == _pc);
    return r;
}

#define op_Loop op_WaLoop
#include "m3_compile.c"
