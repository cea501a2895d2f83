/*
 * thermostat.c - example wamr-agent app: read a TMP105 temperature sensor over
 * I2C, drive an alarm output (an LED) while it is above a threshold the fleet
 * sets, and keep a calibration offset in the device's key-value storage.
 *
 * A reactor module:
 * - setup() configures the alarm pin as an output and a button pin as an input
 *   counting both edges, loads the calibration offset (storage key "cal_mc")
 *   and the alert threshold (config key "alert_above_c", default 30.0);
 * - every loop() reads the TMP105's temperature register, applies the
 *   calibration, logs the raw register and the temperature, switches the alarm
 *   on above the threshold (off again 0.5 C below it) and logs the button's
 *   edges, if any;
 * - on_config(version) takes a new threshold from the fleet
 *   (`wamr-agent config set thermostat alert_above_c=25.5`); a value that is not
 *   a number is rejected, so the device reports the old one as applied;
 * - on_message(len) takes "cal <celsius>" (`wamr-agent send thermostat "cal 22.0"`):
 *   the reference temperature now, from which the offset is computed and stored,
 *   so it survives resets and updates of the app; "cal clear" forgets it.
 *
 * TMP105 (TI datasheet SBOS363): 7-bit address 0x48 (A0 low); writing one byte
 * sets the pointer register (0: temperature); reading two bytes returns the
 * temperature, most significant byte first, two's complement in 1/256 degC.
 *
 * Needs the log, gpio, i2c, storage and config capabilities; the board profile
 * must list the pins (ALARM_PIN, BUTTON_PIN) and the address (docs/device-api.md).
 */
#include <stdint.h>
#include <string.h>

#include "wamr_agent.h"

#define I2C_BUS 0
#define TMP105_ADDRESS 0x48
#define TMP105_TEMPERATURE 0x00
#define ALARM_PIN 0  /* mps2: LED 0 */
#define BUTTON_PIN 8 /* mps2: push button 0 */
#define DEFAULT_ABOVE_MC 30000
#define HYSTERESIS_MC 500
#define GPIO_IN 0
#define GPIO_OUT 1
#define GPIO_EDGE_BOTH 6

static const uint8_t CAL_KEY[] = "cal_mc";
static const char ABOVE_KEY[] = "alert_above_c";

static int alarm_on;
static int32_t above_mc = DEFAULT_ABOVE_MC;
static int32_t cal_mc;

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

/* The sensor's reading in millidegrees, before calibration. */
static int32_t raw_millideg(uint16_t raw)
{
    return (int32_t)(int16_t)raw * 1000 / 256;
}

/* Parses "[-]d[.ddd]" degrees C (len bytes, no NUL needed) into millidegrees;
 * returns 0, or -1 if it is not such a number. */
static int parse_millideg(const char *s, int32_t len, int32_t *out)
{
    int32_t i = 0, whole = 0, frac = 0, scale = 100, digits = 0, neg = 0;
    while (i < len && s[i] == ' ') {
        i++;
    }
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        neg = s[i++] == '-';
    }
    for (; i < len && s[i] >= '0' && s[i] <= '9' && whole < 1000000; i++, digits++) {
        whole = whole * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (digits == 0 || i != len || whole >= 1000000) {
        return -1;
    }
    *out = (neg ? -1 : 1) * (whole * 1000 + frac);
    return 0;
}

/* Appends millidegrees as degrees with three decimals ("-10.500"). */
static void line_mc(wa_line_t *l, int32_t mc)
{
    uint32_t a = mc < 0 ? 0u - (uint32_t)mc : (uint32_t)mc;
    if (mc < 0) {
        wa_line_char(l, '-');
    }
    wa_line_int(l, (int32_t)(a / 1000u));
    wa_line_char(l, '.');
    for (uint32_t div = 100u; div > 0u; div /= 10u) {
        wa_line_char(l, (char)('0' + a / div % 10u));
    }
}

/* Appends v as four lower-case hex digits. */
static void line_hex4(wa_line_t *l, uint32_t v)
{
    for (int shift = 12; shift >= 0; shift -= 4) {
        wa_line_char(l, "0123456789abcdef"[(v >> shift) & 0xFu]);
    }
}

/* Reads the threshold from the fleet's config; keeps the current one when
 * the key is absent. Returns 0, or -3 if the value is not a number. */
static int32_t load_threshold(void)
{
    char text[24];
    int32_t n = wa_config_get(ABOVE_KEY, sizeof ABOVE_KEY - 1, (uint8_t *)text, sizeof text);
    int32_t mc;
    if (n == WA_ERR_NOT_FOUND) {
        return WA_OK;
    }
    if (n < 0 || n > (int32_t)sizeof text || parse_millideg(text, n, &mc) != 0) {
        return WA_ERR_INVALID_ARG;
    }
    above_mc = mc;
    return WA_OK;
}

static void load_calibration(void)
{
    int32_t stored = 0;
    if (wa_kv_get(CAL_KEY, sizeof CAL_KEY - 1, (uint8_t *)&stored, sizeof stored) ==
        (int32_t)sizeof stored) {
        cal_mc = stored;
    }
}

