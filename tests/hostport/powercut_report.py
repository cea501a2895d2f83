"""The sweep's report: how many cases ended with the old version running, the new one,
or a failure, per scenario, phase and mode; then every failure. Printed and written
to build/sweep/<name>.txt."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import BUILD
from tests.hostport.powercut import NEW, OLD, Count
from tests.hostport.powercut_cases import Result

SWEEP_DIR = BUILD / "sweep"
SHOWN_FAILURES = 10


def outcome_table(results: Sequence[Result]) -> list[str]:
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for r in results:
        counts[(r.scenario, r.phase, r.mode, "fail" if r.failed else r.outcome)] += 1
    keys = sorted({(r.scenario, r.phase, r.mode) for r in results},
                  key=lambda key: _order(results, key))
    header = ["scenario", "phase", "mode", OLD, NEW, "fail"]
    rows = [[*key, *(str(counts[(*key, column)]) for column in (OLD, NEW, "fail"))]
            for key in keys]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
            for row in [header, ["-" * w for w in widths], *rows]]


def _order(results: Sequence[Result], key: tuple[str, str, str]) -> int:
    """Rows in the order their first case ran (op order: phases in time order)."""
    return next(i for i, r in enumerate(results) if (r.scenario, r.phase, r.mode) == key)


def count_lines(name: str, count: Count) -> list[str]:
    bounds = ", ".join(f"{phase} from op {first}" for phase, first in count.boundaries())
    return [f"{name}: {count.n} flash ops from power-on ({bounds}); "
            f"undisturbed run {count.seconds:.2f} s; ops: {write_ops(name, count)}"]


def write_ops(name: str, count: Count) -> Path:
    """The counting run's ops, one a line: index, P/E, offset, length, phase."""
    SWEEP_DIR.mkdir(parents=True, exist_ok=True)
    path = SWEEP_DIR / f"{name}-ops.txt"
    path.write_text("".join(f"{op.index} {op.kind} {op.offset} {op.length} {phase}\n"
                            for op, phase in count.ops))
    return path


def spans(ops: Sequence[int]) -> str:
    """1, 2, 3, 7 -> "1-3, 7"."""
    runs: list[list[int]] = []
    for op in sorted(ops):
        if runs and op == runs[-1][-1] + 1:
            runs[-1].append(op)
        else:
            runs.append([op])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def failure_kinds(results: Sequence[Result]) -> list[str]:
    """Failures grouped by what was seen, with the ops per mode."""
    kinds: dict[str, dict[str, list[int]]] = {}
    for r in results:
        if r.failed:
            kinds.setdefault(r.outcome, {}).setdefault(r.mode, []).append(
                -1 if r.op is None else r.op)
    lines = []
    for outcome, modes in sorted(kinds.items(), key=lambda kv: -sum(map(len, kv[1].values()))):
        where = "; ".join(f"{mode} {'' if ops[0] < 0 else 'at ops ' + spans(ops)}".rstrip()
                          + f" ({len(ops)})" for mode, ops in modes.items())
        lines += [f"{sum(map(len, modes.values()))} x {outcome}", f"    {where}"]
    return lines


def failure_lines(results: Sequence[Result], limit: int | None = None) -> list[str]:
    failed = [r for r in results if r.failed]
    shown = failed if limit is None else failed[:limit]
    lines = [f"{r.label}: {r.outcome}" + (f" [{r.note}]" if r.note else "")
             + (f"\n    {r.workdir}" if limit is None else "") for r in shown]
    if len(shown) < len(failed):
        lines.append(f"... and {len(failed) - len(shown)} more")
    return lines


def report(name: str, results: Sequence[Result], preamble: Sequence[str],
           seconds: float) -> str:
    """Prints and writes the report; returns the failure summary for an assertion."""
    failed = sum(r.failed for r in results)
    lines = [*preamble, f"{len(results)} cases in {seconds:.1f} s, {failed} failed", "",
             *outcome_table(results)]
    if failed:
        lines += ["", "failures by what was seen:", *failure_kinds(results), "",
                  "failed cases (what was seen; the kept directory):", *failure_lines(results)]
    text = "\n".join(lines) + "\n"
    SWEEP_DIR.mkdir(parents=True, exist_ok=True)
    path: Path = SWEEP_DIR / f"{name}.txt"
    path.write_text(text)
    print(f"\n{text}report: {path}")
    return (f"{failed} of {len(results)} cases failed (report: {path}):\n"
            + "\n".join([*failure_kinds(results), "first ones:",
                          *failure_lines(results, SHOWN_FAILURES)]))
