/* wa_cbor_depth.c - see wa_cbor_depth.h. */
#include "wa_cbor_depth.h"

#define LEVELS_MAX 32u
#define INDEFINITE UINT64_MAX

/* The argument of the head at buf[*at] (RFC 8949, 3.1); *indef for the
 * additional info 31. False if the head is truncated or reserved. */
static bool read_head(const uint8_t *buf, size_t len, size_t *at, uint64_t *arg, bool *indef)
{
    uint8_t ai = buf[*at] & 0x1Fu;
    size_t n = ai < 24u || ai > 27u ? 0u : (size_t)1u << (ai - 24u);
    *at += 1u;
    *indef = ai == 31u;
    *arg = ai < 24u ? ai : 0u;
    if ((ai > 27u && ai != 31u) || n > len - *at) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        *arg = (*arg << 8) | buf[*at + i];
    }
    *at += n;
    return true;
}

bool wa_cbor_depth_ok(const uint8_t *buf, size_t len, uint32_t max_depth)
{
    uint64_t left[LEVELS_MAX + 1u]; /* items left in each open container */
    uint32_t depth = 0;
    size_t at = 0;
    left[0] = INDEFINITE; /* the sequence itself */
    max_depth = max_depth < LEVELS_MAX ? max_depth : LEVELS_MAX;
    while (at < len) {
        if (left[depth] == 0u) {
            depth--; /* a container of known length ended */
            continue;
        }
        uint8_t major = buf[at] >> 5;
        if (buf[at] == 0xFFu) { /* break: ends an indefinite container */
            if (depth == 0u || left[depth] != INDEFINITE) {
                return true;
            }
            at++;
            depth--;
            continue;
        }
        uint64_t arg;
        bool indef;
        if (!read_head(buf, len, &at, &arg, &indef)) {
            return true;
        }
        if (left[depth] != INDEFINITE) {
            left[depth]--;
        }
        if ((major == 2u || major == 3u) && !indef) {
            if (arg > len - at) {
                return true;
            }
            at += (size_t)arg;
            continue;
        }
        if (major < 2u || major == 7u) {
            continue;
        }
        if (depth >= max_depth) {
            return false;
        }
        depth++;
        left[depth] = indef ? INDEFINITE : major == 6u ? 1u : major == 5u ? arg * 2u : arg;
        if (major == 5u && !indef && arg > UINT64_MAX / 2u) {
            return true;
        }
    }
    return true;
}
