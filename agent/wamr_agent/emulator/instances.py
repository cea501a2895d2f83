"""What the `wamr-agent board` and `wamr-agent sim` commands do: list boards, and
start, stop and watch named instances that keep running between commands (see
state.py): QEMU boards (kind ``qemu``, `board ...`) and simulated boards (kind
``sim``, `sim ...`), one set of names. Each command group handles its own kind and
points to the other for an instance or a board of the other kind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..boards import Board, list_boards, load_board
from ..errors import UsageError
from .errors import EmulatorError
from .preload import Preload
from .process import BoardProcess
from .qemu import EmulatedBoard, check_emulated
from .simulated import SimulatedBoard, check_simulated
from .state import QEMU, SIM, STATE_FILE, InstanceState, instance_dir, state_root

__all__ = ["QEMU", "SIM", "BoardRow", "InstanceInfo", "board_rows", "console_lines", "down",
           "follow", "instances", "up"]

# kind -> the CLI group, the harness class, its board check and the board it runs
_GROUP = {QEMU: "board", SIM: "sim"}
_CLASS: dict[str, type[BoardProcess]] = {QEMU: EmulatedBoard, SIM: SimulatedBoard}
_CHECK: dict[str, Callable[[Board], object]] = {QEMU: check_emulated, SIM: check_simulated}
_EMULATION = {QEMU: "qemu", SIM: "host"}

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
    kind: str
    board: str
    status: str
    pid: int | None
    mgmt_address: str
    console_log: str
    workdir: str

    @classmethod
    def of(cls, state: InstanceState) -> InstanceInfo:
        running = state.running
        return cls(name=state.name, kind=state.kind, board=state.board,
                   status="running" if running else "stopped",
                   pid=state.pid if running else None, mgmt_address=state.mgmt_address,
                   console_log=str(state.console_log), workdir=state.workdir)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def board_rows(kind: str | None = None) -> list[BoardRow]:
    """Every board profile, or those of one kind (``sim``: the host-emulated ones)."""
    return [BoardRow(name=b.name, description=b.description, ram_bytes=b.ram_bytes,
                     flash_bytes=b.flash_bytes, emulation=b.emulation, supported=b.supported,
                     reason=b.unsupported_reason) for b in list_boards()
            if kind is None or b.emulation == _EMULATION[kind]]


def instances(kind: str | None = None) -> list[InstanceInfo]:
    """Every instance with a state file (or those of one kind), running or not, by name."""
    root = state_root()
    if not root.is_dir():
        return []
    found = sorted(path.parent for path in root.glob(f"*/{STATE_FILE}"))
    states = (InstanceState.load(directory) for directory in found)
    return [InstanceInfo.of(state) for state in states if kind is None or state.kind == kind]


def up(board: str, name: str | None = None, preload: Preload = (),
       firmware: Path | None = None, erase: bool = False, kind: str = QEMU) -> InstanceInfo:
    """Boots ``board`` in the background as instance ``name`` (default: the board name):
    under QEMU (kind ``qemu``) or as a simulated board (kind ``sim``)."""
    profile = load_board(board)
    _CHECK[kind](profile)  # refuses a board of the other kind, pointing to its command
    name = name or profile.name
    directory = instance_dir(name)
    if (directory / STATE_FILE).exists():
        old = InstanceState.load(directory)
        if old.running:
            raise EmulatorError(f"instance {name!r} is already running ({old.board}, pid "
                                f"{old.pid}); stop it with "
                                f"`wamr-agent {_GROUP[old.kind]} down {name}`")
    proc = _CLASS[kind].start(profile, firmware=firmware, name=name, preload=preload,
                              workdir=directory, erase=erase, detach=True)
    assert proc.pid is not None
    qmp = proc.ports.qmp if isinstance(proc, EmulatedBoard) else None
    state = InstanceState.now(kind=kind, name=name, board=profile.name, pid=proc.pid,
                              mgmt_port=proc.mgmt_port, qmp_port=qmp,
                              workdir=str(proc.workdir), firmware=str(proc.firmware))
    state.save(directory)
    return InstanceInfo.of(state)


def down(name: str, kind: str = QEMU) -> InstanceInfo:
    """Stops the instance (SIGTERM, then SIGKILL); its directory and logs stay."""
    state = _load(name, kind)
    if state.running:
        _terminate(state)
    return InstanceInfo.of(state)


def console_lines(name: str, kind: str = QEMU) -> tuple[Path, list[str]]:
    """The instance's console log path and its lines so far."""
    state = _load(name, kind)
    return state.console_log, _text(_read(state.console_log)).splitlines()


def follow(name: str, kind: str = QEMU) -> Iterator[str]:
    """Console lines as they come, from the start, until the instance stops.

    An unknown ``name`` raises here, not at the first line.
    """
    return _follow(_load(name, kind))


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


def _load(name: str, kind: str) -> InstanceState:
    directory = instance_dir(name)
    group = _GROUP[kind]
    if not (directory / STATE_FILE).exists():
        known = ", ".join(i.name for i in instances(kind)) or "none"
        start = "board up <board>" if kind == QEMU else "sim up --board <board>"
        raise UsageError(f"no {group} instance {name!r} (instances: {known}); start one with "
                         f"`wamr-agent {start} --name NAME`")
    state = InstanceState.load(directory)
    if state.kind != kind:
        what = "a simulated board" if state.kind == SIM else "a QEMU board"
        raise UsageError(f"instance {name!r} is {what} ({state.board}); use "
                         f"`wamr-agent {_GROUP[state.kind]} ...` for it")
    return state


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
