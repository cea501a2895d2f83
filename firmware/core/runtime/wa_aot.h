/*
 * wa_aot.h - the loader of ahead-of-time compiled app code (docs/aot.md): a
 * blob that agent/wamr_agent/aot built from the metered module (wasm2c and
 * arm-none-eabi-gcc, position-independent with the data base in r9). Its
 * code runs in place where the blob lies (flash); its data, GOT, instance
 * and linear memory come from one RAM region the caller gives.
 *
 * The blob format is defined here and mirrored by agent/wamr_agent/aot/blob.py
 * (struct sizes checked on both sides).
 */
#ifndef WA_AOT_H
#define WA_AOT_H

#include <stdint.h>

#include "wa_app.h"

/* The loader exists on Cortex-M only (Thumb-2 code with the data base in r9).
 * A Cortex-M firmware built with -DWA_AOT_SUPPORTED=0 has none (it interprets
 * every module; its device status says so: docs/protocol.md). */
#ifndef WA_AOT_SUPPORTED
#if defined(__arm__) && defined(__thumb2__)
#define WA_AOT_SUPPORTED 1
#else
#define WA_AOT_SUPPORTED 0
#endif
#endif

#define WA_AOT_MAGIC 0x544F4157u /* "WAOT" */
#define WA_AOT_ABI 2u            /* the blob <-> firmware calling contract */

/* header.cpu: the core the code was compiled for, and its float ABI. */
#define WA_AOT_CPU_M3 3u
#define WA_AOT_CPU_M4 4u
#define WA_AOT_CPU_M7 7u
#define WA_AOT_CPU_M33 33u
#define WA_AOT_CPU_HARD_FLOAT 0x100u

/* Trap codes the blob passes to env->trap (wasm-rt.h 1.0.32 numbering). */
enum wa_aot_trap {
    WA_AOT_TRAP_OOB = 1,
    WA_AOT_TRAP_INT_OVERFLOW = 2,
    WA_AOT_TRAP_DIV_BY_ZERO = 3,
    WA_AOT_TRAP_CONVERSION = 4,
    WA_AOT_TRAP_UNREACHABLE = 5,
    WA_AOT_TRAP_CALL_INDIRECT = 6,
    WA_AOT_TRAP_STACK = 8,
    /* ours, for call_indirect (6 is a type mismatch): an element past the
     * last one placed, or a null one before it (wasm3's two traps) */
    WA_AOT_TRAP_UNDEFINED_ELEMENT = 9,
    WA_AOT_TRAP_NULL_ELEMENT = 10,
};

typedef struct wa_aot_header {
    uint32_t magic, abi, cpu;
    uint32_t code_len;       /* run-in-place code and read-only data, at WA_AOT_HEADER_LEN */
    uint32_t data_len;       /* initialised RAM image, right after the code */
    uint32_t bss_len;        /* zeroed RAM after the image */
    uint32_t got_off;        /* RAM offset of the GOT: the r9 value */
    uint32_t nrelocs;        /* uint32_t each: RAM offset | 1 when the data base is added */
    uint32_t nimports;       /* wa_aot_extern_t: name, module, sig */
    uint32_t nexports;       /* wa_aot_extern_t: name, sig, entry (code offset | 1) */
    uint32_t instance_bytes; /* the instance (stack limit, module's globals, tables) */
    uint32_t mem_bytes;      /* linear memory at load (shrunk to __heap_base, or initial pages) */
    uint32_t init_off;       /* code offset | 1 of the instantiating entry */
    uint32_t env_off;        /* RAM offset of the blob's wa_aot_env_t pointer */
    uint32_t strings_len;    /* NUL-terminated strings after the export table */
    uint32_t fuel_off;       /* instance offset of the fuel counter (int32_t) */
    uint32_t alloc_bytes;    /* RAM the instantiating entry takes through env->alloc (tables) */
    uint32_t mem_max_pages;  /* 0: the memory never grows; else memory.grow's limit (pages) */
    uint32_t mem_size_off;   /* instance offset of the memory's current size (uint32_t), or 0 */
    uint32_t reserved;       /* 0 */
} wa_aot_header_t;

