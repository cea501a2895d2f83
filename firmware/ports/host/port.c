/*
 * port.c - the wa_port.h contract as a Linux process, for boards QEMU cannot
 * emulate: console on stdout, time, the watchdog (SIGALRM), reset (re-exec of
 * the same program with the same arguments), exit, faults (SIGSEGV & co.)
 * and main(). Flash is in port_flash.c, the management UART in port_mgmt.c,
 * the heap arena in heap.c, the synthetic sensors (shared with the Cortex-M
 * port) in firmware/core/port/wa_port_sensor_synthetic.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "host_port.h"
#include "wa_board.h"
#include "wa_port.h"

/* ---- console: stdout, one write() per call (async-signal-safe) ----------- */

void host_write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

void wa_port_console_write(const char *s, size_t n)
{
    host_write_all(STDOUT_FILENO, s, n);
}

void host_console_str(const char *s)
{
    wa_port_console_write(s, strlen(s));
}

void host_console_hex(const char *label, uint64_t value)
{
    char text[16];
    int n = 0;
    do {
        text[15 - n++] = "0123456789abcdef"[value & 0xFu];
        value >>= 4;
    } while (value != 0 && n < 16);
    while (n < 8) { /* at least 8 digits, like the Cortex-M port */
        text[15 - n++] = '0';
    }
    host_console_str(label);
    wa_port_console_write(text + 16 - n, (size_t)n);
}

/* ---- time ------------------------------------------------------------------ */

static uint64_t s_boot_us;

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t wa_port_time_us(void)
{
    return monotonic_us() - s_boot_us;
}

void wa_port_sleep_ms(uint32_t ms)
{
    struct timespec left = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

/* ---- reset, exit ----------------------------------------------------------- */

#define MAX_ARGS 64

static char s_fds_arg[32];

static void disarm_watchdog(void)
{
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
}

/* Writes v in decimal at out (no stdio: async-signal-safe); returns the end. */
static char *format_u32(char *out, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0) {
        *out++ = digits[--n];
    }
    return out;
}

/* Formats "L,C" (two small non-negative or -1 numbers). */
static void format_fds(char *out, int a, int b)
{
    int values[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        if (values[k] < 0) {
            *out++ = '-';
            *out++ = '1';
        } else {
            out = format_u32(out, (uint32_t)values[k]);
        }
        *out++ = k == 0 ? ',' : '\0';
    }
}

/* Options a reset replaces with the next image's values. */
static int is_handed_over(const char *arg)
{
    return strcmp(arg, "--mgmt-fds") == 0 || strcmp(arg, "--flash-ops-base") == 0;
}

/* A reset starts the program again in the same process (same pid, same
 * arguments): RAM and time start over, the flash file is kept, and so are the
 * management sockets (passed on with --mgmt-fds), as a cable stays plugged
 * into a real board; the flash op count goes on (--flash-ops-base), so a
 * fault plan's op numbers run across resets. Async-signal-safe: the watchdog
 * and faults reset from signal handlers. */
void wa_port_reset(void)
{
    static char *argv[MAX_ARGS + 5];
    static char ops_arg[12];
    int n = 0;
    disarm_watchdog();
    char **args = g_host_options.argv;
    for (int i = 0; args != NULL && args[i] != NULL && n < MAX_ARGS; i++) {
        if (is_handed_over(args[i]) && args[i + 1] != NULL) {
            i++;
            continue;
        }
        argv[n++] = args[i];
    }
    format_fds(s_fds_arg, host_mgmt_listen_fd(), host_mgmt_client_fd());
    *format_u32(ops_arg, wa_flash_faults_count()) = '\0';
    argv[n++] = "--mgmt-fds";
    argv[n++] = s_fds_arg;
    argv[n++] = "--flash-ops-base";
    argv[n++] = ops_arg;
    argv[n] = NULL;
    execv("/proc/self/exe", argv);
    host_console_str("port: reset failed (execv)\n");
    _exit(125);
}

void wa_port_exit(int status)
{
    exit(status);
}

