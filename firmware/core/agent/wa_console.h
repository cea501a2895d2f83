/*
 * wa_console.h - formatted lines on the console UART.
 */
#ifndef WA_CONSOLE_H
#define WA_CONSOLE_H

#include <stddef.h>

/* printf to the console (no floating point: use wa_format_float). Lines
 * longer than the internal buffer (256 bytes) are cut before the character
 * that does not fit (UTF-8) and still end with a newline. */
void wa_console_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Writes value with up to three decimals ("23.5", "-0.125", "nan"). */
void wa_format_float(char *out, size_t cap, float value);

#endif /* WA_CONSOLE_H */
