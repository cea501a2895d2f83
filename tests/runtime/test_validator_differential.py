"""Differential validation: the device's validator (wa_wasm_validate, through
pywamr) against Wasmtime's, on generated and mutated modules.

They must agree on accept/reject. The device may also refuse a module Wasmtime
accepts, but only as NOT_SUPPORTED naming the feature or the device limit
(Wasmtime's Python binding cannot switch off reference types, bulk memory's
passive segments or extended constant expressions, which the engine lacks).
And the validator's feature set must be the engine's (issue 10a): a generated
module the validator accepts also loads in wasm3.
Every disagreement fails with the module's bytes; the ones found are kept as
fixtures in tests/fixtures/validator/ and replayed here.

`make test` runs a bounded number of cases; `make fuzz` many more
(WAMR_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, WAT_DIR
from tests.runtime import wasm_gen
from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import LoadError
from wamr_agent.pywamr import Module, Runtime
from wamr_agent.pywamr.module import device_verdict
from wamr_agent.wasmfile import engine

CASES = int(os.environ.get("WAMR_FUZZ_EXAMPLES", "1500"))
REGRESSIONS = ROOT / "tests" / "fixtures" / "validator"
FUZZ = settings(max_examples=CASES, deadline=None, derandomize=CASES <= 1500,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=1)
def seeds() -> list[bytes]:
    """The fixtures' and examples' modules."""
    out = [bytes(wasmtime.wat2wasm(p.read_text())) for p in sorted(WAT_DIR.glob("*.wat"))]
    out += [p.read_bytes() for p in sorted((ROOT / "build").glob("*/*.wasm"))]
    return out


def wasmtime_accepts(data: bytes) -> bool:
    try:
        wasmtime.Module.validate(engine(), data)
    except wasmtime.WasmtimeError:
        return False
    return True


def disagreement(data: bytes) -> str | None:
    """Why the two validators disagree on data, or None when they agree."""
    rc, message = device_verdict(data)
    theirs = wasmtime_accepts(data)
    if rc == 0 and not theirs:
        return "the device accepts a module Wasmtime refuses"
    if rc == AgentErr.MALFORMED and theirs:
        return f"the device refuses a valid module: {message}"
    if rc == AgentErr.NOT_SUPPORTED and not ("unsupported" in message or "limit" in message):
        return f"NOT_SUPPORTED without naming a feature or limit: {message}"
    if rc not in (0, AgentErr.MALFORMED, AgentErr.NOT_SUPPORTED):
        return f"unexpected code {rc}: {message}"
    return None


def engine_refusal(data: bytes) -> str | None:
    """Why wasm3 refuses a module the validator accepts, or None. Only for modules
    without a start function or imports (a start function could run forever)."""
    if device_verdict(data)[0] != 0:
        return None
    try:
        Runtime("esp32").instantiate(Module(data, validate=False)).close()
    except LoadError as exc:
        return f"the validator accepts a module the engine refuses: {exc}"
    return None


def check(data: bytes, engine: bool = False) -> None:
    why = disagreement(data) or (engine_refusal(data) if engine else None)
    assert why is None, f"{why}\nmodule ({len(data)} bytes): {data.hex()}"


@given(wasm_gen.modules())
@FUZZ
def test_generated_modules_agree(data: bytes) -> None:
    check(data, engine=True)


@given(st.data())
@FUZZ
def test_mutated_modules_agree(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(seeds()))
    check(data.draw(st.builds(lambda d: d, st.just(seed)).flatmap(
        lambda s: st.composite(lambda draw: wasm_gen.mutate(draw, s))())))


@given(st.data())
@FUZZ
def test_mutated_generated_modules_agree(data: st.DataObject) -> None:
    module = data.draw(wasm_gen.modules())
    check(data.draw(st.composite(lambda draw: wasm_gen.mutate(draw, module))()))


def test_the_generator_makes_mostly_valid_modules() -> None:
    """The structure-aware half is only worth its time if it reaches the body
    checks with valid code: more than a third of what it makes is valid."""
    made: list[bytes] = []

    @given(wasm_gen.modules())
    @settings(max_examples=200, deadline=None, derandomize=True, database=None)
    def collect(data: bytes) -> None:
        made.append(data)

    collect()
    valid = sum(wasmtime_accepts(m) for m in made)
    assert valid * 3 > len(made), f"{valid} of {len(made)} generated modules are valid"


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.wasm")), ids=lambda p: p.stem)
def test_regressions_agree(path: Path) -> None:
    check(path.read_bytes(), engine=True)


def test_every_seed_agrees() -> None:
    for data in seeds():
        check(data)
