"""Messages for `make bench` (issue 12, item 3): how long `send` takes, from the host's
request until the device's answer (the message queued in the app's inbox) and until
the line the app's on_message logs shows on the device's console.

One SMP link stays open (no link set-up in the figures); each message is sent after
the previous one's line has shown. For scale, the median of a `list` request over
the same link: the link's own round trip. The console is the board's log file, read every
0.2 ms; a line shows once the device has written it (the simulated esp32 writes its
UART to the file at once; QEMU's chardev writes the file as the UART sends).

Prints a table; asserts nothing about time.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from wamr_agent import access
from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.qemu import EmulatedBoard
from wamr_agent.smp.apps import AppClient

Table = Callable[[str, list[str], list[list[str]]], None]
SAMPLES = 50
POLL = 0.0002  # seconds between reads of the console file

ECHO_WAT = """
(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (import "wamr_agent" "msg_read" (func $msg_read (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 60) "msg ")
  (func (export "on_message") (param i32)
    (drop (call $log (i32.const 60)
      (i32.add (i32.const 4) (call $msg_read (i32.const 64) (i32.const 256)))))))
"""


def _shown(log: Path, offset: int, line: bytes, timeout: float = 10.0) -> int:
    """Waits until ``line`` is in the console file after ``offset``; the new offset."""
    deadline = time.monotonic() + timeout
    with log.open("rb") as stream:
        while time.monotonic() < deadline:
            stream.seek(offset)
            data = stream.read()
            at = data.find(line)
            if at >= 0:
                return offset + at + len(line)
            time.sleep(POLL)
    raise TimeoutError(f"no {line!r} on the console within {timeout:g} s")


def _round_trips(board: SimulatedBoard | EmulatedBoard,
                 app: Path) -> tuple[list[tuple[float, float]], float]:
    """(answer, log line) seconds of each message, and the median of a `list`
    request over the same link (the link's own round trip)."""
    deploying.deploy(app, board.board.name, port=board.mgmt_address)
    log = board.console.log_path
    offset = log.stat().st_size
    out = []
    with access.smp_link(board.mgmt_address) as link:
        client = AppClient(link)
        client.send("echo", b"warm-up")
        offset = _shown(log, offset, b"[echo] msg warm-up")
        for n in range(SAMPLES):
            text = f"m{n:03d}".encode()
            t0 = time.perf_counter()
            client.send("echo", text)
            t1 = time.perf_counter()
            offset = _shown(log, offset, b"[echo] msg " + text)
            out.append((t1 - t0, time.perf_counter() - t0))
        lists = []
        for _ in range(SAMPLES):
            t0 = time.perf_counter()
            client.list()
            lists.append(time.perf_counter() - t0)
    return out, statistics.median(lists)


def _row(where: str, measured: tuple[list[tuple[float, float]], float]) -> list[str]:
    samples, list_s = measured
    answer = [a * 1000 for a, _ in samples]
    line = [b * 1000 for _, b in samples]
    return [where, str(len(samples)), f"{statistics.median(answer):.2f}",
            f"{max(answer):.2f}", f"{statistics.median(line):.2f}", f"{max(line):.2f}",
            f"{list_s * 1000:.2f}"]


def messages(table: Table, build: Path) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="wamr-agent-messages-") as tmp:
        tmp_path = Path(tmp)
        app = tmp_path / "echo.wasm"
        app.write_bytes(bytes(wasmtime.wat2wasm(ECHO_WAT)))
        with SimulatedBoard.start("esp32", workdir=tmp_path / "sim") as board:
            rows.append(_row("simulated esp32", _round_trips(board, app)))
        with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "qemu") as board:
            rows.append(_row("QEMU mps2-an386", _round_trips(board, app)))
    table("Message round trip: `send` over an open SMP link (console framing) until the "
          "device's answer (queued) and until the app's on_message log line shows (wall ms)",
          ["device", "samples", "answer median", "answer max", "log line median",
           "log line max", "list median"], rows)