WA_EXPORT(setup)
int32_t setup(void)
{
    wa_line_t line = {.len = 0};
    int32_t out = wa_gpio_config(ALARM_PIN, GPIO_OUT);
    int32_t in = wa_gpio_config(BUTTON_PIN, GPIO_IN | GPIO_EDGE_BOTH);
    load_calibration();
    int32_t cfg = load_threshold();
    wa_line_str(&line, "thermostat: alarm pin ");
    wa_line_int(&line, ALARM_PIN);
    wa_line_str(&line, " (");
    wa_line_int(&line, out);
    wa_line_str(&line, "), button pin ");
    wa_line_int(&line, BUTTON_PIN);
    wa_line_str(&line, " (");
    wa_line_int(&line, in);
    wa_line_str(&line, "), above ");
    line_mc(&line, above_mc);
    wa_line_str(&line, " C, calibration ");
    line_mc(&line, cal_mc);
    wa_line_str(&line, " C");
    wa_line_log(&line);
    if (cfg != WA_OK) {
        say("config: alert_above_c is not a number; keeping the default");
    }
    return out != WA_OK ? out : wa_gpio_write(ALARM_PIN, 0);
}

static void update_alarm(int32_t millideg)
{
    int on = alarm_on ? millideg >= above_mc - HYSTERESIS_MC : millideg > above_mc;
    if (on != alarm_on) {
        alarm_on = on;
        wa_gpio_write(ALARM_PIN, on);
        say(on ? "ALARM on" : "alarm off");
    }
}

WA_EXPORT(loop)
int32_t loop(void)
{
    wa_line_t line = {.len = 0};
    uint16_t raw = 0;
    int32_t rc = read_tmp105(&raw);
    if (rc != WA_OK) {
        wa_line_str(&line, "tmp105: error ");
        wa_line_int(&line, rc);
        wa_line_log(&line);
        return rc;
    }
    int32_t millideg = raw_millideg(raw) + cal_mc;
    wa_line_str(&line, "tmp105 raw=0x");
    line_hex4(&line, raw);
    wa_line_str(&line, " temp=");
    line_mc(&line, millideg);
    wa_line_str(&line, " C");
    wa_line_log(&line);
    update_alarm(millideg);
    int32_t edges = 0, level = 0;
    if (wa_gpio_edges(BUTTON_PIN, &edges) == WA_OK && edges > 0) {
        wa_gpio_read(BUTTON_PIN, &level);
        line.len = 0;
        wa_line_str(&line, "button: ");
        wa_line_int(&line, edges);
        wa_line_str(&line, " edges, level ");
        wa_line_int(&line, level);
        wa_line_log(&line);
    }
    return WA_OK;
}

/* A new configuration from the fleet: 0 applies it, non-zero rejects it (the
 * device then reports the version as rejected with that code). */
WA_EXPORT(on_config)
int32_t on_config(int32_t version)
{
    wa_line_t line = {.len = 0};
    int32_t rc = load_threshold();
    wa_line_str(&line, "config v");
    wa_line_int(&line, version);
    wa_line_str(&line, rc == WA_OK ? ": applied" : ": rejected (alert_above_c is not a number)");
    wa_line_str(&line, ", alarm above ");
    line_mc(&line, above_mc);
    wa_line_str(&line, " C");
    wa_line_log(&line);
    return rc;
}

/* "cal <celsius>": the true temperature now, against which the sensor's
 * reading is corrected from then on; "cal clear": no correction. */
WA_EXPORT(on_message)
void on_message(int32_t len)
{
    char text[64];
    wa_line_t line = {.len = 0};
    int32_t n = wa_msg_read((uint8_t *)text, sizeof text), ref;
    uint16_t raw = 0;
    (void)len;
    if (n == 9 && memcmp(text, "cal clear", 9) == 0) {
        cal_mc = 0;
        wa_kv_delete(CAL_KEY, sizeof CAL_KEY - 1);
        say("calibration cleared");
        return;
    }
    if (n < 4 || n > (int32_t)sizeof text || memcmp(text, "cal ", 4) != 0 ||
        parse_millideg(text + 4, n - 4, &ref) != 0) {
        say("message: expected \"cal <celsius>\" (e.g. \"cal 21.5\") or \"cal clear\"");
        return;
    }
    if (read_tmp105(&raw) != WA_OK) {
        say("calibration: the sensor does not answer");
        return;
    }
    int32_t offset = ref - raw_millideg(raw);
    int32_t rc = wa_kv_set(CAL_KEY, sizeof CAL_KEY - 1, (const uint8_t *)&offset, sizeof offset);
    if (rc == WA_OK) {
        cal_mc = offset;
    }
    wa_line_str(&line, "calibrated: offset ");
    line_mc(&line, offset);
    wa_line_str(&line, rc == WA_OK ? " C (stored)" : " C (not stored: storage full)");
    wa_line_log(&line);
}
