"""firmware/core/runtime/wa_fround.c, the engine's floor, ceil, trunc and rint
(f64.floor, ceil, trunc, nearest), computed on the bits: the host C library's
results bit for bit, a NaN quieted, under ASan and UBSan; builds for the
Cortex-M cores with -Werror."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import (
    CORTEX_M,
    HOST_BUILDS,
    build_driver,
    build_for_cortex_m,
    run_driver,
)

SOURCE = ROOT / "firmware" / "core" / "runtime" / "wa_fround.c"
DRIVER = ROOT / "firmware" / "tests" / "wa_fround_test.c"


@pytest.mark.parametrize("build", list(HOST_BUILDS))
def test_fround_matches_the_host(tmp_path: Path, build: str) -> None:
    exe = build_driver(tmp_path / "fround_test", [DRIVER, "-lm"], HOST_BUILDS[build])
    out = run_driver(exe)
    found = re.search(r"^(\d+) cases, 0 failures$", out, re.M)
    assert found, out
    assert int(found[1]) > 3_000_000


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_fround_builds_for_cortex_m(tmp_path: Path, cpu: str) -> None:
    build_for_cortex_m(cpu, SOURCE, tmp_path)
