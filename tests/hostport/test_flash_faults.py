"""The flash fault injector in the host port (--flash-faults, --flash-trace): op
numbers go on across resets (re-exec), a planned cut ends the process with its one
line and status 86, a torn program only clears bits, a silent write failure leaves
the flash as it was, and a malformed plan is refused."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from wamr_agent.boards import load_board
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.faults import (
    POWER_CUT_STATUS,
    Fault,
    FlashOp,
    cut_in,
    ended_by_power_cut,
    read_trace,
    sim_args,
)
from wamr_agent.emulator.simulated import ensure_sim

BOOT_RECORD = 16  # bytes appended to the boot log (page 0) at every boot


def test_ops_are_counted_across_resets_and_a_cut_ends_the_process(tmp_path: Path) -> None:
    plan = [Fault.cut("after", 2)]
    with SimulatedBoard.start("esp32", workdir=tmp_path,
                              extra_args=sim_args(plan, "trace.txt")) as board:
        board.console.expect(r"agent ready")
        board.reset()
        board.console.expect(r"agent ready")
        board.reset()
        assert board.wait_exit(timeout=30) == POWER_CUT_STATUS
        assert ended_by_power_cut(board)
    assert read_trace(tmp_path / "trace.txt") == [
        FlashOp(k, "P", k * BOOT_RECORD, BOOT_RECORD) for k in range(3)]
    text = board.console.text
    assert cut_in(text) == (2, "after")
    assert text.rstrip().endswith("power cut at flash op 2 (after)")
    assert (tmp_path / "flash.bin").read_bytes()[32:36] == b"BOOT"  # op 2 completed


def test_a_torn_program_only_clears_bits(tmp_path: Path) -> None:
    with SimulatedBoard.start("esp32", workdir=tmp_path, extra_args=sim_args(
            [Fault.cut("during", 0, seed=7)])) as board:
        assert board.wait_exit(timeout=30) == POWER_CUT_STATUS
        assert cut_in(board.console.text) == (0, "during")
    record = (tmp_path / "flash.bin").read_bytes()[:BOOT_RECORD]
    whole = b"BOOT" + (1).to_bytes(4, "little") + bytes(4) + b"\xff" * 4
    assert record != whole
    torn = next(i for i in range(BOOT_RECORD) if record[i] != whole[i])
    assert record[torn] & whole[torn] == whole[torn]  # NOR: bits still 1, none set to 0
    assert record[torn + 1:] == b"\xff" * (BOOT_RECORD - torn - 1)


def test_a_silent_write_failure_changes_nothing(tmp_path: Path) -> None:
    with SimulatedBoard.start("esp32", workdir=tmp_path,
                              extra_args=sim_args([Fault("fail-write", 0)])) as board:
        board.console.expect(r"boot 1 reset=power-on")
        board.console.expect(r"agent ready")
        assert board.running
        board.restart(extra_args=[])
        board.console.expect(r"boot 1 reset=power-on")  # the first record was never written


def test_a_malformed_plan_is_refused(tmp_path: Path) -> None:
    program = ensure_sim(load_board("esp32"))
    result = subprocess.run([program, "--flash-faults", "cut-after:x"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "malformed --flash-faults plan" in result.stdout
    usage = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=30,
                           check=False)
    assert re.search(r"--flash-faults PLAN .*--flash-trace PATH", usage.stderr, re.DOTALL)
