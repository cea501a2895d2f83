"""RAM per app on every board, for `make bench`: the sensor example's high-water
(the device's SMP status, `mem_hw`: linear memory, operand stack, engine heap)
once it is installed over SMP and has run some loop rounds, the heap free before
it, and how many apps of that size the board runs together: the heap divided by
the high-water, at most the slots less the one kept for updates. mps2 boards run
the firmware under QEMU; the others are the host-process build, 32-bit like their
MCUs (SIM_ARCH in the Makefile), with the runtime and budget of the mps2 boards. On
the boards with AOT code (the mps2 boards), the same example's high-water as AOT
code too: deployed in a bundle signed by the test key, with its blob for the
board's CPU (docs/aot.md)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from wamr_agent import deploy as deploying
from wamr_agent.aot import compile_module
from wamr_agent.aot.compiler import CPUS
from wamr_agent.boards import list_boards, load_board
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.emulator.flashimage import Layout
from wamr_agent.emulator.simulated import sim_path
from wamr_agent.ota import build_bundle, load_secret_key
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

Table = Callable[[str, list[str], list[list[str]]], None]
TARGET = 24 * 1024  # issue 13: the sensor example's high-water on every board
TEST_KEY = Path(__file__).resolve().parents[1] / "ota" / "vectors" / "test.key"


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


def _measure_aot(board_name: str, module: bytes, workdir: Path) -> int:
    """The app's high-water as AOT code on a fresh emulated board."""
    cpu = load_board(board_name).cpu
    bundle = workdir / "sensor.wab"
    workdir.mkdir(parents=True)
    bundle.write_bytes(build_bundle(
        module, name="sensor", version="1.0.0", seq=1, boards=[board_name],
        caps=["log", "sensor", "telemetry"], key=load_secret_key(TEST_KEY),
        aot={cpu: compile_module(module, cpu).data}))
    with EmulatedBoard.start(board_name, workdir=workdir / "board") as board:
        deploying.deploy(bundle, board_name, board.mgmt_address)
        board.console.expect("app sensor: runs its AOT code")
        for _ in range(3):
            board.console.expect(r"telemetry sensor temp_c=", timeout=30)
        with SmpLink(board.mgmt_address) as link:
            return AppClient(link).status("sensor").mem_hw


def app_ram(table: Table, build: Path) -> None:
    module = (build / "examples" / "sensor.wasm").read_bytes()
    rows = []
    with tempfile.TemporaryDirectory(prefix="wamr-agent-app-ram-") as tmp:
        for board in (b for b in list_boards() if b.supported):
            free, high = _measure(board.name, module, Path(tmp) / board.name)
            apps = min(free // high, Layout.for_board(board).slots - 1)
            where = "QEMU, 32-bit" if board.emulation == "qemu" else _sim_bits(build, board.name)
            aot = (f"{_measure_aot(board.name, module, Path(tmp) / f'{board.name}-aot'):,}"
                   if board.emulation == "qemu" and board.cpu in CPUS else "-")
            rows.append([board.name, where, f"{high:,}", "yes" if high <= TARGET else "no",
                         f"{free:,}", str(Layout.for_board(board).slots), str(apps), aot])
    table("RAM per app: the sensor example's high-water per board (SMP status mem_hw; target "
          "<= 24 KiB) and how many sensor-size apps run together (heap free / high-water, "
          "at most the slots less the one kept for updates); its high-water as AOT code",
          ["board", "measured on", "high-water B", "<= 24 KiB", "heap free B", "slots",
           "sensor apps", "AOT high-water B"], rows)