#define WA_AOT_HEADER_LEN 80u
_Static_assert(sizeof(wa_aot_header_t) == WA_AOT_HEADER_LEN, "mirrored by blob.py");

typedef struct wa_aot_extern {
    uint32_t name, second, third; /* string offsets, or (exports) entry */
} wa_aot_extern_t;
_Static_assert(sizeof(wa_aot_extern_t) == 12, "mirrored by blob.py");

/* What the blob calls. Entries that trap do not return. */
typedef struct wa_aot_env {
    void (*trap)(uint32_t code);
    void (*fuel_out)(int32_t *counter); /* the counter went <= 0: refill or trap */
    void (*call_native)(uint32_t import, uint64_t *slots);
    void *(*alloc)(uint32_t bytes); /* zeroed; never NULL (traps) */
} wa_aot_env_t;

typedef struct wa_aot wa_aot_t;

/* The loader's state at the start of the RAM it is given (sizeof(wa_aot_t),
 * 8-rounded; the same on every Cortex-M): mirrored by agent/wamr_agent/aot/ram.py
 * for the host's RAM estimate, checked by a _Static_assert in wa_aot.c. */
#define WA_AOT_STATE_BYTES 144u

/*
 * RAM wa_aot_load needs for blob (0 if it is not a blob). A module whose
 * memory grows gets its capacity reserved: up to its maximum, at most
 * mem_limit bytes (the app's linear memory budget) in whole pages.
 */
uint32_t wa_aot_ram_bytes(const uint8_t *blob, uint32_t len, uint32_t mem_limit);

/*
 * Checks the blob (magic, ABI, CPU, sizes), lays out data, GOT, instance and
 * linear memory in ram (ram_len bytes, 8-aligned, owned by the caller for the
 * instance's life; a memory that grows may grow into what is left of it, up
 * to its maximum), applies the relocations, binds imports to the native
 * table (each needs its grant in grants and its exact signature) and runs
 * the instantiating entry. app is passed to natives (may be NULL for a blob
 * without imports). Returns the instance (inside ram) or NULL with *err set.
 */
wa_aot_t *wa_aot_load(const uint8_t *blob, uint32_t len, uint8_t *ram, uint32_t ram_len,
                      wa_app_t *app, uint32_t grants, wa_error_t *err);

/*
 * Calls export name with args (types already checked against its signature
 * by the caller or below) under a CPU budget of fuel ticks (0: none) and a C
 * stack bound of stack_bytes below the caller's frame. Traps end the call
 * with the interpreter's codes and messages. The results (all of them, in
 * order: the export's signature gives their number and types) go to
 * results, their number to *nresults; more than max_results (or
 * WA_WASM_RESULTS_MAX) is WA_ERR_TOO_LARGE after the call, as interpreted.
 * *ticks gets the ticks spent.
 */
int wa_aot_call(wa_aot_t *a, const char *name, const wa_value_t *args, uint32_t nargs,
                wa_value_t *results, uint32_t max_results, uint32_t *nresults, int64_t fuel,
                uint32_t stack_bytes, uint64_t *ticks, wa_error_t *err);

/*
 * The AOT code for this firmware in module wasm (len bytes, as it lies in
 * memory): the blob of the custom section named for this firmware's CPU
 * ("wamr-aot/cortex-m4", docs/aot.md), checked: its header has this
 * firmware's ABI and CPU, and it is 8-aligned where it lies. NULL when
 * there is none; *why then says why not ("AOT code for another CPU or ABI",
 * "AOT code not 8-aligned", "a malformed AOT section"), NULL when the module
 * has no AOT section at all.
 */
const uint8_t *wa_aot_find(const uint8_t *wasm, uint32_t len, uint32_t *blob_len, const char **why);

/* Bytes of the instance's linear memory now. */
uint32_t wa_aot_memory_bytes(const wa_aot_t *a);

#endif /* WA_AOT_H */
