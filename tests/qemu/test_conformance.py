"""The conformance classes of tests/runtime/test_conformance.py on the device
(docs/architecture.md "Conformance"): the rounding cases run as an app on a
Cortex-M3 without FPU (every double operation in libgcc), a Cortex-M4 with a
single-precision FPU (doubles still in software) and a Cortex-M7 with a
double-precision FPU; the app logs a line for each failed case; and the same
module as AOT code (wamr_agent.aot, the blob's own rounding functions or the
FPU's instructions), deployed in a signed bundle, on the same boards. An
element segment past the end of its table is refused at load, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from tests.conftest import need_aot_tools
from tests.qemu.test_aot_deploy import TEST_KEY
from tests.runtime.conformance_cases import cases, module_wat
from wamr_agent import deploy as deploying
from wamr_agent.aot import compile_module
from wamr_agent.boards import load_board
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.ota import build_bundle

CASES = cases()
BOARDS = ["mps2-an385", "mps2-an386", "mps2-an500"]


def failed_cases(text: str) -> list[str]:
    return [CASES[int(line.split()[-1])].name for line in text.splitlines()
            if line.startswith("[rounding] fail ")]


@pytest.mark.parametrize("board", BOARDS)
def test_rounding_cases_pass_on_the_board(tmp_path: Path, board: str) -> None:
    module = bytes(wasmtime.wat2wasm(module_wat(CASES)))
    with EmulatedBoard.start(board, workdir=tmp_path, preload=[("rounding", module)]) as b:
        b.console.expect(r"\[rounding\] rounding done")
        text = b.console.text
    assert failed_cases(text) == []
    assert "app rounding started" in text


@pytest.mark.parametrize("board", BOARDS)
def test_rounding_cases_pass_as_aot_code_on_the_board(tmp_path: Path, board: str) -> None:
    need_aot_tools()
    module = bytes(wasmtime.wat2wasm(module_wat(CASES)))
    cpu = load_board(board).cpu
    bundle = tmp_path / "rounding.wab"
    bundle.write_bytes(build_bundle(
        module, name="rounding", version="1.0.0", seq=1, boards=[board], caps=["log"],
        key=TEST_KEY, aot={cpu: compile_module(module, cpu).data}))
    with EmulatedBoard.start(board, workdir=tmp_path / "board") as b:
        deploying.deploy(bundle, board, b.mgmt_address)
        b.console.expect("app rounding: runs its AOT code")
        b.console.expect(r"\[rounding\] rounding done")
        text = b.console.text
    assert failed_cases(text) == []


def test_an_element_segment_past_its_table_is_refused_at_load(tmp_path: Path) -> None:
    module = bytes(wasmtime.wat2wasm(
        '(module (table 5 funcref) (func $f) (elem (i32.const 3) $f $f $f $f)'
        ' (func (export "loop")))'))
    with EmulatedBoard.start("mps2-an385", workdir=tmp_path, preload=[("elem", module)]) as b:
        b.console.expect(r"app elem refused: element segment 0 \(offset 3, 4 entries\) is past "
                         r"the end of table 0 \(5 entries\)")
        b.console.expect("agent ready")
        assert "FAULT" not in b.console.text
