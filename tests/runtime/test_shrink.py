"""Linear memory shrinking (wa_runtime.h): a module that cannot grow its memory
and exports __heap_base gets only the bytes below it; past them it traps as any
out-of-bounds access does. Everything else keeps its pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime

from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import Trap
from wamr_agent.pywamr import Module, Runtime

Wat = Callable[[str], bytes]
SHRUNK = 4112  # max(__heap_base 4096, data end 4100), rounded up to 16


def test_access_past_the_shrunk_end_traps_as_out_of_bounds(wat: Wat) -> None:
    module = Module(wat("shrink_memory"))
    assert (module.info.linear_memory, module.info.shrunk) == (SHRUNK, True)
    with Runtime("nrf52840").instantiate(module) as app:
        assert app.stats().linear_memory == SHRUNK
        assert app.call("peek", SHRUNK - 4) == 0
        with pytest.raises(Trap) as info:
            app.call("peek", SHRUNK)
        assert info.value.code == AgentErr.TRAP_OUT_OF_BOUNDS
        assert "out of bounds memory access" in str(info.value)
        assert app.call("log", SHRUNK - 8, 8) == 0
        with pytest.raises(Trap) as info:
            app.call("log", SHRUNK - 8, 9)  # a native checks pointers against the shrunk end
        assert f"outside linear memory ({SHRUNK} bytes)" in str(info.value)


@pytest.mark.parametrize(("change", "note"), [
    ("(func (export \"size\") (result i32) memory.size)", "memory.size or memory.grow"),
    ("(func (export \"grow\") (result i32) i32.const 0 memory.grow)", "memory.size or memory.grow"),
])
def test_a_module_that_reads_or_grows_its_memory_keeps_its_page(wat: Wat, change: str,
                                                                note: str) -> None:
    text = (Path(__file__).parents[1] / "fixtures" / "wat" / "shrink_memory.wat").read_text()
    module = Module(bytes(wasmtime.wat2wasm(text.rstrip().removesuffix(")") + change + ")")))
    assert (module.info.linear_memory, module.info.shrunk) == (65536, False)
    assert note in module.info.shrink_note
    with Runtime("nrf52840").instantiate(module) as app:
        assert app.call("peek", SHRUNK) == 0
        assert app.stats().linear_memory == 65536


def test_without_heap_base_nothing_is_shrunk(wat: Wat) -> None:
    info = Module(wat("trap_oob")).info
    assert (info.linear_memory, info.shrunk) == (65536, False)
    assert "__heap_base" in info.shrink_note


def test_every_example_is_shrunk(example: Callable[[str], Path]) -> None:
    """The Makefile links every example with a small stack and exports __heap_base."""
    for name in ("sensor", "hello_wasi", "thermostat"):
        info = Module.from_file(example(name)).info
        assert info.shrunk, (name, info.shrink_note)
        assert info.linear_memory == -(-max(info.heap_base, info.data_end) // 16) * 16
