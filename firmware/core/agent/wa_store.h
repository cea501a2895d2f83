/*
 * wa_store.h - apps and the boot log in the app flash area (layout in
 * wa_store_layout.h), on top of the port's NOR flash API.
 *
 * Every program operation goes through wa_store_program(), which reads the
 * bytes back: a flash that silently fails a write is an error, never a
 * record believed. Records that matter carry a CRC (boot records, slot
 * meta) or a commit word written after them (slot header); progress
 * records carry their complement. A reader trusts nothing else, so a power
 * cut before, during or after any operation leaves either the old record
 * or the new one, never a mix.
 *
 * What changes over an app's life (trial, confirmed, stopped, security
 * counters) is not here but in the journal (wa_journal.h): a slot's header
 * page is written once after its erase.
 *
 * Mirrored in Python by agent/wamr_agent/emulator/flashimage.py.
 */
#ifndef WA_STORE_H
#define WA_STORE_H

#include <stdint.h>

#include "wa_crc32.h" /* wa_crc32, wa_crc32_update */
#include "wa_store_layout.h"

#define WA_SLOT_MAGIC 0x50504157u  /* "WAPP" little-endian */
#define WA_SLOT_COMMIT 0x54494D43u /* "CMIT": the header above it is whole */
#define WA_SLOT_VERSION 3u
#define WA_SLOT_TICKS_DEFAULT 0xFFFFFFFFu /* cpu_ticks: use the board's budget */
#define WA_SLOT_QUOTA_DEFAULT 0xFFFFFFFFu /* kv_quota: the board's [storage] default_quota */
#define WA_SLOT_NAME_MAX 32u

/* wa_slot_header_t.flags */
#define WA_SLOT_F_PRELOADED 1u /* written by the image tool: confirmed, no trial */
#define WA_SLOT_F_SIGNED 2u    /* installed from a signed bundle (seq is its counter) */
#define WA_SLOT_F_MANUAL 4u    /* health policy: confirmed only by an operator */
/* flags bits 8-15: the word wa_check_image gave at install (wa_runtime.h; 0:
 * not checked), kept for the load: the module's (wa_app_load_checked), or
 * in a slot an earlier firmware wrote with a metered image, the image's
 * (wa_app_load_installed) */
#define WA_SLOT_CHECKED(flags) (((flags) >> 8) & 0xFFu)
#define WA_SLOT_F_CHECKED(word) ((uint32_t)(word) << 8)

typedef struct wa_slot_header {
    uint32_t magic;
    uint16_t version;
    uint16_t header_size; /* sizeof(wa_slot_header_t) */
    uint32_t module_len;
    uint32_t grants;             /* enum wa_cap bits */
    uint32_t cpu_ticks;          /* per call; 0 = unlimited, WA_SLOT_TICKS_DEFAULT = board's */
    uint32_t module_crc32;       /* CRC-32 (IEEE 802.3) of the module bytes */
    char name[WA_SLOT_NAME_MAX]; /* NUL-padded, not necessarily NUL-terminated */
    uint32_t generation;         /* install order: of two slots with one name, the higher wins */
    uint32_t image_len;          /* metered image after the module (written by earlier
                                    firmware only), WA_SLOT_NO_IMAGE if none */
    uint32_t image_crc32;        /* CRC-32 of the metered image */
    uint32_t module_off;         /* module start in the module area (after a bundle's head) */
    uint32_t seq;                /* security counter of the installed bundle; 0: bare module */
    uint32_t flags;              /* WA_SLOT_F_* */
    uint16_t health_loops;       /* trial: loop rounds before confirming */
    uint16_t health_traps;       /* trial: traps tolerated */
    uint32_t health_window_ms;   /* trial: least time on trial */
    uint32_t kv_quota;           /* key-value bytes (wa_kv.h); WA_SLOT_QUOTA_DEFAULT: board's */
    uint32_t crc32;              /* CRC-32 of the bytes before it */
} wa_slot_header_t;

#define WA_SLOT_NO_IMAGE 0xFFFFFFFFu
/* Where a slot's metered image starts in its module area: after what was
 * uploaded (the module, or the bundle that ends with it). */
#define WA_STORE_IMAGE_OFFSET(header)                                                              \
    ((((uint32_t)(header)->module_off + (header)->module_len) + 7u) & ~7u)

