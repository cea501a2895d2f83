"""The engine-neutral C reader and the CPU-metering rewrite.

The rewrite must keep every module valid (checked with Wasmtime), and the
reader must survive arbitrary bytes (hypothesis mutates real modules)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BUILD, WAT_DIR, need
from wamr_agent.pywamr import Module
from wamr_agent.pywamr._loader import ffi, lib
from wamr_agent.wasmfile import engine

Wat = Callable[[str], bytes]
Example = Callable[[str], Path]
FIXTURES = sorted(p.stem for p in WAT_DIR.glob("*.wat"))


def meter(data: bytes) -> tuple[int, bytes, int]:
    size = ffi.new("uint32_t *")
    msg = ffi.new("char[200]")
    rc = lib.wa_wasm_meter_size(data, len(data), size, msg, 200)
    if rc != 0:
        return rc, b"", 0
    out = ffi.new("uint8_t[]", max(1, size[0]))
    out_len = ffi.new("uint32_t *")
    tick = ffi.new("uint32_t *")
    rc = lib.wa_wasm_meter(data, len(data), out, size[0], out_len, tick, msg, 200)
    assert out_len[0] == size[0] or rc != 0
    return rc, bytes(ffi.buffer(out, out_len[0])), tick[0]


@pytest.mark.parametrize("name", FIXTURES)
def test_metered_fixture_still_validates(wat: Wat, name: str) -> None:
    data = wat(name)
    rc, out, _ = meter(data)
    assert rc == 0
    wasmtime.Module.validate(engine(), out)
    # meter_loops uses bulk-memory and reference-type ops the device refuses
    # (the rewriter must still skip them): read both without the device's checks
    assert Module(out, validate=False).info.loops == Module(data, validate=False).info.loops


@pytest.mark.parametrize("name", ["sensor", "hello_wasi"])
def test_metered_example_validates_and_adds_one_function(example: Example, name: str) -> None:
    data = example(name).read_bytes()
    rc, out, tick = meter(data)
    assert rc == 0
    wasmtime.Module.validate(engine(), out)
    before, after = Module(data).info, Module(out).info
    assert after.functions == before.functions + 1
    func_imports = sum(1 for i in before.imports if i.kind == "func")
    assert tick == func_imports + before.functions
    assert len(out) >= len(data) + 2 * before.loops


def meter_into(data: bytes, cap: int | None = None) -> tuple[int, bytes]:
    """The runtime's one-pass rewrite, into a buffer of the bound + room (or cap)."""
    summary = ffi.new("wa_wasm_summary_t *")
    msg = ffi.new("char[200]")
    if cap is None:
        lib.wa_wasm_summarize(data, len(data), summary, msg, 200)
        cap = lib.wa_wasm_meter_bound(len(data), summary) + lib.WA_WASM_METER_ROOM
    out = ffi.new("uint8_t[]", max(1, cap))
    out_len = ffi.new("uint32_t *")
    rc = lib.wa_wasm_meter_into(data, len(data), out, cap, out_len, msg, 200)
    return rc, bytes(ffi.buffer(out, out_len[0])) if rc == 0 else b""


def one_pass_matches(data: bytes) -> bytes:
    """wa_wasm_meter_into writes the bytes wa_wasm_meter writes, and refuses a
    buffer one byte short of them."""
    rc, out, _ = meter(data)
    assert rc == 0
    assert meter_into(data) == (0, out)
    assert meter_into(data, len(out) - 1)[0] == lib.WA_ERR_TOO_LARGE
    return out


@pytest.mark.parametrize("name", FIXTURES)
def test_one_pass_rewrite_of_each_fixture_is_the_same(wat: Wat, name: str) -> None:
    one_pass_matches(wat(name))


@pytest.mark.parametrize("name", ["examples/sensor", "examples/hello_wasi", "examples/thermostat",
                                  "bench/kernels"])
def test_one_pass_rewrite_of_each_example_is_the_same(name: str) -> None:
    path = BUILD / f"{name}.wasm"
    need(path.exists(), str(path), "run `make examples`")
    one_pass_matches(path.read_bytes())


