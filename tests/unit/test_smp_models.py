"""The wasm-app group's message models (wamr_agent.smp.app_management, app_requests):
byte-exact requests (header + canonical CBOR), every response and error form
decoded, and how AppClient maps error answers to the package's exceptions."""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import cbor2
import pytest
from pydantic import ValidationError
from smp import error as smperror

from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import FitError, LinkError, TransportError, UsageError, WamrAgentError
from wamr_agent.smp import app_management as am
from wamr_agent.smp import app_requests as rq
from wamr_agent.smp.app_results import AppStatus, DeviceStatus
from wamr_agent.smp.apps import AppClient, ManagementError, ResponseError

MODULE = bytes(range(10))
SHA = hashlib.sha256(MODULE).digest()
SENSOR = "a1 646e616d65 6673656e736f72"  # {"name": "sensor"}

REQUESTS = [
    pytest.param(rq.UploadWrite(off=0, data=MODULE[:4], len=10, sha=SHA, name="app",
                                deploy="d-1", grants=7, start=True, app_version="1.2.0",
                                sequence=1),
                 "0a00006c00400100"
                 "a9 636c656e0a 636f666600 63736861 5820" + SHA.hex()
                 + "6464617461 4400010203 646e616d65 63617070 657374617274f5"
                 "666465706c6f79 63642d31 666772616e747307 6776657273696f6e 65312e322e30",
                 id="upload-first-chunk-all-fields"),
    pytest.param(rq.UploadWrite(off=0, data=b"", len=10, sha=bytes(32), name="app", sequence=1),
                 "0a00004000400100 a5 636c656e0a 636f666600 63736861 5820" + "00" * 32
                 + "6464617461 40 646e616d65 63617070", id="upload-first-chunk"),
    pytest.param(rq.UploadWrite(off=4, data=MODULE[4:], sequence=2),
                 "0a00001200400200 a2 636f666604 6464617461 46040506070809",
                 id="upload-next-chunk"),
    pytest.param(rq.ListRead(sequence=3), "0800000100400301 a0", id="list"),
    pytest.param(rq.StartWrite(name="sensor", sequence=4), "0a00000d00400402" + SENSOR,
                 id="start"),
    pytest.param(rq.StopWrite(name="sensor", sequence=5), "0a00000d00400503" + SENSOR,
                 id="stop"),
    pytest.param(rq.RemoveWrite(name="sensor", sequence=6), "0a00000d00400604" + SENSOR,
                 id="remove"),
    pytest.param(rq.DeviceStatusRead(sequence=7), "0800000100400705 a0", id="device-status"),
    pytest.param(rq.AppStatusRead(name="sensor", sequence=8), "0800000d00400805" + SENSOR,
                 id="app-status"),
    pytest.param(rq.LogsRead(since=300, sequence=9), "0800000a00400906 a1 6573696e6365 19012c",
                 id="logs-since"),
    pytest.param(rq.LogsRead(sequence=10), "0800000100400a06 a0", id="logs"),
    pytest.param(rq.AppStatusRead(name="sensor", sha=SHA, sequence=11),
                 "0800003300400b05 a2 63736861 5820" + SHA.hex() + "646e616d65 6673656e736f72",
                 id="app-status-of-a-slot"),
    pytest.param(rq.ConfirmWrite(name="sensor", sequence=12), "0a00000d00400c07" + SENSOR,
                 id="confirm"),
    pytest.param(rq.RollbackWrite(name="sensor", sequence=13), "0a00000d00400d08" + SENSOR,
                 id="rollback"),
]


@pytest.mark.parametrize(("request_", "wire"), REQUESTS)
def test_request_bytes(request_: Any, wire: str) -> None:
    assert request_.BYTES.hex() == wire.replace(" ", "")
    assert type(request_).loads(request_.BYTES) == request_  # and back


def test_upload_chunks_carry_the_right_fields() -> None:
    with pytest.raises(ValidationError, match=r"first chunk \(off 0\) needs len, sha, name"):
        rq.UploadWrite(off=0, data=b"")
    with pytest.raises(ValidationError, match=r"only the first chunk \(off 0\) carries name"):
        rq.UploadWrite(off=5, data=b"", name="x")
    with pytest.raises(ValidationError):
        rq.UploadWrite(off=-1, data=b"")
    with pytest.raises(ValidationError):  # requests refuse unknown fields
        rq.ListRead(nmae="x")  # type: ignore[call-arg]


