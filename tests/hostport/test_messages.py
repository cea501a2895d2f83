"""Incoming messages on a simulated esp32 (issue 12, item 3): `send` delivers to the
app's on_message, each refusal has its exit code, a burst arrives whole and in
order."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import board_cli as cli
from tests.message_app import check_refusals, check_send_logs_the_message, message_app
from tests.timer_app import app_log
from wamr_agent.emulator import SimulatedBoard

BURST = 20


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
