"""The sweep's cases: one planned cut, a silent write failure, or several cuts in a
row; which of them a sweep runs (every op, quick or full); running them in parallel.

Each case returns a :class:`Result`: the version that ran after the cut (``old``:
v1, ``new``: the version deployed) or what went wrong. A passing case's directory
is deleted; a failing one's is kept for its console log and flash.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cbor2 import CBORError

from tests.hostport.powercut import (
    AGENT_READY,
    BOOT_WAIT,
    NEW,
    OLD,
    Count,
    Rig,
    Scenario,
    Snapshot,
    await_cut,
    boot,
    cut_phase,
    finish,
    prepare,
    run_deploy,
    wait_end,
)
from tests.hostport.powercut_checks import BootCount, Broken, rerun, settled
from tests.hostport.powercut_versions import Versions
from wamr_agent.emulator.faults import CUT_MODES, CutMode, Fault, ended_by_power_cut
from wamr_agent.errors import WamrAgentError

FULL = os.environ.get("WAMR_SWEEP", "").lower() == "full"
WORKERS = 3  # simulators at once: they mostly wait on I/O
QUICK_CUTS = 150  # single cuts per scenario in the quick sweep before modes are sampled
LEG_WAIT = 1.0  # a multi-cut leg: how long after its deploy a cut may still come
# What a case reports as its outcome (anything else is a bug of the harness).
FAILURES = (Broken, WamrAgentError, CBORError, ValueError, OSError)
MULTI_SEEDS = {"update": range(1, 41) if FULL else range(1, 7),
               "revert": range(1, 21) if FULL else range(1, 4)}


@dataclass(frozen=True)
class Result:
    scenario: str
    mode: str  # before, after, during, fail-write, multi-cut
    op: int | None
    phase: str
    outcome: str  # OLD, NEW, or what went wrong
    workdir: Path
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome not in (OLD, NEW)

    @property
    def label(self) -> str:
        where = f"op {self.op} " if self.op is not None else ""
        return f"{self.scenario} {where}{self.mode} ({self.phase})"


Job = Callable[[], Result]


def run_all(jobs: Sequence[Job]) -> list[Result]:
    """Every job, ``WORKERS`` at a time; passing cases' directories are removed."""
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    for result in results:
        if not result.failed:
            shutil.rmtree(result.workdir, ignore_errors=True)
    return results


def single_cuts(count: Count) -> list[tuple[int, CutMode]]:
    """Every op in every mode. Quick sweeps of long scenarios sample the modes: a cut
    before op k leaves the flash as a cut after op k-1, so after and during at every
    op (and before op 0) still reach every state a cut can leave."""
    every = [(k, mode) for k in range(count.n) for mode in CUT_MODES]
    if FULL or len(every) <= QUICK_CUTS:
        return every
    return [(k, mode) for k, mode in every if mode != "before" or k == 0]


def cut_case(rig: Rig, scenario: Scenario, versions: Versions, snapshot: Snapshot,
             fault: Fault, workdir: Path) -> Result:
    """One planned cut during the deploy, recovery, the re-run deploy."""
    prepare(workdir, snapshot)
    phase, mode = "?", fault.kind.removeprefix("cut-")
    try:
        with rig.create(workdir, [fault]) as board:
            boots = BootCount(snapshot.boot)
            boot(rig, board, [fault], first=True)
            run_deploy(board, scenario.new)
            await_cut(board, fault)
            console = board.console.text
            phase = cut_phase(console, scenario)
            boots.boots(console)
            outcome = finish(rig, board, scenario, versions, boots)
    except FAILURES as exc:
        return Result(scenario.name, mode, fault.op, phase, str(exc), workdir)
    return Result(scenario.name, mode, fault.op, phase, outcome, workdir)


def fail_write_case(rig: Rig, scenario: Scenario, versions: Versions, snapshot: Snapshot,
                    op: int, phase: str, workdir: Path) -> Result:
    """Program op ``op`` silently does nothing; the device runs on: v1 or v2 runs, the
    re-run deploy completes, and v2 still runs after a power cut."""
    prepare(workdir, snapshot)
    note = ""
    try:
        with rig.create(workdir, [Fault("fail-write", op)]) as board:
            boot(rig, board, [], first=True)
            board.console.expect(AGENT_READY, timeout=BOOT_WAIT)
            error = run_deploy(board, scenario.new)
            note = f"deploy: {str(error).splitlines()[0]}" if error else ""
            if not board.running:
                raise Broken(f"the process ended with status {board.exit_status}")
            version = settled(board, versions.all, scenario.allowed(versions),
                              scenario.kept(versions))
            rerun(board, scenario.new, scenario.final, versions.all)
            boot(rig, board, (), first=False)
            settled(board, versions.all, [scenario.final], scenario.final)
    except FAILURES as exc:
        return Result(scenario.name, "fail-write", op, phase, str(exc), workdir, note)
    outcome = OLD if version == scenario.kept(versions) else NEW
    return Result(scenario.name, "fail-write", op, phase, outcome, workdir, note)


def multi_cut_legs(seed: int, ops: int) -> list[Fault]:
    """2-4 cuts at random ops and modes: the first during the deploy, the next ones
    during the recovery boot or the re-run deploy that follows a cut."""
    rng = random.Random(seed)
    return [Fault.cut(rng.choice(CUT_MODES), rng.randrange(ops), rng.randrange(1 << 32))
            for _ in range(rng.randint(2, 4))]


def multi_cut_case(rig: Rig, scenario: Scenario, versions: Versions, snapshot: Snapshot,
                   legs: Sequence[Fault], workdir: Path) -> Result:
    """Each leg boots with its plan and runs the deploy (the first from the snapshot,
    the others after the cut before); then a clean recovery and the re-run deploy."""
    prepare(workdir, snapshot)
    plan = " ".join(str(f) for f in legs)
    try:
        with rig.create(workdir, legs[:1]) as board:
            boots = BootCount(snapshot.boot)
            for i, fault in enumerate(legs):
                mark = len(board.console.text)
                boot(rig, board, [fault], first=i == 0)
                if board.running:
                    run_deploy(board, scenario.new)
                if wait_end(board, LEG_WAIT) and not ended_by_power_cut(board):
                    raise Broken(f"leg {i + 1}: the process ended with status "
                                 f"{board.exit_status}")
                boots.boots(board.console.text[mark:])
            outcome = finish(rig, board, scenario, versions, boots)
    except FAILURES as exc:
        return Result(scenario.name, "multi-cut", None, "-", str(exc), workdir, plan)
    return Result(scenario.name, "multi-cut", None, "-", outcome, workdir, plan)
