"""AssemblyScript: npm's assemblyscript (pinned in appdev/npm/package.json, which
`make setup` installs into build/npm) run by Debian's (or the machine's) node.

The binding folder (bindings/assemblyscript) goes to asc with --lib, which makes
its namespace `wamr_agent` global. Top-level code becomes `_initialize` in a
reactor (the device calls it before `setup`) and `_start` in a command.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ...errors import ToolchainMissing
from .base import BINDINGS, DEFAULT_STACK, BuildSpec, Toolchain, first_line

TOOL = "asc"  # the compiler, as build errors name it
STACK = DEFAULT_STACK  # its shadow stack; the runtime grows memory, so never shrunk
SOURCES = {"reactor": ["assembly/index.ts"], "command": ["assembly/index.ts"]}
VERSION = "0.27.37"
REPO_ASC = Path(__file__).resolve().parents[4] / "build" / "npm" / "node_modules" / \
    "assemblyscript" / "bin" / "asc.js"
HOW = f"install Debian's nodejs and npm's assemblyscript@{VERSION} (make setup)"


def _asc() -> str | None:
    """The repository's pinned asc (make setup), else an asc on PATH."""
    if REPO_ASC.is_file():
        return str(REPO_ASC)
    return shutil.which("asc")


def find() -> Toolchain:
    node = shutil.which("node")
    if node is None:
        raise ToolchainMissing(f"assemblyscript: no node on PATH; {HOW}")
    asc = _asc()
    version = first_line([node, asc]) if asc else None
    if asc is None or version is None:
        raise ToolchainMissing(f"assemblyscript: no asc; {HOW}")
    return Toolchain("assemblyscript", [node, asc], f"asc {version.removeprefix('Version ')}")


def commands(tc: Toolchain, spec: BuildSpec) -> list[list[str]]:
    start = "_initialize" if spec.kind == "reactor" else "_start"
    lib = os.path.relpath(BINDINGS / "assemblyscript", spec.app_dir)  # asc wants it relative
    return [[*tc.argv, *map(str, spec.sources), "--lib", lib,
             "--outFile", str(spec.out), "-Os",
             "--runtime", "incremental", "--stackSize", str(spec.stack_size),
             "--initialMemory", "1", "--use", "abort=", "--exportStart", start,
             "--debug", "--noColors"]]


def finish(spec: BuildSpec) -> None:
    """asc writes no DWARF (--debug adds the name section only)."""
