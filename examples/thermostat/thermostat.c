/*
 * thermostat.c - example wamr-agent app: read a TMP105 temperature sensor over
 * I2C and drive an alarm output (an LED) while it is above a threshold.
 *
 * A reactor module: setup() configures the alarm pin as an output and a button
 * pin as an input counting both edges; every loop() reads the TMP105's
 * temperature register, logs the raw register and the temperature, switches
 * the alarm on above ALARM_ABOVE_MC (off again below ALARM_CLEAR_MC) and logs
 * the button's edges, if any.
 *
 * TMP105 (TI datasheet SBOS363): 7-bit address 0x48 (A0 low); writing one byte
 * sets the pointer register (0: temperature); reading two bytes returns the
 * temperature, most significant byte first, two's complement in 1/256 degC.
 *
 * Needs the LOG, GPIO and I2C capabilities; the board profile must list the
 * pins (ALARM_PIN, BUTTON_PIN) and the address (docs/device-api.md).
 */
#include <stdint.h>
#include <stdio.h>

#include "wamr_agent.h"

#define I2C_BUS 0
#define TMP105_ADDRESS 0x48
#define TMP105_TEMPERATURE 0x00
#define ALARM_PIN 0  /* mps2: LED 0 */
#define BUTTON_PIN 8 /* mps2: push button 0 */
#define ALARM_ABOVE_MC 30000
#define ALARM_CLEAR_MC 29500
#define GPIO_IN 0
#define GPIO_OUT 1
#define GPIO_EDGE_BOTH 6

static int alarm_on;

static void say(const char *line)
{
    wa_log_str(line);
}

/* Reads the temperature register; returns 0 and sets *raw, or the error. */
static int32_t read_tmp105(uint16_t *raw)
{
    uint8_t pointer = TMP105_TEMPERATURE, data[2];
    int32_t rc = wa_i2c_transfer(I2C_BUS, TMP105_ADDRESS, &pointer, 1, data, 2);
    *raw = (uint16_t)(data[0] << 8 | data[1]);
    return rc;
}

WA_EXPORT(setup)
int32_t setup(void)
{
    char line[96];
    int32_t out = wa_gpio_config(ALARM_PIN, GPIO_OUT);
    int32_t in = wa_gpio_config(BUTTON_PIN, GPIO_IN | GPIO_EDGE_BOTH);
    snprintf(line, sizeof line, "thermostat: alarm pin %d (%d), button pin %d (%d), above %d mC",
             ALARM_PIN, (int)out, BUTTON_PIN, (int)in, ALARM_ABOVE_MC);
    say(line);
    return out != WA_OK ? out : wa_gpio_write(ALARM_PIN, 0);
}

static void update_alarm(int32_t millideg)
{
    int on = alarm_on ? millideg >= ALARM_CLEAR_MC : millideg > ALARM_ABOVE_MC;
    if (on != alarm_on) {
        alarm_on = on;
        wa_gpio_write(ALARM_PIN, on);
        say(on ? "ALARM on" : "alarm off");
    }
}

WA_EXPORT(loop)
int32_t loop(void)
{
    char line[96];
    uint16_t raw = 0;
    int32_t rc = read_tmp105(&raw);
    if (rc != WA_OK) {
        snprintf(line, sizeof line, "tmp105: error %d", (int)rc);
        say(line);
        return rc;
    }
    int32_t millideg = (int32_t)(int16_t)raw * 1000 / 256;
    snprintf(line, sizeof line, "tmp105 raw=0x%04x temp=%d.%03d C", raw, (int)(millideg / 1000),
             (int)((millideg < 0 ? -millideg : millideg) % 1000));
    say(line);
    update_alarm(millideg);
    int32_t edges = 0, level = 0;
    if (wa_gpio_edges(BUTTON_PIN, &edges) == WA_OK && edges > 0) {
        wa_gpio_read(BUTTON_PIN, &level);
        snprintf(line, sizeof line, "button: %d edges, level %d", (int)edges, (int)level);
        say(line);
    }
    return WA_OK;
}
