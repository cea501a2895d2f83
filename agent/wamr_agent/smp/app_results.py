"""What :class:`~wamr_agent.smp.apps.AppClient` returns: plain frozen dataclasses
made from the group's responses (``app_management``), with hex digests and
``as_dict()`` for JSON output."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..agent_err import AgentErr
from . import app_management as am


def _hex(sha: bytes | None) -> str | None:
    return sha.hex() if sha is not None else None


@dataclass(frozen=True)
class AppInfo:
    """One app as the device lists it."""

    name: str
    slot: int
    state: str
    size: int
    sha: str | None  # hex

    @classmethod
    def from_entry(cls, entry: am.AppEntry) -> AppInfo:
        return cls(entry.name, entry.slot, entry.state, entry.size, _hex(entry.sha))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UploadResult:
    resumed_from: int  # where the device continued an earlier upload (0: a new one)
    total: int
    already_installed: bool = False  # the same module and deploy id were installed


@dataclass(frozen=True)
class DeviceStatus:
    board: str
    fw: str
    uptime_ms: int
    boot: int  # boot count
    reset: str  # cause of the last reset
    heap_free: int
    slots: int
    apps: int
    buf_size: int
    framings: tuple[str, ...]

    @classmethod
    def from_response(cls, rsp: am.DeviceStatusReadResponse) -> DeviceStatus:
        return cls(rsp.board, rsp.fw, rsp.uptime_ms, rsp.boot, rsp.reset, rsp.heap_free,
                   rsp.slots, rsp.apps, rsp.buf_size, tuple(rsp.framings))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "framings": list(self.framings)}


@dataclass(frozen=True)
class AppError:
    """An app's last error since boot: an AgentErr code and the device's message."""

    rc: int
    msg: str

    @property
    def code(self) -> str:
        try:
            return AgentErr(self.rc).name
        except ValueError:
            return "UNKNOWN"

    def as_dict(self) -> dict[str, Any]:
        return {"rc": self.rc, "code": self.code, "msg": self.msg}


@dataclass(frozen=True)
class AppStatus:
    name: str
    slot: int
    state: str
    size: int
    sha: str | None  # hex; only for apps installed by upload
    deploy: str | None
    version: str | None
    traps: int  # since boot
    last_err: AppError | None
    mem_hw: int  # high-water bytes of the app's RAM pool since it was started
    mem_budget: int
    uptime_ms: int  # since it was started; 0 when not running
    module_ram: int | None = None  # module bytes in RAM (0: runs from flash); None: not said

    @classmethod
    def from_response(cls, rsp: am.AppStatusReadResponse) -> AppStatus:
        err = rsp.last_err
        return cls(rsp.name, rsp.slot, rsp.state, rsp.size, _hex(rsp.sha), rsp.deploy,
                   rsp.app_version, rsp.traps, AppError(err.rc, err.msg) if err else None,
                   rsp.mem_hw, rsp.mem_budget, rsp.uptime_ms, rsp.module_ram)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "last_err": self.last_err.as_dict() if self.last_err else None}


@dataclass(frozen=True)
class LogEntry:
    """One console line the device kept; ``seq`` counts lines from 0 at boot."""

    boot: int  # the device's boot count when it printed the line
    seq: int
    t_ms: int  # device time: milliseconds since boot
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LogPage:
    """One answer to a logs request. Its lines are consecutive, so each line's
    sequence number is derived from ``next``."""

    boot: int
    next: int
    dropped: int  # lines between `since` and the first returned, overwritten
    lines: tuple[LogEntry, ...]

    @classmethod
    def from_response(cls, rsp: am.LogsReadResponse) -> LogPage:
        first = rsp.next - len(rsp.lines)
        lines = tuple(LogEntry(rsp.boot, first + i, line.t, line.msg)
                      for i, line in enumerate(rsp.lines))
        return cls(rsp.boot, rsp.next, rsp.dropped, lines)
