/*
 * wa_aot_rt.c - the functions wasm2c's output expects of a runtime
 * (wasm-rt.h), for a blob: traps and memory go to the loader's entries,
 * tables come from the instance's RAM. Linked into every blob.
 */
#include <stdarg.h>

#include "wa_aot_blob.h"

const wa_aot_env_t *wa_aot_env;
uint8_t *wa_aot_mem;
uint32_t wa_aot_mem_bytes;
uint32_t wa_aot_mem_pages;

void wasm_rt_trap(wasm_rt_trap_t code)
{
    wa_aot_env->trap((uint32_t)code);
    __builtin_unreachable();
}

bool wasm_rt_is_initialized(void)
{
    return true;
}

/* A function type's number: its arity and value types, 3 bits each (the
 * key is exact for up to 8 values; longer types get a number of their own). */
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
    static uint32_t s_long = 0x80000000u;
    if (params + results > 8u) {
        return s_long++;
    }
    uint32_t key = params | results << 4;
    va_list ap;
    va_start(ap, results);
    for (uint32_t i = 0; i < params + results; i++) {
        key |= ((uint32_t)va_arg(ap, int) & 7u) << (8u + 3u * i);
    }
    va_end(ap);
    return key;
}

/* The memory the loader reserved, zeroed: its size is header.mem_bytes (the
 * initial pages, or less when shrunk to __heap_base: such a module has no
 * memory.size or memory.grow); it may grow to the lesser of its maximum and
 * the reservation, as the interpreter caps it at the app's budget. */
void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages)
{
    mem->data = wa_aot_mem;
    mem->pages = initial_pages;
    mem->max_pages = max_pages < wa_aot_mem_pages ? max_pages : wa_aot_mem_pages;
    mem->size = wa_aot_mem_bytes;
}

/* The old size in pages, or -1 past the maximum: the pages are reserved and
 * zeroed already. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t pages)
{
    uint32_t old = mem->pages;
    if (old > mem->max_pages || pages > mem->max_pages - old) {
        return 0xFFFFFFFFu;
    }
    mem->pages = old + pages;
    mem->size = mem->pages * 65536u;
    return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem)
{
    (void)mem;
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t elements,
                                    uint32_t max_elements)
{
    t->data = wa_aot_env->alloc(elements * sizeof t->data[0]);
    t->size = elements;
    t->max_size = max_elements;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t)
{
    (void)t;
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *t, uint32_t elements,
                                      uint32_t max_elements)
{
    t->data = wa_aot_env->alloc(elements * sizeof t->data[0]);
    t->size = elements;
    t->max_size = max_elements;
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t *t)
{
    (void)t;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *t, uint32_t delta,
                                    wasm_rt_funcref_t init)
{
    (void)init;
    return delta == 0 ? t->size : 0xFFFFFFFFu;
}

uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t *t, uint32_t delta,
                                      wasm_rt_externref_t init)
{
    (void)init;
    return delta == 0 ? t->size : 0xFFFFFFFFu;
}

/* The C library functions the compiler and wasm2c's helpers call (built
 * with -fno-tree-loop-distribute-patterns, so these loops stay loops). */
void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s) {
        return memcpy(dst, src, n);
    }
    while (n--) {
        d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--) {
        *d++ = (uint8_t)c;
    }
    return dst;
}
