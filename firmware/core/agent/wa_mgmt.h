/*
 * wa_mgmt.h - the management transport: bytes from the management UART
 * through the SMP frame decoder (both framings) to the SMP server, and each
 * response back in the framing of its request.
 */
#ifndef WA_MGMT_H
#define WA_MGMT_H

/* Largest SMP message (header + body) either way; reported as buf_size. */
#ifndef WA_MGMT_BUF
#define WA_MGMT_BUF 1024u
#endif

/* A frame not complete this long after its first byte is dropped. */
#ifndef WA_MGMT_FRAME_TIMEOUT_MS
#define WA_MGMT_FRAME_TIMEOUT_MS 1000u
#endif

void wa_mgmt_init(void);

/* Handles whatever the management UART received; never blocks. */
void wa_mgmt_poll(void);

#endif /* WA_MGMT_H */
