"""Timers and events on a simulated esp32 (issue 12, item 3): a periodic timer's
callbacks in order until timer_stop, a trapping on_timer handled as a trapping
loop, and on_gpio called for edges the test drives through the board's gpio.in."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import board_cli as cli
from tests.timer_app import app_log, check_periodic_timer, check_trapping_callback, timer_app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.gpiofile import GPIO_IN, PinDriver


def test_a_periodic_timer_calls_on_timer_in_order_until_stopped(esp32: SimulatedBoard,
                                                                tmp_path: Path) -> None:
    check_periodic_timer(esp32, tmp_path)


def test_a_trapping_on_timer_fails_the_trial_like_a_trapping_loop(esp32: SimulatedBoard,
                                                                  tmp_path: Path) -> None:
    check_trapping_callback(esp32, tmp_path)


def test_an_edge_driven_through_gpio_in_calls_on_gpio(esp32: SimulatedBoard,
                                                      tmp_path: Path) -> None:
    cli(esp32, "deploy", str(timer_app(tmp_path / "t.wasm", stop_after=1)), "--name", "io")
    esp32.console.expect(r"\[io\] done")  # setup has configured pin 8 by now
    button = PinDriver(esp32.workdir / GPIO_IN)
    button.set(8, 1)
    esp32.console.expect(r"\[io\] gpio 8 1")
    button.set(8, 0)
    esp32.console.expect(r"\[io\] gpio 8 0")
    assert app_log(esp32.console.lines(), "io")[-2:] == ["gpio 8 1", "gpio 8 0"]