_Static_assert(sizeof(wa_slot_header_t) == 96, "slot header is 96 bytes on every build");
_Static_assert(sizeof(wa_slot_header_t) <= WA_STORE_COMMIT_OFFSET, "header overlaps its commit");

typedef struct wa_boot_record {
    uint32_t magic;      /* WA_BOOT_MAGIC, WA_INCIDENT_MAGIC, WA_LOAD_MAGIC, ... */
    uint32_t boot_count; /* boots so far, this one included */
    uint32_t cause_slot; /* see the magics below */
    uint32_t crc32;      /* CRC-32 of the bytes before it */
} wa_boot_record_t;

_Static_assert(sizeof(wa_boot_record_t) == 16, "boot record is 16 bytes");

/* One boot's records, in the order written:
 *   BOOT  high half: the slot whose load the reset before this boot cut
 *         short (0xFFFF: none); low half: early | safe << 8 (below)
 *   LOAD  high half: the slot being loaded and started from now on, 0xFFFF
 *         when that is over (persisted before the load: a reset while the
 *         mark is set is blamed on that app)
 *   INCT  high half: the app running, low half: enum wa_boot_cause
 *   SERV  the agent served SMP (its first round is over)
 *   OPER  an operator acted over SMP: the next boot leaves safe mode */
#define WA_BOOT_MAGIC 0x544F4F42u     /* "BOOT" */
#define WA_INCIDENT_MAGIC 0x54434E49u /* "INCT" */
#define WA_LOAD_MAGIC 0x44414F4Cu     /* "LOAD" */
#define WA_SERVED_MAGIC 0x56524553u   /* "SERV" */
#define WA_OPERATOR_MAGIC 0x5245504Fu /* "OPER" */
#define WA_NO_SLOT 0xFFFFFFFFu

enum wa_boot_cause {
    WA_BOOT_POWER_ON = 0, /* power-on, power cut, or an external reset */
    WA_BOOT_WATCHDOG = 1,
    WA_BOOT_FAULT = 2,
    WA_BOOT_SOFTWARE = 3, /* a reset asked for (SMP os reset) */
};

/* What the boot log says about this boot. */
typedef struct wa_boot_info {
    uint32_t boot_count;
    uint32_t cause;
    uint32_t slot;      /* the app running at the incident, or WA_NO_SLOT */
    uint32_t load_slot; /* the app whose load or start the reset cut short, or WA_NO_SLOT */
    uint8_t load_again; /* the reset before the last boot cut short load_slot's load too */
    uint8_t early;      /* boots in a row (up to this one) that reset before serving SMP */
    uint8_t safe;       /* this boot is in safe mode: SMP served, no app started */
    uint8_t safe_kept;  /* ... because the last boot was, and no operator acted since */
} wa_boot_info_t;

/* Programs len bytes at off (erased flash) and reads them back. Returns 0,
 * the port's error, or WA_ERR_UNKNOWN when the bytes did not stick. */
int wa_store_program(uint32_t off, const void *data, uint32_t len);

/* Reads the log, appends this boot's record and reports why we booted.
 * The boot is in safe mode when safe_after boots in a row (this one
 * included) reset before serving SMP, or when the last boot was in safe
 * mode and no operator acted. Returns 0 or an agent_err code. */
int wa_store_boot(wa_boot_info_t *info, uint32_t safe_after);

/* Appends a LOAD (slot, or WA_NO_SLOT: the load is over), SERV or OPER
 * record for this boot (see above). Returns 0 or an agent_err code. */
int wa_store_mark(uint32_t magic, uint32_t slot);

/* Appends an incident (watchdog, fault) for the current boot. Safe to call
 * from interrupt context; returns 0 or an agent_err code. */
int wa_store_incident(uint32_t cause, uint32_t slot);

/* Reads slot k's header; returns 0, WA_ERR_NOT_FOUND (no committed header:
 * empty, or an install cut short) or WA_ERR_MALFORMED (committed, but its
 * CRC or fields are wrong). */
int wa_store_header(uint32_t slot, wa_slot_header_t *header);

/* The module's bytes: a pointer into the memory-mapped flash when the port
 * has one, else read into buf (cap bytes). Checks the CRC. NULL with *rc
 * set on failure. */
const uint8_t *wa_store_module(uint32_t slot, const wa_slot_header_t *header, uint8_t *buf,
                               uint32_t cap, int *rc);

/* ---- installing apps (SMP wasm-app group) ------------------------------ */

