/* wa_smp_frame.c - console and raw SMP framing; see wa_smp_frame.h. */
#include "wa_smp_frame.h"

#include <string.h>

#include "wa_err.h"

enum {
    ST_HUNT,     /* outside any frame */
    ST_MARK,     /* a possible marker's first byte is held in dec->marker */
    ST_LINE,     /* inside a console line, after its marker */
    ST_RAW_HDR,  /* after the raw sync: length and its check */
    ST_RAW_BODY, /* raw message and CRC */
};

/* Raw stream bytes carried by one console line: whole base64 quads only. */
#define CONSOLE_PER_LINE (((WA_SMP_CONSOLE_LINE_MAX - 3) / 4) * 3)

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint16_t wa_smp_crc16(uint16_t crc, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(data[i] << 8);
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 0x8000u) ? (uint16_t)(((unsigned)crc << 1) ^ 0x1021u)
                                  : (uint16_t)((unsigned)crc << 1);
        }
    }
    return crc;
}

static int b64_value(uint8_t c)
{
    const char *at = memchr(b64_chars, c, sizeof b64_chars - 1);
    return at != NULL ? (int)(at - b64_chars) : -1;
}

/* ---- decoder ---- */

void wa_smp_frame_dec_init(wa_smp_frame_dec_t *dec, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    memset(dec, 0, sizeof(*dec));
    dec->buf = buf;
    dec->cap = cap;
    dec->timeout_ms = timeout_ms;
    dec->state = ST_HUNT;
}

static void end_frame(wa_smp_frame_dec_t *dec)
{
    dec->state = ST_HUNT;
    dec->active = false;
    dec->pending = false;
}

static wa_smp_feed_t fail(wa_smp_frame_dec_t *dec, uint32_t *counter)
{
    (*counter)++;
    end_frame(dec);
    return WA_SMP_FEED_BUSY;
}

bool wa_smp_frame_poll(wa_smp_frame_dec_t *dec, uint32_t now_ms)
{
    if (!dec->active || (uint32_t)(now_ms - dec->start_ms) <= dec->timeout_ms) {
        return false;
    }
    dec->stats.timeouts++;
    dec->active = false;
    dec->pending = false;
    if (dec->state != ST_MARK) { /* a held marker byte may still start a frame */
        dec->state = ST_HUNT;
    }
    return true;
}

static void begin_frame(wa_smp_frame_dec_t *dec, wa_smp_framing_t framing, uint32_t now_ms)
{
    if (dec->active) { /* a new start interrupts the frame in progress */
        dec->stats.malformed++;
    }
    dec->active = true;
    dec->pending = false;
    dec->framing = (uint8_t)framing;
    dec->start_ms = now_ms;
    dec->pos = 0;
    dec->want = 0;
    dec->crc = 0;
    dec->rx_crc = 0;
    dec->dropping = false;
}

static void begin_line(wa_smp_frame_dec_t *dec)
{
    dec->state = ST_LINE;
    dec->line_len = 2;
    dec->quad = 0;
    dec->quad_n = 0;
    dec->quad_pad = 0;
    dec->line_done = false;
}

static wa_smp_feed_t finish(wa_smp_frame_dec_t *dec)
{
    end_frame(dec);
    if (dec->dropping) {
        dec->stats.oversized++;
        return WA_SMP_FEED_BUSY;
    }
    if (dec->rx_crc != dec->crc) {
        dec->stats.bad_crc++;
        return WA_SMP_FEED_BUSY;
    }
    dec->len = dec->framing == WA_SMP_FRAMING_CONSOLE ? dec->want - 2u : dec->want;
    dec->stats.frames_ok++;
    return WA_SMP_FEED_PACKET;
}

static void put_msg_byte(wa_smp_frame_dec_t *dec, size_t index, uint8_t byte)
{
    dec->crc = wa_smp_crc16(dec->crc, &byte, 1);
    if (!dec->dropping) {
        dec->buf[index] = byte;
    }
}

