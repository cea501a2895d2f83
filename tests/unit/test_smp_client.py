"""AppClient against a fake device that follows docs/protocol.md (upload offsets,
resume, idempotent re-upload, status, logs), the framing choice of `deploy`, and
the log reader's paging, reboot and dropped-line handling. No subprocess."""

from __future__ import annotations

import hashlib
import itertools
import re
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import cbor2
import pytest

from wamr_agent.deploy import choose_framing
from wamr_agent.errors import CallError, InboxFull, NotRunning, UsageError
from wamr_agent.messages import MESSAGE_MAX
from wamr_agent.smp import app_management as am
from wamr_agent.smp.app_results import LogEntry, LogPage
from wamr_agent.smp.apps import AppClient, ResponseError
from wamr_agent.smp.framing import Framing
from wamr_agent.smp.logreader import LogNotice, read_logs, stoppable_sleep

HEADER = struct.Struct(">BBHHBB")
ENOTSUP = {"rc": 8}


@dataclass
class FakeDevice:
    """The wasm-app group as the firmware answers it, in memory."""

    buf_size: int | None = 1024
    says_unchanged: bool = True  # older firmware answered an installed module `done` only
    status: Any = field(default_factory=lambda: ENOTSUP)
    installed: dict[str, tuple[bytes, str | None, bytes]] = field(default_factory=dict)
    upload: dict[str, Any] | None = None
    messages: list[bytes] = field(default_factory=list)

    def request(self, message: bytes) -> bytes:
        self.messages.append(message)
        op, _, _, group, seq, cmd = HEADER.unpack_from(message)
        if self.buf_size is not None:
            assert len(message) <= self.buf_size
        body = self.answer(group, cmd, cbor2.loads(message[HEADER.size:]))
        payload = cbor2.dumps(body)
        return HEADER.pack((op & 7) + 1 | 0x08, 0, len(payload), group, seq, cmd) + payload

    def answer(self, group: int, cmd: int, req: dict[str, Any]) -> Any:
        if (group, cmd) == (0, 6):
            return ENOTSUP if self.buf_size is None else {"buf_size": self.buf_size,
                                                          "buf_count": 1}
        if (group, cmd) == (64, 5):
            return self.status
        assert (group, cmd) == (64, 0), (group, cmd)
        return self.chunk(req)

    def chunk(self, req: dict[str, Any]) -> dict[str, Any]:
        if req["off"] == 0 and "name" in req:
            key = (req["sha"], req.get("deploy"))
            done = self.installed.get(req["name"])
            if done is not None and done[:2] == key:
                return {"off": req["len"], "done": True, **(
                    {"unchanged": True} if self.says_unchanged else {})}
            up = self.upload
            if up is None or (up["name"], up["sha"], up["len"]) != (req["name"], req["sha"],
                                                                    req["len"]):
                self.upload = {**req, "got": b""}
        up = self.upload
        if up is None:
            return {"off": 0}
        if req["off"] == len(up["got"]):
            up["got"] += req["data"]
        if len(up["got"]) < up["len"]:
            return {"off": len(up["got"])}
        assert hashlib.sha256(up["got"]).digest() == up["sha"]
        self.installed[up["name"]] = (up["sha"], up.get("deploy"), up["got"])
        self.upload = None
        return {"off": up["len"], "done": True}


MODULE = bytes(range(256)) * 12  # 3072 bytes: four chunks of a 1 KiB buffer


@pytest.mark.parametrize("says_unchanged", [True, False])
def test_upload_in_chunks_that_fit_the_device_buffer(says_unchanged: bool) -> None:
    device = FakeDevice(says_unchanged=says_unchanged)
    seen: list[tuple[int, int]] = []
    result = AppClient(device).upload("app", MODULE, deploy_id="d-1",
                                      progress=lambda sent, total: seen.append((sent, total)))
    assert (result.resumed_from, result.total, result.already_installed) == (0, 3072, False)
    assert device.installed["app"][2] == MODULE
    assert len(device.messages) == 1 + 4  # mcumgr params, then the chunks
    assert max(map(len, device.messages)) > 1000  # the chunks fill the buffer
    assert seen[-1] == (3072, 3072) and [s for s, _ in seen] == sorted(s for s, _ in seen)
    assert [m[6] for m in device.messages] == list(range(5))  # sequence numbers

    again = AppClient(device).upload("app", MODULE, deploy_id="d-1")
    assert again.already_installed and again.resumed_from == 0


