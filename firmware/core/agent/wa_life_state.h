/*
 * wa_life_state.h - the lifecycle's state in RAM and in the journal: one
 * wa_life_info_t per slot, the security counters kept per app name, and the
 * generation counter. Only wa_lifecycle.c and the queries of wa_lifecycle.h
 * use it; every change of state goes through life_persist*() here, which
 * appends the journal record first and changes RAM only once it is in
 * flash.
 */
#ifndef WA_LIFE_STATE_H
#define WA_LIFE_STATE_H

#include "wa_lifecycle.h"

/* Reads every slot's header, then replays the journal over them. */
int life_state_load(void);

/* Reads slot k's header again (a new install: no records name it yet). */
void life_read_slot(uint32_t slot);

wa_life_info_t *life_slot(uint32_t slot);

/* Slot k holds a version of app name (len bytes). */
int life_is(uint32_t slot, const char *name, size_t len);

/* Persists slot k's life (with its verdict) / run flag, then sets it in RAM. */
int life_persist(uint32_t slot, uint32_t life, uint32_t reason, uint32_t count, int32_t rc);
int life_persist_run(uint32_t slot, uint32_t run);

/* Empties slot k in RAM (its header page was erased). */
void life_clear(uint32_t slot);

/* The highest security counter installed for app name; 0 with *known 0
 * when none was. */
uint32_t life_seq_floor(const char *name, size_t len, int *known);

#endif /* WA_LIFE_STATE_H */
