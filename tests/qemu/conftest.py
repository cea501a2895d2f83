"""QEMU tier: boots the firmware in qemu-system-arm through wamr_agent.emulator.

The firmware is built on demand (`make firmware BOARD=...`) by the harness; the
plugin's --firmware option boots a given ELF instead. Without qemu-system-arm the
tests skip with the install hint (CI=true: they fail).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import need
from wamr_agent.emulator import QemuNotFound, find_qemu

BOARD = "mps2-an386"


def pytest_runtest_setup() -> None:
    try:
        find_qemu()
    except QemuNotFound as exc:
        need(False, "qemu-system-arm", str(exc))


@pytest.fixture
def firmware(request: pytest.FixtureRequest) -> Path | None:
    """The ELF given with --firmware, else None (the harness builds it)."""
    value = request.config.getoption("firmware")
    return Path(value).resolve() if value else None


@pytest.fixture
def firmware_args(firmware: Path | None) -> list[str]:
    return ["--firmware", str(firmware)] if firmware else []
