"""Simulated-board tier: the firmware core built as a host process (``make sim``)
for the boards QEMU cannot emulate, through wamr_agent.emulator.SimulatedBoard.

The simulator is built on demand by the harness with the host's C compiler;
without ``cc`` the tests skip (CI=true: they fail).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need
from wamr_agent.emulator import SimulatedBoard


def pytest_runtest_setup() -> None:
    need(shutil.which("cc") is not None and shutil.which("make") is not None,
         "a host C compiler (cc) and make", "install them with `apt-get install gcc make`")


@pytest.fixture
def esp32(tmp_path: Path) -> Iterator[SimulatedBoard]:
    """A simulated esp32 booted with an erased flash."""
    with SimulatedBoard.start("esp32", workdir=tmp_path / "board") as started:
        yield started
