"""Key-value storage on the Cortex-M firmware under QEMU (mps2-an386): the probe's
results (the same on every port), its keys kept across a reset and a restart of
QEMU (the semihosted flash file), two apps apart, and the grant refused at load."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.device_io import KV_EXPECTED, kv_boots, kv_results, refused_without
from wamr_agent.capabilities import ALL
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

Example = Callable[[str], Path]


@pytest.fixture
def board(tmp_path: Path) -> Iterator[EmulatedBoard]:
    with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "board") as started:
        yield started


def upload(board: EmulatedBoard, name: str, module: Path) -> None:
    with SmpLink(board.mgmt_address) as link:
        AppClient(link).upload(name, module.read_bytes(), grants=ALL)


def boots_of(board: EmulatedBoard, app: str) -> list[int]:
    return kv_boots(line for line in board.console.lines() if line.startswith(f"[{app}]"))


def test_probe_results_and_keys_per_app_across_resets(board: EmulatedBoard,
                                                       example: Example) -> None:
    upload(board, "a", example("kv_probe"))
    board.console.expect(r"app a confirmed", timeout=60)
    assert kv_results(board.console.lines()) == KV_EXPECTED
    upload(board, "b", example("kv_probe"))
    board.console.expect(r"app b confirmed", timeout=60)
    board.reset()
    board.console.expect(r"agent ready", timeout=60)
    board.restart()
    board.console.expect(r"agent ready", timeout=60)
    assert boots_of(board, "a") == [1, 2, 3] and boots_of(board, "b") == [1, 2, 3]


def test_without_the_storage_grant_the_app_is_refused(board: EmulatedBoard,
                                                      example: Example) -> None:
    refused_without(board, example("kv_probe"), ["log", "wasi"], "storage", "kv_get")