def test_a_module_that_fits_one_message_is_installed_in_one() -> None:
    device = FakeDevice(buf_size=4096)
    first = AppClient(device).upload("app", MODULE, deploy_id="d-1")
    assert not first.already_installed and device.installed["app"][2] == MODULE
    assert len(device.messages) == 2  # mcumgr params, one chunk
    assert AppClient(device).upload("app", MODULE, deploy_id="d-1").already_installed
    assert not AppClient(device).upload("app", MODULE, deploy_id="d-2").already_installed


def test_an_interrupted_upload_resumes_where_the_device_got_to() -> None:
    device = FakeDevice()
    calls: list[int] = []

    def cut(sent: int, total: int) -> None:
        calls.append(sent)
        if len(calls) == 2:
            raise ConnectionAbortedError("link cut")

    with pytest.raises(ConnectionAbortedError):
        AppClient(device).upload("app", MODULE, progress=cut)
    result = AppClient(device).upload("app", MODULE)
    assert result.resumed_from == calls[-1] and not result.already_installed
    assert device.installed["app"][2] == MODULE


def test_upload_without_mcumgr_params_uses_1_kib_chunks() -> None:
    device = FakeDevice(buf_size=None)
    AppClient(device).upload("app", MODULE)
    assert max(map(len, device.messages)) <= 1024 < len(MODULE)


def test_status_and_logs_are_typed() -> None:
    device = FakeDevice(status={"name": "s", "slot": 0, "state": "stopped", "size": 9,
                                "sha": bytes(range(32)), "traps": 1,
                                "last_err": {"rc": 32, "msg": "unreachable executed"},
                                "mem_hw": 10, "mem_budget": 20, "uptime_ms": 0})
    app = AppClient(device).status("s")
    assert app.sha == bytes(range(32)).hex() and app.version is None and app.deploy is None
    assert app.last_err is not None and app.last_err.code == "TRAP_UNREACHABLE"
    assert app.as_dict()["last_err"] == {"rc": 32, "code": "TRAP_UNREACHABLE",
                                         "msg": "unreachable executed"}
    rsp = am.LogsReadResponse(boot=2, next=12, dropped=0, sequence=0,
                               lines=[am.LogLine(t=1, msg="a"), am.LogLine(t=2, msg="b")])
    lines = LogPage.from_response(rsp).lines  # consecutive, ending before `next`
    assert [(e.seq, e.t_ms, e.msg, e.boot) for e in lines] == [(10, 1, "a", 2), (11, 2, "b", 2)]


def cbor_with_text(body: dict[str, Any], raw: dict[str, bytes]) -> bytes:
    """``body`` as CBOR, each placeholder text string ``raw``'s key replaced by a text
    string holding ``raw``'s bytes as they are (not necessarily UTF-8)."""
    data = cbor2.dumps(body)
    for placeholder, text in raw.items():
        assert len(text) < 24
        data = data.replace(cbor2.dumps(placeholder), bytes([0x60 + len(text)]) + text)
    return data


@dataclass
class CraftedDevice:
    """Answers every request with ``body`` (raw CBOR)."""

    body: bytes

    def request(self, message: bytes) -> bytes:
        op, _, _, group, seq, cmd = HEADER.unpack_from(message)
        return HEADER.pack((op & 7) + 1 | 0x08, 0, len(self.body), group, seq, cmd) + self.body


def test_device_text_that_is_not_utf8_decodes_with_replacement_characters() -> None:
    # a raw upload named b"\xff\xfe"; a log line cut in the middle of "é" (2 bytes)
    names = cbor_with_text({"apps": [{"name": "N", "slot": 0, "state": "stopped", "size": 1,
                                      "version": "V"}]}, {"N": b"\xff\xfe", "V": b"1.\xc3"})
    [listed] = AppClient(CraftedDevice(names)).list()
    assert (listed.name, listed.version) == ("\ufffd\ufffd", "1.\ufffd")
    cut = "é".encode() * 5
    lines = cbor_with_text({"boot": 1, "next": 1, "lines": [{"t": 5, "msg": "M"}]},
                           {"M": cut[:-1]})
    [line] = AppClient(CraftedDevice(lines)).logs().lines
    assert line.msg == "éééé\ufffd"
    status = cbor_with_text({"name": "N", "slot": 0, "state": "stopped", "size": 9, "traps": 1,
                             "last_err": {"rc": 32, "msg": "M"}, "mem_hw": 1, "mem_budget": 2,
                             "uptime_ms": 0}, {"N": b"a\x80", "M": b"\xe2\x82"})
    app = AppClient(CraftedDevice(status)).status("a")
    assert app.name == "a\ufffd" and app.last_err is not None
    assert app.last_err.msg == "\ufffd"  # one cut sequence, one replacement


def test_a_body_that_is_not_a_cbor_map_is_a_response_error() -> None:
    for body in (b"\xff", cbor2.dumps([1, 2]), cbor2.dumps({1: 2})):
        with pytest.raises(ResponseError, match="undecodable SMP response"):
            AppClient(CraftedDevice(body)).list()


