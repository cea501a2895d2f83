"""Timers for `make bench` (issue 12, item 3): how late on_timer runs after its
expiry, and what an idle agent with one timer app costs the host.

- Wake-up latency: a 50 ms periodic timer whose on_timer publishes, as telemetry
  ``late_us``, the device clock at the call minus the expiry it asked for (WASI's
  monotonic clock, the one timers use). On QEMU mps2-an386 under ``-icount
  shift=0`` the clock counts emulated instructions (1 ns each) while the core runs;
  on the simulated esp32 it is the host's clock (the agent sleeps in poll(2)).
- Idle CPU of the simulated esp32 process: CPU seconds (user + system, from
  /proc/PID/stat) per wall second, with no app and with one app with a 100 ms timer
  (whose on_timer publishes a value: 10 calls a second).

Prints tables; asserts nothing about time.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.qemu import EmulatedBoard

Table = Callable[[str, list[str], list[list[str]]], None]
PERIOD_MS = 50
SAMPLES = 20
IDLE_WINDOW = 10.0  # wall seconds counted (/proc counts CPU in 10 ms ticks)
_LATE = re.compile(r"telemetry \S+ late_us=(-?[\d.]+)")


def latency_wat(period_ms: int) -> str:
    """on_timer publishes late_us = now - the expiry it asked for (microseconds)."""
    return f"""
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock (param i32 i64 i32) (result i32)))
  (import "wamr_agent" "timer_start" (func $start (param i32 i32 i32) (result i32)))
  (import "wamr_agent" "telemetry_publish" (func $publish (param i32 i32 f32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "late_us")
  (global $due (mut i64) (i64.const 0))
  (func $now_us (result i64)
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 64)))
    (i64.div_u (i64.load (i32.const 64)) (i64.const 1000)))
  (func (export "setup")
    (global.set $due (i64.add (call $now_us) (i64.const {period_ms * 1000})))
    (drop (call $start (i32.const 1) (i32.const {period_ms}) (i32.const {period_ms}))))
  (func (export "on_timer") (param i32)
    (local $now i64)
    (local.set $now (call $now_us))
    (drop (call $publish (i32.const 0) (i32.const 7)
                         (f32.convert_i64_s (i64.sub (local.get $now) (global.get $due)))))
    (global.set $due (i64.add (global.get $due) (i64.const {period_ms * 1000})))
    (if (i64.gt_s (local.get $now) (global.get $due))
      (then (global.set $due (i64.add (local.get $now) (i64.const {period_ms * 1000})))))))
"""


def _app(tmp: Path, name: str, period_ms: int) -> Path:
    path = tmp / f"{name}.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm(latency_wat(period_ms))))
    return path


def _late(board: SimulatedBoard | EmulatedBoard) -> list[float]:
    for _ in range(SAMPLES + 1):  # the first sample includes the app's start
        board.console.expect(_LATE, timeout=60)
    return [float(m.group(1)) for m in _LATE.finditer(board.console.text)][1:SAMPLES + 1]


def _row(where: str, late: list[float]) -> list[str]:
    return [where, str(len(late)), f"{statistics.median(late):.0f}", f"{max(late):.0f}"]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _idle(board: SimulatedBoard) -> float:
    pid = board.pid
    assert pid is not None
    time.sleep(1.0)  # past the deploy
    c0, t0 = _cpu_seconds(pid), time.monotonic()
    time.sleep(IDLE_WINDOW)
    return (_cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def timers(table: Table, build: Path) -> None:
    rows, idle = [], []
    with tempfile.TemporaryDirectory(prefix="wamr-agent-timers-") as tmp:
        tmp_path = Path(tmp)
        app = _app(tmp_path, "late", PERIOD_MS)
        with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "qemu", preload=[app],
                                 extra_args=["-icount", "shift=0"]) as board:
            rows.append(_row("QEMU mps2-an386 (-icount shift=0)", _late(board)))
        with SimulatedBoard.start("esp32", workdir=tmp_path / "sim") as board:
            idle.append(["no app", f"{_idle(board) * 1000:.1f}"])
            deploying.deploy(_app(tmp_path, "tick", 100), "esp32", port=board.mgmt_address)
            idle.append(["one app, 100 ms timer", f"{_idle(board) * 1000:.1f}"])
            deploying.remove_app("tick", "esp32", board.mgmt_address)
            deploying.deploy(app, "esp32", port=board.mgmt_address)
            rows.append(_row("simulated esp32 (host clock)", _late(board)))
    table(f"Timer wake-up latency: on_timer's call minus its expiry, {PERIOD_MS} ms period "
          "(device microseconds)", ["device", "samples", "median us", "max us"], rows)
    table(f"Idle CPU of the simulated esp32 process (user + system CPU ms per wall s, over "
          f"{IDLE_WINDOW:.0f} s; one 10 ms tick of /proc is {10 / IDLE_WINDOW:.1f} ms/s)",
          ["apps", "CPU ms / s"], idle)
