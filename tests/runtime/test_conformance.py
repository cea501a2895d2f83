"""Conformance classes a run of the WebAssembly spec tests found (issue 10, part
10; docs/architecture.md "Conformance"), each checked here with modules of our
own, through the binding (the runtime's C code, as on the device):

- floats: a NaN's bits pass in and out of a call exactly (f32 too), and
  f*.floor/ceil/trunc/nearest quiet a signalling NaN (wa_fround.c);
- an export whose name holds a NUL is called by its whole name;
- a signature longer than the reader's buffer is reported in full, and refused
  clearly by the runtime, never taken for one with no parameters;
- an active element segment past the end of its table is an instantiation
  error, not a table that grows; a data segment past the memory's end too.
"""

from __future__ import annotations

import itertools
import math
import struct
from typing import Any

import pytest
import wasmtime

from tests.runtime.conformance_cases import QUIET, Case, cases, module_wat
from tests.runtime.hosts import Lines
from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import CallError, LoadError, ValidationError
from wamr_agent.pywamr import Host, Instance, Module, Runtime
from wamr_agent.pywamr._loader import ffi, lib
from wamr_agent.pywamr.f32 import f32_bits_of_nan, float_from_f32_bits
from wamr_agent.pywamr.module import device_verdict

CASES = cases()


def wat2wasm(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def instance(text: str, host: Host | None = None) -> Instance:
    return Runtime("esp32").instantiate(Module(wat2wasm(text)), host)


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]  # type: ignore[no-any-return]


def f32_bits(x: float) -> int:
    return f32_bits_of_nan(x) if math.isnan(x) else struct.unpack("<I", struct.pack("<f", x))[0]


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


# ---- export names ------------------------------------------------------------------

def test_an_export_name_holding_a_nul_is_called_by_its_whole_name() -> None:
    app = instance('(module (func (export "\\00\\01") (result i32) i32.const 1)'
                   ' (func (export "") (result i32) i32.const 2)'
                   ' (func (export "a\\00b") (result i32) i32.const 3)'
                   ' (func (export "a") (result i32) i32.const 4))')
    assert [app.call(n) for n in ("\x00\x01", "", "a\x00b", "a")] == [1, 2, 3, 4]


def test_an_export_is_called_not_a_function_of_the_same_debug_name() -> None:
    # $a (not exported) gets the name "a" from the name section, before the export "a"
    app = instance('(module (func $a (result i32) i32.const 1)'
                   ' (func (export "a") (result i32) i32.const 2))')
    assert app.call("a") == 2


def test_the_runtime_compares_export_names_with_their_length() -> None:
    app = instance('(module (func (export "a\\00b") (result i32) i32.const 3))')
    err = ffi.new("wa_error_t *")
    nres = ffi.new("uint32_t *")
    results = ffi.new("wa_value_t[]", 8)
    rc = lib.wa_app_call_export(app._app, b"a", 1, ffi.NULL, 0, results, 8, nres, err)
    assert rc == lib.WA_ERR_NO_EXPORT
    assert lib.wa_app_call_export(app._app, b"a\x00b", 3, ffi.NULL, 0, results, 8, nres, err) == 0
    assert results[0].of.i32 == 3


# ---- long signatures ---------------------------------------------------------------

LONG = '(module (func (export "long") (param {}) (result i32) local.get 0))'.format(
    " ".join(["i32"] * 40))
MAX = ('(module (func (export "max") (param {} i64) (result {} f64) {} local.get 15'
       " f64.convert_i64_s))").format(" ".join(["i32"] * 15), " ".join(["i32"] * 7),
                                      " ".join(f"local.get {i}" for i in range(7)))


def test_a_long_signature_is_reported_in_full_and_its_call_refused() -> None:
    module = Module(wat2wasm(LONG))
    assert module.export("long").sig == "i(" + "i" * 40 + ")"  # type: ignore[union-attr]
    app = Runtime("esp32").instantiate(module)
    with pytest.raises(CallError, match="has 40 parameters; at most 16"):
        app.call("long", *range(40))
    with pytest.raises(CallError, match="takes 40 argument"):
        app.call("long")


def test_a_long_import_signature_is_reported_in_full() -> None:
    params = " ".join(["f64"] * 40)
    module = Module(wat2wasm(f'(module (import "x" "y" (func (param {params}))))'))
    assert [(i.module, i.name, i.sig) for i in module.info.imports] == [
        ("x", "y", "v(" + "F" * 40 + ")")]


def test_the_runtime_refuses_a_signature_it_cannot_hold_instead_of_calling_it() -> None:
    app = instance(LONG)
    err = ffi.new("wa_error_t *")
    nres = ffi.new("uint32_t *")
    rc = lib.wa_app_call_export(app._app, b"long", 4, ffi.NULL, 0, ffi.NULL, 0, nres, err)
    assert rc == lib.WA_ERR_NOT_SUPPORTED
    assert "more parameters or results than the runtime can pass" in ffi.string(
        err.message).decode()


