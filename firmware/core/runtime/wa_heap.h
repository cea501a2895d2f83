/*
 * wa_heap.h - an accounting allocator for the engine.
 *
 * Every allocation the engine makes is charged to the heap that is current
 * on this thread (wa_heap_enter), so each app has its own RAM limit and
 * high-water mark even when several apps share one process. An allocation
 * that would pass the limit fails (returns NULL); the engine reports that
 * as out of memory. Blocks remember their owner, so a free charged back to
 * the right heap whichever heap is current. Each heap lists its blocks, so
 * whatever the engine leaves behind when an app is freed (wasm3 0.5.0 loses
 * a code page when compiling fails inside an `else` block) is freed with it
 * (wa_heap_release).
 */
#ifndef WA_HEAP_H
#define WA_HEAP_H

#include <stddef.h>

typedef struct wa_heap {
    size_t limit; /* bytes; 0 = unlimited */
    size_t used;
    size_t peak;
    void *blocks; /* its blocks (a list in their headers) */
} wa_heap_t;

/* Makes heap current on this thread; returns the one it replaces. */
wa_heap_t *wa_heap_enter(wa_heap_t *heap);
/* Restores a heap returned by wa_heap_enter. */
void wa_heap_leave(wa_heap_t *previous);

void *wa_heap_calloc(size_t count, size_t size);
void *wa_heap_malloc(size_t size);
void *wa_heap_realloc(void *ptr, size_t size);
void wa_heap_free(void *ptr);

/* Frees every block still charged to heap (once its owner freed all it
 * knows of: nothing may point into them). Returns the payload bytes freed. */
size_t wa_heap_release(wa_heap_t *heap);

/* Payload bytes allocated through this allocator and not freed, all heaps
 * together (tests: a failed load must leave it where it was). */
size_t wa_heap_live(void);

#endif /* WA_HEAP_H */
