"""firmware/core/smp/wa_smp_frame.c: the C decoder and encoder agree with the
shared vectors (built with the host compiler and run), and the file builds
for the Cortex-M cores with -Werror."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import CORTEX_M, WARN, arm_gcc, host_cc, run

SMP = ROOT / "firmware" / "core" / "smp"
RUNTIME = ROOT / "firmware" / "core" / "runtime"
DRIVER = ROOT / "firmware" / "tests" / "wa_smp_frame_test.c"
VECTORS = ROOT / "tests" / "fixtures" / "smp" / "vectors.txt"


def test_c_decoder_and_encoder_pass_the_vectors(tmp_path: Path) -> None:
    exe = tmp_path / "wa_smp_frame_test"
    build = run([host_cc(), *WARN, "-O1", f"-I{SMP}", f"-I{RUNTIME}", "-o", exe, DRIVER,
                 SMP / "wa_smp_frame.c"])
    assert build.returncode == 0, build.stderr
    result = run([exe, VECTORS])
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failures" in result.stdout


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    obj = tmp_path / "wa_smp_frame.o"
    build = run([arm_gcc(), f"-mcpu={cpu}", "-mthumb", "-Os", *WARN, f"-I{RUNTIME}", "-c",
                 SMP / "wa_smp_frame.c", "-o", obj])
    assert build.returncode == 0, build.stderr
    assert obj.stat().st_size > 0