def frame(op: int, cmd: int, body: Any, seq: int = 0) -> bytes:
    payload = cbor2.dumps(body)
    return struct.pack(">BBHHBB", 0x08 | op, 0, len(payload), 64, seq, cmd) + payload


READ_RSP, WRITE_RSP = 1, 3
APP_STATUS = {"name": "sensor", "slot": 1, "state": "running", "size": 3347, "sha": SHA,
              "deploy": "d-1", "version": "1.2.0", "traps": 2,
              "last_err": {"rc": 32, "msg": "unreachable"}, "mem_hw": 5000,
              "mem_budget": 65536, "uptime_ms": 1500}
DEVICE_STATUS = {"board": "esp32", "fw": "0.1.0", "uptime_ms": 12000, "boot": 3,
                 "reset": "software", "heap_free": 200000, "slots": 3, "apps": 1,
                 "buf_size": 4096, "framings": ["console", "raw"]}


def test_responses_decode() -> None:
    up = am.UploadWriteResponse.loads(frame(WRITE_RSP, 0, {"off": 900}))
    assert (up.off, up.done) == (900, False)
    assert am.UploadWriteResponse.loads(frame(WRITE_RSP, 0, {"off": 10, "done": True})).done
    listed = am.ListReadResponse.loads(frame(READ_RSP, 1, {"apps": [
        {"name": "a", "slot": 0, "state": "running", "size": 10, "sha": SHA},
        {"name": "b", "slot": 1, "state": "refused", "size": 0}]}))
    assert [(a.name, a.state, a.sha) for a in listed.apps] == [("a", "running", SHA),
                                                               ("b", "refused", None)]
    for cmd, model in ((2, am.StartWriteResponse), (3, am.StopWriteResponse),
                       (4, am.RemoveWriteResponse)):
        assert model.loads(frame(WRITE_RSP, cmd, {})).header.command_id == cmd
    device = am.DeviceStatusReadResponse.loads(frame(READ_RSP, 5, DEVICE_STATUS))
    assert (device.board, device.boot, device.framings) == ("esp32", 3, ("console", "raw"))
    app = am.AppStatusReadResponse.loads(frame(READ_RSP, 5, APP_STATUS))
    assert (app.app_version, app.traps, app.mem_hw) == ("1.2.0", 2, 5000)
    assert app.last_err is not None and (app.last_err.rc, app.last_err.msg) == (32, "unreachable")
    logs = am.LogsReadResponse.loads(frame(READ_RSP, 6, {
        "boot": 1, "next": 12, "dropped": 3, "lines": [{"t": 5, "msg": "hello"}]}))
    assert (logs.boot, logs.next, logs.dropped, logs.lines[0].msg) == (1, 12, 3, "hello")


TRIAL = {"loops": 4, "need_loops": 10, "traps": 0, "max_traps": 1, "elapsed_ms": 800,
         "window_ms": 2000, "manual": True}
REASON = {"code": "traps", "rc": 34, "msg": "loop trapped 1 time: integer divide by zero"}


