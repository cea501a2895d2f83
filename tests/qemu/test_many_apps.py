"""Many apps on one 256 KiB board: with linear memory shrunk to __heap_base and an
8 KiB operand stack, a sensor-size app holds about 23 KiB of RAM on the device, and
mps2-an386 (256 KiB of RAM, slots from its flash window) runs six of them at once;
so does the simulated stm32f4 (256 KiB, a 32-bit host process like its MCU)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wamr_agent.boards import load_board
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

Example = Callable[[str], Path]
APPS = 6
SENSOR_SIZE_RAM = 24 * 1024  # the target high-water of the sensor example (docs/boards.md)


@pytest.mark.parametrize("board_name", ["mps2-an386", "stm32f4"])
def test_six_sensor_apps_run_together_on_a_256_kib_board(tmp_path: Path, example: Example,
                                                         board_name: str) -> None:
    assert load_board(board_name).ram_bytes == 256 * 1024
    module = example("sensor").read_bytes()
    preload = [(f"sensor{k}", module) for k in range(APPS - 1)]  # booted from flash
    kind = EmulatedBoard if load_board(board_name).emulation == "qemu" else SimulatedBoard
    with kind.start(board_name, workdir=tmp_path, preload=preload) as board:
        board.console.expect(r"agent ready")
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            client.upload(f"sensor{APPS - 1}", module)  # and one installed beside them
            for k in range(APPS):
                board.console.expect(rf"telemetry sensor{k} temp_c=\d", timeout=60)
            listed = {app.name: app for app in client.list()}
            assert [listed[f"sensor{k}"].state for k in range(APPS)] == ["running"] * APPS
            uploaded = client.status(f"sensor{APPS - 1}")
            assert 0 < uploaded.mem_hw <= SENSOR_SIZE_RAM, uploaded
