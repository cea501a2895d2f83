"""`wamr-agent sim up/list/console/down` with a real simulated board (esp32), and the
refusals between `sim` and `board` (QEMU) boards."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.test_cli_board import fails
from tests.qemu.test_board_cli import _json
from wamr_agent.cli import app
from wamr_agent.emulator.state import STATE_ENV

runner = CliRunner()
BOARD = "esp32"
NAME = "sim-test"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(STATE_ENV, str(tmp_path))
    yield tmp_path
    runner.invoke(app, ["sim", "down", NAME])  # never leave a simulator behind


def test_up_list_console_down(state: Path, tmp_path: Path) -> None:
    app_file = tmp_path / "tiny.wasm"
    app_file.write_bytes(b"\0asm\1\0\0\0")
    up = _json(["sim", "up", "--board", BOARD, "--name", NAME, "--preload", str(app_file)])
    assert (up["kind"], up["board"], up["status"]) == ("sim", BOARD, "running")
    assert up["console_log"] == str(state / NAME / "console.log")
    assert b"tiny" in (state / NAME / "flash.bin").read_bytes()
    host, port = str(up["mgmt_address"]).removeprefix("socket://").split(":")
    with socket.create_connection((host, int(port)), timeout=10):
        pass  # the management UART listens

    fails(["sim", "up", "--board", BOARD, "--name", NAME], 11, "already running")
    fails(["board", "down", NAME], 2, "`wamr-agent sim ...`")
    fails(["board", "console", NAME], 2, "is a simulated board (esp32)")

    listed = _json(["sim", "list"])
    assert {b["name"] for b in listed["boards"]} >= {"esp32", "nrf52840"}
    assert all(b["emulation"] == "host" for b in listed["boards"])
    assert [(i["name"], i["kind"], i["status"]) for i in listed["instances"]] == [
        (NAME, "sim", "running")]
    assert _json(["board", "list"])["instances"] == []  # QEMU instances only

    text = runner.invoke(app, ["sim", "console", NAME])
    assert text.exit_code == 0, text.output
    assert any(line.startswith("wamr-agent firmware") and f"board={BOARD}" in line
               for line in text.stdout.splitlines())
    console = _json(["sim", "console", NAME])
    assert any(str(line).startswith("wamr-agent firmware") for line in console["lines"])

    down = _json(["sim", "down", NAME])
    assert (down["status"], down["pid"]) == ("stopped", None)
    listed = _json(["sim", "list"])
    assert [(i["name"], i["status"]) for i in listed["instances"]] == [(NAME, "stopped")]


def test_console_follow_ends_when_the_board_goes_down(state: Path) -> None:
    _json(["sim", "up", "-b", BOARD, "--name", NAME])
    exe = Path(sys.executable).with_name("wamr-agent")
    env = {**os.environ, STATE_ENV: str(state)}
    with subprocess.Popen([str(exe), "sim", "console", NAME, "--follow"], env=env,
                          stdout=subprocess.PIPE, text=True) as follow:
        assert follow.stdout is not None
        lines = iter(follow.stdout.readline, "")
        assert any(line.startswith("wamr-agent firmware") for line in lines)
        _json(["sim", "down", NAME])
        follow.stdout.read()
        assert follow.wait(timeout=60) == 0


def test_refusals(state: Path) -> None:
    fails(["sim", "up", "--board", "mps2-an386"], 4, "`wamr-agent board up mps2-an386`")
    fails(["sim", "up", "--board", "lm3s6965evb"], 4, "64 KiB of RAM")
    fails(["board", "up", BOARD], 4, "`wamr-agent sim up --board esp32`")
    fails(["sim", "up", "--board", BOARD, "--name", "../x"], 2, "instance name")
    fails(["sim", "down", "ghost"], 2, "no sim instance 'ghost'")
    fails(["sim", "console", "ghost", "--follow"], 2, "no sim instance 'ghost'")
    result = runner.invoke(app, ["sim", "up", "--board", "esp23", "--json"])
    assert result.exit_code == 4
    assert "esp32" in json.loads(result.stdout)["error"]["message"]
