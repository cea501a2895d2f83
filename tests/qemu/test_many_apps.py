"""Many apps on one 256 KiB board: with linear memory shrunk to __heap_base and an
8 KiB operand stack, a sensor-size app holds about 23 KiB of RAM on the device, and
mps2-an386 (256 KiB of RAM, slots from its flash window) runs six of them at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wamr_agent.emulator import EmulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

Example = Callable[[str], Path]
BOARD = "mps2-an386"
APPS = 6
SENSOR_SIZE_RAM = 24 * 1024  # the target high-water of the sensor example (docs/boards.md)


def test_six_sensor_apps_run_together_on_a_256_kib_board(tmp_path: Path,
                                                         example: Example) -> None:
    module = example("sensor").read_bytes()
    preload = [(f"sensor{k}", module) for k in range(APPS - 1)]  # booted from flash
    with EmulatedBoard.start(BOARD, workdir=tmp_path, preload=preload) as board:
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