def test_one_pass_rewrite_of_many_local_groups_and_long_bodies() -> None:
    """Bodies whose locals and code need multi-byte sizes, with and without a
    loop (the counter's local group), and a code section over 16 KiB."""
    groups = " ".join(f"(local i{32 if i % 2 else 64})" for i in range(200))
    pad = " ".join("(drop (i32.const 1000000))" for _ in range(3000))
    data = bytes(wasmtime.wat2wasm(f"""(module
      (func (export "a") {groups} (loop $l (br_if $l (i32.const 0))) {pad})
      (func (export "b") {groups} {pad})
      (func (export "c") (local i32) (block (loop (br 1)))))"""))
    out = one_pass_matches(data)
    wasmtime.Module.validate(engine(), out)


def summary_of(data: bytes) -> Any:
    summary = ffi.new("wa_wasm_summary_t *")
    msg = ffi.new("char[200]")
    assert lib.wa_wasm_summarize(data, len(data), summary, msg, 200) == 0, ffi.string(msg)
    return summary


@pytest.mark.parametrize("name", ["examples/sensor", "examples/hello_wasi", "bench/kernels",
                                  "bench/coremark_like"])
def test_metering_adds_the_fuel_global_last(name: str) -> None:
    """One mutable i32 global after the module's own (so the first, clang's
    stack pointer, stays first) and a fuel check of 16 bytes or more per loop,
    within the bound the runtime sizes its buffer with."""
    path = BUILD / f"{name}.wasm"
    need(path.exists(), str(path), "run `make examples`")
    data = path.read_bytes()
    rc, out, _ = meter(data)
    assert rc == 0
    before, after = summary_of(data), summary_of(out)
    assert after.num_globals == before.num_globals + 1
    assert after.stack_top == before.stack_top
    assert after.num_loops == before.num_loops > 0
    bound = lib.wa_wasm_meter_bound(len(data), before)
    assert len(data) + 16 * before.num_loops <= len(out) <= bound


def test_summary_of_the_sensor_example(example: Example) -> None:
    info = Module.from_file(example("sensor")).info
    assert info.has_memory and info.initial_pages == 1
    assert {(i.module, i.name) for i in info.imports} >= {("wamr_agent", "sensor_read")}
    sigs = {e.name: e.sig for e in info.exports if e.kind == "func"}
    assert sigs["loop"] == "i()"
    assert 0 < info.static_memory_bytes <= 65536


def test_imports_carry_signatures(wat: Wat) -> None:
    info = Module(wat("imports_sensor")).info
    assert [(i.module, i.name, i.sig) for i in info.imports] == [
        ("wamr_agent", "sensor_read", "i(ii)"), ("wamr_agent", "log", "i(ii)")]


def summarize(data: bytes) -> int:
    summary = ffi.new("wa_wasm_summary_t *")
    msg = ffi.new("char[200]")
    rc: int = lib.wa_wasm_summarize(data, len(data), summary, msg, 200)
    return rc


def section_ends(data: bytes) -> set[int]:
    """Offsets where a section ends: a cut there may leave a well-formed module
    (or one the reader rejects for a missing section, e.g. functions without code)."""
    ends, pos = {8}, 8
    while pos < len(data):
        pos += 1
        size, shift = 0, 0
        while True:
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        pos += size
        ends.add(pos)
    return ends


def test_every_truncation_is_reported_malformed(example: Example) -> None:
    data = example("sensor").read_bytes()
    ends = section_ends(data)
    assert len(ends) > 5
    for cut in range(len(data)):
        rc = summarize(data[:cut])
        if cut in ends:
            assert rc in (0, lib.WA_ERR_MALFORMED), cut
        else:
            assert rc == lib.WA_ERR_MALFORMED, cut
            assert meter(data[:cut])[0] != 0, cut
    assert summarize(data[:8]) == 0, "the empty module is well-formed"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_modules_never_crash_the_reader(data: st.DataObject) -> None:
    base = bytes(wasmtime.wat2wasm((WAT_DIR / "busy_calls.wat").read_text()))
    mutated = bytearray(base)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(mutated) - 1))
        mutated[pos] = data.draw(st.integers(0, 255))
    blob = bytes(mutated)
    summarize(blob)
    rc, out, _ = meter(blob)
    if summarize(blob) == 0:  # the one-pass rewrite fails where it fails, else agrees
        rc_into, out_into = meter_into(blob)
        assert (rc_into == 0) == (rc == 0)
        assert out_into == out
    if rc == 0 and summarize(blob) == 0:
        summarize(out)