def test_lifecycle_fields_decode() -> None:
    up = am.UploadWriteResponse.loads(frame(WRITE_RSP, 0, {"off": 10, "done": True,
                                                           "unchanged": True, "trial": True}))
    assert (up.done, up.unchanged, up.trial) == (True, True, True)
    listed = am.ListReadResponse.loads(frame(READ_RSP, 1, {"apps": [
        {"name": "s", "slot": 0, "state": "running", "size": 9, "life": "trial",
         "version": "1.2", "mem": 93403},
        {"name": "s", "slot": 1, "state": "stopped", "size": 9, "life": "reverted",
         "reason": REASON, "mem": 0}]}))
    assert [(a.life, a.version, a.mem) for a in listed.apps] == [("trial", "1.2", 93403),
                                                                 ("reverted", None, 0)]
    assert listed.apps[1].reason == am.Reason(**REASON)
    app = am.AppStatusReadResponse.loads(frame(READ_RSP, 5, {
        **APP_STATUS, "life": "trial", "trial": TRIAL, "seq": 7, "signed": True,
        "update": {"sha": SHA, "life": "reverted", "version": "1.3", "reason": REASON}}))
    assert (app.life, app.seq, app.signed, app.trial) == ("trial", 7, True, am.Trial(**TRIAL))
    assert app.update is not None and (app.update.version, app.update.life) == ("1.3", "reverted")
    device = am.DeviceStatusReadResponse.loads(frame(READ_RSP, 5, {**DEVICE_STATUS,
                                                                   "free_slots": 1}))
    assert device.free_slots == 1
    why = "3 boots in a row reset before serving SMP (last reset: fault)"
    safe = am.DeviceStatusReadResponse.loads(frame(READ_RSP, 5, {**DEVICE_STATUS,
                                                                 "safe_mode": why}))
    assert (safe.safe_mode, DeviceStatus.from_response(safe).safe_mode) == (why, why)


def test_lifecycle_fields_are_optional() -> None:
    app = am.AppStatusReadResponse.loads(frame(READ_RSP, 5, APP_STATUS))
    assert (app.life, app.reason, app.trial, app.seq, app.signed, app.update) == (None,) * 6
    entry = am.ListReadResponse.loads(frame(READ_RSP, 1, {"apps": [
        {"name": "a", "slot": 0, "state": "running", "size": 10}]})).apps[0]
    assert (entry.life, entry.version, entry.reason, entry.mem) == (None,) * 4
    device = am.DeviceStatusReadResponse.loads(frame(READ_RSP, 5, DEVICE_STATUS))
    assert (device.free_slots, device.safe_mode) == (None, None)
    assert not am.UploadWriteResponse.loads(frame(WRITE_RSP, 0, {"off": 1, "done": True})).trial
    # a reason or trial map with keys missing or added still decodes
    odd = am.AppStatusReadResponse.loads(frame(READ_RSP, 5, {
        **APP_STATUS, "life": "failed", "reason": {"code": "load", "extra": 1},
        "trial": {"loops": 1}}))
    assert odd.reason == am.Reason(code="load", rc=0, msg="")
    assert odd.trial is not None and odd.trial.need_loops == 0


def test_aot_says_which_engine_runs_the_app() -> None:
    """``aot: true`` when the app runs its AOT code (docs/aot.md); absent: interpreted,
    also from a device that predates it."""
    aot = am.AppStatusReadResponse.loads(frame(READ_RSP, 5, {**APP_STATUS, "aot": True}))
    plain = am.AppStatusReadResponse.loads(frame(READ_RSP, 5, APP_STATUS))
    assert (AppStatus.from_response(aot).aot, AppStatus.from_response(plain).aot) == (True, False)
    assert AppStatus.from_response(aot).as_dict()["aot"] is True


def test_app_version_round_trips_under_its_wire_key() -> None:
    app = am.AppStatusReadResponse(**{**APP_STATUS, "version": "2.0"}, sequence=0)
    assert app.app_version == "2.0" and cbor2.loads(app.BYTES[8:])["version"] == "2.0"
    assert app.version is not None and int(app.version) == 1  # smp's SMP protocol version


def test_responses_ignore_unknown_keys_but_never_an_error() -> None:
    newer = am.DeviceStatusReadResponse.loads(frame(READ_RSP, 5, {
        **{k: v for k, v in DEVICE_STATUS.items() if k != "framings"}, "temp_c": 41}))
    assert newer.framings == ("console",)  # a device that does not say speaks console
    assert am.StartWriteResponse.loads(frame(WRITE_RSP, 2, {"rc": 0})).header is not None
    for body in ({"rc": 8}, {"err": {"group": 64, "rc": 4}}):
        with pytest.raises(ValidationError, match="an error answer"):
            am.StartWriteResponse.loads(frame(WRITE_RSP, 2, body))