def test_the_longest_signature_the_runtime_passes_is_read_and_called() -> None:
    module = Module(wat2wasm(MAX))
    assert module.export("max").sig == "[" + "i" * 7 + "F](" + "i" * 15 + "I)"  # type: ignore
    app = Runtime("esp32").instantiate(module)
    assert app.call("max", *range(1, 16), 1 << 40) == (*range(1, 8), float(1 << 40))


# ---- segments ----------------------------------------------------------------------

ELEM = '(module (table 5 funcref) (func $f) (elem (i32.const {}) {}) (func (export "x")))'


@pytest.mark.parametrize(("offset", "entries"), [(3, 4), (6, 0), (5, 1), (0xFFFFFFFF, 1)])
def test_an_element_segment_past_its_table_is_an_instantiation_error(offset: int,
                                                                     entries: int) -> None:
    data = wat2wasm(ELEM.format(offset if offset < 1 << 31 else -1, " ".join(["$f"] * entries)))
    wasmtime.Module.validate(wasmtime.Engine(), data)  # valid: the error is the link's
    assert device_verdict(data) == (0, "")
    want = (f"element segment 0 \\(offset {offset}, {entries} entries\\) is past the end of "
            "table 0 \\(5 entries\\)")
    with pytest.raises(LoadError, match=want):
        Runtime("esp32").instantiate(Module(data))
    with pytest.raises(LoadError, match=want):
        Runtime("esp32").check(Module(data))


def test_an_element_segment_ending_at_the_table_end_instantiates() -> None:
    app = instance('(module (table 5 funcref) (type $t (func (result i32)))'
                   " (func $f (result i32) i32.const 7) (elem (i32.const 1) $f $f $f $f)"
                   ' (func (export "x") (result i32) i32.const 4 call_indirect (type $t)))')
    assert app.call("x") == 7


@pytest.mark.parametrize("text", ['(memory 1) (data (i32.const 65534) "abcd")',
                                  '(memory 0) (data (i32.const 0) "a")'])
def test_a_data_segment_past_the_memory_end_is_an_instantiation_error(text: str) -> None:
    data = wat2wasm(f'(module {text} (func (export "x")))')
    assert device_verdict(data) == (0, "")
    with pytest.raises(LoadError, match="data segment out of bounds"):
        Runtime("esp32").instantiate(Module(data))


VALUE = {"i32": "i32.const {}", "i64": "i64.const {}", "f32": "f32.const {}.5",
         "f64": "f64.const {}.25"}
SHAPES = [types for n in (1, 2, 3, 4) for types in itertools.product(VALUE, repeat=n)]
# Ways the values of a block reach its end: falling through a block, a loop,
# an if; a br_table out of an inner block; a br out of an inner loop.
FORMS = {
    "block": "(block (result {r}) {v})",
    "loop": "(loop (result {r}) {v})",
    "if": "i32.const 1 (if (result {r}) (then {v}) (else {v}))",
    "br_table": "(block (result {r}) (block (result {r}) {v} i32.const 1 br_table 0 1) br 0)",
    "br out of a loop": "(block (result {r}) (loop (result {r}) {v} br 1))",
}


@pytest.mark.parametrize("form", FORMS)
def test_a_block_of_several_results_gives_them_in_order_or_is_refused(form: str) -> None:
    """wasm3 0.5.0 gets a block (loop, if) of several results whose last is a
    float wrong: of 3 or more, in any form (i32 i32 f32 of (5, 2, 2.5) came
    out as (2, 5, 2.5)); of 2, when a branch carries them out of an inner
    block (i32 f32 of (5, 6.5) came out as (1087373312, 6.5)). The validator
    refuses exactly those block types as unsupported, and every other shape of
    up to 4 results answers as Wasmtime does."""
    refused = []
    for types in SHAPES:
        results = " ".join(types)
        values = " ".join(VALUE[t].format(i + 5) for i, t in enumerate(types))
        block = FORMS[form].format(r=results, v=values)
        text = f'(module (func (export "f") (result {results}) {block}))'
        wasm = wat2wasm(text)
        store = wasmtime.Store()
        want = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), []).exports(
            store)["f"](store)
        try:
            with Runtime("esp32").instantiate(Module(wasm)) as app:
                got = app.call("f")
        except ValidationError as e:
            assert e.code == AgentErr.NOT_SUPPORTED, text
            assert "a block of several results, the last a float" in str(e)
            refused.append(types)
            continue
        assert (list(got) if len(types) > 1 else [got]) == (
            want if len(types) > 1 else [want]), text
    assert refused == [t for t in SHAPES if len(t) >= 2 and t[-1] in ("f32", "f64")]
