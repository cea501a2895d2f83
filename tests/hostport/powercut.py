"""The power-cut sweep's driver: a device runs app ``app`` v1; a deploy of a new version
(scenario "update": v2, which runs fine; "revert": v2bad, whose loop traps; "aot", on
QEMU: v2aot, v2 with AOT code for the board's CPU; "aot-over-aot": v2aot over v1aot) is cut by
the firmware's fault injector at one flash op (before, during or after it), or several
times, or one program silently fails; the device then boots without faults and must
keep the invariants of :mod:`powercut_checks`.

A *rig* starts boards of one kind with a fault plan (:class:`SimRig`: a simulated
esp32; the QEMU sweep has its own). Every case starts from the same flash snapshot
(v1 installed and running) in a directory of its own, so cases run in parallel.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tests.hostport.powercut_checks import (
    APP,
    BootCount,
    Broken,
    Version,
    client,
    expect,
    rerun,
    settled,
)
from tests.hostport.powercut_versions import Versions
from wamr_agent.boards import load_board
from wamr_agent.deploy import deploy
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.faults import Fault, FlashOp, ended_by_power_cut, parse_trace, sim_args
from wamr_agent.emulator.process import BoardProcess
from wamr_agent.emulator.simulated import ensure_sim
from wamr_agent.errors import EmulatorError, WamrAgentError

OLD, NEW = "old", "new"
BOOT_WAIT = 15.0
CUT_WAIT = 5.0  # from the end of the deploy to the planned cut
SETTLE = 1.0  # the counting run ends when no op came for this long
AGENT_READY = re.compile(r"^agent ready", re.MULTILINE)

# ---- scenarios and their phases ------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    new: Version  # deployed over the old version
    final: Version  # runs once the same deploy has been run again
    last_phase: str  # after the new version started: "confirm" or "revert"
    old: Version | None = None  # the version installed before (None: v1)

    def kept(self, versions: Versions) -> Version:
        """The last good version: it runs until the new one is confirmed."""
        return self.old or versions.v1

    def allowed(self, versions: Versions) -> tuple[Version, ...]:
        """What may run after a cut (a version that traps only until its trap)."""
        return (self.kept(versions), self.new)


def scenarios(versions: Versions) -> dict[str, Scenario]:
    """update, revert; with AOT versions, aot (v2aot over v1) and aot-over-aot (v2aot
    over v1aot)."""
    found = {"update": Scenario("update", versions.v2, versions.v2, "confirm"),
             "revert": Scenario("revert", versions.v2bad, versions.v1, "revert")}
    if versions.v2aot is not None and versions.v1aot is not None:
        found["aot"] = Scenario("aot", versions.v2aot, versions.v2aot, "confirm")
        found["aot-over-aot"] = Scenario("aot-over-aot", versions.v2aot, versions.v2aot,
                                         "confirm", versions.v1aot)
    return found


def _markers(scenario: Scenario) -> list[tuple[str, re.Pattern[str]]]:
    """Each phase and the console line it starts at (in this order, one run). The
    device's wording is read here only (and in AGENT_READY)."""
    return [("upload+install", re.compile(r"agent ready")),
            ("trial start", re.compile(rf"app {APP} (installed|staged)")),
            (scenario.last_phase, re.compile(rf"app {APP} started")),
            (f"after {scenario.last_phase}", re.compile(rf"app {APP} (confirmed|reverted)"))]


def walk_phases(console: str, scenario: Scenario) -> Iterator[tuple[str, str]]:
    """Each console line of one process run with the phase it falls in."""
    markers, phase = _markers(scenario), "boot"
    for line in console.splitlines():
        if markers and markers[0][1].match(line):
            phase = markers.pop(0)[0]
        yield phase, line


def op_phases(console: str, scenario: Scenario) -> list[tuple[FlashOp, str]]:
    """The ops of a trace written into the console itself, each with its phase."""
    return [(op, phase) for phase, line in walk_phases(console, scenario)
            for op in parse_trace(line)]


def cut_phase(console: str, scenario: Scenario) -> str:
    return next((phase for phase, line in walk_phases(console, scenario)
                 if line.startswith("power cut at flash op")), "?")


# ---- rigs ----------------------------------------------------------------------------


class Rig(Protocol):
    board: str

    def create(self, workdir: Path, faults: Sequence[Fault], trace: bool = False
               ) -> BoardProcess: ...

    def restart(self, board: BoardProcess, faults: Sequence[Fault]) -> None: ...

    def ops(self, board: BoardProcess, scenario: Scenario) -> list[tuple[FlashOp, str]]: ...


