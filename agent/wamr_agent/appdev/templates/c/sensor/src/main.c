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
    if (rc != WA_OK) {
        if (rc == WA_ERR_NOT_FOUND) {
            wa_log_str("no temperature data");
        }
        return rc;
    }
    wa_publish("temp_c", temp);
    wa_line_t line = {.len = 0};
    wa_line_str(&line, "temperature ");
    wa_line_tenths(&line, temp);
    wa_line_str(&line, " C");
    wa_line_log(&line);
    return WA_OK;
}
