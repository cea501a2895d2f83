/*
 * fuzz_port.c - what the agent harnesses (fuzz_smp.c, fuzz_install.c) need
 * besides the host port's port.c (console, time, reset, watchdog): the flash
 * in RAM (the NOR rules of wa_flash_rules.h, as port_flash.c), a management
 * UART that receives nothing, GPIO and I2C with no files (pins read 0, no I2C
 * device answers), and the heap as the process's (ASan's) malloc, reported as
 * the board's RAM less the firmware reserve. Replaces port_main.c,
 * port_flash.c, port_faults.c, port_mgmt.c, port_io.c and heap.c of the
 * simulated board.
 */
#include <string.h>

#include "fuzz_port.h"
#include "host_port.h"
#include "wa_agent_config.h"
#include "wa_board.h"
#include "wa_err.h"
#include "wa_flash_rules.h"
#include "wa_port.h"
#include "wa_store_layout.h"

host_options_t g_host_options = {"", 0, -1, -1, NULL, NULL, 0, 0, NULL};

static uint8_t s_flash[WA_STORE_FLASH_BYTES];

void fuzz_flash_erase_all(void)
{
    memset(s_flash, WA_FLASH_ERASED, sizeof s_flash);
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
    return s_flash;
}

int wa_port_flash_read(uint32_t off, void *buf, uint32_t len)
{
    int rc = wa_flash_check_access(off, buf, len);
    if (rc == WA_OK) {
        memcpy(buf, s_flash + off, len);
    }
    return rc;
}

int wa_port_flash_write(uint32_t off, const void *buf, uint32_t len)
{
    int rc = wa_flash_check_write(s_flash, off, buf, len);
    if (rc == WA_OK) {
        memcpy(s_flash + off, buf, len);
    }
    return rc;
}

int wa_port_flash_erase(uint32_t off, uint32_t len)
{
    int rc = wa_flash_check_erase(off, len);
    if (rc == WA_OK) {
        memset(s_flash + off, WA_FLASH_ERASED, len);
    }
    return rc;
}

size_t wa_port_mgmt_read(uint8_t *buf, size_t cap)
{
    (void)buf;
    (void)cap;
    return 0;
}

void wa_port_mgmt_write(const uint8_t *buf, size_t n)
{
    (void)buf;
    (void)n;
}

void wa_port_mgmt_wait(uint32_t ms)
{
    (void)ms;
}

int wa_port_gpio(int op, uint32_t pin, uint32_t arg, uint32_t *out)
{
    (void)op;
    (void)pin;
    (void)arg;
    *out = 0;
    return WA_OK;
}

int wa_port_i2c(uint32_t bus, uint32_t addr, const uint8_t *wr, size_t wr_len, uint8_t *rd,
                size_t rd_len)
{
    (void)bus;
    (void)addr;
    (void)wr;
    (void)wr_len;
    (void)rd;
    (void)rd_len;
    return WA_ERR_NACK;
}

/* port.c's wa_port_init calls these; the harnesses boot with fuzz_device_boot. */
int host_flash_init(const char *path)
{
    (void)path;
    fuzz_flash_erase_all();
    return 0;
}

int host_faults_init(const char *plan, const char *trace_path, uint32_t ops_base)
{
    (void)plan;
    (void)trace_path;
    (void)ops_base;
    return 0;
}

int host_mgmt_init(int port, int listen_fd, int client_fd)
{
    (void)port;
    (void)listen_fd;
    (void)client_fd;
    return 0;
}

int host_mgmt_listen_fd(void)
{
    return -1;
}

int host_mgmt_client_fd(void)
{
    return -1;
}

uint32_t host_heap_free(void)
{
    return WA_BOARD_RAM_BYTES - 32u * 1024u;
}

void fuzz_device_boot(void)
{
    static wa_boot_info_t boot;
    fuzz_flash_erase_all();
    wa_apps_smp_init();
    FUZZ_CHECK(wa_store_boot(&boot, WA_AGENT_SAFE_MODE_BOOTS) == WA_OK);
    wa_life_boot(&boot);
}
