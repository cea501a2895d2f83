/* wa_crc32.c - see wa_crc32.h. Four bytes at a time: the CRC register XOR
 * the next 32-bit word (little-endian), then 32 steps of the bitwise
 * algorithm at once. Those steps are linear, so they are the XOR of the
 * table entries of the register's eight nibbles: eight independent loads
 * per word instead of 32 dependent steps (a chain of shifts a bit at a time
 * cost about as much as the engine's whole load on a fast host). The tables
 * take 512 bytes of RAM, filled at the first call, instead of flash. */
#include "wa_crc32.h"

#define POLY 0xEDB88320u

static uint32_t s_table[8][16]; /* [k][i]: 32 steps of the nibble i at bits 4k..4k+3 */

/* Fills the tables (s_table[0][1] != 0 once filled; a racing caller writes
 * the same values). */
static void fill_table(void)
{
    for (uint32_t k = 8u; k-- > 0u;) {
        for (uint32_t i = 0; i < 16u; i++) {
            uint32_t c = i << (4u * k);
            for (int bit = 0; bit < 32; bit++) {
                c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
            }
            s_table[k][i] = c;
        }
    }
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
    if (s_table[0][1] == 0u) {
        fill_table();
    }
    crc = ~crc;
    for (; len >= 4u; data += 4, len -= 4u) {
        crc = steps32(crc ^ ((uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                             (uint32_t)data[3] << 24));
    }
    for (; len > 0u; data++, len--) { /* a byte at the top: 24 of the 32 steps are shifts */
        crc = (crc >> 8) ^ steps32((crc ^ *data) << 24);
    }
    return ~crc;
}

uint32_t wa_crc32(const uint8_t *data, uint32_t len)
{
    return wa_crc32_update(0, data, len);
}
