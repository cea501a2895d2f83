"""Flash and static RAM per device API on each emulated board (`make bench`),
from the linked images' symbols: firmware/tools/api_size.py groups them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType

from footprint import BOARDS, ROOT, Table


def api_size_tool() -> ModuleType:
    """firmware/tools/api_size.py, imported by path (tools are scripts)."""
    if "api_size" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "api_size", ROOT / "firmware" / "tools" / "api_size.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["api_size"] = module
        spec.loader.exec_module(module)
    return sys.modules["api_size"]


def api_footprint(table: Table) -> None:
    subprocess.run(["make", "-s", "firmware"], cwd=ROOT, check=True, capture_output=True)
    tool = api_size_tool()
    sizes = {b: tool.measure(ROOT / "build" / "firmware" / b / "firmware.elf") for b in BOARDS}
    rows = []
    for row in [*tool.rows(), "total"]:
        cells = []
        for board in BOARDS:
            per = sizes[board]
            flash, ram = (sum(f for f, _ in per.values()), sum(r for _, r in per.values())) \
                if row == "total" else per[row]
            cells += [f"{flash:,}", f"{ram:,}"]
        rows.append([row, *cells])
    header = ["API group"] + [f"{b.removeprefix('mps2-')} {k}" for b in BOARDS
                              for k in ("flash", "RAM")]
    table("Flash and RAM per device API (bytes; symbols of each linked image, grouped by "
          "name, then source file: firmware/tools/api_size.py)", header, rows)
    print("With -flto a function inlined into another counts to the one it was inlined into; "
          "an API's natives and the agent's callbacks for it (op_gpio, ...) count to it by "
          "name. RAM: .data + .bss. no symbol: string literals, alignment, assembly routines "
          "without a size. An API with no code yet shows 0.")
