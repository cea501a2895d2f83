"""Every language x template runs on a simulated esp32, not only under `run`: each
built template is deployed to one board shared by the cases, prints its first log
line on the device's console, and is removed again."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.appdev.conftest import APP_NAME
from tests.appdev.test_languages import CASES, _ids
from tests.conftest import board_cli, simulated_esp32
from wamr_agent.emulator import SimulatedBoard

FIRST_LINE = {
    "sensor": f"{APP_NAME} started",
    "actuator": f"{APP_NAME} started: fan on above 30.0 C, off below 29.0 C",
    "wasi": f"hello from {APP_NAME}",
}


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedBoard]:
    """One simulated esp32 (as tests/conftest.py's ``esp32``) for every case."""
    yield from simulated_esp32(tmp_path_factory.mktemp("board"))


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_template_runs_on_a_simulated_board(
        case: tuple[str, str], built: Callable[[str, str], Path],
        board: SimulatedBoard) -> None:
    path = built(*case)
    board.console.skip()
    report = board_cli(board, "deploy", str(path), "--name", APP_NAME, "--no-wait")
    try:
        assert report["name"] == APP_NAME and not report["already_installed"]
        first = FIRST_LINE[case[1]]
        board.console.expect(re.compile(rf"^\[{APP_NAME}\] {re.escape(first)}$", re.M))
    finally:
        board_cli(board, "rm", APP_NAME)
