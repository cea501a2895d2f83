"""SMP's wasm-app group (64) from the host: upload (offset-driven chunks, which
also resume an interrupted upload), list, start, stop, remove.

Requests are SMP v2 messages (8-byte header + a CBOR map, see docs/protocol.md)
sent over an :class:`~wamr_agent.smp.link.SmpLink`. Device errors become the
package's exceptions: ``{"err": {"group": 64, "rc": N}}`` by the shared error
code (:class:`~wamr_agent.agent_err.AgentErr`), ``{"rc": N}`` (the management
layer) as a :class:`ManagementError`.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import cbor2

from ..agent_err import AgentErr
from ..errors import (
    FitError,
    InputError,
    LinkError,
    LoadError,
    TransportError,
    UsageError,
    WamrAgentError,
)

GROUP_OS = 0
GROUP_APPS = 64
OS_MCUMGR_PARAMS = 6
UPLOAD, LIST, START, STOP, REMOVE = range(5)
OP_READ, OP_WRITE = 0, 2
SMP_V2 = 0x08
HEADER = struct.Struct(">BBHHBB")
DEFAULT_BUF_SIZE = 1024  # when the device does not answer mcumgr params

# MCUmgr's management-layer codes (the `{"rc": N}` answers)
MGMT_RC = {1: "unknown error", 2: "out of memory", 3: "invalid request (EINVAL)",
           4: "timeout", 5: "no entry", 6: "bad state", 7: "message too large (EMSGSIZE)",
           8: "command not supported (ENOTSUP)"}

Progress = Callable[[int, int], None]


class Link(Protocol):
    def request(self, message: bytes) -> bytes: ...


class ManagementError(TransportError):
    """The device's management layer refused a request (an SMP ``rc``)."""


_BY_CODE: dict[AgentErr, type[WamrAgentError]] = {
    AgentErr.MALFORMED: InputError,
    AgentErr.MODULE_TOO_LARGE: FitError,
    AgentErr.MEMORY_BUDGET: FitError,
    AgentErr.NOT_SUPPORTED: FitError,
    AgentErr.NO_MEMORY: FitError,
    AgentErr.UNKNOWN_IMPORT: LinkError,
    AgentErr.NOT_GRANTED: LinkError,
    AgentErr.IMPORT_TYPE: LinkError,
    AgentErr.NOT_FOUND: UsageError,
    AgentErr.INVALID_ARG: UsageError,
    AgentErr.TOO_LARGE: UsageError,
    AgentErr.LOAD_FAILED: LoadError,
}

_WHY = {AgentErr.NO_MEMORY: "no free app slot", AgentErr.NOT_FOUND: "no such app",
        AgentErr.BAD_STATE: "the app is disabled (it faulted or hit the watchdog)",
        AgentErr.MALFORMED: "SHA-256 mismatch after upload",
        AgentErr.MODULE_TOO_LARGE: "module larger than the board's module budget",
        AgentErr.MEMORY_BUDGET: "does not fit the board's memory budget",
        AgentErr.INVALID_ARG: "invalid argument", AgentErr.TOO_LARGE: "name or id too long"}


def device_error(action: str, app: str, rc: int) -> WamrAgentError:
    """The exception for a group-64 error code, with a one-line message naming the app."""
    try:
        err = AgentErr(rc)
    except ValueError:
        err = AgentErr.UNKNOWN
    why = _WHY.get(err, err.name.lower().replace("_", " "))
    cls = _BY_CODE.get(err, WamrAgentError)
    return cls(f"device refused to {action} app {app!r}: {why} (WA_ERR_{err.name}, {rc})", err)


@dataclass(frozen=True)
class AppInfo:
    """One app as the device lists it."""

    name: str
    slot: int
    state: str
    size: int
    sha: str | None  # hex

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class UploadResult:
    resumed_from: int  # where the device continued an earlier upload (0: a new one)
    total: int
    already_installed: bool = False  # the same module and deploy id were installed


