/*
 * wa_smp.h - the SMP (MCUmgr) server: message header, command dispatch,
 * and the standard OS group (echo, reset, mcumgr params, info), so standard
 * SMP clients can talk to every device. Other groups (the wasm-app group,
 * id 64, in firmware/core/agent/wa_apps_smp.c) plug in with
 * wa_smp_register().
 *
 * A message is an 8-byte header and a CBOR map body. Header byte 0 holds the
 * operation in bits 0-2 and the protocol version in bits 3-4 (1 = SMP v2);
 * length, group are big-endian. Errors of the management layer are answered
 * as {"rc": N} with MCUmgr's codes (wa_smp_rc below).
 */
#ifndef WA_SMP_H
#define WA_SMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zcbor_common.h"

#define WA_SMP_HEADER_SIZE 8u
#define WA_SMP_VERSION_2 1u

enum wa_smp_op {
    WA_SMP_OP_READ = 0,
    WA_SMP_OP_READ_RSP = 1,
    WA_SMP_OP_WRITE = 2,
    WA_SMP_OP_WRITE_RSP = 3
};

enum wa_smp_group { WA_SMP_GROUP_OS = 0, WA_SMP_GROUP_APP = 64 };

enum wa_smp_os_cmd {
    WA_SMP_OS_ECHO = 0,
    WA_SMP_OS_RESET = 5,
    WA_SMP_OS_PARAMS = 6,
    WA_SMP_OS_INFO = 7
};

/* MCUmgr management-layer result codes ("rc"). */
enum wa_smp_rc {
    WA_SMP_RC_OK = 0,
    WA_SMP_RC_EUNKNOWN = 1,
    WA_SMP_RC_ENOMEM = 2,
    WA_SMP_RC_EINVAL = 3,
    WA_SMP_RC_ENOENT = 5,
    WA_SMP_RC_EMSGSIZE = 7,
    WA_SMP_RC_ENOTSUP = 8,
};

typedef struct wa_smp_header {
    uint8_t op;
    uint8_t version;
    uint8_t flags;
    uint16_t len; /* body bytes */
    uint16_t group;
    uint8_t seq;
    uint8_t id;
} wa_smp_header_t;

/* Reads a header; returns 0, or WA_SMP_RC_EINVAL if n < 8 or len disagrees
 * with n - 8. */
int wa_smp_header_decode(const uint8_t *msg, size_t n, wa_smp_header_t *h);
void wa_smp_header_encode(const wa_smp_header_t *h, uint8_t out[WA_SMP_HEADER_SIZE]);

/* What the transport must do once the response is sent. */
enum wa_smp_after { WA_SMP_AFTER_NOTHING = 0, WA_SMP_AFTER_RESET = 1 };

/* Device facts the OS group reports. */
typedef struct wa_smp_device {
    const char *board;
    const char *cpu;
    const char *version;
    uint32_t buf_size; /* largest message the transport accepts */
} wa_smp_device_t;

/* One call of a command: its handler gets the request body and the response
 * encoder (a map is open, the handler adds its entries) and returns a
 * wa_smp_rc; on an error the response becomes {"rc": rc}. */
typedef struct wa_smp_call {
    const wa_smp_device_t *dev;
    const uint8_t *body;
    size_t body_len;
    zcbor_state_t *enc;
    int after; /* enum wa_smp_after */
} wa_smp_call_t;

typedef int (*wa_smp_handler_t)(wa_smp_call_t *call);

typedef struct wa_smp_command {
    uint16_t group;
    uint8_t id;
    uint8_t op; /* WA_SMP_OP_READ or WA_SMP_OP_WRITE */
    wa_smp_handler_t handler;
} wa_smp_command_t;

/* The answers' keys and values, for the handlers: each writes key (a text)
 * and its value into the answer's map; false when it does not fit. */
bool wa_smp_put_key(zcbor_state_t *e, const char *key);
bool wa_smp_put_str(zcbor_state_t *e, const char *key, const char *value, size_t cap);
bool wa_smp_put_uint(zcbor_state_t *e, const char *key, uint32_t value);
bool wa_smp_put_int(zcbor_state_t *e, const char *key, int32_t value);
bool wa_smp_put_bool(zcbor_state_t *e, const char *key, bool value);
/* key, then the start of a map of at most n entries. */
bool wa_smp_put_map(zcbor_state_t *e, const char *key, size_t n);

/* Adds a table of commands (another group) after the OS group's; the table
 * must outlive the server. One extra table; a second call replaces it. */
void wa_smp_register(const wa_smp_command_t *table, size_t count);

/*
 * Handles one request message and writes the response message (header and
 * body) into rsp. Returns the response length (0: no response, e.g. the
 * request was itself a response). *after tells the transport what to do
 * once the response is out.
 */
size_t wa_smp_handle(const wa_smp_device_t *dev, const uint8_t *req, size_t req_len, uint8_t *rsp,
                     size_t rsp_cap, int *after);

#endif /* WA_SMP_H */
