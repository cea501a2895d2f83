/* wa_mgmt.c - see wa_mgmt.h. */
#include "wa_mgmt.h"

#include <stdint.h>

#include "wa_agent_config.h"
#include "wa_console.h"
#include "wa_port.h"
#include "wa_smp.h"
#include "wa_smp_frame.h"
#include "wa_store.h"

static uint8_t s_rx[WA_MGMT_BUF];
static uint8_t s_tx[WA_MGMT_TX_BUF];
static wa_smp_frame_dec_t s_dec;
static uint8_t s_chunk[64]; /* read from the UART, not fed to the decoder yet */
static size_t s_chunk_at;
static size_t s_chunk_len;
static int s_in_call;  /* serving from inside an app's call (its sleep) */
static int s_handling; /* inside a request: an app it started may sleep */
static int s_held;     /* a whole request waits in s_rx for the app's call to end */

static const wa_smp_device_t s_device = {WA_BOARD_NAME, WA_BOARD_CPU, WA_AGENT_VERSION,
                                         WA_MGMT_BUF};

void wa_mgmt_init(void)
{
    wa_smp_frame_dec_init(&s_dec, s_rx, sizeof s_rx, WA_MGMT_FRAME_TIMEOUT_MS);
}

static int uart_write(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    wa_port_mgmt_write(data, len);
    return 0;
}

static void handle_packet(void)
{
    int after = WA_SMP_AFTER_NOTHING;
    s_handling = 1;
    size_t len =
        wa_smp_handle(&s_device, s_rx, wa_smp_frame_len(&s_dec), s_tx, sizeof s_tx, &after);
    s_handling = 0;
    if (len > 0) {
        (void)wa_smp_frame_encode(wa_smp_frame_framing(&s_dec), s_tx, len, uart_write, NULL);
    }
    if (after == WA_SMP_AFTER_RESET) {
        wa_console_printf("reset requested over SMP\n");
        (void)wa_store_incident(WA_BOOT_SOFTWARE, WA_NO_SLOT);
        wa_port_sleep_ms(20); /* let the response leave the UART */
        wa_port_reset();
    }
}

/* Whether the request in s_rx must wait for the app's call to return: the
 * wasm-app group's writes (upload, start, stop, rm, confirm, rollback, and
 * config set, which calls on_config) may load, stop, free or call apps,
 * which must not happen inside an app's call. */
static int must_wait(void)
{
    wa_smp_header_t h;
    return s_in_call && wa_smp_header_decode(s_rx, wa_smp_frame_len(&s_dec), &h) == 0 &&
           h.group == WA_SMP_GROUP_APP && h.op == WA_SMP_OP_WRITE;
}

/* Feeds at most budget bytes to the decoder, up to the first request that
 * completes, which it handles (or holds): one request per poll, so the
 * callbacks a request causes (a message's on_message) run before the next. */
static void feed(uint32_t budget, uint32_t now_ms)
{
    while (budget > 0 && !s_held) {
        if (s_chunk_at == s_chunk_len) {
            s_chunk_len = wa_port_mgmt_read(s_chunk, sizeof s_chunk);
            s_chunk_at = 0;
            if (s_chunk_len == 0) {
                return;
            }
        }
        budget--;
        if (wa_smp_frame_feed(&s_dec, s_chunk[s_chunk_at++], now_ms) == WA_SMP_FEED_PACKET) {
            s_held = must_wait();
            if (!s_held) {
                handle_packet();
            }
            return;
        }
    }
}

void wa_mgmt_poll(void)
{
    uint32_t now = (uint32_t)(wa_port_time_us() / 1000u);
    if (s_held && !s_in_call) {
        s_held = 0;
        handle_packet();
    }
    feed(WA_MGMT_POLL_BYTES, now);
    if (!s_held) {
        (void)wa_smp_frame_poll(&s_dec, now);
    }
}

int wa_mgmt_pending(void)
{
    return s_chunk_at < s_chunk_len || (s_held && !s_in_call);
}

void wa_mgmt_serve_until(uint64_t until_us)
{
    if (s_handling || s_in_call) {
        uint64_t now = wa_port_time_us();
        wa_port_sleep_ms(now < until_us ? (uint32_t)((until_us - now + 999u) / 1000u) : 0u);
        return;
    }
    s_in_call = 1;
    for (;;) {
        wa_mgmt_poll();
        uint64_t now = wa_port_time_us();
        if (now >= until_us) {
            break;
        }
        uint32_t ms = (uint32_t)((until_us - now + 999u) / 1000u);
        if (s_held) {
            wa_port_sleep_ms(ms); /* nothing more is read until the call ends */
        } else if (!wa_mgmt_pending()) {
            wa_port_mgmt_wait(ms);
        }
    }
    s_in_call = 0;
}
