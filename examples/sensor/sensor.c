/*
 * sensor.c - example wamr-agent app: filter a temperature sensor, publish
 * telemetry, raise an alert above a threshold.
 *
 * A reactor module (built with -mexec-model=reactor): the device calls
 * setup() once after load, then loop() periodically. Each loop() reads
 * channel 0 (temperature, degrees C) and channel 1 (relative humidity, %),
 * smooths the temperature, publishes both, and logs when the smoothed
 * temperature crosses ALERT_ABOVE_C (and when it falls back below
 * CLEAR_BELOW_C; the gap keeps noise near the threshold from flapping).
 *
 * Filter: exponential moving average, avg += ALPHA * (sample - avg), seeded
 * with the first sample. ALPHA = 0.5 halves a step's remaining difference
 * every sample: quick enough to follow a real rise within a few samples,
 * and one noisy sample moves the average only half-way.
 *
 * Needs the LOG, SENSOR and TELEMETRY capabilities. No libc functions are
 * used (the header's wa_line_* helpers format numbers; the module stays a few KB).
 */
#include <stdint.h>

#include "wamr_agent.h"

#define ALPHA 0.5f
#define ALERT_ABOVE_C 30.0f
#define CLEAR_BELOW_C 29.5f
#define CH_TEMPERATURE 0
#define CH_HUMIDITY 1

static float avg_temp;
static int have_avg;
static int alerting;

/* Reads one channel; on failure logs why and returns the (negative) code. */
static int32_t read_channel(int32_t channel, float *value)
{
    int32_t rc = wa_sensor_read(channel, value);
    if (rc != WA_OK) {
        wa_line_t l = {.len = 0};
        wa_line_str(&l, "sensor ");
        wa_line_int(&l, channel);
        if (rc == WA_ERR_NOT_FOUND) {
            wa_line_str(&l, ": no data");
        } else {
            wa_line_str(&l, ": error ");
            wa_line_int(&l, rc);
        }
        wa_line_log(&l);
    }
    return rc;
}

static void update_alert(void)
{
    wa_line_t l = {.len = 0};
    if (!alerting && avg_temp > ALERT_ABOVE_C) {
        alerting = 1;
        wa_line_str(&l, "ALERT temperature ");
    } else if (alerting && avg_temp < CLEAR_BELOW_C) {
        alerting = 0;
        wa_line_str(&l, "ok: temperature back to ");
    } else {
        return;
    }
    wa_line_tenths(&l, avg_temp);
    wa_line_str(&l, alerting ? " C above " : " C, below ");
    wa_line_tenths(&l, alerting ? ALERT_ABOVE_C : CLEAR_BELOW_C);
    wa_line_str(&l, " C");
    wa_line_log(&l);
}

WA_EXPORT(setup)
int32_t setup(void)
{
    wa_line_t l = {.len = 0};
    wa_line_str(&l, "sensor app started: EMA alpha ");
    wa_line_tenths(&l, ALPHA);
    wa_line_str(&l, ", alert above ");
    wa_line_tenths(&l, ALERT_ABOVE_C);
    wa_line_str(&l, " C");
    wa_line_log(&l);
    return WA_OK;
}

WA_EXPORT(loop)
int32_t loop(void)
{
    float temp = 0.0f;
    float humidity = 0.0f;
    int32_t rc = read_channel(CH_TEMPERATURE, &temp);
    if (rc == WA_OK) {
        rc = read_channel(CH_HUMIDITY, &humidity);
    }
    if (rc != WA_OK) {
        return rc;
    }
    avg_temp = have_avg ? avg_temp + ALPHA * (temp - avg_temp) : temp;
    have_avg = 1;
    wa_publish("temp_c", avg_temp);
    wa_publish("humidity", humidity);

    wa_line_t l = {.len = 0};
    wa_line_str(&l, "temp ");
    wa_line_tenths(&l, temp);
    wa_line_str(&l, " C (avg ");
    wa_line_tenths(&l, avg_temp);
    wa_line_str(&l, "), humidity ");
    wa_line_tenths(&l, humidity);
    wa_line_str(&l, " %");
    wa_line_log(&l);
    update_alert();
    return WA_OK;
}
