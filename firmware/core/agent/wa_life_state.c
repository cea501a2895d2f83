/* wa_life_state.c - see wa_life_state.h. Journal records (wa_journal.h):
 *
 *   LIFE  slot, key = generation, aux = life | reason << 4 | count << 8, value = rc
 *   RUN   slot, key = generation, value = enum wa_run
 *   SEQ   key = first 4 bytes of SHA-256(name), aux = the next 2, value = seq
 *   GEN   value = the highest generation handed out (in snapshots)
 *
 * A LIFE or RUN record counts only for the slot's current header (same
 * generation): records of an erased slot are left behind harmlessly and
 * dropped at the next compaction.
 */
#include "wa_life_state.h"

#include <string.h>

#include "wa_err.h"
#include "wa_journal.h"
#include "wa_sha256.h"

enum { JREC_LIFE = 2, JREC_RUN = 3, JREC_SEQ = 4, JREC_GEN = 5 };

typedef struct seq_entry {
    uint8_t id[6];
    uint32_t seq;
} seq_entry_t;

static wa_life_info_t s_slots[WA_STORE_SLOTS];
static seq_entry_t s_seq[WA_LIFE_SEQ_MAX];
static uint32_t s_nseq;
static uint32_t s_max_gen;

wa_life_info_t *life_slot(uint32_t slot)
{
    return slot < WA_STORE_SLOTS ? &s_slots[slot] : NULL;
}

int life_is(uint32_t slot, const char *name, size_t len)
{
    const wa_life_info_t *s = life_slot(slot);
    return s != NULL && s->gen != 0 && len <= WA_SLOT_NAME_MAX && strlen(s->name) == len &&
           memcmp(s->name, name, len) == 0;
}

void life_clear(uint32_t slot)
{
    if (slot < WA_STORE_SLOTS) {
        memset(&s_slots[slot], 0, sizeof s_slots[slot]);
    }
}

/* ---- security counters ---------------------------------------------------------- */

static void name_id(const char *name, size_t len, uint8_t id[6])
{
    uint8_t digest[WA_SHA256_DIGEST_LEN];
    wa_sha256_ctx ctx;
    wa_sha256_init(&ctx);
    wa_sha256_update(&ctx, (const uint8_t *)name, (uint32_t)len);
    wa_sha256_final(&ctx, digest);
    memcpy(id, digest, 6);
}

static seq_entry_t *seq_find(const uint8_t id[6])
{
    for (uint32_t i = 0; i < s_nseq; i++) {
        if (memcmp(s_seq[i].id, id, 6) == 0) {
            return &s_seq[i];
        }
    }
    return NULL;
}

/* Keeps the higher counter for id; 0 when kept, -1 when the table is full. */
static int seq_keep(const uint8_t id[6], uint32_t seq)
{
    seq_entry_t *e = seq_find(id);
    if (e == NULL && s_nseq == WA_LIFE_SEQ_MAX) {
        return -1;
    }
    if (e == NULL) {
        e = &s_seq[s_nseq++];
        memcpy(e->id, id, 6);
        e->seq = seq;
    }
    e->seq = seq > e->seq ? seq : e->seq;
    return 0;
}

uint32_t life_seq_floor(const char *name, size_t len, int *known)
{
    uint8_t id[6];
    name_id(name, len, id);
    const seq_entry_t *e = seq_find(id);
    *known = e != NULL;
    return e != NULL ? e->seq : 0u;
}

/* ---- the journal ------------------------------------------------------------------ */

static void put_gen(uint32_t gen)
{
    s_max_gen = gen > s_max_gen ? gen : s_max_gen;
}

static void replay(const wa_jrec_t *r, void *ctx)
{
    (void)ctx;
    wa_life_info_t *s = life_slot(r->slot);
    if (r->type == JREC_GEN) {
        put_gen(r->value);
    } else if (r->type == JREC_SEQ) {
        uint8_t id[6] = {(uint8_t)r->key,         (uint8_t)(r->key >> 8), (uint8_t)(r->key >> 16),
                         (uint8_t)(r->key >> 24), (uint8_t)r->aux,        (uint8_t)(r->aux >> 8)};
        (void)seq_keep(id, r->value);
    } else if (r->type == JREC_LIFE || r->type == JREC_RUN) {
        put_gen(r->key);
        if (s == NULL || s->gen == 0 || s->gen != r->key) {
            return; /* a record of an erased slot */
        }
        if (r->type == JREC_RUN) {
            s->run = (uint8_t)r->value;
            return;
        }
        s->life = (uint8_t)(r->aux & 0xFu);
        s->reason = (uint8_t)((r->aux >> 4) & 0xFu);
        s->count = (uint8_t)(r->aux >> 8);
        s->rc = (int32_t)r->value;
    }
}

