/* wa_life_query.c - the queries of wa_lifecycle.h and the choice of a slot
 * for an upload. */
#include <string.h>

#include "wa_err.h"
#include "wa_life_state.h"
#include "wa_lifecycle.h"
#include "wa_runner.h"

const wa_life_info_t *wa_life_info(uint32_t slot)
{
    const wa_life_info_t *s = life_slot(slot);
    return s != NULL && s->gen != 0 ? s : NULL;
}

/* How much slot k is worth keeping as the current version of its app. */
static int rank(uint32_t life)
{
    switch (life) {
    case WA_LIFE_TRIAL: return 4;
    case WA_LIFE_CONFIRMED: return 3;
    case WA_LIFE_STAGED: return 2;
    case WA_LIFE_REVERTED:
    case WA_LIFE_FAILED: return 1;
    default: return 0;
    }
}

int wa_life_current(const char *name, size_t len)
{
    int best = -1;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        const wa_life_info_t *s = life_slot(k);
        if (!life_is(k, name, len) || rank(s->life) == 0) {
            continue;
        }
        const wa_life_info_t *b = best < 0 ? NULL : life_slot((uint32_t)best);
        if (b == NULL || rank(s->life) > rank(b->life) ||
            (rank(s->life) == rank(b->life) && s->gen > b->gen)) {
            best = (int)k;
        }
    }
    return best;
}

int wa_life_newest(const char *name, size_t len)
{
    int best = -1;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        if (life_is(k, name, len) && life_slot(k)->life != WA_LIFE_REMOVED &&
            (best < 0 || life_slot(k)->gen > life_slot((uint32_t)best)->gen)) {
            best = (int)k;
        }
    }
    return best;
}

/* Whether slot k may take an upload of app name, and how good a choice it
 * is (higher is better; 0: it may not). */
static int usable(uint32_t k, const char *name, size_t len)
{
    const wa_life_info_t *s = life_slot(k);
    switch (s->life) {
    case WA_LIFE_EMPTY: return wa_store_header_page_clean(k) ? 5 : 4;
    case WA_LIFE_STAGED: return life_is(k, name, len) ? 3 : 0; /* superseded by this upload */
    case WA_LIFE_REVERTED:
    case WA_LIFE_FAILED: return 2;
    default: return 0;
    }
}

static int is_update(const char *name, size_t len)
{
    int k = wa_life_current(name, len);
    return k >= 0 && life_slot((uint32_t)k)->life != WA_LIFE_REVERTED &&
           life_slot((uint32_t)k)->life != WA_LIFE_FAILED;
}

int wa_life_choose_slot(const char *name, size_t len)
{
    int best = -1, best_score = 0;
    uint32_t n = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        int score = usable(k, name, len);
        n += score > 0 ? 1u : 0u;
        if (score > best_score || (score == best_score && score > 0 &&
                                   life_slot(k)->gen < life_slot((uint32_t)best)->gen)) {
            best = (int)k;
            best_score = score;
        }
    }
    return n >= (is_update(name, len) ? 1u : 2u) ? best : -1;
}

uint32_t wa_life_free_slots(void)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        n += usable(k, "", 0) > 0 ? 1u : 0u;
    }
    return n > 0 ? n - 1u : 0u;
}

uint32_t wa_life_count(void)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        n += wa_life_info(k) != NULL ? 1u : 0u;
    }
    return n;
}

/* The counters kept in the journal are the whole truth: a signed version's
 * counter is recorded before its header is committed (wa_life_note_seq). */
int wa_life_check_upload(const char *name, size_t len, int bundle, uint32_t seq)
{
    int known = 0;
    uint32_t floor = life_seq_floor(name, len, &known);
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        if (life_is(k, name, len) && life_slot(k)->life == WA_LIFE_TRIAL) {
            return WA_ERR_BAD_STATE;
        }
    }
    if (!bundle) {
        return known ? WA_ERR_UNSIGNED : WA_OK;
    }
    return known && seq < floor ? WA_ERR_ROLLBACK : WA_OK;
}

const char *wa_life_run_state(uint32_t slot)
{
    const wa_life_info_t *s = wa_life_info(slot);
    wa_runner_status_t st;
    if (s == NULL) {
        return NULL;
    }
    wa_runner_status(slot, &st);
    if (st.loaded) {
        return "running";
    }
    if (s->life == WA_LIFE_CONFIRMED && s->run >= WA_RUN_DISABLED_WATCHDOG) {
        return "disabled";
    }
    return st.refused && s->life == WA_LIFE_CONFIRMED ? "refused" : "stopped";
}
