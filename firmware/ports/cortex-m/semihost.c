/* semihost.c - see semihost.h. Operation numbers: Arm semihosting v2. */
#include "semihost.h"

#include <string.h>

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_SEEK = 0x0A,
    SYS_FLEN = 0x0C,
    SYS_EXIT = 0x18,
    SYS_EXIT_EXTENDED = 0x20,
};

#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR 0x20023u

static int sh_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int)r0;
}

/* The mode numbers of SYS_OPEN, in order: index = mode. */
static const char *const k_modes[] = {"r",  "rb",  "r+", "r+b", "w",  "wb",
                                      "w+", "w+b", "a",  "ab",  "a+", "a+b"};

int sh_open(const char *name, const char *mode)
{
    for (uint32_t m = 0; m < sizeof k_modes / sizeof k_modes[0]; m++) {
        if (strcmp(mode, k_modes[m]) == 0) {
            const uint32_t args[3] = {(uint32_t)(uintptr_t)name, m, (uint32_t)strlen(name)};
            return sh_call(SYS_OPEN, args);
        }
    }
    return -1;
}

int sh_close(int fd)
{
    const uint32_t args[1] = {(uint32_t)fd};
    return sh_call(SYS_CLOSE, args);
}

long sh_flen(int fd)
{
    const uint32_t args[1] = {(uint32_t)fd};
    return sh_call(SYS_FLEN, args);
}

int sh_seek(int fd, uint32_t pos)
{
    const uint32_t args[2] = {(uint32_t)fd, pos};
    return sh_call(SYS_SEEK, args) == 0 ? 0 : -1;
}

/* SYS_WRITE and SYS_READ return the number of bytes NOT transferred. */
int sh_write(int fd, const void *buf, size_t len)
{
    const uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len};
    return sh_call(SYS_WRITE, args) == 0 ? 0 : -1;
}

int sh_read(int fd, void *buf, size_t len)
{
    const uint32_t args[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len};
    return sh_call(SYS_READ, args) == 0 ? 0 : -1;
}

void sh_exit(int status)
{
    const uint32_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    sh_call(SYS_EXIT_EXTENDED, args);
    /* A host without the extended call: plain exit (status 0 or 1). */
    sh_call(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                                            : ADP_STOPPED_RUNTIME_ERROR));
    for (;;) {
    }
}
