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
 * used (a small float-to-text helper keeps the module a few KB).
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

/* A fixed-size line being built; appends past the end are dropped. */
typedef struct line {
    char text[96];
    int32_t len;
} line_t;

static void put_char(line_t *l, char c)
{
    if (l->len < (int32_t)sizeof(l->text)) {
        l->text[l->len++] = c;
    }
}

static void put_str(line_t *l, const char *s)
{
    while (*s != '\0') {
        put_char(l, *s++);
    }
}

static void put_int(line_t *l, int32_t v)
{
    char digits[11];
    int n = 0;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    if (v < 0) {
        put_char(l, '-');
    }
    do {
        digits[n++] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0u);
    while (n > 0) {
        put_char(l, digits[--n]);
    }
}

/* Writes v with one decimal, rounded half away from zero ("-0.5", "31.2"). */
static void put_float1(line_t *l, float v)
{
    int32_t tenths = (int32_t)(v < 0.0f ? v * 10.0f - 0.5f : v * 10.0f + 0.5f);
    if (tenths < 0) {
        put_char(l, '-');
        tenths = -tenths;
    }
    put_int(l, tenths / 10);
    put_char(l, '.');
    put_char(l, (char)('0' + tenths % 10));
}

static void log_line(const line_t *l)
{
    wa_log(l->text, l->len);
}

/* Reads one channel; on failure logs why and returns the (negative) code. */
static int32_t read_channel(int32_t channel, float *value)
{
    int32_t rc = wa_sensor_read(channel, value);
    if (rc != WA_OK) {
        line_t l = {.len = 0};
        put_str(&l, "sensor ");
        put_int(&l, channel);
        if (rc == WA_ERR_NOT_FOUND) {
            put_str(&l, ": no data");
        } else {
            put_str(&l, ": error ");
            put_int(&l, rc);
        }
        log_line(&l);
    }
    return rc;
}

static void update_alert(void)
{
    line_t l = {.len = 0};
    if (!alerting && avg_temp > ALERT_ABOVE_C) {
        alerting = 1;
        put_str(&l, "ALERT temperature ");
    } else if (alerting && avg_temp < CLEAR_BELOW_C) {
        alerting = 0;
        put_str(&l, "ok: temperature back to ");
    } else {
        return;
    }
    put_float1(&l, avg_temp);
    put_str(&l, alerting ? " C above " : " C, below ");
    put_float1(&l, alerting ? ALERT_ABOVE_C : CLEAR_BELOW_C);
    put_str(&l, " C");
    log_line(&l);
}

WA_EXPORT(setup)
int32_t setup(void)
{
    line_t l = {.len = 0};
    put_str(&l, "sensor app started: EMA alpha ");
    put_float1(&l, ALPHA);
    put_str(&l, ", alert above ");
    put_float1(&l, ALERT_ABOVE_C);
    put_str(&l, " C");
    log_line(&l);
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

    line_t l = {.len = 0};
    put_str(&l, "temp ");
    put_float1(&l, temp);
    put_str(&l, " C (avg ");
    put_float1(&l, avg_temp);
    put_str(&l, "), humidity ");
    put_float1(&l, humidity);
    put_str(&l, " %");
    log_line(&l);
    update_alert();
    return WA_OK;
}
