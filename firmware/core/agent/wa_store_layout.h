/*
 * wa_store_layout.h - where things live in the app flash area. Mirrored by
 * agent/wamr_agent/emulator/flashimage.py (which writes preloaded images);
 * the firmware prints the layout at boot and the QEMU tests compare it with
 * Python's figures.
 *
 *   page 0                  boot log: 16-byte records appended at each boot
 *   slot k (k < SLOTS)      one header page, then the module's pages
 *
 * A slot's header page (offsets in the page):
 *   0     wa_slot_header_t (80 B)   written last: a slot without it is empty
 *   80    wa_slot_meta_t (128 B)    written first by an upload (name, len, sha...)
 *   208   state words (204)         appended: stopped, started, disabled
 *   1024  progress words (768)      appended by an upload: bytes in flash so far
 *
 * The module area holds the module as uploaded, then (8-byte aligned) its
 * metered image when the install wrote one: the app runs from it in place.
 *
 * One slot more than the apps it holds: an update is written beside the
 * version that runs, which is retired only once the new one is installed.
 *
 * NOR rules: a byte is written once after an erase. State changes never
 * rewrite a word: they append to an erased word (see wa_store.h).
 */
#ifndef WA_STORE_LAYOUT_H
#define WA_STORE_LAYOUT_H

#include "wa_board.h" /* generated from boards/<name>.toml */

#define WA_STORE_PAGE 4096u
#define WA_STORE_SLOTS 4u
#define WA_STORE_ROUND_UP(n) ((((n) + WA_STORE_PAGE - 1u) / WA_STORE_PAGE) * WA_STORE_PAGE)
#define WA_STORE_MODULE_MAX WA_STORE_ROUND_UP(WA_BOARD_BUDGET_MODULE_BYTES)
#define WA_STORE_SLOT_BYTES (WA_STORE_PAGE + WA_STORE_MODULE_MAX)
#define WA_STORE_BOOT_LOG 0u
#define WA_STORE_META_OFFSET 80u
#define WA_STORE_STATE_OFFSET 208u
#define WA_STORE_STATE_WORDS 204u
#define WA_STORE_PROGRESS_OFFSET 1024u
#define WA_STORE_PROGRESS_WORDS ((WA_STORE_PAGE - WA_STORE_PROGRESS_OFFSET) / 4u)
#define WA_STORE_SLOT_OFFSET(k) (WA_STORE_PAGE + (uint32_t)(k)*WA_STORE_SLOT_BYTES)
#define WA_STORE_FLASH_BYTES (WA_STORE_PAGE + WA_STORE_SLOTS * WA_STORE_SLOT_BYTES)

#endif /* WA_STORE_LAYOUT_H */
