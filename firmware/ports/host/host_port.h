/*
 * host_port.h - interfaces between the host port's files (not part of the
 * port contract, which is wa_port.h).
 */
#ifndef HOST_PORT_H
#define HOST_PORT_H

#include <stddef.h>
#include <stdint.h>

/* port_flash.c: opens (creating it erased if missing or short) and maps the
 * flash file. Returns 0, or -1 after printing why on the console. */
int host_flash_init(const char *path);

/* port_mgmt.c: the management UART as a TCP server on 127.0.0.1. port 0
 * picks a free one. listen_fd/client_fd >= 0: sockets inherited across a
 * reset (re-exec). Prints "mgmt port N" on the console. Returns 0 or -1. */
int host_mgmt_init(int port, int listen_fd, int client_fd);
/* The sockets to hand over to the next image at a reset (-1: none). */
int host_mgmt_listen_fd(void);
int host_mgmt_client_fd(void);

/* heap.c: bytes free in the firmware's heap arena. */
uint32_t host_heap_free(void);

/* port.c: async-signal-safe console output. */
void host_console_str(const char *s);
void host_console_hex(const char *label, uint64_t value);

#endif /* HOST_PORT_H */
