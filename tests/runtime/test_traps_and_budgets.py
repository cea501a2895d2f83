"""Traps, CPU and memory budgets, through the real runtime (cffi)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import wasmtime

from wamr_agent import wasmfile
from wamr_agent.agent_err import AgentErr
from wamr_agent.boards import load_board
from wamr_agent.errors import CpuBudgetExceeded, FitError, LoadError, Trap
from wamr_agent.pywamr import Module, Runtime

Wat = Callable[[str], bytes]


def instance(wat: Wat, name: str, board: str = "nrf52840", **kw: object):  # type: ignore[no-untyped-def]
    return Runtime(board, **kw).instantiate(Module(wat(name), name=name))  # type: ignore[arg-type]


@pytest.mark.parametrize(("fixture", "args", "code", "text"), [
    ("trap_unreachable", (), AgentErr.TRAP_UNREACHABLE, "unreachable"),
    ("trap_div_zero", (0,), AgentErr.TRAP_DIV_BY_ZERO, "divide by zero"),
    ("trap_oob", (), AgentErr.TRAP_OUT_OF_BOUNDS, "out of bounds"),
    ("recursion", (), AgentErr.TRAP_STACK_OVERFLOW, "stack overflow"),
])
def test_trap_has_code_and_engine_message(wat: Wat, fixture: str, args: tuple[int, ...],
                                          code: AgentErr, text: str) -> None:
    with instance(wat, fixture) as app:
        with pytest.raises(Trap) as info:
            app.call("run", *args)
        assert info.value.code == code
        assert text in str(info.value)
        assert "\n" not in str(info.value)
        assert app.stats().traps == 1


def test_a_trap_names_no_function_even_with_a_name_section(wat: Wat) -> None:
    """wasm3 records no backtrace in any build (wa_engine_wasm3.flags), so the
    " in function 'NAME'" suffix never appears: the message is the one AOT code
    gives, which knows no function names (docs/aot.md, "Trap mapping")."""
    module = wat("trap_oob")
    assert any(name == "name" for *_, name in wasmfile.sections(module))  # $load_far
    with (Runtime("nrf52840").instantiate(Module(module, name="trap_oob")) as app,
          pytest.raises(Trap) as info):
        app.call("run")
    assert str(info.value) == "run: [trap] out of bounds memory access"


def test_trap_names_the_called_export(wat: Wat) -> None:
    with instance(wat, "trap_unreachable") as app, pytest.raises(Trap) as info:
        app.call("run")
    assert str(info.value).startswith("run: ")


def test_instance_keeps_running_after_a_trap(wat: Wat) -> None:
    with instance(wat, "trap_div_zero") as app:
        with pytest.raises(Trap):
            app.call("run", 0)
        assert app.call("run", 5) == 20


@pytest.mark.parametrize("fixture", ["infinite_loop", "busy_calls"])
def test_cpu_budget_stops_endless_code(wat: Wat, fixture: str) -> None:
    with instance(wat, fixture, cpu_ticks=200_000) as app:
        with pytest.raises(CpuBudgetExceeded) as info:
            app.call("run")
        assert info.value.code == AgentErr.TRAP_CPU_BUDGET
        assert "200000 ticks" in str(info.value)
        assert app.stats().ticks_last_call == 200_000


def test_loop_without_calls_is_metered(wat: Wat) -> None:
    """Without metering the engine would only count calls; the loop in
    infinite_loop.wat has none, so stopping it proves the rewrite works."""
    module = Module(wat("infinite_loop"))
    assert module.info.loops == 1
    with Runtime("nrf52840", cpu_ticks=1000).instantiate(module) as app, \
            pytest.raises(CpuBudgetExceeded):
        app.call("run")


SPIN = """(module (func (export "spin") (param $n i32) (result i32) (local $i i32)
  (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $i)))"""


def test_ticks_count_work(wat: Wat) -> None:
    """A call is one tick and every round of a loop one more: with metering off the
    loop's rounds would not count (and a bound like ``<= 2`` would hold for 0)."""
    with instance(wat, "add") as app:
        app.call("add", 1, 2)
        assert app.stats().ticks_last_call == 1
    spin = Module(bytes(wasmtime.wat2wasm(SPIN)), name="spin")
    with Runtime("nrf52840").instantiate(spin) as app:
        for rounds in (1, 7, 1000):
            assert app.call("spin", rounds) == rounds
            assert app.stats().ticks_last_call == 1 + rounds


