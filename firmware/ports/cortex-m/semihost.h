/*
 * semihost.h - Arm semihosting calls (BKPT 0xAB): host files and exit.
 *
 * QEMU must run with -semihosting-config enable=on,target=native; without it
 * the BKPT escalates to a HardFault.
 */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* Opens a host file; mode is an fopen() string ("rb", "r+b", "w+b").
 * Returns a handle >= 0 or -1. */
int sh_open(const char *name, const char *mode);
int sh_close(int fd);
/* Returns the file length in bytes, or -1. */
long sh_flen(int fd);
int sh_seek(int fd, uint32_t pos);
/* Each returns 0 when all len bytes were transferred, -1 otherwise. */
int sh_write(int fd, const void *buf, size_t len);
int sh_read(int fd, void *buf, size_t len);
/* Stops the emulator; status becomes its exit code (SYS_EXIT_EXTENDED). */
void sh_exit(int status) __attribute__((noreturn));

#endif /* SEMIHOST_H */
