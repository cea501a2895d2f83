/*
 * port.c - the wa_port.h contract on QEMU's mps2 boards: UARTs, SysTick
 * time, the CMSDK watchdog, reset and exit. Flash lives in port_flash.c, the
 * C library hooks in syscalls.c; the synthetic sensors are shared with the host
 * port (firmware/core/port/wa_port_sensor_synthetic.c).
 */
#include <stdint.h>

#include "cm_regs.h"
#include "semihost.h"
#include "wa_board.h"
#include "wa_port.h"

/* ---- UARTs --------------------------------------------------------------- */

void wa_port_console_write(const char *s, size_t n)
{
    cm_uart_write(WA_BOARD_CONSOLE_UART_BASE, (const uint8_t *)s, n);
}

size_t wa_port_mgmt_read(uint8_t *buf, size_t cap)
{
    return cm_uart_rx_ring_read(buf, cap);
}

void wa_port_mgmt_write(const uint8_t *buf, size_t n)
{
    cm_uart_write(WA_BOARD_MGMT_UART_BASE, buf, n);
}

/* WFI until the RX interrupt has put a byte in the ring or the time is up
 * (SysTick wakes the core every ms). Interrupts are masked from the look at
 * the ring to the WFI: a byte that arrives in between leaves its interrupt
 * pending, which wakes the core all the same, and its handler runs once the
 * mask is lifted. */
void wa_port_mgmt_wait(uint32_t ms)
{
    uint64_t until = wa_port_time_us() + (uint64_t)ms * 1000u;
    while (wa_port_time_us() < until) {
        uint32_t saved = cm_irq_save();
        int empty = cm_uart_rx_ring_empty();
        if (empty) {
            cm_wfi();
        }
        cm_irq_restore(saved);
        if (!empty) {
            return;
        }
    }
}

/* Writes label then value as 8 hex digits; usable in fault context. */
void cm_console_hex(const char *label, uint32_t value)
{
    char text[8];
    for (int i = 7; i >= 0; i--) {
        text[i] = "0123456789abcdef"[value & 0xFu];
        value >>= 4;
    }
    size_t n = 0;
    while (label[n] != '\0') {
        n++;
    }
    wa_port_console_write(label, n);
    wa_port_console_write(text, sizeof text);
}

/* ---- time: SysTick at 1 kHz ---------------------------------------------- */

#define TICK_HZ 1000u
#define CYCLES_PER_TICK (WA_BOARD_SYSCLK_HZ / TICK_HZ)
#define CYCLES_PER_US (WA_BOARD_SYSCLK_HZ / 1000000u)
_Static_assert(WA_BOARD_SYSCLK_HZ % 1000000u == 0, "SysTick clock must be whole MHz");

static volatile uint32_t s_ticks_lo;
static volatile uint32_t s_ticks_hi;

void cm_systick_tick(void)
{
    if (++s_ticks_lo == 0) {
        s_ticks_hi++;
    }
}

uint64_t wa_port_time_us(void)
{
    uint32_t saved = cm_irq_save();
    uint64_t ticks = ((uint64_t)s_ticks_hi << 32) | s_ticks_lo;
    uint32_t val = CM_SYST_CVR;
    if (CM_ICSR & CM_ICSR_PENDSTSET) {
        /* Wrapped since the last interrupt: count that tick, re-read. */
        val = CM_SYST_CVR;
        ticks++;
    }
    cm_irq_restore(saved);
    uint32_t elapsed = (CYCLES_PER_TICK - 1u - val) / CYCLES_PER_US;
    return ticks * (1000000u / TICK_HZ) + elapsed;
}

void wa_port_sleep_ms(uint32_t ms)
{
    uint64_t until = wa_port_time_us() + (uint64_t)ms * 1000u;
    while (wa_port_time_us() < until) {
        cm_wfi();
    }
}

/* ---- watchdog: CMSDK APB watchdog, interrupt wired to NMI ---------------- */

#define WDOG_LOAD CM_REG(WA_BOARD_WATCHDOG_BASE + 0x000u)
#define WDOG_CONTROL CM_REG(WA_BOARD_WATCHDOG_BASE + 0x008u)
#define WDOG_INTCLR CM_REG(WA_BOARD_WATCHDOG_BASE + 0x00Cu)
#define WDOG_RIS CM_REG(WA_BOARD_WATCHDOG_BASE + 0x010u)
#define WDOG_LOCK CM_REG(WA_BOARD_WATCHDOG_BASE + 0xC00u)
#define WDOG_UNLOCK_KEY 0x1ACCE551u
#define WDOG_INTEN (1u << 0)
#define WDOG_RESEN (1u << 1)
#define WDOG_CYCLES_PER_MS (WA_BOARD_SYSCLK_HZ / 1000u)
/* After the core's hook: the reset follows this soon (second expiry). */
#define WDOG_FINAL_MS 1u

static volatile uint8_t s_watchdog_fired;

void wa_port_watchdog_start(uint32_t timeout_ms)
{
    uint32_t max_ms = UINT32_MAX / WDOG_CYCLES_PER_MS;
    uint32_t ms = timeout_ms == 0 ? 1 : (timeout_ms > max_ms ? max_ms : timeout_ms);
    WDOG_LOCK = WDOG_UNLOCK_KEY;
    WDOG_LOAD = ms * WDOG_CYCLES_PER_MS;
    WDOG_INTCLR = 1;
    WDOG_CONTROL = WDOG_INTEN | WDOG_RESEN;
    WDOG_LOCK = 0;
}

void wa_port_watchdog_feed(void)
{
    WDOG_LOCK = WDOG_UNLOCK_KEY;
    WDOG_INTCLR = 1; /* clears the interrupt and reloads the counter */
    WDOG_LOCK = 0;
}

/* First expiry: the interrupt (NMI) stays raised, so the next expiry resets
 * the machine. The counter is cut short so that follows right after the hook. */
void cm_watchdog_nmi(void)
{
    if ((WDOG_RIS & 1u) == 0 || s_watchdog_fired) {
        return;
    }
    s_watchdog_fired = 1;
    wa_agent_watchdog_expiring();
    WDOG_LOCK = WDOG_UNLOCK_KEY;
    WDOG_LOAD = WDOG_FINAL_MS * WDOG_CYCLES_PER_MS;
    WDOG_LOCK = 0;
}

/* ---- reset, exit ----------------------------------------------------------- */

void wa_port_reset(void)
{
    __asm volatile("dsb" ::: "memory");
    CM_AIRCR = CM_AIRCR_SYSRESETREQ;
    __asm volatile("dsb" ::: "memory");
    for (;;) {
    }
}

void wa_port_exit(int status)
{
    sh_exit(status);
}

/* ---- init ------------------------------------------------------------------ */

void wa_port_init(void)
{
    cm_uart_init(WA_BOARD_CONSOLE_UART_BASE);
    cm_uart_init(WA_BOARD_MGMT_UART_BASE);
    cm_uart_rx_ring_start(WA_BOARD_MGMT_UART_BASE, WA_BOARD_MGMT_UART_RX_IRQ);
    CM_SYST_RVR = CYCLES_PER_TICK - 1u;
    CM_SYST_CVR = 0;
    CM_SYST_CSR = CM_SYST_CSR_RUN;
    cm_flash_init();
}
