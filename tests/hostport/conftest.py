"""Simulated-board tier: the firmware core built as a host process (``make sim``)
for the boards QEMU cannot emulate, through wamr_agent.emulator.SimulatedBoard.

The simulator is built on demand by the harness with the host's C compiler;
without ``cc`` the tests skip (CI=true: they fail).
"""

from __future__ import annotations

from tests.conftest import need_host_cc


def pytest_runtest_setup() -> None:
    need_host_cc()

# The `esp32` fixture (a simulated esp32 with an erased flash) is tests/conftest.py's.
