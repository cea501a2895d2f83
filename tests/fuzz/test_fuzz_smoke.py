"""The fuzz tier's bounded run in ``make test``: every harness of ``make fuzz``
(firmware/fuzz/*.c under libFuzzer + ASan + UBSan, the atheris ones in this folder)
replays its regression fixtures (tests/fixtures/fuzz/<target>/) and then fuzzes a few
seconds from its seed corpus (build/fuzz/corpus/<target>/). Any crash, sanitizer
report or broken invariant fails the test with the harness's report; the input is
kept in the test's tmp folder (crashes/<target>/) to become a fixture.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "fuzz"
SECONDS = int(os.environ.get("WAMR_FUZZ_SMOKE_SECONDS", "6"))
SEED = int(os.environ.get("WAMR_FUZZ_SEED", "1"))

_spec = importlib.util.spec_from_file_location("run_fuzz", ROOT / "firmware/fuzz/run_fuzz.py")
assert _spec is not None and _spec.loader is not None
run_fuzz = importlib.util.module_from_spec(_spec)
sys.modules["run_fuzz"] = run_fuzz
_spec.loader.exec_module(run_fuzz)


def _have_atheris() -> bool:
    return importlib.util.find_spec("atheris") is not None


@pytest.mark.needs_tool
@pytest.mark.parametrize("target", run_fuzz.ALL_TARGETS)
def test_fuzz_target_bounded_run(target: str, tmp_path: Path) -> None:
    if target.startswith("py_"):
        need(_have_atheris(), "atheris", "make setup installs it (pyproject's dev extra)")
    else:
        need((OUT / target).is_file(), f"build/fuzz/{target}", "run `make fuzz-build`")
    seeds = OUT / "corpus" / run_fuzz.CORPUS_OF.get(target, target)
    need(seeds.is_dir() and any(seeds.iterdir()), f"the seed corpus {seeds}",
         "run `make fuzz-build`")
    result = run_fuzz.run(target, OUT, SECONDS, seed=SEED, work=tmp_path)
    assert not result.crashed, f"{target} crashed:\n{result.log}"
    assert result.fixtures == len(run_fuzz.fixtures(target))
    assert result.execs > 0, f"{target} ran no input:\n{result.log}"


def test_fixtures_belong_to_known_targets() -> None:
    folders = [p.name for p in run_fuzz.FIXTURES.iterdir() if p.is_dir()]
    assert folders, "tests/fixtures/fuzz/ holds no regression fixture"
    assert set(folders) <= set(run_fuzz.ALL_TARGETS)
