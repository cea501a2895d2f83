"""SMP's wasm-app group (64) from the host: upload (offset-driven chunks, which
also resume an interrupted upload), list, start, stop, remove, status and logs.

Requests are the group's message models (``app_requests``, in ``smpclient``'s
convention) sent over an :class:`~wamr_agent.smp.link.SmpLink`.
:meth:`AppClient.request` returns what the device answered as a value (the
response, or one of the two error forms); the command methods turn an error
answer into the package's exceptions: ``{"err": {"group": 64, "rc": N}}`` by the
shared error code (:class:`~wamr_agent.agent_err.AgentErr`), ``{"rc": N}`` (the
management layer) as a :class:`ManagementError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Protocol, overload

import cbor2
from smp import error as smperror
from smp import header as smpheader
from smpclient.generics import SMPRequest, TEr1, TEr2, TRep, error_v2, success

from ..agent_err import AgentErr
from ..errors import (
    BoardError,
    FitError,
    InputError,
    LinkError,
    LoadError,
    SignatureError,
    TransportError,
    UsageError,
    WamrAgentError,
)
from . import app_requests as rq
from .app_results import AppInfo, AppStatus, DeviceStatus, LogPage, UploadResult

__all__ = ["AppClient", "AppInfo", "AppStatus", "DeviceStatus", "Link", "LogPage",
           "ManagementError", "Progress", "ResponseError", "UploadResult", "device_error"]

DEFAULT_BUF_SIZE = 1024  # when the device does not answer mcumgr params
BSTR_GROWTH = 2  # a bstr's length header grows by at most 2 bytes up to 64 KiB

# MCUmgr's management-layer codes (the `{"rc": N}` answers)
MGMT_RC = {1: "unknown error", 2: "out of memory", 3: "invalid request (EINVAL)",
           4: "timeout", 5: "no entry", 6: "bad state", 7: "message too large (EMSGSIZE)",
           8: "command not supported (ENOTSUP)"}

Progress = Callable[[int, int], None]


class Link(Protocol):
    def request(self, message: bytes) -> bytes: ...


class ManagementError(TransportError):
    """The device's management layer refused a request (an SMP ``rc``)."""

    def __init__(self, message: str, rc: int) -> None:
        super().__init__(message)
        self.rc = rc


class ResponseError(TransportError):
    """An answer that is not the response to the request sent, or that fits none of
    the request's response models. ``body`` is its CBOR map, when it decodes."""

    def __init__(self, message: str, body: object = None) -> None:
        super().__init__(message)
        self.body = body


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
    AgentErr.BAD_SIGNATURE: SignatureError,
    AgentErr.UNTRUSTED_KEY: SignatureError,
    AgentErr.ROLLBACK: SignatureError,
    AgentErr.UNSIGNED: SignatureError,
    AgentErr.WRONG_BOARD: BoardError,
}

_WHY = {AgentErr.NO_MEMORY: "no free app slot", AgentErr.NOT_FOUND: "no such app",
        AgentErr.BAD_STATE: "the app is disabled (it faulted or hit the watchdog)",
        AgentErr.MALFORMED: "SHA-256 mismatch after upload",
        AgentErr.MODULE_TOO_LARGE: "module larger than the board's module budget",
        AgentErr.MEMORY_BUDGET: "does not fit the board's memory budget",
        AgentErr.INVALID_ARG: "invalid argument", AgentErr.TOO_LARGE: "name or id too long",
        AgentErr.BAD_SIGNATURE: "the bundle's signature or module hash does not verify",
        AgentErr.UNTRUSTED_KEY: "the bundle is signed by a key the device does not trust",
        AgentErr.ROLLBACK: "the bundle's security counter is below the installed app's",
        AgentErr.WRONG_BOARD: "the bundle is not for this board",
        AgentErr.UNSIGNED: "the device installs signed bundles only (bundle build)"}


def refusal(what: str, rc: int) -> WamrAgentError:
    """The exception for a group-64 error code: ``device refused to <what>: ...``."""
    try:
        err = AgentErr(rc)
    except ValueError:
        err = AgentErr.UNKNOWN
    why = _WHY.get(err, err.name.lower().replace("_", " "))
    cls = _BY_CODE.get(err, WamrAgentError)
    return cls(f"device refused to {what}: {why} (WA_ERR_{err.name}, {rc})", err)


