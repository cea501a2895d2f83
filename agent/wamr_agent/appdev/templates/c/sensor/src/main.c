/*
 * {{name}}: reads a temperature sensor, publishes it as telemetry and logs it.
 *
 * A reactor app: the device calls setup() once after load, then loop()
 * periodically; a non-zero return is reported as the app's status.
 * Needs the LOG, SENSOR and TELEMETRY capabilities (wamr.toml's grants).
 */
#include <stdint.h>

#include "wamr_agent.h"

#define CH_TEMPERATURE 0

/* A log line being built; what does not fit is dropped. */
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
    wa_log_str("{{name}} started");
    return WA_OK;
}

WA_EXPORT(loop)
int32_t loop(void)
{
    float temp = 0.0f;
    int32_t rc = wa_sensor_read(CH_TEMPERATURE, &temp);
    if (rc == WA_ERR_NOT_FOUND) {
        wa_log_str("no temperature data");
        return rc;
    }
    if (rc != WA_OK) {
        return rc;
    }
    wa_publish("temp_c", temp);
    line_len = 0;
    put("temperature ");
    put_tenths(temp);
    put(" C");
    wa_log(line, line_len);
    return WA_OK;
}
