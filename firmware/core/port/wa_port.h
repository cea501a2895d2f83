/*
 * wa_port.h - the port contract: everything the portable agent core needs
 * from a board. A port (firmware/ports/<port>/) implements every function
 * here and nothing else; the core never touches hardware.
 *
 * Threading: single-threaded; interrupt handlers only call the hooks at the
 * end of this file.
 */
#ifndef WA_PORT_H
#define WA_PORT_H

#include <stddef.h>
#include <stdint.h>

/* Brings up clocks, UARTs, the millisecond tick. Called first in main(). */
void wa_port_init(void);

/* ---- UARTs --------------------------------------------------------------- */

/* Console (log, telemetry, banner): blocking write of n bytes. */
void wa_port_console_write(const char *s, size_t n);

/* Management UART (SMP, later): non-blocking read of up to cap bytes;
 * returns the number read (0 if none). */
size_t wa_port_mgmt_read(uint8_t *buf, size_t cap);
/* Blocking write of n bytes to the management UART. */
void wa_port_mgmt_write(const uint8_t *buf, size_t n);
/* Waits (low power where possible) until the management UART has received
 * bytes that wa_port_mgmt_read() has not returned yet, or ms milliseconds
 * have passed, whichever comes first. It may return early for another
 * reason (an interrupt, a signal): callers read the time again. */
void wa_port_mgmt_wait(uint32_t ms);

/* ---- time ---------------------------------------------------------------- */

/* Microseconds since boot, monotonic. */
uint64_t wa_port_time_us(void);
/* Sleeps (low power where possible) for ms milliseconds. */
void wa_port_sleep_ms(uint32_t ms);

/* ---- flash (NOR semantics, page granular) -------------------------------- */

#define WA_FLASH_ERASED 0xFFu

/* Size of the app flash area in bytes and its erase page size. */
uint32_t wa_port_flash_size(void);
uint32_t wa_port_flash_page_size(void);

/* Memory-mapped view of the whole flash area (execute-in-place reads), or
 * NULL if the port has none (then the core reads with wa_port_flash_read). */
const uint8_t *wa_port_flash_map(void);

/* Each returns 0 or an agent_err code (wa_err.h):
 *   read:  WA_ERR_INVALID_ARG if [off, off+len) is outside the area.
 *   write: WA_ERR_INVALID_ARG out of range; WA_ERR_BAD_STATE if any target
 *          byte is not erased (0xFF) - writing unerased flash is a bug that
 *          real flash would expose, so the port refuses it and writes nothing.
 *   erase: off and len must be page-aligned (WA_ERR_INVALID_ARG otherwise);
 *          sets the pages to 0xFF.
 * Writes and erases are persistent when they return (a power cut after the
 * call keeps them). */
int wa_port_flash_read(uint32_t off, void *buf, uint32_t len);
int wa_port_flash_write(uint32_t off, const void *buf, uint32_t len);
int wa_port_flash_erase(uint32_t off, uint32_t len);

/* ---- sensors ------------------------------------------------------------- */

/* Reads a sensor channel. Returns 0 or WA_ERR_NOT_FOUND. Emulated boards
 * return a deterministic synthetic signal (see the port's docs). */
int wa_port_sensor_read(int32_t channel, float *value);

/* ---- device I/O (docs/device-api.md) ------------------------------------ */

/* One GPIO operation (enum wa_gpio_op, wa_runtime.h) on pin, which the
 * runtime has checked against the board profile: CONFIG (arg: mode), READ
 * (*out: level), WRITE (arg: level 0/1), EDGES (*out: edges since the last
 * EDGES or CONFIG, by the mode's edge bits). Returns 0, WA_ERR_NOT_SUPPORTED
 * (no GPIO, or the pin cannot take the mode) or WA_ERR_IO. */
int wa_port_gpio(int op, uint32_t pin, uint32_t arg, uint32_t *out);

/* One I2C transaction on bus with a 7-bit address (checked by the runtime):
 * START, wr_len bytes, then if rd_len > 0 a repeated START and rd_len bytes
 * read (the last one NACKed), STOP. Returns 0, WA_ERR_NACK (address or a
 * written byte not acknowledged), WA_ERR_IO (bus fault) or
 * WA_ERR_NOT_SUPPORTED (no such bus). */
int wa_port_i2c(uint32_t bus, uint32_t addr, const uint8_t *wr, size_t wr_len, uint8_t *rd,
                size_t rd_len);

/* ---- watchdog, reset, exit ----------------------------------------------- */

/* Starts the hardware watchdog: if not fed within timeout_ms, the port
 * calls wa_agent_watchdog_expiring() and then resets the device. */
void wa_port_watchdog_start(uint32_t timeout_ms);
void wa_port_watchdog_feed(void);

/* Resets the device (software reset). */
void wa_port_reset(void) __attribute__((noreturn));

/* Emulators: stop the machine with a status (semihosting exit). Hardware:
 * reset. */
void wa_port_exit(int status) __attribute__((noreturn));

/* Free bytes left in the C heap (for the boot banner). */
uint32_t wa_port_heap_free(void);

/* ---- hooks the core implements, called by the port ----------------------- */

/* The watchdog is about to reset the device (interrupt context): the core
 * records which app was running. Must return quickly. */
void wa_agent_watchdog_expiring(void);

/* A CPU fault (HardFault, ...) happened; the port has printed PC, LR and
 * the fault status and resets after this returns. */
void wa_agent_fault(uint32_t pc, uint32_t lr, uint32_t cfsr);

/* The agent core's entry point; the port's main() calls it after
 * wa_port_init(). Never returns. */
void wa_agent_main(void) __attribute__((noreturn));

#endif /* WA_PORT_H */
