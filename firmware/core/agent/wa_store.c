/* wa_store.c - see wa_store.h. */
#include "wa_store.h"

#include <string.h>

#include "wa_err.h"
#include "wa_port.h"

#define BOOT_LOG_RECORDS (WA_STORE_PAGE / sizeof(wa_boot_record_t))
#define STATE_OFFSET(k) (WA_STORE_SLOT_OFFSET(k) + WA_STORE_STATE_OFFSET)
#define PROGRESS_OFFSET(k) (WA_STORE_SLOT_OFFSET(k) + WA_STORE_PROGRESS_OFFSET)

static uint32_t s_boot_count;

uint32_t wa_crc32(const uint8_t *data, uint32_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static int record_at(uint32_t i, wa_boot_record_t *rec)
{
    return wa_port_flash_read(WA_STORE_BOOT_LOG + i * (uint32_t)sizeof *rec, rec, sizeof *rec);
}

/* Index of the first erased record (BOOT_LOG_RECORDS if the page is full). */
static uint32_t first_free_record(void)
{
    wa_boot_record_t rec;
    for (uint32_t i = 0; i < BOOT_LOG_RECORDS; i++) {
        if (record_at(i, &rec) != 0 || rec.magic == 0xFFFFFFFFu) {
            return i;
        }
    }
    return BOOT_LOG_RECORDS;
}

static int append_record(const wa_boot_record_t *rec)
{
    uint32_t i = first_free_record();
    if (i == BOOT_LOG_RECORDS) {
        int rc = wa_port_flash_erase(WA_STORE_BOOT_LOG, WA_STORE_PAGE);
        if (rc != 0) {
            return rc;
        }
        i = 0;
    }
    return wa_port_flash_write(WA_STORE_BOOT_LOG + i * (uint32_t)sizeof *rec, rec, sizeof *rec);
}

int wa_store_boot(wa_boot_info_t *info)
{
    wa_boot_record_t rec;
    uint32_t end = first_free_record();
    info->boot_count = 0;
    info->cause = WA_BOOT_POWER_ON;
    info->slot = WA_NO_SLOT;
    for (uint32_t i = 0; i < end && record_at(i, &rec) == 0; i++) {
        if (rec.magic == WA_BOOT_MAGIC) {
            info->boot_count = rec.boot_count;
            info->cause = WA_BOOT_POWER_ON;
            info->slot = WA_NO_SLOT;
        } else if (rec.magic == WA_INCIDENT_MAGIC) {
            info->cause = rec.cause;
            info->slot = rec.slot;
        }
    }
    info->boot_count++;
    s_boot_count = info->boot_count;
    wa_boot_record_t mine = {WA_BOOT_MAGIC, info->boot_count, WA_BOOT_POWER_ON, WA_NO_SLOT};
    return append_record(&mine);
}

int wa_store_incident(uint32_t cause, uint32_t slot)
{
    wa_boot_record_t rec = {WA_INCIDENT_MAGIC, s_boot_count, cause, slot};
    return append_record(&rec);
}

int wa_store_header(uint32_t slot, wa_slot_header_t *header)
{
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    int rc = wa_port_flash_read(WA_STORE_SLOT_OFFSET(slot), header, sizeof *header);
    if (rc != 0) {
        return rc;
    }
    if (header->magic == 0xFFFFFFFFu) {
        return WA_ERR_NOT_FOUND;
    }
    if (header->magic != WA_SLOT_MAGIC || header->version != WA_SLOT_VERSION ||
        header->header_size != sizeof *header || header->module_len > WA_STORE_MODULE_MAX ||
        header->module_off > WA_STORE_MODULE_MAX - header->module_len) {
        return WA_ERR_MALFORMED;
    }
    return WA_OK;
}

/* The last written word of an append-only word area (erased if none), and
 * the offset of its first erased word (0 when the area is full). */
static uint32_t last_word(uint32_t base, uint32_t words, uint32_t *free_at)
{
    uint32_t last = 0xFFFFFFFFu;
    *free_at = 0;
    for (uint32_t i = 0; i < words; i++) {
        uint32_t word;
        if (wa_port_flash_read(base + 4u * i, &word, 4) != 0) {
            break;
        }
        if (word == 0xFFFFFFFFu) {
            *free_at = base + 4u * i;
            break;
        }
        last = word;
    }
    return last;
}

static int append_word(uint32_t base, uint32_t words, uint32_t value)
{
    uint32_t free_at;
    (void)last_word(base, words, &free_at);
    return free_at == 0 ? WA_ERR_TOO_LARGE : wa_port_flash_write(free_at, &value, 4);
}

uint32_t wa_store_state(uint32_t slot)
{
    uint32_t free_at;
    return slot < WA_STORE_SLOTS ? last_word(STATE_OFFSET(slot), WA_STORE_STATE_WORDS, &free_at)
                                 : WA_SLOT_INSTALLED;
}

int wa_store_set_state(uint32_t slot, uint32_t state)
{
    return slot < WA_STORE_SLOTS ? append_word(STATE_OFFSET(slot), WA_STORE_STATE_WORDS, state)
                                 : WA_ERR_INVALID_ARG;
}

uint32_t wa_store_progress(uint32_t slot)
{
    uint32_t free_at;
    uint32_t off = slot < WA_STORE_SLOTS
                       ? last_word(PROGRESS_OFFSET(slot), WA_STORE_PROGRESS_WORDS, &free_at)
                       : 0xFFFFFFFFu;
    return off == 0xFFFFFFFFu ? 0 : off;
}

void wa_store_set_progress(uint32_t slot, uint32_t off)
{
    if (slot < WA_STORE_SLOTS) {
        (void)append_word(PROGRESS_OFFSET(slot), WA_STORE_PROGRESS_WORDS, off);
    }
}

uint32_t wa_store_boot_count(void)
{
    return s_boot_count;
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
    return len == 0 ? WA_OK : wa_port_flash_write(base + off, data, len);
}

int wa_store_begin(uint32_t slot, const wa_slot_meta_t *meta)
{
    int rc = wa_store_erase_header(slot);
    return rc != 0 ? rc
                   : wa_port_flash_write(WA_STORE_SLOT_OFFSET(slot) + WA_STORE_META_OFFSET, meta,
                                         sizeof *meta);
}

int wa_store_install(uint32_t slot, const wa_slot_header_t *header)
{
    if (slot >= WA_STORE_SLOTS) {
        return WA_ERR_INVALID_ARG;
    }
    return wa_port_flash_write(WA_STORE_SLOT_OFFSET(slot), header, sizeof *header);
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
    return meta->magic == WA_META_MAGIC ? WA_OK : WA_ERR_NOT_FOUND;
}

const uint8_t *wa_store_module_area(uint32_t slot)
{
    const uint8_t *map = wa_port_flash_map();
    return map == NULL || slot >= WA_STORE_SLOTS ? NULL
                                                 : map + WA_STORE_SLOT_OFFSET(slot) + WA_STORE_PAGE;
}
