"""firmware/core/crypto/wa_sha256.c: the C SHA-256 agrees with hashlib on the
shared vectors (one-shot and streamed, built with the host compiler and run),
the vectors file is current, and the file builds for the Cortex-M cores with
-Werror."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, load_tool, need

CRYPTO = ROOT / "firmware" / "core" / "crypto"
DRIVER = ROOT / "firmware" / "tests" / "wa_sha256_test.c"
VECTORS = ROOT / "tests" / "fixtures" / "sha256" / "vectors.txt"
WARN = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_vectors_file_is_current() -> None:
    gen = load_tool("gen_sha256_vectors")
    assert VECTORS.read_text() == gen.render(), "run python3 firmware/tools/gen_sha256_vectors.py"


def test_c_sha256_passes_the_vectors(tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    need(cc is not None, "a host C compiler (cc)", "run `make setup`")
    assert cc is not None
    exe = tmp_path / "wa_sha256_test"
    build = run(
        [cc, *WARN, "-O1", f"-I{CRYPTO}", "-o", str(exe), str(DRIVER), str(CRYPTO / "wa_sha256.c")]
    )
    assert build.returncode == 0, build.stderr
    result = run([str(exe), str(VECTORS)])
    assert result.returncode == 0, result.stdout + result.stderr
    expected = len(load_tool("gen_sha256_vectors").inputs())
    assert f"{expected} vectors checked, 0 failures" in result.stdout


@pytest.mark.parametrize("cpu", ["cortex-m0plus", "cortex-m4", "cortex-m33"])
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    gcc = shutil.which("arm-none-eabi-gcc")
    need(
        gcc is not None,
        "arm-none-eabi-gcc",
        "run `make setup` (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)",
    )
    assert gcc is not None
    obj = tmp_path / "wa_sha256.o"
    build = run(
        [
            gcc,
            f"-mcpu={cpu}",
            "-mthumb",
            "-Os",
            *WARN,
            "-c",
            str(CRYPTO / "wa_sha256.c"),
            "-o",
            str(obj),
        ]
    )
    assert build.returncode == 0, build.stderr
    assert obj.stat().st_size > 0
