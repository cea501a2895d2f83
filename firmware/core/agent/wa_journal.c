/* wa_journal.c - see wa_journal.h. */
#include "wa_journal.h"

#include <string.h>

#include "wa_err.h"
#include "wa_port.h"
#include "wa_store.h"

#define RECORDS (WA_STORE_PAGE / sizeof(wa_jrec_t))
#define JOURNAL_MAGIC 0x4C4E524Au /* "JRNL" */

static uint32_t s_page;  /* the page in charge (0 or 1) */
static uint32_t s_epoch; /* its epoch */
static uint32_t s_next;  /* index of the first record after the last one written */
static uint32_t s_fill;  /* compaction: the page being filled, and its next index */
static uint32_t s_fill_next;
static uint32_t s_compactions;

static uint32_t page_at(uint32_t page)
{
    return WA_STORE_JOURNAL + page * WA_STORE_PAGE;
}

static int read_rec(uint32_t page, uint32_t i, wa_jrec_t *rec)
{
    return wa_port_flash_read(page_at(page) + i * (uint32_t)sizeof *rec, rec, sizeof *rec);
}

static int rec_valid(const wa_jrec_t *rec)
{
    return rec->crc32 == wa_record_crc(rec, sizeof *rec);
}

static int rec_erased(const wa_jrec_t *rec)
{
    static const wa_jrec_t blank = {0xFFu, 0xFFu, 0xFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    return memcmp(rec, &blank, sizeof *rec) == 0;
}

/* The page's epoch, or 0 when it holds no valid page record. */
static uint32_t page_epoch(uint32_t page)
{
    wa_jrec_t rec;
    if (read_rec(page, 0, &rec) != WA_OK || !rec_valid(&rec) || rec.type != WA_JREC_PAGE ||
        rec.value != JOURNAL_MAGIC) {
        return 0;
    }
    return rec.key;
}

static int write_rec(uint32_t page, uint32_t i, wa_jrec_t *rec)
{
    rec->crc32 = wa_record_crc(rec, sizeof *rec);
    return wa_store_program(page_at(page) + i * (uint32_t)sizeof *rec, rec, sizeof *rec);
}

/* Erases page and writes its page record last: until then the page does
 * not count. Records between are written by fill (may be NULL). */
static int start_page(uint32_t page, uint32_t epoch, wa_journal_snapshot_fn fill, void *ctx)
{
    int rc = wa_port_flash_erase(page_at(page), WA_STORE_PAGE);
    s_fill = page;
    s_fill_next = 1;
    if (rc == WA_OK && fill != NULL) {
        rc = fill(ctx);
    }
    if (rc == WA_OK) {
        wa_jrec_t head = {WA_JREC_PAGE, 0xFFu, 0xFFFFu, epoch, JOURNAL_MAGIC, 0};
        rc = write_rec(page, 0, &head);
    }
    if (rc == WA_OK) {
        s_page = page;
        s_epoch = epoch;
        s_next = s_fill_next;
    }
    return rc;
}

int wa_journal_open(wa_journal_visit_fn visit, void *ctx)
{
    uint32_t e0 = page_epoch(0), e1 = page_epoch(1);
    if (e0 == 0 && e1 == 0) {
        return start_page(0, 1, NULL, NULL);
    }
    s_page = e1 > e0 ? 1u : 0u;
    s_epoch = e1 > e0 ? e1 : e0;
    s_next = 1;
    for (uint32_t i = 1; i < RECORDS; i++) {
        wa_jrec_t rec;
        if (read_rec(s_page, i, &rec) != WA_OK) {
            return WA_ERR_UNKNOWN;
        }
        if (!rec_erased(&rec)) {
            s_next = i + 1u; /* torn or not, the next record goes after it */
        }
        if (rec_valid(&rec) && rec.type != WA_JREC_PAGE) {
            visit(&rec, ctx);
        }
    }
    return WA_OK;
}

int wa_journal_put(wa_jrec_t *rec)
{
    if (s_fill_next >= RECORDS) {
        return WA_ERR_TOO_LARGE;
    }
    return write_rec(s_fill, s_fill_next++, rec);
}

int wa_journal_append(wa_jrec_t *rec, wa_journal_snapshot_fn snapshot, void *ctx)
{
    int rc = WA_ERR_UNKNOWN;
    for (int attempt = 0; attempt < 3 && rc != WA_OK; attempt++) {
        if (s_next >= RECORDS) {
            rc = start_page(1u - s_page, s_epoch + 1u, snapshot, ctx);
            s_compactions++;
            if (rc != WA_OK) {
                continue;
            }
        }
        rc = write_rec(s_page, s_next++, rec); /* a failed write's place is not used again */
    }
    return rc;
}

uint32_t wa_journal_used(void)
{
    return s_next;
}

uint32_t wa_journal_compactions(void)
{
    return s_compactions;
}
