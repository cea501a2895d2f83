"""EmulatedBoard on real QEMU: boot, expect, reset, power cut, restart, stop, exit status."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import need
from tests.qemu.conftest import BOARD
from wamr_agent.emulator import EmulatedBoard, EmulatorError, ExpectTimeout

FIXTURES = Path(__file__).parent / "fixtures"
BANNER = "wamr-agent firmware"


def _connected(sock: socket.socket) -> bool:
    """True while the peer has not closed the connection."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True


def test_boot_expect_and_stop(firmware: Path | None, tmp_path: Path) -> None:
    with EmulatedBoard.start(BOARD, firmware=firmware, workdir=tmp_path) as board:
        assert board.banner.startswith(BANNER)
        assert board.running and board.exit_status is None
        assert board.mgmt_address == f"socket://127.0.0.1:{board.ports.mgmt}"
        assert board.log_path == tmp_path.resolve() / "console.log"
        assert any(line.startswith(BANNER) for line in board.console.lines())
        with socket.create_connection(("127.0.0.1", board.ports.mgmt), timeout=10):
            pass
    assert not board.running
    board.stop()  # idempotent


def test_expect_timeout_shows_last_lines_and_log_path(firmware: Path | None,
                                                      tmp_path: Path) -> None:
    with EmulatedBoard.start(BOARD, firmware=firmware, workdir=tmp_path) as board, \
            pytest.raises(ExpectTimeout) as caught:
        board.console.expect(r"no firmware prints this \d{40}", timeout=1)
    message = str(caught.value)
    assert "timed out after 1 s" in message
    assert f"console log: {board.log_path}" in message
    assert f"| {board.banner}" in message


def test_reset_keeps_the_management_connection(firmware: Path | None, tmp_path: Path) -> None:
    with EmulatedBoard.start(BOARD, firmware=firmware, workdir=tmp_path) as board, \
            socket.create_connection(("127.0.0.1", board.ports.mgmt), timeout=10) as mgmt:
        pid = board.pid
        assert board.reset().startswith(BANNER)
        assert board.pid == pid
        assert _connected(mgmt)
        assert board.console.text.count(BANNER) == 2


def test_power_cut_and_restart_keep_flash_and_address(firmware: Path | None,
                                                      tmp_path: Path) -> None:
    with EmulatedBoard.start(BOARD, firmware=firmware, workdir=tmp_path) as board:
        address, flash = board.mgmt_address, board.flash_path
        board.power_cut()
        assert not board.running
        assert board.exit_status is None  # killed, not exited
        existed = flash.exists()
        assert board.restart().startswith(BANNER)
        assert board.mgmt_address == address
        assert flash.exists() or not existed
        assert board.console.text.count(BANNER) == 2
        with pytest.raises(EmulatorError, match="already running"):
            board.boot()


def test_restart_while_running_is_a_power_cycle(firmware: Path | None, tmp_path: Path) -> None:
    with EmulatedBoard.start(BOARD, firmware=firmware, workdir=tmp_path) as board:
        first = board.pid
        board.restart()
        assert board.pid != first
        assert board.running


def test_preloaded_app_runs_again_after_power_cut(firmware: Path | None, tmp_path: Path,
                                                  example: Callable[[str], Path]) -> None:
    with EmulatedBoard.start(BOARD, firmware=firmware, workdir=tmp_path,
                             preload=[example("sensor")]) as board:
        board.console.expect(r"telemetry .*temp_c", timeout=30)
        board.power_cut()
        board.restart()
        board.console.expect(r"telemetry .*temp_c", timeout=30)


@pytest.fixture(scope="module")
def exit_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/qemu/fixtures/semihost_exit.c: prints a banner, exits QEMU with status 7."""
    gcc = shutil.which("arm-none-eabi-gcc")
    need(gcc is not None, "arm-none-eabi-gcc", "run `make setup`")
    assert gcc is not None
    elf = tmp_path_factory.mktemp("exit") / "exit.elf"
    subprocess.run([gcc, "-mcpu=cortex-m4", "-mthumb", "-Os", "-nostdlib", "-ffreestanding",
                    "-T", str(FIXTURES / "semihost_exit.ld"), "-o", str(elf),
                    str(FIXTURES / "semihost_exit.c")], check=True)
    return elf


def test_semihosting_exit_status(exit_elf: Path, tmp_path: Path) -> None:
    board = EmulatedBoard.start(BOARD, firmware=exit_elf, workdir=tmp_path)
    assert board.wait_exit(timeout=30) == 7
    assert board.exit_status == 7
    assert not board.running
    with pytest.raises(ExpectTimeout, match="QEMU exited with status 7") as caught:
        board.console.expect("more output", timeout=30)
    assert "| exiting with 7" in str(caught.value)


def test_missing_firmware_file(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="does not exist"):
        EmulatedBoard.start(BOARD, firmware=tmp_path / "none.elf", workdir=tmp_path)
