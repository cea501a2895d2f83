/*
 * wa_port_selftest.c - checks a port against wa_port.h on the real (or
 * emulated) board. Linked instead of the agent into selftest.elf; prints one
 * line per check and exits with the number of failures (semihosting exit on
 * emulators). Uses the last flash page as scratch.
 *
 * Stage 1 writes a marker and resets the device; stage 2 (after the reset)
 * must find it again (flash survives a reset), writes a second marker and
 * jumps to a non-executable address; the port's fault handler must report
 * the fault and reset, so stage 3 finds that marker, cleans up and exits.
 */
#include <stdio.h>
#include <string.h>

#include "wa_console.h"
#include "wa_err.h"
#include "wa_port.h"

static int s_failures;
static const uint8_t MARKER[8] = {'s', 'e', 'l', 'f', 't', 'e', 's', 't'};
static const uint8_t FAULT_MARKER[8] = {'f', 'a', 'u', 'l', 't', 'i', 'n', 'g'};
#define FAULT_MARKER_AT 16u
/* Execute-never region (System space): jumping there faults on every core. */
#define NOT_EXECUTABLE 0xE0100000u

static void check(int ok, const char *what)
{
    wa_console_printf("selftest: %s %s\n", what, ok ? "ok" : "FAILED");
    s_failures += !ok;
}

static uint32_t scratch(void)
{
    return wa_port_flash_size() - wa_port_flash_page_size();
}

static void check_flash_rules(void)
{
    uint32_t page = wa_port_flash_page_size();
    uint8_t buf[16];
    const uint8_t pattern[4] = {0x12, 0x34, 0x56, 0x78};
    check(wa_port_flash_erase(scratch(), page) == 0, "erase page");
    check(wa_port_flash_read(scratch(), buf, 4) == 0 && buf[0] == 0xFF && buf[3] == 0xFF,
          "erased page reads 0xFF");
    check(wa_port_flash_write(scratch() + 8, pattern, 4) == 0, "write erased flash");
    check(wa_port_flash_read(scratch() + 8, buf, 4) == 0 && memcmp(buf, pattern, 4) == 0,
          "read back what was written");
    check(wa_port_flash_write(scratch() + 8, pattern, 4) == WA_ERR_BAD_STATE,
          "write without erase refused");
    check(wa_port_flash_write(scratch() + 6, pattern, 4) == WA_ERR_BAD_STATE,
          "partly overlapping write refused");
    check(wa_port_flash_read(scratch() + 6, buf, 2) == 0 && buf[0] == 0xFF && buf[1] == 0xFF,
          "refused write changed nothing");
    check(wa_port_flash_erase(scratch() + 1, page) == WA_ERR_INVALID_ARG,
          "unaligned erase refused");
    check(wa_port_flash_read(wa_port_flash_size() - 2, buf, 4) == WA_ERR_INVALID_ARG,
          "read past the end refused");
    const uint8_t *map = wa_port_flash_map();
    check(map == NULL || memcmp(map + scratch() + 8, pattern, 4) == 0,
          "memory-mapped view follows writes");
}

static void check_time_and_sensors(void)
{
    uint64_t t0 = wa_port_time_us();
    wa_port_sleep_ms(20);
    uint64_t t1 = wa_port_time_us();
    check(t1 >= t0 + 20000u, "sleep_ms(20) lasts at least 20 ms");
    wa_port_mgmt_wait(10);
    check(wa_port_time_us() >= t1, "mgmt_wait(10) returns");
    float v = 0.0f;
    check(wa_port_sensor_read(0, &v) == 0 && v >= 20.0f && v <= 40.0f, "sensor 0 reads");
    check(wa_port_sensor_read(9, &v) == WA_ERR_NOT_FOUND, "sensor 9 is absent");
    check(wa_port_heap_free() > 0, "heap has free bytes");
}

static int has_marker(uint32_t off, const uint8_t *marker)
{
    uint8_t buf[8];
    return wa_port_flash_read(off, buf, sizeof buf) == 0 && memcmp(buf, marker, 8) == 0;
}

static void finish(void)
{
    check(wa_port_flash_erase(scratch(), wa_port_flash_page_size()) == 0, "clean up");
    wa_console_printf("selftest: %s (%d failures)\n", s_failures ? "FAIL" : "PASS", s_failures);
    wa_port_exit(s_failures);
}

static void fault_on_purpose(void)
{
    check(wa_port_flash_write(scratch() + FAULT_MARKER_AT, FAULT_MARKER, 8) == 0,
          "write the fault marker");
    wa_console_printf("selftest: faulting on purpose\n");
    void (*nowhere)(void) = (void (*)(void))(uintptr_t)(NOT_EXECUTABLE | 1u);
    nowhere();
    check(0, "fault handler took over");
    finish();
}

void wa_agent_main(void)
{
    wa_console_printf("wamr-agent firmware selftest\n");
    if (has_marker(scratch() + FAULT_MARKER_AT, FAULT_MARKER)) {
        check(1, "fault handler reset the device");
        finish();
    }
    if (has_marker(scratch(), MARKER)) {
        check(1, "flash kept across reset");
        fault_on_purpose();
    }
    check_flash_rules();
    check_time_and_sensors();
    if (s_failures != 0) {
        wa_console_printf("selftest: FAIL (%d failures)\n", s_failures);
        wa_port_exit(s_failures);
    }
    check(wa_port_flash_erase(scratch(), wa_port_flash_page_size()) == 0 &&
              wa_port_flash_write(scratch(), MARKER, sizeof MARKER) == 0,
          "write the reset marker");
    wa_console_printf("selftest: resetting\n");
    wa_port_reset();
}

void wa_agent_watchdog_expiring(void)
{
}

void wa_agent_fault(uint32_t pc, uint32_t lr, uint32_t cfsr)
{
    (void)pc;
    (void)lr;
    (void)cfsr;
}
