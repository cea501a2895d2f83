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

/* True when the C stack is nearly used up. The engine checks it on every
 * wasm call and traps with a stack overflow instead of overrunning memory:
 * each nested wasm call also costs C stack, and on a small MCU stack deep
 * recursion would otherwise exhaust it before the engine's own stack. The
 * margin leaves room for a native function (log formatting) at the deepest
 * point. Cortex-M ports provide __stack_limit in their linker script; hosts
 * have megabytes of stack and need no check. */
#ifndef WA_C_STACK_LOW
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
extern char __stack_limit[];
#define WA_C_STACK_MARGIN 2048
#define WA_C_STACK_LOW() ((char *)__builtin_frame_address(0) < __stack_limit + WA_C_STACK_MARGIN)
#else
#define WA_C_STACK_LOW() 0
#endif
#endif

#endif /* WA_PORT_CONFIG_H */
