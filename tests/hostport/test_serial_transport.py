"""SMP over a serial device path: a simulated esp32 behind a pty
(wamr_agent.emulator.ptybridge), driven by AppClient over SmpLink("/dev/pts/N") and
by `wamr-agent deploy/ps --port /dev/pts/N`; one-line errors for a serial device
that is missing or busy."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wamr_agent.cli import app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.ptybridge import PtyBridge
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

BOARD = "esp32"
runner = CliRunner()
Example = Callable[[str], Path]


@pytest.fixture
def board(esp32: SimulatedBoard) -> SimulatedBoard:
    return esp32


@pytest.fixture
def serial_path(board: SimulatedBoard) -> Iterator[str]:
    with PtyBridge(board.mgmt_address) as bridge:
        assert bridge.path.startswith("/dev/")
        yield bridge.path


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def test_app_client_over_a_serial_path(board: SimulatedBoard, serial_path: str,
                                       example: Example) -> None:
    module = example("sensor").read_bytes()
    with SmpLink(serial_path, baudrate=115200) as link:
        client = AppClient(link)
        assert client.list() == []
        result = client.upload("sensor", module, deploy_id="d-serial")
        assert (result.total, result.resumed_from, result.already_installed) == (
            len(module), 0, False)
        board.console.expect(r"app sensor started")
        board.console.expect(r"telemetry sensor temp_c=")
        [listed] = client.list()
        assert (listed.name, listed.state, listed.size, listed.sha) == (
            "sensor", "running", len(module), hashlib.sha256(module).hexdigest())


def test_cli_deploy_and_ps_over_a_serial_path(board: SimulatedBoard, serial_path: str,
                                              example: Example) -> None:
    sensor = example("sensor")
    target = ["--board", BOARD, "--port", serial_path, "--baud", "115200"]
    report = cli("deploy", str(sensor), *target)
    assert (report["name"], report["bytes"], report["address"]) == (
        "sensor", sensor.stat().st_size, serial_path)
    assert report["framing"] == "raw"  # auto: the device lists raw in its status
    assert report["life"] == "confirmed"  # deploy waits for the device's verdict
    board.console.expect(r"telemetry sensor temp_c=")
    assert [a["name"] for a in cli("ps", *target)["apps"]] == ["sensor"]
    again = cli("deploy", str(sensor), "--framing", "console", *target)
    assert again["already_installed"] is True and again["framing"] == "console"


def test_missing_serial_device_is_a_one_line_error(example: Example) -> None:
    result = runner.invoke(app, ["deploy", str(example("sensor")), "--board", BOARD,
                                 "--port", "/dev/ttyNOPE7"])
    assert result.exit_code == 12, result.output
    assert result.stderr.startswith("target: /dev/ttyNOPE7 (--port)\n")
    assert result.stderr.endswith(
        "\nerror: cannot open serial device /dev/ttyNOPE7: no such device\n")
    failed = cli("ps", "--board", BOARD, "--port", "/dev/ttyNOPE7", code=12)
    assert failed["error"]["type"] == "SmpLinkError"


def test_busy_serial_device_is_a_one_line_error(serial_path: str) -> None:
    with SmpLink(serial_path):
        result = runner.invoke(app, ["ps", "--board", BOARD, "--port", serial_path])
    assert result.exit_code == 12, result.output
    assert result.stderr == (f"error: cannot open serial device {serial_path}: "
                             "in use by another program\n")
