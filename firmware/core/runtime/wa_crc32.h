/*
 * wa_crc32.h - CRC-32 (IEEE 802.3, as zlib.crc32): the store's records and
 * slots, and the integrity of an installed image checked at every load
 * (docs/architecture.md, "Cold start").
 */
#ifndef WA_CRC32_H
#define WA_CRC32_H

#include <stdint.h>

/* The CRC-32 of len bytes, and the same continued from crc. */
uint32_t wa_crc32(const uint8_t *data, uint32_t len);
uint32_t wa_crc32_update(uint32_t crc, const uint8_t *data, uint32_t len);

#endif /* WA_CRC32_H */
