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

/* Deepest block/loop/if nesting a function may have. wasm3 compiles nested
 * blocks recursively, on the C stack. Measured under QEMU on all four mps2
 * boards (16 KiB C stack): blocks load at 112 levels and fault at 118, loops
 * at 104 / 112, ifs at 88 / 96. The validator refuses deeper code up front,
 * naming this limit; 64 keeps a third of the stack spare below the worst
 * case (docs/boards.md, "Module limits"). */
#ifndef WA_MAX_NESTING
#define WA_MAX_NESTING 64
#endif

/* The validator's fixed tables (static, not on the stack): a module that
 * needs more is refused, naming the setting. */
#ifndef WA_VALIDATE_MAX_TYPES
#define WA_VALIDATE_MAX_TYPES 256 /* 4 bytes each */
#endif
#ifndef WA_VALIDATE_MAX_FUNCS
#define WA_VALIDATE_MAX_FUNCS 2048 /* imported and defined; 2 bytes each */
#endif
#ifndef WA_VALIDATE_MAX_GLOBALS
#define WA_VALIDATE_MAX_GLOBALS 256 /* 1 byte each */
#endif
#ifndef WA_VALIDATE_MAX_OPERANDS
#define WA_VALIDATE_MAX_OPERANDS 512 /* operand stack height; 1 byte each */
#endif

#endif /* WA_PORT_CONFIG_H */
