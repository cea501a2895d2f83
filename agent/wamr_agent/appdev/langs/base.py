"""What every language module shares: the toolchain record, a build's inputs,
the MCU memory layout, and where the generated bindings are."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ...wasmfile import drop_custom

# The bindings generated from wa_native_api.def (`make gen`), shipped as package
# data: build() points each compiler here, so an app builds against the native
# API of the wamr-agent that deploys it.
BINDINGS = Path(__file__).resolve().parents[1] / "bindings"

PAGE = 65536  # one wasm page: all the linear memory an MCU app starts with


@dataclass(frozen=True)
class Toolchain:
    lang: str
    argv: list[str]  # the compiler's command (e.g. ["/usr/bin/clang"])
    version: str  # its first line of --version


@dataclass(frozen=True)
class BuildSpec:
    app_dir: Path
    sources: list[Path]  # absolute, sorted
    out: Path  # absolute
    kind: str  # "reactor" or "command"
    stack_size: int
    work: Path  # a temporary folder for intermediate files


class Language(Protocol):
    """A language module (langs/c.py, ...)."""

    TOOL: str  # the compiler's name in messages ("clang")
    STACK: int  # default stack_size in bytes
    SOURCES: dict[str, list[str]]  # kind -> the template's source globs

    def find(self) -> Toolchain: ...

    def commands(self, tc: Toolchain, spec: BuildSpec) -> list[list[str]]: ...

    def finish(self, spec: BuildSpec) -> None: ...


def first_line(argv: list[str], flag: str = "--version") -> str | None:
    """The first output line of `argv flag` (no flag when empty), or None when it
    does not run."""
    try:
        done = subprocess.run([*argv, flag] if flag else argv, capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else ""


def strip_dwarf(path: Path) -> None:
    """Drops the custom sections named .debug_* (DWARF) from a module, keeping the
    name section, as wasm-ld's --strip-debug does."""
    path.write_bytes(drop_custom(path.read_bytes(), ".debug_"))


# The stack (bytes) an app gets unless its wamr.toml says otherwise, when its
# language module sets no STACK of its own (docs/app-languages.md, "Linear memory").
DEFAULT_STACK = 2048
# Exported so that a device gives a module that never grows its memory only the
# bytes below them (docs/app-languages.md, "Linear memory").
HEAP_EXPORTS = ("--export=__heap_base", "--export=__data_end")


def wasm_ld_flags(stack_size: int) -> list[str]:
    """wasm-ld's options for an MCU app (the Makefile's WASM_LDFLAGS): a small stack
    below the data, one page, the heap's start exported, no DWARF but the name
    section kept."""
    return [f"-zstack-size={stack_size}", "--stack-first", f"--initial-memory={PAGE}",
            *HEAP_EXPORTS, "--strip-debug"]