static wa_smp_feed_t hunt(wa_smp_frame_dec_t *dec, uint8_t byte)
{
    if (byte == WA_SMP_CONSOLE_START_1 || byte == WA_SMP_CONSOLE_CONT_1 ||
        byte == WA_SMP_RAW_SYNC_1) {
        dec->marker = byte;
        dec->state = ST_MARK;
        return WA_SMP_FEED_BUSY;
    }
    dec->stats.garbage_bytes++;
    return WA_SMP_FEED_TEXT;
}

static wa_smp_feed_t mark(wa_smp_frame_dec_t *dec, uint8_t byte, uint32_t now_ms)
{
    uint8_t first = dec->marker;

    if (first == WA_SMP_CONSOLE_START_1 && byte == WA_SMP_CONSOLE_START_2) {
        begin_frame(dec, WA_SMP_FRAMING_CONSOLE, now_ms);
        begin_line(dec);
        return WA_SMP_FEED_BUSY;
    }
    if (first == WA_SMP_CONSOLE_CONT_1 && byte == WA_SMP_CONSOLE_CONT_2 && dec->pending) {
        dec->pending = false;
        begin_line(dec);
        return WA_SMP_FEED_BUSY;
    }
    if (first == WA_SMP_RAW_SYNC_1 && byte == WA_SMP_RAW_SYNC_2) {
        begin_frame(dec, WA_SMP_FRAMING_RAW, now_ms);
        dec->state = ST_RAW_HDR;
        return WA_SMP_FEED_BUSY;
    }
    dec->stats.garbage_bytes++; /* the held byte was not a marker after all */
    dec->state = ST_HUNT;
    return hunt(dec, byte);
}

/* One decoded byte of the console stream: length word, message, CRC. */
static bool put_console_byte(wa_smp_frame_dec_t *dec, uint8_t byte)
{
    size_t i = dec->pos++;

    if (i < 2) {
        dec->want = (dec->want << 8) | byte;
        if (i == 1) {
            if (dec->want < 2) {
                return false;
            }
            dec->dropping = dec->want - 2u > dec->cap;
        }
        return true;
    }
    if (i < dec->want) {
        put_msg_byte(dec, i - 2, byte);
        return true;
    }
    if (i < dec->want + 2u) {
        dec->rx_crc = (uint16_t)((dec->rx_crc << 8) | byte);
        return true;
    }
    return false; /* more data than the length word announced */
}

static wa_smp_feed_t put_quad(wa_smp_frame_dec_t *dec)
{
    unsigned count = 3u - dec->quad_pad;

    for (unsigned k = 0; k < count; k++) {
        if (!put_console_byte(dec, (uint8_t)(dec->quad >> (16 - 8 * k)))) {
            return fail(dec, &dec->stats.malformed);
        }
    }
    dec->line_done = dec->quad_pad != 0;
    dec->quad = 0;
    dec->quad_n = 0;
    dec->quad_pad = 0;
    return WA_SMP_FEED_BUSY;
}

static wa_smp_feed_t end_line(wa_smp_frame_dec_t *dec)
{
    if (dec->quad_n != 0 || dec->pos < 2) {
        return fail(dec, &dec->stats.malformed);
    }
    if (dec->pos < dec->want + 2u) {
        dec->pending = true; /* wait for a 0x04 0x14 line */
        dec->state = ST_HUNT;
        return WA_SMP_FEED_BUSY;
    }
    return finish(dec);
}

