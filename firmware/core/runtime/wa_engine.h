/*
 * wa_engine.h - what the runtime needs from an interpreter. One backend is
 * compiled in (wa_engine_wasm3.c); a second engine implements these
 * functions and nothing above this layer changes.
 *
 * All functions run with the app's heap current (the runtime enters it),
 * so every engine allocation is charged to the app.
 */
#ifndef WA_ENGINE_H
#define WA_ENGINE_H

#include <stdint.h>

#include "wa_app.h"

/*
 * A native function as the runtime implements it. sp points at the engine's
 * value slots, results first, then arguments, one 64-bit slot each
 * (wasm3's raw-call layout, adopted as the runtime's own). mem/mem_len is
 * the app's linear memory. Returns 0, or an agent_err trap code after
 * wa_app_native_trap() recorded the message.
 */
typedef int (*wa_native_fn)(wa_app_t *app, uint64_t *sp, uint8_t *mem, uint32_t mem_len);

typedef struct wa_native {
    uint32_t cap; /* enum wa_cap bit that grants it */
    const char *module;
    const char *name;
    const char *sig; /* wasm3 notation, '*' = pointer (i32) */
    wa_native_fn fn;
} wa_native_t;

/* Parses app->module and creates the engine state (stack, memory limits). */
int wa_engine_load(wa_app_t *app, wa_error_t *err);

/* Links one function import to native (or, when native is NULL, to a stub
 * returning WASI ENOSYS); sig is the import's own signature. */
int wa_engine_link(wa_app_t *app, const char *module, const char *name, const char *sig,
                   const wa_native_t *native, wa_error_t *err);

/* Compiles every function and runs the start function, if any. */
int wa_engine_start(wa_app_t *app, wa_error_t *err);

/* Calls export name, function func_index of the module (the runtime found it in
 * the export section: an engine's lookup by name can also match a function the
 * name section calls so, e.g. the "_start" that wasm-ld wraps in the exported
 * one; and a C-string lookup would stop at a NUL in the name); argument types are
 * already checked by the runtime. */
int wa_engine_call(wa_app_t *app, const char *name, uint32_t func_index, const wa_value_t *args,
                   uint32_t nargs, wa_value_t *results, uint32_t max_results, uint32_t *nresults,
                   wa_error_t *err);

uint32_t wa_engine_memory_bytes(const wa_app_t *app);

/* The CPU budget's split, for every engine (wa_engine_wasm3.c, wa_aot.c): fuel
 * (>= 0) into the 32-bit counter the code spends (at most WA_FUEL_SLICE + 1
 * ticks); returns the rest, the reserve that refills it. */
int64_t wa_fuel_fill(int32_t *counter, int64_t fuel);

void wa_engine_free(wa_app_t *app);

/* The native API table (wa_natives.c), from wa_native_api.def. */
const wa_native_t *wa_natives_find(const char *module, uint32_t module_len, const char *name,
                                   uint32_t name_len);
extern const char WA_WASI_MODULE[];

/* Resolves one function import (NUL-terminated names, sig in wasm3 notation)
 * as the runtime links it (wa_runtime.c): part of the native API with its
 * declared signature and granted, or a WASI function outside the subset
 * (*out NULL: it returns ENOSYS). Returns WA_OK or the runtime's refusal. */
int wa_resolve_import(uint32_t grants, const char *module, const char *name, const char *sig,
                      const wa_native_t **out, wa_error_t *err);

#endif /* WA_ENGINE_H */
