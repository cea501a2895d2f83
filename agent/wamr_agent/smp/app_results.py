"""What :class:`~wamr_agent.smp.apps.AppClient` returns: plain frozen dataclasses
made from the group's responses (``app_management``), with hex digests and
``as_dict()`` for JSON output. The app lifecycle's fields are None when the
device does not report them (a firmware without the lifecycle)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..agent_err import AgentErr
from . import app_management as am


def _hex(sha: bytes | None) -> str | None:
    return sha.hex() if sha is not None else None


@dataclass(frozen=True)
class Reason:
    """Why a slot was reverted or failed: a code (``traps``, ``health``, ``load``, ...),
    an AgentErr (the health export's value for ``health``) and the device's line."""

    code: str
    rc: int
    msg: str

    @classmethod
    def from_model(cls, reason: am.Reason | None) -> Reason | None:
        return None if reason is None else cls(reason.code, reason.rc, reason.msg)

    @property
    def text(self) -> str:
        return self.msg or self.code

    @property
    def agent_err(self) -> AgentErr:
        """``rc`` as an AgentErr (UNKNOWN for a health value or an unknown code)."""
        try:
            return AgentErr.UNKNOWN if self.code == "health" else AgentErr(self.rc)
        except ValueError:
            return AgentErr.UNKNOWN

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Trial:
    """A version on trial against its health policy, as the device counts it."""

    loops: int
    need_loops: int
    traps: int
    max_traps: int
    elapsed_ms: int
    window_ms: int
    manual: bool  # confirm = "manual": an operator confirms it

    @classmethod
    def from_model(cls, trial: am.Trial | None) -> Trial | None:
        if trial is None:
            return None
        return cls(trial.loops, trial.need_loops, trial.traps, trial.max_traps,
                   trial.elapsed_ms, trial.window_ms, trial.manual)

    @property
    def healthy(self) -> bool:
        """The health criteria hold (what confirms it, or lets an operator)."""
        return (self.loops >= self.need_loops and self.elapsed_ms >= self.window_ms
                and self.traps <= self.max_traps)

    def describe(self) -> str:
        """``4/10 loop rounds, 0/0 traps, 0.8/2.0 s``."""
        window = f"/{self.window_ms / 1000:.1f}" if self.window_ms else ""
        return (f"{self.loops}/{self.need_loops} loop rounds, {self.traps}/{self.max_traps} "
                f"traps, {self.elapsed_ms / 1000:.1f}{window} s")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UpdateOutcome:
    """The newest attempt for an app's name when it is not the current slot."""

    version: str | None
    sha: str  # hex
    life: str
    reason: Reason | None

    @classmethod
    def from_model(cls, update: am.UpdateOutcome | None) -> UpdateOutcome | None:
        if update is None:
            return None
        return cls(update.version, update.sha.hex(), update.life,
                   Reason.from_model(update.reason))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AppInfo:
    """One slot as the device lists it (two may carry the same name)."""

    name: str
    slot: int
    state: str  # run state: running, stopped, disabled, refused
    size: int
    sha: str | None  # hex
    version: str | None = None
    life: str | None = None  # lifecycle: staged, trial, confirmed, reverted, failed
    reason: Reason | None = None
    mem: int | None = None  # RAM bytes the app holds now

    @classmethod
    def from_entry(cls, entry: am.AppEntry) -> AppInfo:
        return cls(entry.name, entry.slot, entry.state, entry.size, _hex(entry.sha),
                   entry.version, entry.life, Reason.from_model(entry.reason), entry.mem)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UploadResult:
    resumed_from: int  # where the device continued an earlier upload (0: a new one)
    total: int
    already_installed: bool = False  # the same module and deploy id are installed: no-op
    trial: bool = False  # the request began a trial


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
    free_slots: int | None = None  # None: the device does not say (see slots_free)
    safe_mode: str | None = None  # why the device is in safe mode; None: it is not
    kids: tuple[str, ...] | None = None  # trusted keys' ids (hex); None: the device does not say
    aot_abi: int | None = None  # the AOT code's ABI it runs, 0: none; None: it does not say

    @classmethod
    def from_response(cls, rsp: am.DeviceStatusReadResponse) -> DeviceStatus:
        kids = None if rsp.kids is None else tuple(k.hex() for k in rsp.kids)
        return cls(rsp.board, rsp.fw, rsp.uptime_ms, rsp.boot, rsp.reset, rsp.heap_free,
                   rsp.slots, rsp.apps, rsp.buf_size, tuple(rsp.framings), rsp.free_slots,
                   rsp.safe_mode, kids, rsp.aot_abi)

    @property
    def slots_free(self) -> int:
        """Slots a new app could take: ``free_slots``, or for a device that does not
        say, the empty slots but the one kept for updates."""
        if self.free_slots is not None:
            return self.free_slots
        return max(0, self.slots - self.apps - 1)

    def as_dict(self) -> dict[str, Any]:
        kids = None if self.kids is None else list(self.kids)
        return {**asdict(self), "framings": list(self.framings), "kids": kids}


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
    life: str | None = None  # staged, trial, confirmed, reverted, failed; None: not said
    reason: Reason | None = None  # why reverted or failed
    trial: Trial | None = None  # while on trial
    seq: int | None = None  # security counter, for an app installed from a signed bundle
    signed: bool | None = None
    update: UpdateOutcome | None = None  # the newest attempt, when not this slot
    aot: bool = False  # runs its AOT code (docs/aot.md), not the interpreter

    @classmethod
    def from_response(cls, rsp: am.AppStatusReadResponse) -> AppStatus:
        err = rsp.last_err
        return cls(rsp.name, rsp.slot, rsp.state, rsp.size, _hex(rsp.sha), rsp.deploy,
                   rsp.app_version, rsp.traps, AppError(err.rc, err.msg) if err else None,
                   rsp.mem_hw, rsp.mem_budget, rsp.uptime_ms, rsp.module_ram, rsp.life,
                   Reason.from_model(rsp.reason), Trial.from_model(rsp.trial), rsp.seq,
                   rsp.signed, UpdateOutcome.from_model(rsp.update), bool(rsp.aot))

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
