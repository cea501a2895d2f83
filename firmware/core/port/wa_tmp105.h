/*
 * wa_tmp105.h - our model of a TI TMP105 temperature sensor on I2C, written
 * from its datasheet (SBOS363): what the simulated boards and pywamr's host
 * put at bus 0, address 0x48, where QEMU's mps2 boards have QEMU's own TMP105.
 *
 * Registers, chosen by the pointer register (the first byte of a write; its
 * low two bits): 0 temperature (read-only), 1 configuration (one byte), 2
 * T_LOW, 3 T_HIGH. Temperature, T_LOW and T_HIGH are 16-bit, most significant
 * byte first, two's complement in 1/256 degC; temperature keeps the top 9 to
 * 12 bits as the configuration's resolution bits R1:R0 (bits 6:5) say (power
 * up: 0, 9 bits, 0.5 degC steps), the rest reads 0. A read returns the
 * pointed register's bytes, repeating; a write's bytes after the pointer set
 * the register (ignored for the temperature). The alert (thermostat) output
 * and shutdown mode are not modelled.
 */
#ifndef WA_TMP105_H
#define WA_TMP105_H

#include <stddef.h>
#include <stdint.h>

#define WA_TMP105_ADDRESS 0x48u

typedef struct wa_tmp105 {
    int32_t millideg; /* the temperature the sensor measures */
    uint8_t pointer;
    uint8_t config;
    uint16_t t_low, t_high;
} wa_tmp105_t;

/* Power-up state (datasheet): pointer 0, config 0, T_LOW 75 degC, T_HIGH 80 degC. */
void wa_tmp105_init(wa_tmp105_t *t, int32_t millideg);

/* One transaction addressed to the part (see wa_port_i2c). Always acknowledged: 0. */
int wa_tmp105_transfer(wa_tmp105_t *t, const uint8_t *wr, size_t wr_len, uint8_t *rd,
                       size_t rd_len);

#endif /* WA_TMP105_H */
