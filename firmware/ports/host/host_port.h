/*
 * host_port.h - interfaces between the host port's files (not part of the
 * port contract, which is wa_port.h).
 */
#ifndef HOST_PORT_H
#define HOST_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "wa_flash_faults.h"

/* port_flash.c: opens (creating it erased if missing or short) and maps the
 * flash file. Returns 0, or -1 after printing why on the console. */
int host_flash_init(const char *path);

/* port_faults.c: the flash fault injector. plan (may be NULL) as for
 * wa_flash_faults_plan(), trace_path (NULL: no trace) gets one line per op,
 * ops_base is the number of the first op (carried over a reset). Returns 0,
 * or -1 after printing why. */
int host_faults_init(const char *plan, const char *trace_path, uint32_t ops_base);
/* Counts (and traces) an op the port is about to perform. */
wa_flash_op_t host_faults_next(char kind, uint32_t off, uint32_t len);
/* Before performing op on view (the mapped bytes at op->off): cuts the power
 * for cut-before and cut-during (tearing view first); returns 1 when the op
 * must be skipped (fail-write), else 0. */
int host_faults_before(const wa_flash_op_t *op, uint8_t *view, const uint8_t *data, uint32_t page);
/* After performing op: cuts the power for cut-after. */
void host_faults_after(const wa_flash_op_t *op);
/* Prints the power-cut line and ends the process (WA_FLASH_FAULTS_CUT_STATUS). */
void host_faults_cut(const wa_flash_op_t *op) __attribute__((noreturn));

/* port_mgmt.c: the management UART as a TCP server on 127.0.0.1. port 0
 * picks a free one. listen_fd/client_fd >= 0: sockets inherited across a
 * reset (re-exec). Prints "mgmt port N" on the console. Returns 0 or -1. */
int host_mgmt_init(int port, int listen_fd, int client_fd);
/* The sockets to hand over to the next image at a reset (-1: none). */
int host_mgmt_listen_fd(void);
int host_mgmt_client_fd(void);

/* heap.c: bytes free in the firmware's heap arena. */
uint32_t host_heap_free(void);

/* port.c: async-signal-safe output. host_write_all writes the n bytes at s to
 * fd, retrying after EINTR, and gives up silently at an error or a zero write
 * (the console and the --flash-trace file). */
void host_write_all(int fd, const char *s, size_t n);
void host_console_str(const char *s);
void host_console_hex(const char *label, uint64_t value);

/* port_main.c: the program's options (port.c's init and reset read them). */
typedef struct host_options {
    const char *flash_path; /* --flash */
    int mgmt_port;          /* --mgmt-port */
    int mgmt_listen_fd;     /* --mgmt-fds L,C: sockets handed over by a reset */
    int mgmt_client_fd;
    const char *fault_plan; /* --flash-faults */
    const char *trace_path; /* --flash-trace */
    uint32_t ops_base;      /* --flash-ops-base: flash ops counted before a reset */
    uint32_t c_stack;       /* --c-stack: the agent's C stack in bytes (0: the process's) */
    char **argv;            /* as main() got them, for the reset's re-exec */
} host_options_t;

/* port.c: gives the calling thread its own signal stack for the fault
 * handler (a stack overflow must still reset the board). */
void host_fault_stack(void);

extern host_options_t g_host_options;

#endif /* HOST_PORT_H */
