/*
 * port_flash.c - the app flash area: a host file (--flash, default flash.bin
 * in the working directory) mapped MAP_SHARED, which is also the
 * memory-mapped view the core reads modules from in place.
 *
 * Every write and erase passes the fault injector (port_faults.c) first.
 * A write or erase changes the mapping, i.e. the kernel's page cache of the
 * file: it survives the process being killed (the harness's power cut is a
 * SIGKILL), though not a crash of the host OS, which is not modelled.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_port.h"
#include "wa_err.h"
#include "wa_flash_rules.h"
#include "wa_port.h"
#include "wa_store_layout.h"

_Static_assert(WA_STORE_FLASH_BYTES % WA_STORE_PAGE == 0, "flash area is not whole pages");

static uint8_t *s_map;

static int fail(const char *what, const char *path)
{
    host_console_str("port: cannot ");
    host_console_str(what);
    host_console_str(" flash file ");
    host_console_str(path);
    host_console_str("\n");
    return -1;
}

int host_flash_init(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        return fail("open", path);
    }
    off_t have = st.st_size;
    if (have < (off_t)WA_STORE_FLASH_BYTES) { /* new or short: the rest is erased */
        static const uint8_t erased[4096] = {[0 ... 4095] = WA_FLASH_ERASED};
        for (off_t at = have; at < (off_t)WA_STORE_FLASH_BYTES;) {
            size_t n = (size_t)((off_t)WA_STORE_FLASH_BYTES - at);
            n = n < sizeof erased ? n : sizeof erased;
            ssize_t w = pwrite(fd, erased, n, at);
            if (w <= 0) {
                close(fd);
                return fail("extend", path);
            }
            at += w;
        }
    }
    void *map = mmap(NULL, WA_STORE_FLASH_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        return fail("map", path);
    }
    s_map = map;
    return 0;
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
    return s_map;
}

int wa_port_flash_read(uint32_t off, void *buf, uint32_t len)
{
    int rc = wa_flash_check_access(off, buf, len);
    if (rc != WA_OK) {
        return rc;
    }
    if (s_map == NULL) {
        return WA_ERR_UNKNOWN;
    }
    memcpy(buf, s_map + off, len);
    return WA_OK;
}

int wa_port_flash_write(uint32_t off, const void *buf, uint32_t len)
{
    if (s_map == NULL) {
        return WA_ERR_UNKNOWN;
    }
    int rule = wa_flash_check_write(s_map, off, buf, len);
    if (rule != WA_OK) {
        return rule;
    }
    wa_flash_op_t op = host_faults_next('P', off, len);
    if (host_faults_before(&op, s_map + off, buf, WA_STORE_PAGE) == 0) {
        memcpy(s_map + off, buf, len);
    }
    host_faults_after(&op);
    return WA_OK;
}

int wa_port_flash_erase(uint32_t off, uint32_t len)
{
    int rule = wa_flash_check_erase(off, len);
    if (rule != WA_OK) {
        return rule;
    }
    if (s_map == NULL) {
        return WA_ERR_UNKNOWN;
    }
    wa_flash_op_t op = host_faults_next('E', off, len);
    (void)host_faults_before(&op, s_map + off, NULL, WA_STORE_PAGE);
    memset(s_map + off, WA_FLASH_ERASED, len);
    host_faults_after(&op);
    return WA_OK;
}
