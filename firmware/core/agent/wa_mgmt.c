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
    size_t len =
        wa_smp_handle(&s_device, s_rx, wa_smp_frame_len(&s_dec), s_tx, sizeof s_tx, &after);
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

void wa_mgmt_poll(void)
{
    uint8_t chunk[64];
    size_t n;
    uint32_t now = (uint32_t)(wa_port_time_us() / 1000u);
    while ((n = wa_port_mgmt_read(chunk, sizeof chunk)) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (wa_smp_frame_feed(&s_dec, chunk[i], now) == WA_SMP_FEED_PACKET) {
                handle_packet();
            }
        }
    }
    (void)wa_smp_frame_poll(&s_dec, now);
}
