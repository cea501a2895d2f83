"""firmware/core/port/wa_flash_faults.c, the flash fault injector both ports use:
its driver (plans, op counting, torn programs and erases, trace and cut lines)
built with the host compiler and run, the file builds for the Cortex-M cores
with -Werror (its exit status is checked against Python's in tests/unit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import CORTEX_M, WARN, arm_gcc, host_cc, run

PORT = ROOT / "firmware" / "core" / "port"
DRIVER = ROOT / "firmware" / "tests" / "wa_flash_faults_test.c"


def test_c_injector_passes_its_driver(tmp_path: Path) -> None:
    exe = tmp_path / "wa_flash_faults_test"
    build = run([host_cc(), *WARN, "-O1", f"-I{PORT}", "-o", exe, DRIVER,
                 PORT / "wa_flash_faults.c"])
    assert build.returncode == 0, build.stderr
    result = run([exe])
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\d+ checks, 0 failures", result.stdout)


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    obj = tmp_path / "wa_flash_faults.o"
    build = run([arm_gcc(), f"-mcpu={cpu}", "-mthumb", "-Os", *WARN, f"-I{PORT}", "-c",
                 PORT / "wa_flash_faults.c", "-o", obj])
    assert build.returncode == 0, build.stderr
    assert obj.stat().st_size > 0
