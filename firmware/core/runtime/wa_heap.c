/* wa_heap.c - see wa_heap.h. Blocks carry a header naming owner and size,
 * and sit in their owner's list, so wa_heap_release can free what the
 * engine lost. */
#include "wa_heap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wa_port_config.h"

typedef union block_header {
    struct {
        wa_heap_t *owner;
        size_t size;
        union block_header *prev; /* the owner's list (NULL owner: in none) */
        union block_header *next;
    } h;
    max_align_t align; /* keeps the payload aligned like malloc's */
} block_header_t;

static WA_THREAD_LOCAL wa_heap_t *s_current;
static size_t s_live;

wa_heap_t *wa_heap_enter(wa_heap_t *heap)
{
    wa_heap_t *previous = s_current;
    s_current = heap;
    return previous;
}

void wa_heap_leave(wa_heap_t *previous)
{
    s_current = previous;
}

static int heap_can_grow(const wa_heap_t *heap, size_t extra)
{
    return heap == NULL || heap->limit == 0 || extra <= heap->limit - heap->used;
}

static void heap_charge(wa_heap_t *heap, size_t add, size_t remove)
{
    s_live = s_live + add - remove;
    if (heap == NULL) {
        return;
    }
    heap->used = heap->used + add - remove;
    if (heap->used > heap->peak) {
        heap->peak = heap->used;
    }
}

static void link_block(block_header_t *block)
{
    wa_heap_t *heap = block->h.owner;
    block->h.prev = NULL;
    block->h.next = NULL;
    if (heap == NULL) {
        return;
    }
    block->h.next = (block_header_t *)heap->blocks;
    if (block->h.next != NULL) {
        block->h.next->h.prev = block;
    }
    heap->blocks = block;
}

static void unlink_block(block_header_t *block)
{
    wa_heap_t *heap = block->h.owner;
    if (heap == NULL) {
        return;
    }
    if (block->h.prev != NULL) {
        block->h.prev->h.next = block->h.next;
    } else {
        heap->blocks = block->h.next;
    }
    if (block->h.next != NULL) {
        block->h.next->h.prev = block->h.prev;
    }
}

void *wa_heap_malloc(size_t size)
{
    if (size > SIZE_MAX - sizeof(block_header_t) || !heap_can_grow(s_current, size)) {
        return NULL;
    }
    block_header_t *block = malloc(sizeof(block_header_t) + size);
    if (block == NULL) {
        return NULL;
    }
    block->h.owner = s_current;
    block->h.size = size;
    link_block(block);
    heap_charge(s_current, size, 0);
    return block + 1;
}

void *wa_heap_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        return NULL;
    }
    void *ptr = wa_heap_malloc(count * size);
    if (ptr != NULL) {
        memset(ptr, 0, count * size);
    }
    return ptr;
}

void *wa_heap_realloc(void *ptr, size_t size)
{
    if (ptr == NULL) {
        return wa_heap_malloc(size);
    }
    block_header_t *block = (block_header_t *)ptr - 1;
    wa_heap_t *owner = block->h.owner;
    size_t old = block->h.size;
    if (size > SIZE_MAX - sizeof(block_header_t) ||
        (size > old && !heap_can_grow(owner, size - old))) {
        return NULL;
    }
    /* Not the C library's realloc: newlib-nano's (Debian's arm-none-eabi)
     * copies the new size out of the old block, reading past its end, which
     * faults when the old block lies less than that below the C stack's MPU
     * guard (a memory.grow from a small memory near the heap's top). */
    block_header_t *moved = block;
    if (size > old) {
        moved = malloc(sizeof(block_header_t) + size);
        if (moved == NULL) {
            return NULL;
        }
        memcpy(moved, block, sizeof(block_header_t) + old);
        unlink_block(block);
        free(block);
    } else {
        unlink_block(block);
    }
    moved->h.size = size;
    link_block(moved);
    heap_charge(owner, size, old);
    return moved + 1;
}

void wa_heap_free(void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    block_header_t *block = (block_header_t *)ptr - 1;
    unlink_block(block);
    heap_charge(block->h.owner, 0, block->h.size);
    free(block);
}

size_t wa_heap_release(wa_heap_t *heap)
{
    size_t freed = 0;
    while (heap->blocks != NULL) {
        block_header_t *block = (block_header_t *)heap->blocks;
        freed += block->h.size;
        wa_heap_free(block + 1);
    }
    return freed;
}

size_t wa_heap_live(void)
{
    return s_live;
}
