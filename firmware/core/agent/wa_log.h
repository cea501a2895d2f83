/*
 * wa_log.h - the device's recent console lines, kept in a RAM ring for the
 * SMP logs command (docs/protocol.md, wasm-app group command 6).
 *
 * Every line the console prints is appended with the milliseconds since
 * boot and a sequence number (0 at boot). When the ring is full the oldest
 * lines are dropped. Not for interrupt context: a line printed from an
 * interrupt (the watchdog's last words) is not kept.
 */
#ifndef WA_LOG_H
#define WA_LOG_H

#include <stddef.h>
#include <stdint.h>

#ifndef WA_LOG_RING_BYTES
#define WA_LOG_RING_BYTES 2048u
#endif

#define WA_LOG_LINE_MAX 255u /* longer lines are cut */

typedef struct wa_log_line {
    uint32_t seq;
    uint32_t t_ms;
    uint32_t len;
    char text[WA_LOG_LINE_MAX]; /* not NUL-terminated */
} wa_log_line_t;

/* The length of text[0..max) without a UTF-8 character that text[max]
 * continues (so a cut keeps whole characters; at most 3 bytes less). */
size_t wa_utf8_cut(const char *text, size_t max);

/* Appends a line (a trailing newline is dropped; longer than WA_LOG_LINE_MAX:
 * cut by wa_utf8_cut). */
void wa_log_append(const char *text, size_t len);

/* Sequence number of the oldest line kept, and of the next line to come. */
uint32_t wa_log_oldest(void);
uint32_t wa_log_next(void);

/* Copies line seq out; returns 0, or -1 when it is no longer (or not yet) kept. */
int wa_log_get(uint32_t seq, wa_log_line_t *line);

#endif /* WA_LOG_H */