DEVICE = {"board": "esp32", "fw": "0.1.0", "uptime_ms": 1, "boot": 1, "reset": "power-on",
          "heap_free": 1, "slots": 3, "apps": 0, "buf_size": 4096}


@pytest.mark.parametrize(("status", "choice", "chosen"), [
    ({**DEVICE, "framings": ["console", "raw"]}, "auto", Framing.RAW),
    ({**DEVICE, "framings": ["console"]}, "auto", Framing.CONSOLE),
    (DEVICE, "auto", Framing.CONSOLE),  # does not say
    (ENOTSUP, "auto", Framing.CONSOLE),  # no status command
    ({"board": 1}, "auto", Framing.CONSOLE),  # an answer we cannot read
    (ENOTSUP, "raw", Framing.RAW),
    ({**DEVICE, "framings": ["console", "raw"]}, "console", Framing.CONSOLE),
    (ENOTSUP, Framing.RAW, Framing.RAW),
])
def test_framing_choice(status: Any, choice: Any, chosen: Framing) -> None:
    device = FakeDevice(status=status)
    assert choose_framing(AppClient(device), choice) is chosen
    assert len(device.messages) == (choice == "auto")
    with pytest.raises(UsageError, match="unknown framing 'morse'"):
        choose_framing(AppClient(device), "morse")  # type: ignore[arg-type]


class Pages:
    """A log source answering from a script of pages keyed by `since`."""

    def __init__(self, *pages: tuple[int, LogPage]) -> None:
        self.pages = list(pages)
        self.asked: list[int] = []

    def logs(self, since: int = 0) -> LogPage:
        self.asked.append(since)
        expected, page = self.pages.pop(0)
        assert since == expected
        return page


def page(boot: int, first: int, count: int, dropped: int = 0) -> tuple[int, LogPage]:
    lines = tuple(LogEntry(boot, first + i, 100 * (first + i), f"line {first + i}")
                  for i in range(count))
    return first - dropped, LogPage(boot, first + count, dropped, lines)


def collect(events: Iterator[LogEntry | LogNotice]) -> list[str]:
    return [e.text if isinstance(e, LogNotice) else f"{e.boot}:{e.seq}" for e in events]


def test_logs_page_until_an_empty_answer() -> None:
    source = Pages(page(1, 0, 2), page(1, 2, 1), page(1, 3, 0))
    assert collect(read_logs(source)) == ["1:0", "1:1", "1:2"]
    assert source.asked == [0, 2, 3]


def test_follow_reports_dropped_lines_and_restarts_after_a_reboot() -> None:
    sleeps: list[float] = []
    source = Pages(page(1, 5, 1, dropped=5), page(1, 6, 0), page(1, 6, 0),
                   (6, LogPage(2, 3, 0, ())), page(2, 0, 2), page(2, 2, 0))

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    seen: list[LogEntry | LogNotice] = []
    with pytest.raises(KeyboardInterrupt):
        seen.extend(read_logs(source, follow=True, sleep=sleep))
    assert collect(iter(seen)) == [
        "5 lines dropped (overwritten on the device before they were read)", "1:5",
        "device rebooted (boot 2); its log from the start", "2:0", "2:1"]
    assert sleeps == [0.5, 0.5, 0.5]
    assert source.asked == [0, 6, 6, 6, 0, 2]


def test_an_oversized_request_is_refused_before_it_is_sent() -> None:
    device = FakeDevice()
    client = AppClient(device)
    for name in ("x" * 5000, "é" * 17, ""):  # 5000, 34 and 0 bytes
        with pytest.raises(UsageError, match=r"app name .* bytes; a device takes 1 to 32 "
                                             r"\(not sent\)") as info:
            client.start(name)
        assert info.value.code.name == "TOO_LARGE"
    with pytest.raises(UsageError, match="not sent"):
        client.upload("x" * 33, MODULE)
    assert device.messages == []
    small = AppClient(FakeDevice(buf_size=40))
    assert small.buf_size() == 40
    with pytest.raises(UsageError, match=r"a request of \d+ bytes does not fit the device's "
                                         r"SMP buffer \(40 bytes\); not sent"):
        small.status("a" * 32)


def test_the_hosts_text_limits_are_the_firmwares() -> None:
    from tests.conftest import ROOT
    from wamr_agent.smp import app_group

    header = (ROOT / "firmware" / "core" / "agent" / "wa_store.h").read_text()
    limits = {m[1]: int(m[2]) for m in re.finditer(r"#define WA_SLOT_(\w+)_MAX (\d+)u", header)}
    assert limits == {"NAME": app_group.NAME_MAX, "DEPLOY": app_group.DEPLOY_MAX,
                      "VERSION": app_group.VERSION_MAX}


