"""Flash fault injection in a board process: plans, the op trace, planned power cuts.

The firmware's injector (``firmware/core/port/wa_flash_faults.h``) numbers every flash
program and erase from 0 at power-on (the count goes on across software resets) and
faults the ops a plan names:

- ``cut-before:K``, ``cut-after:K``, ``cut-during:K[:SEED]``: the power is cut before
  op K, after it, or in the middle of it (a torn program or erase, seeded);
- ``fail-write:K``: op K, a program, reports success and programs nothing.

A planned cut prints ``power cut at flash op K (before|after|during)`` on the console
and ends the process with :data:`POWER_CUT_STATUS`. The trace has one line per op,
``K P|E OFFSET LEN`` (P: program, E: erase), appended as it happens.

Simulated boards take the plan and the trace path as program arguments
(:func:`sim_args`, passed as ``extra_args`` to ``SimulatedBoard.start`` or ``restart``).
QEMU boards run a separate image with the injector (``make faultfw``,
:func:`ensure_fault_firmware`), which reads its plan from :data:`QEMU_PLAN_FILE` at
every boot and appends its trace to :data:`QEMU_TRACE_FILE`, both in the instance's
directory (:func:`write_qemu_plan`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..boards import Board
from .firmware import ensure_built, repo_root
from .process import BoardProcess

__all__ = ["CUT_MODES", "POWER_CUT_STATUS", "QEMU_PLAN_FILE", "QEMU_TRACE_FILE", "CutMode",
           "Fault", "FlashOp", "cut_in", "ended_by_power_cut", "ensure_fault_firmware",
           "fault_firmware_path", "parse_trace", "plan_text", "read_trace", "sim_args",
           "write_qemu_plan"]

#: The exit status of a planned power cut (WA_FLASH_FAULTS_CUT_STATUS in C).
POWER_CUT_STATUS = 86
QEMU_PLAN_FILE = "flash-faults.txt"
QEMU_TRACE_FILE = "flash-trace.txt"

CutMode = Literal["before", "after", "during"]
CUT_MODES: tuple[CutMode, ...] = ("before", "after", "during")
FaultKind = Literal["cut-before", "cut-after", "cut-during", "fail-write"]

_TRACE_LINE = re.compile(r"^(\d+) ([PE]) (\d+) (\d+)$", re.MULTILINE)
_CUT_LINE = re.compile(r"power cut at flash op (\d+) \((before|after|during)\)")


@dataclass(frozen=True)
class Fault:
    """One entry of a plan."""

    kind: FaultKind
    op: int
    seed: int | None = None  # cut-during only: replays the same torn state

    @classmethod
    def cut(cls, mode: CutMode, op: int, seed: int | None = None) -> Fault:
        kind: FaultKind = "cut-before" if mode == "before" else (
            "cut-after" if mode == "after" else "cut-during")
        return cls(kind, op, seed if mode == "during" else None)

    def __str__(self) -> str:
        return f"{self.kind}:{self.op}" + (f":{self.seed}" if self.seed is not None else "")


def plan_text(faults: Iterable[Fault]) -> str:
    """The plan as the firmware reads it: ``cut-after:3,fail-write:9``."""
    return ",".join(str(f) for f in faults)


@dataclass(frozen=True)
class FlashOp:
    """One line of the trace."""

    index: int
    kind: Literal["P", "E"]
    offset: int
    length: int

    @property
    def program(self) -> bool:
        return self.kind == "P"


def parse_trace(text: str) -> list[FlashOp]:
    """The trace lines in ``text`` (other lines, e.g. console output, are skipped)."""
    return [FlashOp(int(m[1]), "P" if m[2] == "P" else "E", int(m[3]), int(m[4]))
            for m in _TRACE_LINE.finditer(text)]


def read_trace(path: Path) -> list[FlashOp]:
    """The ops in the trace file ``path`` (none when it does not exist)."""
    try:
        return parse_trace(path.read_text(errors="replace"))
    except FileNotFoundError:
        return []


def cut_in(console: str) -> tuple[int, CutMode] | None:
    """The planned cut the console reports (op, mode), or None."""
    found = _CUT_LINE.search(console)
    if found is None:
        return None
    mode = next(m for m in CUT_MODES if m == found[2])
    return int(found[1]), mode


def ended_by_power_cut(board: BoardProcess) -> bool:
    """True when the firmware ended the process with a planned power cut."""
    return not board.running and board.exit_status == POWER_CUT_STATUS


def sim_args(faults: Sequence[Fault] = (), trace: str | Path | None = None) -> list[str]:
    """Program arguments of ``wamr-agent-sim``: the plan, and where to append the
    trace (relative to the instance's directory)."""
    args = ["--flash-faults", plan_text(faults)] if faults else []
    return args + (["--flash-trace", str(trace)] if trace is not None else [])


def write_qemu_plan(workdir: Path, faults: Sequence[Fault]) -> None:
    """The plan the QEMU fault image reads at its next boots (none: no file)."""
    path = workdir / QEMU_PLAN_FILE
    if faults:
        path.write_text(plan_text(faults) + "\n")
    else:
        path.unlink(missing_ok=True)


def fault_firmware_path(board: str, root: Path) -> Path:
    return root / "build" / "faultfw" / board / "firmware.elf"


def ensure_fault_firmware(board: Board) -> Path:
    """The board's firmware with the injector (`make faultfw`), built when out of date."""
    return ensure_built(board, fault_firmware_path(board.name, repo_root()), "faultfw")
