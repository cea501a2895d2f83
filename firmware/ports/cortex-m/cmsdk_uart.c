/*
 * cmsdk_uart.c - Arm CMSDK APB UART. QEMU maps the first -serial to UART0
 * (console) and the second to UART1 (management).
 *
 * Transmission is polled. The management UART receives through its RX
 * interrupt into a ring buffer: the UART holds a single byte, so polling it
 * between loop rounds would cap reception at one byte per poll.
 */
#include "cm_regs.h"

#define UART_DATA(b) CM_REG((b) + 0x00u)
#define UART_STATE(b) CM_REG((b) + 0x04u)
#define UART_CTRL(b) CM_REG((b) + 0x08u)
#define UART_INT(b) CM_REG((b) + 0x0Cu) /* status; write-one-to-clear */
#define UART_BAUDDIV(b) CM_REG((b) + 0x10u)

#define STATE_TX_FULL (1u << 0)
#define STATE_RX_FULL (1u << 1)
#define STATE_OVERRUNS (3u << 2)
#define CTRL_TX_EN (1u << 0)
#define CTRL_RX_EN (1u << 1)
#define CTRL_RX_INT_EN (1u << 3)
#define INT_RX (1u << 1)
#define RX_RING_BYTES 2048u /* a power of two */
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

static volatile uint8_t s_ring[RX_RING_BYTES];
static volatile uint32_t s_head; /* written by the interrupt only */
static volatile uint32_t s_tail; /* written by the reader only */
static uintptr_t s_ring_base;

void cm_uart_rx_ring_start(uintptr_t base, unsigned irq)
{
    s_ring_base = base;
    UART_CTRL(base) |= CTRL_RX_INT_EN;
    CM_NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

void cm_uart_rx_ring_isr(void)
{
    /* Clear first: a byte arriving while we drain raises the interrupt again. */
    UART_INT(s_ring_base) = INT_RX;
    while (UART_STATE(s_ring_base) & STATE_RX_FULL) {
        uint8_t byte = (uint8_t)UART_DATA(s_ring_base);
        if (s_head - s_tail < RX_RING_BYTES) { /* full: the byte is lost, as on a wire */
            s_ring[s_head % RX_RING_BYTES] = byte;
            s_head++;
        }
    }
}

int cm_uart_rx_ring_empty(void)
{
    return s_tail == s_head;
}

size_t cm_uart_rx_ring_read(uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap && s_tail != s_head) {
        buf[n++] = s_ring[s_tail % RX_RING_BYTES];
        s_tail++;
    }
    return n;
}