@dataclass
class Inbox:
    """A device that answers app send (group 64, command 9) with ``rc``."""

    rc: int = 0
    got: list[dict[str, Any]] = field(default_factory=list)

    def request(self, message: bytes) -> bytes:
        op, _, _, group, seq, cmd = HEADER.unpack_from(message)
        if (group, cmd) == (0, 6):
            body: Any = {"buf_size": 4096, "buf_count": 1}
        else:
            assert (op & 7, group, cmd) == (2, 64, 9)
            self.got.append(cbor2.loads(message[HEADER.size:]))
            body = {"err": {"group": 64, "rc": self.rc}} if self.rc else {}
        payload = cbor2.dumps(body)
        return HEADER.pack((op & 7) + 1 | 0x08, 0, len(payload), group, seq, cmd) + payload


@pytest.mark.parametrize(("rc", "cls", "exit_code", "why"), [
    (4, UsageError, 2, "no such app"),
    (6, NotRunning, 22, "it is not running"),
    (22, CallError, 8, "it exports no on_message"),
    (2, InboxFull, 23, "its inbox is full"),
])
def test_each_refusal_of_a_message_has_its_class(rc: int, cls: type[Exception],
                                                 exit_code: int, why: str) -> None:
    device = Inbox(rc)
    with pytest.raises(cls, match=f"device refused to deliver a message to app 'a': {why}") as exc:
        AppClient(device).send("a", b"hi")
    assert getattr(exc.value, "exit_code", None) == exit_code
    assert device.got == [{"name": "a", "data": b"hi"}]


def test_a_message_is_sent_once_and_checked_before() -> None:
    device = Inbox()
    AppClient(device).send("a", bytes(MESSAGE_MAX))
    assert device.got == [{"name": "a", "data": bytes(MESSAGE_MAX)}]
    with pytest.raises(UsageError, match=r"at most 256 bytes, this one is 257 \(not sent\)"):
        AppClient(device).send("a", bytes(MESSAGE_MAX + 1))
    assert len(device.got) == 1


def test_the_message_limit_is_the_firmwares() -> None:
    from tests.conftest import ROOT

    header = (ROOT / "firmware" / "core" / "runtime" / "wa_runtime.h").read_text()
    found = re.search(r"#define WA_MSG_MAX (\d+)", header)
    assert found is not None and int(found[1]) == MESSAGE_MAX


def entry(slot: int) -> dict[str, Any]:
    return {"name": f"app{slot}", "slot": slot, "state": "stopped", "size": 10}


@dataclass
class PagedList(FakeDevice):
    """A device whose list answers come in pages: off -> answer."""

    pages: dict[int, dict[str, Any]] = field(default_factory=dict)
    asked: list[int | None] = field(default_factory=list)

    def answer(self, group: int, cmd: int, req: dict[str, Any]) -> Any:
        if (group, cmd) == (64, 1):
            self.asked.append(req.get("off"))
            return self.pages[req.get("off", 0)]
        return super().answer(group, cmd, req)


def test_the_list_is_asked_on_from_each_answers_next_slot() -> None:
    device = PagedList(pages={0: {"apps": [entry(0), entry(2)], "next": 3},
                              3: {"apps": [entry(5)], "next": 6},
                              6: {"apps": [entry(7)]}})
    assert [a.slot for a in AppClient(device).list()] == [0, 2, 5, 7]
    assert device.asked == [None, 3, 6]  # the first request as from older hosts: no off


def test_a_next_slot_that_does_not_move_on_is_an_error_not_a_loop() -> None:
    device = PagedList(pages={0: {"apps": [entry(0)], "next": 2},
                              2: {"apps": [entry(2)], "next": 2}})
    with pytest.raises(ResponseError, match="next slot 2 when asked from slot 2"):
        AppClient(device).list()


def test_a_follow_ends_at_its_next_poll_once_stop_is_set() -> None:
    """The CLI's Ctrl-C handler sets stop as well as raising KeyboardInterrupt: a
    follow whose KeyboardInterrupt was lost ends at its next poll, not never."""
    stop = threading.Event()
    source = Pages(page(1, 0, 2), page(1, 2, 0), page(1, 2, 0))
    events = read_logs(source, follow=True, sleep=stoppable_sleep(stop))
    assert collect(itertools.islice(events, 2)) == ["1:0", "1:1"]
    threading.Timer(0.2, stop.set).start()  # during the first poll's wait
    with pytest.raises(KeyboardInterrupt):
        next(events)
    assert source.asked == [0, 2]  # no poll after the stop
