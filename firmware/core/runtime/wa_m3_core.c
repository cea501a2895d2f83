/*
 * wa_m3_core.c - builds wasm3's m3_core.c (fetched, unmodified) with its
 * calloc/realloc/free calls sent to the accounting allocator (wa_heap.h),
 * so every engine allocation is charged to the app that made it. Build
 * scripts compile this file instead of m3_core.c; it is the only wasm3
 * file that calls the C allocator directly.
 */
#include <stdlib.h>

#include "wa_heap.h"

/*
 * wasm3 0.5.0's memory.grow adds its page count to the size in 32 bits, so a
 * count of 2^32 - k pages (memory.grow(-k) for k up to the size) wraps to a
 * smaller size, and the engine shrinks the memory and answers the old size
 * where wasm answers -1 and keeps the memory. Every other resize in the
 * engine grows (tables, globals, functions): a resize to fewer bytes is
 * refused, the engine reports an allocation failure, and memory.grow
 * answers -1. i_oldSize is m3_Realloc's parameter, the only caller.
 */
static void *wa_m3_realloc(void *ptr, size_t size, size_t old)
{
    return size < old ? NULL : wa_heap_realloc(ptr, size);
}

#define calloc wa_heap_calloc
#define realloc(ptr, size) wa_m3_realloc(ptr, size, i_oldSize)
#define free wa_heap_free

#include "m3_core.c"
