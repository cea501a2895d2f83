/*
 * port_io.c - device I/O of a simulated board (wa_port_gpio, wa_port_i2c),
 * through files in its working directory that a test harness drives and
 * observes (docs/device-api.md has the formats):
 *
 *   gpio.in      written by the harness: input levels, one "PIN LEVEL [RISES
 *                FALLS]" line per pin (RISES/FALLS: edges the harness made so
 *                far; the port counts the growth). Read at every gpio call.
 *   gpio.out     written by the port (replaced with rename, never torn): one
 *                "PIN MODE LEVEL" line per configured pin.
 *   tmp105.mdeg  written by the harness: the temperature (millidegrees C) the
 *                TMP105 model at bus 0, address 0x48 measures; read at every
 *                transaction with it (absent: the last value, 25000 at boot).
 *
 * Any other address on bus 0 does not acknowledge; other buses do not exist.
 */
#include <stdio.h>

#include "wa_err.h"
#include "wa_port.h"
#include "wa_runtime.h"
#include "wa_tmp105.h"

#define UNCONFIGURED 0xFFu

typedef struct pin_in {
    uint32_t level, rises, falls;
} pin_in_t;

static uint8_t s_mode[WA_IO_PINS];
static uint32_t s_out;                 /* output levels, bit n: pin n */
static uint32_t s_seen[WA_IO_PINS][2]; /* rises, falls counted so far */
static int s_ready;

static void read_inputs(pin_in_t in[WA_IO_PINS])
{
    FILE *f = fopen("gpio.in", "r");
    char line[96];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        unsigned pin = 0, level = 0, rises = 0, falls = 0;
        if (sscanf(line, "%u %u %u %u", &pin, &level, &rises, &falls) >= 2 && pin < WA_IO_PINS) {
            in[pin] = (pin_in_t){level != 0, rises, falls};
        }
    }
    if (f != NULL) {
        fclose(f);
    }
}

static int write_outputs(const pin_in_t in[WA_IO_PINS])
{
    FILE *f = fopen("gpio.out.tmp", "w");
    if (f == NULL) {
        return WA_ERR_IO;
    }
    for (unsigned pin = 0; pin < WA_IO_PINS; pin++) {
        if (s_mode[pin] != UNCONFIGURED) {
            uint32_t level = (s_mode[pin] & WA_GPIO_OUT) ? (s_out >> pin) & 1u : in[pin].level;
            fprintf(f, "%u %u %u\n", pin, (unsigned)s_mode[pin], (unsigned)level);
        }
    }
    int bad = fclose(f) != 0 || rename("gpio.out.tmp", "gpio.out") != 0;
    return bad ? WA_ERR_IO : WA_OK;
}

static uint32_t take_edges(uint32_t pin, const pin_in_t *in)
{
    uint32_t n = 0;
    if (s_mode[pin] & WA_GPIO_EDGE_RISING) {
        n += in->rises - s_seen[pin][0];
    }
    if (s_mode[pin] & WA_GPIO_EDGE_FALLING) {
        n += in->falls - s_seen[pin][1];
    }
    s_seen[pin][0] = in->rises;
    s_seen[pin][1] = in->falls;
    return n;
}

int wa_port_gpio(int op, uint32_t pin, uint32_t arg, uint32_t *out)
{
    pin_in_t in[WA_IO_PINS] = {{0, 0, 0}};
    if (!s_ready) {
        for (unsigned i = 0; i < WA_IO_PINS; i++) {
            s_mode[i] = UNCONFIGURED;
        }
        s_ready = 1;
    }
    if (pin >= WA_IO_PINS) {
        return WA_ERR_NOT_SUPPORTED;
    }
    read_inputs(in);
    if (op == WA_GPIO_OP_CONFIG) {
        s_mode[pin] = (uint8_t)arg;
        take_edges(pin, &in[pin]);
    } else if (op == WA_GPIO_OP_WRITE) {
        s_out = arg ? (s_out | 1u << pin) : (s_out & ~(1u << pin));
    } else if (op == WA_GPIO_OP_READ) {
        *out = (s_mode[pin] & WA_GPIO_OUT) ? (s_out >> pin) & 1u : in[pin].level;
        return WA_OK;
    } else {
        *out = take_edges(pin, &in[pin]);
        return WA_OK;
    }
    return write_outputs(in);
}

int wa_port_i2c(uint32_t bus, uint32_t addr, const uint8_t *wr, size_t wr_len, uint8_t *rd,
                size_t rd_len)
{
    static wa_tmp105_t s_tmp105;
    static int s_tmp105_ready;
    if (bus != 0u) {
        return WA_ERR_NOT_SUPPORTED;
    }
    if (addr != WA_TMP105_ADDRESS) {
        return WA_ERR_NACK;
    }
    if (!s_tmp105_ready) {
        wa_tmp105_init(&s_tmp105, 25000);
        s_tmp105_ready = 1;
    }
    FILE *f = fopen("tmp105.mdeg", "r");
    long millideg = 0;
    if (f != NULL) {
        if (fscanf(f, "%ld", &millideg) == 1) {
            s_tmp105.millideg = (int32_t)millideg;
        }
        fclose(f);
    }
    return wa_tmp105_transfer(&s_tmp105, wr, wr_len, rd, rd_len);
}
