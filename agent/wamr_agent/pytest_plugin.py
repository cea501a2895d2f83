"""pytest plugin: test wasm apps on an emulated board (QEMU) in CI.

Registered under the ``pytest11`` entry point, so installing wamr-agent makes it
available to any project::

    def test_my_app(board):
        board.console.expect(r"telemetry .*temp_c", timeout=10)

    $ pytest --board mps2-an386 --preload build/my_app.wasm

Nothing starts QEMU unless a test requests the ``board`` (or ``console``) fixture.
Without qemu-system-arm those tests are skipped with the install hint; with CI=true
they fail instead. A failing test's report names the console log and shows its tail.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from .emulator import BOOT_TIMEOUT, Console, EmulatedBoard, QemuNotFound, find_qemu

DEFAULT_BOARD = "mps2-an386"
_BOARD_KEY = pytest.StashKey[EmulatedBoard]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wamr-agent", "wamr-agent emulated boards")
    group.addoption("--board", default=DEFAULT_BOARD, metavar="NAME",
                    help=f"board profile the `board` fixture boots (default {DEFAULT_BOARD})")
    group.addoption("--preload", action="append", default=[], metavar="APP.wasm",
                    help="app installed in the board's flash before boot; repeatable")
    group.addoption("--firmware", default=None, metavar="ELF",
                    help="firmware ELF to boot (default: built with `make firmware`)")
    group.addoption("--boot-timeout", type=float, default=BOOT_TIMEOUT, metavar="SECONDS",
                    help=f"how long to wait for the firmware banner (default {BOOT_TIMEOUT:g})")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _require_qemu() -> None:
    try:
        find_qemu()
    except QemuNotFound as exc:
        if _in_ci():
            pytest.fail(f"CI=true: {exc}", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatedBoard]:
    """A booted emulated board (fresh flash, --preload apps installed), stopped afterwards."""
    _require_qemu()
    config = request.config
    firmware = config.getoption("firmware")
    emulated = EmulatedBoard.start(
        config.getoption("board"),
        firmware=Path(firmware) if firmware else None,
        name=request.node.name,
        preload=[Path(p) for p in config.getoption("preload")],
        workdir=tmp_path / "board",
        boot_timeout=config.getoption("boot_timeout"),
    )
    emulated.console.rewind()  # a test sees the output since boot: banner, boot lines
    request.node.stash[_BOARD_KEY] = emulated
    try:
        yield emulated
    finally:
        emulated.stop()


@pytest.fixture
def console(board: EmulatedBoard) -> Console:
    """The booted board's console (UART0): ``console.expect(pattern, timeout)``."""
    return board.console


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    emulated = item.stash.get(_BOARD_KEY, None)
    if emulated is not None and report.failed:
        tail = "\n".join(emulated.console.tail())
        report.sections.append(("wamr-agent console",
                                f"console log: {emulated.log_path}\n{tail}"))
    return report
