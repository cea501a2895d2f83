/* wa_console.c - see wa_console.h. */
#include "wa_console.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "wa_log.h"
#include "wa_port.h"

void wa_console_printf(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    size_t len = (size_t)n;
    if (len >= sizeof line) { /* cut: whole UTF-8 characters, and still one line */
        len = wa_utf8_cut(line, sizeof line - 2u);
        line[len++] = '\n';
    }
    wa_port_console_write(line, len);
    wa_log_append(line, len);
}

void wa_format_float(char *out, size_t cap, float value)
{
    if (value != value) {
        snprintf(out, cap, "nan");
        return;
    }
    float mag = value < 0.0f ? -value : value;
    if (mag > 2.0e9f) {
        snprintf(out, cap, "%sinf", value < 0.0f ? "-" : "");
        return;
    }
    if (mag >= 4.0e6f) { /* thousandths would overflow 32 bits: whole units */
        snprintf(out, cap, "%s%lu", value < 0.0f ? "-" : "", (unsigned long)mag);
        return;
    }
    uint32_t thousandths = (uint32_t)(mag * 1000.0f + 0.5f);
    uint32_t whole = thousandths / 1000u;
    uint32_t frac = thousandths % 1000u;
    int digits = 3;
    while (digits > 1 && frac % 10u == 0u) {
        frac /= 10u;
        digits--;
    }
    snprintf(out, cap, "%s%lu.%0*lu", value < 0.0f ? "-" : "", (unsigned long)whole, digits,
             (unsigned long)frac);
}
