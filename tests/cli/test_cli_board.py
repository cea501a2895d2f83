"""`wamr-agent board` commands that need no QEMU: the board table and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wamr_agent.cli import app
from wamr_agent.emulator.state import STATE_ENV

runner = CliRunner()


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(STATE_ENV, str(tmp_path))
    return tmp_path


def fails(args: list[str], code: int, text: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("error: ")
    assert text in result.stderr


def test_board_list_text() -> None:
    result = runner.invoke(app, ["board", "list"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "qemu" in rows["mps2-an386"] and rows["mps2-an386"].endswith("yes")
    assert "host" in rows["esp32"]
    assert "no: lm3s6965evb has 64 KiB of RAM" in rows["lm3s6965evb"]
    assert "instances: none" in result.stdout


def test_board_list_json() -> None:
    result = runner.invoke(app, ["board", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    boards = {b["name"]: b for b in data["boards"]}
    assert boards["mps2-an386"]["ram_bytes"] == 256 * 1024
    assert boards["mps2-an386"]["emulation"] == "qemu"
    assert boards["lm3s6965evb"]["supported"] is False
    assert "64 KiB" in boards["lm3s6965evb"]["reason"]
    assert data["instances"] == []


def test_up_refuses_a_board_below_the_ram_floor() -> None:
    fails(["board", "up", "lm3s6965evb"], 4, "64 KiB of RAM")


def test_up_refuses_simulated_boards() -> None:
    fails(["board", "up", "esp32"], 4, "the `sim` command")


def test_up_unknown_board_json() -> None:
    result = runner.invoke(app, ["board", "up", "mps2-an368", "--json"])
    assert result.exit_code == 4
    assert "mps2-an386" in json.loads(result.stdout)["error"]["message"]


def test_up_refuses_bad_instance_names() -> None:
    fails(["board", "up", "mps2-an386", "--name", "../x"], 2, "instance name")


def test_down_and_console_of_unknown_instance() -> None:
    fails(["board", "down", "ghost"], 2, "no board instance 'ghost'")
    fails(["board", "console", "ghost"], 2, "no board instance 'ghost'")
    fails(["board", "console", "ghost", "--follow"], 2, "no board instance 'ghost'")
