#!/usr/bin/env python3
"""`make bench`: the CLI's start-up, interpreter speed, cold start, binding
overhead, RAM, firmware footprint, flash and RAM per device API, device kernels
and boot, upload goodput, deploy to confirmed, `watch`'s save to new version
running, where app code lives, flash operations per update, deploying through
MQTT and a gateway, a command's round trip through it, telemetry messages per
second through it, timer wake-up latency and idle CPU with a timer app, a
rollout to 50 simulated devices on 4 gateways (and that fleet idle), and app
build time per language.

Prints tables; asserts nothing about time (tests never time things). Each
wasm kernel's checksum is compared with the native build of the same source,
so a fast wrong answer cannot pass as a result.
"""

from __future__ import annotations

import ctypes
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import wasmtime
from api_footprint import api_footprint
from app_build import app_build
from app_ram import app_ram
from chaos_link import chaos_link
from cold_start import cold_start
from dev_loop import dev_loop
from flash_ops import flash_ops
from fleet_rollout import fleet_rollout
from footprint import firmware_footprint, runtime_size_tool
from goodput import upload_goodput
from messages import messages
from module_ram import module_ram
from mqtt_deploy import mqtt_deploy
from qemu_bench import boot_timing, device_kernels
from startup import startup
from storage import storage
from tables import table
from telemetry_rate import telemetry_rate
from timers import timers
from verdict import verdict_time

from wamr_agent.boards import Board, load_board
from wamr_agent.pywamr import Host, Module, Runtime
from wamr_agent.pywamr._loader import ffi, lib

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
KERNELS = {"crc32": 40, "matmul": 400, "filter": 200}  # iterations per timed call


