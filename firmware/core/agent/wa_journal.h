/*
 * wa_journal.h - the lifecycle journal: what changes over an app's life
 * (trial, confirmed, reverted, stopped, security counters), as 16-byte
 * records appended to one of two flash pages (wa_store_layout.h).
 *
 * A record is valid only with its CRC: a record torn by a power cut, or a
 * write the flash silently dropped, is skipped by readers and never
 * mistaken for another. Each page starts with a page record carrying an
 * epoch; the valid page with the highest epoch is the journal. When it is
 * full, the other page is erased, the current state is written to it as a
 * snapshot (the owner's callback), and only then its page record: a cut at
 * any point of a compaction leaves the old page in charge. So records never
 * run out, however often an app is stopped and started.
 *
 * Single owner (wa_lifecycle.c); not reentrant.
 */
#ifndef WA_JOURNAL_H
#define WA_JOURNAL_H

#include <stdint.h>

typedef struct wa_jrec {
    uint8_t type; /* WA_JREC_* (the owner's, above WA_JREC_PAGE) */
    uint8_t slot;
    uint16_t aux;
    uint32_t key;
    uint32_t value;
    uint32_t crc32; /* CRC-32 of the bytes before it */
} wa_jrec_t;

_Static_assert(sizeof(wa_jrec_t) == 16, "journal records are 16 bytes");

#define WA_JREC_PAGE 1u /* a page's first record: key = epoch, value = magic */

/* Called with each valid record of the journal, oldest first. */
typedef void (*wa_journal_visit_fn)(const wa_jrec_t *rec, void *ctx);
/* Writes the owner's current state with wa_journal_put during a compaction;
 * returns 0 or the first error wa_journal_put returned. */
typedef int (*wa_journal_snapshot_fn)(void *ctx);

/* Finds the journal (formatting page 0 when neither page holds one) and
 * replays its records through visit. Returns 0 or an agent_err code. */
int wa_journal_open(wa_journal_visit_fn visit, void *ctx);

/* Appends rec (its CRC filled in), compacting first through snapshot when
 * the page is full. Returns 0 once the record reads back right, else an
 * agent_err code (nothing is then to be acted on). */
int wa_journal_append(wa_jrec_t *rec, wa_journal_snapshot_fn snapshot, void *ctx);

/* For snapshot callbacks only: writes rec into the page being filled. */
int wa_journal_put(wa_jrec_t *rec);

/* Records in use in the current page, and compactions since boot. */
uint32_t wa_journal_used(void);
uint32_t wa_journal_compactions(void);

#endif /* WA_JOURNAL_H */
