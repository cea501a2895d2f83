"""C: Debian's clang, lld (wasm-ld) and wasi-libc.

Compile and link are separate steps: clang linking with an -O flag runs
binaryen's wasm-opt when one is on PATH, which drops the name section and makes
the output depend on the machine; linking without -O never does.
"""

from __future__ import annotations

import shutil

from ...errors import ToolchainMissing
from .base import BINDINGS, DEFAULT_STACK, BuildSpec, Toolchain, first_line, wasm_ld_flags

TOOL = "clang"  # the compiler, as build errors name it
STACK = DEFAULT_STACK  # wasi-libc's printf runs in 2 KiB (without %f: 7.5 KiB)
SOURCES = {"reactor": ["src/*.c"], "command": ["src/*.c"]}
PACKAGES = "clang, lld and wasi-libc"
TARGET = "--target=wasm32-wasi"


def find() -> Toolchain:
    clang = shutil.which("clang")
    version = first_line([clang]) if clang else None
    if clang is None or version is None:
        raise ToolchainMissing(f"c: no clang on PATH; install Debian's {PACKAGES} (make setup)")
    if shutil.which("wasm-ld") is None:
        raise ToolchainMissing(f"c: no wasm-ld on PATH; install Debian's {PACKAGES} (make setup)")
    return Toolchain("c", [clang], version)


def commands(tc: Toolchain, spec: BuildSpec) -> list[list[str]]:
    objects = [spec.work / f"{i}-{src.stem}.o" for i, src in enumerate(spec.sources)]
    compile_cmds = [
        [*tc.argv, TARGET, "-Os", "-Wall", "-Wextra", f"-I{BINDINGS}", "-c", "-o", str(obj),
         str(src)]
        for src, obj in zip(spec.sources, objects, strict=True)
    ]
    model = ["-mexec-model=reactor"] if spec.kind == "reactor" else []
    link = [*tc.argv, TARGET, *model, *(f"-Wl,{flag}" for flag in wasm_ld_flags(spec.stack_size)),
            "-o", str(spec.out), *map(str, objects)]
    return [*compile_cmds, link]


def finish(spec: BuildSpec) -> None:
    """Nothing to do after clang's link."""
