/*
 * wa_mgmt.h - the management transport: bytes from the management UART
 * through the SMP frame decoder (both framings) to the SMP server, and each
 * response back in the framing of its request.
 */
#ifndef WA_MGMT_H
#define WA_MGMT_H

#include <stdint.h>

/* Largest SMP request (header + body); reported as buf_size. 4 KiB makes
 * the per-chunk turnaround of an upload small against the line time (make
 * bench: 1 KiB gave 90% of line rate with raw framing, 4 KiB gives 97%). */
#ifndef WA_MGMT_BUF
#define WA_MGMT_BUF 4096u
#endif

/* Largest response: the answers are small, logs fill what there is. */
#ifndef WA_MGMT_TX_BUF
#define WA_MGMT_TX_BUF 1024u
#endif

/* A frame not complete this long after its first byte is dropped: a full
 * buf_size frame in console framing takes 0.5 s at 115200 baud, 1.5 s at
 * 38400. */
#ifndef WA_MGMT_FRAME_TIMEOUT_MS
#define WA_MGMT_FRAME_TIMEOUT_MS 2000u
#endif

/* Bytes of the management UART one wa_mgmt_poll() feeds to the decoder at
 * most: the caller checks the time between polls, so a flood of bytes can
 * neither starve the apps' rounds nor keep the watchdog from being fed. */
#ifndef WA_MGMT_POLL_BYTES
#define WA_MGMT_POLL_BYTES 1024u
#endif

void wa_mgmt_init(void);

/* Handles what the management UART received, up to WA_MGMT_POLL_BYTES
 * bytes and one request (the rest waits for the next call); never blocks. */
void wa_mgmt_poll(void);

/* Whether bytes already read (or a request held back) wait for the next
 * wa_mgmt_poll(), which the port's wa_port_mgmt_wait() cannot see. */
int wa_mgmt_pending(void);

/* Serves SMP until until_us (the agent's time) from inside an app's call:
 * the native sleep_ms waits here instead of sleeping. Read requests (status,
 * list, logs) and the OS group are answered at once; a request that could
 * load, stop or free an app (the wasm-app group's writes) waits, and the
 * bytes after it stay unread, until the call has returned and the agent's
 * loop polls again. Inside a request (an app it started) this only sleeps. */
void wa_mgmt_serve_until(uint64_t until_us);

#endif /* WA_MGMT_H */
