"""The flash fault injector on QEMU mps2-an386: a separate firmware image (`make
faultfw`, built on demand) reads its plan from flash-faults.txt and appends its trace
to flash-trace.txt (firmware/ports/cortex-m/README.md); the normal firmware has none
of it. Then a sampled power-cut sweep: the driver of tests/hostport/powercut.py with
a QEMU rig, cuts spread over the ops and modes of the update and revert scenarios.
Then the aot scenarios (v2aot, v2 with AOT code for the board's CPU, over the
interpreted v1 and over v1aot, which runs AOT code too): cuts during the last two
upload writes (the blob's bytes: it is the module's tail), the slot header's write
and commit, and the trial's journal writes; with WAMR_SWEEP=full (`make sweep`) at
every op in every mode on mps2-an386. The aot scenarios also run on the other mps2
boards (M3, M7, M33: the install's flash code is the same, the blob's CPU differs),
sampled as in `make test` whatever WAMR_SWEEP says. Reports:
build/sweep/qemu.txt, build/sweep/qemu-aot.txt, build/sweep/qemu-aot-<board>.txt."""

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
UPLOAD_WRITE = 1024  # a program op longer than this is the upload's (the rest are records)


class QemuRig:
    """QEMU boards on the fault image: the plan is a file the firmware reads at boot."""

    def __init__(self, board: str = BOARD) -> None:
        self.board = board
        self.profile = load_board(board)
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


def aot_cuts(count: Count, every: bool) -> list[tuple[int, CutMode]]:
    """The aot scenario's cuts: with ``every``, every op in every mode; else the
    last two upload writes (the module's tail: the AOT blob), the slot header's write
    (its first page, erased first) and the two programs after it (the commit, the
    trial's start), and the two journal records before the old slot's erase (during
    the trial, its confirm)."""
    if every:
        return [(k, mode) for k in range(count.n) for mode in CUT_MODES]
    ops = [op for op, _ in count.ops]
    slot = next(op.offset for op in ops if op.kind == "E")
    upload = [op.index for op in ops if op.kind == "P" and op.length > UPLOAD_WRITE]
    header = [op.index for op in ops if op.kind == "P" and op.offset == slot][-1]
    return [(upload[-2], "during"), (upload[-1], "during"), (header, "during"),
            (header + 1, "during"), (header + 2, "during"), (count.n - 3, "during"),
            (count.n - 2, "during")]


def cuts(name: str, count: Count, board: str) -> list[tuple[int, CutMode]]:
    """Every op of the aot scenarios with WAMR_SWEEP=full on mps2-an386; sampled on the
    other boards and in `make test`."""
    if name.startswith("aot"):
        return aot_cuts(count, FULL and board == BOARD)
    return spread(count, CASES[name])


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


def sweep(rig: QemuRig, workdir: Path, names: Sequence[str], name: str) -> None:
    """The cuts of scenarios ``names``, each from a snapshot of its old version;
    report build/sweep/<name>.txt."""
    aot = any(n.startswith("aot") for n in names)
    versions: Versions = build_versions(workdir / "versions", rig.profile.cpu if aot else None)
    snapshots: dict[str, Snapshot] = {}  # by the version installed first
    jobs: list[Job] = []
    lines = []
    for scenario in (scenarios(versions)[n] for n in names):
        old = scenario.kept(versions)
        if old.tag not in snapshots:
            snapshots[old.tag] = take_snapshot(rig, versions, workdir / f"snapshot-{old.tag}",
                                               old)
        snapshot = snapshots[old.tag]
        count = count_ops(rig, scenario, snapshot, workdir / f"count-{scenario.name}")
        prefix = "qemu" if rig.board == BOARD else f"qemu-{rig.board}"
        lines.append(f"{scenario.name}: {count.n} flash ops from power-on; undisturbed run "
                     f"{count.seconds:.2f} s; ops: "
                     f"{write_ops(f'{prefix}-{scenario.name}', count)}")
        jobs += [functools.partial(cut_case, rig, scenario, versions, snapshot,
                                   Fault.cut(mode, k), workdir / f"{scenario.name}-{mode}-{k}")
                 for k, mode in cuts(scenario.name, count, rig.board)]
    began = time.monotonic()
    results = run_all(jobs)
    summary = report(name, results, [f"board: {rig.board} (fault image)", *lines],
                     time.monotonic() - began)
    assert not any(r.failed for r in results), summary


def test_sampled_cuts_on_qemu_leave_one_verified_version(
        rig: QemuRig, tmp_path_factory: pytest.TempPathFactory) -> None:
    sweep(rig, tmp_path_factory.mktemp("qemu-sweep"), ["update", "revert"], "qemu")


AOT_BOARDS = ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505"]


@pytest.mark.timeout(600 if FULL else 120)  # full: 2 x 69 cuts on mps2-an386
@pytest.mark.parametrize("board", AOT_BOARDS)
def test_cuts_during_an_aot_install_leave_one_verified_version_on_its_engine(
        board: str, rig: QemuRig, tmp_path_factory: pytest.TempPathFactory) -> None:
    on = rig if board == rig.board else QemuRig(board)
    sweep(on, tmp_path_factory.mktemp(f"qemu-aot-sweep-{board}"), ["aot", "aot-over-aot"],
          "qemu-aot" if board == BOARD else f"qemu-aot-{board}")
