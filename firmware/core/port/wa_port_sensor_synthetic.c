/*
 * wa_port_sensor_synthetic.c - wa_port_sensor_read() for boards without real
 * sensors (QEMU's mps2 boards, the simulated boards of the host port):
 * deterministic synthetic signals, one sample counter per channel (counting
 * reads). Both counters start over at every boot.
 *
 *   channel 0: temperature, deg C: triangle 22.0 -> 34.0 -> 22.0, period 48 reads
 *   channel 1: relative humidity, %: triangle 40 -> 60 -> 40, period 40 reads
 *   other:     WA_ERR_NOT_FOUND
 */
#include <stdint.h>

#include "wa_err.h"
#include "wa_port.h"

#define SENSOR_CHANNELS 2

static uint32_t s_samples[SENSOR_CHANNELS];

/* 0 -> 1 -> 0 over period samples (period even). */
static float triangle(uint32_t n, uint32_t period)
{
    uint32_t half = period / 2u, phase = n % period;
    uint32_t up = phase <= half ? phase : period - phase;
    return (float)up / (float)half;
}

int wa_port_sensor_read(int32_t channel, float *value)
{
    if (channel < 0 || channel >= SENSOR_CHANNELS) {
        return WA_ERR_NOT_FOUND;
    }
    uint32_t n = s_samples[channel]++;
    if (channel == 0) {
        *value = 22.0f + 12.0f * triangle(n, 48u); /* temperature, deg C */
    } else {
        *value = 40.0f + 20.0f * triangle(n, 40u); /* relative humidity, % */
    }
    return WA_OK;
}
