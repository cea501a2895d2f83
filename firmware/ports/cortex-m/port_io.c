/*
 * port_io.c - device I/O of the mps2 boards (wa_port_gpio, wa_port_i2c).
 *
 * GPIO is the FPGA I/O block (profile key qemu.fpgaio_base): pins 0-7 are the
 * bits of LED0 (outputs; read back), pins 8-15 the bits of BUTTON (inputs).
 * Edges are counted by sampling at each gpio call (QEMU 7.2 models no button
 * input: BUTTON always reads 0, so no edge is ever seen there).
 *
 * I2C bus 0 is an SBCon two-wire interface (qemu.i2c0_base), driven bit by
 * bit: a write to +0 sets, to +4 clears the SCL (bit 0) and SDA (bit 1)
 * outputs; a read of +0 gives the lines. SDA high means released (open
 * drain), so a device can pull it low to acknowledge or to send a 0. No
 * delays: QEMU's bus follows the edges as they come (a real board needs a
 * quarter period between them, 2.5 us at 100 kHz).
 *
 * A board whose profile lacks a base has no such I/O: WA_ERR_NOT_SUPPORTED.
 */
#include "cm_regs.h"
#include "wa_board.h"
#include "wa_err.h"
#include "wa_port.h"
#include "wa_runtime.h"

#define FPGAIO_LED0 0x00u
#define FPGAIO_BUTTON 0x08u
#define FPGAIO_PINS 16u /* 8 LED bits, 8 button bits */

#ifdef WA_BOARD_FPGAIO_BASE
static uint8_t s_mode[FPGAIO_PINS];
static uint16_t s_level; /* levels last sampled, bit n: pin n */

static uint32_t pin_level(uint32_t pin)
{
    uint32_t reg = CM_REG(WA_BOARD_FPGAIO_BASE + (pin < 8u ? FPGAIO_LED0 : FPGAIO_BUTTON));
    return (reg >> (pin & 7u)) & 1u;
}

/* Samples pin; returns the edges since the last sample that its mode counts. */
static uint32_t sample_edges(uint32_t pin, uint32_t level)
{
    uint32_t bit = 1u << pin, was = (s_level & bit) != 0;
    s_level = (uint16_t)(level ? (s_level | bit) : (s_level & ~bit));
    uint32_t want = level ? WA_GPIO_EDGE_RISING : WA_GPIO_EDGE_FALLING;
    return level != was && (s_mode[pin] & want) != 0;
}

int wa_port_gpio(int op, uint32_t pin, uint32_t arg, uint32_t *out)
{
    static uint32_t s_edges[FPGAIO_PINS];
    if (pin >= FPGAIO_PINS) {
        return WA_ERR_NOT_SUPPORTED;
    }
    uint32_t level = pin_level(pin);
    s_edges[pin] += sample_edges(pin, level);
    if (op == WA_GPIO_OP_CONFIG) {
        if ((arg & WA_GPIO_OUT) != (pin < 8u ? WA_GPIO_OUT : 0u)) {
            return WA_ERR_NOT_SUPPORTED; /* LEDs are outputs, buttons inputs */
        }
        s_mode[pin] = (uint8_t)arg;
        s_edges[pin] = 0;
    } else if (op == WA_GPIO_OP_WRITE) {
        uint32_t bit = 1u << pin, led = CM_REG(WA_BOARD_FPGAIO_BASE + FPGAIO_LED0);
        CM_REG(WA_BOARD_FPGAIO_BASE + FPGAIO_LED0) = arg ? (led | bit) : (led & ~bit);
    } else {
        *out = op == WA_GPIO_OP_READ ? level : s_edges[pin];
        s_edges[pin] = op == WA_GPIO_OP_EDGES ? 0u : s_edges[pin];
    }
    return WA_OK;
}
#else
int wa_port_gpio(int op, uint32_t pin, uint32_t arg, uint32_t *out)
{
    (void)op, (void)pin, (void)arg, (void)out;
    return WA_ERR_NOT_SUPPORTED;
}
#endif

#ifdef WA_BOARD_I2C0_BASE
#define SCL 1u
#define SDA 2u
#define I2C_SET CM_REG(WA_BOARD_I2C0_BASE + 0x0u)
#define I2C_CLEAR CM_REG(WA_BOARD_I2C0_BASE + 0x4u)

static void line(uint32_t which, uint32_t high)
{
    if (high) {
        I2C_SET = which;
    } else {
        I2C_CLEAR = which;
    }
}

/* One clock pulse with SDA at bit; returns SDA as read while SCL is high. */
static uint32_t clock_bit(uint32_t bit)
{
    line(SDA, bit);
    line(SCL, 1u);
    uint32_t got = (I2C_SET & SDA) != 0;
    line(SCL, 0u);
    return got;
}

/* A START (or repeated START): SDA falls while SCL is high. */
static void start(void)
{
    line(SDA, 1u);
    line(SCL, 1u);
    line(SDA, 0u);
    line(SCL, 0u);
}

static void stop(void)
{
    line(SDA, 0u);
    line(SCL, 1u);
    line(SDA, 1u);
}

/* Sends a byte; returns 1 if the device acknowledged it (pulled SDA low). */
static int send(uint32_t byte)
{
    for (int i = 7; i >= 0; i--) {
        clock_bit((byte >> i) & 1u);
    }
    return clock_bit(1u) == 0u;
}

static uint8_t receive(int last)
{
    uint32_t byte = 0;
    for (int i = 0; i < 8; i++) {
        byte = (byte << 1) | clock_bit(1u);
    }
    clock_bit(last ? 1u : 0u); /* NACK the last byte, ACK the others */
    return (uint8_t)byte;
}

static int transfer(uint32_t addr, const uint8_t *wr, size_t wr_len, uint8_t *rd, size_t rd_len)
{
    if (wr_len > 0 || rd_len == 0) {
        start();
        if (!send(addr << 1)) {
            return WA_ERR_NACK;
        }
        for (size_t i = 0; i < wr_len; i++) {
            if (!send(wr[i])) {
                return WA_ERR_NACK;
            }
        }
    }
    if (rd_len > 0) {
        start();
        if (!send((addr << 1) | 1u)) {
            return WA_ERR_NACK;
        }
        for (size_t i = 0; i < rd_len; i++) {
            rd[i] = receive(i + 1u == rd_len);
        }
    }
    return WA_OK;
}

int wa_port_i2c(uint32_t bus, uint32_t addr, const uint8_t *wr, size_t wr_len, uint8_t *rd,
                size_t rd_len)
{
    if (bus != 0u) {
        return WA_ERR_NOT_SUPPORTED;
    }
    int rc = transfer(addr, wr, wr_len, rd, rd_len);
    stop();
    return rc;
}
#else
int wa_port_i2c(uint32_t bus, uint32_t addr, const uint8_t *wr, size_t wr_len, uint8_t *rd,
                size_t rd_len)
{
    (void)bus, (void)addr, (void)wr, (void)wr_len, (void)rd, (void)rd_len;
    return WA_ERR_NOT_SUPPORTED;
}
#endif
