/*
 * port_flash.c - the app flash area: a host file (flash.bin in QEMU's working
 * directory, over semihosting) with a memory-mapped window in the code SSRAM.
 *
 * The window is loaded from the file at boot; every write and erase goes to
 * the file first (so it is durable when the call returns: QEMU writes it
 * straight to the host file) and then to the window. Images built with
 * WA_FLASH_FAULTS=1 pass every write and erase through the fault injector
 * (port_faults.c) first.
 */
#include <stdint.h>
#include <string.h>

#include "cm_regs.h"
#include "semihost.h"
#include "wa_err.h"
#include "wa_flash_rules.h"
#include "wa_port.h"
#include "wa_store_layout.h"

#define FLASH_FILE "flash.bin"

#ifndef WA_FLASH_FAULTS
#define WA_FLASH_FAULTS 0
#endif
#if WA_FLASH_FAULTS
#define STORE(kind, off, data, len) cm_faults_store(kind, off, data, len)
#else
#define STORE(kind, off, data, len) cm_flash_store(off, data, len)
#endif

_Static_assert(WA_STORE_FLASH_BYTES % WA_STORE_PAGE == 0, "flash area is not whole pages");
_Static_assert(WA_STORE_FLASH_BYTES <= WA_BOARD_FLASH_WINDOW_BYTES,
               "the app flash area does not fit the board's flash window");

/* Outside the board's RAM: the linker puts it in the FLASHWIN region. */
static uint8_t s_window[WA_STORE_FLASH_BYTES] __attribute__((section(".flash_window"), aligned(8)));
static int s_fd = -1;

/* Writes len erased bytes to the file at off, from a small erased buffer (a
 * page erase is a few dozen semihosting writes). */
static int file_fill_erased(uint32_t off, uint32_t len)
{
    uint8_t erased[128];
    memset(erased, WA_FLASH_ERASED, sizeof erased);
    if (sh_seek(s_fd, off) != 0) {
        return WA_ERR_UNKNOWN;
    }
    while (len > 0) {
        uint32_t n = len < sizeof erased ? len : (uint32_t)sizeof erased;
        if (sh_write(s_fd, erased, n) != 0) {
            return WA_ERR_UNKNOWN;
        }
        len -= n;
    }
    return WA_OK;
}

void cm_flash_init(void)
{
    s_fd = sh_open(FLASH_FILE, "r+b");
    if (s_fd < 0) {
        s_fd = sh_open(FLASH_FILE, "w+b");
    }
    memset(s_window, WA_FLASH_ERASED, sizeof s_window);
    if (s_fd < 0) {
        static const char msg[] = "port: cannot open " FLASH_FILE " (semihosting)\n";
        wa_port_console_write(msg, sizeof msg - 1);
        return;
    }
    long have = sh_flen(s_fd);
    uint32_t keep = have <= 0 ? 0 : (uint32_t)have;
    keep = keep > sizeof s_window ? (uint32_t)sizeof s_window : keep;
    if (keep > 0 && (sh_seek(s_fd, 0) != 0 || sh_read(s_fd, s_window, keep) != 0)) {
        memset(s_window, WA_FLASH_ERASED, sizeof s_window);
        keep = 0;
    }
    if (keep < sizeof s_window) { /* the window past keep is erased already */
        cm_flash_sync(keep, (uint32_t)sizeof s_window - keep);
    }
#if WA_FLASH_FAULTS
    cm_faults_init();
#endif
}

int cm_flash_store(uint32_t off, const uint8_t *data, uint32_t len)
{
    if (s_fd < 0) {
        return WA_ERR_UNKNOWN;
    }
    if (data == NULL) {
        int rc = file_fill_erased(off, len);
        if (rc == WA_OK) {
            memset(s_window + off, WA_FLASH_ERASED, len);
        }
        return rc;
    }
    if (sh_seek(s_fd, off) != 0 || sh_write(s_fd, data, len) != 0) {
        return WA_ERR_UNKNOWN;
    }
    memcpy(s_window + off, data, len);
    return WA_OK;
}

uint8_t *cm_flash_window(void)
{
    return s_window;
}

int cm_flash_sync(uint32_t off, uint32_t len)
{
    return s_fd >= 0 && sh_seek(s_fd, off) == 0 && sh_write(s_fd, s_window + off, len) == 0
               ? WA_OK
               : WA_ERR_UNKNOWN;
}

uint32_t wa_port_flash_size(void)
{
    return WA_STORE_FLASH_BYTES;
}

uint32_t wa_port_flash_page_size(void)
{
    return WA_STORE_PAGE;
}

const uint8_t *wa_port_flash_map(void)
{
    return s_window;
}

int wa_port_flash_read(uint32_t off, void *buf, uint32_t len)
{
    int rc = wa_flash_check_access(off, buf, len);
    if (rc != WA_OK) {
        return rc;
    }
    memcpy(buf, s_window + off, len);
    return WA_OK;
}

int wa_port_flash_write(uint32_t off, const void *buf, uint32_t len)
{
    int rule = wa_flash_check_write(s_window, off, buf, len);
    if (rule != WA_OK) {
        return rule;
    }
    return len == 0 ? WA_OK : STORE('P', off, buf, len);
}

int wa_port_flash_erase(uint32_t off, uint32_t len)
{
    int rule = wa_flash_check_erase(off, len);
    if (rule != WA_OK) {
        return rule;
    }
    return STORE('E', off, NULL, len);
}
