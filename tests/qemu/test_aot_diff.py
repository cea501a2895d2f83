"""AOT code against the interpreter on the emulated Cortex-M4 (docs/aot.md):
the aotdiff image (firmware/bench/wa_aot_diff_main.c) runs each call of the
benchmark kernels and the fixtures (traps, imports, float code) under wasm3
(metered) and as AOT code with the same CPU budget; results, trap codes,
messages and ticks must agree."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, need
from wamr_agent.agent_err import AgentErr
from wamr_agent.emulator import EmulatedBoard

ELF = ROOT / "build" / "aotdiff" / "mps2-an386" / "firmware.elf"
LINE = re.compile(r"aotdiff call=(\d+) case=(\S+) engine=(wasm|aot) rc=(-?\d+) result=(-?\d+) "
                  r"ticks=(\d+) msg=(.*)")


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    for tool in ("wasm2c", "arm-none-eabi-gcc", "wat2wasm"):
        need(shutil.which(tool) is not None, tool, "install wabt and gcc-arm-none-eabi (apt)")
    subprocess.run(["make", "-s", "aot-diff-firmware"], cwd=ROOT, check=True,
                   capture_output=True)
    workdir = tmp_path_factory.mktemp("aotdiff")
    with EmulatedBoard.start("mps2-an386", firmware=ELF, workdir=Path(workdir)) as board:
        status = board.wait_exit(60)
        out = board.console.lines()
    assert status == 0, "\n".join(out[-10:])
    return out


def _calls(lines: list[str]) -> dict[int, dict[str, tuple[str, ...]]]:
    calls: dict[int, dict[str, tuple[str, ...]]] = {}
    for line in lines:
        m = LINE.fullmatch(line.strip())
        if m:
            calls.setdefault(int(m[1]), {})[m[3]] = (m[2], m[4], m[5], m[6], m[7])
    return calls


def test_aot_agrees_with_the_interpreter(lines: list[str]) -> None:
    calls = _calls(lines)
    done = [int(ln.split("=")[1]) for ln in lines if ln.startswith("aotdiff done calls=")]
    assert done and done[0] >= 28
    assert sorted(calls) == list(range(done[0]))
    for n, both in calls.items():
        case, rc, result, ticks, msg = both["wasm"]
        a_case, a_rc, a_result, a_ticks, a_msg = both["aot"]
        assert (a_case, a_rc, a_result, a_msg) == (case, rc, result, msg), f"call {n} ({case})"
        if int(rc) != AgentErr.TRAP_STACK_OVERFLOW:  # the depth differs: C stack vs wasm3's
            assert a_ticks == ticks, f"call {n} ({case}): ticks"


def test_memory_is_shrunk_and_grown_as_interpreted(lines: list[str]) -> None:
    """A load past the end of a memory shrunk to __heap_base traps (the
    declared page is 65,536 bytes: 4,109 is inside it); memory.grow returns the
    old size, or -1 past the budget (grow_memory: no maximum) or the declared
    maximum (aot_grow), and the bounds follow the current size (aot_grow
    run(0): no page yet)."""
    aot = {(both["aot"][0], n): both["aot"][1:3] for n, both in _calls(lines).items()}
    by_case: dict[str, list[tuple[str, str]]] = {}
    for (case, _), outcome in sorted(aot.items(), key=lambda kv: kv[0][1]):
        by_case.setdefault(case, []).append(outcome)
    oob = (str(int(AgentErr.TRAP_OUT_OF_BOUNDS)), "-1")
    assert by_case["shrink_memory"] == [("0", str(0x33323130)), oob]
    assert by_case["grow_memory"] == [("0", "-1"), ("0", "1")]
    assert by_case["aot_grow"] == [("0", "1008"), oob, ("0", "-1")]


def test_the_calls_cover_results_and_every_kind_of_trap(lines: list[str]) -> None:
    codes = {int(both["aot"][1]) for both in _calls(lines).values()}
    assert codes == {0, AgentErr.TRAP_OUT_OF_BOUNDS, AgentErr.TRAP_DIV_BY_ZERO,
                     AgentErr.TRAP_UNREACHABLE, AgentErr.TRAP_CPU_BUDGET,
                     AgentErr.TRAP_STACK_OVERFLOW, AgentErr.NOT_GRANTED,
                     AgentErr.TRAP_CONVERSION, AgentErr.TRAP_INT_OVERFLOW,
                     AgentErr.TRAP_INDIRECT_CALL}
