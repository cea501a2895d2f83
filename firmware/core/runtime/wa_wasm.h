/*
 * wa_wasm.h - an engine-neutral reader and rewriter for wasm binaries.
 *
 * Used by the runtime to decide, before the engine sees a module, whether it
 * fits the board (memory needs), which imports it asks for (capability
 * grants), and to add CPU metering to loops. The same code runs on devices,
 * so it allocates nothing: every function reads the caller's buffer and
 * writes into caller-provided memory. All reads are bounds-checked; a
 * malformed or truncated binary gives WA_ERR_MALFORMED with a message, never
 * a read past the end.
 *
 * Error messages are written to `msg` (NUL-terminated, truncated to msg_len);
 * msg may be NULL.
 */
#ifndef WA_WASM_H
#define WA_WASM_H

#include <stddef.h>
#include <stdint.h>

#include "wa_err.h"

#define WA_WASM_PAGE 65536u
#define WA_WASM_NO_MAX 0xFFFFFFFFu /* memory has no declared maximum */
/* Room for a wasm3-style signature of every function the runtime can call
 * (16 parameters, 8 results: "[iiiiiiii](iiiiiiiiiiiiiiii)"). A longer one
 * is written as WA_WASM_SIG_LONG, which names no parameter list. */
#define WA_WASM_SIG_MAX 32
#define WA_WASM_SIG_LONG "~"
/* Results a call gives back at most, under either engine (more: the call
 * fails with WA_ERR_TOO_LARGE, "cannot read its N results"). */
#define WA_WASM_RESULTS_MAX 8u

/* External kinds as encoded in the binary. */
enum wa_extern_kind { WA_EXT_FUNC = 0, WA_EXT_TABLE = 1, WA_EXT_MEMORY = 2, WA_EXT_GLOBAL = 3 };

/* What a module needs, read from its sections. */
typedef struct wa_wasm_summary {
    uint32_t num_types;
    uint32_t num_imports; /* all kinds */
    uint32_t num_func_imports;
    uint32_t num_funcs;   /* defined functions (function section count) */
    uint32_t num_globals; /* defined globals */
    uint32_t num_exports;
    uint32_t num_loops;    /* `loop` instructions in all bodies */
    uint32_t num_branches; /* br, br_if, br_table and return instructions */
    uint32_t code_bytes;   /* size of the code section payload */
    int has_memory;        /* 1 if a memory is defined or imported */
    int memory_imported;   /* 1 if the memory is imported */
    uint32_t mem_initial_pages;
    uint32_t mem_max_pages;  /* WA_WASM_NO_MAX if none declared */
    uint32_t data_end;       /* highest end offset of active data segments with
                                constant offsets (0 if none) */
    uint32_t stack_top;      /* initial value of the first defined global when it
                                is a mutable i32 with a constant init (clang's
                                __stack_pointer); 0 if there is none */
    uint32_t heap_base;      /* value of an exported global "__heap_base", 0 if none */
    uint32_t memory_ops;     /* memory.size and memory.grow instructions in all bodies */
    int data_offset_unknown; /* an active data segment's offset is not a constant */
    int has_start;           /* a start section is present */
    int needs_rewrite;       /* the engine refuses the module as it is, valid as it is:
                                a memory section with no entries, or element segments
                                that all change nothing (no elements). The metering
                                rewrite leaves those sections out, so loading copies the
                                module through it even without a CPU budget. */
    uint32_t elem_past_end;  /* 1 + the index of the first active element segment
                                past the end of its table, 0 if none: an
                                instantiation error (the module is valid). Its
                                offset, entries, and the table's size: */
    uint32_t elem_offset;
    uint32_t elem_count;
    uint32_t table_size;
} wa_wasm_summary_t;

/* One import or export, as the iteration callbacks see it. Names point into
 * the module buffer and are NOT NUL-terminated. */
