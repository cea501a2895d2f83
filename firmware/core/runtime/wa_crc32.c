/* wa_crc32.c - see wa_crc32.h. Four bytes at a time: the CRC register XOR
 * the next 32-bit word (little-endian), then 32 steps of the bitwise
 * algorithm at once. Those steps are linear, so they are the XOR of the
 * table entries of the register's eight nibbles: eight independent loads
 * per word instead of 32 dependent steps (a chain of shifts a bit at a time
 * cost about as much as the engine's whole load on a fast host). The tables
 * take 512 bytes of RAM, filled at the first call, instead of flash. The
 * last 1 to 3 bytes go to the top of the register, where the first of the
 * 32 steps are plain shifts. */
#include "wa_crc32.h"

#define POLY 0xEDB88320u

static uint32_t s_table[8][16]; /* [k][i]: 32 steps of the nibble i at bits 4k..4k+3 */
static volatile int s_ready;

static void fill_table(void)
{
    for (uint32_t k = 0; k < 8u; k++) { /* a racing caller writes the same values */
        for (uint32_t i = 0; i < 16u; i++) {
            uint32_t c = i << (4u * k);
            for (int bit = 0; bit < 32; bit++) {
                c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
            }
            s_table[k][i] = c;
        }
    }
    s_ready = 1;
}

/* 32 steps of the register c: the XOR of its nibbles' entries. */
static uint32_t steps32(uint32_t c)
{
    uint32_t r = 0;
    for (uint32_t k = 0; k < 8u; k++, c >>= 4) {
        r ^= s_table[k][c & 15u];
    }
    return r;
}

uint32_t wa_crc32_update(uint32_t crc, const uint8_t *data, uint32_t len)
{
    if (!s_ready) {
        fill_table();
    }
    crc = ~crc;
    while (len > 0u) {
        uint32_t n = len < 4u ? len : 4u; /* the last 1 to 3 bytes go to the top */
        uint32_t c = crc;
        for (uint32_t i = 0; i < n; i++) {
            c ^= (uint32_t)data[i] << (8u * i);
        }
        crc = (n < 4u ? c >> (8u * n) : 0u) ^ steps32(c << (32u - 8u * n));
        data += n;
        len -= n;
    }
    return ~crc;
}

uint32_t wa_crc32(const uint8_t *data, uint32_t len)
{
    return wa_crc32_update(0, data, len);
}
