#!/usr/bin/env python3
"""Flash and static RAM of a linked firmware image per device API group
(`make bench`, docs/boards.md "Flash per device API").

Every symbol with a size (`arm-none-eabi-nm -S -l`) goes to one group: first by
its name (NAME_RULES: a native API's functions live in the runtime's files but
belong to their API), then by the source file the debug information gives it
(PATH_RULES), then, for a static variable the debug lines do not place, by the
source file that defines that name. Library code has no source file: it is the
C library and compiler runtime ("libc + libgcc"). A static variable whose
name several compiled files define, with nothing to tell which, is an
"unplaced static". What no symbol covers (string literals, alignment, the
compiler runtime's assembly routines without a size) is "no symbol", so the
rows add up to the image's flash (.text, .ARM.exidx, .data) and static RAM
(.data, .bss). With link-time optimisation a
function inlined into another counts to the one it was inlined into.

A new API's functions (wa_kv_*, wa_native_kv_*, msg_*, config_*) fall into
their row by NAME_RULES; add a row there and, for its files, to PATH_RULES.

    python3 firmware/tools/api_size.py build/firmware/mps2-an386/firmware.elf
"""

from __future__ import annotations

import argparse
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# (row, symbol-name prefixes), tried before the source file; the first match wins.
NAME_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("storage", ("wa_kv_", "wa_native_kv_", "op_kv")),
    ("messages", ("msg_", "wa_msg_", "wa_native_msg_", "wa_app_msg_", "op_msg", "app_send")),
    ("config", ("config_", "wa_config_", "wa_native_config_", "op_config")),
    ("log", ("wa_native_log", "op_log", "wa_log_", "app_logs")),
    ("sensor", ("wa_native_sensor", "op_sensor", "wa_port_sensor", "wa_tmp105")),
    ("telemetry", ("wa_native_telemetry", "op_telemetry")),
    ("GPIO", ("wa_native_gpio", "op_gpio", "gpio_", "wa_port_gpio")),
    ("I2C", ("wa_native_i2c", "op_i2c", "i2c_", "wa_port_i2c")),
    ("timers", ("wa_native_timer", "op_timer", "timer_", "wa_timer")),
]
# (row, source path prefixes relative to the repository); the first match wins.
PATH_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("storage", ("firmware/core/agent/wa_kv",)),
    ("messages", ("firmware/core/agent/wa_msg",)),
    ("config", ("firmware/core/agent/wa_config",)),
    ("log", ("firmware/core/agent/wa_log.",)),
    ("sensor", ("firmware/core/port/wa_port_sensor", "firmware/core/port/wa_tmp105")),
    ("SMP / management", ("firmware/core/smp/", "firmware/core/agent/wa_mgmt",
                          "firmware/core/agent/wa_apps_smp", "build/deps/zcbor/")),
    ("OTA bundles + crypto", ("firmware/core/ota/", "firmware/core/crypto/",
                              "firmware/core/agent/wa_install", "build/deps/monocypher/",
                              "build/firmware/keys/")),
    ("core runtime", ("firmware/core/runtime/", "build/deps/wasm3/")),
    ("agent core", ("firmware/core/agent/",)),
    ("port", ("firmware/ports/cortex-m/", "firmware/core/port/")),
]
LIBRARY = "libc + libgcc"
UNNAMED = "no symbol"
UNPLACED = "unplaced static"


def rows() -> list[str]:
    """Every row in print order (a row named in both tables appears once)."""
    names = [r for r, _ in NAME_RULES] + [r for r, _ in PATH_RULES]
    return [*dict.fromkeys(names), LIBRARY, UNPLACED, UNNAMED]


def base_name(symbol: str) -> str:
    """The C name of a symbol: without GCC's .lto_priv.N, .constprop.N, .isra.N
    or a function-scope static's .N."""
    return symbol.split(".", 1)[0]


def group(symbol: str, source: str | None) -> str:
    """The row of a symbol; source: its file relative to the repository, or
    None (a library's, or a variable the debug lines do not place)."""
    name = base_name(symbol)
    for row, prefixes in NAME_RULES:
        if name.startswith(prefixes):
            return row
    if source is None:
        return LIBRARY
    for row, paths in PATH_RULES:
        if source.startswith(paths):
            return row
    return UNPLACED


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int
    size: int
    source: str | None


def relative(path: str, root: Path) -> str | None:
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return None


