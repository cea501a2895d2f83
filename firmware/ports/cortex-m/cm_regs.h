/*
 * cm_regs.h - the Armv7-M / Armv8-M system registers the port touches, and
 * the port's internal interfaces between its files.
 */
#ifndef CM_REGS_H
#define CM_REGS_H

#include <stddef.h>
#include <stdint.h>

#define CM_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System control block. */
#define CM_NVIC_ISER(n) CM_REG(0xE000E100u + 4u * (n))
#define CM_ICSR CM_REG(0xE000ED04u)
#define CM_VTOR CM_REG(0xE000ED08u)
#define CM_AIRCR CM_REG(0xE000ED0Cu)
#define CM_SHCSR CM_REG(0xE000ED24u)
#define CM_CFSR CM_REG(0xE000ED28u)
#define CM_HFSR CM_REG(0xE000ED2Cu)
#define CM_MMFAR CM_REG(0xE000ED34u)
#define CM_BFAR CM_REG(0xE000ED38u)
#define CM_CPACR CM_REG(0xE000ED88u)

#define CM_ICSR_PENDSTSET (1u << 26)
#define CM_AIRCR_SYSRESETREQ 0x05FA0004u
#define CM_SHCSR_FAULTS_ENABLE (7u << 16) /* MemManage, BusFault, UsageFault */
#define CM_CPACR_CP10_CP11 (0xFu << 20)

/* Armv7-M MPU (PMSAv7). */
#define CM_MPU_CTRL CM_REG(0xE000ED94u)
#define CM_MPU_RNR CM_REG(0xE000ED98u)
#define CM_MPU_RBAR CM_REG(0xE000ED9Cu)
#define CM_MPU_RASR CM_REG(0xE000EDA0u)
#define CM_MPU_CTRL_ENABLE (1u << 0)
#define CM_MPU_CTRL_PRIVDEFENA (1u << 2)
#define CM_MPU_RASR_ENABLE (1u << 0)
#define CM_MPU_RASR_SIZE_32 (4u << 1) /* 2^(4+1) bytes */
#define CM_MPU_RASR_XN (1u << 28)     /* AP = 0: no access */

/* SysTick. */
#define CM_SYST_CSR CM_REG(0xE000E010u)
#define CM_SYST_RVR CM_REG(0xE000E014u)
#define CM_SYST_CVR CM_REG(0xE000E018u)
#define CM_SYST_CSR_RUN 7u /* ENABLE | TICKINT | CLKSOURCE = processor clock */

static inline uint32_t cm_irq_save(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}

static inline void cm_irq_restore(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

static inline void cm_wfi(void)
{
    __asm volatile("dsb\n wfi" ::: "memory");
}

/* Between the port's files. */
void cm_uart_init(uintptr_t base);
void cm_uart_write(uintptr_t base, const uint8_t *buf, size_t n);
size_t cm_uart_read(uintptr_t base, uint8_t *buf, size_t cap);
/* Makes base's receive interrupt (external IRQ irq) feed a ring buffer. */
void cm_uart_rx_ring_start(uintptr_t base, unsigned irq);
/* Whether the ring holds no byte that cm_uart_rx_ring_read() has not returned. */
int cm_uart_rx_ring_empty(void);
/* Bytes the ring received, up to cap; never blocks. */
size_t cm_uart_rx_ring_read(uint8_t *buf, size_t cap);
/* The receive interrupt handler (in the vector table). */
void cm_uart_rx_ring_isr(void);
void cm_console_hex(const char *label, uint32_t value);
void cm_flash_init(void);
/* port_flash.c: programs (data) or erases (data NULL) [off, off + len) of the
 * app flash area: the file first, then the window. Returns 0 or an agent_err. */
int cm_flash_store(uint32_t off, const uint8_t *data, uint32_t len);
/* port_flash.c: the window (the memory-mapped flash), writable, and copying
 * [off, off + len) of it to the file. */
uint8_t *cm_flash_window(void);
int cm_flash_sync(uint32_t off, uint32_t len);
/* port_faults.c, fault-injecting images only (WA_FLASH_FAULTS=1): reads the
 * plan at boot, and cm_flash_store() through the injector (kind 'P' or 'E'). */
void cm_faults_init(void);
int cm_faults_store(char kind, uint32_t off, const uint8_t *data, uint32_t len);
void cm_watchdog_nmi(void);
void cm_systick_tick(void);

#endif /* CM_REGS_H */
