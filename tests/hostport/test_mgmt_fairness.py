"""The management port and the apps share one loop, on a simulated esp32: a flood of
garbage bytes on the management port neither starves the apps nor trips the
watchdog, and the device answers SMP right after; an app sleeping in `loop` does not
hold SMP up (read requests are answered during its sleep, requests that change apps
wait until its call returns). Timing is read from the device's own clock (log
lines' t_ms, status uptime), never from the wall clock."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.flashimage import PreloadApp
from wamr_agent.smp.app_results import LogEntry
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

BOARD = "esp32"
FLOOD_SECONDS = 10.0  # past the 8 s watchdog: before the fix, it reset the device


def reactor(name: str, loop: str) -> PreloadApp:
    """A preloaded (confirmed) app whose loop runs `loop` (WAT); $say logs a string
    placed at 0 ("tick"), 16 ("sleeping") or 32 ("awake")."""
    return PreloadApp(name, bytes(wasmtime.wat2wasm(f"""
        (module
          (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
          (import "wamr_agent" "sleep_ms" (func $sleep (param i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "tick")
          (data (i32.const 16) "sleeping")
          (data (i32.const 32) "awake")
          (func $say (param i32 i32) (drop (call $log (local.get 0) (local.get 1))))
          (func (export "loop") {loop}))""")))


@pytest.fixture
def host_port(tmp_path: Path) -> Iterator[SimulatedBoard]:
    with SimulatedBoard.start(BOARD, workdir=tmp_path / "board", preload=[
            reactor("ticker", "(call $say (i32.const 0) (i32.const 4))")]) as board:
        board.console.expect(r"\[ticker\] tick")
        yield board


def app_lines(client: AppClient, tag: str) -> list[LogEntry]:
    """The device's kept log lines of app lines ``[tag] ...``, oldest first."""
    lines: list[LogEntry] = []
    since = 0
    while (page := client.logs(since)).lines:
        lines += [e for e in page.lines if e.msg.startswith(f"[{tag}] ")]
        since = page.next
    return lines


def flood(address: str, seconds: float) -> int:
    """Writes seeded random bytes to the management port for ``seconds``; how many."""
    host, port = address.removeprefix("socket://").split(":")
    rng = random.Random(7)
    chunk = bytes(rng.randrange(256) for _ in range(65536))
    sent = 0
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(1.0)
        reader = threading.Thread(target=_drain, args=(sock,), daemon=True)
        reader.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                sent += sock.send(chunk)
            except TimeoutError:
                continue
    return sent


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def test_a_byte_flood_on_the_management_port_does_not_starve_the_apps(
        host_port: SimulatedBoard) -> None:
    board = host_port
    with SmpLink(board.mgmt_address) as link:
        before = AppClient(link).status()
    sent = flood(board.mgmt_address, FLOOD_SECONDS)
    with SmpLink(board.mgmt_address) as link:  # answers right after
        client = AppClient(link)
        after = client.status()
        ticks = [e for e in app_lines(client, "ticker")
                 if before.uptime_ms < e.t_ms < after.uptime_ms]
    assert sent > 1_000_000
    assert (after.boot, after.reset) == (1, "power-on"), "the flood reset the device"
    assert "watchdog expired" not in board.console.text
    # the ticker's loop kept its rounds (one every 200 ms) through the flood
    flood_ms = after.uptime_ms - before.uptime_ms
    assert len(ticks) >= flood_ms // 1000, (len(ticks), flood_ms)


def test_smp_is_served_while_an_app_sleeps_in_loop(tmp_path: Path) -> None:
    loop = ("(call $say (i32.const 16) (i32.const 8)) (drop (call $sleep (i32.const 2000)))"
            " (call $say (i32.const 32) (i32.const 5))")
    with SimulatedBoard.start(BOARD, workdir=tmp_path / "board",
                              preload=[reactor("sleeper", loop)]) as board:
        board.console.expect(r"\[sleeper\] awake")  # one whole round first
        board.console.expect(r"\[sleeper\] sleeping")
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            answered = client.status().uptime_ms
            board.console.expect(r"\[sleeper\] awake")
            lines = app_lines(client, "sleeper")
    asleep = [e.t_ms for e in lines if e.msg == "[sleeper] sleeping" and e.t_ms <= answered]
    awake = [e.t_ms for e in lines if e.msg == "[sleeper] awake" and e.t_ms > asleep[-1]]
    assert asleep and awake
    assert asleep[-1] <= answered < awake[0], (asleep[-1], answered, awake[0])


def test_a_command_that_changes_an_app_waits_for_its_sleep_to_end(tmp_path: Path) -> None:
    loop = ("(call $say (i32.const 16) (i32.const 8)) (drop (call $sleep (i32.const 1500)))"
            " (call $say (i32.const 32) (i32.const 5))")
    with SimulatedBoard.start(BOARD, workdir=tmp_path / "board",
                              preload=[reactor("sleeper", loop)]) as board:
        board.console.expect(r"\[sleeper\] sleeping")
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            client.stop("sleeper")  # answered once the call returned
            assert client.status("sleeper").state == "stopped"
        text = board.console.text
        stopped = text.index("app sleeper stopped")
        assert text.rindex("[sleeper] awake", 0, stopped) > text.rindex("[sleeper] sleeping",
                                                                        0, stopped)
        assert "boot 2" not in text
