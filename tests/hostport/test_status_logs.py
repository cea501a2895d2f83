"""The wasm-app group's status (5) and logs (6) commands on a simulated esp32:
device and app status (after a deploy, after traps), the kept console lines
(paging with `since`, `next`, dropped lines, a reboot), and the CLI's `status`
and `logs` (text, --json, --follow until Ctrl-C)."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from typer.testing import CliRunner

from tests.tamper import TEST_KEY
from wamr_agent.boards import load_board
from wamr_agent.cli import app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.errors import UsageError
from wamr_agent.smp.app_results import LogEntry
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.lifecycle import wait_for_verdict
from wamr_agent.smp.link import SmpLink
from wamr_agent.smp.logreader import LogNotice, read_logs

BOARD = "esp32"
T = TypeVar("T")
Example = Callable[[str], Path]
runner = CliRunner()


@pytest.fixture
def board(esp32: SimulatedBoard) -> SimulatedBoard:
    return esp32


@pytest.fixture
def client(board: SimulatedBoard) -> Iterator[AppClient]:
    with SmpLink(board.mgmt_address) as link:
        yield AppClient(link)


def until(ask: Callable[[], T], done: Callable[[T], bool], timeout: float = 30) -> T:
    """Asks again until ``done(answer)``; the answer."""
    deadline = time.monotonic() + timeout
    while not done(answer := ask()):
        assert time.monotonic() < deadline, f"still {answer!r} after {timeout:g} s"
        time.sleep(0.05)
    return answer


def deploy_sensor(client: AppClient, board: SimulatedBoard, example: Example) -> bytes:
    module = example("sensor").read_bytes()
    client.upload("sensor", module, deploy_id="d-status", version="1.2.0")
    board.console.expect(r"telemetry sensor temp_c=")
    verdict = wait_for_verdict(client, "sensor", hashlib.sha256(module).digest(), timeout=30)
    assert verdict.outcome == "confirmed", verdict
    return module


def test_device_status(board: SimulatedBoard, client: AppClient) -> None:
    status = client.status()
    firmware = re.search(r"wamr-agent firmware (\S+)", board.banner)
    slots = board.console.expect(r"flash bytes=\d+ page=\d+ slots=(\d+)")
    assert firmware is not None
    assert (status.board, status.fw, status.boot, status.reset) == (
        BOARD, firmware[1], 1, "power-on")
    assert (status.slots, status.apps) == (int(slots[1]), 0)
    assert status.buf_size == client.buf_size()
    assert {"console", "raw"} <= set(status.framings)
    assert 0 < status.heap_free < load_board(BOARD).ram_bytes
    until(client.status, lambda later: later.uptime_ms > status.uptime_ms)

    board.reset()
    board.console.expect(r"boot 2 reset=")
    assert client.status().boot == 2


def test_app_status_after_deploy(board: SimulatedBoard, client: AppClient,
                                 example: Example) -> None:
    module = deploy_sensor(client, board, example)
    status = client.status("sensor")
    assert (status.name, status.state, status.size, status.sha, status.deploy,
            status.version, status.traps, status.last_err) == (
        "sensor", "running", len(module), hashlib.sha256(module).hexdigest(), "d-status",
        "1.2.0", 0, None)
    assert 0 < status.mem_hw <= status.mem_budget
    until(lambda: client.status("sensor"), lambda later: later.uptime_ms > status.uptime_ms)
    assert client.status().apps == 1

    client.stop("sensor")
    stopped = client.status("sensor")
    assert (stopped.state, stopped.uptime_ms) == ("stopped", 0)
    with pytest.raises(UsageError, match=r"report the status of app 'nope': no such app"):
        client.status("nope")


def test_app_status_after_traps(board: SimulatedBoard, client: AppClient,
                                wat: Callable[[str], bytes]) -> None:
    # on trial, the first trap fails a first install: it is not left running
    client.upload("trapper", wat("trap_in_loop"))  # `loop` executes `unreachable`
    board.console.expect(r"app trapper failed its trial \(slot 0\): loop trapped 1 time")
    status = client.status("trapper")
    assert (status.traps, status.state, status.life) == (1, "stopped", "failed")
    assert status.reason is not None and status.reason.code == "traps"
    assert status.last_err is not None
    assert status.last_err.code == "TRAP_UNREACHABLE" and status.last_err.msg
    # once confirmed, an app that traps 3 times in a row is stopped
    late = wat("trap_after_trial")  # traps from its 13th loop round on
    client.upload("late", late)
    board.console.expect(r"app late confirmed \(slot \d, 10 loop rounds, 0 traps")
    board.console.expect(r"app late stopped after 3 traps in a row")
    status = client.status("late")
    assert (status.traps, status.state, status.life) == (3, "stopped", "confirmed")


def test_logs_hold_the_apps_lines_and_page_by_sequence(board: SimulatedBoard,
                                                       client: AppClient,
                                                       example: Example) -> None:
    deploy_sensor(client, board, example)
    page = client.logs()
    assert page.boot == 1 and page.lines and page.next == page.lines[-1].seq + 1
    assert any(line.msg.startswith(("[sensor] ", "telemetry sensor ")) for line in page.lines)
    assert [line.t_ms for line in page.lines] == sorted(line.t_ms for line in page.lines)
    assert all("\n" not in line.msg for line in page.lines)

    newest = page.lines[-1]
    again = client.logs(newest.seq)
    assert (again.dropped, again.lines[0]) == (0, newest)
    later = until(lambda: client.logs(page.next), lambda p: bool(p.lines))
    assert later.lines[0].seq == page.next and later.next > page.next


def test_reader_reports_dropped_lines_and_restarts_after_a_reboot(
        board: SimulatedBoard, client: AppClient, example: Example) -> None:
    deploy_sensor(client, board, example)
    wrapped = until(lambda: client.logs(0), lambda p: p.dropped > 0)  # the ring is small
    assert wrapped.lines[0].seq == wrapped.dropped

    events = read_logs(client, 0, follow=True, interval=0.1)
    first = next(events)
    assert isinstance(first, LogNotice) and first.kind == "dropped"
    board.reset()
    board.console.expect(r"boot 2 reset=")
    after: list[LogEntry | LogNotice] = []
    for event in events:
        after.append(event)
        if isinstance(event, LogEntry) and event.boot == 2:
            break
        assert len(after) < 5000
    events.close()
    notices = [e for e in after if isinstance(e, LogNotice) and e.kind == "reboot"]
    assert [n.count for n in notices] == [2]


def deploy_and_disconnect(board: SimulatedBoard, example: Example) -> list[str]:
    """Deploys the sensor app; the CLI's options for this board (the management UART
    serves one connection at a time, so this one is closed first)."""
    with SmpLink(board.mgmt_address) as link:
        deploy_sensor(AppClient(link), board, example)
    return ["--board", BOARD, "--port", board.mgmt_address]


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def test_cli_status(board: SimulatedBoard, example: Example) -> None:
    target = deploy_and_disconnect(board, example)
    device = json.loads(cli("status", *target, "--json").stdout)
    assert (device["board"], device["boot"], device["apps"]) == (BOARD, 1, 1)
    # what it accepts: bundles signed by the test key (a default build), no AOT code
    assert (device["kids"], device["aot_abi"]) == ([TEST_KEY.kid.hex()], 0)
    one = json.loads(cli("status", "sensor", *target, "--json").stdout)
    assert (one["state"], one["version"], one["traps"], one["last_err"]) == (
        "running", "1.2.0", 0, None)
    text = cli("status", *target).stdout
    assert re.search(r"^board +esp32$", text, re.M) and "console, raw" in text
    assert re.search(rf"^bundle keys {TEST_KEY.kid.hex()} \(installs bundles signed by these\)$",
                     text, re.M), text
    assert re.search(r"^AOT code +none: every module is interpreted$", text, re.M), text
    assert re.search(r"^state +running \(slot \d+\)$", cli("status", "sensor", *target).stdout,
                     re.M)
    missing = cli("status", "nope", *target, code=2)
    assert missing.stderr == ("error: device refused to report the status of app 'nope': "
                              "no such app (WA_ERR_NOT_FOUND, 4)\n")


def test_cli_logs(board: SimulatedBoard, example: Example) -> None:
    target = deploy_and_disconnect(board, example)
    lines = [json.loads(line) for line in cli("logs", *target, "--json").stdout.splitlines()]
    entries = [e for e in lines if "msg" in e]
    assert entries and set(entries[0]) == {"boot", "seq", "t_ms", "msg"}
    assert any("telemetry sensor" in e["msg"] for e in entries)
    expected = entries[0]["seq"]
    for event in lines:  # in order, and every gap reported
        if "seq" in event:
            assert event["seq"] == expected
            expected += 1
        elif event != lines[0]:
            assert event["notice"] == "dropped"
            expected += event["dropped"]
    seqs = [e["seq"] for e in entries]

    since = seqs[-1]
    paged = [json.loads(line) for line in
             cli("logs", "--since", str(since), *target, "--json").stdout.splitlines()]
    assert next(e["seq"] for e in paged if "seq" in e) >= since

    text = cli("logs", *target).stdout.splitlines()
    assert text and all(re.match(r"^\[ *\d+\.\d{3}\] |^-- .* --$", line) for line in text)


@contextmanager
def following(board: SimulatedBoard) -> Iterator[subprocess.Popen[str]]:
    """`wamr-agent logs -f --json` on the board; killed on the way out if it still
    runs, so a follow that ignores Ctrl-C fails its test instead of hanging it."""
    exe = Path(sys.executable).with_name("wamr-agent")
    follow = subprocess.Popen([str(exe), "logs", "-f", "--json", "--board", BOARD, "--port",
                               board.mgmt_address], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        yield follow
    finally:
        if follow.poll() is None:
            follow.kill()
        follow.wait()
        if follow.stdout is not None:
            follow.stdout.close()


def ctrl_c(follow: subprocess.Popen[str]) -> int:
    """Sends Ctrl-C; the exit code (TimeoutExpired when it still runs after 30 s)."""
    follow.send_signal(signal.SIGINT)
    return follow.wait(timeout=30)


def test_cli_logs_follow_until_ctrl_c(board: SimulatedBoard) -> None:
    with following(board) as follow:
        assert follow.stdout is not None
        seen = [json.loads(follow.stdout.readline()) for _ in range(3)]
        assert all("msg" in e or "notice" in e for e in seen)
        assert ctrl_c(follow) == 0


def long_log_app(euros: int) -> bytes:
    """An app whose `setup` logs ``euros`` "€" (3 bytes each, so the device's cut at
    255 bytes falls inside one), then a short line, then bytes that are not UTF-8."""
    import wasmtime

    texts = ["€" * euros, "after the long line", "raw \\ff\\fe bytes"]
    data, calls, at = "", "", 1024
    for text in texts:
        size = len(text.encode()) - 2 * text.count("\\")  # "\ff" is one byte in WAT
        data += f'(data (i32.const {at}) "{text}")'
        calls += f"(drop (call $log (i32.const {at}) (i32.const {size})))"
        at += size
    return bytes(wasmtime.wat2wasm(
        f'(module (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))'
        f'(memory (export "memory") 1) {data}'
        f'(func (export "setup") {calls}) (func (export "loop") (result i32) (i32.const 0)))'))


def test_a_cut_line_keeps_whole_characters_and_its_newline(board: SimulatedBoard) -> None:
    # "[longlog] " is 10 bytes: 81 "€" fit the 254 before the newline, the 82nd would not
    with SmpLink(board.mgmt_address) as link:
        AppClient(link).upload("longlog", long_log_app(100))
    board.console.expect(r"\[longlog\] raw ")
    shown = board.console.lines()
    assert "[longlog] " + "€" * 81 in shown  # one line, cut before the character
    assert "[longlog] after the long line" in shown  # not glued onto the cut line
    target = ["--board", BOARD, "--port", board.mgmt_address]
    text = cli("logs", *target)
    assert "Traceback" not in text.output
    printed = [line.split("] ", 1)[1] for line in text.stdout.splitlines()
               if "] [longlog] " in line]
    assert printed == ["[longlog] " + "€" * 81, "[longlog] after the long line",
                       "[longlog] raw \ufffd\ufffd bytes"]
    listed = cli("ps", *target, "--json")
    assert [a["name"] for a in json.loads(listed.stdout)["apps"]] == ["longlog"]


def test_redeploy_of_a_stopped_app_starts_it_and_says_so(board: SimulatedBoard,
                                                         example: Example) -> None:
    target = ["--board", BOARD, "--port", board.mgmt_address]
    sensor = str(example("sensor"))
    cli("deploy", sensor, *target)
    cli("stop", "sensor", *target)
    again = cli("deploy", sensor, *target)
    assert again.stdout.endswith(": already installed; it was stopped: started\n"), again.stdout
    [listed] = json.loads(cli("ps", *target, "--json").stdout)["apps"]
    assert (listed["state"], listed["life"]) == ("running", "confirmed")
    unchanged = cli("deploy", sensor, *target)
    assert unchanged.stdout.endswith(": already installed; nothing to do\n")


def test_cli_logs_follow_across_a_reboot(board: SimulatedBoard) -> None:
    lines: queue.Queue[str] = queue.Queue()
    with following(board) as follow:
        assert follow.stdout is not None
        reader = threading.Thread(target=lambda: [lines.put(x) for x in follow.stdout or ()],
                                  daemon=True)
        reader.start()

        def next_event() -> dict[str, Any]:
            return dict(json.loads(lines.get(timeout=30)))

        first = next_event()
        assert first.get("boot") == 1, first
        board.reset()
        board.console.expect(r"boot 2 reset=")
        before: list[dict[str, Any]] = []
        while (event := next_event()).get("notice") != "reboot":
            before.append(event)
            assert len(before) < 5000
        assert event == {"notice": "reboot", "boot": 2,
                         "text": "device rebooted (boot 2); its log from the start"}
        assert all(e.get("boot") == 1 for e in before if "msg" in e)
        after = next_event()  # the new boot's log, from its first line
        assert (after["boot"], after["seq"]) == (2, 0), after
        assert ctrl_c(follow) == 0
