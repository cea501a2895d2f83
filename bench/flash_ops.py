"""Flash operations and bytes written per update, for `make bench`.

A simulated esp32 runs app "sensor" v1 (a small reactor); deploying the sensor
example over it is traced by the firmware's flash fault injector (`--flash-trace`,
firmware/core/port/wa_flash_faults.h): program and erase operations, bytes
programmed and erased, against the target of writing the module and at most two
pages more (the slot's header page and one for the old slot). The install writes
nothing else: the app runs from the module in place.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import wasmtime

from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.faults import FlashOp, read_trace, sim_args

PAGE = 4096
TRACE = "flash-trace.txt"
Table = Callable[[str, list[str], list[list[str]]], None]
_V1 = """(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "sensor v1")
  (func (export "setup") (drop (call $log (i32.const 0) (i32.const 9))))
  (func (export "loop")))"""
_INSTALLED = re.compile(r"app sensor installed \((\d+) bytes, slot \d+\)")


def _update(example: Path, workdir: Path) -> tuple[list[FlashOp], int]:
    """The ops of deploying ``example`` over v1, and the module's size."""
    v1 = workdir / "v1.wasm"
    v1.write_bytes(wasmtime.wat2wasm(_V1))
    with SimulatedBoard.start("esp32", workdir=workdir / "board",
                              extra_args=sim_args(trace=TRACE)) as board:
        deploying.deploy(v1, "esp32", port=board.mgmt_address, name="sensor")
        before = len(read_trace(board.workdir / TRACE))
        board.console.skip()
        deploying.deploy(example, "esp32", port=board.mgmt_address, name="sensor")
        installed = board.console.expect(_INSTALLED, timeout=30)
        board.console.expect(r"app sensor started", timeout=30)
        ops = read_trace(board.workdir / TRACE)[before:]
    return ops, int(installed[1])


def flash_ops(table: Table, build: Path) -> None:
    example = build / "examples" / "sensor.wasm"
    with tempfile.TemporaryDirectory(prefix="wamr-agent-flashops-") as tmp:
        ops, module = _update(example, Path(tmp))
    programs = [op for op in ops if op.program]
    erases = [op for op in ops if not op.program]
    programmed = sum(op.length for op in programs)
    erased = sum(op.length for op in erases)
    pages = -(-module // PAGE) + 2  # erases are whole pages
    rows = [["program", str(len(programs)), f"{programmed:,}", f"{module + 2 * PAGE:,}"],
            ["erase", str(len(erases)), f"{erased:,}", f"{pages * PAGE:,}"]]
    table(f"Flash per update: the sensor example ({module:,} bytes) deployed over v1 on a "
          "simulated esp32 (trace of the flash fault injector). Target: module + at most 2 "
          "pages (erases: in whole pages)",
          ["operation", "count", "bytes", "target bytes"], rows)
