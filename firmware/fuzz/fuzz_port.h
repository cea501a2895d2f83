/*
 * fuzz_port.h - the simulated board's port with a RAM flash, for the agent
 * harnesses (fuzz_port.c).
 */
#ifndef FUZZ_PORT_H
#define FUZZ_PORT_H

#include "fuzz_common.h"
#include "wa_apps_smp.h"
#include "wa_lifecycle.h"
#include "wa_store.h"

/* Sets every flash byte to the erased value. */
void fuzz_flash_erase_all(void);

/* A first boot on an erased flash: the wasm-app SMP group registered, the
 * boot log read, the lifecycle started (wa_agent.c's boot, without the
 * banner and without running apps). */
void fuzz_device_boot(void);

#endif /* FUZZ_PORT_H */
