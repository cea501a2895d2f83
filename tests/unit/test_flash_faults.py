"""wamr_agent.emulator.faults: fault plans, the op trace (also read out of a console
log it shares), the power-cut line, the simulator's arguments, the QEMU plan file,
and the power-cut status shared with the C injector."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT
from wamr_agent.emulator.faults import (
    POWER_CUT_STATUS,
    QEMU_PLAN_FILE,
    Fault,
    FlashOp,
    cut_in,
    parse_trace,
    plan_text,
    read_trace,
    sim_args,
    write_qemu_plan,
)


def test_plans_are_written_as_the_firmware_reads_them() -> None:
    faults = [Fault.cut("before", 3), Fault.cut("during", 7, seed=42), Fault.cut("after", 9),
              Fault("fail-write", 12), Fault.cut("after", 1, seed=5)]
    assert plan_text(faults) == "cut-before:3,cut-during:7:42,cut-after:9,fail-write:12,cut-after:1"
    assert str(Fault.cut("during", 4)) == "cut-during:4"


def test_trace_lines_are_read_between_console_lines(tmp_path: Path) -> None:
    text = ("wamr-agent firmware 0.1.0 board=esp32\n0 P 0 16\nboot 3 reset=power-on\n"
            "agent ready\n1 E 4096 4096\n2 P 4176 128\napp app installed (90 bytes, slot 1)\n")
    ops = parse_trace(text)
    assert ops == [FlashOp(0, "P", 0, 16), FlashOp(1, "E", 4096, 4096),
                   FlashOp(2, "P", 4176, 128)]
    assert [op.program for op in ops] == [True, False, True]
    (tmp_path / "trace.txt").write_text(text)
    assert read_trace(tmp_path / "trace.txt") == ops
    assert read_trace(tmp_path / "missing.txt") == []


def test_the_cut_line_names_op_and_mode() -> None:
    assert cut_in("agent ready\npower cut at flash op 17 (during)\n") == (17, "during")
    assert cut_in("agent ready\n") is None


def test_sim_args_and_the_qemu_plan_file(tmp_path: Path) -> None:
    assert sim_args() == []
    assert sim_args([Fault.cut("after", 2)], "trace.txt") == [
        "--flash-faults", "cut-after:2", "--flash-trace", "trace.txt"]
    write_qemu_plan(tmp_path, [Fault("fail-write", 4), Fault.cut("before", 6)])
    assert (tmp_path / QEMU_PLAN_FILE).read_text() == "fail-write:4,cut-before:6\n"
    write_qemu_plan(tmp_path, [])
    assert not (tmp_path / QEMU_PLAN_FILE).exists()


def test_power_cut_status_matches_the_c_injector() -> None:
    header = (ROOT / "firmware" / "core" / "port" / "wa_flash_faults.h").read_text()
    found = re.search(r"#define WA_FLASH_FAULTS_CUT_STATUS (\d+)", header)
    assert found is not None and int(found[1]) == POWER_CUT_STATUS
