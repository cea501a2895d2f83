"""Upload goodput over a link throttled to 115200 baud 8N1 (11,520 bytes/s
each way), per framing, and deploy-to-first-telemetry, for `make bench`.

QEMU's UART and the simulated board's socket have no baud timing, so a TCP
proxy between `deploy` and the simulated esp32 paces bytes at line rate in
both directions. The module is 64 KiB: a data segment of fixed bytes.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.smp.framing import Framing
from wamr_agent.smp.link import parse_socket_address

LINE_RATE = 115200 / 10  # 8N1: ten bit times per byte
MODULE_DATA = 64 * 1024 - 200
Table = Callable[[str, list[str], list[list[str]]], None]


class ThrottledLink:
    """A local TCP proxy to ``address`` that paces each direction at ``rate`` B/s."""

    def __init__(self, address: str, rate: float = LINE_RATE) -> None:
        self.rate = rate
        self._target = parse_socket_address(address)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.address = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:  # one connection after another (a CLI command opens its own)
            client, _ = self._server.accept()
            device = socket.create_connection(self._target)
            for sock in (client, device):  # paced small writes must not wait for ACKs
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for src, dst in ((client, device), (device, client)):
                threading.Thread(target=self._pace, args=(src, dst), daemon=True).start()

    def _pace(self, src: socket.socket, dst: socket.socket) -> None:
        # `due` is when the line finishes the bytes handed to it so far. It restarts
        # from now only when bytes arrive at an idle line, so the sleeps' overshoot
        # is not added up piece after piece (that cost ~30 ms per 4 KiB).
        due = time.monotonic()
        with contextlib.suppress(OSError):  # either side gone: the connection ends
            while data := src.recv(256):
                due = max(due, time.monotonic())
                for i in range(0, len(data), 16):
                    piece = data[i : i + 16]
                    due += len(piece) / self.rate
                    time.sleep(max(0.0, due - time.monotonic()))
                    dst.sendall(piece)
        with contextlib.suppress(OSError):  # wakes the other direction's recv, sends FIN
            dst.shutdown(socket.SHUT_RDWR)
        dst.close()

    def close(self) -> None:
        self._server.close()


def big_module(path: Path) -> Path:
    data = "".join(f"\\{(i * 7) & 0xFF:02x}" for i in range(MODULE_DATA))
    path.write_bytes(wasmtime.wat2wasm(
        f'(module (memory (export "memory") 1) (data (i32.const 0) "{data}"))'))
    return path


def _one(framing: Framing, module: Path, workdir: Path) -> list[str]:
    with SimulatedBoard.start("esp32", workdir=workdir) as board:
        link = ThrottledLink(board.mgmt_address)
        report = deploying.deploy(module, "esp32", port=link.address, start=False,
                                  framing=framing)
        link.close()
    rate = report.bytes / report.seconds
    return [framing.name.lower(), f"{report.bytes:,}", f"{report.seconds:.2f}",
            f"{rate:,.0f}", f"{100 * rate / LINE_RATE:.0f}%"]


def first_telemetry(example: Path, workdir: Path) -> float:
    """Seconds from the start of `deploy` to the app's first telemetry line (the app
    runs on trial from its install on; the wait for the device's verdict is the
    "end of upload to CONFIRMED" table's)."""
    with SimulatedBoard.start("esp32", workdir=workdir) as board:
        link = ThrottledLink(board.mgmt_address)
        began = time.monotonic()
        deploying.deploy(example, "esp32", port=link.address, start=True, wait=False)
        board.console.expect(r"telemetry sensor ", timeout=30)
        link.close()
        return time.monotonic() - began


def upload_goodput(table: Table, build: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wamr-agent-goodput-") as tmp:
        module = big_module(Path(tmp) / "blob.wasm")
        rows = [_one(f, module, Path(tmp) / f.name) for f in (Framing.CONSOLE, Framing.RAW)]
        first = first_telemetry(build / "examples" / "sensor.wasm", Path(tmp) / "first")
    table("Upload goodput, 64 KiB module over a link throttled to 115200 baud 8N1 (11,520 B/s "
          "each way; simulated esp32). Targets: console >= 70% (base64 caps it at 75%), "
          "raw >= 90%", ["framing", "bytes", "seconds", "goodput B/s", "of line rate"], rows)
    print(f"deploy start to first telemetry (sensor example, same link; the app runs on "
          f"trial): {first:.2f} s")
