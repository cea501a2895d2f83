"""The power-cut sweep on a simulated esp32 (tests/hostport/powercut.py): v1 runs, a
new version is deployed, and the firmware's fault injector cuts the power before,
during (a torn program or erase) or after every flash operation of the deploy, or
several times in a row, or makes one program fail silently. After every case the
device must run exactly one verified version and complete the same deploy again.

`make test` runs every op (modes sampled for long scenarios); `make sweep`
(WAMR_SWEEP=full) runs every op in every mode and more multi-cut seeds. Reports:
build/sweep/<test>.txt.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostport.powercut import (
    Count,
    Scenario,
    SimRig,
    Snapshot,
    count_ops,
    scenarios,
    take_snapshot,
)
from tests.hostport.powercut_cases import (
    FULL,
    MULTI_SEEDS,
    Job,
    cut_case,
    fail_write_case,
    multi_cut_case,
    multi_cut_legs,
    run_all,
    single_cuts,
)
from tests.hostport.powercut_report import count_lines, report
from tests.hostport.powercut_versions import Versions, build_versions
from wamr_agent.emulator.faults import Fault


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sweep")


@pytest.fixture(scope="module")
def rig() -> SimRig:
    return SimRig()


@pytest.fixture(scope="module")
def versions(workdir: Path) -> Versions:
    return build_versions(workdir / "versions")


@pytest.fixture(scope="module")
def snapshot(rig: SimRig, versions: Versions, workdir: Path) -> Snapshot:
    return take_snapshot(rig, versions, workdir / "snapshot")


@pytest.fixture(scope="module")
def counts(rig: SimRig, versions: Versions, snapshot: Snapshot,
           workdir: Path) -> Iterator[dict[str, Count]]:
    yield {name: count_ops(rig, scenario, snapshot, workdir / f"count-{name}")
           for name, scenario in scenarios(versions).items()}


def sweep(name: str, jobs: list[Job], preamble: list[str]) -> None:
    began = time.monotonic()
    results = run_all(jobs)
    summary = report(name, results, [f"sweep: {'full' if FULL else 'quick'}", *preamble],
                     time.monotonic() - began)
    assert not any(r.failed for r in results), summary


@pytest.mark.parametrize("name", ["update", "revert"])
def test_a_cut_before_during_or_after_any_flash_op_leaves_one_verified_version(
        name: str, rig: SimRig, versions: Versions, snapshot: Snapshot,
        counts: dict[str, Count], workdir: Path) -> None:
    scenario: Scenario = scenarios(versions)[name]
    count = counts[name]
    jobs: list[Job] = [
        functools.partial(cut_case, rig, scenario, versions, snapshot,
                          Fault.cut(mode, k), workdir / f"{name}-{mode}-{k}")
        for k, mode in single_cuts(count)]
    sweep(f"{name}", jobs, count_lines(name, count))


def test_a_silent_write_failure_never_leaves_a_corrupt_version_or_none(
        rig: SimRig, versions: Versions, snapshot: Snapshot, counts: dict[str, Count],
        workdir: Path) -> None:
    scenario = scenarios(versions)["update"]
    count = counts["update"]
    jobs: list[Job] = [
        functools.partial(fail_write_case, rig, scenario, versions, snapshot, op.index,
                          phase, workdir / f"fail-write-{op.index}")
        for op, phase in count.ops if op.program]
    sweep("fail-write", jobs, count_lines("update", count))


def test_several_cuts_in_a_row_end_in_one_verified_version(
        rig: SimRig, versions: Versions, snapshot: Snapshot, counts: dict[str, Count],
        workdir: Path) -> None:
    jobs: list[Job] = []
    for name, scenario in scenarios(versions).items():
        for seed in MULTI_SEEDS[name]:
            legs = multi_cut_legs(seed, counts[name].n)
            jobs.append(functools.partial(multi_cut_case, rig, scenario, versions, snapshot,
                                          legs, workdir / f"multi-{name}-{seed}"))
    preamble = [line for name in counts for line in count_lines(name, counts[name])]
    sweep("multi-cut", jobs, [*preamble, "seeds: " + ", ".join(
        f"{name} {s.start}-{s.stop - 1}" for name, s in MULTI_SEEDS.items())])
