"""The preload image: layout and header bytes, as the firmware reads them."""

from __future__ import annotations

import zlib

import pytest

from wamr_agent.boards import load_board
from wamr_agent.emulator.flashimage import (
    COMMIT_OFFSET,
    FLAG_PRELOADED,
    HEADER_FIELDS,
    HEADER_SIZE,
    KV_PAGES,
    PAGE,
    SLOT_COMMIT,
    SLOT_MAGIC,
    SLOTS_START,
    Layout,
    PreloadApp,
    build_image,
)
from wamr_agent.errors import FitError, UsageError

BOARD = load_board("mps2-an386")


def test_layout_for_a_128_kib_module_budget() -> None:
    layout = Layout.for_board(BOARD)
    assert layout.module_max == 128 * 1024
    assert layout.slot_bytes == PAGE + 128 * 1024
    assert SLOTS_START == 3 * PAGE, "boot log, then the journal's two pages"
    assert layout.slots == 8  # the 2 MiB flash window holds 15, capped at SLOTS_MAX
    assert layout.kv_offset == SLOTS_START + 8 * layout.slot_bytes
    assert layout.flash_bytes == layout.kv_offset + KV_PAGES * PAGE
    assert layout.slot_offset(1) == SLOTS_START + layout.slot_bytes


@pytest.mark.parametrize(("board", "slots"), [("nrf52840", 5), ("stm32f4", 8), ("esp32", 8)])
def test_slots_follow_the_app_flash(board: str, slots: int) -> None:
    """1 MiB of flash less 256 KiB for the firmware holds 5 slots of 132 KiB."""
    assert Layout.for_board(load_board(board)).slots == slots


def test_image_holds_header_and_module_and_is_otherwise_erased() -> None:
    module = b"\0asm\1\0\0\0" + bytes(range(50))
    image = build_image(BOARD, [PreloadApp("sensor", module, grants=0b101, cpu_ticks=0)])
    layout = Layout.for_board(BOARD)
    at = layout.slot_offset(0)
    magic, version, size, length, grants, ticks, crc, name, generation, *rest = (
        HEADER_FIELDS.unpack_from(image, at))
    assert (magic, version, size, length) == (SLOT_MAGIC, 3, 96, len(module))
    assert generation == 1 and rest == [0xFFFFFFFF, 0xFFFFFFFF, 0, 0, FLAG_PRELOADED, 0, 0, 0,
                                        0xFFFFFFFF], (
        "no metered image, module at the start, no security counter, preloaded (confirmed), "
        "no trial policy, reserved erased")
    assert (grants, ticks, crc) == (0b101, 0, zlib.crc32(module))
    assert name.rstrip(b"\0") == b"sensor"
    stored_crc = int.from_bytes(image[at + HEADER_FIELDS.size : at + HEADER_SIZE], "little")
    assert stored_crc == zlib.crc32(image[at : at + HEADER_FIELDS.size]), "header CRC"
    commit = int.from_bytes(image[at + COMMIT_OFFSET : at + COMMIT_OFFSET + 4], "little")
    assert commit == SLOT_COMMIT, "a preloaded header is committed"
    assert image[at + PAGE : at + PAGE + len(module)] == module
    assert image[:SLOTS_START] == b"\xff" * SLOTS_START, "boot log and journal start erased"
    after = at + COMMIT_OFFSET + 4
    assert image[after : at + PAGE] == b"\xff" * (at + PAGE - after), "no meta or progress"
    assert set(image[layout.slot_offset(1) :]) == {0xFF}


def test_default_cpu_budget_is_the_boards() -> None:
    image = build_image(BOARD, [PreloadApp("a", b"\0asm\1\0\0\0")])
    assert HEADER_FIELDS.unpack_from(image, SLOTS_START)[5] == 0xFFFFFFFF


@pytest.mark.parametrize(("apps", "error", "text"), [
    ([PreloadApp("x" * 33, b"m")], UsageError, "1 to 32 bytes"),
    ([PreloadApp("big", b"\0" * (128 * 1024 + 1))], FitError, "holds at most"),
    ([PreloadApp(str(i), b"m") for i in range(8)], UsageError, "at most 7 apps"),
    ([PreloadApp("a", b"m"), PreloadApp("a", b"n")], UsageError, "names must differ"),
])
def test_bad_preloads_are_refused(apps: list[PreloadApp], error: type[Exception],
                                  text: str) -> None:
    with pytest.raises(error, match=text):
        build_image(BOARD, apps)
