/*
 * startup.c - vector table, reset, and the exception handlers.
 *
 * Reset copies .data, zeroes .bss, points VTOR at the table, enables the FPU
 * (hard-float builds), sets the stack limit (Armv8-M), then runs main().
 * Faults print one line on the console, tell the core, and reset.
 */
#include <stdint.h>

#include "cm_regs.h"
#include "wa_board.h"
#include "wa_port.h"

extern uint32_t __stack_top[], __stack_limit[], __stack_guard[];
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);
void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void);
void NMI_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
void cm_fault(const uint32_t *frame, uint32_t exc_return) __attribute__((noreturn, used));

#define CM_IRQ_COUNT 48u /* covers the mps2-tz UART interrupts (32..) */

typedef void (*vector_t)(void);

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
/* Core exceptions 0..15, then the first CM_IRQ_COUNT external interrupts. */
__attribute__((section(".vectors"), used)) const vector_t cm_vectors[16 + CM_IRQ_COUNT] = {
    [0] = (vector_t)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = Fault_Handler,    /* HardFault */
    [4] = Fault_Handler,    /* MemManage */
    [5] = Fault_Handler,    /* BusFault */
    [6] = Fault_Handler,    /* UsageFault */
    [7] = Fault_Handler,    /* SecureFault (Armv8-M) */
    [11] = Default_Handler, /* SVCall */
    [12] = Default_Handler, /* DebugMonitor */
    [14] = Default_Handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 ... 16 + CM_IRQ_COUNT - 1] = Default_Handler,
    [16 + WA_BOARD_MGMT_UART_RX_IRQ] = cm_uart_rx_ring_isr, /* replaces the default */
};
#pragma GCC diagnostic pop

/* A C stack overflow must fault, never silently overwrite the heap below. */
static void stack_guard_init(void)
{
#if defined(__ARM_ARCH_8M_MAIN__)
    __asm volatile("msr msplim, %0" ::"r"(__stack_limit)); /* UsageFault STKOF */
#else
    /* MPU region 0: the 32 bytes below the stack, no access, execute never.
     * The default map stays on for privileged code; off in HardFault/NMI. */
    CM_MPU_RNR = 0;
    CM_MPU_RBAR = (uint32_t)(uintptr_t)__stack_guard;
    CM_MPU_RASR = CM_MPU_RASR_XN | CM_MPU_RASR_SIZE_32 | CM_MPU_RASR_ENABLE;
    CM_MPU_CTRL = CM_MPU_CTRL_ENABLE | CM_MPU_CTRL_PRIVDEFENA;
#endif
}

void Reset_Handler(void)
{
#if defined(__ARM_FP)
    CM_CPACR |= CM_CPACR_CP10_CP11;
    __asm volatile("dsb\n isb" ::: "memory");
#endif
    for (uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end;) {
        *dst++ = 0;
    }
    CM_VTOR = (uint32_t)(uintptr_t)cm_vectors;
    stack_guard_init();
    CM_SHCSR |= CM_SHCSR_FAULTS_ENABLE;
    __asm volatile("dsb\n isb" ::: "memory");
    main();
    for (;;) {
    }
}

int main(void)
{
    wa_port_init();
    wa_agent_main();
}

void Default_Handler(void)
{
    /* An interrupt nobody enabled: report it like a fault. */
    uint32_t frame[8] = {0};
    cm_fault(frame, 0);
}

void NMI_Handler(void)
{
    cm_watchdog_nmi();
}

void SysTick_Handler(void)
{
    cm_systick_tick();
}

/* The fault stack: a C stack overflow must not stop the report. */
static uint32_t s_fault_stack[128] __attribute__((aligned(8)));
__attribute__((used)) uint32_t *const cm_fault_stack_top = &s_fault_stack[128];

/* Picks the stacked frame (MSP or PSP, by EXC_RETURN bit 2), moves to the
 * fault stack and calls cm_fault(frame, EXC_RETURN). */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm volatile("tst lr, #4\n"
                   "ite eq\n"
                   "mrseq r0, msp\n"
                   "mrsne r0, psp\n"
                   "mov r1, lr\n"
#if defined(__ARM_ARCH_8M_MAIN__)
                   "movs r2, #0\n"
                   "msr msplim, r2\n"
#endif
                   "ldr r2, =cm_fault_stack_top\n"
                   "ldr r2, [r2]\n"
                   "mov sp, r2\n"
                   "b cm_fault\n"
                   ".ltorg\n");
}

static const char *fault_name(uint32_t ipsr)
{
    switch (ipsr & 0x1FFu) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 7: return "SecureFault";
    default: return "unexpected interrupt";
    }
}

void cm_fault(const uint32_t *frame, uint32_t exc_return)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    uint32_t pc = frame[6], lr = frame[5], cfsr = CM_CFSR;
    cm_console_hex("\nFAULT pc=0x", pc);
    cm_console_hex(" lr=0x", lr);
    cm_console_hex(" cfsr=0x", cfsr);
    cm_console_hex(" hfsr=0x", CM_HFSR);
    cm_console_hex(" exc_return=0x", exc_return);
    const char *name = fault_name(ipsr);
    wa_port_console_write(" (", 2);
    for (const char *c = name; *c; c++) {
        wa_port_console_write(c, 1);
    }
    wa_port_console_write(")\n", 2);
    wa_agent_fault(pc, lr, cfsr);
    wa_port_reset();
}
