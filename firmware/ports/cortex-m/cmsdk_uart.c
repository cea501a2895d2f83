/*
 * cmsdk_uart.c - Arm CMSDK APB UART, polled. QEMU maps the first -serial to
 * UART0 (console) and the second to UART1 (management).
 *
 * Reception polls the status register. Nothing is lost while the firmware
 * does not poll: the UART holds one byte and QEMU stops reading its chardev
 * until that byte is taken (real hardware would need the RX interrupt).
 */
#include "cm_regs.h"

#define UART_DATA(b) CM_REG((b) + 0x00u)
#define UART_STATE(b) CM_REG((b) + 0x04u)
#define UART_CTRL(b) CM_REG((b) + 0x08u)
#define UART_BAUDDIV(b) CM_REG((b) + 0x10u)

#define STATE_TX_FULL (1u << 0)
#define STATE_RX_FULL (1u << 1)
#define STATE_OVERRUNS (3u << 2)
#define CTRL_TX_EN (1u << 0)
#define CTRL_RX_EN (1u << 1)
/* QEMU ignores the UART while BAUDDIV < 16 (the hardware minimum). */
#define BAUDDIV_MIN 16u

void cm_uart_init(uintptr_t base)
{
    UART_CTRL(base) = 0;
    UART_BAUDDIV(base) = BAUDDIV_MIN;
    UART_STATE(base) = STATE_OVERRUNS; /* write-one-to-clear */
    UART_CTRL(base) = CTRL_TX_EN | CTRL_RX_EN;
}

void cm_uart_write(uintptr_t base, const uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (UART_STATE(base) & STATE_TX_FULL) {
        }
        UART_DATA(base) = buf[i];
    }
}

size_t cm_uart_read(uintptr_t base, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap && (UART_STATE(base) & STATE_RX_FULL)) {
        buf[n++] = (uint8_t)UART_DATA(base);
    }
    return n;
}
