/*
 * wa_apps_smp.h - the SMP wasm-app group (64): its registration, and what
 * it asks of the agent.
 */
#ifndef WA_APPS_SMP_H
#define WA_APPS_SMP_H

/* Registers the wasm-app SMP group (64) with the SMP server. */
void wa_apps_smp_init(void);

/* Why this boot happened: "power-on", "watchdog", "fault" or "software". */
const char *wa_agent_reset_cause(void);

/* Why the device is in safe mode (no app started until an operator acts),
 * or NULL when it is not. */
const char *wa_agent_safe_mode(void);

#endif /* WA_APPS_SMP_H */
