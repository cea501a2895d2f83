"""Start-up time of the `wamr-agent` command, for `make bench`: `--help`,
`--version`, `run hello_wasi.wasm` (until its first output line, and whole), and
`import wamr_agent.cli` alone; the median of RUNS fresh processes each, in ms.

Run alone: `.venv/bin/python bench/startup.py` (after `make build examples`)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

RUNS = 11
Table = Callable[[str, list[str], list[list[str]]], None]
CLI = [sys.executable, "-c", "from wamr_agent.cli import main; main()"]


def _timed(argv: list[str]) -> tuple[float, float]:
    """Seconds until the first line on stdout, and until the process ended."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "100"}
    t0 = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          env=env) as proc:
        assert proc.stdout is not None
        proc.stdout.readline()
        first = time.perf_counter() - t0
        proc.stdout.read()
        if proc.wait() != 0:
            raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
    return first, time.perf_counter() - t0


def _median_ms(argv: list[str], pick: int) -> str:
    return f"{statistics.median(_timed(argv)[pick] for _ in range(RUNS)) * 1000:.0f}"


def startup(table: Table, build: Path) -> None:
    hello = str(build / "examples" / "hello_wasi.wasm")
    rows = [
        ["wamr-agent --help", _median_ms([*CLI, "--help"], 1)],
        ["wamr-agent --version", _median_ms([*CLI, "--version"], 1)],
        ["wamr-agent run hello_wasi.wasm: first output line", _median_ms([*CLI, "run", hello], 0)],
        ["wamr-agent run hello_wasi.wasm: whole", _median_ms([*CLI, "run", hello], 1)],
        ["import wamr_agent.cli", _median_ms([sys.executable, "-c",
                                              "import wamr_agent.cli; print()"], 1)],
        ["import typer._adapters (pydantic: typer coerces every option through it)",
         _median_ms([sys.executable, "-c", "import typer._adapters; print()"], 1)],
        ["python -c pass (the interpreter alone)", _median_ms([sys.executable, "-c",
                                                               "print()"], 1)],
    ]
    table(f"CLI start-up (ms, median of {RUNS} fresh processes; target < 150 for --help "
          "and the start of run)", ["command", "ms"], rows)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tables import table as print_table

    startup(print_table, Path(__file__).resolve().parents[1] / "build")
