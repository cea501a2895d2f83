"""The wasm-app group's status (5) and logs (6) messages, with the app lifecycle's
maps (docs/protocol.md). Schemas only, no I/O. Every lifecycle key is optional,
so an answer from a device without the lifecycle still decodes."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator
from smp import message

from .app_group import GROUP_ID, CommandId, ReadResponse, Tolerant, Uint, version_key

LIVES = ("staged", "trial", "confirmed", "reverted", "failed")
"""Values of ``life``: where a slot is in the app lifecycle."""


class DeviceStatusReadRequest(message.ReadRequest):
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.STATUS


class DeviceStatusReadResponse(ReadResponse):
    _COMMAND_ID = CommandId.STATUS

    board: str
    fw: str
    uptime_ms: Uint
    boot: Uint
    """Boot count."""
    reset: str
    """Cause of the last reset: ``power-on``, ``watchdog``, ``fault`` or ``software``."""
    heap_free: Uint
    slots: Uint
    apps: Uint
    buf_size: Uint
    framings: tuple[str, ...] = ("console",)
    """Serial framings the device accepts; one that does not say speaks console."""
    free_slots: Uint | None = None
    """Slots a new app could take now (one is always kept for updates)."""
    safe_mode: str | None = None
    """Why the device is in safe mode (SMP served, no app started); absent when it
    is not (docs/lifecycle.md, Safe mode)."""
    kids: tuple[bytes, ...] | None = None
    """The ids of the keys whose bundles the device installs (its firmware's
    TRUSTED_KEYS; 8 bytes each, as a manifest's ``kid``); absent from older
    firmware."""
    aot_abi: Uint | None = None
    """The ABI of the AOT code the device runs (docs/aot.md); 0: it runs none and
    interprets every module. Absent from older firmware."""


class AppStatusReadRequest(message.ReadRequest):
    """One app's status: its current slot, or with ``sha`` the slot holding that
    module (or bundle)."""

    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.STATUS

    name: str
    sha: bytes | None = None
    """SHA-256 of the module or bundle uploaded (32 bytes)."""


class LastError(Tolerant):
    rc: int
    """An :class:`~wamr_agent.agent_err.AgentErr` value."""
    msg: str


class Reason(Tolerant):
    """Why a slot was reverted or failed."""

    code: str
    """``traps``, ``cpu_budget``, ``health``, ``load``, ``reset``, ``watchdog``, ``fault``
    or ``manual``."""
    rc: int = 0
    """An AgentErr value; for ``health``, what the health export returned."""
    msg: str = ""
    """The device's one line, e.g. ``loop trapped 1 time: integer divide by zero``."""


class Trial(Tolerant):
    """How a version on trial is doing against its health policy."""

    loops: Uint = 0
    need_loops: Uint = 0
    traps: Uint = 0
    max_traps: Uint = 0
    elapsed_ms: Uint = 0
    window_ms: Uint = 0
    manual: bool = False
    """The policy is ``confirm = "manual"``: an operator confirms it."""


class UpdateOutcome(Tolerant):
    """The newest attempt for a name when it is not the current slot."""

    version: str | None = None
    sha: bytes
    life: str
    reason: Reason | None = None


class AppStatusReadResponse(ReadResponse):
    model_config = ConfigDict(extra="ignore", frozen=True, serialize_by_alias=True)
    _COMMAND_ID = CommandId.STATUS

    name: str
    slot: Uint
    state: str
    size: Uint
    sha: bytes | None = None
    deploy: str | None = None
    app_version: str | None = Field(default=None, serialization_alias="version")
    """Key ``version`` (see UploadWriteRequest)."""
    traps: Uint
    """Traps since boot."""
    last_err: LastError | None = None
    """The last error since boot, if any."""
    mem_hw: Uint
    """High-water bytes of the app's RAM pool since it was started (0: never)."""
    mem_budget: Uint
    uptime_ms: Uint
    """Since it was started; 0 when not running."""
    module_ram: Uint | None = None
    """Module bytes the device holds in RAM: 0 when it runs the module in place from flash."""
    life: str | None = None
    """One of LIVES; absent on a device without the app lifecycle."""
    reason: Reason | None = None
    """For ``reverted`` and ``failed``."""
    trial: Trial | None = None
    """While ``life`` is ``trial``."""
    seq: Uint | None = None
    """Security counter of the bundle the app was installed from."""
    signed: bool | None = None
    aot: bool | None = None
    """True when the app runs its AOT code (docs/aot.md); absent: interpreted."""
    update: UpdateOutcome | None = None
    """The newest attempt for this name, when it is not this slot."""

    @model_validator(mode="before")
    @classmethod
    def _app_version(cls, data: Any) -> Any:
        return version_key(data)


class LogsReadRequest(message.ReadRequest):
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.LOGS

    since: Uint | None = None
    """Sequence number of the first line wanted (the device's default: 0)."""


class LogLine(Tolerant):
    t: Uint
    """Milliseconds since boot."""
    msg: str


class LogsReadResponse(ReadResponse):
    _COMMAND_ID = CommandId.LOGS

    boot: Uint
    next: Uint
    """The sequence number to ask for next."""
    dropped: Uint = 0
    """Lines between ``since`` and the first returned that were overwritten."""
    lines: list[LogLine] = Field(default_factory=list)