#define WA_SLOT_DEPLOY_MAX 32u
#define WA_SLOT_VERSION_MAX 16u
#define WA_META_MAGIC 0x444C5055u /* "UPLD" */
#define WA_META_START 1u          /* flags: start the app once installed */
/* flags: the upload began as a signed bundle (ota/FORMAT.md); a resume goes by
 * its own request's flag, never by this one (wa_install.c) */
#define WA_META_BUNDLE 2u

/* What an upload records about its module, at WA_STORE_META_OFFSET of the
 * header page, before the first module byte: enough to resume the upload
 * after a reset and to answer status. All 0xFF in preloaded slots. */
typedef struct wa_slot_meta {
    uint32_t magic; /* WA_META_MAGIC */
    uint32_t module_len;
    uint32_t grants; /* enum wa_cap bits */
    uint32_t flags;  /* WA_META_* */
    uint8_t sha256[32];
    char name[WA_SLOT_NAME_MAX];       /* NUL-padded */
    char deploy[WA_SLOT_DEPLOY_MAX];   /* the host's deploy id, NUL-padded */
    char version[WA_SLOT_VERSION_MAX]; /* free-form, NUL-padded */
    uint32_t crc32;                    /* CRC-32 of the bytes before it */
} wa_slot_meta_t;

_Static_assert(sizeof(wa_slot_meta_t) == 132, "slot meta is 132 bytes");
_Static_assert(WA_STORE_META_OFFSET + sizeof(wa_slot_meta_t) <= WA_STORE_PROGRESS_OFFSET,
               "meta overlaps the progress records");

/* Erases slot k's header page (header, meta, progress): the slot is then
 * empty. Returns 0 or an agent_err code. */
int wa_store_erase_header(uint32_t slot);

/* Whether slot k's header page is wholly erased (nothing to erase first). */
int wa_store_header_page_clean(uint32_t slot);

/* Whether slot k's header and commit word are still erased, so that an
 * upload in it can still be installed (a header written by an install cut
 * short before its commit word cannot be written again). */
int wa_store_header_unwritten(uint32_t slot);

/* Starts an upload into slot k: erases its header page and writes meta
 * (its CRC filled in). Returns 0 or an agent_err code. */
int wa_store_begin(uint32_t slot, wa_slot_meta_t *meta);

/* Writes module bytes [off, off + len) of slot k, first erasing the module
 * pages from *erased_to (bytes of the module area erased so far, a page
 * multiple) up to off + len. Returns 0 or an agent_err code
 * (WA_ERR_MODULE_TOO_LARGE past the slot's end). */
int wa_store_write_module(uint32_t slot, uint32_t off, const uint8_t *data, uint32_t len,
                          uint32_t *erased_to);

/* Upload progress: the last offset recorded whole (0 if none), and
 * recording one (silently not recorded when the records are used up). */
uint32_t wa_store_progress(uint32_t slot);
void wa_store_set_progress(uint32_t slot, uint32_t off);

/* Writes the header (its CRC filled in) and then the commit word into slot
 * k's header page (written by wa_store_begin): from then on the slot holds
 * an installed app. Returns 0 or an agent_err. */
int wa_store_install(uint32_t slot, wa_slot_header_t *header);

/* Reads slot k's meta; returns 0, or WA_ERR_NOT_FOUND when none was written
 * whole. */
int wa_store_meta(uint32_t slot, wa_slot_meta_t *meta);

/* The slot's module area in the memory-mapped flash (no CRC check), or NULL
 * when the port has no map. */
const uint8_t *wa_store_module_area(uint32_t slot);

/* The slot's metered image (an earlier firmware's install wrote one:
 * wa_wasm_meter's output),
 * read in place from the memory-mapped flash, CRC checked. NULL with *rc
 * WA_ERR_NOT_FOUND (none, or no map) or WA_ERR_MALFORMED (corrupt). */
const uint8_t *wa_store_image(uint32_t slot, const wa_slot_header_t *header, int *rc);

/* "power-on", "watchdog", "fault" or "software". */
const char *wa_store_cause_name(uint32_t cause);

/* The boot count of this boot (0 before wa_store_boot). */
uint32_t wa_store_boot_count(void);

/* The CRC-32 of a record whose last word is its CRC (size bytes in all). */
uint32_t wa_record_crc(const void *record, uint32_t size);

#endif /* WA_STORE_H */
