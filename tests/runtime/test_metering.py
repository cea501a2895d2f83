"""The CPU budget through the metering rewrite: what a tick is (one loop
iteration or one call), exactly, at the edges of the budget and past the
engine's refills of its fuel counter (docs/architecture.md, "CPU budget")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import wasmtime

from wamr_agent.agent_err import AgentErr
from wamr_agent.boards import load_board
from wamr_agent.errors import CpuBudgetExceeded
from wamr_agent.pywamr import Module, Runtime
from wamr_agent.pywamr._loader import ffi, lib

BOARD = "nrf52840"
LIMIT = 64  # WA_MAX_NESTING

# spin(n): a loop whose back edge is a br_if, n rounds.
SPIN = """(func (export "spin") (param $n i32) (result i32) (local $i i32)
  (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $i))"""

# nested(o, i): o rounds of an outer loop, each running an inner loop i rounds
# (a `br` back edge inside a block): 1 + o + o*i ticks.
NESTED = """(func (export "nested") (param $o i32) (param $i i32) (result i32)
  (local $a i32) (local $b i32) (local $sum i32)
  (loop $outer
    (local.set $b (i32.const 0))
    (block $done (loop $inner
      (local.set $sum (i32.add (local.get $sum) (i32.const 1)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $done (i32.ge_u (local.get $b) (local.get $i)))
      (br $inner)))
    (local.set $a (i32.add (local.get $a) (i32.const 1)))
    (br_if $outer (i32.lt_u (local.get $a) (local.get $o))))
  (local.get $sum))"""

# down(n): recursion n deep, no loops: n + 1 calls.
DOWN = """(func $down (export "down") (param $n i32) (result i32)
  (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
    (else (i32.add (i32.const 1) (call $down (i32.sub (local.get $n) (i32.const 1)))))))"""

# calls(n): a loop of n rounds, each calling spin(2): 1 + n * (1 + 1 + 2) ticks.
CALLS = """(func (export "calls") (param $n i32) (result i32) (local $i i32) (local $s i32)
  (loop $l
    (local.set $s (i32.add (local.get $s) (call 0 (i32.const 2))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $s))"""

# The app's own mutable global, which the rewrite's fuel global must not touch.
COUNTER = """(global $count (mut i32) (i32.const 7))
(func (export "count") (param $n i32) (result i32) (local $i i32)
  (loop $l (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
  (global.get $count))"""

# Loops that call no wasm function spend a local counter, stored back to the
# fuel global on every way out of the loop: a return, a br_table, a br_if to
# an enclosing block, a br_if to the function's label (with a value), the
# loop's end.
FIND = """(func (export "find") (param $n i32) (result i32) (local $i i32)
  (loop $l
    (if (i32.eq (local.get $i) (local.get $n)) (then (return (local.get $i))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $l))
  (unreachable))"""
TABLE = """(func (export "table") (param $n i32) (result i32) (local $i i32)
  (block $out (loop $l
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_table $l $out (i32.ge_u (local.get $i) (local.get $n)))))
  (local.get $i))"""
EXIT = """(func (export "exit") (param $n i32) (result i32) (local $i i32)
  (block $out (loop $l
    (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $l)))
  (local.get $i))"""
LEAVE = """(func (export "leave") (param $n i32) (result i32) (local $i i32)
  (loop $l
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (drop (br_if 1 (local.get $i) (i32.ge_u (local.get $i) (local.get $n))))
    (br $l))
  (unreachable))"""

# mixed(o, i): an outer loop that calls down(1) (2 ticks) and runs an inner loop
# without calls i rounds: 1 + o * (1 + 2 + i) ticks.
MIXED = """(func (export "mixed") (param $o i32) (param $i i32) (result i32)
  (local $a i32) (local $b i32) (local $s i32)
  (loop $outer
    (local.set $s (i32.add (local.get $s) (call $down (i32.const 1))))
    (local.set $b (i32.const 0))
    (loop $inner
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $inner (i32.lt_u (local.get $b) (local.get $i))))
    (local.set $a (i32.add (local.get $a) (i32.const 1)))
    (br_if $outer (i32.lt_u (local.get $a) (local.get $o))))
  (i32.add (local.get $s) (local.get $b)))"""

MODULE = bytes(wasmtime.wat2wasm(
    f"(module {SPIN} {NESTED} {DOWN} {CALLS} {COUNTER} {FIND} {TABLE} {EXIT} {LEAVE} {MIXED})"))


def app(cpu_ticks: int | None = None) -> Any:
    """On a 16 KiB operand stack: "down" recurses 500 calls deep before the budget stops it."""
    board = load_board(BOARD)
    deep = replace(board, budget=replace(board.budget, stack_bytes=16384))
    return Runtime(deep, cpu_ticks=cpu_ticks).instantiate(Module(MODULE, name="meter"))


def ticks(instance: Any, name: str, *args: int) -> int:
    instance.call(name, *args)
    return int(instance.stats().ticks_last_call)


def test_a_tick_is_a_call_or_a_loop_round() -> None:
    with app() as a:
        assert ticks(a, "spin", 1) == 2
        assert ticks(a, "spin", 1000) == 1001
        assert ticks(a, "nested", 3, 5) == 1 + 3 + 3 * 5
        assert ticks(a, "down", 10) == 11
        assert ticks(a, "calls", 4) == 1 + 4 * (1 + 1 + 2)
        assert a.call("count", 5) == 12
        assert ticks(a, "count", 5) == 6
        assert ticks(a, "mixed", 3, 4) == 1 + 3 * (1 + 2 + 4)


@pytest.mark.parametrize(("name", "n", "expect"), [
    ("find", 7, 1 + 8), ("table", 7, 1 + 7), ("exit", 7, 1 + 8), ("leave", 7, 1 + 7)])
def test_every_way_out_of_a_loop_keeps_its_ticks(name: str, n: int, expect: int) -> None:
    with app() as a:
        assert a.call(name, n) == n
        assert a.stats().ticks_last_call == expect
    with app(cpu_ticks=expect - 1) as a, pytest.raises(CpuBudgetExceeded):
        a.call(name, n)


@pytest.mark.parametrize("name", ["spin", "count"])
def test_the_budget_is_exact_in_a_tight_loop(name: str) -> None:
    """Budget 1000: 999 rounds and the call take all of it; one more round traps."""
    with app(cpu_ticks=1000) as a:
        assert ticks(a, name, 999) == 1000
        with pytest.raises(CpuBudgetExceeded) as info:
            a.call(name, 1000)
        assert info.value.code == AgentErr.TRAP_CPU_BUDGET
        assert str(info.value).startswith(f"{name}: CPU budget of 1000 ticks exhausted")
        assert a.stats().ticks_last_call == 1000
        assert ticks(a, name, 10) == 11  # the next call has the whole budget again


def test_nested_loops_and_recursion_stop_at_the_budget() -> None:
    with app(cpu_ticks=500) as a:
        assert ticks(a, "nested", 20, 23) == 1 + 20 + 20 * 23  # 481
        with pytest.raises(CpuBudgetExceeded):
            a.call("nested", 1000, 1000)
        assert ticks(a, "down", 499) == 500
        with pytest.raises(CpuBudgetExceeded):
            a.call("down", 500)
        assert a.stats().ticks_last_call == 500
        with pytest.raises(CpuBudgetExceeded):
            a.call("calls", 1000)
        assert ticks(a, "mixed", 10, 46) == 1 + 10 * (1 + 2 + 46)  # 491
        with pytest.raises(CpuBudgetExceeded):
            a.call("mixed", 10, 47)
        assert a.stats().ticks_last_call == 500


def test_ticks_stay_exact_across_refills_of_the_counter() -> None:
    """The engine hands the counter out in slices of 2**20 ticks: these calls
    need three, and the trap comes at the last tick of a budget of 3 slices."""
    budget = 3 * 2**20 + 5
    with app(cpu_ticks=budget) as a:
        assert ticks(a, "spin", 3 * 2**20) == 3 * 2**20 + 1
        assert ticks(a, "calls", 2**19) == 1 + 2**19 * 4
        assert ticks(a, "spin", budget - 1) == budget
        with pytest.raises(CpuBudgetExceeded):
            a.call("spin", budget)
        assert a.stats().ticks_last_call == budget


def test_without_a_budget_the_module_runs_unmetered() -> None:
    """cpu_ticks 0: no rewrite, the module is read in place and only calls
    count (the loop's rounds do not)."""
    with app(cpu_ticks=0) as a:
        assert a.call("spin", 5_000_000) == 5_000_000
        assert a.stats().ticks_last_call == 1
        assert ticks(a, "down", 10) == 11
        assert a.stats().module_bytes == len(MODULE)


def meter(data: bytes) -> bytes:
    size = ffi.new("uint32_t *")
    msg = ffi.new("char[200]")
    assert lib.wa_wasm_meter_size(data, len(data), size, msg, 200) == 0
    out = ffi.new("uint8_t[]", size[0])
    assert lib.wa_wasm_meter(data, len(data), out, size[0], size, ffi.NULL, msg, 200) == 0
    return bytes(ffi.buffer(out, size[0]))


def spin_in_place(image: bytes, rounds: int) -> tuple[int, int, int]:
    """Loads a metered image as the device does (in place, budget 1000),
    calls spin(rounds): (rc, ticks_last_call, module_ram_bytes)."""
    rt = Runtime(BOARD, cpu_ticks=1000)
    ops = ffi.new("wa_host_ops_t *")
    err = ffi.new("wa_error_t *")
    handle = lib.wa_app_load_metered(rt.budget, 0, ops, image, len(image), err)
    assert handle != ffi.NULL, ffi.string(err.message)
    try:
        stats = ffi.new("wa_stats_t *")
        arg = ffi.new("wa_value_t *", {"type": b"i", "of": {"i32": rounds}})
        res = ffi.new("wa_value_t *")
        n = ffi.new("uint32_t *")
        rc = lib.wa_app_call(handle, b"spin", arg, 1, res, 1, n, err)
        lib.wa_app_stats(handle, stats)
        assert rc != 0 or res.of.i32 == rounds
        return rc, stats.ticks_last_call, stats.module_ram_bytes
    finally:
        lib.wa_app_free(handle)


def test_a_metered_image_runs_in_place_with_the_same_ticks() -> None:
    """The device's path: the image metered at install, loaded as it is."""
    image = meter(MODULE)
    assert spin_in_place(image, 999) == (0, 1000, 0)
    assert spin_in_place(image, 1000)[:2] == (AgentErr.TRAP_CPU_BUDGET, 1000)


@pytest.mark.parametrize("deepest", [LIMIT - 1, LIMIT])
def test_a_loop_at_the_nesting_limit_is_metered_within_it(deepest: int) -> None:
    """The check's block would nest one deeper than a loop at WA_MAX_NESTING:
    that loop's rounds call the tick function instead. Its metered image still
    validates (as an installed image must), and counts the same."""
    blocks = "(block " * (deepest - 1)
    spin = SPIN.replace("(loop $l", blocks + "(loop $l").replace(
        "(local.get $i))", ")" * (deepest - 1) + " (local.get $i))")
    image = meter(bytes(wasmtime.wat2wasm(f"(module {spin})")))
    msg = ffi.new("char[200]")
    assert lib.wa_wasm_validate(image, len(image), msg, 200) == 0, ffi.string(msg)
    assert spin_in_place(image, 999) == (0, 1000, 0)
    assert spin_in_place(image, 1000)[:2] == (AgentErr.TRAP_CPU_BUDGET, 1000)


NATIVE_LOOP = bytes(wasmtime.wat2wasm("""(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (func $g (result i32) i32.const 0)
  (func (export "run") (param $n i32) (param $stop i32) (result i32) (local $i i32)
    (block $out
      (loop $l
        (drop (call $log (i32.const 0) (i32.const 0)))
        (br_if $out (local.get $stop))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
    (call $g))
  (func (export "spin") (param $i i32) (result i32) (local.get $i)))"""))


def rewritten_ticks(image: bytes, n: int, stop: int) -> int:
    """ticks_last_call of run(n, stop) on a metered image (its checks count in wasm)."""
    rt = Runtime(BOARD)
    ops = ffi.new("wa_host_ops_t *")
    err = ffi.new("wa_error_t *")
    handle = lib.wa_app_load_metered(rt.budget, lib.WA_CAP_ALL, ops, image, len(image), err)
    assert handle != ffi.NULL, ffi.string(err.message)
    try:
        args = ffi.new("wa_value_t[2]", [{"type": b"i", "of": {"i32": n}},
                                         {"type": b"i", "of": {"i32": stop}}])
        res, count, stats = ffi.new("wa_value_t *"), ffi.new("uint32_t *"), ffi.new("wa_stats_t *")
        assert lib.wa_app_call(handle, b"run", args, 2, res, 1, count, err) == 0
        lib.wa_app_stats(handle, stats)
        return int(stats.ticks_last_call)
    finally:
        lib.wa_app_free(handle)


@pytest.mark.parametrize(("n", "stop", "expect"), [
    (20, 0, 1 + 20 * 2 + 1), (20, 1, 1 + 1 * 2 + 1), (1, 0, 1 + 2 + 1)])
def test_a_call_of_a_native_in_a_loop_is_a_tick_read_in_place_or_rewritten(
        n: int, stop: int, expect: int) -> None:
    """A call of an imported function spends a tick as any call, in a loop too:
    the engine counting the rounds of the module read in place, and the rewrite's
    checks (what AOT code is compiled from) alike. Before, the rewrite counted such
    a loop in a local, and storing it back lost the calls' ticks (run(20, 0): 22)."""
    with Runtime(BOARD).instantiate(Module(NATIVE_LOOP, name="native_loop")) as a:
        a.call("run", n, stop)
        assert a.stats().ticks_last_call == expect
        assert a.stats().module_ram == 0  # read in place: no copy, no rewrite
    assert rewritten_ticks(meter(NATIVE_LOOP), n, stop) == expect
