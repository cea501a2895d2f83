/*
 * wa_aot_blob.h - what the blob's C (wasm2c's output, our glue, wa_aot_rt.c)
 * shares: the table of firmware entries it calls (mirrors wa_aot_env_t of
 * firmware/core/runtime/wa_aot.h; tests/unit/test_aot.py compares them) and
 * the instance head the loader fills.
 */
#ifndef WA_AOT_BLOB_H
#define WA_AOT_BLOB_H

#include <stdint.h>

#include "wasm-rt.h"

typedef struct wa_aot_env {
    void (*trap)(uint32_t code);
    void (*fuel_out)(int32_t *counter);
    void (*call_native)(uint32_t import, uint64_t *slots);
    void *(*alloc)(uint32_t bytes);
} wa_aot_env_t;

/* Our trap codes beside wasm-rt.h's (wa_aot.h enum wa_aot_trap). */
#define WA_AOT_TRAP_UNDEFINED_ELEMENT 9u
#define WA_AOT_TRAP_NULL_ELEMENT 10u

/* Set by the loader (header.env_off), before any entry runs. */
extern const wa_aot_env_t *wa_aot_env;
/* Set by the instantiating entry from the loader's slots: the linear memory
 * the loader reserved, its size at load (header.mem_bytes) and the pages it
 * may grow to (the reservation). */
extern uint8_t *wa_aot_mem;
extern uint32_t wa_aot_mem_bytes;
extern uint32_t wa_aot_mem_pages;

/* The instance the loader allocates: this head, then the module's own. */
typedef struct wa_aot_head {
    uint32_t stack_limit; /* lowest sp a function may enter with */
    uint32_t reserved;
} wa_aot_head_t;

#define WA_STACK_LIMIT(instance) (((const wa_aot_head_t *)(const void *)(instance))[-1].stack_limit)

static inline void wa_fuel_out(int32_t *fuel)
{
    wa_aot_env->fuel_out(fuel);
}

static inline uint64_t wa_slot_from_f32(float v)
{
    uint32_t u;
    __builtin_memcpy(&u, &v, 4);
    return u;
}

static inline float wa_slot_to_f32(uint64_t s)
{
    uint32_t u = (uint32_t)s;
    float v;
    __builtin_memcpy(&v, &u, 4);
    return v;
}

static inline uint64_t wa_slot_from_f64(double v)
{
    uint64_t u;
    __builtin_memcpy(&u, &v, 8);
    return u;
}

static inline double wa_slot_to_f64(uint64_t s)
{
    double v;
    __builtin_memcpy(&v, &s, 8);
    return v;
}

#endif /* WA_AOT_BLOB_H */
