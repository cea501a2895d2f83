/* wa_life_text.c - the lifecycle's words for people and for SMP answers. */
#include <stdio.h>

#include "wa_err.h"
#include "wa_life_state.h"
#include "wa_lifecycle.h"

const char *wa_life_name(uint32_t life)
{
    static const char *const names[] = {"empty",    "staged", "trial",  "confirmed",
                                        "reverted", "failed", "removed"};
    return life < sizeof names / sizeof names[0] ? names[life] : "unknown";
}

const char *wa_life_reason_name(uint32_t reason)
{
    static const char *const names[] = {"none",  "traps",    "cpu_budget", "health", "load",
                                        "reset", "watchdog", "fault",      "manual"};
    return reason < sizeof names / sizeof names[0] ? names[reason] : "unknown";
}

/* A trap's words, for a verdict read back after a reboot (the engine's own
 * message is kept in RAM only). */
static const char *trap_words(int32_t rc)
{
    switch (rc) {
    case WA_ERR_TRAP_UNREACHABLE: return "unreachable executed";
    case WA_ERR_TRAP_OUT_OF_BOUNDS: return "out of bounds memory access";
    case WA_ERR_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WA_ERR_TRAP_INT_OVERFLOW: return "integer overflow";
    case WA_ERR_TRAP_CONVERSION: return "invalid conversion to integer";
    case WA_ERR_TRAP_INDIRECT_CALL: return "indirect call type mismatch";
    case WA_ERR_TRAP_STACK_OVERFLOW: return "stack overflow";
    case WA_ERR_TRAP_CPU_BUDGET: return "CPU budget used up";
    case WA_ERR_TRAP_EXIT: return "exited with a non-zero status";
    case WA_ERR_NO_MEMORY: return "memory allocation failed";
    default: return "error";
    }
}

static int disabled_by_load(const wa_life_info_t *s)
{
    return s->life == WA_LIFE_CONFIRMED && s->run >= WA_RUN_DISABLED_LOAD;
}

uint32_t wa_life_reason(uint32_t slot)
{
    const wa_life_info_t *s = wa_life_info(slot);
    if (s == NULL) {
        return WA_REASON_NONE;
    }
    return disabled_by_load(s) ? WA_REASON_LOAD : s->reason;
}

const char *wa_life_verdict(uint32_t slot)
{
    static char line[WA_LIFE_MSG_MAX + 16];
    const wa_life_info_t *s = wa_life_info(slot);
    if (s == NULL || wa_life_reason(slot) == WA_REASON_NONE) {
        return NULL;
    }
    if (disabled_by_load(s) ||
        (s->reason == WA_REASON_LOAD && (s->count & WA_LIFE_COUNT_RESET) && s->msg[0] == '\0')) {
        uint32_t cause =
            disabled_by_load(s) ? s->run - (uint32_t)WA_RUN_DISABLED_LOAD : s->count & 3u;
        snprintf(line, sizeof line, "the device reset while loading it (%s)",
                 wa_store_cause_name(cause));
        return line;
    }
    if (s->msg[0] != '\0') {
        return s->msg;
    }
    switch (s->reason) {
    case WA_REASON_TRAPS:
    case WA_REASON_CPU_BUDGET:
        snprintf(line, sizeof line, "trapped %u time%s: %s (WA_ERR %d)", (unsigned)s->count,
                 s->count == 1 ? "" : "s", trap_words(s->rc), (int)s->rc);
        return line;
    case WA_REASON_HEALTH:
        snprintf(line, sizeof line, "health returned %d", (int)s->rc);
        return line;
    case WA_REASON_LOAD:
        snprintf(line, sizeof line, "could not start: %s (WA_ERR %d)", trap_words(s->rc),
                 (int)s->rc);
        return line;
    case WA_REASON_RESET: return "the device reset while it was on trial";
    case WA_REASON_WATCHDOG: return "the watchdog reset the device while it was on trial";
    case WA_REASON_FAULT: return "a CPU fault reset the device while it was on trial";
    default: return "rolled back by an operator";
    }
}
