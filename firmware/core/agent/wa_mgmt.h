/*
 * wa_mgmt.h - the management transport: bytes from the management UART
 * through the SMP frame decoder (both framings) to the SMP server, and each
 * response back in the framing of its request.
 */
#ifndef WA_MGMT_H
#define WA_MGMT_H

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

void wa_mgmt_init(void);

/* Handles whatever the management UART received; never blocks. */
void wa_mgmt_poll(void);

#endif /* WA_MGMT_H */
