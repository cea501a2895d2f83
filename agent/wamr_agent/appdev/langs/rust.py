"""Rust: Debian's rustc 1.63 with libstd-rust-dev-wasm32; no cargo, no crates.

The binding (bindings/wamr_agent.rs) is compiled first as the no_std crate
`wamr_agent` for the app's target, then the app with `--extern wamr_agent=...`.
Apps are no_std cdylibs: reactors for wasm32-unknown-unknown (importing only
"wamr_agent"), commands for wasm32-wasi exporting `_start` and printing with the
binding's println! over WASI fd_write. Rust's std on wasm32-wasi is about 65 KB
of code, which wasm3 cannot compile in a board's 64 KiB engine heap.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ...errors import ToolchainMissing
from .base import BINDINGS, DEFAULT_STACK, BuildSpec, Toolchain, first_line, wasm_ld_flags

TOOL = "rustc"  # the compiler, as build errors name it
STACK = DEFAULT_STACK  # every template runs in 2 KiB
SOURCES = {"reactor": ["src/lib.rs"], "command": ["src/lib.rs"]}
TARGETS = {"reactor": "wasm32-unknown-unknown", "command": "wasm32-wasi"}
PREFERRED = Path("/usr/bin/rustc")  # Debian's, which has the wasm32 targets
MISSING = ("rust: no rustc with the wasm32-unknown-unknown and wasm32-wasi targets; "
           "install Debian's rustc and libstd-rust-dev-wasm32 (make setup)")
COMMON = ["--edition", "2021", "-C", "opt-level=s", "-C", "panic=abort", "-C", "debuginfo=0"]


def _candidates() -> list[Path]:
    """Every rustc on PATH, Debian's first (a rustup rustc may lack wasm targets)."""
    found = [Path(d) / "rustc" for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    found = [p for p in dict.fromkeys(found) if p.is_file() and os.access(p, os.X_OK)]
    return sorted(found, key=lambda p: p.resolve() != PREFERRED.resolve())


def _has_targets(rustc: Path) -> bool:
    for target in TARGETS.values():
        libdir = first_line([str(rustc), "--print", "target-libdir", "--target", target], "")
        if not libdir or not any(Path(libdir).glob("libcore-*.rlib")):
            return False
    return True


def find() -> Toolchain:
    for rustc in _candidates():
        if _has_targets(rustc):
            return Toolchain("rust", [str(rustc)], first_line([str(rustc)]) or "")
    raise ToolchainMissing(MISSING)


def crate_name(out: Path) -> str:
    name = re.sub(r"\W", "_", out.stem)
    return name if name[:1].isalpha() else f"app_{name}"


def commands(tc: Toolchain, spec: BuildSpec) -> list[list[str]]:
    target = ["--target", TARGETS[spec.kind]]
    rlib = spec.work / "libwamr_agent.rlib"
    binding = [*tc.argv, *COMMON, *target, "--crate-type", "rlib", "--crate-name", "wamr_agent",
               "-o", str(rlib), str(BINDINGS / "wamr_agent.rs")]
    links = [arg for flag in wasm_ld_flags(spec.stack_size) for arg in ("-C", f"link-arg={flag}")]
    app = [*tc.argv, *COMMON, *target, "--crate-type", "cdylib",
           "--crate-name", crate_name(spec.out), "--extern", f"wamr_agent={rlib}", *links,
           "-o", str(spec.out), str(spec.sources[0])]
    return [binding, app]


def finish(spec: BuildSpec) -> None:
    """Nothing to do after rustc's link."""
