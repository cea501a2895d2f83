"""firmware/core/smp/wa_smp_frame.c: the C decoder and encoder agree with the
shared vectors (built with the host compiler and run), and the file builds
for the Cortex-M cores with -Werror."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import (
    CORTEX_M,
    TEST_TEXT,
    build_driver,
    build_for_cortex_m,
    run_driver,
)

SMP = ROOT / "firmware" / "core" / "smp"
RUNTIME = ROOT / "firmware" / "core" / "runtime"
DRIVER = ROOT / "firmware" / "tests" / "wa_smp_frame_test.c"
VECTORS = ROOT / "tests" / "fixtures" / "smp" / "vectors.txt"


def test_c_decoder_and_encoder_pass_the_vectors(tmp_path: Path) -> None:
    exe = build_driver(tmp_path / "wa_smp_frame_test", [DRIVER, TEST_TEXT, SMP / "wa_smp_frame.c"],
                       ["-O1", f"-I{SMP}", f"-I{RUNTIME}"])
    cases = sum(1 for line in VECTORS.read_text().splitlines() if line.startswith("case "))
    assert cases > 30  # the vectors file, not an empty or cut one
    # every case ran (a driver that reads none would also report 0 failures)
    assert run_driver(exe, VECTORS).splitlines()[-1] == f"{cases} vector cases, 0 failures"


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    build_for_cortex_m(cpu, SMP / "wa_smp_frame.c", tmp_path, [f"-I{RUNTIME}"])
