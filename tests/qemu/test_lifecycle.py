"""The app lifecycle on the real Cortex-M firmware (QEMU mps2-an386): a trial the
device confirms by itself, an update that traps and is reverted (exit 14, the old
version runs again), and a reset while a version is on trial (reverted at boot).
The full set of outcomes runs on the simulated board (tests/hostport/test_lifecycle.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

from tests.conftest import board_cli as cli
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

BOARD = "mps2-an386"


@pytest.fixture
def board(tmp_path: Path) -> Iterator[EmulatedBoard]:
    with EmulatedBoard.start(BOARD, workdir=tmp_path / "board") as started:
        yield started


def version(tmp_path: Path, tag: str, loop: str | None = None) -> Path:
    """A reactor whose loop logs `tag` (or runs `loop`, WAT)."""
    body = loop or f"(drop (call $log (i32.const 0) (i32.const {len(tag)})))"
    path = tmp_path / f"{tag.replace(' ', '_')}.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm(f"""
        (module
          (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "{tag}")
          (func (export "loop") {body}))""")))
    return path


def running(board: EmulatedBoard) -> list[str]:
    with SmpLink(board.mgmt_address) as link:
        return [a.sha or "" for a in AppClient(link).list() if a.state == "running"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_trial_confirm_revert_and_reset_on_trial(board: EmulatedBoard, tmp_path: Path) -> None:
    v1 = version(tmp_path, "app v1")
    assert cli(board, "deploy", str(v1), "--name", "app")["life"] == "confirmed"
    board.console.expect(r"app app confirmed \(slot 0, 10 loop rounds, 0 traps")

    bad = version(tmp_path, "app v2", "(drop (i32.div_u (i32.const 1) (i32.const 0)))")
    failed = cli(board, "deploy", str(bad), "--name", "app", code=14)
    assert "loop trapped 1 time: integer divide by zero" in failed["error"]["message"]
    board.console.expect(r"app app reverted \(slot 1\): .*; slot 0 runs again")
    board.console.expect(r"\[app\] app v1")
    assert running(board) == [sha(v1)]

    v3 = version(tmp_path, "app v3")
    assert cli(board, "deploy", str(v3), "--name", "app", "--no-wait")["life"] == "trial"
    board.console.expect(r"\[app\] app v3")
    board.power_cut()
    board.restart()
    board.console.expect(r"app app reverted \(slot \d\): the device reset while it was on trial")
    board.console.expect(r"\[app\] app v1")
    assert running(board) == [sha(v1)]
