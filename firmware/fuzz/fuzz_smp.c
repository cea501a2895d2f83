/*
 * fuzz_smp.c - the SMP server's request entry point (wa_smp_handle) with
 * every group registered as on the device (the OS group and the wasm-app
 * group), over the simulated board's port with a RAM flash: arbitrary
 * requests, one after another, against one device that keeps its state
 * (flash, installed apps, uploads in progress) from input to input, as a
 * device under a hostile client does. A crash file replays from a fresh boot.
 *
 * Input: records of [op byte][group byte][id byte][be16 body length][body].
 * op: bits 0-2 the operation, bits 3-4 the SMP version; bit 7 set: the header's
 * length field is the next two input bytes instead of the body's true length.
 * group: bit 0 picks the OS group (0) or the wasm-app group (64); bit 7 set:
 * the byte itself is the group. Invariants: a response fits its buffer, its
 * header is well formed, answers the request's group, id and sequence number
 * with the matching response operation.
 */
#include <string.h>

#include "fuzz_port.h"
#include "wa_agent_config.h"
#include "wa_board.h"
#include "wa_mgmt.h"
#include "wa_smp.h"

static const wa_smp_device_t s_device = {WA_BOARD_NAME, WA_BOARD_CPU, WA_AGENT_VERSION,
                                         WA_MGMT_BUF};
static uint8_t s_req[WA_MGMT_BUF];
static uint8_t s_rsp[WA_MGMT_TX_BUF];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_device_boot();
    return 0;
}

static void one_request(fuzz_in_t *in, uint8_t seq)
{
    wa_smp_header_t h;
    uint8_t op = (uint8_t)fuzz_take(in, 1);
    uint8_t group = (uint8_t)fuzz_take(in, 1);
    h.id = (uint8_t)fuzz_take(in, 1);
    size_t body = fuzz_take(in, 2);
    h.op = op & 7u;
    h.version = (op >> 3) & 3u;
    h.flags = 0;
    h.group = group & 0x80u ? group : (group & 1u ? WA_SMP_GROUP_APP : WA_SMP_GROUP_OS);
    h.seq = seq;
    if (body > in->n) {
        body = in->n;
    }
    if (body > sizeof s_req - WA_SMP_HEADER_SIZE) {
        body = sizeof s_req - WA_SMP_HEADER_SIZE;
    }
    h.len = op & 0x80u ? (uint16_t)fuzz_take(in, 2) : (uint16_t)body;
    if (body > in->n) {
        body = in->n;
    }
    wa_smp_header_encode(&h, s_req);
    memcpy(s_req + WA_SMP_HEADER_SIZE, in->p, body);
    in->p += body;
    in->n -= body;

    int after = WA_SMP_AFTER_NOTHING;
    size_t n =
        wa_smp_handle(&s_device, s_req, WA_SMP_HEADER_SIZE + body, s_rsp, sizeof s_rsp, &after);
    FUZZ_CHECK(n <= sizeof s_rsp);
    FUZZ_CHECK(after == WA_SMP_AFTER_NOTHING || after == WA_SMP_AFTER_RESET);
    if (n == 0) {
        return;
    }
    wa_smp_header_t r;
    FUZZ_CHECK(wa_smp_header_decode(s_rsp, n, &r) == 0);
    FUZZ_CHECK(r.group == h.group && r.id == h.id && r.seq == h.seq);
    FUZZ_CHECK(r.op == (h.op | 1u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    uint8_t seq = 0;
    while (in.n > 0) {
        one_request(&in, seq++);
    }
    return 0;
}
