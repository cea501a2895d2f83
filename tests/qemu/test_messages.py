"""Incoming messages on the Cortex-M firmware under QEMU mps2-an386 (issue 12, item
3): `send` delivers to the app's on_message, and each refusal has its exit code
(the burst and the trial are tested on the simulated board: the same agent code)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.message_app import check_refusals, check_send_logs_the_message
from wamr_agent.emulator import EmulatedBoard


@pytest.fixture
def an386(tmp_path: Path) -> Iterator[EmulatedBoard]:
    with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "board") as started:
        yield started


def test_send_delivers_to_on_message(an386: EmulatedBoard, tmp_path: Path) -> None:
    check_send_logs_the_message(an386, tmp_path)


def test_each_refusal_has_its_exit_code(an386: EmulatedBoard, tmp_path: Path) -> None:
    check_refusals(an386, tmp_path)
