/*
 * wa_smp_frame.h - SMP packets on a byte stream (UART): both serial framings.
 *
 * Console framing (Zephyr/mcumgr "SMP over console", the default, what smpmgr
 * and mcumgr speak): the stream be16(len(msg) + 2) || msg || be16(crc16) is
 * base64-encoded and cut into lines, the first starting 0x06 0x09, the others
 * 0x04 0x14, each ending '\n' and at most WA_SMP_CONSOLE_LINE_MAX bytes long.
 *
 * Raw framing (ours, for throughput):
 *   0xC1 0xA5 | be16 N | be16 ~N | N bytes msg | be16 crc16 over bytes 2..6+N
 *
 * Both use CRC-16/XMODEM (poly 0x1021, init 0, no reflection, no xor-out).
 * docs/smp-framing.md has the exact layouts; agent/wamr_agent/smp/ mirrors
 * this file and tests/fixtures/smp/vectors.txt is checked by both.
 *
 * Nothing here allocates. The decoder writes messages into a buffer the caller
 * owns; the encoder hands bytes to a write callback (straight to the UART).
 */
#ifndef WA_SMP_FRAME_H
#define WA_SMP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest console line, marker and '\n' included (Zephyr's
 * MCUMGR_SERIAL_MAX_FRAME). Longer lines are dropped as oversized. */
#ifndef WA_SMP_CONSOLE_LINE_MAX
#define WA_SMP_CONSOLE_LINE_MAX 127
#endif

_Static_assert(WA_SMP_CONSOLE_LINE_MAX >= 7 && WA_SMP_CONSOLE_LINE_MAX <= 0xFFFF,
               "a console line holds at least a marker, one base64 quad and '\\n'");

#define WA_SMP_CONSOLE_START_1 0x06u
#define WA_SMP_CONSOLE_START_2 0x09u
#define WA_SMP_CONSOLE_CONT_1 0x04u
#define WA_SMP_CONSOLE_CONT_2 0x14u
#define WA_SMP_RAW_SYNC_1 0xC1u /* never appears in UTF-8 text */
#define WA_SMP_RAW_SYNC_2 0xA5u
#define WA_SMP_RAW_OVERHEAD 8u         /* sync 2 + length 2 + check 2 + crc 2 */
#define WA_SMP_CONSOLE_MSG_MAX 0xFFFDu /* the length word counts the CRC too */
#define WA_SMP_RAW_MSG_MAX 0xFFFFu

typedef enum wa_smp_framing {
    WA_SMP_FRAMING_CONSOLE = 0,
    WA_SMP_FRAMING_RAW = 1,
} wa_smp_framing_t;

/* What one fed byte did. */
typedef enum wa_smp_feed {
    WA_SMP_FEED_BUSY = 0,   /* consumed by the framing; nothing to do yet */
    WA_SMP_FEED_TEXT = 1,   /* not part of a frame: console text (or noise) */
    WA_SMP_FEED_PACKET = 2, /* a CRC-checked message is in the buffer */
} wa_smp_feed_t;

/* Counters; they only grow (wrap at 2^32). */
typedef struct wa_smp_frame_stats {
    uint32_t frames_ok;     /* messages delivered */
    uint32_t bad_crc;       /* complete frames whose CRC did not match */
    uint32_t oversized;     /* messages above the buffer, console lines above the limit */
    uint32_t timeouts;      /* frames not completed within timeout_ms of their start */
    uint32_t malformed;     /* bad base64, bad length word, excess data, interrupted frames */
    uint32_t garbage_bytes; /* bytes outside any frame (console text counts here) */
} wa_smp_frame_stats_t;

/* Decoder state. Declared here so callers can place it statically; the
 * fields are private: use the functions below. */
typedef struct wa_smp_frame_dec {
    uint8_t *buf;
    size_t cap;
    uint32_t timeout_ms;
    uint32_t start_ms; /* when the frame in progress started */
    size_t pos;        /* stream bytes of the frame seen so far */
    size_t len;        /* length of the delivered message */
    uint32_t want;     /* message length (console: the length word's value) */
    uint32_t quad;     /* base64 sextets collected */
    uint16_t crc;      /* running CRC */
    uint16_t rx_crc;   /* CRC received */
    uint16_t line_len; /* bytes of the current console line so far */
    uint8_t state;
    uint8_t marker;   /* first marker byte, held until the next byte */
    uint8_t quad_n;   /* base64 characters in quad */
    uint8_t quad_pad; /* '=' characters in quad */
    uint8_t hdr[4];   /* raw header after the sync, replayed if it is bad */
    bool active;      /* a frame is in progress (timeouts apply) */
    bool pending;     /* a console frame awaits a continuation line */
    bool line_done;   /* the console line had padding: only '\n' may follow */
    bool dropping;    /* oversized: keep parsing, store nothing */
    uint8_t framing;  /* framing of the frame in progress / delivered */
    wa_smp_frame_stats_t stats;
} wa_smp_frame_dec_t;

/* Prepares dec to write messages of up to cap bytes into buf (owned by the
 * caller, which must outlive dec). A frame not complete timeout_ms after its
 * first byte is dropped. Both framings are accepted at any time. */
void wa_smp_frame_dec_init(wa_smp_frame_dec_t *dec, uint8_t *buf, size_t cap, uint32_t timeout_ms);

/* Feeds one received byte; now_ms is a free-running millisecond clock (it may
 * wrap). On WA_SMP_FEED_PACKET the message is buf[0 .. wa_smp_frame_len(dec))
 * and stays there until the next call. Never fails: bad input is counted. */
wa_smp_feed_t wa_smp_frame_feed(wa_smp_frame_dec_t *dec, uint8_t byte, uint32_t now_ms);

/* Drops a frame in progress that has outlived the timeout, without a byte
 * arriving (call it from an idle loop). Returns true when one was dropped. */
bool wa_smp_frame_poll(wa_smp_frame_dec_t *dec, uint32_t now_ms);

/* Length and framing of the message delivered by the last WA_SMP_FEED_PACKET. */
size_t wa_smp_frame_len(const wa_smp_frame_dec_t *dec);
wa_smp_framing_t wa_smp_frame_framing(const wa_smp_frame_dec_t *dec);

/* The counters (a pointer into dec). */
const wa_smp_frame_stats_t *wa_smp_frame_stats(const wa_smp_frame_dec_t *dec);

/* Receives encoded bytes: one call per console line, three per raw frame
 * (header, message, CRC; no message call when it is empty). Returns 0, or
 * non-zero to stop the encoder. */
typedef int (*wa_smp_frame_write_fn)(void *ctx, const uint8_t *data, size_t len);

/* Encodes msg[0 .. len) in the given framing through write. Returns 0 (WA_OK),
 * WA_ERR_TOO_LARGE when len is above WA_SMP_CONSOLE_MSG_MAX /
 * WA_SMP_RAW_MSG_MAX (nothing written), WA_ERR_INVALID_ARG for a NULL write,
 * an unknown framing or a NULL msg with len > 0, or the first non-zero value
 * write returned (the output is then incomplete). Uses about
 * WA_SMP_CONSOLE_LINE_MAX bytes of stack. */
int wa_smp_frame_encode(wa_smp_framing_t framing, const uint8_t *msg, size_t len,
                        wa_smp_frame_write_fn write, void *ctx);

/* CRC-16/XMODEM of data, continuing from crc (start with 0). */
uint16_t wa_smp_crc16(uint16_t crc, const uint8_t *data, size_t len);

#endif /* WA_SMP_FRAME_H */
