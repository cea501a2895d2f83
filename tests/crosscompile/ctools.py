"""What the cross-compile tier's tests share: the warning flags our C builds
with, running a compiler or a built driver, building a host test driver and
running it, compiling a file for a Cortex-M core, finding the compilers (a
missing one skips, or fails with CI=true, with the install hint), and fetching
the third-party C sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import ROOT, need

WARN = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]
CORTEX_M = ["cortex-m0plus", "cortex-m4", "cortex-m33"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
# A driver's host builds, by test id: optimised, and under ASan and UBSan.
HOST_BUILDS = {"plain": ["-O2"], "asan-ubsan": ["-O1", *SANITIZE]}
TESTS_C = ROOT / "firmware" / "tests"
TEST_TEXT = TESTS_C / "wa_test_text.c"  # the drivers' file and hex helpers


def run(cmd: list[str | Path], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          timeout=timeout, check=False)


def host_cc() -> str:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    need(cc is not None, "a host C compiler (cc)", "run `make setup`")
    assert cc is not None
    return cc


def arm_gcc() -> str:
    gcc = shutil.which("arm-none-eabi-gcc")
    need(gcc is not None, "arm-none-eabi-gcc",
         "run `make setup` (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    assert gcc is not None
    return gcc


def fetch_deps(*names: str) -> None:
    """Third-party C sources into build/deps (fetched, never committed)."""
    fetch = run([sys.executable, ROOT / "firmware" / "tools" / "fetch_deps.py", *names])
    last = (fetch.stderr.strip().splitlines() or [""])[-1]
    need(fetch.returncode == 0, " and ".join(names) + " sources",
         f"run `python3 firmware/tools/fetch_deps.py {' '.join(names)}` ({last})")


def build_driver(exe: Path, sources: Sequence[str | Path], flags: Sequence[str]) -> Path:
    """exe, a host test driver built from sources with our warnings as errors
    (flags: optimisation, sanitizers, -I)."""
    build = run([host_cc(), *WARN, *flags, "-o", exe, *sources])
    assert build.returncode == 0, build.stderr
    return exe


def run_driver(exe: Path, *args: str | Path) -> str:
    """The stdout of a built driver, which must exit 0."""
    result = run([exe, *args])
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def build_for_cortex_m(cpu: str, source: Path, out_dir: Path, flags: Sequence[str] = ()) -> None:
    """Compiles source alone for cpu (-Os, our warnings as errors) into a
    non-empty object in out_dir; flags: -I."""
    obj = out_dir / f"{source.stem}.o"
    build = run([arm_gcc(), f"-mcpu={cpu}", "-mthumb", "-Os", *WARN, *flags, "-c", source,
                 "-o", obj])
    assert build.returncode == 0, build.stderr
    assert obj.stat().st_size > 0
