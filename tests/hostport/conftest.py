"""Simulated-board tier: the firmware core built as a host process (``make sim``)
for the boards QEMU cannot emulate, through wamr_agent.emulator.SimulatedBoard.

The simulator is built on demand by the harness with the host's C compiler;
without ``cc`` the tests skip (CI=true: they fail).
"""

from __future__ import annotations

import shutil

from tests.conftest import need


def pytest_runtest_setup() -> None:
    need(shutil.which("cc") is not None and shutil.which("make") is not None,
         "a host C compiler (cc) and make", "install them with `apt-get install gcc make`")

# The `esp32` fixture (a simulated esp32 with an erased flash) is tests/conftest.py's.
