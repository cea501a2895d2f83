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

WA_EXPORT(setup)
int32_t setup(void)
{
    wa_line_t line = {.len = 0};
    wa_line_str(&line, "{{name}} started: fan on above ");
    wa_line_tenths(&line, FAN_ON_C);
    wa_line_str(&line, " C, off below ");
    wa_line_tenths(&line, FAN_OFF_C);
    wa_line_str(&line, " C");
    wa_line_log(&line);
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
        wa_line_t line = {.len = 0};
        wa_line_str(&line, fan_on ? "fan on at " : "fan off at ");
        wa_line_tenths(&line, temp);
        wa_line_str(&line, " C");
        wa_line_log(&line);
    }
    wa_publish("fan", fan_on ? 1.0f : 0.0f);
    return WA_OK;
}
