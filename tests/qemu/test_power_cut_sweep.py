"""The flash fault injector on QEMU mps2-an386: a separate firmware image (`make
faultfw`, built on demand) reads its plan from flash-faults.txt and appends its trace
to flash-trace.txt (firmware/ports/cortex-m/README.md); the normal firmware has none
of it. Then a sampled power-cut sweep: the driver of tests/hostport/powercut.py with
a QEMU rig, cuts spread over the ops and modes of both scenarios. Report:
build/sweep/qemu.txt."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.hostport.powercut import (
    BOOT_WAIT,
    Count,
    Scenario,
    Snapshot,
    count_ops,
    scenarios,
    take_snapshot,
)
from tests.hostport.powercut_cases import FULL, Job, cut_case, run_all
from tests.hostport.powercut_report import report, write_ops
from tests.hostport.powercut_versions import Versions, build_versions
from wamr_agent.boards import load_board
from wamr_agent.emulator import EmulatedBoard, ensure_firmware
from wamr_agent.emulator.faults import (
    CUT_MODES,
    POWER_CUT_STATUS,
    QEMU_TRACE_FILE,
    CutMode,
    Fault,
    FlashOp,
    ensure_fault_firmware,
    read_trace,
    write_qemu_plan,
)
from wamr_agent.emulator.process import BoardProcess
from wamr_agent.errors import EmulatorError

from .conftest import BOARD

CASES = {"update": 30, "revert": 12} if FULL else {"update": 10, "revert": 4}


class QemuRig:
    """QEMU boards on the fault image: the plan is a file the firmware reads at boot."""

    board = BOARD

    def __init__(self) -> None:
        self.profile = load_board(self.board)
        self.program = ensure_fault_firmware(self.profile)

    def create(self, workdir: Path, faults: Sequence[Fault], trace: bool = False
               ) -> BoardProcess:
        write_qemu_plan(workdir, faults)
        return EmulatedBoard(self.profile, self.program, workdir)

    def restart(self, board: BoardProcess, faults: Sequence[Fault]) -> None:
        write_qemu_plan(board.workdir, faults)
        board.restart(BOOT_WAIT)

    def ops(self, board: BoardProcess, scenario: Scenario) -> list[tuple[FlashOp, str]]:
        return [(op, "?") for op in read_trace(board.workdir / QEMU_TRACE_FILE)]


def spread(count: Count, cases: int) -> list[tuple[int, CutMode]]:
    """``cases`` ops evenly over the run, the modes taking turns."""
    steps = max(1, cases - 1)
    return [(round(i * (count.n - 1) / steps), CUT_MODES[i % len(CUT_MODES)])
            for i in range(cases)]


@pytest.fixture(scope="module")
def rig() -> QemuRig:
    return QemuRig()


def test_fault_image_counts_ops_across_a_reset_and_cuts_the_power(rig: QemuRig,
                                                                   tmp_path: Path) -> None:
    # a first boot writes its boot record and formats the lifecycle journal (ops
    # 0-2), then, serving SMP, its SERV record (op 3); the boot after a reset writes
    # its boot record (op 4) and, once it serves SMP, its SERV record: op 5 (late
    # enough that QMP has answered the reset before QEMU ends)
    write_qemu_plan(tmp_path, [Fault.cut("after", 5)])
    with EmulatedBoard.start(BOARD, firmware=rig.program, workdir=tmp_path) as board:
        board.console.expect(r"idle: no app running")
        # QEMU reloads the ELF: the count is kept outside its segments (the rebooted
        # device may reach the cut before QMP answers the reset)
        with contextlib.suppress(EmulatorError):
            board.reset()
        assert board.wait_exit(timeout=60) == POWER_CUT_STATUS
        assert board.console.text.rstrip().endswith("power cut at flash op 5 (after)")
    journal = 4096
    assert read_trace(tmp_path / QEMU_TRACE_FILE) == [
        FlashOp(0, "P", 0, 16), FlashOp(1, "E", journal, 4096), FlashOp(2, "P", journal, 16),
        FlashOp(3, "P", 16, 16), FlashOp(4, "P", 32, 16), FlashOp(5, "P", 48, 16)]


def test_the_normal_firmware_has_no_injector(rig: QemuRig) -> None:
    # The injector's report line is in the fault image's flash and nowhere else
    # (a symbol check would depend on what link-time optimisation inlines).
    marker = b"power cut at flash op"
    assert marker in rig.program.read_bytes()
    assert marker not in ensure_firmware(rig.profile).read_bytes()


def test_sampled_cuts_on_qemu_leave_one_verified_version(
        rig: QemuRig, tmp_path_factory: pytest.TempPathFactory) -> None:
    workdir = tmp_path_factory.mktemp("qemu-sweep")
    versions: Versions = build_versions(workdir / "versions")
    snapshot: Snapshot = take_snapshot(rig, versions, workdir / "snapshot")
    jobs: list[Job] = []
    lines = []
    for name, scenario in scenarios(versions).items():
        count = count_ops(rig, scenario, snapshot, workdir / f"count-{name}")
        lines.append(f"{name}: {count.n} flash ops from power-on; undisturbed run "
                     f"{count.seconds:.2f} s; ops: {write_ops(f'qemu-{name}', count)}")
        jobs += [functools.partial(cut_case, rig, scenario, versions, snapshot,
                                   Fault.cut(mode, k), workdir / f"{name}-{mode}-{k}")
                 for k, mode in spread(count, CASES[name])]
    began = time.monotonic()
    results = run_all(jobs)
    summary = report("qemu", results, [f"board: {BOARD} (fault image)", *lines],
                     time.monotonic() - began)
    assert not any(r.failed for r in results), summary