class AppClient:
    """The wasm-app group over one link."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self._seq = 0
        self._buf_size: int | None = None

    # -- messages -----------------------------------------------------------------

    def call(self, group: int, op: int, cmd: int, body: dict[str, Any]) -> dict[str, Any]:
        """Sends one request; the response map (``rc``/``err`` left to the caller)."""
        payload = cbor2.dumps(body)
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFF
        rsp = self.link.request(HEADER.pack(SMP_V2 | op, 0, len(payload), group, seq, cmd)
                                + payload)
        if len(rsp) < HEADER.size:
            raise TransportError(f"short SMP response ({len(rsp)} bytes)")
        rop, _, length, rgroup, rseq, rcmd = HEADER.unpack_from(rsp)
        if (rop & 0x07, rgroup, rseq, rcmd) != (op + 1, group, seq, cmd):
            raise TransportError(f"unexpected SMP response (op {rop & 7}, group {rgroup}, "
                                 f"seq {rseq}, cmd {rcmd}) to group {group} cmd {cmd} seq {seq}")
        try:
            result = cbor2.loads(rsp[HEADER.size:HEADER.size + length])
        except Exception as exc:  # cbor2 raises several types on bad input
            raise TransportError(f"undecodable SMP response: {exc}") from exc
        if not isinstance(result, dict):
            raise TransportError(f"SMP response is not a map: {result!r}")
        return result

    def _apps(self, action: str, app: str, op: int, cmd: int,
              body: dict[str, Any]) -> dict[str, Any]:
        rsp = self.call(GROUP_APPS, op, cmd, body)
        err = rsp.get("err")
        if isinstance(err, dict) and err.get("rc"):
            raise device_error(action, app, int(err["rc"]))
        rc = rsp.get("rc")
        if isinstance(rc, int) and rc != 0:
            raise ManagementError(f"device refused to {action} app {app!r}: SMP rc {rc} "
                                  f"({MGMT_RC.get(rc, 'unknown code')})")
        return rsp

    def buf_size(self) -> int:
        """The device's SMP buffer size (mcumgr params), asked once."""
        if self._buf_size is None:
            rsp = self.call(GROUP_OS, OP_READ, OS_MCUMGR_PARAMS, {})
            size = rsp.get("buf_size")
            self._buf_size = size if isinstance(size, int) and size > 0 else DEFAULT_BUF_SIZE
        return self._buf_size

    def _room(self, body: dict[str, Any]) -> int:
        """Data bytes that fit one message with ``body`` (its ``data`` empty)."""
        overhead = HEADER.size + len(cbor2.dumps({**body, "data": b""})) + 2  # bstr length
        room = self.buf_size() - overhead
        if room <= 0:
            raise ManagementError(f"device buffer of {self.buf_size()} bytes is too small")
        return room

    # -- commands -----------------------------------------------------------------

    def upload(self, name: str, data: bytes, *, start: bool = True,
               deploy_id: str | None = None, progress: Progress | None = None) -> UploadResult:
        """Installs ``data`` as app ``name``; continues an interrupted upload of the
        same module from the offset the device reached."""
        total = len(data)
        first: dict[str, Any] = {"off": 0, "len": total, "sha": hashlib.sha256(data).digest(),
                                 "name": name, "start": start}
        if deploy_id is not None:
            first["deploy"] = deploy_id
        room = self._room({**first, "off": total})
        rsp = self._apps("upload", name, OP_WRITE, UPLOAD, {**first, "data": data[:room]})
        reached = self._offset(rsp, name, total)
        # a new upload answers the end of the first chunk; a resumed one where it was
        already = bool(rsp.get("done")) and total > room
        resumed_from = 0 if already or reached == min(room, total) else reached
        room = self._room({"off": total})
        while not rsp.get("done"):
            off = self._offset(rsp, name, total)
            if progress is not None:
                progress(off, total)
            if off >= total:
                raise TransportError(f"device reached offset {off} of app {name!r} "
                                     "without finishing the upload")
            rsp = self._apps("upload", name, OP_WRITE, UPLOAD,
                             {"off": off, "data": data[off:off + room]})
        if progress is not None:
            progress(total, total)
        return UploadResult(resumed_from=resumed_from, total=total, already_installed=already)

    @staticmethod
    def _offset(rsp: dict[str, Any], name: str, total: int) -> int:
        off = rsp.get("off")
        if not isinstance(off, int) or not 0 <= off <= total:
            raise TransportError(f"upload of app {name!r}: bad offset in answer {rsp!r}")
        return off

    def list(self) -> list[AppInfo]:
        rsp = self._apps("list", "*", OP_READ, LIST, {})
        found = rsp.get("apps", [])
        if not isinstance(found, list):
            raise TransportError(f"list: bad answer {rsp!r}")
        return [AppInfo(name=str(a.get("name", "")), slot=int(a.get("slot", -1)),
                        state=str(a.get("state", "")), size=int(a.get("size", 0)),
                        sha=a["sha"].hex() if isinstance(a.get("sha"), bytes) else None)
                for a in found if isinstance(a, dict)]

    def start(self, name: str) -> None:
        self._apps("start", name, OP_WRITE, START, {"name": name})

    def stop(self, name: str) -> None:
        self._apps("stop", name, OP_WRITE, STOP, {"name": name})

    def remove(self, name: str) -> None:
        self._apps("remove", name, OP_WRITE, REMOVE, {"name": name})
