"""firmware/ports/cortex-m/tiny_printf.c, the firmware's own snprintf and vsnprintf
(in place of newlib-nano's, 1.3 KiB of flash less): the same text and returned
length as the host C library for every conversion the firmware and the engine use,
into buffers large and too small, under ASan and UBSan; builds for the Cortex-M
cores with -Werror."""

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

SOURCE = ROOT / "firmware" / "ports" / "cortex-m" / "tiny_printf.c"
DRIVER = ROOT / "firmware" / "tests" / "wa_tiny_printf_test.c"
CASES = 12 * 3  # CASE(...) lines of the driver, three buffer sizes each


@pytest.mark.parametrize("build", list(HOST_BUILDS))
def test_tiny_printf_formats_as_the_c_library(tmp_path: Path, build: str) -> None:
    exe = build_driver(tmp_path / "tiny_printf_test", [DRIVER],
                       [*HOST_BUILDS[build], "-Wno-format-truncation"])
    out = run_driver(exe)
    assert re.search(rf"^{CASES} cases, 0 failures$", out, re.M), out
    assert DRIVER.read_text().count("\n    CASE(") * 3 == CASES


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_tiny_printf_builds_for_cortex_m(tmp_path: Path, cpu: str) -> None:
    build_for_cortex_m(cpu, SOURCE, tmp_path)
