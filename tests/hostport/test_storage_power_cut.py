"""The storage power-cut sweep on a simulated esp32: a flash image (written here
with flashimage.kv_record/kv_page, the Python mirror of wa_kv.c's records) holds
app w's keys x, y, z and another app's key in a store whose next kv_set either fits
the newest page or must compact the oldest page first. The fault injector cuts the
power before, during (torn) and after every flash operation of that kv_set; at the
next boot x holds its old or its new value, y and z are unchanged, and a kv_set
works again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wamr_agent.boards import Board, load_board
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.faults import POWER_CUT_STATUS, Fault, read_trace, sim_args
from wamr_agent.emulator.flashimage import (
    PAGE,
    Layout,
    PreloadApp,
    build_image,
    kv_page,
    kv_record,
)

Example = Callable[[str], Path]
BOARD = "esp32"
Y, Z = b"y" * 50, b"z" * 200
X_PER_PAGE = (PAGE - 8) // 140  # 16 + "w" + "x" + 120 bytes, rounded to 4


def x_value(k: int) -> bytes:
    return str(k).encode().ljust(120, b"x")


def store_pages(full: bool) -> tuple[list[bytes], int]:
    """The store's pages and the number x holds: the oldest page with y, z, another
    app's key, a deleted key and an old x; then pages of x values, the newest one
    full (``full``: the next set compacts the oldest page) or with room."""
    oldest = [kv_record(1, "w", b"y", Y), kv_record(2, "w", b"z", Z),
              kv_record(3, "w", b"x", x_value(3)), kv_record(4, "o", b"k", b"o" * 100),
              kv_record(5, "w", b"d", b"gone"), kv_record(6, "w", b"d", None)]
    pages, seq = [kv_page(1, oldest)], 7
    for number in (2, 3) if full else (2,):
        count = X_PER_PAGE if full else 4
        pages.append(kv_page(number, [kv_record(s, "w", b"x", x_value(s))
                                      for s in range(seq, seq + count)]))
        seq += count
    return pages, seq - 1


def write_image(workdir: Path, board: Board, module: bytes, full: bool) -> int:
    flash = bytearray(build_image(board, [PreloadApp("w", module)]))
    at = Layout.for_board(board).kv_offset
    pages, x = store_pages(full)
    for i, page in enumerate(pages):
        flash[at + i * PAGE: at + (i + 1) * PAGE] = page
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "flash.bin").write_bytes(bytes(flash))
    return x


def kv_ops(workdir: Path, board: Board) -> list[int]:
    """The flash ops of the first loop's kv_set (in the store's pages)."""
    with SimulatedBoard.start(BOARD, workdir=workdir,
                              extra_args=["--flash-trace", "trace.txt"]) as sim:
        sim.console.expect(r"\[w\] kv set = 0")
    kv = Layout.for_board(board).kv_offset
    return [op.index for op in read_trace(workdir / "trace.txt") if op.offset >= kv]


@pytest.mark.parametrize("full", [False, True], ids=["room", "compaction"])
def test_a_cut_kv_set_leaves_old_or_new(full: bool, example: Example, tmp_path: Path) -> None:
    board, module = load_board(BOARD), example("kv_writer").read_bytes()
    write_image(tmp_path / "count", board, module, full)
    ops = kv_ops(tmp_path / "count", board)
    assert len(ops) == (9 if full else 4), ops  # number, 3 copies, erase; head, app, key, value
    for k in ops:
        for mode in ("before", "during", "after"):
            workdir = tmp_path / f"{k}-{mode}"
            x = write_image(workdir, board, module, full)
            with SimulatedBoard.start(BOARD, workdir=workdir,
                                      extra_args=sim_args([Fault.cut(mode, k)])) as sim:
                assert sim.wait_exit(timeout=30) == POWER_CUT_STATUS
                sim.restart(extra_args=[])
                got = int(sim.console.expect(r"\[w\] kv x = (\d+)")[1])
                assert got in (x, x + 1), f"op {k} {mode}: x = {got}, not {x} or {x + 1}"
                sim.console.expect(rf"\[w\] kv y = {sum(Y)}\n")
                sim.console.expect(rf"\[w\] kv z = {sum(Z)}\n")
                sim.console.expect(r"\[w\] kv set = 0")
