"""The conformance classes of tests/runtime/test_conformance.py on the device
(docs/architecture.md "Conformance"): the rounding cases run as an app on a
Cortex-M3 without FPU (every double operation in libgcc), a Cortex-M4 with a
single-precision FPU (doubles still in software) and a Cortex-M7 with a
double-precision FPU; the app logs a line for each failed case. An element
segment past the end of its table is refused at load, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from tests.runtime.conformance_cases import cases, module_wat
from wamr_agent.emulator import EmulatedBoard

CASES = cases()


@pytest.mark.parametrize("board", ["mps2-an385", "mps2-an386", "mps2-an500"])
def test_rounding_cases_pass_on_the_board(tmp_path: Path, board: str) -> None:
    module = bytes(wasmtime.wat2wasm(module_wat(CASES)))
    with EmulatedBoard.start(board, workdir=tmp_path, preload=[("rounding", module)]) as b:
        b.console.expect(r"\[rounding\] rounding done")
        text = b.console.text
    failed = [CASES[int(line.split()[-1])].name for line in text.splitlines()
              if line.startswith("[rounding] fail ")]
    assert failed == []
    assert "app rounding started" in text


def test_an_element_segment_past_its_table_is_refused_at_load(tmp_path: Path) -> None:
    module = bytes(wasmtime.wat2wasm(
        '(module (table 5 funcref) (func $f) (elem (i32.const 3) $f $f $f $f)'
        ' (func (export "loop")))'))
    with EmulatedBoard.start("mps2-an385", workdir=tmp_path, preload=[("elem", module)]) as b:
        b.console.expect(r"app elem refused: element segment 0 \(offset 3, 4 entries\) is past "
                         r"the end of table 0 \(5 entries\)")
        b.console.expect("agent ready")
        assert "FAULT" not in b.console.text
