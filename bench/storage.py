"""Key-value storage for `make bench` (issue 12, item 4): what the store costs in
flash and RAM on a Cortex-M4, and how its erases spread over its pages.

- Code: firmware/core/agent/wa_kv.c compiled alone for Cortex-M4 (-Os, function
  sections), its .text and its static RAM; the whole feature's cost in the linked
  firmware (natives, host op, quota plumbing included) is in docs/device-api.md,
  measured with `make firmware`.
- Wear: the store's driver (firmware/tests/wa_kv_test.c) on a flash in RAM makes N
  sets of 12 keys (values of 4 to 190 bytes) and counts the erases of each page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

Table = Callable[[str, list[str], list[list[str]]], None]
ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "firmware" / "core"
SIZES = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)", re.M)


def _board_header(tmp: Path) -> list[str]:
    (tmp / "wa_board.h").write_text("#define WA_BOARD_BUDGET_MODULE_BYTES 131072u\n"
                                    "#define WA_BOARD_APP_FLASH_BYTES 2097152u\n")  # mps2's
    return [f"-I{tmp}", *(f"-I{CORE / d}" for d in ("agent", "port", "runtime"))]


def code_size(tmp: Path) -> list[str] | None:
    gcc, size = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-size")
    if gcc is None or size is None:
        return None
    obj = tmp / "wa_kv.o"
    subprocess.run([gcc, "-mcpu=cortex-m4", "-mthumb", "-Os", "-ffunction-sections",
                    "-fdata-sections", *_board_header(tmp), "-c", str(CORE / "agent" / "wa_kv.c"),
                    "-o", str(obj)], check=True)
    m = SIZES.search(subprocess.run([size, str(obj)], check=True, capture_output=True,
                                    text=True).stdout)
    assert m is not None
    return ["wa_kv.c (cortex-m4, -Os)", m[1], str(int(m[2]) + int(m[3]))]


def wear(tmp: Path, sets: list[int]) -> list[list[str]]:
    cc = shutil.which("cc")
    if cc is None:
        return []
    exe = tmp / "wa_kv_test"
    sources = [ROOT / "firmware" / "tests" / "wa_kv_test.c", CORE / "agent" / "wa_kv.c",
               CORE / "agent" / "wa_store.c", CORE / "port" / "wa_flash_faults.c",
               CORE / "port" / "wa_flash_rules.c", CORE / "runtime" / "wa_crc32.c"]
    subprocess.run([cc, "-O2", "-D_DEFAULT_SOURCE", *_board_header(tmp), "-o", str(exe),
                    *map(str, sources)], check=True)
    rows = []
    for n in sets:
        out = subprocess.run([str(exe), "wear", str(n)], check=True, capture_output=True,
                             text=True).stdout
        erases = [int(e) for e in out.split("erases per page")[1].split()]
        rows.append([str(n), " ".join(map(str, erases)), str(max(erases) - min(erases)),
                     f"{n / max(1, sum(erases)):.1f}"])
    return rows


def storage(table: Table) -> None:
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        code = code_size(tmp)
        if code is not None:
            table("Key-value store code (bytes; the linked firmware's cost: "
                  "docs/device-api.md)", ["file", "text", "static RAM"], [code])
        table("Key-value store wear: N sets of 12 keys on its 4 pages (a ring; erases per "
              "page)", ["sets", "erases per page", "max - min", "sets per erase"],
              wear(tmp, [1000, 10000]))