static wa_smp_feed_t line(wa_smp_frame_dec_t *dec, uint8_t byte)
{
    int value = 0;

    if (byte == '\n') {
        return end_line(dec);
    }
    if (++dec->line_len >= WA_SMP_CONSOLE_LINE_MAX) { /* no room left for the '\n' */
        return fail(dec, &dec->stats.oversized);
    }
    if (byte == '\r') { /* tolerated: some terminals add it */
        return WA_SMP_FEED_BUSY;
    }
    if (dec->line_done) {
        return fail(dec, &dec->stats.malformed);
    }
    if (byte == '=') {
        if (dec->quad_n < 2) {
            return fail(dec, &dec->stats.malformed);
        }
        dec->quad_pad++;
    } else {
        value = b64_value(byte);
        if (value < 0 || dec->quad_pad != 0) {
            return fail(dec, &dec->stats.malformed);
        }
    }
    dec->quad = (dec->quad << 6) | (uint32_t)value;
    return ++dec->quad_n < 4 ? WA_SMP_FEED_BUSY : put_quad(dec);
}

static wa_smp_feed_t step(wa_smp_frame_dec_t *dec, uint8_t byte, uint32_t now_ms);

static wa_smp_feed_t raw_header(wa_smp_frame_dec_t *dec, uint8_t byte, uint32_t now_ms)
{
    dec->hdr[dec->pos++] = byte;
    if (dec->pos < sizeof(dec->hdr)) {
        return WA_SMP_FEED_BUSY;
    }
    uint16_t len = (uint16_t)((dec->hdr[0] << 8) | dec->hdr[1]);
    uint16_t check = (uint16_t)((dec->hdr[2] << 8) | dec->hdr[3]);
    if ((uint16_t)(len ^ check) != 0xFFFFu) {
        /* A false sync: the real one may start inside these four bytes. */
        uint8_t replay[sizeof(dec->hdr)];
        memcpy(replay, dec->hdr, sizeof(replay));
        (void)fail(dec, &dec->stats.malformed);
        for (size_t k = 0; k < sizeof(replay); k++) {
            (void)step(dec, replay[k], now_ms);
        }
        return WA_SMP_FEED_BUSY;
    }
    dec->want = len;
    dec->crc = wa_smp_crc16(0, dec->hdr, sizeof(dec->hdr));
    dec->dropping = len > dec->cap;
    dec->pos = 0;
    dec->state = ST_RAW_BODY;
    return WA_SMP_FEED_BUSY;
}

static wa_smp_feed_t raw_body(wa_smp_frame_dec_t *dec, uint8_t byte)
{
    size_t i = dec->pos++;

    if (i < dec->want) {
        put_msg_byte(dec, i, byte);
        return WA_SMP_FEED_BUSY;
    }
    dec->rx_crc = (uint16_t)((dec->rx_crc << 8) | byte);
    return i == dec->want + 1u ? finish(dec) : WA_SMP_FEED_BUSY;
}

static wa_smp_feed_t step(wa_smp_frame_dec_t *dec, uint8_t byte, uint32_t now_ms)
{
    switch (dec->state) {
    case ST_MARK: return mark(dec, byte, now_ms);
    case ST_LINE: return line(dec, byte);
    case ST_RAW_HDR: return raw_header(dec, byte, now_ms);
    case ST_RAW_BODY: return raw_body(dec, byte);
    default: return hunt(dec, byte);
    }
}

wa_smp_feed_t wa_smp_frame_feed(wa_smp_frame_dec_t *dec, uint8_t byte, uint32_t now_ms)
{
    (void)wa_smp_frame_poll(dec, now_ms);
    return step(dec, byte, now_ms);
}

size_t wa_smp_frame_len(const wa_smp_frame_dec_t *dec)
{
    return dec->len;
}

wa_smp_framing_t wa_smp_frame_framing(const wa_smp_frame_dec_t *dec)
{
    return (wa_smp_framing_t)dec->framing;
}

const wa_smp_frame_stats_t *wa_smp_frame_stats(const wa_smp_frame_dec_t *dec)
{
    return &dec->stats;
}

/* ---- encoder ---- */

/* The console stream: be16(len + 2) || msg || be16(crc). */
typedef struct {
    const uint8_t *msg;
    size_t len;
    uint16_t crc;
} console_stream_t;

