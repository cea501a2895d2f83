"""A chaotic link for tests and benchmarks: a local TCP proxy between the host
and a board's management UART (a simulated board's socket, a QEMU board's
serial socket) that, in each direction, drops, duplicates, corrupts, delays
and stalls what passes, seeded so that a run can be repeated.

What passes is cut into bursts: bytes that arrive less than ``GAP`` seconds
apart (what the other side wrote at once: a frame from the host, a frame or a
console line from the device, which writes a frame in a few pieces). Per
burst: ``loss`` drops it whole, ``dup`` sends it twice, ``stall`` holds it
``stall_s`` first, ``delay`` holds it up to that many seconds (uniform); per
byte, ``byte_drop`` drops it; per bit, ``ber`` flips it. ``rate`` paces each
direction at that many bytes a second (a UART's line rate; None: as fast as
loopback goes). Order is kept: a serial line does not reorder. Each direction
of each connection draws from its own generator, seeded from ``seed``, the
connection's number and the direction.
"""

from __future__ import annotations

import contextlib
import math
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from types import TracebackType

from wamr_agent.smp.link import parse_socket_address

BURST = 65536  # the most bytes a burst holds
GAP = 0.002  # seconds of quiet that end a burst


@dataclass(frozen=True)
class Chaos:
    """What the link does to the bytes (see the module docstring)."""

    loss: float = 0.0
    dup: float = 0.0
    ber: float = 0.0
    byte_drop: float = 0.0
    delay: float = 0.0
    stall: float = 0.0
    stall_s: float = 0.5
    rate: float | None = None

    def describe(self) -> str:
        return (f"loss {self.loss:g}, dup {self.dup:g}, BER {self.ber:g}, byte drop "
                f"{self.byte_drop:g}, delay <= {self.delay:g} s, stall {self.stall:g} x "
                f"{self.stall_s:g} s, rate {self.rate or 'unpaced'}")


def _hits(rng: random.Random, p: float, n: int) -> list[int]:
    """The indexes in range(n) hit by an event of probability p each (geometric
    skips: a few draws for a long burst, not one per bit)."""
    if p <= 0.0 or n <= 0:
        return []
    if p >= 1.0:
        return list(range(n))
    out: list[int] = []
    at, scale = -1, 1.0 / math.log1p(-p)
    while True:
        at += 1 + int(math.log(1.0 - rng.random()) * scale)
        if at >= n:
            return out
        out.append(at)


class ChaosLink:
    """The proxy: connect to ``address`` (``socket://HOST:PORT``) instead of the
    board. One connection after another; ``events`` counts what it did."""

    def __init__(self, address: str, chaos: Chaos, seed: int = 0) -> None:
        self.chaos = chaos
        self.seed = seed
        self.events: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._target = parse_socket_address(address)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.address = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        self._connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # closed
            while True:
                client, _ = self._server.accept()
                device = socket.create_connection(self._target)
                for sock in (client, device):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                n, self._connections = self._connections, self._connections + 1
                for way, (src, dst) in enumerate(((client, device), (device, client))):
                    rng = random.Random(f"{self.seed}/{n}/{way}")
                    threading.Thread(target=self._pump, args=(src, dst, rng),
                                     daemon=True).start()

    def _count(self, what: str, n: int = 1) -> None:
        if n:
            with self._lock:
                self.events[what] += n

    def _mangle(self, rng: random.Random, burst: bytes) -> bytes:
        c = self.chaos
        data = bytearray(burst)
        flips = _hits(rng, c.ber, len(data) * 8)
        for bit in flips:
            data[bit // 8] ^= 1 << (bit % 8)
        self._count("bits flipped", len(flips))
        gone = set(_hits(rng, c.byte_drop, len(data)))
        self._count("bytes dropped", len(gone))
        return bytes(b for i, b in enumerate(data) if i not in gone) if gone else bytes(data)

    def _pump(self, src: socket.socket, dst: socket.socket, rng: random.Random) -> None:
        c, due = self.chaos, time.monotonic()
        with contextlib.suppress(OSError):  # either side gone: the connection ends
            while burst := self._burst(src):
                lost, twice = rng.random() < c.loss, rng.random() < c.dup
                stall, delay = rng.random() < c.stall, rng.uniform(0.0, c.delay)
                data = self._mangle(rng, burst)
                if lost:
                    self._count("bursts lost")
                    continue
                if stall:
                    self._count("stalls")
                time.sleep(delay + (c.stall_s if stall else 0.0))
                self._count("bursts duplicated", int(twice))
                for _ in range(2 if twice else 1):
                    due = self._send(dst, data, due)
        with contextlib.suppress(OSError):  # wakes the other direction's recv, sends FIN
            dst.shutdown(socket.SHUT_RDWR)
        dst.close()

    @staticmethod
    def _burst(src: socket.socket) -> bytes:
        """The next burst from src (b"" once it is closed)."""
        src.settimeout(None)
        burst = src.recv(BURST)
        src.settimeout(GAP)
        with contextlib.suppress(TimeoutError):
            while burst and len(burst) < BURST and (more := src.recv(BURST - len(burst))):
                burst += more
        return burst

    def _send(self, dst: socket.socket, data: bytes, due: float) -> float:
        """Sends data, paced at the chaos's rate; returns when the line is done."""
        rate = self.chaos.rate
        if rate is None:
            dst.sendall(data)
            return due
        due = max(due, time.monotonic())
        for i in range(0, len(data), 16):
            piece = data[i : i + 16]
            due += len(piece) / rate
            time.sleep(max(0.0, due - time.monotonic()))
            dst.sendall(piece)
        return due

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> ChaosLink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
