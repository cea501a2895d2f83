/*
 * wa_flash_rules.h - the flash rules of wa_port.h, written once for every
 * port: range checks, NOR writes (only onto erased bytes), page-aligned
 * erases. A port calls these before touching its backing store.
 */
#ifndef WA_FLASH_RULES_H
#define WA_FLASH_RULES_H

#include <stdint.h>

/* WA_OK, or WA_ERR_INVALID_ARG if [off, off+len) leaves the area or buf is
 * NULL with len > 0. */
int wa_flash_check_access(uint32_t off, const void *buf, uint32_t len);

/* As wa_flash_check_access, then WA_ERR_BAD_STATE if any target byte in the
 * current contents `view` is not erased. */
int wa_flash_check_write(const uint8_t *view, uint32_t off, const void *buf, uint32_t len);

/* WA_OK, or WA_ERR_INVALID_ARG if out of range or not page-aligned. */
int wa_flash_check_erase(uint32_t off, uint32_t len);

#endif /* WA_FLASH_RULES_H */
