#!/usr/bin/env python3
"""Cross-compiles the device runtime (ours + wasm3) for a Cortex-M core and
reports the code and data size of each object.

Our files build with -Werror; the fetched wasm3 files (and wa_m3_core.c and
wa_m3_compile.c, which include one) with their own warnings silenced. The engine flags come
from firmware/core/runtime/wa_engine_wasm3.flags, as in every other build.

    python3 firmware/tools/runtime_size.py [--cpu cortex-m4]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "firmware" / "core" / "runtime"
WASM3 = ROOT / "build" / "deps" / "wasm3"
CC = "arm-none-eabi-gcc"
CPU_FLAGS = {
    "cortex-m3": ["-mcpu=cortex-m3", "-mthumb"],
    "cortex-m4": ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m7": ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
    "cortex-m33": ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
}


@dataclass(frozen=True)
class ObjectSize:
    source: str
    text: int
    data: int
    bss: int
    third_party: bool


class CrossCompileError(Exception):
    """A source did not compile; the message holds the compiler's first lines."""


def engine_flags() -> list[str]:
    text = (RUNTIME / "wa_engine_wasm3.flags").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def sources() -> list[tuple[Path, bool]]:
    """(source, is_third_party) for everything the runtime links."""
    wrapped = ("m3_core.c", "m3_compile.c")  # built through wa_m3_core.c, wa_m3_compile.c
    ours = [(p, p.name in {"wa_" + w for w in wrapped}) for p in sorted(RUNTIME.glob("*.c"))]
    engine = [(p, True) for p in sorted(WASM3.glob("m3_*.c")) if p.name not in wrapped]
    return ours + engine


def compile_one(src: Path, third_party: bool, cpu: str, out: Path) -> None:
    warn = ["-w"] if third_party else ["-Wall", "-Wextra", "-Werror"]
    cmd = [CC, *CPU_FLAGS[cpu], "-Os", "-std=gnu11", "-ffunction-sections", "-fdata-sections",
           "-DWA_THREAD_LOCAL=", *engine_flags(), *warn, f"-I{RUNTIME}", f"-I{WASM3}",
           "-c", str(src), "-o", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        first = "\n".join(run.stderr.strip().splitlines()[:6])
        raise CrossCompileError(f"{src.relative_to(ROOT)} does not build for {cpu}:\n{first}")


def size_of(obj: Path) -> tuple[int, int, int]:
    run = subprocess.run(["arm-none-eabi-size", str(obj)], capture_output=True, text=True,
                         check=True)
    text, data, bss = run.stdout.splitlines()[1].split()[:3]
    return int(text), int(data), int(bss)


def measure(cpu: str = "cortex-m4") -> list[ObjectSize]:
    """Compiles every runtime source for cpu; raises CrossCompileError on failure."""
    if shutil.which(CC) is None:
        raise CrossCompileError(f"{CC} not found (Debian: apt-get install gcc-arm-none-eabi "
                                "libnewlib-arm-none-eabi)")
    sizes = []
    with tempfile.TemporaryDirectory() as tmp:
        for src, third in sources():
            obj = Path(tmp) / (src.stem + ".o")
            compile_one(src, third, cpu, obj)
            sizes.append(ObjectSize(str(src.relative_to(ROOT)), *size_of(obj),
                                    third_party=third))
    return sizes


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", choices=sorted(CPU_FLAGS), default="cortex-m4")
    args = parser.parse_args(argv)
    try:
        sizes = measure(args.cpu)
    except CrossCompileError as exc:
        print(f"runtime_size: error: {exc}", file=sys.stderr)
        return 1
    for s in sizes:
        print(f"{s.text:8} {s.data:6} {s.bss:6}  {s.source}")
    print(f"{sum(s.text for s in sizes):8} {sum(s.data for s in sizes):6} "
          f"{sum(s.bss for s in sizes):6}  total ({args.cpu}, -Os)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
