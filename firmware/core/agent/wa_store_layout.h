/*
 * wa_store_layout.h - where things live in the app flash area. Mirrored by
 * agent/wamr_agent/emulator/flashimage.py (which writes preloaded images);
 * the firmware prints the layout at boot and the tests compare it with
 * Python's figures.
 *
 *   page 0                  boot log: 16-byte records (with a CRC) appended at each boot
 *   pages 1, 2              lifecycle journal (wa_journal.h): two pages used in turn
 *   slot k (k < SLOTS)      one header page, then the module's pages; SLOTS is
 *                           what the board's app flash holds, at most SLOTS_MAX
 *   KV_PAGES after the slots key-value store (wa_kv.h): pages used as a ring
 *
 * A slot's header page (offsets in the page):
 *   0     wa_slot_header_t (96 B)   written at install, CRC in its last word
 *   96    commit word (4 B)         written after the header reads back right:
 *                                   a slot without it holds no app
 *   128   wa_slot_meta_t (132 B)    written first by an upload (name, len, sha...)
 *   1024  progress records (8 B)    appended by an upload: value, ~value
 *
 * The module area holds the module as uploaded: the app runs from it in
 * place. An earlier firmware wrote a metered image after it (8-byte
 * aligned), which this one still runs.
 *
 * One slot more than the apps it holds: an update is written beside the
 * version that runs, which is retired only once the new one is confirmed.
 *
 * NOR rules: a byte is written once after an erase. Nothing is rewritten in
 * place: records are appended to erased space, and a reader trusts a record
 * only after its CRC or commit word.
 */
#ifndef WA_STORE_LAYOUT_H
#define WA_STORE_LAYOUT_H

#include "wa_board.h" /* generated from boards/<name>.toml */

#define WA_STORE_PAGE 4096u
#define WA_STORE_ROUND_UP(n) ((((n) + WA_STORE_PAGE - 1u) / WA_STORE_PAGE) * WA_STORE_PAGE)
#define WA_STORE_MODULE_MAX WA_STORE_ROUND_UP(WA_BOARD_BUDGET_MODULE_BYTES)
#define WA_STORE_SLOT_BYTES (WA_STORE_PAGE + WA_STORE_MODULE_MAX)
#define WA_STORE_BOOT_LOG 0u
#define WA_STORE_JOURNAL (1u * WA_STORE_PAGE)
#define WA_STORE_JOURNAL_PAGES 2u
#define WA_STORE_SLOTS_START ((1u + WA_STORE_JOURNAL_PAGES) * WA_STORE_PAGE)
#define WA_STORE_KV_PAGES 4u
/* As many slots as the board's app flash holds beside the boot log, journal and
 * key-value store, at most WA_STORE_SLOTS_MAX (each costs the agent about 400 B
 * of static RAM; a 256 KiB board runs about 9 sensor-size apps at most). */
#ifndef WA_STORE_SLOTS_MAX
#define WA_STORE_SLOTS_MAX 8u
#endif
#define WA_STORE_SLOTS_FIT                                                                         \
    ((WA_BOARD_APP_FLASH_BYTES - WA_STORE_SLOTS_START - WA_STORE_KV_PAGES * WA_STORE_PAGE) /       \
     WA_STORE_SLOT_BYTES)
#define WA_STORE_SLOTS                                                                             \
    (WA_STORE_SLOTS_FIT < WA_STORE_SLOTS_MAX ? WA_STORE_SLOTS_FIT : WA_STORE_SLOTS_MAX)
#define WA_STORE_COMMIT_OFFSET 96u
#define WA_STORE_META_OFFSET 128u
#define WA_STORE_PROGRESS_OFFSET 1024u
#define WA_STORE_PROGRESS_RECORDS ((WA_STORE_PAGE - WA_STORE_PROGRESS_OFFSET) / 8u)
#define WA_STORE_SLOT_OFFSET(k) (WA_STORE_SLOTS_START + (uint32_t)(k)*WA_STORE_SLOT_BYTES)
#define WA_STORE_KV (WA_STORE_SLOTS_START + WA_STORE_SLOTS * WA_STORE_SLOT_BYTES)
#define WA_STORE_FLASH_BYTES (WA_STORE_KV + WA_STORE_KV_PAGES * WA_STORE_PAGE)

_Static_assert(WA_BOARD_APP_FLASH_BYTES >
                       WA_STORE_SLOTS_START + WA_STORE_KV_PAGES * WA_STORE_PAGE &&
                   WA_STORE_SLOTS >= 2u,
               "app flash holds fewer than two slots: one app and the one kept for updates");

#endif /* WA_STORE_LAYOUT_H */
