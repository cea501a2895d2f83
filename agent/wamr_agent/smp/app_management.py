"""The wasm-app management group (SMP group 64) as message models in the PyPI
``smp`` package's conventions: one request and one response class per command,
subclasses of :mod:`smp.message`'s read/write classes, and the group's error
responses on :mod:`smp.error`. Schemas only, no I/O (docs/protocol.md).

Requests forbid unknown fields (the ``smp`` default): a misspelt field fails when
the request is built, not on the device.

Responses ignore keys they do not know, so a host keeps working with a newer
firmware that adds some (the status command is expected to grow). They never
accept ``err`` or a non-zero ``rc``, though: a client that tries the success
model first (as ``smpclient.SMPClient.request`` does) must not mistake an error
answer for an empty success.

The group's error enum is :class:`~wamr_agent.agent_err.AgentErr` itself, the
one enum the firmware and the host share, not a copy of it. (``smp``'s own
``UserGroupId`` calls group 64 ``INTERCREATE``, another vendor's group: decoded
headers show that name for our group; only the number goes on the wire.)
"""

from __future__ import annotations

from enum import IntEnum, unique
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator
from smp import error, message

from ..agent_err import AgentErr

GROUP_ID: Final = 64

Uint = Annotated[int, Field(ge=0)]


@unique
class CommandId(IntEnum):
    UPLOAD = 0
    LIST = 1
    START = 2
    STOP = 3
    REMOVE = 4
    STATUS = 5
    LOGS = 6


def _version_key(data: Any) -> Any:
    """The app's ``version`` key goes to ``app_version``: ``version`` is taken by
    ``smp``'s messages for the SMP protocol version (an int, never a str)."""
    if isinstance(data, dict) and isinstance(data.get("version"), str):
        return {**{k: v for k, v in data.items() if k != "version"},
                "app_version": data["version"]}
    return data


def _refuse_error_bodies(data: Any) -> Any:
    if isinstance(data, dict) and ("err" in data or data.get("rc", 0) != 0):
        raise ValueError("an error answer, not a success response")
    return data


_RESPONSE_CONFIG = ConfigDict(extra="ignore", frozen=True)


class _Tolerant(BaseModel):
    """A map inside a response: unknown keys are ignored."""

    model_config = _RESPONSE_CONFIG


class _GroupResponse(message.Response):
    """Mixed into every response of the group; see the module docstring."""

    _GROUP_ID = GROUP_ID

    @model_validator(mode="before")
    @classmethod
    def _not_an_error(cls, data: Any) -> Any:
        return _refuse_error_bodies(data)


class _ReadResponse(_GroupResponse, message.ReadResponse):
    # set here, not on _GroupResponse: of several bases, pydantic keeps the config of
    # the last (smp's, which forbids unknown keys)
    model_config = _RESPONSE_CONFIG


class _WriteResponse(_GroupResponse, message.WriteResponse):
    model_config = _RESPONSE_CONFIG


# ---- 0 upload ---------------------------------------------------------------------

_FIRST_CHUNK = ("len", "sha", "name")
_FIRST_CHUNK_ONLY = ("len", "sha", "name", "deploy", "grants", "start", "app_version",
                     "bundle")


class UploadWriteRequest(message.WriteRequest):
    """One chunk of a module. The first (``off`` 0) also carries ``len``, ``sha`` and
    ``name`` and optionally ``deploy``, ``grants``, ``start`` and ``version``; the
    others carry ``off`` and ``data`` only."""

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True)
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.UPLOAD

    off: Uint
    data: bytes
    len: Uint | None = None
    """Module bytes."""
    sha: bytes | None = None
    """SHA-256 of the module (32 bytes)."""
    name: str | None = None
    """App name, 1 to 32 bytes."""
    deploy: str | None = None
    """An id chosen by the host (up to 32 bytes); the same module and id are a no-op."""
    grants: Uint | None = None
    """Capability bits (``enum wa_cap``); the device's default is all."""
    start: bool | None = None
    """Start the app once installed."""
    app_version: str | None = Field(default=None, serialization_alias="version")
    """The app's version (key ``version``), free-form, up to 16 bytes."""
    bundle: bool | None = None
    """The bytes are a signed bundle (ota/FORMAT.md): the device verifies it and
    installs the module inside with the manifest's capabilities."""

    @model_validator(mode="before")
    @classmethod
    def _app_version(cls, data: Any) -> Any:
        return _version_key(data)

    @model_validator(mode="after")
    def _first_chunk_fields(self) -> UploadWriteRequest:
        given = [f for f in _FIRST_CHUNK_ONLY if getattr(self, f) is not None]
        if self.off == 0:
            missing = [f for f in _FIRST_CHUNK if getattr(self, f) is None]
            if missing:
                raise ValueError(f"the first chunk (off 0) needs {', '.join(missing)}")
        elif given:
            raise ValueError(f"only the first chunk (off 0) carries {', '.join(given)}")
        return self


