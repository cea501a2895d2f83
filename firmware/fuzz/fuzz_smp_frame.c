/*
 * fuzz_smp_frame.c - the SMP frame decoder (wa_smp_frame.c) on arbitrary
 * bytes, in both framings at once, with a clock that advances by the input's
 * own amounts (so timeouts happen too).
 *
 * Input: byte 0 chooses the buffer size (small buffers drive the oversized
 * paths), then pairs (byte, clock step) follow. Invariants: a delivered
 * message fits the buffer; encoding it again in its framing and decoding that
 * with a fresh decoder gives the same message back; the counters only grow.
 */
#include <string.h>

#include "fuzz_common.h"
#include "wa_smp_frame.h"

static uint8_t s_buf[4096];
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

static void check_round_trip(const wa_smp_frame_dec_t *dec)
{
    size_t len = wa_smp_frame_len(dec);
    collect_t c;
    memset(&c, 0, sizeof c);
    wa_smp_frame_dec_init(&c.dec, s_again, sizeof s_again, 1000);
    int rc = wa_smp_frame_encode(wa_smp_frame_framing(dec), s_buf, len, feed_back, &c);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(c.packets == 1);
    FUZZ_CHECK(c.len == len);
    FUZZ_CHECK(wa_smp_frame_framing(&c.dec) == wa_smp_frame_framing(dec));
    FUZZ_CHECK(memcmp(s_again, s_buf, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[] = {sizeof s_buf, 1, 8, 64, 200, 1024};
    fuzz_in_t in = {data, size};
    size_t cap = caps[fuzz_take(&in, 1) % (sizeof caps / sizeof caps[0])];
    wa_smp_frame_dec_t dec;
    wa_smp_frame_dec_init(&dec, s_buf, cap, 2000);
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
            check_round_trip(&dec);
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
    return 0;
}
