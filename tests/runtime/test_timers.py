"""Timers and events through the real runtime in pywamr and `wamr-agent run`
(issue 12, item 3): a periodic timer's callbacks in order, timer_stop, the error
codes of bad arguments and of a full timer table, a trapping on_timer, and an
on_gpio callback for an edge driven through a gpio.in file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import wasmtime
from typer.testing import CliRunner

from tests.runtime.hosts import Lines
from tests.timer_app import EXPECTED, timer_app
from wamr_agent.agent_err import AgentErr
from wamr_agent.cli import app as cli_app
from wamr_agent.errors import Trap
from wamr_agent.gpiofile import PinDriver
from wamr_agent.pywamr import Module, Runtime
from wamr_agent.run import run_module

TIMERS = 4  # WA_APP_TIMERS


class Clock(Lines):
    """A host whose clock the test moves."""

    def __init__(self) -> None:
        super().__init__()
        self.now_us = 0

    def time_us(self) -> int:
        return self.now_us


def test_a_periodic_timer_fires_in_order_and_timer_stop_ends_it(tmp_path: Path) -> None:
    host = Clock()
    module = Module.from_file(timer_app(tmp_path / "timers.wasm"))
    with Runtime("esp32").instantiate(module, host) as app:
        app.call("setup")
        assert app.take_event() is None  # nothing due at t=0
        assert app.timer_wait_ms() == 100
        fired = []
        for _ in range(20):
            wait = app.timer_wait_ms()
            if wait is None:
                break
            host.now_us += wait * 1000
            event = app.take_event()
            assert event is not None
            fired.append((host.now_us // 1000, event))
            app.call(event[0], *event[1])
        assert host.lines == EXPECTED
        assert fired == [(100 * n, ("on_timer", (7,))) for n in range(1, 6)] + [
            (800, ("on_timer", (9,)))]
        assert app.timer_wait_ms() is None  # the one-shot is gone, 7 was stopped


def test_a_late_periodic_timer_fires_once_and_keeps_its_period(tmp_path: Path) -> None:
    host = Clock()
    with Runtime("esp32").instantiate(Module.from_file(timer_app(tmp_path / "t.wasm")),
                                      host) as app:
        app.call("setup")
        host.now_us = 450_000  # four periods missed: one callback, not four
        assert app.take_event() == ("on_timer", (7,))
        assert app.take_event() is None
        assert app.timer_wait_ms() == 100  # next at 550 ms


def test_bad_arguments_and_a_full_table_give_the_documented_codes(tmp_path: Path) -> None:
    with Runtime("esp32").instantiate(Module.from_file(timer_app(tmp_path / "t.wasm")),
                                      Clock()) as app:
        assert app.call("start", 1, -1, 0) == -AgentErr.INVALID_ARG
        assert app.call("start", 1, 0, -5) == -AgentErr.INVALID_ARG
        assert app.call("stop", 1) == -AgentErr.NOT_FOUND
        for i in range(TIMERS):
            assert app.call("start", i, 10, 0) == 0
        assert app.call("start", 99, 10, 0) == -AgentErr.NO_MEMORY
        assert app.call("start", 2, 50, 0) == 0  # an armed id is re-armed, not added
        assert app.call("stop", 2) == 0
        assert app.call("stop", 2) == -AgentErr.NOT_FOUND
        assert app.call("start", 99, 10, 0) == 0  # its entry is free again


def test_timers_need_the_time_capability(tmp_path: Path) -> None:
    from wamr_agent.errors import LinkError
    module = Module.from_file(timer_app(tmp_path / "t.wasm"))
    with pytest.raises(LinkError, match="timer_start"):
        Runtime("esp32", grants=["log", "gpio"]).check(module)


def test_run_drives_the_timers_in_simulated_time(tmp_path: Path) -> None:
    echoed: list[str] = []
    report = run_module(timer_app(tmp_path / "timers.wasm"), "esp32", echo=echoed.append)
    assert [line["text"] for line in report.log] == EXPECTED
    assert [c.export for c in report.calls] == ["setup"] + ["on_timer"] * 6
    assert [c.args for c in report.calls[1:]] == [[7]] * 5 + [[9]]
    ticks = [int(line.split("t_ms=")[1]) for line in echoed if line.startswith("on_timer(")]
    assert [t - ticks[0] for t in ticks] == [0, 100, 200, 300, 400, 700]  # 100 ms apart
    assert echoed.index(f"on_timer(7) t_ms={ticks[0]}") == echoed.index("tick 1") - 1


def test_run_stops_at_for_ms_of_device_time(tmp_path: Path) -> None:
    report = run_module(timer_app(tmp_path / "t.wasm", stop_after=9), "esp32", for_ms=350)
    assert [line["text"] for line in report.log] == ["tick 1", "tick 2", "tick 3"]


def test_a_timer_re_armed_at_once_cannot_stall_run(tmp_path: Path) -> None:
    # on_timer(9) re-arms timer 9 with no delay, for ever: the clock still moves
    path = tmp_path / "busy.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm("""
        (module
          (import "wamr_agent" "timer_start" (func $start (param i32 i32 i32) (result i32)))
          (func (export "setup") (drop (call $start (i32.const 9) (i32.const 0) (i32.const 0))))
          (func (export "on_timer") (param i32)
            (drop (call $start (i32.const 9) (i32.const 0) (i32.const 0)))))""")))
    report = run_module(path, "esp32", for_ms=10)
    assert len(report.calls) == 1 + 5 * 11  # 5 per instant, 1 ms apart, 0 to 10 ms


def test_run_cli_shows_the_callbacks(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["run", str(timer_app(tmp_path / "t.wasm"))])
    assert result.exit_code == 0, result.output
    assert re.search(r"on_timer\(7\) t_ms=\d+\ntick 1\n", result.output)
    assert re.search(r"stop 0\non_timer\(9\) t_ms=\d+\ndone\n", result.output)


def test_a_trapping_on_timer_is_reported_as_a_trapping_loop(tmp_path: Path) -> None:
    with pytest.raises(Trap, match="unreachable"):
        run_module(timer_app(tmp_path / "t.wasm", trap=True), "esp32")


def test_an_edge_on_a_watched_pin_calls_on_gpio(tmp_path: Path) -> None:
    host = Clock()
    host.pins.inputs = tmp_path / "gpio.in"
    button = PinDriver(host.pins.inputs)
    with Runtime("esp32").instantiate(Module.from_file(timer_app(tmp_path / "t.wasm")),
                                      host) as app:
        app.call("setup")
        assert app.gpio_watched()
        assert app.take_event() is None
        button.set(8, 1)
        assert app.take_event() == ("on_gpio", (8, 1))
        assert app.take_event() is None  # the edge was taken
        button.set(8, 0)
        event = app.take_event()
        assert event == ("on_gpio", (8, 0))
        app.call(event[0], *event[1])
        assert host.lines == ["gpio 8 0"]
