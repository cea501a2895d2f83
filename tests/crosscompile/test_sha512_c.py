"""firmware/core/crypto/wa_sha512.c: the C SHA-512 agrees with hashlib on the
shared vectors (one-shot and streamed, built with the host compiler, also under
ASan and UBSan, and run), the vectors file is current, and the file builds for
the Cortex-M cores with -Werror."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, load_tool
from tests.crosscompile.ctools import CORTEX_M, WARN, arm_gcc, host_cc, run

CRYPTO = ROOT / "firmware" / "core" / "crypto"
DRIVER = ROOT / "firmware" / "tests" / "wa_sha512_test.c"
VECTORS = ROOT / "tests" / "fixtures" / "sha512" / "vectors.txt"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def test_vectors_file_is_current() -> None:
    gen = load_tool("gen_sha512_vectors")
    assert VECTORS.read_text() == gen.render(), "run python3 firmware/tools/gen_sha512_vectors.py"


@pytest.mark.parametrize("flags", [["-O2"], ["-O1", *SANITIZE]], ids=["plain", "asan-ubsan"])
def test_c_sha512_passes_the_vectors(flags: list[str], tmp_path: Path) -> None:
    exe = tmp_path / "wa_sha512_test"
    build = run([host_cc(), *WARN, *flags, f"-I{CRYPTO}", "-o", exe, DRIVER,
                 CRYPTO / "wa_sha512.c"])
    assert build.returncode == 0, build.stderr
    result = run([exe, VECTORS])
    assert result.returncode == 0, result.stdout + result.stderr
    expected = len(load_tool("gen_sha512_vectors").inputs())
    assert f"{expected} vectors checked, 0 failures" in result.stdout


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    obj = tmp_path / "wa_sha512.o"
    build = run([arm_gcc(), f"-mcpu={cpu}", "-mthumb", "-Os", *WARN, "-c",
                 CRYPTO / "wa_sha512.c", "-o", obj])
    assert build.returncode == 0, build.stderr
    assert obj.stat().st_size > 0