def device_error(action: str, app: str, rc: int) -> WamrAgentError:
    """The exception for a group-64 error code, with a one-line message naming the app."""
    return refusal(f"{action} app {app!r}", rc)


def management_error(what: str, rc: int) -> ManagementError:
    return ManagementError(f"device refused to {what}: SMP rc {rc} "
                           f"({MGMT_RC.get(rc, 'unknown code')})", rc)


def _coded_refusal(what: str, body: object) -> WamrAgentError | None:
    """An error answer whose code the models do not know (a newer device's)."""
    if not isinstance(body, dict):
        return None
    err, rc = body.get("err"), body.get("rc")
    if isinstance(err, dict) and isinstance(err.get("rc"), int):
        return refusal(what, err["rc"])
    return management_error(what, rc) if isinstance(rc, int) and rc != 0 else None


def _check_header(frame: bytes, sent: smpheader.Header) -> None:
    if len(frame) < smpheader.Header.SIZE:
        raise ResponseError(f"short SMP response ({len(frame)} bytes)")
    try:
        got = smpheader.Header.loads(frame[:smpheader.Header.SIZE])
    except ValueError as exc:
        raise ResponseError(f"not an SMP response: {frame[:16].hex()} ({exc})") from None
    if (got.op, got.group_id, got.sequence, got.command_id) != (
            sent.op + 1, sent.group_id, sent.sequence, sent.command_id):
        raise ResponseError(f"unexpected SMP response (op {got.op}, group {got.group_id}, "
                            f"seq {got.sequence}, cmd {got.command_id}) to group "
                            f"{sent.group_id} cmd {sent.command_id} seq {sent.sequence}")


def _body(frame: bytes) -> object:
    try:
        return cbor2.loads(frame[smpheader.Header.SIZE:])
    except ValueError:
        return None


def decode_response(request: SMPRequest[TRep, TEr1, TEr2], frame: bytes) -> TRep | TEr1 | TEr2:
    """The request's response, ErrorV1 or ErrorV2 (tried in that order, as smpclient
    does); ResponseError when ``frame`` is none of them."""
    problems: list[str] = []
    for model in (request._Response, request._ErrorV1, request._ErrorV2):
        try:
            return model.loads(frame)  # type: ignore[return-value]
        except (ValueError, TypeError) as exc:  # pydantic's ValidationError, bad CBOR
            problems.append(f"{model.__name__}: {str(exc).splitlines()[0]}")
    body = _body(frame)
    raise ResponseError(f"undecodable SMP response {body!r} ({'; '.join(problems)})", body)


