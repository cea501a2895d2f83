/*
 * {{name}}: a control loop. Switches a fan on above FAN_ON_C and off below
 * FAN_OFF_C (the gap keeps sensor noise from flapping it), logs each decision
 * and publishes the fan's state as telemetry every loop.
 *
 * The native API has no outputs yet: the decision is the log line and the
 * `fan` telemetry (1 = on), which a gateway or controller can act on.
 * A reactor app; needs the LOG, SENSOR and TELEMETRY capabilities.
 */
#include <stdint.h>

#include "wamr_agent.h"

#define CH_TEMPERATURE 0
#define FAN_ON_C 30.0f
#define FAN_OFF_C 29.0f

static int fan_on;

static char line[80];
static int32_t line_len;

static void put_char(char c)
{
    if (line_len < (int32_t)sizeof(line)) {
        line[line_len++] = c;
    }
}

static void put(const char *s)
{
    while (*s != '\0') {
        put_char(*s++);
    }
}

/* Appends v with one decimal ("-0.5", "21.3"), no libc needed. */
static void put_tenths(float v)
{
    int32_t tenths = (int32_t)(v < 0.0f ? v * 10.0f - 0.5f : v * 10.0f + 0.5f);
    char digits[12];
    int n = 0;
    if (tenths < 0) {
        put_char('-');
        tenths = -tenths;
    }
    digits[n++] = (char)('0' + tenths % 10);
    digits[n++] = '.';
    tenths /= 10;
    do {
        digits[n++] = (char)('0' + tenths % 10);
        tenths /= 10;
    } while (tenths != 0);
    while (n > 0) {
        put_char(digits[--n]);
    }
}

WA_EXPORT(setup)
int32_t setup(void)
{
    line_len = 0;
    put("{{name}} started: fan on above ");
    put_tenths(FAN_ON_C);
    put(" C, off below ");
    put_tenths(FAN_OFF_C);
    put(" C");
    wa_log(line, line_len);
    return WA_OK;
}

WA_EXPORT(loop)
int32_t loop(void)
{
    float temp = 0.0f;
    int32_t rc = wa_sensor_read(CH_TEMPERATURE, &temp);
    if (rc != WA_OK) {
        wa_log_str("no temperature data");
        return rc;
    }
    int want = fan_on ? temp >= FAN_OFF_C : temp > FAN_ON_C;
    if (want != fan_on) {
        fan_on = want;
        line_len = 0;
        put(fan_on ? "fan on at " : "fan off at ");
        put_tenths(temp);
        put(" C");
        wa_log(line, line_len);
    }
    wa_publish("fan", fan_on ? 1.0f : 0.0f);
    return WA_OK;
}
