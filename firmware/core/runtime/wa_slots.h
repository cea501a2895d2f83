/*
 * wa_slots.h - reading arguments and writing results in a native call's
 * value slots (see wa_native_fn), and checking guest pointers.
 */
#ifndef WA_SLOTS_H
#define WA_SLOTS_H

#include <stdint.h>
#include <string.h>

static inline uint32_t wa_slot_u32(const uint64_t *slot)
{
    uint32_t v;
    memcpy(&v, slot, sizeof v);
    return v;
}

static inline int32_t wa_slot_i32(const uint64_t *slot)
{
    int32_t v;
    memcpy(&v, slot, sizeof v);
    return v;
}

static inline int64_t wa_slot_i64(const uint64_t *slot)
{
    int64_t v;
    memcpy(&v, slot, sizeof v);
    return v;
}

static inline float wa_slot_f32(const uint64_t *slot)
{
    float v;
    memcpy(&v, slot, sizeof v);
    return v;
}

static inline void wa_slot_set_i32(uint64_t *slot, int32_t v)
{
    memcpy(slot, &v, sizeof v);
}

static inline void wa_slot_set_i64(uint64_t *slot, int64_t v)
{
    memcpy(slot, &v, sizeof v);
}

/* 1 when [offset, offset + len) lies inside linear memory of mem_len bytes. */
static inline int wa_mem_ok(uint32_t mem_len, uint32_t offset, uint32_t len)
{
    return offset <= mem_len && len <= mem_len - offset;
}

#endif /* WA_SLOTS_H */
