"""Incoming messages on a simulated esp32 (issue 12, item 3): `send` delivers to the
app's on_message, each refusal has its exit code, a burst arrives whole and in
order, and the trial of an app without loop counts its callbacks as rounds."""

from __future__ import annotations

import socket
from pathlib import Path

import cbor2

from tests.conftest import board_cli as cli
from tests.message_app import check_refusals, check_send_logs_the_message, message_app
from tests.timer_app import app_log, timer_app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.smp.app_requests import SendWrite
from wamr_agent.smp.decoder import FrameDecoder
from wamr_agent.smp.framing import encode_console

BURST = 20
PIPELINED = 8


def test_send_delivers_to_on_message(esp32: SimulatedBoard, tmp_path: Path) -> None:
    check_send_logs_the_message(esp32, tmp_path)


def test_each_refusal_has_its_exit_code(esp32: SimulatedBoard, tmp_path: Path) -> None:
    check_refusals(esp32, tmp_path)


def test_a_burst_arrives_whole_and_in_order(esp32: SimulatedBoard, tmp_path: Path) -> None:
    """Sent back to back, each message is delivered: the device reads the next
    request only after the app's on_message has taken the last one."""
    cli(esp32, "deploy", str(message_app(tmp_path / "b.wasm", loop=True)), "--name", "burst")
    for n in range(BURST):
        cli(esp32, "send", "burst", f"m{n:02d}")
    esp32.console.expect(rf"\[burst\] msg m{BURST - 1:02d}")
    assert app_log(esp32.console.lines(), "burst") == [f"msg m{n:02d}" for n in range(BURST)]


def test_pipelined_sends_are_each_delivered(esp32: SimulatedBoard, tmp_path: Path) -> None:
    """Requests written back to back without waiting for the answers: the device
    handles one per poll of its UART and runs the app's callbacks in between, so
    each 200-byte message is taken before the next arrives (the inbox holds one)."""
    cli(esp32, "deploy", str(message_app(tmp_path / "p.wasm", loop=True)), "--name", "pipe")
    texts = [f"p{n:02d}".encode() + b"." * 197 for n in range(PIPELINED)]
    wire = b"".join(encode_console(SendWrite(name="pipe", data=t, sequence=n).BYTES)
                    for n, t in enumerate(texts))
    host, port = esp32.mgmt_address.removeprefix("socket://").rsplit(":", 1)
    answers: list[bytes] = []
    decoder = FrameDecoder(4096, 10_000)
    with socket.create_connection((host, int(port)), timeout=10) as link:
        link.sendall(wire)
        while len(answers) < PIPELINED:
            answers += [p.data for p in decoder.feed(link.recv(4096), 0)]
    assert [cbor2.loads(a[8:]) for a in answers] == [{}] * PIPELINED
    esp32.console.expect(rf"\[pipe\] msg p{PIPELINED - 1:02d}")
    assert [line[:7] for line in app_log(esp32.console.lines(), "pipe")] == [
        f"msg p{n:02d}" for n in range(PIPELINED)]


def _confirmed(board: SimulatedBoard, name: str) -> tuple[int, int]:
    """The loop rounds and ms of the trial the device confirmed, from its console."""
    found = board.console.expect(rf"app {name} confirmed \(slot \d, (\d+) loop rounds, "
                                 r"0 traps, (\d+) ms\)")
    return int(found[1]), int(found[2])


def test_the_callbacks_of_an_app_without_loop_are_its_trial_rounds(
        esp32: SimulatedBoard, tmp_path: Path) -> None:
    """A timer app's on_timer calls count: it is confirmed after 10 rounds of them
    (it was confirmed at once with none); an app that gets no callback (nobody sends
    it a message) is on trial as long as 10 loop rounds take (10 x 200 ms)."""
    ticker = timer_app(tmp_path / "ticker.wasm", delay_ms=20, period_ms=20, stop_after=99)
    cli(esp32, "deploy", str(ticker), "--name", "ticker")
    assert _confirmed(esp32, "ticker")[0] >= 10  # counted up to the agent's next round
    cli(esp32, "deploy", str(message_app(tmp_path / "quiet.wasm")), "--name", "quiet")
    rounds, ms = _confirmed(esp32, "quiet")
    assert (rounds, ms >= 2000) == (0, True)


def test_a_trapping_on_message_fails_the_trial(esp32: SimulatedBoard, tmp_path: Path) -> None:
    """The app has no loop: its trial lasts 2 s (10 rounds' time), and a message
    that makes it trap then fails it, as a trapping loop would."""
    cli(esp32, "deploy", str(message_app(tmp_path / "t.wasm")), "--name", "fragile",
        "--no-wait")
    cli(esp32, "send", "fragile", "!boom")
    esp32.console.expect(r"app fragile failed its trial \(slot \d\): on_message trapped 1 "
                         r"time: unreachable")
    assert cli(esp32, "status", "fragile")["life"] == "failed"
