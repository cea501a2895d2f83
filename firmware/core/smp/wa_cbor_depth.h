/*
 * wa_cbor_depth.h - bounds the nesting of untrusted CBOR before a recursive
 * decoder (zcbor_any_skip takes about 80 bytes of stack per level) walks it.
 * The SMP dispatcher checks every request body with it (wa_smp.c), so no
 * handler sees a body nested deeper than WA_SMP_MAX_DEPTH.
 */
#ifndef WA_CBOR_DEPTH_H
#define WA_CBOR_DEPTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting allowed in a request body: the body map is level 1; no request of
 * ours nests deeper than 2. Arrays, maps, tags and indefinite-length strings
 * each count as a level. */
#ifndef WA_SMP_MAX_DEPTH
#define WA_SMP_MAX_DEPTH 8u
#endif

/* True if no item in the CBOR sequence buf[0..len) is nested deeper than
 * max_depth levels (max_depth <= 32). Scans without recursion and with a
 * fixed stack; it does not validate: at a malformed or truncated item it
 * stops and answers for what it read (the decoder refuses the rest). */
bool wa_cbor_depth_ok(const uint8_t *buf, size_t len, uint32_t max_depth);

#endif /* WA_CBOR_DEPTH_H */