class AppClient:
    """The wasm-app group over one link."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self._seq = 0
        self._buf_size: int | None = None

    # -- messages -----------------------------------------------------------------

    def sequence(self) -> int:
        """The sequence number for the next request (incrementing, 8 bits)."""
        seq, self._seq = self._seq, (self._seq + 1) & 0xFF
        return seq

    def request(self, request: SMPRequest[TRep, TEr1, TEr2]) -> TRep | TEr1 | TEr2:
        """Sends one request; the device's answer as a value (success or error).
        Raises ResponseError for an answer to another request or an undecodable one."""
        frame = self.link.request(request.BYTES)
        _check_header(frame, request.header)
        return decode_response(request, frame)

    def _ok(self, what: str, request: SMPRequest[TRep, TEr1, TEr2]) -> TRep:
        """The success response; an error answer raises (``device refused to <what>``)."""
        try:
            rsp = self.request(request)
        except ResponseError as exc:
            raise _coded_refusal(what, exc.body) or exc from None
        if success(rsp):
            return rsp
        if error_v2(rsp):
            raise refusal(what, int(rsp.err.rc))
        assert isinstance(rsp, smperror.ErrorV1)
        raise management_error(what, int(rsp.rc))

    def buf_size(self) -> int:
        """The device's SMP buffer size (mcumgr params), asked once."""
        if self._buf_size is None:
            rsp = self.request(rq.McumgrParamsRead(sequence=self.sequence()))
            size = rsp.buf_size if success(rsp) else 0
            self._buf_size = size if size > 0 else DEFAULT_BUF_SIZE
        return self._buf_size

    def _room(self, empty: rq.UploadWrite) -> int:
        """Data bytes that fit one message with ``empty`` (its ``data`` empty)."""
        room = self.buf_size() - len(empty.BYTES) - BSTR_GROWTH
        if room <= 0:
            raise ManagementError(f"device buffer of {self.buf_size()} bytes is too small", 7)
        return room

    # -- commands -----------------------------------------------------------------

    def upload(self, name: str, data: bytes, *, start: bool = True,
               deploy_id: str | None = None, version: str | None = None,
               grants: int | None = None, progress: Progress | None = None,
               bundle: bool = False) -> UploadResult:
        """Installs ``data`` (a module, or a signed bundle with ``bundle``) as app
        ``name``; continues an interrupted upload of the same bytes from the offset
        the device reached."""
        total, what = len(data), f"upload app {name!r}"
        first: dict[str, Any] = {"off": 0, "len": total, "sha": hashlib.sha256(data).digest(),
                                 "name": name, "start": start, "deploy": deploy_id,
                                 "app_version": version, "grants": grants,
                                 "bundle": True if bundle else None}
        room = self._room(rq.UploadWrite(**first, data=b""))
        rsp = self._ok(what, rq.UploadWrite(**first, data=data[:room], sequence=self.sequence()))
        # a device that does not say `unchanged`: done before the last chunk was sent
        already = rsp.unchanged or (rsp.done and total > room)
        resumed_from = 0 if rsp.done or rsp.off == room else rsp.off
        while not rsp.done:
            off = self._offset(rsp.off, name, total)
            if progress is not None:
                progress(off, total)
            step = self._room(rq.UploadWrite(off=total, data=b""))
            rsp = self._ok(what, rq.UploadWrite(off=off, data=data[off:off + step],
                                                sequence=self.sequence()))
        if progress is not None:
            progress(total, total)
        return UploadResult(resumed_from=resumed_from, total=total, already_installed=already)

    @staticmethod
    def _offset(off: int, name: str, total: int) -> int:
        if off >= total:
            raise ResponseError(f"upload of app {name!r}: the device answered offset {off} "
                                f"of {total} without finishing the upload")
        return off

    def list(self) -> list[AppInfo]:
        rsp = self._ok("list apps", rq.ListRead(sequence=self.sequence()))
        return [AppInfo.from_entry(entry) for entry in rsp.apps]

    def start(self, name: str) -> None:
        self._ok(f"start app {name!r}", rq.StartWrite(name=name, sequence=self.sequence()))

    def stop(self, name: str) -> None:
        self._ok(f"stop app {name!r}", rq.StopWrite(name=name, sequence=self.sequence()))

    def remove(self, name: str) -> None:
        self._ok(f"remove app {name!r}", rq.RemoveWrite(name=name, sequence=self.sequence()))

    @overload
    def status(self, name: None = None) -> DeviceStatus: ...
    @overload
    def status(self, name: str) -> AppStatus: ...

    def status(self, name: str | None = None) -> DeviceStatus | AppStatus:
        """The device's status, or app ``name``'s."""
        if name is None:
            rsp = self._ok("report its status", rq.DeviceStatusRead(sequence=self.sequence()))
            return DeviceStatus.from_response(rsp)
        app = self._ok(f"report the status of app {name!r}",
                       rq.AppStatusRead(name=name, sequence=self.sequence()))
        return AppStatus.from_response(app)

    def logs(self, since: int = 0) -> LogPage:
        """The device's kept console lines from sequence number ``since`` on (as many
        as fit one answer)."""
        rsp = self._ok("read its log", rq.LogsRead(since=since, sequence=self.sequence()))
        return LogPage.from_response(rsp)

    def framings(self) -> tuple[str, ...]:
        """The serial framings the device accepts, from its status; ``("console",)``
        for a device that refuses the status command (e.g. ENOTSUP) or does not say."""
        try:
            rsp = self.request(rq.DeviceStatusRead(sequence=self.sequence()))
        except ResponseError:
            return ("console",)
        return tuple(rsp.framings) if success(rsp) else ("console",)
