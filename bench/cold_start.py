"""Cold start, for `make bench`: load to first call on the host, the median of
RUNS loads timed in C (bench/coldstart.c, so no Python overhead counts), our
runtime against wasm3 0.5.0 alone compiling every function up front; the
ratio is ours / bare. Install is what a device does once (the module's checks
and CRC, its first load), boot what it does at every boot (the module's CRC,
then the load without validation, under the CPU budget: the engine counts the
loops); metered, checked is wa_app_load with a CPU budget (a preloaded app:
every check at every load), unmetered the same without. Beside them, wasm3
alone on the module after the metering rewrite (what the interpreter's
metering cost the load while it was that rewrite).

Run alone: `.venv/bin/python bench/cold_start.py` (after `make bench`'s build
of build/bench/coldstart*, or `make build/bench/coldstart build/bench/coldstart_bare
build/bench/coldstart_large.wasm`)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

RUNS = 1000
Table = Callable[[str, list[str], list[list[str]]], None]


def _median_us(build: Path, program: str, module: Path, mode: str) -> float:
    out = subprocess.run([str(build / "bench" / program), str(module), str(RUNS), mode],
                         check=True, capture_output=True, text=True).stdout
    return int(out.split()[0]) / 1000


MODES = ["install", "boot", "metered", "unmetered"]


def _metered_image(build: Path, module: Path) -> Path:
    """The module after the metering rewrite (what an earlier firmware's install
    wrote, and what the AOT compiler starts from), for wasm3 alone."""
    from wamr_agent.aot.compiler import meter  # the runtime's own rewrite, through pywamr

    image = build / "bench" / (module.stem + ".metered.wasm")
    image.write_bytes(meter(module.read_bytes()))
    return image


def cold_start(table: Table, build: Path) -> None:
    modules = [build / "examples" / "sensor.wasm", build / "examples" / "hello_wasi.wasm",
               build / "bench" / "coldstart_large.wasm"]
    rows = []
    for module in modules:
        bare = _median_us(build, "coldstart_bare", module, "-")
        bare_image = _median_us(build, "coldstart_bare", _metered_image(build, module), "-")
        ours = [_median_us(build, "coldstart", module, mode) for mode in MODES]
        rows.append([module.name, f"{module.stat().st_size:,}", f"{bare:.0f}",
                     f"{bare_image:.0f} ({bare_image / bare:.2f}x)",
                     *(f"{us:.0f} ({us / bare:.2f}x)" for us in ours)])
    table(f"Cold start (us, median of {RUNS}, timed in C; ours / wasm3 alone): load + link + "
          "compile every function + start + _initialize. wasm3 alone, metered image: the module "
          "after the metering rewrite; install: the module's checks and CRC, first load; boot: "
          "the installed module's CRC, load without validation, under the CPU budget (every "
          "boot); metered, checked: wa_app_load with a CPU budget (preloaded apps); unmetered: "
          "without", ["module", "bytes", "wasm3 alone", "wasm3 alone, metered image", "install",
                      "boot", "metered, checked", "unmetered"], rows)
