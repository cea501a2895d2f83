/*
 * port_faults.c - the flash fault injector (firmware/core/port/
 * wa_flash_faults.h) in the host port: --flash-faults PLAN, --flash-trace PATH
 * (one line per op, appended with write(2), so it survives a cut) and the op
 * count handed over a reset (--flash-ops-base N). A planned power cut prints
 * its line and ends the process with _exit(WA_FLASH_FAULTS_CUT_STATUS).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "host_port.h"
#include "wa_flash_faults.h"
#include "wa_port.h"

static int s_trace = -1;

int host_faults_init(const char *plan, const char *trace_path, uint32_t ops_base)
{
    wa_flash_faults_set_count(ops_base);
    if (wa_flash_faults_plan(plan) != 0) {
        host_console_str("port: malformed --flash-faults plan\n");
        return -1;
    }
    if (trace_path != NULL) {
        s_trace = open(trace_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (s_trace < 0) {
            host_console_str("port: cannot open --flash-trace file\n");
            return -1;
        }
    }
    return 0;
}

wa_flash_op_t host_faults_next(char kind, uint32_t off, uint32_t len)
{
    wa_flash_op_t op = wa_flash_faults_next(kind, off, len);
    if (s_trace >= 0) {
        char line[WA_FLASH_FAULTS_LINE_MAX];
        host_write_all(s_trace, line, wa_flash_faults_trace_line(&op, line, sizeof line));
    }
    return op;
}

void host_faults_cut(const wa_flash_op_t *op)
{
    char line[WA_FLASH_FAULTS_LINE_MAX];
    size_t n = wa_flash_faults_cut_line(op, line, sizeof line);
    wa_port_console_write(line, n);
    _exit(WA_FLASH_FAULTS_CUT_STATUS);
}

int host_faults_before(const wa_flash_op_t *op, uint8_t *view, const uint8_t *data, uint32_t page)
{
    switch (op->action) {
    case WA_FLASH_SKIP: return 1;
    case WA_FLASH_CUT_BEFORE: host_faults_cut(op);
    case WA_FLASH_CUT_DURING: wa_flash_faults_tear(op, view, data, page); host_faults_cut(op);
    default: return 0;
    }
}

void host_faults_after(const wa_flash_op_t *op)
{
    if (op->action == WA_FLASH_CUT_AFTER) {
        host_faults_cut(op);
    }
}
