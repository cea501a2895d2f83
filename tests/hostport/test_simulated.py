"""The firmware core on simulated boards (esp32, nrf52840): apps from flash, the
memory and CPU budgets, power cuts, resets, the watchdog backstop, the RAM arena
as a hard limit and the host port's flash rules (the port self-test)."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import device_checks as checks
from tests.conftest import ROOT
from tests.device_checks import Start
from wamr_agent.boards import load_board
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.flashimage import KV_PAGES, Layout

Example = Callable[[str], Path]
Wat = Callable[[str], bytes]
BOARDS = ["esp32", "nrf52840"]
RESERVE = 32 * 1024


@pytest.mark.parametrize("name", BOARDS)
def test_board_boots_and_runs_the_sensor_app_from_flash(name: str, tmp_path: Path,
                                                        example: Example) -> None:
    profile = load_board(name)
    with SimulatedBoard.start(name, workdir=tmp_path, preload=[example("sensor")]) as board:
        assert board.banner.startswith("wamr-agent firmware ")
        assert f"board={name}" in board.banner
        assert f"ram={profile.ram_bytes}" in board.banner
        layout = Layout.for_board(profile)
        m = board.console.expect(rf"flash bytes=(\d+) page=4096 slots={layout.slots} "
                                   rf"slot_bytes=(\d+) kv_pages={KV_PAGES}")
        assert (int(m[1]), int(m[2])) == (layout.flash_bytes, layout.slot_bytes)
        board.console.expect(r"boot 1 reset=power-on")
        board.console.expect(r"app sensor started")
        board.console.expect(r"telemetry sensor temp_c=\d+(\.\d+)?")
        board.console.expect(r"telemetry sensor humidity=\d+(\.\d+)?")
        board.console.expect(r"\[sensor\] ALERT temperature", timeout=60)
        assert board.flash_path.stat().st_size == layout.flash_bytes


@pytest.mark.parametrize("name", BOARDS)
def test_heap_is_the_boards_ram_minus_the_firmware_reserve(name: str, tmp_path: Path) -> None:
    ram = load_board(name).ram_bytes
    with SimulatedBoard.start(name, workdir=tmp_path) as board:
        found = re.search(r"heap_free=(\d+)", board.banner)
        assert found is not None
        heap_free = int(found[1])
        assert 0 < heap_free <= ram - RESERVE


def test_ram_arena_is_a_hard_limit(tmp_path: Path) -> None:
    """Two apps of 2 wasm pages each fit the budget one by one, not together in 256 KiB."""
    import wasmtime

    module = bytes(wasmtime.wat2wasm('(module (memory 2) (func (export "loop")))'))
    with SimulatedBoard.start("nrf52840", workdir=tmp_path,
                              preload=[("one", module), ("two", module)]) as board:
        board.console.expect(r"app one started")
        board.console.expect(r"app two refused: .*memory allocation failed")
        board.console.expect(r"agent ready")


def sim(name: str) -> Start:
    return lambda workdir, preload: SimulatedBoard.start(name, workdir=workdir, preload=preload)


def test_module_over_the_memory_budget_is_refused(tmp_path: Path, wat: Wat) -> None:
    checks.memory_budget_refusal(sim("esp32"), tmp_path, wat)


def test_wasi_command_output_after_main_is_kept(tmp_path: Path, wat: Wat) -> None:
    checks.wasi_command_output_after_main_is_kept(sim("esp32"), tmp_path, wat)


def test_trapping_app_is_stopped_and_the_others_keep_running(tmp_path: Path, wat: Wat,
                                                             example: Example) -> None:
    checks.trapping_app_is_stopped(sim("nrf52840"), tmp_path, wat, example)


@pytest.mark.parametrize("name", BOARDS)
def test_endless_loop_is_stopped_by_the_cpu_budget(name: str, tmp_path: Path, wat: Wat,
                                                   example: Example) -> None:
    checks.cpu_budget_stops_endless_loop(sim(name), tmp_path, wat, example)


def test_power_cut_and_restart_keep_the_app(tmp_path: Path, example: Example) -> None:
    with SimulatedBoard.start("nrf52840", workdir=tmp_path,
                              preload=[example("sensor")]) as board:
        board.console.expect(r"telemetry sensor temp_c=")
        port = board.mgmt_address
        board.power_cut()
        assert not board.running and board.exit_status is None
        board.restart()
        assert board.mgmt_address == port
        board.console.expect(r"boot 2 reset=power-on")
        board.console.expect(r"app sensor started")
        board.console.expect(r"telemetry sensor temp_c=")


def _connected(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True


def test_reset_keeps_pid_flash_and_the_management_connection(tmp_path: Path,
                                                             example: Example) -> None:
    with SimulatedBoard.start("esp32", workdir=tmp_path, preload=[example("sensor")]) as board:
        port = int(board.mgmt_address.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as mgmt:
            pid = board.pid
            board.console.expect(r"telemetry sensor temp_c=")
            assert board.reset().startswith("wamr-agent firmware")
            assert board.pid == pid and board.running
            board.console.expect(r"boot 2 reset=")
            board.console.expect(r"telemetry sensor temp_c=")
            assert _connected(mgmt)
    assert not board.running


def test_watchdog_backstop_resets_and_the_runaway_app_is_not_restarted(
        tmp_path: Path, wat: Wat, example: Example) -> None:
    checks.watchdog_backstop(sim("esp32"), tmp_path, wat, example)


def test_qemu_boards_are_refused(tmp_path: Path) -> None:
    from wamr_agent.errors import BoardError

    with pytest.raises(BoardError, match="QEMU board"):
        SimulatedBoard.start("mps2-an386", workdir=tmp_path)


@pytest.fixture(scope="module")
def selftest_program() -> Path:
    subprocess.run(["make", "-s", "sim", "BOARD=nrf52840", "SIM_OUT=build/sim-selftest",
                    "SIM_AGENT_SOURCES=firmware/tests/wa_port_selftest.c "
                    "firmware/core/agent/wa_console.c firmware/core/agent/wa_log.c"],
                   cwd=ROOT, check=True, capture_output=True)
    return ROOT / "build" / "sim-selftest" / "nrf52840" / "wamr-agent-sim"


def test_port_flash_rules_reset_and_fault_handler(selftest_program: Path,
                                                  tmp_path: Path) -> None:
    with SimulatedBoard.start("nrf52840", firmware=selftest_program,
                              workdir=tmp_path) as board:
        checks.port_selftest_passes(
            board, r"FAULT pc=0x[0-9a-f]+ lr=0x[0-9a-f]+ cfsr=0x0000000b .*\(SIGSEGV\)")
