"""The firmware on emulated boards: apps from flash, refusals, traps,
runaway apps, the watchdog backstop, and the port's flash rules."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import device_checks as checks
from tests.conftest import ROOT
from tests.device_checks import Start
from wamr_agent.boards import load_board
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.emulator.flashimage import KV_PAGES, Layout

Example = Callable[[str], Path]
Wat = Callable[[str], bytes]
BOARDS = ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505"]


@pytest.mark.parametrize("name", BOARDS)
def test_board_boots_and_runs_the_sensor_app_from_flash(name: str, tmp_path: Path,
                                                        example: Example) -> None:
    with EmulatedBoard.start(name, workdir=tmp_path, preload=[example("sensor")]) as board:
        assert f"board={name}" in board.banner
        assert "ram=262144" in board.banner
        layout = Layout.for_board(load_board(name))
        m = board.console.expect(rf"flash bytes=(\d+) page=4096 slots={layout.slots} "
                                   rf"slot_bytes=(\d+) kv_pages={KV_PAGES}")
        assert (int(m[1]), int(m[2])) == (layout.flash_bytes, layout.slot_bytes)
        board.console.expect(r"app sensor started")
        board.console.expect(r"telemetry sensor temp_c=\d+(\.\d+)?")
        board.console.expect(r"\[sensor\] ALERT temperature", timeout=60)


def qemu(name: str) -> Start:
    return lambda workdir, preload: EmulatedBoard.start(name, workdir=workdir, preload=preload)


def test_module_over_the_memory_budget_is_refused_on_the_device(tmp_path: Path,
                                                                wat: Wat) -> None:
    checks.memory_budget_refusal(qemu("mps2-an386"), tmp_path, wat)


def test_wasi_command_output_after_main_is_kept_on_the_device(tmp_path: Path,
                                                              wat: Wat) -> None:
    checks.wasi_command_output_after_main_is_kept(qemu("mps2-an386"), tmp_path, wat)


def test_trapping_app_is_reported_stopped_and_the_others_keep_running(
        tmp_path: Path, wat: Wat, example: Example) -> None:
    checks.trapping_app_is_stopped(qemu("mps2-an386"), tmp_path, wat, example)


def test_endless_loop_is_stopped_by_the_cpu_budget(tmp_path: Path, wat: Wat,
                                                   example: Example) -> None:
    checks.cpu_budget_stops_endless_loop(qemu("mps2-an386"), tmp_path, wat, example)


def test_deep_recursion_traps_instead_of_overrunning_the_c_stack(tmp_path: Path,
                                                                 wat: Wat) -> None:
    with EmulatedBoard.start("mps2-an386", workdir=tmp_path,
                             preload=[("deep", wat("recursion_loop"))]) as board:
        board.console.expect(r"app deep trap: loop: \[trap\] stack overflow")
        board.console.expect(r"app deep stopped after 3 traps", timeout=60)
        assert "FAULT" not in board.console.text


def test_watchdog_backstop_resets_and_the_runaway_app_is_not_restarted(
        tmp_path: Path, wat: Wat, example: Example) -> None:
    checks.watchdog_backstop(qemu("mps2-an386"), tmp_path, wat, example)


@pytest.fixture(scope="module")
def selftest_elf() -> Path:
    subprocess.run(["make", "-s", "selftest", "BOARD=mps2-an386"], cwd=ROOT, check=True,
                   capture_output=True)
    return ROOT / "build" / "selftest" / "mps2-an386" / "firmware.elf"


def test_port_flash_rules_reset_and_fault_handler(selftest_elf: Path,
                                                                tmp_path: Path) -> None:
    with EmulatedBoard.start("mps2-an386", firmware=selftest_elf, workdir=tmp_path) as board:
        checks.port_selftest_passes(
            board, r"FAULT pc=0xe010000[01] lr=0x[0-9a-f]+ cfsr=0x[0-9a-f]+")


def test_firmware_for_a_board_below_the_floor_is_refused_by_the_build() -> None:
    run = subprocess.run(["make", "-s", "firmware", "BOARD=lm3s6965evb"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert run.returncode != 0
    assert "lm3s6965evb has 64 KiB of RAM, below the 256 KiB" in run.stderr + run.stdout
