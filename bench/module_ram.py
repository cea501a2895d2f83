"""Where an app's code lives on the device, for `make bench`: a preloaded app
and an app installed over SMP both run from the module in flash, in place (an
earlier firmware metered a preloaded app into a copy in RAM at load, and wrote
a metered image to flash at install). Measured on QEMU mps2-an386 as the
device's own figures (SMP status: heap free, the app's module bytes in RAM)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from wamr_agent.emulator import EmulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

BOARD = "mps2-an386"
Table = Callable[[str, list[str], list[list[str]]], None]


def _measure(module: Path, name: str, workdir: Path, upload: bool) -> tuple[int, int]:
    """(device heap free, module bytes in RAM) with the app running."""
    preload = [] if upload else [module]
    with EmulatedBoard.start(BOARD, workdir=workdir, preload=preload) as board:
        board.console.expect(r"agent ready")
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            if upload:
                client.upload(name, module.read_bytes())
                board.console.expect(rf"app {name} started")
            ram = client.status(name).module_ram
            return client.status().heap_free, ram or 0


def module_ram(table: Table, build: Path) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="wamr-agent-module-ram-") as tmp:
        for name in ("sensor", "hello_wasi"):
            module = build / "examples" / f"{name}.wasm"
            pre_free, pre_ram = _measure(module, name, Path(tmp) / f"{name}-pre", upload=False)
            up_free, up_ram = _measure(module, name, Path(tmp) / f"{name}-up", upload=True)
            rows.append([name, f"{module.stat().st_size:,}", f"{pre_ram:,}", f"{pre_free:,}",
                         f"{up_ram:,}", f"{up_free:,}", f"{up_free - pre_free:+,}"])
    table(f"App code in RAM or in flash ({BOARD} under QEMU, figures from the device's SMP "
          "status): preloaded and uploaded both run from the module in flash, in place",
          ["app", "module", "preloaded: code in RAM", "heap free", "uploaded: code in RAM",
           "heap free", "heap gained"], rows)