class SimRig:
    """Simulated esp32s: the plan and the trace are program arguments; the trace goes
    into the console log itself, so each op sits between the lines around it."""

    board = "esp32"

    def __init__(self) -> None:
        self.profile = load_board(self.board)
        self.program = ensure_sim(self.profile)

    def create(self, workdir: Path, faults: Sequence[Fault], trace: bool = False
               ) -> BoardProcess:
        args = sim_args(faults, "console.log" if trace else None)
        return SimulatedBoard(self.profile, self.program, workdir, extra_args=args)

    def restart(self, board: BoardProcess, faults: Sequence[Fault]) -> None:
        board.restart(BOOT_WAIT, extra_args=sim_args(faults))

    def ops(self, board: BoardProcess, scenario: Scenario) -> list[tuple[FlashOp, str]]:
        return op_phases(board.console.text, scenario)


# ---- snapshot and counting run -------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    flash: Path  # v1 installed and running
    boot: int  # the boot count stored in it


def take_snapshot(rig: Rig, versions: Versions, workdir: Path,
                  old: Version | None = None) -> Snapshot:
    """The flash with ``old`` (default v1) installed and running."""
    first = old or versions.v1
    (workdir / "board").mkdir(parents=True)
    with rig.create(workdir / "board", ()) as board:
        board.power_on(timeout=BOOT_WAIT)
        deploy(first.path, rig.board, port=board.mgmt_address, name=APP)
        expect(board, first.loop_line, "its loop line", first)
        with client(board) as c:
            boot = c.status().boot
    flash = workdir / "flash.bin"
    shutil.copyfile(board.flash_path, flash)
    return Snapshot(flash, boot)


def prepare(workdir: Path, snapshot: Snapshot) -> None:
    workdir.mkdir(parents=True)
    shutil.copyfile(snapshot.flash, workdir / "flash.bin")


@dataclass(frozen=True)
class Count:
    """The ops of one undisturbed run of a scenario, from power-on."""

    ops: tuple[tuple[FlashOp, str], ...]  # each with its phase
    seconds: float

    @property
    def n(self) -> int:
        return len(self.ops)

    def boundaries(self) -> list[tuple[str, int]]:
        """Each phase and its first op."""
        first: dict[str, int] = {}
        for op, phase in self.ops:
            first.setdefault(phase, op.index)
        return list(first.items())


def count_ops(rig: Rig, scenario: Scenario, snapshot: Snapshot, workdir: Path) -> Count:
    prepare(workdir, snapshot)
    with rig.create(workdir, (), trace=True) as board:
        began = time.monotonic()
        board.power_on(timeout=BOOT_WAIT)
        board.console.expect(AGENT_READY, timeout=BOOT_WAIT)
        run_deploy(board, scenario.new)
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < SETTLE:
            if (now := len(rig.ops(board, scenario))) != seen:
                seen, quiet_since = now, time.monotonic()
            time.sleep(0.05)
        return Count(tuple(rig.ops(board, scenario)), time.monotonic() - began - SETTLE)


# ---- running a case ------------------------------------------------------------------


def run_deploy(board: BoardProcess, version: Version) -> WamrAgentError | None:
    """A deploy that may be cut (or refused): what it raised, if anything."""
    try:
        deploy(version.path, board.board.name, port=board.mgmt_address, name=APP)
    except WamrAgentError as exc:
        return exc
    return None


def boot(rig: Rig, board: BoardProcess, faults: Sequence[Fault], first: bool) -> None:
    """Powers on (first) or restarts with ``faults``; a planned cut may end the boot."""
    try:
        if first:
            board.power_on(timeout=BOOT_WAIT)
        else:
            rig.restart(board, faults)
    except EmulatorError as exc:
        if not (faults and ended_by_power_cut(board)):
            raise Broken(f"did not boot: {str(exc).splitlines()[0]}") from None


def wait_end(board: BoardProcess, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while board.running and time.monotonic() < deadline:
        time.sleep(0.02)
    return not board.running


def await_cut(board: BoardProcess, fault: Fault) -> None:
    if not wait_end(board, CUT_WAIT):
        raise Broken(f"the planned {fault} never came (ops differ from the counting run?)")
    if not ended_by_power_cut(board):
        raise Broken(f"the process ended with status {board.exit_status}, not by the cut")


def recover(rig: Rig, board: BoardProcess, scenario: Scenario, versions: Versions,
            boots: BootCount) -> str:
    """Boots without faults and checks (a)-(c); OLD or NEW: the version that runs."""
    mark = len(board.console.text)
    boot(rig, board, (), first=False)
    try:
        board.console.expect(AGENT_READY, timeout=BOOT_WAIT)
    except EmulatorError:
        raise Broken("no 'agent ready' after the cut") from None
    boots.boots(board.console.text[mark:])
    kept = scenario.kept(versions)
    version = settled(board, versions.all, scenario.allowed(versions), kept, boots)
    return OLD if version == kept else NEW


def finish(rig: Rig, board: BoardProcess, scenario: Scenario, versions: Versions,
           boots: BootCount) -> str:
    """Recovery checks, then (d) the re-run deploy; the recovered version."""
    outcome = recover(rig, board, scenario, versions, boots)
    rerun(board, scenario.new, scenario.final, versions.all)
    return outcome