def test_error_forms_decode() -> None:
    v1 = am.AppManagementErrorV1.loads(frame(READ_RSP, 5, {"rc": 8}))
    assert v1.rc is smperror.MGMT_ERR.ENOTSUP
    v2 = am.AppManagementErrorV2.loads(frame(WRITE_RSP, 2, {"err": {"group": 64, "rc": 4}}))
    assert (v2.err.group, v2.err.rc) == (64, AgentErr.NOT_FOUND)


def test_requests_name_their_answers_as_smpclient_does() -> None:
    pairs = {rq.UploadWrite: am.UploadWriteResponse, rq.ListRead: am.ListReadResponse,
             rq.StartWrite: am.StartWriteResponse, rq.StopWrite: am.StopWriteResponse,
             rq.RemoveWrite: am.RemoveWriteResponse,
             rq.DeviceStatusRead: am.DeviceStatusReadResponse,
             rq.AppStatusRead: am.AppStatusReadResponse, rq.LogsRead: am.LogsReadResponse,
             rq.ConfirmWrite: am.ConfirmWriteResponse,
             rq.RollbackWrite: am.RollbackWriteResponse}
    samples = {rq.UploadWrite: {"off": 1, "data": b""}, rq.StartWrite: {"name": "a"},
               rq.StopWrite: {"name": "a"}, rq.RemoveWrite: {"name": "a"},
               rq.AppStatusRead: {"name": "a"}, rq.ConfirmWrite: {"name": "a"},
               rq.RollbackWrite: {"name": "a"}}
    for request, response in pairs.items():
        built: Any = request(**samples.get(request, {}))
        assert built._Response is response
        assert (built._ErrorV1, built._ErrorV2) == (am.AppManagementErrorV1,
                                                     am.AppManagementErrorV2)
        assert response._COMMAND_ID == request._COMMAND_ID


class CannedLink:
    """Answers every request with the next canned body (op + 1, same seq and cmd)."""

    def __init__(self, *bodies: Any, seq_offset: int = 0) -> None:
        self.bodies = list(bodies)
        self.seq_offset = seq_offset

    def request(self, message: bytes) -> bytes:
        op, _, _, _, seq, cmd = struct.unpack_from(">BBHHBB", message)
        body = self.bodies.pop(0)
        if isinstance(body, bytes):
            return body
        return frame((op & 7) + 1, cmd, body, (seq + self.seq_offset) & 0xFF)


@pytest.mark.parametrize(("rc", "cls", "exit_code"), [
    (AgentErr.NOT_FOUND, UsageError, 2), (AgentErr.MEMORY_BUDGET, FitError, 5),
    (AgentErr.UNKNOWN_IMPORT, LinkError, 6), (AgentErr.BAD_STATE, WamrAgentError, 1)])
def test_group_errors_become_the_package_exceptions(rc: AgentErr, cls: type[WamrAgentError],
                                                     exit_code: int) -> None:
    client = AppClient(CannedLink({"err": {"group": 64, "rc": int(rc)}}))
    with pytest.raises(cls) as caught:
        client.stop("sensor")
    assert caught.value.code is rc and caught.value.exit_code == exit_code
    assert str(caught.value).startswith("device refused to stop app 'sensor': ")
    assert f"(WA_ERR_{rc.name}, {int(rc)})" in str(caught.value)


def test_management_errors_and_undecodable_answers() -> None:
    with pytest.raises(ManagementError, match=r"SMP rc 8 \(command not supported") as caught:
        AppClient(CannedLink({"rc": 8})).status()
    assert caught.value.rc == 8 and caught.value.exit_code == 12
    with pytest.raises(ManagementError, match="rc 300"):  # a code smp's enum lacks
        AppClient(CannedLink({"rc": 300})).list()
    with pytest.raises(WamrAgentError, match=r"WA_ERR_UNKNOWN, 99"):  # a newer device's code
        AppClient(CannedLink({"err": {"group": 64, "rc": 99}})).start("a")
    with pytest.raises(ResponseError, match="undecodable"):
        AppClient(CannedLink({"apps": "many"})).list()
    with pytest.raises(ResponseError, match="unexpected SMP response"):
        AppClient(CannedLink({}, seq_offset=1)).start("a")
    with pytest.raises(TransportError, match="short SMP response"):
        AppClient(CannedLink(b"\x01\x02")).start("a")
