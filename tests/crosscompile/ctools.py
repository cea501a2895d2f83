"""What the cross-compile tier's tests share: the warning flags our C builds
with, running a compiler or a built driver, and finding the compilers (a
missing one skips, or fails with CI=true, with the install hint)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import need

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
