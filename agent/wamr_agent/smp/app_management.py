"""The wasm-app management group (SMP group 64) as message models in the PyPI
``smp`` package's conventions: one request and one response class per command,
subclasses of :mod:`smp.message`'s read/write classes, and the group's error
responses on :mod:`smp.error`. Schemas only, no I/O (docs/protocol.md).

This module holds upload, list, start, stop, remove, confirm, rollback and send, and
re-exports the shared pieces (``app_group``) and the status and logs messages
(``app_status``), so ``app_management`` is the one namespace of the group's
schemas.

Requests forbid unknown fields (the ``smp`` default): a misspelt field fails when
the request is built, not on the device. Responses ignore keys they do not know
(see ``app_group``); keys added with the app lifecycle are optional, so an older
device's answers still decode.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator
from smp import message

from ..messages import MESSAGE_MAX
from .app_group import (
    GROUP_ID,
    AppManagementErrorV1,
    AppManagementErrorV2,
    CommandId,
    ReadResponse,
    Tolerant,
    Uint,
    WriteResponse,
    version_key,
)
from .app_status import (
    LIVES,
    AppStatusReadRequest,
    AppStatusReadResponse,
    DeviceStatusReadRequest,
    DeviceStatusReadResponse,
    LastError,
    LogLine,
    LogsReadRequest,
    LogsReadResponse,
    Reason,
    Trial,
    UpdateOutcome,
)

__all__ = [
    "GROUP_ID", "LIVES", "AppEntry", "AppManagementErrorV1", "AppManagementErrorV2",
    "AppStatusReadRequest", "AppStatusReadResponse", "CommandId", "ConfirmWriteRequest",
    "ConfirmWriteResponse", "DeviceStatusReadRequest", "DeviceStatusReadResponse",
    "LastError", "ListReadRequest", "ListReadResponse", "LogLine", "LogsReadRequest",
    "LogsReadResponse", "Reason", "RemoveWriteRequest", "RemoveWriteResponse",
    "RollbackWriteRequest", "RollbackWriteResponse", "SendWriteRequest",
    "SendWriteResponse", "StartWriteRequest",
    "StartWriteResponse", "StopWriteRequest", "StopWriteResponse", "Trial",
    "UpdateOutcome", "UploadWriteRequest", "UploadWriteResponse",
]


# ---- 0 upload ---------------------------------------------------------------------

_FIRST_CHUNK = ("len", "sha", "name")
_FIRST_CHUNK_ONLY = ("len", "sha", "name", "deploy", "grants", "start", "app_version",
                     "bundle", "kv_quota")


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
    kv_quota: Uint | None = None
    """Bytes of key-value storage the app may use; the device's default is the board
    profile's ``[storage] default_quota`` (a bundle's manifest says its own)."""
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
        return version_key(data)

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


class UploadWriteResponse(WriteResponse):
    _COMMAND_ID = CommandId.UPLOAD

    off: Uint
    """The offset the device expects next (``len`` when done)."""
    done: bool = False
    """The module is installed (and started, when asked)."""
    unchanged: bool = False
    """It was installed already (the same name, len, sha and deploy id); without
    ``trial``: confirmed and running (or installed stopped, ``start`` false)."""
    trial: bool = False
    """This request began a trial: a fresh install with ``start``, or a re-deploy of
    the identical module that was staged, reverted or failed."""


# ---- 1 list -----------------------------------------------------------------------


class ListReadRequest(message.ReadRequest):
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.LIST

    off: Uint | None = None
    """The slot to list from (the device's default: 0): a response's ``next``."""


class AppEntry(Tolerant):
    """One occupied slot. Two slots may carry the same name: an update on trial
    beside the kept version, or a reverted attempt kept until its slot is needed."""

    name: str
    slot: Uint
    state: str
    """The run state: ``running``, ``stopped``, ``disabled`` or ``refused``."""
    size: Uint
    sha: bytes | None = None
    """Only for apps installed by upload."""
    life: str | None = None
    """Where the slot is in the lifecycle (``app_status.LIVES``); absent on a device
    without the app lifecycle."""
    version: str | None = None
    reason: Reason | None = None
    """For ``reverted`` and ``failed``."""
    mem: Uint | None = None
    """RAM bytes the app holds now, 0 when not running."""


class ListReadResponse(ReadResponse):
    _COMMAND_ID = CommandId.LIST

    apps: list[AppEntry] = Field(default_factory=list)
    next: Uint | None = None
    """The slot to ask from for the rest, when the answer could not hold them all;
    absent when every occupied slot is listed (and from firmware that lists all
    slots in one answer)."""


# ---- 2 start, 3 stop, 4 remove, 7 confirm, 8 rollback -----------------------------


class _ByNameWriteRequest(message.WriteRequest):
    """A write naming one app: start, stop, remove, confirm, rollback."""

    _GROUP_ID = GROUP_ID

    name: str


class StartWriteRequest(_ByNameWriteRequest):
    _COMMAND_ID = CommandId.START


class StartWriteResponse(WriteResponse):
    _COMMAND_ID = CommandId.START


class StopWriteRequest(_ByNameWriteRequest):
    _COMMAND_ID = CommandId.STOP


class StopWriteResponse(WriteResponse):
    _COMMAND_ID = CommandId.STOP


class RemoveWriteRequest(_ByNameWriteRequest):
    _COMMAND_ID = CommandId.REMOVE


class RemoveWriteResponse(WriteResponse):
    _COMMAND_ID = CommandId.REMOVE


class ConfirmWriteRequest(_ByNameWriteRequest):
    """Confirms the app's version on trial (``WA_ERR_BAD_STATE`` when none is)."""

    _COMMAND_ID = CommandId.CONFIRM


class ConfirmWriteResponse(WriteResponse):
    _COMMAND_ID = CommandId.CONFIRM


class RollbackWriteRequest(_ByNameWriteRequest):
    """Reverts the app's version on trial (reason ``manual``) and runs the previous
    version again (``WA_ERR_BAD_STATE`` when none is on trial)."""

    _COMMAND_ID = CommandId.ROLLBACK


class RollbackWriteResponse(WriteResponse):
    _COMMAND_ID = CommandId.ROLLBACK


# ---- 9 send -----------------------------------------------------------------------

class SendWriteRequest(_ByNameWriteRequest):
    """Queues ``data`` in the inbox of app ``name``'s running version; the device
    answers once it is queued (its ``on_message`` runs after the answer).
    ``WA_ERR_BAD_STATE``: not running; ``WA_ERR_NO_EXPORT``: it exports no
    ``on_message``; ``WA_ERR_NO_MEMORY``: its inbox is full."""

    _COMMAND_ID = CommandId.SEND

    data: bytes = Field(max_length=MESSAGE_MAX)


class SendWriteResponse(WriteResponse):
    _COMMAND_ID = CommandId.SEND
