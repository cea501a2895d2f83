"""The flash fault injector in the host port (--flash-faults, --flash-trace): op
numbers go on across resets (re-exec), a planned cut ends the process with its one
line and status 86, a torn program only clears bits, a silent write failure leaves
the flash as it was, and a malformed plan is refused."""

from __future__ import annotations

import re
import subprocess
import zlib
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
JOURNAL = 4096  # the lifecycle journal's first page, formatted at the first boot


def test_ops_are_counted_across_resets_and_a_cut_ends_the_process(tmp_path: Path) -> None:
    # boot 1: its boot record, then the journal's format (erase, page record), and
    # once it serves SMP its SERV record; boots 2 and 3 after resets: a boot record
    # and a SERV record each
    plan = [Fault.cut("after", 6)]
    with SimulatedBoard.start("esp32", workdir=tmp_path,
                              extra_args=sim_args(plan, "trace.txt")) as board:
        board.console.expect(r"agent ready")
        board.reset()
        board.console.expect(r"agent ready")
        board.reset()
        assert board.wait_exit(timeout=30) == POWER_CUT_STATUS
        assert ended_by_power_cut(board)
    assert read_trace(tmp_path / "trace.txt") == [
        FlashOp(0, "P", 0, BOOT_RECORD), FlashOp(1, "E", JOURNAL, 4096),
        FlashOp(2, "P", JOURNAL, 16), FlashOp(3, "P", BOOT_RECORD, BOOT_RECORD),
        FlashOp(4, "P", 2 * BOOT_RECORD, BOOT_RECORD),
        FlashOp(5, "P", 3 * BOOT_RECORD, BOOT_RECORD),
        FlashOp(6, "P", 4 * BOOT_RECORD, BOOT_RECORD)]
    text = board.console.text
    assert cut_in(text) == (6, "after")
    assert text.rstrip().endswith("power cut at flash op 6 (after)")
    flash = (tmp_path / "flash.bin").read_bytes()
    assert [flash[k * BOOT_RECORD:k * BOOT_RECORD + 4] for k in range(5)] == [
        b"BOOT", b"SERV", b"BOOT", b"SERV", b"BOOT"]  # op 6 completed


def test_a_torn_program_only_clears_bits(tmp_path: Path) -> None:
    with SimulatedBoard.start("esp32", workdir=tmp_path, extra_args=sim_args(
            [Fault.cut("during", 0, seed=7)])) as board:
        assert board.wait_exit(timeout=30) == POWER_CUT_STATUS
        assert cut_in(board.console.text) == (0, "during")
    record = (tmp_path / "flash.bin").read_bytes()[:BOOT_RECORD]
    fields = b"BOOT" + (1).to_bytes(4, "little") + (0xFFFF0000).to_bytes(4, "little")
    whole = fields + zlib.crc32(fields).to_bytes(4, "little")  # count, cause|slot, CRC
    assert record != whole
    torn = next(i for i in range(BOOT_RECORD) if record[i] != whole[i])
    assert record[torn] & whole[torn] == whole[torn]  # NOR: bits still 1, none set to 0
    assert record[torn + 1:] == b"\xff" * (BOOT_RECORD - torn - 1)


def test_a_silent_write_failure_changes_nothing(tmp_path: Path) -> None:
    with SimulatedBoard.start("esp32", workdir=tmp_path,
                              extra_args=sim_args([Fault("fail-write", 0)])) as board:
        # the write is read back: the device knows its boot record did not stick
        board.console.expect(r"boot 1 reset=power-on \(not saved: error 1\)")
        board.console.expect(r"agent ready")
        assert board.running
        board.restart(extra_args=[])
        board.console.expect(r"boot 1 reset=power-on\n")  # the first record was never written


def test_a_malformed_plan_is_refused(tmp_path: Path) -> None:
    program = ensure_sim(load_board("esp32"))
    result = subprocess.run([program, "--flash-faults", "cut-after:x"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "malformed --flash-faults plan" in result.stdout
    usage = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=30,
                           check=False)
    assert re.search(r"--flash-faults PLAN .*--flash-trace PATH", usage.stderr, re.DOTALL)
