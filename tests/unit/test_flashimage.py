"""The preload image: layout and header bytes, as the firmware reads them."""

from __future__ import annotations

import zlib

import pytest

from wamr_agent.boards import load_board
from wamr_agent.emulator.flashimage import (
    HEADER,
    PAGE,
    SLOT_MAGIC,
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
    assert layout.flash_bytes == PAGE + 4 * layout.slot_bytes
    assert layout.slot_offset(1) == PAGE + layout.slot_bytes


def test_image_holds_header_and_module_and_is_otherwise_erased() -> None:
    module = b"\0asm\1\0\0\0" + bytes(range(50))
    image = build_image(BOARD, [PreloadApp("sensor", module, grants=0b101, cpu_ticks=0)])
    layout = Layout.for_board(BOARD)
    at = layout.slot_offset(0)
    magic, version, size, length, grants, ticks, crc, name, generation, *rest = (
        HEADER.unpack_from(image, at))
    assert (magic, version, size, length) == (SLOT_MAGIC, 2, 80, len(module))
    assert generation == 1 and rest == [0xFFFFFFFF, 0xFFFFFFFF, 0, 0, 0xFFFFFFFF], (
        "no metered image, module at the start, no security counter, reserved erased")
    assert (grants, ticks, crc) == (0b101, 0, zlib.crc32(module))
    assert name.rstrip(b"\0") == b"sensor"
    assert image[at + PAGE : at + PAGE + len(module)] == module
    assert image[:PAGE] == b"\xff" * PAGE, "boot log starts erased"
    assert image[at + 80 : at + PAGE] == b"\xff" * (PAGE - 80), "no meta, state or progress"
    assert set(image[layout.slot_offset(1) :]) == {0xFF}


def test_default_cpu_budget_is_the_boards() -> None:
    image = build_image(BOARD, [PreloadApp("a", b"\0asm\1\0\0\0")])
    assert HEADER.unpack_from(image, PAGE)[5] == 0xFFFFFFFF


@pytest.mark.parametrize(("apps", "error", "text"), [
    ([PreloadApp("x" * 33, b"m")], UsageError, "1 to 32 bytes"),
    ([PreloadApp("big", b"\0" * (128 * 1024 + 1))], FitError, "holds at most"),
    ([PreloadApp(str(i), b"m") for i in range(4)], UsageError, "at most 3 apps"),
    ([PreloadApp("a", b"m"), PreloadApp("a", b"n")], UsageError, "names must differ"),
])
def test_bad_preloads_are_refused(apps: list[PreloadApp], error: type[Exception],
                                  text: str) -> None:
    with pytest.raises(error, match=text):
        build_image(BOARD, apps)