class UploadWriteResponse(_WriteResponse):
    _COMMAND_ID = CommandId.UPLOAD

    off: Uint
    """The offset the device expects next (``len`` when done)."""
    done: bool = False
    """The module is installed (and started, when asked)."""
    unchanged: bool = False
    """It was installed already (the same name, len, sha and deploy id)."""


# ---- 1 list -----------------------------------------------------------------------


class ListReadRequest(message.ReadRequest):
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.LIST


class AppEntry(_Tolerant):
    name: str
    slot: Uint
    state: str
    """``running``, ``stopped``, ``disabled`` or ``refused``."""
    size: Uint
    sha: bytes | None = None
    """Only for apps installed by upload."""


class ListReadResponse(_ReadResponse):
    _COMMAND_ID = CommandId.LIST

    apps: list[AppEntry] = Field(default_factory=list)


# ---- 2 start, 3 stop, 4 remove ------------------------------------------------------


class _ByNameWriteRequest(message.WriteRequest):
    """A write naming one app: start, stop, remove."""

    _GROUP_ID = GROUP_ID

    name: str


class StartWriteRequest(_ByNameWriteRequest):
    _COMMAND_ID = CommandId.START


class StartWriteResponse(_WriteResponse):
    _COMMAND_ID = CommandId.START


class StopWriteRequest(_ByNameWriteRequest):
    _COMMAND_ID = CommandId.STOP


class StopWriteResponse(_WriteResponse):
    _COMMAND_ID = CommandId.STOP


class RemoveWriteRequest(_ByNameWriteRequest):
    _COMMAND_ID = CommandId.REMOVE


class RemoveWriteResponse(_WriteResponse):
    _COMMAND_ID = CommandId.REMOVE


# ---- 5 status: the device (no name) or one app ----------------------------------------


class DeviceStatusReadRequest(message.ReadRequest):
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.STATUS


class DeviceStatusReadResponse(_ReadResponse):
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


class AppStatusReadRequest(message.ReadRequest):
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.STATUS

    name: str


class LastError(_Tolerant):
    rc: int
    """An :class:`~wamr_agent.agent_err.AgentErr` value."""
    msg: str


class AppStatusReadResponse(_ReadResponse):
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
    """Module bytes the device holds in RAM: 0 when it runs the metered image from flash."""

    @model_validator(mode="before")
    @classmethod
    def _app_version(cls, data: Any) -> Any:
        return _version_key(data)


# ---- 6 logs -------------------------------------------------------------------------


class LogsReadRequest(message.ReadRequest):
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.LOGS

    since: Uint | None = None
    """Sequence number of the first line wanted (the device's default: 0)."""


class LogLine(_Tolerant):
    t: Uint
    """Milliseconds since boot."""
    msg: str


class LogsReadResponse(_ReadResponse):
    _COMMAND_ID = CommandId.LOGS

    boot: Uint
    next: Uint
    """The sequence number to ask for next."""
    dropped: Uint = 0
    """Lines between ``since`` and the first returned that were overwritten."""
    lines: list[LogLine] = Field(default_factory=list)


# ---- errors ---------------------------------------------------------------------------


class AppManagementErrorV1(error.ErrorV1):
    """The management layer's ``{"rc": N}`` (``smp.error.MGMT_ERR``)."""

    _GROUP_ID = GROUP_ID


class AppManagementErrorV2(error.ErrorV2[AgentErr]):
    """The group's ``{"err": {"group": 64, "rc": N}}``, N an AgentErr."""

    _GROUP_ID = GROUP_ID
