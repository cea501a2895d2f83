"""What the cross-compile tier's tests share: the warning flags our C builds
with, running a compiler or a built driver, finding the compilers (a missing
one skips, or fails with CI=true, with the install hint), and fetching the
third-party C sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, need

WARN = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]
CORTEX_M = ["cortex-m0plus", "cortex-m4", "cortex-m33"]


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
