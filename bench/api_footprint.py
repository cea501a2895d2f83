"""Flash and static RAM per device API on each emulated board (`make bench`),
from the linked images' symbols: firmware/tools/api_size.py groups them."""

from __future__ import annotations

import subprocess

from footprint import BOARDS, ROOT, Table, firmware_tool


def api_footprint(table: Table) -> None:
    subprocess.run(["make", "-s", "firmware"], cwd=ROOT, check=True, capture_output=True)
    tool = firmware_tool("api_size")
    sizes = {b: tool.measure(ROOT / "build" / "firmware" / b / "firmware.elf") for b in BOARDS}
    for per in sizes.values():
        per["total"] = (sum(f for f, _ in per.values()), sum(r for _, r in per.values()))
    rows = [[row, *(f"{n:,}" for b in BOARDS for n in sizes[b][row])]
            for row in [*tool.rows(), "total"]]
    header = ["API group"] + [f"{b.removeprefix('mps2-')} {k}" for b in BOARDS
                              for k in ("flash", "RAM")]
    table("Flash and RAM per device API (bytes; symbols of each linked image, grouped by "
          "name, then source file: firmware/tools/api_size.py)", header, rows)
    print("With -flto a function inlined into another counts to the one it was inlined into; "
          "an API's natives and the agent's callbacks for it (op_gpio, ...) count to it by "
          "name. RAM: .data + .bss. no symbol: string literals, alignment, assembly routines "
          "without a size. An API with no code yet shows 0.")