typedef struct wa_wasm_extern {
    uint8_t kind;       /* enum wa_extern_kind */
    const char *module; /* imports only; NULL for exports */
    uint32_t module_len;
    const char *name;
    uint32_t name_len;
    uint32_t index;            /* exports: index in its index space; imports: type
                                  index for functions, 0 otherwise */
    char sig[WA_WASM_SIG_MAX]; /* functions: wasm3 notation, e.g. "i(iI)", "v()";
                                  "" for other kinds; WA_WASM_SIG_LONG when
                                  it does not fit.
                                  Multiple results are written as "[ii](i)". */
} wa_wasm_extern_t;

/* Callback for import/export iteration: return 0 to go on, anything else
 * to stop (the iteration then returns that value). */
typedef int (*wa_wasm_extern_cb)(void *ctx, const wa_wasm_extern_t *ext);

/* Reads the whole module and fills *out. Returns WA_OK or WA_ERR_MALFORMED. */
int wa_wasm_summarize(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *out, char *msg,
                      size_t msg_len);

/* The same without reading the function bodies (num_loops, num_branches and
 * memory_ops stay 0; a malformed body goes unnoticed): for a caller that validates the
 * module next, with wa_wasm_validate_counting, which reads them anyway. */
int wa_wasm_summarize_sections(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *out, char *msg,
                               size_t msg_len);

/* Calls cb for every import, in order. Returns WA_OK, WA_ERR_MALFORMED, or
 * the callback's non-zero value. */
int wa_wasm_for_each_import(const uint8_t *wasm, uint32_t len, wa_wasm_extern_cb cb, void *ctx,
                            char *msg, size_t msg_len);

/* Calls cb for every export, in order; function exports get their signature. */
int wa_wasm_for_each_export(const uint8_t *wasm, uint32_t len, wa_wasm_extern_cb cb, void *ctx,
                            char *msg, size_t msg_len);

/* The payload (after the name) of the next custom section after file offset *at
 * whose name starts with prefix; *at moves past it and *out_len gets its length.
 * NULL when there is no more (or the module is malformed there). */
const uint8_t *wa_wasm_custom(const uint8_t *wasm, uint32_t len, const char *prefix, uint32_t *at,
                              uint32_t *out_len);

/*
 * Validation: the WebAssembly validation algorithm (types, function bodies
 * with operand and control stack typing, indices, limits, segments, start
 * function, unique exports) for the features the engine runs: MVP, mutable
 * globals, sign extension, saturating float-to-int, multi-value,
 * memory.copy and memory.fill. Returns WA_OK; WA_ERR_MALFORMED for a
 * malformed or invalid module; WA_ERR_NOT_SUPPORTED for a valid module that
 * uses another feature ("unsupported: bulk memory (memory.init) ...") or
 * needs more than a device limit of wa_port_config.h (block nesting,
 * WA_MAX_NESTING; table sizes, WA_VALIDATE_*): the message names it. Uses a
 * static (thread-local) state of fixed size and no other memory.
 */
int wa_wasm_validate(const uint8_t *wasm, uint32_t len, char *msg, size_t msg_len);

/* wa_wasm_validate, also counting what wa_wasm_summarize counts in the
 * function bodies: the loops, the branches (br, br_if, br_table, return) and
 * memory.size/memory.grow. Of a valid module, wa_wasm_summarize accepts it
 * and counts the same (num_loops, num_branches, memory_ops: the only fields
 * of counts written). */
int wa_wasm_validate_counting(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *counts,
                              char *msg, size_t msg_len);

