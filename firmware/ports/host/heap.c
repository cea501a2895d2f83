/*
 * heap.c - the firmware's C heap: a fixed arena of the board's RAM minus the
 * firmware reserve (static data and C stack on the device), in place of the
 * C library's malloc for the whole process. An allocation that does not fit
 * the arena fails (NULL), so "fits in the board's RAM" is checked as on the
 * MCU, although the host has gigabytes.
 *
 * First fit over a free list kept in address order; freed blocks merge with
 * free neighbours. Every block starts with a 16-byte header, so payloads are
 * 16-byte aligned. Single-threaded, like the agent (no locks).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "host_port.h"
#include "wa_board.h"

#define ARENA_BYTES (WA_BOARD_RAM_BYTES - WA_BOARD_FIRMWARE_RESERVE_BYTES)
#define ALIGN 16u
#define HEADER ((size_t)sizeof(block_t))
#define MIN_BLOCK (2u * ALIGN)
#define TAG_USED 0x55534544u    /* "USED" */
#define TAG_ALIGNED 0x414c4e44u /* "ALND": offset header of a memalign block */

_Static_assert(ARENA_BYTES % ALIGN == 0, "arena must be whole alignment units");

/* Header of every block, allocated or free: 16 bytes, padded so on a 32-bit
 * host (the simulated boards build -m32) too. */
typedef struct __attribute__((aligned(ALIGN))) block {
    size_t size; /* whole block, header included */
    union {
        struct block *next; /* free: next free block (higher address) */
        uint64_t tag;       /* allocated: TAG_USED */
    } u;
} block_t;

_Static_assert(sizeof(block_t) == ALIGN, "header must keep payloads aligned");

static uint8_t s_arena[ARENA_BYTES] __attribute__((aligned(ALIGN)));
static block_t *s_free;
static int s_ready;

static void arena_init(void)
{
    s_free = (block_t *)s_arena;
    s_free->size = ARENA_BYTES;
    s_free->u.next = NULL;
    s_ready = 1;
}

static size_t block_size_for(size_t n)
{
    if (n > ARENA_BYTES) {
        return 0;
    }
    size_t size = (n + HEADER + ALIGN - 1u) & ~(size_t)(ALIGN - 1u);
    return size < MIN_BLOCK ? MIN_BLOCK : size;
}

static int in_arena(const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return b >= s_arena && b < s_arena + ARENA_BYTES;
}

/* The header of an allocated payload (following a memalign offset header). */
static block_t *block_of(void *p)
{
    block_t *b = (block_t *)p - 1;
    if (b->u.tag == TAG_ALIGNED) {
        b = (block_t *)((uint8_t *)b - b->size);
    }
    return b;
}

/* The allocator proper. malloc & co. are thin wrappers, so the compiler's
 * knowledge of the standard functions (turning malloc + memset into calloc,
 * warnings about freeing interior pointers) never applies inside it. */
static void *alloc(size_t n)
{
    if (!s_ready) {
        arena_init();
    }
    size_t need = block_size_for(n);
    if (need == 0) {
        errno = ENOMEM;
        return NULL;
    }
    for (block_t **link = &s_free; *link != NULL; link = &(*link)->u.next) {
        block_t *b = *link;
        if (b->size < need) {
            continue;
        }
        if (b->size - need >= MIN_BLOCK) { /* split: the tail stays free */
            block_t *rest = (block_t *)((uint8_t *)b + need);
            rest->size = b->size - need;
            rest->u.next = b->u.next;
            *link = rest;
            b->size = need;
        } else {
            *link = b->u.next;
        }
        b->u.tag = TAG_USED;
        return b + 1;
    }
    errno = ENOMEM;
    return NULL;
}

