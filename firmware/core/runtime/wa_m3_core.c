/*
 * wa_m3_core.c - builds wasm3's m3_core.c (fetched, unmodified) with its
 * calloc/realloc/free calls sent to the accounting allocator (wa_heap.h),
 * so every engine allocation is charged to the app that made it. Build
 * scripts compile this file instead of m3_core.c; it is the only wasm3
 * file that calls the C allocator directly.
 */
#include <stdlib.h>

#include "wa_heap.h"

#define calloc wa_heap_calloc
#define realloc wa_heap_realloc
#define free wa_heap_free

#include "m3_core.c"
