"""The app flash area's layout (mirror of firmware/core/agent/wa_store*.h),
and writing an image with apps preloaded, for emulated boards.

This is the provisioning path until apps are deployed over SMP: the image is
the file the firmware keeps its flash in (``flash.bin``, via semihosting).
It checks only what the layout needs (name, size); whether a module fits the
board is for the device to decide, as it would for any installed module.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..capabilities import ALL
from ..errors import FitError, UsageError
from ..smp.app_group import NAME_MAX

PAGE = 4096
SLOTS_MAX = 8  # WA_STORE_SLOTS_MAX: a board has as many slots as its app flash holds, at most
JOURNAL_PAGES = 2  # the lifecycle journal (wa_journal.h), after the boot log page
SLOTS_START = (1 + JOURNAL_PAGES) * PAGE
KV_PAGES = 4  # the key-value store (wa_kv.h), after the slots: erased in a new image
SLOT_MAGIC = 0x50504157  # "WAPP"
SLOT_COMMIT = 0x54494D43  # "CMIT", at COMMIT_OFFSET: the header above it is whole
COMMIT_OFFSET = 96
SLOT_VERSION = 3
FLAG_PRELOADED = 1  # confirmed without a trial (wa_store.h WA_SLOT_F_PRELOADED)
TICKS_DEFAULT = 0xFFFFFFFF
QUOTA_DEFAULT = 0xFFFFFFFF  # kv_quota: the board's [storage] default_quota
# magic, version, header_size, module_len, grants, cpu_ticks, module_crc32, name,
# generation, image_len, image_crc32, module_off, seq, flags, health_loops, health_traps,
# health_window_ms, kv_quota (QUOTA_DEFAULT: the board's); then crc32 of all that
HEADER_FIELDS = struct.Struct("<IHHIIII32sIIIIIIHHII")
HEADER_SIZE = HEADER_FIELDS.size + 4
assert HEADER_SIZE == 96, "must match _Static_assert in wa_store.h"
NO_IMAGE = 0xFFFFFFFF  # image_len: no metered image (the device runs the module in place)
BOOT_RECORD = struct.Struct("<4I")
assert BOOT_RECORD.size == 16


@dataclass(frozen=True)
class Layout:
    """Offsets and sizes of the app flash area for one board."""

    module_max: int
    slot_bytes: int
    flash_bytes: int
    slots: int  # one more than the apps: an update is written beside the running copy

    @classmethod
    def for_board(cls, board: Board) -> Layout:
        module_max = -(-board.budget.module_bytes // PAGE) * PAGE
        slot_bytes = PAGE + module_max
        fit = (board.app_flash_bytes - SLOTS_START - KV_PAGES * PAGE) // slot_bytes
        slots = max(0, min(fit, SLOTS_MAX))
        return cls(module_max, slot_bytes, SLOTS_START + slots * slot_bytes + KV_PAGES * PAGE,
                   slots)

    @property
    def kv_offset(self) -> int:
        """Where the key-value store's pages start (after the slots)."""
        return self.slot_offset(self.slots)

    def slot_offset(self, slot: int) -> int:
        return SLOTS_START + slot * self.slot_bytes


@dataclass(frozen=True)
class PreloadApp:
    name: str
    module: bytes
    grants: int = ALL
    cpu_ticks: int | None = None  # None: the board's budget; 0: unlimited


def header_bytes(app: PreloadApp, generation: int = 1) -> bytes:
    """A preloaded slot's header, its CRC, and the commit word after it (at
    COMMIT_OFFSET): a preloaded app counts as confirmed, with no trial."""
    name = app.name.encode()
    if not name or len(name) > NAME_MAX:
        raise UsageError(f"app name {app.name!r} must be 1 to {NAME_MAX} bytes")
    ticks = TICKS_DEFAULT if app.cpu_ticks is None else app.cpu_ticks
    fields = HEADER_FIELDS.pack(SLOT_MAGIC, SLOT_VERSION, HEADER_SIZE, len(app.module),
                                app.grants, ticks, zlib.crc32(app.module), name, generation,
                                NO_IMAGE, 0xFFFFFFFF, 0, 0,  # image len and CRC, module_off, seq
                                FLAG_PRELOADED, 0, 0, 0, QUOTA_DEFAULT)  # health, kv quota
    header = fields + struct.pack("<I", zlib.crc32(fields))
    return header + b"\xff" * (COMMIT_OFFSET - HEADER_SIZE) + struct.pack("<I", SLOT_COMMIT)


def build_image(board: Board, apps: list[PreloadApp]) -> bytes:
    """A whole erased flash area with apps in slots 0, 1, ..."""
    layout = Layout.for_board(board)
    if len(apps) > layout.slots - 1:
        raise UsageError(f"at most {layout.slots - 1} apps can be preloaded (one slot is kept free "
                         f"for updates), got {len(apps)}")
    names = [app.name for app in apps]
    if len(set(names)) != len(names):
        raise UsageError(f"preloaded app names must differ: {', '.join(names)}")
    image = bytearray(b"\xff" * layout.flash_bytes)
    for slot, app in enumerate(apps):
        if len(app.module) > layout.module_max:
            raise FitError(f"{app.name}: module is {len(app.module)} bytes; a slot on "
                           f"{board.name} holds at most {layout.module_max}")
        at = layout.slot_offset(slot)
        header = header_bytes(app, generation=slot + 1)
        image[at : at + len(header)] = header
        image[at + PAGE : at + PAGE + len(app.module)] = app.module
    return bytes(image)


def write_flash_image(path: Path, board: Board, apps: list[PreloadApp]) -> None:
    """Writes a fresh flash file with the apps preloaded."""
    path.write_bytes(build_image(board, apps))


# The key-value store's records (wa_kv.c): seq, ns, app_len, key_len, pad (0xFF),
# len (0xFFFF: a tombstone), pad (0xFFFF); then crc32 of those 12 bytes and of the app
# name, key and value that follow; the next record at the next multiple of 4. A page
# starts with its number and the number's complement.
KV_HEAD = struct.Struct("<IBBBBHH")
KV_FIRST = 8
KV_TOMBSTONE = 0xFFFF


def kv_record(seq: int, app: str, key: bytes, value: bytes | None, ns: int = 0) -> bytes:
    """One record: app's key = value (None: deleted), in namespace ns."""
    name, data = app.encode(), value or b""
    head = KV_HEAD.pack(seq, ns, len(name), len(key), 0xFF,
                        KV_TOMBSTONE if value is None else len(value), 0xFFFF)
    rec = head + struct.pack("<I", zlib.crc32(head + name + key + data)) + name + key + data
    return rec + b"\xff" * (-len(rec) % 4)


def kv_page(number: int, records: list[bytes]) -> bytes:
    """A page of the store numbered ``number`` (>= 1) holding records, the rest erased."""
    page = struct.pack("<II", number, ~number & 0xFFFFFFFF) + b"".join(records)
    if len(page) > PAGE:
        raise UsageError(f"kv page {number}: {len(page)} bytes of records")
    return page + b"\xff" * (PAGE - len(page))
