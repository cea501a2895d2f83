"""Incoming messages through the real runtime in pywamr and `wamr-agent run` (issue 12,
item 3): on_message once per message with its length, msg_read oldest first and
its codes (empty, a short buffer, a negative cap), the inbox's limit, a trapping
on_message, and `run --message TEXT@MS` in simulated time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime
from typer.testing import CliRunner

from tests.message_app import message_app
from tests.runtime.hosts import Lines
from wamr_agent.agent_err import AgentErr
from wamr_agent.cli import app as cli_app
from wamr_agent.errors import CallError, InboxFull, Trap, UsageError
from wamr_agent.messages import MESSAGE_MAX
from wamr_agent.pywamr import Module, Runtime
from wamr_agent.pywamr._loader import lib
from wamr_agent.run import Message, run_module


def test_the_host_limits_mirror_the_runtimes() -> None:
    assert lib.WA_MSG_MAX == MESSAGE_MAX == 256
    assert lib.WA_APP_INBOX >= MESSAGE_MAX + 2  # one message of any size fits


def test_msg_read_needs_no_grant() -> None:
    """An app that imports only msg_read loads with no capability granted (its own
    inbox: docs/device-api.md, "Messages")."""
    module = Module(bytes(wasmtime.wat2wasm(
        '(module (import "wamr_agent" "msg_read" (func (param i32 i32) (result i32)))'
        ' (memory 1))')))
    Runtime("esp32", grants=[]).check(module)


def test_each_message_is_announced_once_and_read_oldest_first(tmp_path: Path) -> None:
    host = Lines()
    with Runtime("esp32").instantiate(Module.from_file(message_app(tmp_path / "m.wasm")),
                                      host) as app:
        assert app.take_event() is None
        app.send(b"one")
        app.send(b"three")
        events = [app.take_event(), app.take_event(), app.take_event()]
        assert events == [("on_message", (3,)), ("on_message", (5,)), None]
        assert app.call("read", 2) == 3  # the oldest, cut to 2 bytes: its length
        assert app.call("read", 64) == 5
        assert app.call("read", 64) == -AgentErr.NOT_FOUND  # empty
        assert app.call("read", -1) == -AgentErr.INVALID_ARG
        app.send(b"")
        assert app.take_event() == ("on_message", (0,))
        app.call("on_message", 0)
        assert host.lines == ["msg "]


def test_a_read_in_on_message_leaves_the_next_one_announced(tmp_path: Path) -> None:
    """A message read before its on_message came is not announced again: on_message
    comes once for each message still queued."""
    host = Lines()
    with Runtime("esp32").instantiate(Module.from_file(message_app(tmp_path / "m.wasm")),
                                      host) as app:
        for text in (b"a", b"b", b"c"):
            app.send(text)
        name, args = app.take_event() or ("", ())
        app.call(name, *args)  # reads "a"
        assert app.call("read", 8) == 1  # "b", before its on_message
        assert app.take_event() == ("on_message", (1,))  # "c"
        app.call("on_message", 1)
        assert app.take_event() is None
        assert host.lines == ["msg a", "msg c"]


def test_the_inbox_refuses_what_does_not_fit_until_the_app_reads(tmp_path: Path) -> None:
    with Runtime("esp32").instantiate(Module.from_file(message_app(tmp_path / "m.wasm",
                                                                   read=False)), Lines()) as app:
        app.send(b"x" * MESSAGE_MAX)
        sent = 1
        with pytest.raises(InboxFull) as full:
            for _ in range(lib.WA_APP_INBOX):
                app.send(b"y" * 8)
                sent += 1
        assert (full.value.exit_code, full.value.code) == (23, AgentErr.NO_MEMORY)
        assert sent == 1 + (lib.WA_APP_INBOX - MESSAGE_MAX - 2) // 10
        assert app.call("read", 0) == MESSAGE_MAX
        app.send(b"y" * 8)  # room again
        with pytest.raises(UsageError, match="at most 256 bytes"):
            app.send(b"z" * (MESSAGE_MAX + 1))


def test_an_app_without_on_message_takes_none(wat_file: Callable[[str], Path]) -> None:
    with Runtime("esp32").instantiate(Module.from_file(wat_file("add"))) as app, \
            pytest.raises(CallError, match="no on_message") as exc:
        app.send(b"hi")
    assert exc.value.exit_code == 8


def test_a_trapping_on_message_raises_a_trap(tmp_path: Path) -> None:
    with Runtime("esp32").instantiate(Module.from_file(message_app(tmp_path / "m.wasm")),
                                      Lines()) as app:
        app.send(b"!boom")
        with pytest.raises(Trap, match="unreachable"):
            app.call("on_message", 5)


def test_run_sends_messages_at_their_simulated_time(tmp_path: Path) -> None:
    path = message_app(tmp_path / "m.wasm")
    report = run_module(path, "esp32", for_ms=500, messages=[
        Message.parse("late@300"), Message.parse("first@0"), Message(b"x@y", 100)])
    assert [line["text"] for line in report.log] == ["msg first", "msg x@y", "msg late"]
    assert [(m["t_ms"], m["result"]) for m in report.messages] == [
        (0, "delivered"), (100, "delivered"), (300, "delivered")]
    assert [c.args for c in report.calls if c.export == "on_message"] == [[5], [3], [4]]


def test_run_reports_a_full_inbox_as_the_device_refuses_it(tmp_path: Path) -> None:
    path = message_app(tmp_path / "m.wasm", read=False)
    big = "b" * MESSAGE_MAX
    report = run_module(path, "esp32", messages=[Message.parse(f"{big}@10"),
                                                 Message.parse(f"{big}@20")])
    assert [m["result"] for m in report.messages] == ["delivered", "inbox full"]


def test_run_cli_message_option(tmp_path: Path) -> None:
    path = message_app(tmp_path / "m.wasm")
    result = CliRunner().invoke(cli_app, ["run", str(path), "--message", "on@5",
                                          "--message", "off@50"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:4] == ["send(2 bytes) t_ms=5: delivered", "on_message(2) t_ms=5", "msg on",
                         "send(3 bytes) t_ms=50: delivered"], lines
    as_json = CliRunner().invoke(cli_app, ["run", str(path), "--message", "hi", "--json"])
    assert json.loads(as_json.stdout)["messages"][0]["result"] == "delivered"


@pytest.mark.parametrize(("args", "code", "text"), [
    (["--message", "hi@soon"], 2, "TEXT@MS"),
    (["--message", "x" * 300], 2, "at most 256 bytes"),
])
def test_run_refuses_a_bad_message(tmp_path: Path, args: list[str], code: int,
                                   text: str) -> None:
    result = CliRunner().invoke(cli_app, ["run", str(message_app(tmp_path / "m.wasm")),
                                          *args])
    assert result.exit_code == code, result.output
    assert text in result.stderr


def test_run_refuses_messages_for_an_app_without_on_message(
        wat_file: Callable[[str], Path]) -> None:
    result = CliRunner().invoke(cli_app, ["run", str(wat_file("add")), "--message",
                                          "hi"])
    assert result.exit_code == 8, result.output
    assert "exports no on_message" in result.stderr
