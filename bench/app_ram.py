"""RAM per app on every board, for `make bench`: the sensor example's high-water
(the device's SMP status, `mem_hw`: linear memory, operand stack, engine heap)
once it is installed over SMP and has run some loop rounds, the heap free before
it, and how many apps of that size the board runs together: the heap divided by
the high-water, at most the slots less the one kept for updates. mps2 boards run
the firmware under QEMU; the others are the host-process build, 32-bit like their
MCUs (SIM_ARCH in the Makefile), with the runtime and budget of the mps2 boards."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from wamr_agent.boards import list_boards, load_board
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.emulator.flashimage import Layout
from wamr_agent.emulator.simulated import sim_path
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

Table = Callable[[str, list[str], list[list[str]]], None]
TARGET = 24 * 1024  # issue 13: the sensor example's high-water on every board


def _measure(board_name: str, module: bytes, workdir: Path) -> tuple[int, int]:
    """(heap free before the app, the app's high-water) on a fresh board."""
    kind = EmulatedBoard if load_board(board_name).emulation == "qemu" else SimulatedBoard
    with kind.start(board_name, workdir=workdir) as board:
        board.console.expect(r"agent ready")
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            free = client.status().heap_free
            client.upload("sensor", module)
            for _ in range(3):  # a few loop rounds: the high-water of a running app
                board.console.expect(r"telemetry sensor temp_c=", timeout=30)
            return free, client.status("sensor").mem_hw


def _sim_bits(build: Path, board: str) -> str:
    """How the simulated board's program was built: its ELF class byte."""
    elf = sim_path(board, build.parent).read_bytes()[:5]
    return "host build, " + ("32-bit" if elf[4:5] == b"\x01" else "64-bit")


def app_ram(table: Table, build: Path) -> None:
    module = (build / "examples" / "sensor.wasm").read_bytes()
    rows = []
    with tempfile.TemporaryDirectory(prefix="wamr-agent-app-ram-") as tmp:
        for board in (b for b in list_boards() if b.supported):
            free, high = _measure(board.name, module, Path(tmp) / board.name)
            apps = min(free // high, Layout.for_board(board).slots - 1)
            where = "QEMU, 32-bit" if board.emulation == "qemu" else _sim_bits(build, board.name)
            rows.append([board.name, where, f"{high:,}", "yes" if high <= TARGET else "no",
                         f"{free:,}", str(Layout.for_board(board).slots), str(apps)])
    table("RAM per app: the sensor example's high-water per board (SMP status mem_hw; target "
          "<= 24 KiB) and how many sensor-size apps run together (heap free / high-water, "
          "at most the slots less the one kept for updates)",
          ["board", "measured on", "high-water B", "<= 24 KiB", "heap free B", "slots",
           "sensor apps"], rows)
