"""Firmware footprint per emulated board: flash, static RAM, C stack and the
heap left for apps, with the runtime's share (for `make bench`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
BOARDS = {"mps2-an385": "cortex-m3", "mps2-an386": "cortex-m4", "mps2-an500": "cortex-m7",
          "mps2-an505": "cortex-m33"}
Table = Callable[[str, list[str], list[list[str]]], None]


def firmware_tool(name: str) -> ModuleType:
    """firmware/tools/<name>.py, imported by path (tools are scripts)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "firmware" / "tools" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def runtime_size_tool() -> ModuleType:
    return firmware_tool("runtime_size")


def sections(elf: Path) -> dict[str, int]:
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def symbols(elf: Path) -> dict[str, int]:
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    return {p[2]: int(p[0], 16) for p in (ln.split() for ln in out.splitlines()) if len(p) == 3}


def board_row(board: str, cpu: str) -> list[str]:
    subprocess.run(["make", "-s", "firmware", f"BOARD={board}"], cwd=ROOT, check=True,
                   capture_output=True)
    elf = ROOT / "build" / "firmware" / board / "firmware.elf"
    sec, sym = sections(elf), symbols(elf)
    flash = sec[".text"] + sec.get(".ARM.exidx", 0) + sec[".data"]
    static_ram = sec[".data"] + sec[".bss"]
    stack = sym["__stack_top"] - sym["__stack_limit"]
    heap = sym["__heap_end"] - sym["__heap_start"]
    runtime = sum(s.text for s in runtime_size_tool().measure(cpu))
    return [board, cpu, f"{flash:,}", f"{runtime:,}", f"{flash - runtime:,}",
            f"{static_ram:,}", f"{stack:,}", f"{heap:,}"]


def firmware_footprint(table: Table) -> None:
    rows = [board_row(board, cpu) for board, cpu in BOARDS.items()]
    table("Firmware footprint (bytes; -Os, gc-sections). Targets on Cortex-M4: runtime + agent "
          "<= 128 KiB flash, <= 32 KiB static RAM, >= 192 KiB left for apps on a 256 KiB board",
          ["board", "cpu", "flash", "runtime*", "agent+port+libc", "static RAM", "C stack",
           "heap for apps"], rows)
    print("* runtime + wasm3 compiled alone (before --gc-sections), so an upper bound")
