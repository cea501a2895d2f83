"""firmware/ports/cortex-m/small_libc.c, the firmware's own strlen, strcmp,
memcpy and kin, 64-bit division and popcount, 64-bit integer to float
conversions, float rounding (and under it firmware/core/runtime/wa_fround.c's
double rounding) and square roots (in place of newlib's and libgcc's unrolled
ones, about 2.5 KiB less flash; docs/boards.md): the same results as the host
C library and compiler, bit for bit, on edge cases and pseudo-random inputs,
under ASan and UBSan; builds for the Cortex-M cores and FPUs of the mps2
boards with -Werror, so every FPU-dependent part compiles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import HOST_BUILDS, build_driver, build_for_cortex_m, run_driver

SOURCE = ROOT / "firmware" / "ports" / "cortex-m" / "small_libc.c"
DRIVER = ROOT / "firmware" / "tests" / "wa_small_libc_test.c"
# The mps2 boards' cores and FPUs, and one without a divide instruction.
TARGETS = {
    "cortex-m3": [],
    "cortex-m4": ["-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m7": ["-mfloat-abi=hard", "-mfpu=fpv5-d16"],
    "cortex-m33": ["-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
    "cortex-m0plus": [],
}


@pytest.mark.parametrize("build", list(HOST_BUILDS))
def test_small_libc_matches_the_host(tmp_path: Path, build: str) -> None:
    exe = build_driver(tmp_path / "small_libc_test", [DRIVER, "-lm"], HOST_BUILDS[build])
    out = run_driver(exe)
    found = re.search(r"^(\d+) cases, 0 failures$", out, re.M)
    assert found, out
    assert int(found[1]) > 500_000


@pytest.mark.parametrize("cpu", list(TARGETS))
def test_small_libc_builds_for_cortex_m(tmp_path: Path, cpu: str) -> None:
    build_for_cortex_m(cpu, SOURCE, tmp_path, TARGETS[cpu])
