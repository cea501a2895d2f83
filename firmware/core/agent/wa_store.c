/* wa_store.c - see wa_store.h. */
#include "wa_store.h"

#include <stddef.h>
#include <string.h>

#include "wa_err.h"
#include "wa_port.h"

#define BOOT_LOG_RECORDS (WA_STORE_PAGE / sizeof(wa_boot_record_t))
#define PROGRESS_AT(k, i) (WA_STORE_SLOT_OFFSET(k) + WA_STORE_PROGRESS_OFFSET + 8u * (i))

static uint32_t s_boot_count;

uint32_t wa_record_crc(const void *record, uint32_t size)
{
    return wa_crc32((const uint8_t *)record, size - 4u);
}

static int erased(const void *data, uint32_t len)
{
    const uint8_t *b = (const uint8_t *)data;
    for (uint32_t i = 0; i < len; i++) {
        if (b[i] != WA_FLASH_ERASED) {
            return 0;
        }
    }
    return 1;
}

int wa_store_program(uint32_t off, const void *data, uint32_t len)
{
    int rc = wa_port_flash_write(off, data, len);
    if (rc != WA_OK) {
        return rc;
    }
    const uint8_t *want = (const uint8_t *)data;
    uint8_t got[64];
    for (uint32_t at = 0; at < len; at += sizeof got) {
        uint32_t n = len - at < sizeof got ? len - at : (uint32_t)sizeof got;
        rc = wa_port_flash_read(off + at, got, n);
        if (rc != WA_OK || memcmp(got, want + at, n) != 0) {
            return rc != WA_OK ? rc : WA_ERR_UNKNOWN;
        }
    }
    return WA_OK;
}

/* ---- boot log ---------------------------------------------------------------- */

static int record_at(uint32_t i, wa_boot_record_t *rec)
{
    return wa_port_flash_read(WA_STORE_BOOT_LOG + i * (uint32_t)sizeof *rec, rec, sizeof *rec);
}

/* Index of the first record with only erased records after it
 * (BOOT_LOG_RECORDS if the last one is used). */
static uint32_t first_free_record(void)
{
    wa_boot_record_t rec;
    uint32_t free_at = 0;
    for (uint32_t i = 0; i < BOOT_LOG_RECORDS; i++) {
        if (record_at(i, &rec) != 0 || !erased(&rec, sizeof rec)) {
            free_at = i + 1u;
        }
    }
    return free_at;
}

static wa_boot_record_t s_boot_rec; /* this boot's BOOT record, once written */

/* Appends rec; a full log is erased first, and this boot's record written
 * again at its start, so what the next boot reads of this one survives. */
static int append_record(wa_boot_record_t *rec)
{
    rec->crc32 = wa_record_crc(rec, sizeof *rec);
    uint32_t i = first_free_record();
    if (i == BOOT_LOG_RECORDS) {
        int rc = wa_port_flash_erase(WA_STORE_BOOT_LOG, WA_STORE_PAGE);
        if (rc == 0 && rec != &s_boot_rec && s_boot_rec.magic == WA_BOOT_MAGIC) {
            rc = wa_store_program(WA_STORE_BOOT_LOG, &s_boot_rec, sizeof s_boot_rec);
        }
        if (rc != 0) {
            return rc;
        }
        i = first_free_record();
    }
    return wa_store_program(WA_STORE_BOOT_LOG + i * (uint32_t)sizeof *rec, rec, sizeof *rec);
}

/* The last boot as its records tell it. */
typedef struct last_boot {
    uint32_t early; /* from its BOOT record */
    uint32_t safe;
    uint32_t cut_slot; /* the load its own reset cut short (its BOOT record) */
    uint32_t load;     /* its last LOAD mark */
    uint32_t served;
    uint32_t operator_acted;
} last_boot_t;

static void read_record(const wa_boot_record_t *rec, wa_boot_info_t *info, last_boot_t *last)
{
    uint32_t high = rec->cause_slot >> 16;
    uint32_t slot = high == 0xFFFFu ? WA_NO_SLOT : high;
    if (rec->magic == WA_BOOT_MAGIC) {
        info->boot_count = rec->boot_count;
        info->cause = WA_BOOT_POWER_ON;
        info->slot = WA_NO_SLOT;
        last_boot_t fresh = {
            rec->cause_slot & 0xFFu, (rec->cause_slot >> 8) & 1u, slot, WA_NO_SLOT, 0, 0};
        *last = fresh;
    } else if (rec->magic == WA_INCIDENT_MAGIC) {
        info->cause = rec->cause_slot & 0xFFFFu;
        info->slot = slot;
    } else if (rec->magic == WA_LOAD_MAGIC) {
        last->load = slot;
    } else if (rec->magic == WA_SERVED_MAGIC) {
        last->served = 1;
    } else if (rec->magic == WA_OPERATOR_MAGIC) {
        last->operator_acted = 1;
    }
}

