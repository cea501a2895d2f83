"""firmware/core/smp/wa_smp_frame.c: the C decoder and encoder agree with the
shared vectors (built with the host compiler and run), and the file builds
for the Cortex-M cores with -Werror."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, need

SMP = ROOT / "firmware" / "core" / "smp"
RUNTIME = ROOT / "firmware" / "core" / "runtime"
DRIVER = ROOT / "firmware" / "tests" / "wa_smp_frame_test.c"
VECTORS = ROOT / "tests" / "fixtures" / "smp" / "vectors.txt"
WARN = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_c_decoder_and_encoder_pass_the_vectors(tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    need(cc is not None, "a host C compiler (cc)", "run `make setup`")
    assert cc is not None
    exe = tmp_path / "wa_smp_frame_test"
    build = run([cc, *WARN, "-O1", f"-I{SMP}", f"-I{RUNTIME}", "-o", str(exe),
                 str(DRIVER), str(SMP / "wa_smp_frame.c")])
    assert build.returncode == 0, build.stderr
    result = run([str(exe), str(VECTORS)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failures" in result.stdout


@pytest.mark.parametrize("cpu", ["cortex-m0plus", "cortex-m4", "cortex-m33"])
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    gcc = shutil.which("arm-none-eabi-gcc")
    need(gcc is not None, "arm-none-eabi-gcc",
         "run `make setup` (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    assert gcc is not None
    obj = tmp_path / "wa_smp_frame.o"
    build = run([gcc, f"-mcpu={cpu}", "-mthumb", "-Os", *WARN, f"-I{RUNTIME}", "-c",
                 str(SMP / "wa_smp_frame.c"), "-o", str(obj)])
    assert build.returncode == 0, build.stderr
    assert obj.stat().st_size > 0
