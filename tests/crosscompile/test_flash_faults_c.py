"""firmware/core/port/wa_flash_faults.c, the flash fault injector both ports use:
its driver (plans, op counting, torn programs and erases, trace and cut lines)
built with the host compiler and run, the file builds for the Cortex-M cores
with -Werror (its exit status is checked against Python's in tests/unit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import CORTEX_M, build_driver, build_for_cortex_m, run_driver

PORT = ROOT / "firmware" / "core" / "port"
DRIVER = ROOT / "firmware" / "tests" / "wa_flash_faults_test.c"


def test_c_injector_passes_its_driver(tmp_path: Path) -> None:
    exe = build_driver(tmp_path / "wa_flash_faults_test", [DRIVER, PORT / "wa_flash_faults.c"],
                       ["-O1", f"-I{PORT}"])
    assert re.search(r"\d+ checks, 0 failures", run_driver(exe))


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    build_for_cortex_m(cpu, PORT / "wa_flash_faults.c", tmp_path, [f"-I{PORT}"])
