/*
 * wa_log.c - see wa_log.h.
 *
 * A byte ring of records: 2 bytes of text length, 4 bytes of t_ms, then
 * the text. `tail` is where the oldest record starts and `head` where the
 * next one goes, both counted in bytes since boot (taken modulo the size).
 */
#include "wa_log.h"

#include "wa_port.h"

#define RECORD_HEAD 6u

static uint8_t s_ring[WA_LOG_RING_BYTES];
static uint32_t s_head;
static uint32_t s_tail;
static uint32_t s_oldest_seq;
static uint32_t s_next_seq;
static volatile int s_busy; /* an interrupt printing mid-append skips the ring */

static void put(uint32_t at, const void *src, uint32_t len)
{
    const uint8_t *p = src;
    for (uint32_t i = 0; i < len; i++) {
        s_ring[(at + i) % WA_LOG_RING_BYTES] = p[i];
    }
}

static void get(uint32_t at, void *dst, uint32_t len)
{
    uint8_t *p = dst;
    for (uint32_t i = 0; i < len; i++) {
        p[i] = s_ring[(at + i) % WA_LOG_RING_BYTES];
    }
}

static uint32_t record_len(uint32_t at)
{
    uint16_t len;
    get(at, &len, sizeof len);
    return RECORD_HEAD + len;
}

size_t wa_utf8_cut(const char *text, size_t max)
{
    size_t len = max;
    while (len > 0 && max - len < 3u && ((unsigned char)text[len] & 0xC0u) == 0x80u) {
        len--; /* text[len] continues a character: drop it from its first byte on */
    }
    return ((unsigned char)text[len] & 0xC0u) == 0x80u ? max : len;
}

void wa_log_append(const char *text, size_t len)
{
    if (s_busy) {
        return;
    }
    s_busy = 1;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) {
        len--;
    }
    if (len > WA_LOG_LINE_MAX) {
        len = wa_utf8_cut(text, WA_LOG_LINE_MAX);
    }
    uint32_t need = RECORD_HEAD + (uint32_t)len;
    while (WA_LOG_RING_BYTES - (s_head - s_tail) < need) {
        s_tail += record_len(s_tail);
        s_oldest_seq++;
    }
    uint16_t len16 = (uint16_t)len;
    uint32_t t_ms = (uint32_t)(wa_port_time_us() / 1000u);
    put(s_head, &len16, sizeof len16);
    put(s_head + 2u, &t_ms, sizeof t_ms);
    put(s_head + RECORD_HEAD, text, (uint32_t)len);
    s_head += need;
    s_next_seq++;
    s_busy = 0;
}

uint32_t wa_log_oldest(void)
{
    return s_oldest_seq;
}

uint32_t wa_log_next(void)
{
    return s_next_seq;
}

int wa_log_get(uint32_t seq, wa_log_line_t *line)
{
    if (seq < s_oldest_seq || seq >= s_next_seq) {
        return -1;
    }
    uint32_t at = s_tail;
    for (uint32_t k = s_oldest_seq; k < seq; k++) {
        at += record_len(at);
    }
    uint16_t len;
    get(at, &len, sizeof len);
    get(at + 2u, &line->t_ms, sizeof line->t_ms);
    get(at + RECORD_HEAD, line->text, len);
    line->len = len;
    line->seq = seq;
    return 0;
}