def best_of(fn: Callable[[], object], runs: int = 5) -> float:
    """Fastest of several runs, in seconds (least disturbed by the machine)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_board(cpu_ticks: int) -> Board:
    board = load_board("esp32")
    return replace(board, budget=replace(board.budget, cpu_ticks=cpu_ticks))


def native_kernel(lib_name: str, name: str) -> Callable[[int], int]:
    fn = getattr(ctypes.CDLL(str(BUILD / "bench" / lib_name)), f"bench_{name}")
    fn.restype = ctypes.c_int32
    return fn  # type: ignore[no-any-return]


def interpreter_speed() -> None:
    module = Module.from_file(BUILD / "bench" / "kernels.wasm")
    plain = Runtime(bench_board(0)).instantiate(module)
    metered = Runtime(bench_board(4_000_000_000)).instantiate(module)
    rows = []
    for name, iters in KERNELS.items():
        vector = native_kernel("libkernels.so", name)
        scalar = native_kernel("libkernels_scalar.so", name)
        want = vector(iters)
        for got in (scalar(iters), plain.call(f"bench_{name}", iters),
                    metered.call(f"bench_{name}", iters)):
            if got != want:
                sys.exit(f"bench_{name}: got {got}, native {want}: results differ")
        t_vec = best_of(lambda f=vector, n=iters: f(n))
        t_sca = best_of(lambda f=scalar, n=iters: f(n))
        t_plain = best_of(lambda n=name, i=iters: plain.call(f"bench_{n}", i))
        t_meter = best_of(lambda n=name, i=iters: metered.call(f"bench_{n}", i))
        ticks = metered.stats().ticks_last_call
        rows.append([name, f"{t_vec * 1e3:.2f}", f"{t_sca * 1e3:.2f}", f"{t_plain * 1e3:.2f}",
                     f"{t_plain / t_vec:.1f}x", f"{t_plain / t_sca:.1f}x",
                     f"{t_meter / t_sca:.1f}x", f"{ticks:,}"])
    table("Interpreter speed: wasm3 vs native gcc -O2 (same source, same host); ratio = "
          "wasm time / native time",
          ["kernel", "native ms", "scalar ms", "wasm ms", "vs native", "vs scalar",
           "metered vs scalar", "ticks/call"], rows)
    plain.close()
    metered.close()


def binding_overhead(calls: int = 200_000) -> None:
    module = Module.from_file(BUILD / "bench" / "kernels.wasm")
    wat_noop = Module(bytes(wasmtime.wat2wasm('(module (func (export "noop")))')))
    rows = []
    with Runtime(bench_board(0)).instantiate(wat_noop) as app:
        err = ffi.new("wa_error_t *")
        t_c = best_of(lambda: lib.wa_bench_call_loop(app._app, b"noop", calls, err), 3)
        t_py = best_of(lambda: [app.call("noop") for _ in range(calls // 10)], 3) * 10
        rows.append(["noop()", f"{t_c / calls * 1e9:.0f}", f"{t_py / calls * 1e9:.0f}",
                     f"{(t_py - t_c) / calls * 1e9:.0f}"])
    with Runtime(bench_board(0)).instantiate(module) as app:
        t_py = best_of(lambda: [app.call("bench_noop", 1) for _ in range(calls // 10)], 3) * 10
        rows.append(["bench_noop(1)", "-", f"{t_py / calls * 1e9:.0f}", "-"])
    table("Binding overhead per call (ns): C loop calling the runtime vs Python through cffi",
          ["export", "C loop", "Python", "binding cost"], rows)


class Quiet(Host):
    def log(self, stream: str, text: str) -> None:
        pass

    def telemetry(self, key: str, value: float) -> None:
        pass


def ram_use() -> None:
    rows = []
    for board_name in ("esp32", "nrf52840", "mps2-an386"):
        for example in ("sensor", "hello_wasi"):
            module = Module.from_file(BUILD / "examples" / f"{example}.wasm")
            with Runtime(board_name).instantiate(module, Quiet()) as app:
                entry = "_start" if module.export("_start") else "setup"
                app.call(entry)
                s = app.stats()
                rows.append([board_name, example, f"{module.info.size:,}", f"{s.linear_memory:,}",
                             f"{s.stack:,}", f"{s.heap_peak - s.linear_memory - s.stack:,}",
                             f"{s.heap_peak:,}", f"{s.heap_limit:,}"])
    table("RAM per app (bytes), host build (64-bit: compiled code lines are 8 bytes, 4 on a "
          "32-bit MCU): linear memory + operand stack + engine (compiled code, metadata)",
          ["board", "app", "module", "linear", "stack", "engine peak", "total peak", "budget"],
          rows)


def runtime_footprint() -> None:
    tool = runtime_size_tool()
    rows = []
    for cpu in ("cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33"):
        sizes = tool.measure(cpu)
        ours = sum(s.text for s in sizes if not s.third_party)
        engine = sum(s.text for s in sizes if s.third_party)
        static = sum(s.data + s.bss for s in sizes)
        rows.append([cpu, f"{ours:,}", f"{engine:,}", f"{ours + engine:,}", f"{static:,}"])
    table("Runtime footprint, arm-none-eabi-gcc -Os (code bytes; agent core and drivers not "
          "included)", ["cpu", "runtime (ours)", "wasm3", "total code", "static RAM"], rows)


def main() -> None:
    startup(table, BUILD)
    runtime_footprint()
    firmware_footprint(table)
    api_footprint(table)
    interpreter_speed()
    cold_start(table, BUILD)
    binding_overhead()
    ram_use()
    device_kernels()
    boot_timing()
    upload_goodput(table, BUILD)
    chaos_link(table)
    verdict_time(table, BUILD)
    dev_loop(table)
    module_ram(table, BUILD)
    app_ram(table, BUILD)
    flash_ops(table, BUILD)
    mqtt_deploy(table, BUILD)
    telemetry_rate(table, BUILD)
    timers(table, BUILD)
    messages(table, BUILD)
    storage(table)
    fleet_rollout(table, BUILD)
    app_build(table)


if __name__ == "__main__":
    main()
