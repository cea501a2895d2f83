"""A timer test app, written as WAT (tests of issue 12's timers and events on every
port). setup() arms timer 7 (delay, period) and configures pin 8 as an input
counting both edges; on_timer(7) logs "tick N" (N = 1..9) and, at N == stop_after,
stops timer 7 (logging "stop RC", RC the negated result: 0) and arms the one-shot
timer 9 three periods later, whose on_timer logs "done": a tick after "stop" would
come before it. on_gpio(pin, level) logs "gpio PIN LEVEL". With trap=True,
on_timer(7) executes `unreachable`. start/stop export timer_start/timer_stop."""

from __future__ import annotations

from pathlib import Path

import wasmtime

from tests.conftest import board_cli as cli
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard

STOP_AFTER = 5
TRIAL_FAILED = 15  # exit code of a first deploy whose trial failed (install failed)


def timer_wat(delay_ms: int = 100, period_ms: int = 100, stop_after: int = STOP_AFTER,
              trap: bool = False) -> str:
    trap_code = "(if (i32.eq (local.get $id) (i32.const 7)) (then unreachable))" if trap else ""
    return f"""
(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (import "wamr_agent" "timer_start" (func $start (param i32 i32 i32) (result i32)))
  (import "wamr_agent" "timer_stop" (func $stop (param i32) (result i32)))
  (import "wamr_agent" "gpio_config" (func $gpio_config (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "tick 0")
  (data (i32.const 16) "stop 0")
  (data (i32.const 32) "gpio 0 0")
  (data (i32.const 48) "done")
  (global $n (mut i32) (i32.const 0))
  (func (export "setup")
    (drop (call $gpio_config (i32.const 8) (i32.const 6)))
    (drop (call $start (i32.const 7) (i32.const {delay_ms}) (i32.const {period_ms}))))
  (func (export "on_timer") (param $id i32)
    {trap_code}
    (if (i32.eq (local.get $id) (i32.const 9))
      (then (drop (call $log (i32.const 48) (i32.const 4))) (return)))
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store8 (i32.const 5) (i32.add (i32.const 48) (global.get $n)))
    (drop (call $log (i32.const 0) (i32.const 6)))
    (if (i32.eq (global.get $n) (i32.const {stop_after}))
      (then
        (i32.store8 (i32.const 21) (i32.sub (i32.const 48) (call $stop (i32.const 7))))
        (drop (call $log (i32.const 16) (i32.const 6)))
        (drop (call $start (i32.const 9) (i32.const {3 * period_ms}) (i32.const 0))))))
  (func (export "on_gpio") (param $pin i32) (param $level i32)
    (i32.store8 (i32.const 37) (i32.add (i32.const 48) (local.get $pin)))
    (i32.store8 (i32.const 39) (i32.add (i32.const 48) (local.get $level)))
    (drop (call $log (i32.const 32) (i32.const 8))))
  (func (export "start") (param i32 i32 i32) (result i32)
    (call $start (local.get 0) (local.get 1) (local.get 2)))
  (func (export "stop") (param i32) (result i32)
    (call $stop (local.get 0))))
"""


def timer_app(path: Path, **kwargs: int | bool) -> Path:
    """timer_wat(**kwargs) compiled into path."""
    path.write_bytes(bytes(wasmtime.wat2wasm(timer_wat(**kwargs))))  # type: ignore[arg-type]
    return path


EXPECTED = [f"tick {n}" for n in range(1, STOP_AFTER + 1)] + ["stop 0", "done"]


def app_log(console_lines: list[str], name: str) -> list[str]:
    """What app `name` logged, from a device's console lines ("[name] text")."""
    prefix = f"[{name}] "
    return [line[len(prefix):] for line in console_lines if line.startswith(prefix)]


def check_periodic_timer(board: EmulatedBoard | SimulatedBoard, tmp_path: Path) -> None:
    """The app's ticks come in order, stop at timer_stop, and it never gets loop()."""
    cli(board, "deploy", str(timer_app(tmp_path / "timers.wasm")), "--name", "timers")
    board.console.expect(r"\[timers\] done")
    assert app_log(board.console.lines(), "timers") == EXPECTED


def check_trapping_callback(board: EmulatedBoard | SimulatedBoard, tmp_path: Path) -> None:
    """A trapping on_timer fails the trial as a trapping loop does (its timer expires
    at once, well within the trial: an app without loop is on trial until 10 rounds
    of callbacks, or 10 rounds' time, docs/lifecycle.md)."""
    path = timer_app(tmp_path / "trapper.wasm", delay_ms=0, trap=True)
    cli(board, "deploy", str(path), "--name", "trapper", code=TRIAL_FAILED)
    board.console.expect(r"app trapper trap: .*unreachable")
    board.console.expect(r"app trapper failed its trial \(slot \d\): on_timer trapped 1 time: "
                         r"unreachable")
    assert "tick" not in " ".join(app_log(board.console.lines(), "trapper"))