def symbols(elf: Path, root: Path = ROOT) -> list[Symbol]:
    """The image's sized symbols, one per address (aliases dropped)."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", "-l", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    found: dict[int, Symbol] = {}
    for line in out.splitlines():
        parts = line.split("\t")
        fields = parts[0].split()
        if len(fields) != 4:
            continue
        addr, size = int(fields[0], 16), int(fields[1], 16)
        source = relative(parts[1].rsplit(":", 1)[0], root) if len(parts) > 1 else None
        if size > 0 and addr not in found:
            found[addr] = Symbol(fields[3], addr, size, source)
    return list(found.values())


# A line that defines name: a variable (static or global, at file or function
# scope, macros allowed among its type words) or a function.
_TYPE_WORDS = r"^[ \t]*(?!return\b|goto\b|case\b|else\b)(?:[A-Za-z_]\w*(?:\([^)]*\))?[ \t\*]+)+"
_VARIABLE_END = r"[ \t]*(?:\[[^\]\n]*\][ \t]*)*(?:=|;|__attribute__)"
_FUNCTION_END = r"[ \t]*\([^;{]*$"


def definers(name: str, texts: dict[str, str]) -> list[str]:
    """The source files (of {path: text}) with a definition of name."""
    pattern = re.compile(f"{_TYPE_WORDS}{re.escape(name)}(?:{_VARIABLE_END}|{_FUNCTION_END})",
                         re.M)
    return [path for path, text in texts.items() if name in text and pattern.search(text)]


_DIE = re.compile(r"^\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: \d+ \((DW_TAG_\w+)\)")
_NAME = re.compile(r"^\s*<[0-9a-f]+>\s+DW_AT_name\s*:.*?([^\s:]+)$")
_ORIGIN = re.compile(r"^\s*<[0-9a-f]+>\s+DW_AT_(?:abstract_origin|specification)\s*: "
                     r"<0x([0-9a-f]+)>")
_ADDR = re.compile(r"^\s*<[0-9a-f]+>\s+DW_AT_location\s*: 5 byte block: 3 [0-9a-f ]+\s*"
                   r"\(DW_OP_addr: ([0-9a-f]+)\)$")


def variable_sources(elf: Path, root: Path) -> dict[int, str]:
    """{address: source file} of the variables in elf's debug information.
    With link-time optimisation a variable's placed entry is in an
    <artificial> unit and points to its declaration in its source's unit."""
    out = subprocess.run(["arm-none-eabi-readelf", "--debug-dump=info", str(elf)],
                         capture_output=True, text=True, check=True).stdout
    unit_of: dict[int, str] = {}  # variable entry -> its unit's source
    placed: list[tuple[int, int, int | None]] = []  # (address, entry, origin)
    unit, entry, tag, origin = "", 0, "", None
    for line in out.splitlines():
        if die := _DIE.match(line):
            entry, tag, origin = int(die[2], 16), die[3], None
            if tag == "DW_TAG_compile_unit":
                unit = ""
            elif tag == "DW_TAG_variable":
                unit_of[entry] = unit
        elif tag == "DW_TAG_compile_unit" and (name := _NAME.match(line)):
            unit = name[1]
        elif tag == "DW_TAG_variable" and (ref := _ORIGIN.match(line)):
            origin = int(ref[1], 16)
        elif tag == "DW_TAG_variable" and (at := _ADDR.match(line)):
            placed.append((int(at[1], 16), entry, origin))
    found = {}
    for addr, var, declared in placed:
        source = unit_of.get(var, "")
        if source in ("", "<artificial>") and declared is not None:
            source = unit_of.get(declared, "")
        inside = relative(str(root / source), root) if source not in ("", "<artificial>") else None
        if inside is not None:  # the C library's own sources are elsewhere
            found[addr] = inside
    return found


def compiled_sources(elf: Path, root: Path) -> dict[str, str]:
    """{path: text} of the C files built into elf (its obj/ tree mirrors them),
    and the generated headers beside it."""
    objs = elf.parent / "obj"
    paths = [o.relative_to(objs).with_suffix(".c") for o in sorted(objs.rglob("*.o"))]
    keys = elf.parent.parent / "keys"
    headers = sorted(keys.glob("*.h")) if keys.is_dir() else []
    files = [root / p for p in paths if (root / p).is_file()] + headers
    return {relative(str(f), root) or str(f): f.read_text(errors="replace") for f in files}


def sections(elf: Path) -> dict[str, tuple[int, int]]:
    """(address, size) of each allocated section."""
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            found[parts[0]] = (int(parts[2]), int(parts[1]))
    return found


def measure(elf: Path, root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """{row: (flash bytes, static RAM bytes)} for every row of rows()."""
    sec = sections(elf)
    flash_secs = [sec[s] for s in (".text", ".ARM.exidx", ".data") if s in sec]
    ram_secs = [sec[s] for s in (".data", ".bss") if s in sec]
    init = sec.get(".data", (0, 0))

    def inside(addr: int, spans: list[tuple[int, int]]) -> bool:
        return any(a <= addr < a + n for a, n in spans)

    texts = compiled_sources(elf, root)
    placed = variable_sources(elf, root)
    totals = {row: [0, 0] for row in rows()}
    for s in symbols(elf, root):
        in_flash, in_ram = inside(s.addr, flash_secs), inside(s.addr, ram_secs)
        if not (in_flash or in_ram):
            continue  # the emulated app flash window, debug sections
        row = group(s.name, s.source or placed.get(s.addr))
        if s.source is None and s.addr not in placed and row == LIBRARY:
            found = {group(s.name, path) for path in definers(base_name(s.name), texts)}
            row = found.pop() if len(found) == 1 else UNPLACED if found else LIBRARY
        data = inside(s.addr, [init])
        totals[row][0] += s.size if in_flash or data else 0
        totals[row][1] += s.size if in_ram else 0
    flash = sum(n for _, n in flash_secs)
    ram = sum(n for _, n in ram_secs)
    totals[UNNAMED][0] += flash - sum(v[0] for v in totals.values())
    totals[UNNAMED][1] += ram - sum(v[1] for v in totals.values())
    return {row: (f, r) for row, (f, r) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("elf", type=Path)
    args = parser.parse_args()
    sizes = measure(args.elf)
    for row, (flash, ram) in sizes.items():
        print(f"{row:20} {flash:>8,} {ram:>8,}")
    print(f"{'total':20} {sum(f for f, _ in sizes.values()):>8,} "
          f"{sum(r for _, r in sizes.values()):>8,}")


if __name__ == "__main__":
    main()
