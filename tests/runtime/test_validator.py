"""The device's own validator (wa_validate.c): what it refuses, how it names it,
and that it runs on every load (wa_check_fit) and in the host's pre-flight.

Feature refusals must name the feature; device limits name the limit; invalid
modules name the function and offset. Conformance (issue 10a): valid modules
wasm3 alone refused (an empty memory section, an empty table with an empty
element segment) load and run."""

from __future__ import annotations

import pytest
import wasmtime

from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import FitError, ValidationError
from wamr_agent.pywamr import Module, Runtime
from wamr_agent.pywamr.module import device_verdict

LIMIT = 64  # WA_MAX_NESTING, wa_port_config.h


def wasm(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def nested(depth: int, kind: str = "block") -> bytes:
    if kind == "if":
        body = "(if (i32.const 0) (then " * depth + "))" * depth
    else:
        body = f"({kind} " * depth + ")" * depth
    return wasm(f'(module (func (export "loop") {body}))')


MEM = "(memory 1) (data \"ab\")"
UNSUPPORTED = {
    "bulk memory (memory.init)":
        f"(module {MEM} (func i32.const 0 i32.const 0 i32.const 1 memory.init 0))",
    "bulk memory (data.drop)": f"(module {MEM} (func data.drop 0))",
    "bulk memory (passive data segment)": '(module (memory 1) (data "x"))',  # no offset
    "reference types (table ops)": "(module (table 1 funcref) (func (drop (table.size 0))))",
    "reference types (typed select, ref ops)": "(module (func (drop (ref.null func))))",
    "multiple tables": "(module (table 1 funcref) (table 1 funcref))",
    "element segment kinds": "(module (table 1 funcref) (func $f) (elem declare func $f))",
    "SIMD (v128)": "(module (func (local v128)))",
    "threads (shared memory)": "(module (memory 1 1 shared))",
    "extended constant expressions": "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
}


@pytest.mark.parametrize("feature", sorted(UNSUPPORTED))
def test_an_unsupported_feature_is_refused_naming_it(feature: str) -> None:
    data = wasm(UNSUPPORTED[feature])
    rc, message = device_verdict(data)
    assert rc == AgentErr.NOT_SUPPORTED and feature in message, message
    with pytest.raises(ValidationError, match="unsupported: .*" + feature.split(" (")[0]):
        Module(data)  # the host's pre-flight, before Wasmtime (which accepts most)
    with pytest.raises(FitError, match="unsupported"):
        Runtime("esp32").check(Module(data, validate=False))  # the device's load path


def test_nesting_past_the_limit_is_refused_naming_depth_and_limit() -> None:
    rc, message = device_verdict(nested(130))
    assert rc == AgentErr.NOT_SUPPORTED
    assert f"nesting depth 130 is past the device's limit of {LIMIT}" in message
    with pytest.raises(ValidationError, match=f"nesting depth 130 .* limit of {LIMIT}"):
        Module(nested(130))
    with pytest.raises(FitError, match=f"limit of {LIMIT}"):
        Runtime("mps2-an386").instantiate(Module(nested(LIMIT + 1), validate=False))


@pytest.mark.parametrize("kind", ["block", "loop", "if"])
def test_nesting_at_the_limit_loads_and_runs(kind: str) -> None:
    inst = Runtime("mps2-an386").instantiate(Module(nested(LIMIT, kind)))
    assert inst.call("loop") is None


def test_a_type_error_names_function_and_offset() -> None:
    data = wasm("(module (func) (func (result i32) i32.const 1 i64.const 2 i32.add))")
    rc, message = device_verdict(data)
    assert rc == AgentErr.MALFORMED
    assert message == "type mismatch in function 1 at offset 0x24", message
    with pytest.raises(ValidationError, match="invalid module: type mismatch in function 1"):
        Runtime("esp32").instantiate(Module(data, validate=False))


INVALID = {
    "duplicate export name": '(module (func (export "a")) (func (export "a")))',
    "bad start function type": "(module (func $f (param i32)) (start $f))",
    "global is immutable":
        "(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))",
    "if without else":
        "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)))))",
    "alignment larger than natural":
        "(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))",
    "branch depth 1 out of range": "(module (func (br 1)))",
    "no memory 0": "(module (func (drop (memory.size))))",
}


@pytest.mark.parametrize("what", sorted(INVALID))
def test_an_invalid_module_is_refused_with_the_reason(what: str) -> None:
    data = wasm(INVALID[what])  # wat2wasm parses, it does not validate
    rc, message = device_verdict(data)
    assert rc == AgentErr.MALFORMED and what in message, message


def test_a_module_past_a_table_limit_is_refused_naming_the_setting() -> None:
    types = " ".join(f"(type (func (param i32) (result {'i32 ' * (i % 7 + 1)})))"
                     for i in range(300))
    rc, message = device_verdict(wasm(f"(module {types})"))
    assert rc == AgentErr.NOT_SUPPORTED and "WA_VALIDATE_MAX_TYPES" in message, message


def test_an_empty_memory_section_loads() -> None:
    # types [()->()], a function, a memory section with no entries, export "f", code
    data = bytes.fromhex("0061736d01000000" "010401600000" "03020100" "050100"
                         "070501016600000a040102000b")
    wasmtime.Module.validate(wasmtime.Engine(), data)
    for cpu_ticks in (None, 0):  # through the metering rewrite, and read in place
        inst = Runtime("esp32", cpu_ticks=cpu_ticks).instantiate(Module(data))
        assert inst.call("f") is None


def test_an_empty_table_with_an_empty_element_segment_loads() -> None:
    for text in ['(module (table 0 funcref) (elem (i32.const 0)) (func (export "f")))',
                 '(module (table 2 funcref) (elem (i32.const 0)) (elem (i32.const 1) $g)'
                 ' (func $g (result i32) i32.const 5)'
                 ' (func (export "f") (result i32) (call_indirect (result i32) (i32.const 1))))']:
        for cpu_ticks in (None, 0):
            inst = Runtime("esp32", cpu_ticks=cpu_ticks).instantiate(Module(wasm(text)))
            assert inst.call("f") in (None, 5)


def test_memory_copy_fill_and_multi_value_are_supported() -> None:
    data = wasm('(module (memory 1) (func (export "f") (result i32 i32)'
                ' (memory.fill (i32.const 0) (i32.const 7) (i32.const 4))'
                ' (memory.copy (i32.const 8) (i32.const 0) (i32.const 4))'
                ' (i32.load8_u (i32.const 11)) (i32.const 2)))')
    assert Runtime("esp32").instantiate(Module(data)).call("f") == (7, 2)
