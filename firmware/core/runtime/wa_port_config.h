/*
 * wa_port_config.h - compile-time settings a port may override with -D.
 */
#ifndef WA_PORT_CONFIG_H
#define WA_PORT_CONFIG_H

/* Thread-local storage for per-thread runtime state. Single-threaded
 * firmware builds define it empty. */
#ifndef WA_THREAD_LOCAL
#define WA_THREAD_LOCAL _Thread_local
#endif

/* Bytes of text a WASI fd_write line buffer holds before it flushes. */
#ifndef WA_LINE_BUFFER
#define WA_LINE_BUFFER 160
#endif

#endif /* WA_PORT_CONFIG_H */
