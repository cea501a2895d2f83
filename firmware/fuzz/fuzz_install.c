/*
 * fuzz_install.c - the install path from upload to load: the upload's first
 * request (wa_install_begin) and its chunks (wa_install_chunk), as the SMP
 * upload command drives them, with `start`, so a complete upload is checked,
 * installed into the RAM flash and loaded through the runtime (wasm3) on its
 * trial; then the app is removed, so every input finds the same free slots.
 *
 * Input: byte 0: bit 0 the bytes are a bundle (else a bare module), bits 1-7
 * the chunk size (1 + 64 * value bytes); byte 1: chunks sent twice or out of
 * order when its bits say so (a retrying client); the rest is the module or
 * bundle. Invariants: the upload reports the offsets it was given; once done
 * the app is installed under its name, and removing it succeeds.
 */
#include <string.h>

#include "fuzz_port.h"
#include "wa_err.h"
#include "wa_install.h"
#include "wa_runner.h"
#include "wa_sha256.h"

#define NAME "fz"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_device_boot();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    uint8_t mode = (uint8_t)fuzz_take(&in, 1);
    uint8_t retry = (uint8_t)fuzz_take(&in, 1);
    if (in.n == 0 || in.n > 128u * 1024u) {
        return 0;
    }
    uint8_t sha[WA_SHA256_DIGEST_LEN];
    wa_sha256(in.p, in.n, sha);
    wa_install_req_t req;
    memset(&req, 0, sizeof req);
    req.name = NAME;
    req.name_len = sizeof NAME - 1;
    req.len = (uint32_t)in.n;
    req.sha = sha;
    req.grants = 0xFFFFFFFFu;
    req.start = true;
    req.bundle = mode & 1u;
    uint32_t chunk = 1u + 64u * (mode >> 1);

    wa_install_res_t res;
    memset(&res, 0, sizeof res);
    int rc = wa_install_begin(&req, &res);
    uint32_t off = res.next_off;
    for (unsigned round = 0; rc == WA_OK && !res.done && off < in.n; round++) {
        uint32_t n = (uint32_t)in.n - off < chunk ? (uint32_t)in.n - off : chunk;
        if (retry & (1u << (round % 8u)) && off >= chunk) {
            /* the previous chunk again: nothing is written, the offset stays */
            rc = wa_install_chunk(off - chunk, in.p + off - chunk, chunk, &res);
            FUZZ_CHECK(rc != WA_OK || res.next_off == off);
            if (rc != WA_OK) {
                break;
            }
        }
        rc = wa_install_chunk(off, in.p + off, n, &res);
        if (rc == WA_OK) {
            FUZZ_CHECK(res.done || res.next_off == off + n);
            off = res.next_off;
        }
    }
    if (rc == WA_OK && res.done) {
        FUZZ_CHECK(wa_life_current(NAME, sizeof NAME - 1) >= 0 ||
                   wa_life_newest(NAME, sizeof NAME - 1) >= 0);
    }
    wa_install_forget(NAME, sizeof NAME - 1);
    if (wa_life_newest(NAME, sizeof NAME - 1) >= 0 || wa_life_current(NAME, sizeof NAME - 1) >= 0) {
        FUZZ_CHECK(wa_life_remove(NAME, sizeof NAME - 1) == WA_OK);
    }
    FUZZ_CHECK(wa_life_newest(NAME, sizeof NAME - 1) < 0);
    return 0;
}
