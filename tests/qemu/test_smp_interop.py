"""Interop: smpmgr (PyPI), an independent SMP client run as a separate
process, manages our devices over a serial device path (a pty bridged to the
emulated UART)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BUILD, need
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.emulator.ptybridge import PtyBridge

SMPMGR = BUILD / "tools" / "smpmgr" / "bin" / "smpmgr"
KINDS = [pytest.param((EmulatedBoard, "mps2-an386"), id="qemu-mps2-an386"),
         pytest.param((SimulatedBoard, "nrf52840"), id="sim-nrf52840")]


@pytest.fixture(params=KINDS)
def device(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatedBoard]:
    need(SMPMGR.exists(), "smpmgr", "run `make tools` (it gets its own venv)")
    cls, name = request.param
    with cls.start(name, workdir=tmp_path) as board:
        yield board


def smpmgr(port: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SMPMGR), "--port", port, "--timeout", "5", *args],
                          capture_output=True, text=True, timeout=90, check=False)


def test_smpmgr_echo_and_reset(device: EmulatedBoard) -> None:
    with PtyBridge(device.mgmt_address) as bridge:
        echo = smpmgr(bridge.path, "os", "echo", "hello from smpmgr")
        assert echo.returncode == 0, echo.stderr
        assert "r='hello from smpmgr'" in echo.stdout
        reset = smpmgr(bridge.path, "os", "reset")
        assert reset.returncode == 0, reset.stderr
    device.console.expect(r"reset requested over SMP")
    device.console.expect(r"boot 2 reset=software", timeout=30)
