"""`wamr-agent bundle build --aot` (docs/aot.md): one AOT section per distinct
CPU of the target boards the compiler supports, each blob for its CPU and
8-aligned in the bundle file; none for a board without AOT (said so); a usage
error when no board has AOT; a refused module is one line naming the CPU and
the way out, exit 26, and a tool that fails prints its output before that one
line; `inspect` and `bundle show` list the sections."""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime
from typer.testing import CliRunner

from tests.conftest import need_aot_tools
from wamr_agent.aot.blob import ABI, MAGIC
from wamr_agent.aot.section import ALIGN, aot_sections
from wamr_agent.cli import app
from wamr_agent.ota import parse_bundle

runner = CliRunner()


@pytest.fixture(autouse=True)
def tools() -> None:
    need_aot_tools()


def build(module: Path, tmp_path: Path, *boards: str) -> tuple[int, str, Path]:
    runner.invoke(app, ["bundle", "keygen", str(tmp_path / "dev")])
    out = tmp_path / "app.wab"
    args = ["bundle", "build", str(module), "--key", str(tmp_path / "dev.key"), "--version",
            "1.0.0", "--seq", "1", "-o", str(out), "--aot"]
    for board in boards:
        args += ["-b", board]
    result = runner.invoke(app, args)
    return result.exit_code, result.output, out


def test_one_aligned_section_per_cpu(example: Callable[[str], Path], tmp_path: Path) -> None:
    code, output, out = build(example("sensor"), tmp_path, "mps2-an386", "mps2-an500",
                              "esp32", "mps2-an386")
    assert code == 0, output
    assert "no AOT code for esp32" in output
    data = out.read_bytes()
    module = parse_bundle(data).manifest, parse_bundle(data).module
    sections = aot_sections(module[1])
    assert [s.cpu for s in sections] == ["cortex-m4", "cortex-m7"]
    at = len(data) - len(module[1])  # the module is the bundle's tail
    for s, cpu in zip(sections, (4, 7), strict=True):
        magic, abi, word = struct.unpack_from("<3I", s.blob)
        assert (magic, abi, word & 0xFF) == (MAGIC, ABI, cpu)
        assert (at + s.offset) % ALIGN == 0
    shown = json.loads(runner.invoke(app, ["bundle", "show", str(out), "--json"]).stdout)
    assert [a["cpu"] for a in shown["aot"]] == ["cortex-m4", "cortex-m7"]
    text = runner.invoke(app, ["bundle", "show", str(out)]).stdout
    assert "aot      cortex-m4 (" in text
    wasm = tmp_path / "with_aot.wasm"
    wasm.write_bytes(module[1])
    inspected = runner.invoke(app, ["inspect", str(wasm), "-b", "mps2-an386"]).stdout
    assert "aot      cortex-m4 (" in inspected and "cortex-m7 (" in inspected


def test_no_board_with_aot_is_a_usage_error(example: Callable[[str], Path],
                                           tmp_path: Path) -> None:
    code, output, out = build(example("sensor"), tmp_path, "esp32")
    assert code == 2 and "no AOT code generation for the CPU of esp32" in output
    assert not out.exists()


def test_a_module_with_several_results_gets_its_aot_code(tmp_path: Path) -> None:
    """Multi-value compiles (docs/aot.md): an internal function and an export of
    two results; the export's signature is the interpreter's."""
    module = tmp_path / "multi.wasm"
    module.write_bytes(bytes(wasmtime.wat2wasm(
        '(module (func $two (result i32 i32) i32.const 1 i32.const 2)'
        ' (func (export "run") (result i32 i32) call $two))')))
    code, output, out = build(module, tmp_path, "mps2-an386")
    assert code == 0, output
    sections = aot_sections(parse_bundle(out.read_bytes()).module)
    assert [s.cpu for s in sections] == ["cortex-m4"]
    assert b"[ii]()\0" in sections[0].blob


@pytest.mark.parametrize(("wat", "reason"), [
    ("(memory 1)", "the module has no fuel global"),  # no function: metering adds none
])
def test_a_refused_module_is_one_line_exit_26(tmp_path: Path, wat: str, reason: str) -> None:
    module = tmp_path / "refused.wasm"
    module.write_bytes(bytes(wasmtime.wat2wasm(f"(module {wat})")))
    code, output, out = build(module, tmp_path, "mps2-an386")
    assert code == 26, output
    assert [ln for ln in output.splitlines() if ln.strip()] == [
        next(ln for ln in output.splitlines() if ln.startswith("error: "))]
    assert reason in output
    assert "error: no AOT code for cortex-m4: " in output
    assert "without --aot (aot = false) the bundle runs it interpreted" in output
    assert not out.exists()


def test_a_failing_tool_prints_its_output_then_one_error_line(
        example: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cross compiler failing (an internal error) is the same one error line
    last, after the compiler's own lines, as a failed app build."""
    fake = tmp_path / "bin"
    fake.mkdir()
    gcc = fake / "arm-none-eabi-gcc"
    gcc.write_text("#!/bin/sh\necho 'm.c:1: error: first' >&2\necho 'm.c:2: second' >&2\nexit 1\n")
    gcc.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    code, output, out = build(example("sensor"), tmp_path, "mps2-an386")
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert code == 26, output
    assert lines[-3:-1] == ["m.c:1: error: first", "m.c:2: second"]
    assert lines[-1] == ("error: no AOT code for cortex-m4: arm-none-eabi-gcc exited 1 (an "
                         "internal error of the AOT compiler: its output above); without --aot "
                         "(aot = false) the bundle runs it interpreted")
    assert not out.exists()
