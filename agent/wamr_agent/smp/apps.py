"""SMP's wasm-app group (64) from the host: upload (offset-driven chunks, which
also resume an interrupted upload), list, start, stop, remove, confirm, rollback,
status and logs.

Requests are the group's message models (``app_requests``, in ``smpclient``'s
convention) sent over an :class:`~wamr_agent.smp.link.SmpLink`.
:meth:`AppClient.request` returns what the device answered as a value (the
response, or one of the two error forms); the command methods turn an error
answer into the package's exceptions: ``{"err": {"group": 64, "rc": N}}`` by the
shared error code (:class:`~wamr_agent.agent_err.AgentErr`), ``{"rc": N}`` (the
management layer) as a :class:`ManagementError` (``app_errors``).
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
from . import app_requests as rq
from .app_names import check_app_name
from .app_errors import (
    ManagementError,
    ResponseError,
    Why,
    coded_refusal,
    device_error,
    management_error,
    refusal,
)
from .app_results import AppInfo, AppStatus, DeviceStatus, LogPage, UploadResult

__all__ = ["AppClient", "AppInfo", "AppStatus", "DeviceStatus", "Link", "LogPage",
           "ManagementError", "Progress", "ResponseError", "UploadResult", "device_error"]

DEFAULT_BUF_SIZE = 1024  # when the device does not answer mcumgr params
BSTR_GROWTH = 2  # a bstr's length header grows by at most 2 bytes up to 64 KiB
NO_TRIAL: Why = {AgentErr.BAD_STATE: "it has no version on trial"}

Progress = Callable[[int, int], None]


class Link(Protocol):
    def request(self, message: bytes) -> bytes: ...


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

    def _ok(self, what: str, request: SMPRequest[TRep, TEr1, TEr2],
            why: Why | None = None) -> TRep:
        """The success response; an error answer raises (``device refused to <what>``;
        ``why``: what a code means for this command, where it differs)."""
        try:
            rsp = self.request(request)
        except ResponseError as exc:
            raise coded_refusal(what, exc.body, why) or exc from None
        if success(rsp):
            return rsp
        if error_v2(rsp):
            raise refusal(what, int(rsp.err.rc), why)
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
        total, what = len(data), f"upload app {check_app_name(name)!r}"
        first: dict[str, Any] = {"off": 0, "len": total, "sha": hashlib.sha256(data).digest(),
                                 "name": name, "start": start, "deploy": deploy_id,
                                 "app_version": version, "grants": grants,
                                 "bundle": True if bundle else None}
        room = self._room(rq.UploadWrite(**first, data=b""))
        rsp = self._ok(what, rq.UploadWrite(**first, data=data[:room], sequence=self.sequence()))
        # a device that does not say `unchanged`: done before the last chunk was sent
        already = (rsp.unchanged or (rsp.done and total > room)) and not rsp.trial
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
        return UploadResult(resumed_from=resumed_from, total=total, already_installed=already,
                            trial=rsp.trial)

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
        self._ok(f"start app {name!r}", rq.StartWrite(name=check_app_name(name), sequence=self.sequence()))

    def stop(self, name: str) -> None:
        self._ok(f"stop app {name!r}", rq.StopWrite(name=check_app_name(name), sequence=self.sequence()))

    def remove(self, name: str) -> None:
        self._ok(f"remove app {name!r}", rq.RemoveWrite(name=check_app_name(name), sequence=self.sequence()))

    def confirm(self, name: str) -> None:
        """Confirms the version of ``name`` on trial."""
        self._ok(f"confirm app {name!r}", rq.ConfirmWrite(name=check_app_name(name), sequence=self.sequence()),
                 NO_TRIAL)

    def rollback(self, name: str) -> None:
        """Reverts the version of ``name`` on trial; the previous one runs again."""
        self._ok(f"roll back app {name!r}",
                 rq.RollbackWrite(name=check_app_name(name), sequence=self.sequence()), NO_TRIAL)

    @overload
    def status(self, name: None = None, sha: None = None) -> DeviceStatus: ...
    @overload
    def status(self, name: str, sha: bytes | None = None) -> AppStatus: ...

    def status(self, name: str | None = None,
               sha: bytes | None = None) -> DeviceStatus | AppStatus:
        """The device's status, or app ``name``'s: its current slot, or with ``sha``
        the slot holding that module (or bundle)."""
        if name is None:
            rsp = self._ok("report its status", rq.DeviceStatusRead(sequence=self.sequence()))
            return DeviceStatus.from_response(rsp)
        app = self._ok(f"report the status of app {name!r}",
                       rq.AppStatusRead(name=check_app_name(name), sha=sha, sequence=self.sequence()))
        return AppStatus.from_response(app)

    def device_status(self) -> DeviceStatus | None:
        """The device's status; None from a device that refuses the command (e.g.
        ENOTSUP) or answers something this host cannot read."""
        try:
            rsp = self.request(rq.DeviceStatusRead(sequence=self.sequence()))
        except ResponseError:
            return None
        return DeviceStatus.from_response(rsp) if success(rsp) else None

    def logs(self, since: int = 0) -> LogPage:
        """The device's kept console lines from sequence number ``since`` on (as many
        as fit one answer)."""
        rsp = self._ok("read its log", rq.LogsRead(since=since, sequence=self.sequence()))
        return LogPage.from_response(rsp)

    def framings(self) -> tuple[str, ...]:
        """The serial framings the device accepts, from its status; ``("console",)``
        for a device that refuses the status command (e.g. ENOTSUP) or does not say."""
        status = self.device_status()
        return status.framings if status is not None else ("console",)
