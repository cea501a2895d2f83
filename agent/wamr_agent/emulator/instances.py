"""What the `wamr-agent board` commands do: list boards, and start, stop and watch
named QEMU instances that keep running between commands (see state.py)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..boards import list_boards, load_board
from ..errors import UsageError
from .errors import EmulatorError
from .preload import Preload
from .qemu import EmulatedBoard
from .state import STATE_FILE, InstanceState, instance_dir, state_root

__all__ = ["BoardRow", "InstanceInfo", "board_rows", "console_lines", "down", "follow",
           "instances", "up"]

STOP_TIMEOUT = 10.0
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class BoardRow:
    """One line of `board list`."""

    name: str
    description: str
    ram_bytes: int
    flash_bytes: int
    emulation: str
    supported: bool
    reason: str | None


@dataclass(frozen=True)
class InstanceInfo:
    """A named instance as the CLI shows it."""

    name: str
    board: str
    status: str
    pid: int | None
    mgmt_address: str
    console_log: str
    workdir: str

    @classmethod
    def of(cls, state: InstanceState) -> InstanceInfo:
        running = state.running
        return cls(name=state.name, board=state.board,
                   status="running" if running else "stopped",
                   pid=state.pid if running else None, mgmt_address=state.mgmt_address,
                   console_log=str(state.console_log), workdir=state.workdir)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def board_rows() -> list[BoardRow]:
    return [BoardRow(name=b.name, description=b.description, ram_bytes=b.ram_bytes,
                     flash_bytes=b.flash_bytes, emulation=b.emulation, supported=b.supported,
                     reason=b.unsupported_reason) for b in list_boards()]


def instances() -> list[InstanceInfo]:
    """Every instance with a state file, running or not, by name."""
    root = state_root()
    if not root.is_dir():
        return []
    found = sorted(path.parent for path in root.glob(f"*/{STATE_FILE}"))
    return [InstanceInfo.of(InstanceState.load(directory)) for directory in found]


def up(board: str, name: str | None = None, preload: Preload = (),
       firmware: Path | None = None, erase: bool = False) -> InstanceInfo:
    """Boots ``board`` in the background as instance ``name`` (default: the board name)."""
    profile = load_board(board)
    name = name or profile.name
    directory = instance_dir(name)
    if (directory / STATE_FILE).exists():
        old = InstanceState.load(directory)
        if old.running:
            raise EmulatorError(f"instance {name!r} is already running ({old.board}, pid "
                                f"{old.pid}); stop it with `wamr-agent board down {name}`")
    emu = EmulatedBoard.start(profile, firmware=firmware, name=name, preload=preload,
                              workdir=directory, erase=erase, detach=True)
    assert emu.pid is not None
    state = InstanceState.now(name=name, board=profile.name, pid=emu.pid,
                              mgmt_port=emu.ports.mgmt, qmp_port=emu.ports.qmp,
                              workdir=str(emu.workdir), firmware=str(emu.firmware))
    state.save(directory)
    return InstanceInfo.of(state)


def down(name: str) -> InstanceInfo:
    """Stops the instance (SIGTERM, then SIGKILL); its directory and logs stay."""
    state = _load(name)
    if state.running:
        _terminate(state)
    return InstanceInfo.of(state)


def console_lines(name: str) -> tuple[Path, list[str]]:
    """The instance's console log path and its lines so far."""
    state = _load(name)
    return state.console_log, _text(_read(state.console_log)).splitlines()


def follow(name: str) -> Iterator[str]:
    """Console lines as they come, from the start, until the instance stops.

    An unknown ``name`` raises here, not at the first line.
    """
    return _follow(_load(name))


def _follow(state: InstanceState) -> Iterator[str]:
    offset, pending = 0, b""
    while True:
        running = state.running
        data = _read(state.console_log, offset)
        offset += len(data)
        *complete, pending = (pending + data).split(b"\n")
        yield from (_text(line) for line in complete)
        if not running:
            break
        time.sleep(_POLL_SECONDS)
    if pending:
        yield _text(pending)


def _load(name: str) -> InstanceState:
    directory = instance_dir(name)
    if not (directory / STATE_FILE).exists():
        known = ", ".join(i.name for i in instances()) or "none"
        raise UsageError(f"no board instance {name!r} (instances: {known}); start one with "
                         "`wamr-agent board up <board> --name NAME`")
    return InstanceState.load(directory)


def _read(path: Path, offset: int = 0) -> bytes:
    try:
        with path.open("rb") as stream:
            stream.seek(offset)
            return stream.read()
    except FileNotFoundError:
        return b""


def _text(data: bytes) -> str:
    return data.decode(errors="replace").rstrip("\r")


def _terminate(state: InstanceState) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(state.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            if not state.running:
                return
            time.sleep(0.05)
    raise EmulatorError(f"instance {state.name!r} (pid {state.pid}) did not stop")
