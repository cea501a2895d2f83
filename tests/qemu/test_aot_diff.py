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
    assert any(ln.startswith("aotdiff done calls=25") for ln in lines)
    assert sorted(calls) == list(range(25))
    for n, both in calls.items():
        case, rc, result, ticks, msg = both["wasm"]
        a_case, a_rc, a_result, a_ticks, a_msg = both["aot"]
        assert (a_case, a_rc, a_result, a_msg) == (case, rc, result, msg), f"call {n} ({case})"
        if int(rc) != AgentErr.TRAP_STACK_OVERFLOW:  # the depth differs: C stack vs wasm3's
            assert a_ticks == ticks, f"call {n} ({case}): ticks"


def test_the_calls_cover_results_and_every_kind_of_trap(lines: list[str]) -> None:
    codes = {int(both["aot"][1]) for both in _calls(lines).values()}
    assert codes == {0, AgentErr.TRAP_OUT_OF_BOUNDS, AgentErr.TRAP_DIV_BY_ZERO,
                     AgentErr.TRAP_UNREACHABLE, AgentErr.TRAP_CPU_BUDGET,
                     AgentErr.TRAP_STACK_OVERFLOW, AgentErr.NOT_GRANTED,
                     AgentErr.TRAP_CONVERSION, AgentErr.TRAP_INT_OVERFLOW,
                     AgentErr.TRAP_INDIRECT_CALL}