static int snapshot(void *ctx)
{
    (void)ctx;
    wa_jrec_t gen = {JREC_GEN, 0xFFu, 0xFFFFu, 0, s_max_gen, 0};
    int rc = wa_journal_put(&gen);
    for (uint32_t k = 0; rc == WA_OK && k < WA_STORE_SLOTS; k++) {
        const wa_life_info_t *s = &s_slots[k];
        if (s->gen == 0) {
            continue;
        }
        wa_jrec_t life = {
            JREC_LIFE, (uint8_t)k,      (uint16_t)(s->life | (s->reason << 4) | (s->count << 8)),
            s->gen,    (uint32_t)s->rc, 0};
        wa_jrec_t run = {JREC_RUN, (uint8_t)k, 0xFFFFu, s->gen, s->run, 0};
        rc = wa_journal_put(&life);
        if (rc == WA_OK && s->run != WA_RUN_STARTED) {
            rc = wa_journal_put(&run);
        }
    }
    for (uint32_t i = 0; rc == WA_OK && i < s_nseq; i++) {
        const uint8_t *id = s_seq[i].id;
        wa_jrec_t seq = {JREC_SEQ,
                         0xFFu,
                         (uint16_t)(id[4] | (id[5] << 8)),
                         (uint32_t)id[0] | ((uint32_t)id[1] << 8) | ((uint32_t)id[2] << 16) |
                             ((uint32_t)id[3] << 24),
                         s_seq[i].seq,
                         0};
        rc = wa_journal_put(&seq);
    }
    return rc;
}

static int append(wa_jrec_t *rec)
{
    return wa_journal_append(rec, snapshot, NULL);
}

int life_persist(uint32_t slot, uint32_t life, uint32_t reason, uint32_t count, int32_t rc)
{
    wa_life_info_t *s = life_slot(slot);
    if (s == NULL || s->gen == 0) {
        return WA_ERR_INVALID_ARG;
    }
    count = count > 255u ? 255u : count;
    wa_jrec_t rec = {JREC_LIFE, (uint8_t)slot, (uint16_t)(life | (reason << 4) | (count << 8)),
                     s->gen,    (uint32_t)rc,  0};
    int err = append(&rec);
    if (err == WA_OK) {
        s->life = (uint8_t)life;
        s->reason = (uint8_t)reason;
        s->count = (uint8_t)count;
        s->rc = rc;
    }
    return err;
}

int life_persist_run(uint32_t slot, uint32_t run)
{
    wa_life_info_t *s = life_slot(slot);
    if (s == NULL || s->gen == 0) {
        return WA_ERR_INVALID_ARG;
    }
    if (s->run == run) {
        return WA_OK;
    }
    wa_jrec_t rec = {JREC_RUN, (uint8_t)slot, 0xFFFFu, s->gen, run, 0};
    int err = append(&rec);
    if (err == WA_OK) {
        s->run = (uint8_t)run;
    }
    return err;
}

int wa_life_note_seq(const char *name, size_t len, uint32_t seq)
{
    uint8_t id[6];
    name_id(name, len, id);
    const seq_entry_t *e = seq_find(id);
    if (e != NULL && e->seq >= seq) {
        return WA_OK;
    }
    if (e == NULL && s_nseq == WA_LIFE_SEQ_MAX) {
        return WA_ERR_NO_MEMORY;
    }
    wa_jrec_t rec = {JREC_SEQ,
                     0xFFu,
                     (uint16_t)(id[4] | (id[5] << 8)),
                     (uint32_t)id[0] | ((uint32_t)id[1] << 8) | ((uint32_t)id[2] << 16) |
                         ((uint32_t)id[3] << 24),
                     seq,
                     0};
    int rc = append(&rec);
    return rc == WA_OK ? (seq_keep(id, seq) == 0 ? WA_OK : WA_ERR_NO_MEMORY) : rc;
}

uint32_t wa_life_next_generation(void)
{
    return ++s_max_gen;
}

/* ---- loading ---------------------------------------------------------------------- */

void life_read_slot(uint32_t k)
{
    wa_slot_header_t h;
    wa_life_info_t *s = &s_slots[k];
    life_clear(k);
    if (wa_store_header(k, &h) != WA_OK) {
        return; /* empty, an install cut short, or a corrupt header: reclaimable */
    }
    s->gen = h.generation == 0 ? 1u : h.generation;
    put_gen(s->gen);
    memcpy(s->name, h.name, WA_SLOT_NAME_MAX);
    s->life = (h.flags & WA_SLOT_F_PRELOADED) ? WA_LIFE_CONFIRMED : WA_LIFE_STAGED;
    s->run = WA_RUN_STARTED;
    s->flags = h.flags;
    s->seq = h.seq;
    s->need_loops = h.health_loops;
    s->max_traps = h.health_traps;
    s->window_ms = h.health_window_ms;
}

int life_state_load(void)
{
    s_nseq = 0;
    s_max_gen = 0;
    for (uint32_t k = 0; k < WA_STORE_SLOTS; k++) {
        life_read_slot(k);
    }
    return wa_journal_open(replay, NULL);
}
