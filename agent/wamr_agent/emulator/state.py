"""Named instances for the CLI: a state file per instance that outlives the command.

``$WAMR_AGENT_STATE/<name>/`` (default: ``build/boards/<name>/`` in the repository)
holds the instance's working directory (console.log, flash.bin, qemu.log or sim.log)
and ``state.json`` with its kind (``qemu``: `board up`, ``sim``: `sim up`), board,
the process's pid and the TCP ports. QEMU and simulated instances share the names.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .errors import EmulatorError
from .firmware import repo_root

__all__ = ["QEMU", "SIM", "STATE_ENV", "InstanceState", "instance_dir", "pid_alive",
           "state_root"]

STATE_ENV = "WAMR_AGENT_STATE"
STATE_FILE = "state.json"
QEMU = "qemu"  # an EmulatedBoard, started by `board up`
SIM = "sim"  # a SimulatedBoard, started by `sim up`
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def state_root() -> Path:
    override = os.environ.get(STATE_ENV)
    return Path(override) if override else repo_root() / "build" / "boards"


def instance_dir(name: str) -> Path:
    if not _NAME.fullmatch(name):
        raise UsageError(f"instance name {name!r}: use letters, digits, '-', '_' and '.' "
                         "(at most 64, starting with a letter or digit)")
    return state_root() / name


@dataclass(frozen=True)
class InstanceState:
    """What `board up` and `sim up` leave behind for the later commands."""

    name: str
    board: str
    pid: int
    mgmt_port: int
    qmp_port: int | None  # QEMU only
    workdir: str
    firmware: str  # QEMU's firmware ELF, or the simulator program
    started: float
    kind: str = QEMU  # state files from before simulated instances have none

    @property
    def mgmt_address(self) -> str:
        return f"socket://127.0.0.1:{self.mgmt_port}"

    @property
    def console_log(self) -> Path:
        return Path(self.workdir) / "console.log"

    @property
    def running(self) -> bool:
        marker = self.firmware if self.kind == SIM else f"127.0.0.1:{self.qmp_port}"
        return pid_alive(self.pid, marker)

    def save(self, directory: Path) -> Path:
        path = directory / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, directory: Path) -> InstanceState:
        path = directory / STATE_FILE
        try:
            data: Any = json.loads(path.read_text())
            return cls(**{f.name: data[f.name] for f in fields(cls)
                          if f.name in data or f.default is MISSING})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EmulatorError(f"{path}: unreadable instance state ({exc})") from exc

    @classmethod
    def now(cls, **values: Any) -> InstanceState:
        return cls(started=time.time(), **values)


def pid_alive(pid: int, marker: str) -> bool:
    """True when ``pid`` runs and is our process (its command line holds ``marker``)."""
    try:  # reap it if it is our own child that has exited (a zombie looks alive)
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return True  # no procfs: trust the pid
    try:
        return marker in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