int wa_store_boot(wa_boot_info_t *info, uint32_t safe_after)
{
    wa_boot_record_t rec;
    last_boot_t last = {0, 0, WA_NO_SLOT, WA_NO_SLOT, 1, 1};
    memset(info, 0, sizeof *info);
    info->cause = WA_BOOT_POWER_ON;
    info->slot = WA_NO_SLOT;
    for (uint32_t i = 0; i < BOOT_LOG_RECORDS && record_at(i, &rec) == 0; i++) {
        if (rec.crc32 == wa_record_crc(&rec, sizeof rec)) { /* else erased, or torn */
            read_record(&rec, info, &last);
        }
    }
    uint32_t early = last.served ? 0u : last.early + 1u;
    info->boot_count++;
    info->load_slot = last.load;
    info->load_again = last.load != WA_NO_SLOT && last.cut_slot == last.load;
    info->early = (uint8_t)(early > 255u ? 255u : early);
    info->safe_kept = last.safe && !last.operator_acted;
    info->safe = info->safe_kept || (safe_after != 0 && early >= safe_after);
    s_boot_count = info->boot_count;
    wa_boot_record_t mine = {
        WA_BOOT_MAGIC, info->boot_count,
        ((last.load & 0xFFFFu) << 16) | info->early | ((uint32_t)info->safe << 8), 0};
    s_boot_rec = mine;
    return append_record(&s_boot_rec);
}

int wa_store_incident(uint32_t cause, uint32_t slot)
{
    wa_boot_record_t rec = {WA_INCIDENT_MAGIC, s_boot_count, ((slot & 0xFFFFu) << 16) | cause, 0};
    return append_record(&rec);
}

int wa_store_mark(uint32_t magic, uint32_t slot)
{
    wa_boot_record_t rec = {magic, s_boot_count, ((slot & 0xFFFFu) << 16), 0};
    return append_record(&rec);
}

const char *wa_store_cause_name(uint32_t cause)
{
    switch (cause) {
    case WA_BOOT_WATCHDOG: return "watchdog";
    case WA_BOOT_FAULT: return "fault";
    case WA_BOOT_SOFTWARE: return "software";
    default: return "power-on";
    }
}

uint32_t wa_store_boot_count(void)
{
    return s_boot_count;
}

/* ---- slots -------------------------------------------------------------------- */

int wa_store_header(uint32_t slot, wa_slot_header_t *header)
{
    uint32_t commit;
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    uint32_t base = WA_STORE_SLOT_OFFSET(slot);
    int rc = wa_port_flash_read(base + WA_STORE_COMMIT_OFFSET, &commit, 4);
    if (rc == WA_OK) {
        rc = wa_port_flash_read(base, header, sizeof *header);
    }
    if (rc != WA_OK) {
        return rc;
    }
    if (commit != WA_SLOT_COMMIT) {
        return WA_ERR_NOT_FOUND;
    }
    if (header->crc32 != wa_record_crc(header, sizeof *header) || header->magic != WA_SLOT_MAGIC ||
        header->version != WA_SLOT_VERSION || header->header_size != sizeof *header ||
        header->module_len > WA_STORE_MODULE_MAX ||
        header->module_off > WA_STORE_MODULE_MAX - header->module_len) {
        return WA_ERR_MALFORMED;
    }
    return WA_OK;
}

/* A progress record is an offset and its complement, written at once. */
static int progress_at(uint32_t slot, uint32_t i, uint32_t pair[2])
{
    return wa_port_flash_read(PROGRESS_AT(slot, i), pair, 8);
}

uint32_t wa_store_progress(uint32_t slot)
{
    uint32_t pair[2];
    uint32_t off = 0;
    for (uint32_t i = 0; slot < WA_STORE_SLOTS && i < WA_STORE_PROGRESS_RECORDS; i++) {
        if (progress_at(slot, i, pair) == WA_OK && pair[0] == ~pair[1]) {
            off = pair[0];
        }
    }
    return off;
}

void wa_store_set_progress(uint32_t slot, uint32_t off)
{
    uint32_t pair[2];
    for (uint32_t i = 0; slot < WA_STORE_SLOTS && i < WA_STORE_PROGRESS_RECORDS; i++) {
        if (progress_at(slot, i, pair) == WA_OK && erased(pair, sizeof pair)) {
            pair[0] = off;
            pair[1] = ~off;
            if (wa_store_program(PROGRESS_AT(slot, i), pair, sizeof pair) == WA_OK) {
                return;
            }
        }
    }
}

