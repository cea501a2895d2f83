/*
 * wa_aot_w2c.h - our definitions for wasm2c's output, included (by
 * agent/wamr_agent/aot/cgen.py) right after wasm2c's own helper macros
 * and before the module's functions. The module's config header (generated)
 * defines WA_INSTANCE (the instance struct), WA_FUEL (its fuel global's
 * field) and, with a memory, WA_MEM (its field), WA_MEM_BYTES (its size at
 * load: shrunk to __heap_base when the module allows it) and WA_MEM_GROWS
 * when the code uses memory.grow.
 *
 * - FUNC_PROLOGUE spends a tick of the fuel global (wasm3 spends one per
 *   call: the same count) and checks the C stack against the instance's
 *   bound; it also caches the memory base in a local.
 * - The metering's tick function is wa_tick, inlined at its call sites.
 * - Loads and stores (rewritten by cgen.py to wa_<op>(wa_mb, WA_MEM_END,
 *   addr, offset ...)) check addr + offset + size against the memory's end
 *   in 32-bit arithmetic: WA_MEM_BYTES, a constant (offset + size is one
 *   too, so it is one compare), unless the memory grows: then its current
 *   size. The base never moves: the loader reserves the memory's capacity.
 */
#ifndef WA_AOT_W2C_H
#define WA_AOT_W2C_H

#include "wa_aot_blob.h"

#undef FUNC_PROLOGUE
#undef FUNC_EPILOGUE

#define WA_ALWAYS static inline __attribute__((always_inline))

/* The tick of a call: one off the fuel global, fuel_out when it reaches 0. */
WA_ALWAYS void wa_spend(WA_INSTANCE *instance)
{
    s32 *fuel = (s32 *)(void *)&instance->WA_FUEL;
    s32 left = *fuel - 1;
    *fuel = left;
    if (UNLIKELY(left <= 0)) {
        wa_fuel_out(fuel);
    }
}

/* The body of the metering's tick function (cgen.py inlines it at every call
 * site): its call's tick, then the fuel global as its result. No stack check:
 * inlined, it has no frame of its own (fuel_out runs in the margin above the
 * bound, as it does from a function's entry). */
WA_ALWAYS u32 wa_tick(WA_INSTANCE *instance)
{
    wa_spend(instance);
    return instance->WA_FUEL;
}

WA_ALWAYS void wa_entry(WA_INSTANCE *instance)
{
    wa_spend(instance);
    uintptr_t sp;
    __asm__("mov %0, sp" : "=r"(sp));
    if (UNLIKELY(sp < WA_STACK_LIMIT(instance))) {
        wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
    }
}

#ifdef WA_MEM
#define FUNC_PROLOGUE                                                                              \
    wa_entry(instance);                                                                            \
    u8 *const wa_mb __attribute__((unused)) = instance->WA_MEM.data
#else
#define FUNC_PROLOGUE wa_entry(instance)
#endif
#define FUNC_EPILOGUE (void)0

/* call_indirect with the interpreter's traps (wasm2c has one for all): an
 * element of another type is a type mismatch; a null element or an index
 * past the table is wa_no_element's. */
#undef CALL_INDIRECT
#define CALL_INDIRECT(table, t, ft, x, ...)                                                        \
    ((LIKELY((x) < (table).size && (table).data[x].func) || (wa_no_element(&(table), x), 0)),      \
     (LIKELY((table).data[x].func_type == func_types[ft]) || TRAP(CALL_INDIRECT)),                 \
     ((t)(table).data[x].func)(__VA_ARGS__))

/* wasm3 sizes a table to its last element placed: a null element before a
 * placed one is "table element is null", anything past it "undefined
 * element". Does not return. */
static inline __attribute__((noinline, cold)) void wa_no_element(const wasm_rt_funcref_table_t *t,
                                                                 u32 x)
{
    for (u32 i = x; i < t->size; i++) {
        if (t->data[i].func) {
            wa_aot_env->trap(WA_AOT_TRAP_NULL_ELEMENT);
        }
    }
    wa_aot_env->trap(WA_AOT_TRAP_UNDEFINED_ELEMENT);
}

#ifdef WA_MEM
#ifdef WA_MEM_GROWS
#define WA_MEM_END (instance->WA_MEM.size)
#else
#define WA_MEM_END WA_MEM_BYTES
#endif
#define WA_IN_BOUNDS(end, a, off, n)                                                               \
    ((u64)(off) + (n) <= (end) && (u32)(a) <= (u32)((end) - (off) - (n)))

#define WA_LOAD(name, t1, t2, t3)                                                                  \
    WA_ALWAYS t3 wa_##name(const u8 *mb, u32 end, u32 a, u32 off)                                  \
    {                                                                                              \
        if (UNLIKELY(!WA_IN_BOUNDS(end, a, off, sizeof(t1)))) {                                    \
            wasm_rt_trap(WASM_RT_TRAP_OOB);                                                        \
        }                                                                                          \
        t1 r;                                                                                      \
        __builtin_memcpy(&r, mb + a + off, sizeof r);                                              \
        return (t3)(t2)r;                                                                          \
    }
#define WA_STORE(name, t1, t2)                                                                     \
    WA_ALWAYS void wa_##name(u8 *mb, u32 end, u32 a, u32 off, t2 v)                                \
    {                                                                                              \
        if (UNLIKELY(!WA_IN_BOUNDS(end, a, off, sizeof(t1)))) {                                    \
            wasm_rt_trap(WASM_RT_TRAP_OOB);                                                        \
        }                                                                                          \
        t1 w = (t1)v;                                                                              \
        __builtin_memcpy(mb + a + off, &w, sizeof w);                                              \
    }

WA_LOAD(i32_load, u32, u32, u32)
WA_LOAD(i64_load, u64, u64, u64)
WA_LOAD(f32_load, f32, f32, f32)
WA_LOAD(f64_load, f64, f64, f64)
WA_LOAD(i32_load8_s, s8, s32, u32)
WA_LOAD(i64_load8_s, s8, s64, u64)
WA_LOAD(i32_load8_u, u8, u32, u32)
WA_LOAD(i64_load8_u, u8, u64, u64)
WA_LOAD(i32_load16_s, s16, s32, u32)
WA_LOAD(i64_load16_s, s16, s64, u64)
WA_LOAD(i32_load16_u, u16, u32, u32)
WA_LOAD(i64_load16_u, u16, u64, u64)
WA_LOAD(i64_load32_s, s32, s64, u64)
WA_LOAD(i64_load32_u, u32, u64, u64)
WA_STORE(i32_store, u32, u32)
WA_STORE(i64_store, u64, u64)
WA_STORE(f32_store, f32, f32)
WA_STORE(f64_store, f64, f64)
WA_STORE(i32_store8, u8, u32)
WA_STORE(i32_store16, u16, u32)
WA_STORE(i64_store8, u8, u64)
WA_STORE(i64_store16, u16, u64)
WA_STORE(i64_store32, u32, u64)
#endif

#endif /* WA_AOT_W2C_H */
