/*
 * wa_agent_config.h - agent settings; a board or build overrides with -D.
 */
#ifndef WA_AGENT_CONFIG_H
#define WA_AGENT_CONFIG_H

#ifndef WA_AGENT_VERSION
#define WA_AGENT_VERSION "0.1.0"
#endif

/* Milliseconds from the end of one round of loop() calls to the start of
 * the next; the agent answers management requests in between. */
#ifndef WA_AGENT_LOOP_PERIOD_MS
#define WA_AGENT_LOOP_PERIOD_MS 200u
#endif

/* While an app with on_gpio counts edges on an input, the agent samples the
 * edge counters at least this often (ms) between other wake-ups. */
#ifndef WA_AGENT_GPIO_SAMPLE_MS
#define WA_AGENT_GPIO_SAMPLE_MS 20u
#endif

/* Bytes (keys + values) of the configuration one app may have (wa_config.h):
 * config get answers them all in one SMP response (WA_MGMT_TX_BUF). */
#ifndef WA_AGENT_CONFIG_BYTES
#define WA_AGENT_CONFIG_BYTES 512u
#endif

/* An app that traps this many times in a row is stopped. */
#ifndef WA_AGENT_MAX_TRAPS
#define WA_AGENT_MAX_TRAPS 3u
#endif

/* Trial of a bare module (a bundle's manifest brings its own policy):
 * confirmed after this many loop rounds with no trap. */
#ifndef WA_AGENT_HEALTH_LOOPS
#define WA_AGENT_HEALTH_LOOPS 10u
#endif

/* Hardware watchdog timeout. Longer than one call may take with the board's
 * CPU budget, so only a call the budget cannot stop (an app with an
 * unlimited budget, a stuck native) ever reaches it. */
#ifndef WA_AGENT_WATCHDOG_MS
#define WA_AGENT_WATCHDOG_MS 8000u
#endif

/* Safe mode (SMP served, no app started) after this many boots in a row
 * reset before the agent served SMP; 0: never. */
#ifndef WA_AGENT_SAFE_MODE_BOOTS
#define WA_AGENT_SAFE_MODE_BOOTS 3u
#endif

#endif /* WA_AGENT_CONFIG_H */
