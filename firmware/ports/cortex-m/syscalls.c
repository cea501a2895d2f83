/*
 * syscalls.c - what newlib(-nano) needs from the port: _sbrk bounded to the
 * heap between the end of .bss and the C stack, and wa_port_heap_free().
 * The other system calls come from libnosys (--specs=nosys.specs).
 */
#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdint.h>

#include "wa_port.h"

extern char __heap_start[], __heap_end[];

static char *s_brk = __heap_start;

void *_sbrk(ptrdiff_t incr);

void *_sbrk(ptrdiff_t incr)
{
    char *old = s_brk;
    if (incr > __heap_end - s_brk || incr < __heap_start - s_brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    s_brk += incr;
    return old;
}

/* _mallinfo_r, not mallinfo(): newlib's mallinfo() shares an object file with
 * malloc_stats(), which drags in fprintf and the stdio FILE machinery (about
 * 2 KiB of flash) that nothing else uses. */
uint32_t wa_port_heap_free(void)
{
    struct mallinfo info = _mallinfo_r(_REENT);
    return (uint32_t)(__heap_end - s_brk) + (uint32_t)info.fordblks;
}
