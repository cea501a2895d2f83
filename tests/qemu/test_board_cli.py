"""`wamr-agent board up/list/console/down` with a real QEMU instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.qemu.conftest import BOARD
from wamr_agent.cli import app
from wamr_agent.emulator.state import STATE_ENV

runner = CliRunner()
NAME = "cli-test"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(STATE_ENV, str(tmp_path))
    yield tmp_path
    runner.invoke(app, ["board", "down", NAME])  # never leave QEMU behind


def _json(args: list[str], code: int = 0) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_up_list_console_down(state: Path, firmware_args: list[str], tmp_path: Path) -> None:
    app_file = tmp_path / "tiny.wasm"
    app_file.write_bytes(b"\0asm\1\0\0\0")
    up = _json(["board", "up", BOARD, "--name", NAME, "--preload", str(app_file),
                *firmware_args])
    assert up["status"] == "running"
    assert str(up["mgmt_address"]).startswith("socket://127.0.0.1:")
    assert up["console_log"] == str(state / NAME / "console.log")
    assert b"tiny" in (state / NAME / "flash.bin").read_bytes()

    again = runner.invoke(app, ["board", "up", BOARD, "--name", NAME, *firmware_args])
    assert again.exit_code == 11
    assert "already running" in again.stderr

    listed = _json(["board", "list"])
    assert [(i["name"], i["status"]) for i in listed["instances"]] == [(NAME, "running")]

    text = runner.invoke(app, ["board", "console", NAME])
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("wamr-agent firmware")
    console = _json(["board", "console", NAME])
    assert str(console["lines"][0]).startswith("wamr-agent firmware")

    down = _json(["board", "down", NAME])
    assert down["status"] == "stopped"
    assert down["pid"] is None
    listed = _json(["board", "list"])
    assert [(i["name"], i["status"]) for i in listed["instances"]] == [(NAME, "stopped")]


def test_console_follow_ends_when_the_board_goes_down(state: Path,
                                                      firmware_args: list[str]) -> None:
    _json(["board", "up", BOARD, "--name", NAME, *firmware_args])
    exe = Path(sys.executable).with_name("wamr-agent")
    env = {**os.environ, STATE_ENV: str(state)}
    with subprocess.Popen([str(exe), "board", "console", NAME, "--follow"], env=env,
                          stdout=subprocess.PIPE, text=True) as follow:
        assert follow.stdout is not None
        assert follow.stdout.readline().startswith("wamr-agent firmware")
        _json(["board", "down", NAME])
        follow.stdout.read()
        assert follow.wait(timeout=60) == 0