static void release(block_t *b)
{
    block_t *prev = NULL, *next = s_free;
    while (next != NULL && next < b) {
        prev = next;
        next = next->u.next;
    }
    b->u.next = next;
    if (next != NULL && (uint8_t *)b + b->size == (uint8_t *)next) {
        b->size += next->size;
        b->u.next = next->u.next;
    }
    if (prev != NULL && (uint8_t *)prev + prev->size == (uint8_t *)b) {
        prev->size += b->size;
        prev->u.next = b->u.next;
    } else if (prev != NULL) {
        prev->u.next = b;
    } else {
        s_free = b;
    }
}

void *malloc(size_t n)
{
    return alloc(n);
}

void free(void *p)
{
    if (p != NULL && in_arena(p)) {
        release(block_of(p));
    }
}

void *calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = alloc(count * size);
    if (p != NULL) {
        memset(p, 0, count * size);
    }
    return p;
}

/* Grows b in place into the free block right after it, if there is one big
 * enough. Returns 1 on success. */
static int grow_in_place(block_t *b, size_t need)
{
    block_t **link = &s_free;
    while (*link != NULL && *link < b) {
        link = &(*link)->u.next;
    }
    block_t *next = *link;
    if (next == NULL || (uint8_t *)b + b->size != (uint8_t *)next || b->size + next->size < need) {
        return 0;
    }
    size_t total = b->size + next->size;
    if (total - need >= MIN_BLOCK) {
        block_t *rest = (block_t *)((uint8_t *)b + need);
        rest->size = total - need;
        rest->u.next = next->u.next;
        *link = rest;
        b->size = need;
    } else {
        *link = next->u.next;
        b->size = total;
    }
    return 1;
}

void *realloc(void *p, size_t n)
{
    if (p == NULL) {
        return alloc(n);
    }
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (!in_arena(p)) { /* not ours (the dynamic loader's): size unknown */
        errno = ENOMEM;
        return NULL;
    }
    block_t *b = (block_t *)p - 1;
    size_t need = block_size_for(n);
    if (need == 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (b->u.tag == TAG_USED) {
        if (need <= b->size) {
            if (b->size - need >= MIN_BLOCK) { /* give the tail back */
                block_t *rest = (block_t *)((uint8_t *)b + need);
                rest->size = b->size - need;
                b->size = need;
                release(rest);
            }
            return p;
        }
        if (grow_in_place(b, need)) {
            return p;
        }
    }
    size_t have = (size_t)((uint8_t *)block_of(p) + block_of(p)->size - (uint8_t *)p);
    void *q = alloc(n);
    if (q == NULL) {
        return NULL;
    }
    memcpy(q, p, have < n ? have : n);
    release(block_of(p));
    return q;
}

void *memalign(size_t align, size_t n)
{
    if (align <= ALIGN) {
        return alloc(n);
    }
    if ((align & (align - 1u)) != 0 || n > ARENA_BYTES) {
        errno = EINVAL;
        return NULL;
    }
    uint8_t *raw = alloc(n + align + HEADER);
    if (raw == NULL) {
        return NULL;
    }
    uintptr_t at = ((uintptr_t)raw + HEADER + align - 1u) & ~(uintptr_t)(align - 1u);
    if (at == (uintptr_t)raw) {
        return raw;
    }
    block_t *offset = (block_t *)at - 1;
    offset->size = (size_t)((uint8_t *)offset - (raw - HEADER));
    offset->u.tag = TAG_ALIGNED;
    return (void *)at;
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1u)) != 0) {
        return EINVAL;
    }
    void *p = memalign(align, n);
    if (p == NULL) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

void *valloc(size_t n)
{
    return memalign(4096u, n);
}

void *pvalloc(size_t n)
{
    return memalign(4096u, (n + 4095u) & ~(size_t)4095u);
}

size_t malloc_usable_size(void *p)
{
    if (p == NULL || !in_arena(p)) {
        return 0;
    }
    block_t *b = block_of(p);
    return (size_t)((uint8_t *)b + b->size - (uint8_t *)p);
}

uint32_t host_heap_free(void)
{
    if (!s_ready) {
        arena_init();
    }
    size_t total = 0;
    for (const block_t *b = s_free; b != NULL; b = b->u.next) {
        total += b->size;
    }
    return (uint32_t)total;
}
