"""Cold start, for `make bench`: load to first call on the host, the median of
RUNS loads timed in C (bench/coldstart.c, so no Python overhead counts), our
runtime metered and unmetered against wasm3 0.5.0 alone compiling every
function up front; the ratio is ours / bare.

Run alone: `.venv/bin/python bench/cold_start.py` (after `make bench`'s build
of build/bench/coldstart*, or `make build/bench/coldstart build/bench/coldstart_bare
build/bench/coldstart_large.wasm`)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

RUNS = 1000
Table = Callable[[str, list[str], list[list[str]]], None]


def _median_us(build: Path, program: str, module: Path, mode: str) -> float:
    out = subprocess.run([str(build / "bench" / program), str(module), str(RUNS), mode],
                         check=True, capture_output=True, text=True).stdout
    return int(out.split()[0]) / 1000


def cold_start(table: Table, build: Path) -> None:
    modules = [build / "examples" / "sensor.wasm", build / "examples" / "hello_wasi.wasm",
               build / "bench" / "coldstart_large.wasm"]
    rows = []
    for module in modules:
        bare = _median_us(build, "coldstart_bare", module, "-")
        metered = _median_us(build, "coldstart", module, "metered")
        unmetered = _median_us(build, "coldstart", module, "unmetered")
        rows.append([module.name, f"{module.stat().st_size:,}", f"{metered:.0f}",
                     f"{unmetered:.0f}", f"{bare:.0f}", f"{metered / bare:.2f}x",
                     f"{unmetered / bare:.2f}x"])
    table(f"Cold start (us, median of {RUNS}, timed in C): load + link + compile every "
          "function + start + _initialize; ours (wa_app_load: checks, metering) vs wasm3 "
          "0.5.0 alone", ["module", "bytes", "metered", "unmetered", "wasm3 alone",
                          "metered/bare", "unmetered/bare"], rows)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tables import table as print_table

    cold_start(print_table, Path(__file__).resolve().parents[1] / "build")