/*
 * CPU metering. The rewritten module is the input with:
 *   - one type "() -> (i32)" appended to the type section,
 *   - one function of that type appended after all defined functions (the
 *     tick function; its body returns the fuel global: `global.get $fuel`),
 *   - one global "(mut i32) (i32.const 0)" appended after all defined
 *     globals (the fuel counter),
 *   - a fuel check right after every `loop <blocktype>`:
 *     In a loop that calls a function (or inside one), each round
 *     spends the fuel global itself:
 *       block  global.get $fuel  i32.const 1  i32.sub  global.set $fuel
 *              global.get $fuel  br_if 0  call $tick  drop  end
 *     and calls the tick function only when the global reaches 0, as below
 *     (a call every round cost about twice as much: on the emulated M4 the
 *     CoreMark-like workload's metering went from +10.2% to +7.1%). A loop
 *     WA_MAX_NESTING blocks deep calls the tick function every round
 *     (`call $tick  drop`), and the engine spends the tick as for any call.
 *     An outermost loop that calls none (an imported function neither: the
 *     engine spends a tick on its call too) and the loops inside it spend a
 *     local of the function instead,
 *     the counter: one more i32 local, declared after the function's own.
 *     It is loaded from the global right before that loop
 *     (`global.get $fuel  local.set $n`) and stored back
 *     (`local.get $n  global.set $fuel`) right after its `end` and before
 *     every return or branch that leaves it; its check is
 *       block  local.get $n  i32.const 1  i32.sub  local.tee $n  br_if 0
 *              i32.const 0  global.set $fuel  call $tick  local.set $n  end
 *     so a round costs a subtraction, a local.tee and a br_if; when the
 *     counter reaches 0 the round calls the tick function with the global
 *     at 0, where the engine refills the global from the rest of the call's
 *     budget or traps (wa_engine_wasm3.c). A loop WA_MAX_NESTING blocks
 *     deep, where the block would pass the limit, instead stores, calls the
 *     tick function every round and loads its result.
 * No existing index moves, and the rewritten module is valid wherever the
 * input was.
 *
 * wa_wasm_meter_size() gives the exact output size; wa_wasm_meter() writes
 * it into out (out_cap bytes) and sets *tick_func to the added function's
 * index (NO_INDEX, 0xFFFFFFFF, for a module without code: it comes back
 * unchanged, without type, function or global added). Both return WA_OK,
 * WA_ERR_MALFORMED, WA_ERR_NOT_SUPPORTED (for instructions the reader does
 * not know, e.g. SIMD; the message names the opcode) or WA_ERR_TOO_LARGE
 * (out_cap too small).
 */
int wa_wasm_meter_size(const uint8_t *wasm, uint32_t len, uint32_t *out_len, char *msg,
                       size_t msg_len);
int wa_wasm_meter(const uint8_t *wasm, uint32_t len, uint8_t *out, uint32_t out_cap,
                  uint32_t *out_len, uint32_t *tick_func, char *msg, size_t msg_len);

/* The same rewrite, streamed: the metered module's bytes go to sink in
 * order, in pieces of any size (a sink that writes flash should buffer).
 * sink returns 0 or an agent_err code, which stops the output and is
 * returned. *out_len is the metered module's size. */
typedef int (*wa_wasm_sink)(void *ctx, const uint8_t *data, uint32_t len);
int wa_wasm_meter_to(const uint8_t *wasm, uint32_t len, wa_wasm_sink sink, void *ctx,
                     uint32_t *out_len, char *msg, size_t msg_len);

/* The same rewrite in one pass, for the runtime (which has checked the
 * module with wa_check_fit): out_cap must be at least
 * wa_wasm_meter_bound() + WA_WASM_METER_ROOM, else the result may be
 * WA_ERR_TOO_LARGE (with an empty message). The bytes are those of
 * wa_wasm_meter(); on a module that is not valid it fails too, but not
 * always with the same message. */
#define WA_WASM_METER_ROOM 32u
int wa_wasm_meter_into(const uint8_t *wasm, uint32_t len, uint8_t *out, uint32_t out_cap,
                       uint32_t *out_len, char *msg, size_t msg_len);

/* An upper bound of the metered module's size from the input's length and
 * summary alone (no pass over the code), for sizing a buffer: it counts a
 * store for every branch and 5-byte indices, so it can exceed the size by
 * tens of bytes per loop and branch. */
uint32_t wa_wasm_meter_bound(uint32_t len, const wa_wasm_summary_t *s);

#endif /* WA_WASM_H */
