"""The runtime's load checks (wa_check_fit) read the function bodies once, in
the validator, which counts the loops and branches for the summary
(wa_wasm_validate_counting; the cold start, docs/architecture.md). They must
give what the whole summary followed by the validator gives, which is what
they did before and what their error path still does: the same verdict, the
same message, the same summary; on the fixtures, the examples, and generated
and mutated modules."""

from __future__ import annotations

from typing import Any

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.runtime import wasm_gen
from tests.runtime.test_validator_differential import seeds
from wamr_agent.pywamr._loader import ffi, lib

CASES = settings(max_examples=400, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SUMMARY_FIELDS = [name for name, _ in ffi.typeof("wa_wasm_summary_t").fields]


def two_passes(data: bytes) -> tuple[int, str, Any]:
    """The whole summary (every body read), then the validator."""
    summary = ffi.new("wa_wasm_summary_t *")
    msg = ffi.new("char[200]")
    rc = lib.wa_wasm_summarize(data, len(data), summary, msg, 200)
    if rc != 0:
        kind = "unsupported" if rc == lib.WA_ERR_NOT_SUPPORTED else "malformed"
        return rc, f"{kind} module: {ffi.string(msg).decode()}", summary
    rc = lib.wa_wasm_validate(data, len(data), msg, 200)
    prefix = "invalid module: " if rc == lib.WA_ERR_MALFORMED else ""
    return rc, (prefix + ffi.string(msg).decode()) if rc else "", summary


def check_fit(data: bytes) -> tuple[int, str, Any]:
    budget = ffi.new("wa_budget_t *", {"module_bytes": 1 << 30,
                                       "linear_memory_bytes": 0xFFFF0000,
                                       "stack_bytes": 65536, "heap_bytes": 1 << 20})
    summary = ffi.new("wa_wasm_summary_t *")
    err = ffi.new("wa_error_t *")
    rc = lib.wa_check_fit(budget, data, len(data), summary, err)
    return rc, ffi.string(err.message).decode() if rc else "", summary


def same(data: bytes) -> None:
    want_rc, want_msg, want = two_passes(data)
    rc, msg, got = check_fit(data)
    if want_rc != 0:
        assert (rc, msg) == (want_rc, want_msg), data.hex()
    fields = {f: (getattr(got, f), getattr(want, f)) for f in SUMMARY_FIELDS}
    assert all(a == b for a, b in fields.values()), (fields, data.hex())


def test_every_seed_is_checked_the_same() -> None:
    for data in seeds():
        same(data)


def test_counts_come_from_the_validator() -> None:
    """A module with loops and branches: counted by the validator, as the summary
    counts them (a check that skipped the count would report 0)."""
    data = next(d for d in seeds() if two_passes(d)[0] == 0 and two_passes(d)[2].num_loops > 1)
    counts = ffi.new("wa_wasm_summary_t *")
    assert lib.wa_wasm_validate_counting(data, len(data), counts, ffi.NULL, 0) == 0
    want = two_passes(data)[2]
    assert (counts.num_loops, counts.num_branches) == (want.num_loops, want.num_branches)
    assert check_fit(data)[2].num_loops == want.num_loops


def test_memory_size_and_grow_are_counted_for_the_shrink() -> None:
    """memory.size and memory.grow, read by the validator (the summary of the
    sections skips the bodies), keep a module's memory from being shrunk: a
    check that lost the count would shrink a module that grows its memory."""
    for body, ops in (("memory.size drop", 1), ("i32.const 1 memory.grow memory.size drop drop", 2),
                      ("nop", 0)):
        data = bytes(wasmtime.wat2wasm(
            '(module (memory 1) (global (export "__heap_base") i32 (i32.const 1024))'
            f' (func (export "f") {body}))'))
        rc, _, summary = check_fit(data)
        assert rc == 0 and summary.memory_ops == ops
        assert two_passes(data)[2].memory_ops == ops


@pytest.mark.parametrize("cut", [9, 20, 40])
def test_a_truncated_body_reports_the_summary_error(cut: int) -> None:
    data = next(d for d in seeds() if two_passes(d)[0] == 0 and len(d) > 200)
    same(data[:-cut])


@given(wasm_gen.modules())
@CASES
def test_generated_modules_are_checked_the_same(data: bytes) -> None:
    same(data)


@given(st.data())
@CASES
def test_mutated_modules_are_checked_the_same(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(seeds()))
    same(data.draw(st.composite(lambda draw: wasm_gen.mutate(draw, seed))()))


@given(st.data())
@CASES
def test_mutated_generated_modules_are_checked_the_same(data: st.DataObject) -> None:
    module = data.draw(wasm_gen.modules())
    same(data.draw(st.composite(lambda draw: wasm_gen.mutate(draw, module))()))