static uint8_t stream_at(const console_stream_t *s, size_t i)
{
    if (i < 2) {
        return (uint8_t)((s->len + 2u) >> (i == 0 ? 8 : 0));
    }
    if (i < s->len + 2u) {
        return s->msg[i - 2];
    }
    return (uint8_t)(s->crc >> (i == s->len + 2u ? 8 : 0));
}

/* Base64 of stream bytes [i, i + 3) (fewer at the end, padded) into out[0..4). */
static void encode_quad(uint8_t *out, const console_stream_t *s, size_t i, size_t total)
{
    size_t count = total - i < 3 ? total - i : 3;
    uint32_t v = 0;

    for (size_t k = 0; k < 3; k++) {
        v = (v << 8) | (k < count ? stream_at(s, i + k) : 0u);
    }
    out[0] = (uint8_t)b64_chars[(v >> 18) & 63u];
    out[1] = (uint8_t)b64_chars[(v >> 12) & 63u];
    out[2] = count > 1 ? (uint8_t)b64_chars[(v >> 6) & 63u] : (uint8_t)'=';
    out[3] = count > 2 ? (uint8_t)b64_chars[v & 63u] : (uint8_t)'=';
}

static int encode_console(const uint8_t *msg, size_t len, wa_smp_frame_write_fn write, void *ctx)
{
    uint8_t out[WA_SMP_CONSOLE_LINE_MAX];
    const console_stream_t s = {msg, len, wa_smp_crc16(0, msg, len)};
    const size_t total = len + 4u;

    for (size_t i = 0; i < total;) {
        size_t end = total - i > CONSOLE_PER_LINE ? i + CONSOLE_PER_LINE : total;
        size_t n = 2;
        out[0] = i == 0 ? WA_SMP_CONSOLE_START_1 : WA_SMP_CONSOLE_CONT_1;
        out[1] = i == 0 ? WA_SMP_CONSOLE_START_2 : WA_SMP_CONSOLE_CONT_2;
        for (; i < end; i += 3) {
            encode_quad(out + n, &s, i, total);
            n += 4;
        }
        out[n++] = '\n';
        int rc = write(ctx, out, n);
        if (rc != 0) {
            return rc;
        }
    }
    return WA_OK;
}

static int encode_raw(const uint8_t *msg, size_t len, wa_smp_frame_write_fn write, void *ctx)
{
    const uint16_t check = (uint16_t)~len;
    const uint8_t head[6] = {
        WA_SMP_RAW_SYNC_1, WA_SMP_RAW_SYNC_2,     (uint8_t)(len >> 8),
        (uint8_t)len,      (uint8_t)(check >> 8), (uint8_t)check,
    };
    uint16_t crc = wa_smp_crc16(wa_smp_crc16(0, head + 2, 4), msg, len);
    const uint8_t tail[2] = {(uint8_t)(crc >> 8), (uint8_t)crc};
    int rc = write(ctx, head, sizeof(head));

    if (rc == 0 && len > 0) {
        rc = write(ctx, msg, len);
    }
    return rc != 0 ? rc : write(ctx, tail, sizeof(tail));
}

int wa_smp_frame_encode(wa_smp_framing_t framing, const uint8_t *msg, size_t len,
                        wa_smp_frame_write_fn write, void *ctx)
{
    if (write == NULL || (msg == NULL && len > 0)) {
        return WA_ERR_INVALID_ARG;
    }
    switch (framing) {
    case WA_SMP_FRAMING_CONSOLE:
        return len > WA_SMP_CONSOLE_MSG_MAX ? WA_ERR_TOO_LARGE
                                            : encode_console(msg, len, write, ctx);
    case WA_SMP_FRAMING_RAW:
        return len > WA_SMP_RAW_MSG_MAX ? WA_ERR_TOO_LARGE : encode_raw(msg, len, write, ctx);
    default: return WA_ERR_INVALID_ARG;
    }
}
