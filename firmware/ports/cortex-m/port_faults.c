/*
 * port_faults.c - the flash fault injector (firmware/core/port/
 * wa_flash_faults.h) in fault-injecting images only (`make faultfw`, which
 * builds with WA_FLASH_FAULTS=1); the normal firmware has none of this.
 *
 * Over semihosting, in QEMU's working directory: the plan is read once per
 * boot from flash-faults.txt (missing or empty: no faults), and every op is
 * appended to flash-trace.txt as "K P|E OFFSET LEN" (created if missing). A power cut prints its
 * line on the console and ends QEMU with WA_FLASH_FAULTS_CUT_STATUS.
 *
 * The op count goes on across software resets: it is kept right after the
 * flash window, in memory that no ELF segment covers. QEMU's reset reloads
 * every segment (and zero-fills .bss), so a .noinit section would not
 * survive it; memory outside the segments is left alone. A new QEMU process
 * starts with zeroed memory, hence with the count at 0.
 */
#include <string.h>

#include "cm_regs.h"
#include "semihost.h"
#include "wa_board.h"
#include "wa_err.h"
#include "wa_flash_faults.h"
#include "wa_port.h"
#include "wa_store_layout.h"

#if WA_FLASH_FAULTS

#define PLAN_FILE "flash-faults.txt"
#define TRACE_FILE "flash-trace.txt"
#define PLAN_MAX 256u
#define COUNT_MAGIC 0x464C4F50u /* "POLF" */

_Static_assert(WA_STORE_FLASH_BYTES + 16u <= WA_BOARD_FLASH_WINDOW_BYTES,
               "no room after the flash window for the fault injector's op count");

typedef struct kept_count {
    uint32_t magic;
    uint32_t count;
    uint32_t check; /* ~count */
} kept_count_t;

extern uint8_t __flash_window_end[];
static int s_trace = -1;

static volatile kept_count_t *kept(void)
{
    return (volatile kept_count_t *)(void *)__flash_window_end;
}

static void keep_count(void)
{
    uint32_t count = wa_flash_faults_count();
    kept()->magic = COUNT_MAGIC;
    kept()->count = count;
    kept()->check = ~count;
}

static void console_str(const char *s)
{
    wa_port_console_write(s, strlen(s));
}

/* The plan file's text (at most PLAN_MAX - 1 bytes, ending at a newline). */
static void read_plan(char *plan)
{
    plan[0] = '\0';
    int fd = sh_open(PLAN_FILE, "rb");
    if (fd < 0) {
        return;
    }
    long len = sh_flen(fd);
    uint32_t n = len <= 0 ? 0u : (uint32_t)len;
    n = n < PLAN_MAX - 1u ? n : PLAN_MAX - 1u;
    if (n > 0 && sh_read(fd, plan, n) != 0) {
        n = 0;
    }
    plan[n] = '\0';
    (void)sh_close(fd);
    for (uint32_t i = 0; i < n; i++) {
        if (plan[i] == '\n' || plan[i] == '\r' || plan[i] == ' ') {
            plan[i] = '\0';
        }
    }
}

/* Opens the trace at its end (QEMU 7.2 does not honour the append mode). */
static void open_trace(void)
{
    s_trace = sh_open(TRACE_FILE, "r+b");
    s_trace = s_trace >= 0 ? s_trace : sh_open(TRACE_FILE, "w+b");
    long end = s_trace >= 0 ? sh_flen(s_trace) : -1;
    if (end < 0 || sh_seek(s_trace, (uint32_t)end) != 0) {
        s_trace = -1;
    }
}

void cm_faults_init(void)
{
    static char plan[PLAN_MAX];
    volatile kept_count_t *k = kept();
    wa_flash_faults_set_count(k->magic == COUNT_MAGIC && k->check == ~k->count ? k->count : 0u);
    read_plan(plan);
    if (wa_flash_faults_plan(plan) != 0) {
        console_str("port: malformed " PLAN_FILE " plan\n");
        sh_exit(2);
    }
    open_trace();
}

__attribute__((noreturn)) static void cut(const wa_flash_op_t *op)
{
    char line[WA_FLASH_FAULTS_LINE_MAX];
    size_t n = wa_flash_faults_cut_line(op, line, sizeof line);
    wa_port_console_write(line, n);
    sh_exit(WA_FLASH_FAULTS_CUT_STATUS);
}

int cm_faults_store(char kind, uint32_t off, const uint8_t *data, uint32_t len)
{
    wa_flash_op_t op = wa_flash_faults_next(kind, off, len);
    keep_count();
    if (s_trace >= 0) {
        char line[WA_FLASH_FAULTS_LINE_MAX];
        (void)sh_write(s_trace, line, wa_flash_faults_trace_line(&op, line, sizeof line));
    }
    switch (op.action) {
    case WA_FLASH_SKIP: return WA_OK;
    case WA_FLASH_CUT_BEFORE: cut(&op);
    case WA_FLASH_CUT_DURING:
        wa_flash_faults_tear(&op, cm_flash_window() + off, data, WA_STORE_PAGE);
        (void)cm_flash_sync(off, len);
        cut(&op);
    default: break;
    }
    int rc = cm_flash_store(off, data, len);
    if (op.action == WA_FLASH_CUT_AFTER) {
        cut(&op);
    }
    return rc;
}

#endif /* WA_FLASH_FAULTS */
