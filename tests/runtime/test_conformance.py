"""Conformance classes a run of the WebAssembly spec tests found (issue 10, part
10; docs/architecture.md "Conformance"), each checked here with modules of our
own, through the binding (the runtime's C code, as on the device):

- floats: a NaN's bits pass in and out of a call exactly (f32 too), and
  f*.floor/ceil/trunc/nearest quiet a signalling NaN (wa_fround.c).
"""

from __future__ import annotations

import math
import struct
from typing import Any

import pytest
import wasmtime

from tests.runtime.conformance_cases import QUIET, Case, cases, module_wat
from wamr_agent.pywamr import Host, Instance, Module, Runtime
from wamr_agent.pywamr.f32 import f32_bits_of_nan, float_from_f32_bits

CASES = cases()


def wat2wasm(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def instance(text: str, host: Host | None = None) -> Instance:
    return Runtime("esp32").instantiate(Module(wat2wasm(text)), host)


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]  # type: ignore[no-any-return]


def f32_bits(x: float) -> int:
    return f32_bits_of_nan(x) if math.isnan(x) else struct.unpack("<I", struct.pack("<f", x))[0]


class Lines(Host):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def log(self, stream: str, text: str) -> None:
        self.lines.append(text)


@pytest.fixture(scope="module")
def rounding() -> Any:
    with instance(module_wat(CASES)) as app:
        yield app


# ---- floats ------------------------------------------------------------------------

F32_NANS = [0x7FA00000, 0xFFA00000, 0x7F800001, 0x7FC00000, 0xFFC00001, 0x7FFFFFFF]


@pytest.mark.parametrize("bits", F32_NANS, ids=hex)
def test_an_f32_nan_passes_through_a_call_bit_for_bit(bits: int) -> None:
    app = instance('(module (func (export "id") (param f32) (result f32) local.get 0)'
                   ' (func (export "bits") (param f32) (result i32) local.get 0'
                   ' i32.reinterpret_f32)'
                   f' (func (export "const") (result f32) f32.const nan:{bits & 0x7FFFFF:#x}))')
    value = float_from_f32_bits(bits)
    assert f32_bits(app.call("id", value)) == bits
    assert app.call("bits", value) & 0xFFFFFFFF == bits
    assert f32_bits(app.call("const")) == bits & 0x7FFFFFFF


def test_an_f64_nan_passes_through_a_call_bit_for_bit() -> None:
    app = instance('(module (func (export "id") (param f64) (result f64) local.get 0))')
    for bits in (0x7FF4000000000000, 0xFFF0000000000001, 0x7FF8000000000001):
        value = struct.unpack("<d", struct.pack("<Q", bits))[0]
        assert f64_bits(app.call("id", value)) == bits


def test_f32_bits_widen_and_narrow_nans_without_quieting_them() -> None:
    for bits in F32_NANS:
        assert f32_bits_of_nan(float_from_f32_bits(bits)) == bits
    assert f32_bits_of_nan(struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000001))[0]) \
        == 0x7FC00000  # a payload below the f32's bits: the quiet NaN
    assert float_from_f32_bits(0x3FC00000) == 1.5


@pytest.mark.xfail(strict=True, reason="wasm3 holds an f32 result in a double register; "
                   "the conversion quiets a signalling NaN (docs/architecture.md, Conformance)")
def test_f32_neg_keeps_a_signalling_nan() -> None:
    app = instance('(module (func (export "neg") (param i32) (result i32) local.get 0'
                   " f32.reinterpret_i32 f32.neg i32.reinterpret_f32))")
    assert app.call("neg", 0x7FA00000) & 0xFFFFFFFF == 0xFFA00000


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_rounding(rounding: Instance, case: Case) -> None:
    arg = case.bits - (1 << case.width) if case.bits >> (case.width - 1) else case.bits
    got = rounding.call(f"{case.op}{case.width}", arg) & ((1 << case.width) - 1)
    if case.want is QUIET:
        quiet = 0x7FF8000000000000 if case.width == 64 else 0x7FC00000
        assert got & quiet == quiet, f"{case.name} = {got:#x}, not a quiet NaN"
    else:
        assert got == case.want, f"{case.name} = {got:#x}, want {case.want:#x}"


def test_the_rounding_module_logs_no_failure() -> None:
    host = Lines()
    with instance(module_wat(CASES), host) as app:
        app.call("setup")
    assert host.lines == ["rounding done"]