def test_module_needing_more_memory_than_board_is_refused(wat: Wat) -> None:
    with pytest.raises(FitError) as info:
        instance(wat, "big_memory")
    assert info.value.code == AgentErr.MEMORY_BUDGET
    assert "8 pages (512 KiB)" in str(info.value)


def test_memory_grow_beyond_budget_returns_minus_one(wat: Wat) -> None:
    with instance(wat, "grow_memory", board="nrf52840") as app:
        budget_pages = app.runtime.board.budget.linear_memory_bytes // 65536
        assert app.call("grow", budget_pages - 1) == 1
        assert app.call("grow", 1) == -1
        assert app.stats().linear_memory == budget_pages * 65536


@pytest.mark.parametrize("delta", [-1, -2, 0x7FFFFFFF + 1])
def test_memory_grow_by_a_negative_count_returns_minus_one(wat: Wat, delta: int) -> None:
    """memory.grow takes its page count unsigned: -1 asks for 2^32 - 1 more
    pages, which no memory has, so the answer is -1 and the memory stays as it
    was. wasm3 alone adds the count in 32 bits and shrinks the memory instead
    (docs/architecture.md, "Memory")."""
    with instance(wat, "grow_memory", board="esp32") as app:  # a budget of 3 pages
        assert app.call("grow", 1) == 1
        assert app.call("grow", delta) == -1
        assert app.call("size") == 2
        assert app.stats().linear_memory == 2 * 65536
        assert app.call("grow", 1) == 2


def test_engine_heap_budget_is_enforced(example: Callable[[str], Path]) -> None:
    """printf pulls in ~15 KiB of code, whose compiled form needs far more than
    an 8 KiB engine heap; the load must fail cleanly, not overrun."""
    board = load_board("nrf52840")
    tiny = replace(board, budget=replace(board.budget, heap_bytes=8192,
                                         linear_memory_bytes=65536))
    with pytest.raises(LoadError) as info:
        Runtime(tiny).instantiate(Module.from_file(example("hello_wasi")))
    assert info.value.code == AgentErr.NO_MEMORY
    assert "engine" in str(info.value)


def test_stats_account_for_memory(wat: Wat) -> None:
    with instance(wat, "grow_memory") as app:
        s = app.stats()
        assert s.linear_memory == 65536
        assert s.heap_used >= s.linear_memory + s.stack
        assert s.heap_peak >= s.heap_used
        assert s.heap_peak <= s.heap_limit
        assert s.engine_overhead > 0


SIMD = '(module (func (export "run") (result i32) v128.const i32x4 1 2 3 4 i32x4.extract_lane 0))'


def test_simd_is_refused_by_validator_and_by_the_runtime_itself() -> None:
    """Defence in depth: the host validator refuses SIMD, and so does the
    runtime's own reader when a module reaches it unvalidated (as on a device)."""
    import wasmtime

    from wamr_agent.errors import ValidationError

    data = bytes(wasmtime.wat2wasm(SIMD))
    with pytest.raises(ValidationError):
        Module(data)
    with pytest.raises(FitError) as info:
        Module(data, validate=False)
    assert info.value.code == AgentErr.NOT_SUPPORTED
    assert str(info.value).startswith("unsupported module: ")
    assert "0xfd" in str(info.value)


def test_a_failed_load_leaves_no_engine_memory_behind(wat: Wat) -> None:
    """wasm3 loses a code page when compiling fails inside an `else` block; the
    runtime frees it with the app, so 50 failed loads hold no more than one."""
    module = Module(wat("compile_fails_in_else"), validate=False)
    runtime = Runtime("mps2-an386")
    before = Runtime.engine_heap_live()
    for _ in range(50):
        with pytest.raises(LoadError, match="could not compile the module"):
            runtime.instantiate(module)
    assert Runtime.engine_heap_live() == before