uint32_t wa_port_heap_free(void)
{
    return host_heap_free();
}

/* ---- watchdog: ITIMER_REAL, SIGALRM ---------------------------------------- */

static struct itimerval s_watchdog;

static void on_watchdog(int sig)
{
    (void)sig;
    wa_agent_watchdog_expiring();
    wa_port_reset();
}

void wa_port_watchdog_start(uint32_t timeout_ms)
{
    uint32_t ms = timeout_ms == 0 ? 1 : timeout_ms;
    memset(&s_watchdog, 0, sizeof s_watchdog);
    s_watchdog.it_value.tv_sec = (time_t)(ms / 1000u);
    s_watchdog.it_value.tv_usec = (suseconds_t)(ms % 1000u) * 1000;
    setitimer(ITIMER_REAL, &s_watchdog, NULL);
}

void wa_port_watchdog_feed(void)
{
    if (s_watchdog.it_value.tv_sec != 0 || s_watchdog.it_value.tv_usec != 0) {
        setitimer(ITIMER_REAL, &s_watchdog, NULL);
    }
}

/* ---- faults: SIGSEGV, SIGBUS, SIGILL, SIGFPE --------------------------------- */

static uint8_t s_fault_stack[64 * 1024] __attribute__((aligned(16)));

static uint64_t fault_pc(const void *context)
{
    const ucontext_t *uc = (const ucontext_t *)context;
#if defined(__x86_64__)
    return (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uint64_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

static uint64_t fault_lr(const void *context)
{
#if defined(__aarch64__)
    return (uint64_t)((const ucontext_t *)context)->uc_mcontext.regs[30];
#else
    (void)context;
    return 0;
#endif
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    default: return "signal";
    }
}

/* The host's counterpart of a HardFault: the same FAULT line (cfsr = the
 * signal number, addr = the faulting address), the core's hook, a reset. */
static void on_fault(int sig, siginfo_t *info, void *context)
{
    uint64_t pc = fault_pc(context), lr = fault_lr(context);
    host_console_hex("FAULT pc=0x", pc);
    host_console_hex(" lr=0x", lr);
    host_console_hex(" cfsr=0x", (uint64_t)sig);
    host_console_hex(" addr=0x", (uint64_t)(uintptr_t)info->si_addr);
    host_console_str(" (");
    host_console_str(signal_name(sig));
    host_console_str(")\n");
    wa_agent_fault((uint32_t)pc, (uint32_t)lr, (uint32_t)sig);
    wa_port_reset();
}

void host_fault_stack(void)
{
    static uint8_t *stack = s_fault_stack; /* the first caller's; later ones' below */
    static uint8_t thread_stack[64 * 1024] __attribute__((aligned(16)));
    stack_t alt = {.ss_sp = stack, .ss_size = sizeof s_fault_stack, .ss_flags = 0};
    sigaltstack(&alt, NULL);
    stack = thread_stack;
}

static void on_reset_line(int sig)
{
    (void)sig;
    wa_port_reset();
}

static void install_handlers(void)
{
    sigset_t none;
    sigemptyset(&none);
    /* A reset from a signal handler execs with that signal blocked. */
    sigprocmask(SIG_SETMASK, &none, NULL);

    host_fault_stack();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (size_t k = 0; k < sizeof faults / sizeof faults[0]; k++) {
        sigaction(faults[k], &sa, NULL);
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_watchdog;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGALRM, &sa, NULL);

    /* SIGUSR1 is the reset line (the harness's reset()). */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_reset_line;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);

    signal(SIGPIPE, SIG_IGN);
}

/* ---- init ------------------------------------------------------------------ */

void wa_port_init(void)
{
    const host_options_t *o = &g_host_options;
    s_boot_us = monotonic_us();
    disarm_watchdog();
    install_handlers();
    if (host_faults_init(o->fault_plan, o->trace_path, o->ops_base) != 0 ||
        host_mgmt_init(o->mgmt_port, o->mgmt_listen_fd, o->mgmt_client_fd) != 0 ||
        host_flash_init(o->flash_path) != 0) {
        exit(2);
    }
}
