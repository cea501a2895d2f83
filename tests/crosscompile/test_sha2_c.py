"""firmware/core/crypto/wa_sha256.c and wa_sha512.c: each C hash agrees with
hashlib on its shared vectors (one-shot and streamed, by the driver of
firmware/tests/wa_hash_test.h built with the host compiler, also under ASan and
UBSan, and run), each vectors file is current, and each file builds for the
Cortex-M cores with -Werror."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, load_tool
from tests.crosscompile.ctools import (
    CORTEX_M,
    HOST_BUILDS,
    TEST_TEXT,
    TESTS_C,
    build_driver,
    build_for_cortex_m,
    run_driver,
)

CRYPTO = ROOT / "firmware" / "core" / "crypto"

pytestmark = pytest.mark.parametrize("name", ["sha256", "sha512"])


def vectors(name: str) -> Path:
    return ROOT / "tests" / "fixtures" / name / "vectors.txt"


def test_vectors_file_is_current(name: str) -> None:
    gen = load_tool(f"gen_{name}_vectors")
    assert vectors(name).read_text() == gen.render(), \
        f"run python3 firmware/tools/gen_{name}_vectors.py"


@pytest.mark.parametrize("flags", HOST_BUILDS.values(), ids=HOST_BUILDS.keys())
def test_c_hash_passes_the_vectors(name: str, flags: list[str], tmp_path: Path) -> None:
    sources = [TESTS_C / f"wa_{name}_test.c", TESTS_C / "wa_hash_test_main.c", TEST_TEXT,
               CRYPTO / f"wa_{name}.c"]
    exe = build_driver(tmp_path / f"wa_{name}_test", sources, [*flags, f"-I{CRYPTO}"])
    expected = len(load_tool(f"gen_{name}_vectors").inputs())
    assert f"{expected} vectors checked, 0 failures" in run_driver(exe, vectors(name))


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(name: str, cpu: str, tmp_path: Path) -> None:
    build_for_cortex_m(cpu, CRYPTO / f"wa_{name}.c", tmp_path)
