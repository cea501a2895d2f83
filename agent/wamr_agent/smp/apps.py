"""SMP's wasm-app group (64) from the host: upload (offset-driven chunks, which
also resume an interrupted upload), list, start, stop, remove, confirm, rollback,
send, status, logs, config set and config get.

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
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, overload

import cbor2
from smp import error as smperror
from smp import header as smpheader
from smpclient.generics import SMPRequest, TEr1, TEr2, TRep, error_v2, success

from ..agent_err import AgentErr
from ..app_config import NOT_GRANTED, ConfigState
from ..errors import UsageError, WamrAgentError
from ..messages import WHY, check_message, delivery_error
from . import app_requests as rq
from .app_errors import (
    ManagementError,
    ResponseError,
    Why,
    coded_refusal,
    device_error,
    management_error,
    refusal,
)
from .app_names import check_app_name
from .app_results import AppInfo, AppStatus, DeviceStatus, LogPage, UploadResult
from .retry import RetryPolicy

__all__ = ["AppClient", "AppInfo", "AppStatus", "DeviceStatus", "Link", "LogPage",
           "ManagementError", "Progress", "ResponseError", "UploadResult", "device_error"]

DEFAULT_BUF_SIZE = 1024  # when the device does not answer mcumgr params
BSTR_GROWTH = 2  # a bstr's length header grows by at most 2 bytes up to 64 KiB
NO_TRIAL: Why = {AgentErr.BAD_STATE: "it has no version on trial"}

Progress = Callable[[int, int], None]
T = TypeVar("T")


MIN_CHUNK = 64  # data bytes: the least an upload chunk shrinks to on a bad link
GROW = 1.25  # an upload chunk grows this much after each answer (halved after a loss)


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
    """The CBOR body; a text string that is not UTF-8 (a name or log line cut
    mid-character, or raw bytes an app logged) decodes with replacement characters
    (U+FFFD). None when the body is not CBOR."""
    try:
        return cbor2.loads(frame[smpheader.Header.SIZE:], str_errors="replace")
    except (cbor2.CBORError, ValueError):
        return None


def decode_response(request: SMPRequest[TRep, TEr1, TEr2], frame: bytes) -> TRep | TEr1 | TEr2:
    """The request's response, ErrorV1 or ErrorV2 (tried in that order, as smpclient
    does); ResponseError when ``frame`` is none of them. Device text is decoded
    leniently (``_body``), so the models are built as smp's ``Message.loads`` does
    but from that body."""
    header = smpheader.Header.loads(frame[:smpheader.Header.SIZE])
    body = _body(frame)
    if not isinstance(body, dict):
        raise ResponseError(f"undecodable SMP response {body!r} (not a CBOR map)", body)
    problems: list[str] = []
    for model in (request._Response, request._ErrorV1, request._ErrorV2):
        try:
            return model(header=header, **body, smp_data=frame)
        except (ValueError, TypeError) as exc:  # pydantic's ValidationError, a non-str key
            problems.append(f"{model.__name__}: {str(exc).splitlines()[0]}")
    raise ResponseError(f"undecodable SMP response {body!r} ({'; '.join(problems)})", body)


class AppClient:
    """The wasm-app group over one link."""

    def __init__(self, link: Link, retry: RetryPolicy | None = None) -> None:
        """``retry``: how requests are sent again over a link with ``exchange``
        (an SmpLink); a link with ``request`` only gets one attempt."""
        self.link = link
        self.retry = retry if retry is not None else RetryPolicy()
        self._seq = 0
        self._buf_size: int | None = None

    # -- messages -----------------------------------------------------------------

    def sequence(self) -> int:
        """The sequence number for the next request (incrementing, 8 bits)."""
        seq, self._seq = self._seq, (self._seq + 1) & 0xFF
        return seq

    def request(self, request: SMPRequest[TRep, TEr1, TEr2], budget: float | None = None,
                again: Callable[[], SMPRequest[TRep, TEr1, TEr2]] | None = None,
                once: bool = False) -> TRep | TEr1 | TEr2:
        """Sends one request (again, per ``self.retry``, while no answer comes, for at
        most ``budget`` seconds, default the link's timeout; ``again`` makes each further
        attempt, default the same with a new sequence number; ``once``: a request that
        must not run twice, one attempt); the device's answer as a value (success or
        error). Raises ResponseError for an answer to another request or an undecodable
        one, SmpLinkError when none comes; UsageError (nothing sent) for a request larger
        than the device's SMP buffer."""
        size = len(request.BYTES)
        if size > (self._buf_size or DEFAULT_BUF_SIZE) and size > self.buf_size():
            raise UsageError(f"a request of {size} bytes does not fit the device's SMP buffer "
                             f"({self.buf_size()} bytes); not sent", AgentErr.TOO_LARGE)
        exchange = getattr(self.link, "exchange", None)
        if exchange is None:
            frame = self.link.request(request.BYTES)
            _check_header(frame, request.header)
            return decode_response(request, frame)
        sent = [request]

        def make(attempt: int) -> bytes:
            if attempt == 0:
                return request.BYTES
            if again is not None:
                sent[0] = again()
                return sent[0].BYTES
            out = bytearray(request.BYTES)
            out[6] = self.sequence()
            return bytes(out)

        budget = budget if budget is not None else float(getattr(self.link, "timeout", 5.0))
        frame = self.retry.send(exchange, make, budget, once)
        frame = frame[:6] + bytes([sent[0].header.sequence]) + frame[7:]  # matched already
        _check_header(frame, sent[0].header)
        return decode_response(sent[0], frame)

    def _ok(self, what: str, request: SMPRequest[TRep, TEr1, TEr2],
            why: Why | None = None, budget: float | None = None,
            again: Callable[[], SMPRequest[TRep, TEr1, TEr2]] | None = None,
            once: bool = False) -> TRep:
        """The success response; an error answer raises (``device refused to <what>``;
        ``why``: what a code means for this command, where it differs)."""
        try:
            rsp = self.request(request, budget, again, once)
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
               bundle: bool = False, kv_quota: int | None = None) -> UploadResult:
        """Installs ``data`` (a module, or a signed bundle with ``bundle``) as app
        ``name``; continues an interrupted upload of the same bytes from the offset
        the device reached."""
        total, what = len(data), f"upload app {check_app_name(name)!r}"
        first: dict[str, Any] = {"off": 0, "len": total, "sha": hashlib.sha256(data).digest(),
                                 "name": name, "start": start, "deploy": deploy_id,
                                 "app_version": version, "grants": grants,
                                 "bundle": True if bundle else None, "kv_quota": kv_quota}
        chunks = _ChunkSize(self._room(rq.UploadWrite(off=total, data=b"")))
        room = min(self._room(rq.UploadWrite(**first, data=b"")), chunks.size)
        rsp = self._first_chunk(what, first, data[:room], chunks)
        sent = min(room, chunks.size)  # shorter than room after a retry
        # a device that does not say `unchanged`: done before the last chunk was sent
        already = (rsp.unchanged or (rsp.done and total > sent)) and not rsp.trial
        resumed_from = 0 if rsp.done or rsp.off == sent else rsp.off
        while not rsp.done:
            off = self._offset(rsp.off, name, total)
            if progress is not None:
                progress(off, total)
            if off == 0:  # the device has no upload in progress (e.g. an answer was lost
                # after the last chunk installed it): the first chunk again says what it is
                rsp = self._first_chunk(what, first, data[:min(room, chunks.size)], chunks)
                continue
            def chunk(off: int = off) -> rq.UploadWrite:
                return rq.UploadWrite(off=off, data=data[off:off + chunks.size],
                                      sequence=self.sequence())

            rsp = self._ok(what, chunk(), again=lambda: chunks.failed(chunk))
            chunks.answered()
        if progress is not None:
            progress(total, total)
        return UploadResult(resumed_from=resumed_from, total=total, already_installed=already,
                            trial=rsp.trial)

    def _first_chunk(self, what: str, first: dict[str, Any], data: bytes,
                     chunks: _ChunkSize) -> Any:
        """The first chunk's answer: it carries what the upload is, and the device
        erases flash for it (a budget of its own)."""
        def chunk() -> rq.UploadWrite:
            return rq.UploadWrite(**first, data=data[:chunks.size], sequence=self.sequence())

        rsp = self._ok(what, chunk(), again=lambda: chunks.failed(chunk),
                       budget=max(self.retry.first_chunk,
                                  float(getattr(self.link, "timeout", 0.0))))
        chunks.answered()
        return rsp

    @staticmethod
    def _offset(off: int, name: str, total: int) -> int:
        if off >= total:
            raise ResponseError(f"upload of app {name!r}: the device answered offset {off} "
                                f"of {total} without finishing the upload")
        return off

    def list(self) -> list[AppInfo]:
        """Every occupied slot, in as many requests as the device needs: an answer
        holds what fits its buffer and names the slot to ask from next."""
        entries: list[Any] = []
        off: int | None = None
        while True:
            rsp = self._ok("list apps", rq.ListRead(off=off, sequence=self.sequence()))
            entries += rsp.apps
            if rsp.next is None:
                return [AppInfo.from_entry(entry) for entry in entries]
            if rsp.next <= (off or 0):
                raise ResponseError(f"list apps: the device answered next slot {rsp.next} "
                                    f"when asked from slot {off or 0}")
            off = rsp.next

    def _by_name(self, what: str, request: Callable[..., SMPRequest[Any, Any, Any]],
                 name: str, why: Why | None = None) -> None:
        """Runs a command on app ``name`` (refused here unless it is an app name), in
        one attempt: a repeat would act again."""
        check_app_name(name)
        self._ok(f"{what} app {name!r}", request(name=name, sequence=self.sequence()), why,
                 once=True)

    def start(self, name: str) -> None:
        self._by_name("start", rq.StartWrite, name)

    def stop(self, name: str) -> None:
        self._by_name("stop", rq.StopWrite, name)

    def remove(self, name: str) -> None:
        self._by_name("remove", rq.RemoveWrite, name)

    def confirm(self, name: str) -> None:
        """Confirms the version of ``name`` on trial."""
        self._by_name("confirm", rq.ConfirmWrite, name, NO_TRIAL)

    def rollback(self, name: str) -> None:
        """Reverts the version of ``name`` on trial; the previous one runs again."""
        self._by_name("roll back", rq.RollbackWrite, name, NO_TRIAL)

    def send(self, name: str, data: bytes) -> None:
        """Delivers message ``data`` to app ``name``: returns once the device has queued
        it in the app's inbox (in one attempt: a repeat would deliver it twice). A
        refusal raises NotRunning, CallError (no on_message) or InboxFull
        (:mod:`wamr_agent.messages`)."""
        check_app_name(name)
        request = rq.SendWrite(name=name, data=check_message(data), sequence=self.sequence())
        try:
            self._ok(f"deliver a message to app {name!r}", request, WHY, once=True)
        except WamrAgentError as exc:
            raise delivery_error(exc) from None

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
        check_app_name(name)
        app = self._ok(f"report the status of app {name!r}",
                       rq.AppStatusRead(name=name, sha=sha, sequence=self.sequence()))
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

    def config_get(self, name: str) -> ConfigState:
        """App ``name``'s configuration: desired values and version, and what the
        app applied (docs/config.md)."""
        check_app_name(name)
        rsp = self._ok(f"read the configuration of app {name!r}",
                       rq.ConfigGetRead(name=name, sequence=self.sequence()), NOT_GRANTED)
        return ConfigState.from_response(name, rsp)

    def config_set(self, name: str, desired: int, values: dict[str, str],
                   unset: Sequence[str]) -> ConfigState:
        """Stores ``values`` and removes ``unset`` as version ``desired`` of app
        ``name``'s configuration (a version the device has already: nothing is stored,
        so a retry is harmless); the state once the device delivered it."""
        check_app_name(name)
        patch: dict[str, str | None] = {**values, **dict.fromkeys(unset)}
        request = rq.ConfigSetWrite(name=name, desired=desired, set=patch,
                                    sequence=self.sequence())
        rsp = self._ok(f"set the configuration of app {name!r}", request, NOT_GRANTED)
        return ConfigState.from_response(name, rsp)

    def framings(self) -> tuple[str, ...]:
        """The serial framings the device accepts, from its status; ``("console",)``
        for a device that refuses the status command (e.g. ENOTSUP) or does not say."""
        status = self.device_status()
        return status.framings if status is not None else ("console",)


class _ChunkSize:
    """An upload's chunk size, between MIN_CHUNK and ``most``: halved after a chunk
    that got no answer (a long frame is more likely hit by a bit error), grown by
    GROW after each answer. It settles where about one chunk in four is lost
    (ln 2 / ln 1.25), near the best size for a line with bit errors."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.size = most

    def failed(self, remake: Callable[[], T]) -> T:
        """A chunk got no answer: the next attempt, half as long."""
        self.size = max(MIN_CHUNK, self.size // 2)
        return remake()

    def answered(self) -> None:
        self.size = min(self.most, int(self.size * GROW) + 1)