const uint8_t *wa_store_module(uint32_t slot, const wa_slot_header_t *header, uint8_t *buf,
                               uint32_t cap, int *rc)
{
    uint32_t off = WA_STORE_SLOT_OFFSET(slot) + WA_STORE_PAGE + header->module_off;
    const uint8_t *map = wa_port_flash_map();
    const uint8_t *bytes = map != NULL ? map + off : buf;
    *rc = WA_OK;
    if (map == NULL) {
        *rc = header->module_len > cap ? WA_ERR_TOO_LARGE
                                       : wa_port_flash_read(off, buf, header->module_len);
    }
    if (*rc == WA_OK && wa_crc32(bytes, header->module_len) != header->module_crc32) {
        *rc = WA_ERR_MALFORMED;
    }
    return *rc == WA_OK ? bytes : NULL;
}

const uint8_t *wa_store_image(uint32_t slot, const wa_slot_header_t *header, int *rc)
{
    const uint8_t *area = wa_store_module_area(slot);
    uint32_t at = WA_STORE_IMAGE_OFFSET(header);
    *rc = WA_ERR_NOT_FOUND;
    if (area == NULL || header->image_len == WA_SLOT_NO_IMAGE) {
        return NULL;
    }
    if (at > WA_STORE_MODULE_MAX || header->image_len > WA_STORE_MODULE_MAX - at ||
        wa_crc32(area + at, header->image_len) != header->image_crc32) {
        *rc = WA_ERR_MALFORMED;
        return NULL;
    }
    *rc = WA_OK;
    return area + at;
}

int wa_store_erase_header(uint32_t slot)
{
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    return wa_port_flash_erase(WA_STORE_SLOT_OFFSET(slot), WA_STORE_PAGE);
}

/* Whether the first len bytes of slot k's header page are erased. */
static int head_erased(uint32_t slot, uint32_t len)
{
    uint8_t chunk[64];
    for (uint32_t at = 0; slot < WA_STORE_SLOTS && at < len; at += sizeof chunk) {
        uint32_t n = len - at < sizeof chunk ? len - at : (uint32_t)sizeof chunk;
        if (wa_port_flash_read(WA_STORE_SLOT_OFFSET(slot) + at, chunk, n) != WA_OK ||
            !erased(chunk, n)) {
            return 0;
        }
    }
    return slot < WA_STORE_SLOTS;
}

int wa_store_header_page_clean(uint32_t slot)
{
    return head_erased(slot, WA_STORE_PAGE);
}

int wa_store_header_unwritten(uint32_t slot)
{
    return head_erased(slot, WA_STORE_COMMIT_OFFSET + 4u);
}

int wa_store_write_module(uint32_t slot, uint32_t off, const uint8_t *data, uint32_t len,
                          uint32_t *erased_to)
{
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    if (off > WA_STORE_MODULE_MAX || len > WA_STORE_MODULE_MAX - off) {
        return WA_ERR_MODULE_TOO_LARGE;
    }
    uint32_t base = WA_STORE_SLOT_OFFSET(slot) + WA_STORE_PAGE;
    while (*erased_to < off + len) {
        int rc = wa_port_flash_erase(base + *erased_to, WA_STORE_PAGE);
        if (rc != 0) {
            return rc;
        }
        *erased_to += WA_STORE_PAGE;
    }
    return len == 0 ? WA_OK : wa_store_program(base + off, data, len);
}

int wa_store_begin(uint32_t slot, wa_slot_meta_t *meta)
{
    meta->crc32 = wa_record_crc(meta, sizeof *meta);
    int rc = wa_store_erase_header(slot);
    return rc != 0 ? rc
                   : wa_store_program(WA_STORE_SLOT_OFFSET(slot) + WA_STORE_META_OFFSET, meta,
                                      sizeof *meta);
}

int wa_store_install(uint32_t slot, wa_slot_header_t *header)
{
    static const uint32_t commit = WA_SLOT_COMMIT;
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    header->crc32 = wa_record_crc(header, sizeof *header);
    int rc = wa_store_program(WA_STORE_SLOT_OFFSET(slot), header, sizeof *header);
    return rc != WA_OK ? rc
                       : wa_store_program(WA_STORE_SLOT_OFFSET(slot) + WA_STORE_COMMIT_OFFSET,
                                          &commit, sizeof commit);
}

int wa_store_meta(uint32_t slot, wa_slot_meta_t *meta)
{
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    int rc =
        wa_port_flash_read(WA_STORE_SLOT_OFFSET(slot) + WA_STORE_META_OFFSET, meta, sizeof *meta);
    if (rc != 0) {
        return rc;
    }
    return meta->magic == WA_META_MAGIC && meta->crc32 == wa_record_crc(meta, sizeof *meta)
               ? WA_OK
               : WA_ERR_NOT_FOUND;
}

const uint8_t *wa_store_module_area(uint32_t slot)
{
    const uint8_t *map = wa_port_flash_map();
    return map == NULL || slot >= WA_STORE_SLOTS ? NULL
                                                 : map + WA_STORE_SLOT_OFFSET(slot) + WA_STORE_PAGE;
}
