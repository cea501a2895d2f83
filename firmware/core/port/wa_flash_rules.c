/* wa_flash_rules.c - see wa_flash_rules.h. */
#include "wa_flash_rules.h"

#include <stddef.h>

#include "wa_err.h"
#include "wa_port.h"
#include "wa_store_layout.h"

int wa_flash_check_access(uint32_t off, const void *buf, uint32_t len)
{
    int in_range = off <= WA_STORE_FLASH_BYTES && len <= WA_STORE_FLASH_BYTES - off;
    return in_range && (buf != NULL || len == 0) ? WA_OK : WA_ERR_INVALID_ARG;
}

int wa_flash_check_write(const uint8_t *view, uint32_t off, const void *buf, uint32_t len)
{
    int rc = wa_flash_check_access(off, buf, len);
    for (uint32_t i = 0; rc == WA_OK && i < len; i++) {
        if (view[off + i] != WA_FLASH_ERASED) {
            rc = WA_ERR_BAD_STATE;
        }
    }
    return rc;
}

int wa_flash_check_erase(uint32_t off, uint32_t len)
{
    int aligned = off % WA_STORE_PAGE == 0 && len % WA_STORE_PAGE == 0;
    return aligned ? wa_flash_check_access(off, (const void *)1, len) : WA_ERR_INVALID_ARG;
}
