/*
 * fuzz_smp_frame.c - the SMP frame decoder (wa_smp_frame.c) on arbitrary
 * bytes, in both framings at once, with a clock that advances by the input's
 * own amounts (so timeouts happen too).
 *
 * Input: byte 0 chooses the buffer size (small buffers drive the oversized
 * paths; the buffer is allocated to exactly that size, so ASan sees a byte
 * past it). Bit 7 clear: pairs (byte, clock step) follow. Invariants: a
 * delivered message fits the buffer; encoding it again in its framing and
 * decoding that with a fresh decoder gives the same message back; the
 * counters only grow. Bit 7 set: records [framing byte][be16 length][message]
 * follow, which the harness encodes (valid frames of any length, which random
 * bytes rarely are: the CRC) and feeds: each must be delivered intact when it
 * fits the buffer, and dropped as oversized when it does not.
 */
#include <string.h>

#include "fuzz_common.h"
#include "wa_smp_frame.h"

static uint8_t s_again[4096];

typedef struct collect {
    wa_smp_frame_dec_t dec;
    int packets;
    size_t len;
} collect_t;

static int feed_back(void *ctx, const uint8_t *data, size_t len)
{
    collect_t *c = ctx;
    for (size_t i = 0; i < len; i++) {
        if (wa_smp_frame_feed(&c->dec, data[i], 0) == WA_SMP_FEED_PACKET) {
            c->packets++;
            c->len = wa_smp_frame_len(&c->dec);
        }
    }
    return 0;
}

static void check_round_trip(const wa_smp_frame_dec_t *dec, const uint8_t *buf)
{
    size_t len = wa_smp_frame_len(dec);
    collect_t c;
    memset(&c, 0, sizeof c);
    wa_smp_frame_dec_init(&c.dec, s_again, sizeof s_again, 1000);
    int rc = wa_smp_frame_encode(wa_smp_frame_framing(dec), buf, len, feed_back, &c);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(c.packets == 1);
    FUZZ_CHECK(c.len == len);
    FUZZ_CHECK(wa_smp_frame_framing(&c.dec) == wa_smp_frame_framing(dec));
    FUZZ_CHECK(memcmp(s_again, buf, len) == 0);
}

typedef struct feeder {
    wa_smp_frame_dec_t *dec;
    uint32_t now; /* constant: a frame of 4 KiB would outlast the timeout byte by byte */
    int packets;
} feeder_t;

static int feed_dec(void *ctx, const uint8_t *data, size_t len)
{
    feeder_t *f = ctx;
    for (size_t i = 0; i < len; i++) {
        if (wa_smp_frame_feed(f->dec, data[i], f->now) == WA_SMP_FEED_PACKET) {
            f->packets++;
        }
    }
    return 0;
}

/* Structured mode: frames the harness encodes itself. */
static void valid_frames(fuzz_in_t *in, wa_smp_frame_dec_t *dec, const uint8_t *buf, size_t cap)
{
    feeder_t f = {dec, 0, 0};
    while (in->n > 0) {
        wa_smp_framing_t framing =
            fuzz_take(in, 1) & 1u ? WA_SMP_FRAMING_RAW : WA_SMP_FRAMING_CONSOLE;
        size_t len = fuzz_take(in, 2) % (cap + 64u);
        len = len < in->n ? len : in->n;
        uint32_t oversized = wa_smp_frame_stats(dec)->oversized;
        f.packets = 0;
        FUZZ_CHECK(wa_smp_frame_encode(framing, in->p, len, feed_dec, &f) == 0);
        if (len <= cap) {
            FUZZ_CHECK(f.packets == 1 && wa_smp_frame_len(dec) == len);
            FUZZ_CHECK(wa_smp_frame_framing(dec) == framing);
            FUZZ_CHECK(memcmp(buf, in->p, len) == 0);
        } else {
            FUZZ_CHECK(f.packets == 0 && wa_smp_frame_stats(dec)->oversized == oversized + 1);
        }
        in->p += len;
        in->n -= len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = {sizeof s_again, 1, 8, 64, 200, 1024};
    fuzz_in_t in = {data, size};
    uint8_t mode = (uint8_t)fuzz_take(&in, 1);
    size_t cap = caps[(mode & 0x7Fu) % (sizeof caps / sizeof caps[0])];
    uint8_t *buf = malloc(cap); /* exactly cap bytes: ASan sees a byte written past it */
    FUZZ_CHECK(buf != NULL);
    wa_smp_frame_dec_t dec;
    wa_smp_frame_dec_init(&dec, buf, cap, 2000);
    if (mode & 0x80u) {
        valid_frames(&in, &dec, buf, cap);
        free(buf);
        return 0;
    }
    uint32_t now = 0xFFFFF000u; /* the clock wraps during long inputs */
    wa_smp_frame_stats_t last = *wa_smp_frame_stats(&dec);
    while (in.n > 0) {
        uint8_t byte = (uint8_t)fuzz_take(&in, 1);
        uint8_t step = (uint8_t)fuzz_take(&in, 1);
        now += step < 250 ? step % 4u : (uint32_t)step * 100u;
        wa_smp_feed_t r = wa_smp_frame_feed(&dec, byte, now);
        FUZZ_CHECK(r == WA_SMP_FEED_BUSY || r == WA_SMP_FEED_TEXT || r == WA_SMP_FEED_PACKET);
        if (r == WA_SMP_FEED_PACKET) {
            FUZZ_CHECK(wa_smp_frame_len(&dec) <= cap);
            check_round_trip(&dec, buf);
        }
        if (step == 0xFF) {
            (void)wa_smp_frame_poll(&dec, now);
        }
        const wa_smp_frame_stats_t *s = wa_smp_frame_stats(&dec);
        FUZZ_CHECK(s->frames_ok >= last.frames_ok && s->bad_crc >= last.bad_crc &&
                   s->oversized >= last.oversized && s->timeouts >= last.timeouts &&
                   s->malformed >= last.malformed && s->garbage_bytes >= last.garbage_bytes);
        last = *s;
    }
    free(buf);
    return 0;
}
