"""Zig: the compiler from PyPI's ziglang (`python -m ziglang`), pinned in pyproject.

The binding (bindings/wamr_agent.zig) is the module `wamr_agent`. Zig's wasm
linker places the stack first by itself; it has no --strip-debug, so the app is
built with its names (-fno-strip) and the DWARF sections are dropped afterwards.
"""

from __future__ import annotations

import importlib.util
import sys

from ...errors import ToolchainMissing
from .base import BINDINGS, HEAP_EXPORTS, PAGE, BuildSpec, Toolchain, first_line, strip_dwarf

TOOL = "zig"  # the compiler, as build errors name it
STACK = 8192  # std.io's formatted print needs about 5 KiB
SOURCES = {"reactor": ["src/main.zig"], "command": ["src/main.zig"]}
PACKAGE = "ziglang==0.14.1"
MISSING = (f"zig: no Zig compiler; install PyPI's {PACKAGE} "
           "(make setup, or pip install 'wamr-agent[zig]')")


def find() -> Toolchain:
    if importlib.util.find_spec("ziglang") is None:
        raise ToolchainMissing(MISSING)
    argv = [sys.executable, "-m", "ziglang"]
    version = first_line([*argv, "version"], "")
    if version is None:
        raise ToolchainMissing(MISSING)
    return Toolchain("zig", argv, f"zig {version}")


def commands(tc: Toolchain, spec: BuildSpec) -> list[list[str]]:
    if spec.kind == "reactor":
        target = ["-target", "wasm32-freestanding", "-fno-entry", "-rdynamic"]
    else:
        target = ["-target", "wasm32-wasi"]
    return [[*tc.argv, "build-exe", *target, "-O", "ReleaseSmall", "-fno-strip",
             "--stack", str(spec.stack_size), f"--initial-memory={PAGE}", *HEAP_EXPORTS,
             "--cache-dir", str(spec.out.parent / ".zig-cache"),
             "--dep", "wamr_agent", f"-Mroot={spec.sources[0]}",
             f"-Mwamr_agent={BINDINGS / 'wamr_agent.zig'}", f"-femit-bin={spec.out}"]]


def finish(spec: BuildSpec) -> None:
    strip_dwarf(spec.out)
