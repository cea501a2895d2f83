"""Telemetry through one gateway, for `make bench`: the values a subscriber gets
per second against the lines the devices printed.

Each simulated esp32 runs a small app (WAT, below) whose ``loop()`` publishes
``n`` = 0, 1, 2, ... a fixed number of times per call; the agent calls it every
200 ms, so each round prints a burst of ``telemetry tele n=<count>`` lines into
the device's 2 KiB ring of kept lines (about 65 of these lines). A gateway on a
local mosquitto reads the ring (the SMP ``logs`` command, a page of at most
1 KiB per request) and publishes each line on ``<dev>/logs`` and each value on
``<dev>/telemetry/tele``; lines the ring overwrote before it read them come as
``{"dropped": n}`` notices on ``<dev>/logs``. A subscriber counts, over
:data:`WINDOW` s once the gateway has caught up:

- device lines/s: from the counter and the device's time (``t_ms``) of the first
  and last values it got, i.e. what the devices printed;
- delivered/s: telemetry messages it got in the window, over the window (where
  the window cuts the gateway's reads, it may read a few % under the device's
  rate with nothing lost);
- dropped: the notices' sum, as a share of the lines printed (the rest of what was
  printed and not delivered is "lost", which should be nothing on loopback);
- gateway CPU: its process's user + system time (/proc) over the window, as a
  share of one core.

One row runs the device behind a TCP proxy paced at 115,200 baud (``goodput``), the
line rate of a real management UART.

The gateway reads a device's ring at once again while it finds lines, and starts
the next run of reads when the ring would be a quarter full at the device's recent
rate, between every 50 ms and every 0.5 s (gateway/cadence.py). With a fixed
0.5 s (before), 40 values a round lost 27 % of them (4 devices: 576 of 809 a
second delivered) and 1,000 a round delivered 143/s. A burst larger than the
ring (1,000 a round: about 23 KiB) loses all but the last ~65 lines whatever the
gateway does: that row measures the device's ring.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import wasmtime
from fleet_harness import start_gateway
from goodput import ThrottledLink

from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.broker import Mosquitto
from wamr_agent.mqtt.requester import Requester

GW = "gw-telemetry"
APP = "tele"
WARMUP = 2.0  # s after the gateway's first value: its start-up read of the ring is done
WINDOW = 10.0  # s counted
Table = Callable[[str, list[str], list[list[str]]], None]


@dataclass(frozen=True)
class Case:
    devices: int
    per_round: int  # values per loop() call
    paced: bool = False  # the device behind a 115,200 baud link

    def label(self) -> str:
        link = ", 115200 baud" if self.paced else ""
        return f"{self.devices} x {self.per_round}/round{link}"


CASES = (Case(1, 10), Case(1, 40), Case(1, 1000), Case(4, 40), Case(1, 40, paced=True))


def app(per_round: int) -> bytes:
    """``loop()`` publishes ``n`` = 0, 1, 2, ... ``per_round`` times per call."""
    return bytes(wasmtime.wat2wasm(f"""
(module
  (import "wamr_agent" "telemetry_publish" (func $publish (param i32 i32 f32) (result i32)))
  (memory 1)
  (data (i32.const 16) "n")
  (global $n (mut i32) (i32.const 0))
  (func (export "loop")
    (local $i i32)
    (loop $more
      (drop (call $publish (i32.const 16) (i32.const 1) (f32.convert_i32_u (global.get $n))))
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const {per_round}))))))
"""))


@dataclass
class Device:
    """What the subscriber saw of one device in the window."""

    first: topics.Telemetry | None = None
    last: topics.Telemetry | None = None
    delivered: int = 0
    dropped: int = 0

    def value(self, got: topics.Telemetry) -> None:
        self.first = self.first or got
        self.last = got
        self.delivered += 1

    def notice(self, dropped: int) -> None:
        if self.first is not None:  # a gap before the first value is not in the count
            self.dropped += dropped

    def printed(self) -> tuple[float, float]:
        """Lines printed between the first and the last value, and the device's
        seconds between them."""
        if self.first is None or self.last is None or self.first.value is None \
                or self.last.value is None:
            return 0.0, 0.0
        return (self.last.value - self.first.value,
                (self.last.t_ms - self.first.t_ms) / 1000)


@dataclass
class Count:
    devices: dict[str, Device] = field(default_factory=dict)

    def add(self, topic: str, payload: bytes) -> None:
        parsed = topics.parse(topic)
        if parsed is None or parsed.dev is None:
            return
        device = self.devices.setdefault(parsed.dev, Device())
        if parsed.kind == "telemetry":
            device.value(topics.Telemetry.from_json(payload))
        elif parsed.kind == "logs":
            notice = topics.parse_log(payload)
            if isinstance(notice, topics.LogDropped):
                device.notice(notice.dropped)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drain(watch: Requester, until: float, count: Count | None) -> int:
    """Takes what arrives until ``until`` (monotonic), counting it into ``count``;
    the number of telemetry messages."""
    got = 0
    while (left := until - time.monotonic()) > 0:
        try:
            item = watch.messages.get(timeout=left)
        except queue.Empty:
            break
        parsed = topics.parse(item.topic)
        got += parsed is not None and parsed.kind == "telemetry"
        if count is not None:
            count.add(item.topic, item.payload)
    return got


def measure(watch: Requester, gateway_pid: int) -> tuple[Count, float]:
    """Waits for the first value, lets the gateway catch up, counts a window;
    the count and the gateway's CPU seconds in it."""
    start = time.monotonic()
    while drain(watch, time.monotonic() + 1.0, None) == 0:
        if time.monotonic() - start > 30:
            raise RuntimeError("no telemetry from the bench's gateway within 30 s")
    drain(watch, time.monotonic() + WARMUP, None)
    count, cpu = Count(), cpu_seconds(gateway_pid)
    drain(watch, time.monotonic() + WINDOW, count)
    return count, cpu_seconds(gateway_pid) - cpu


def row(case: Case, count: Count, cpu: float) -> list[str]:
    printed = sum(d.printed()[0] for d in count.devices.values())
    rate = sum(d.printed()[0] / d.printed()[1] for d in count.devices.values()
               if d.printed()[1] > 0)
    delivered = sum(d.delivered for d in count.devices.values())
    dropped = sum(d.dropped for d in count.devices.values())
    lost = max(0.0, printed + len(count.devices) - delivered - dropped)
    share = (lambda n: f"{100 * n / printed:.1f}") if printed else (lambda n: "-")
    return [case.label(), f"{rate:,.0f}", f"{delivered / WINDOW:,.0f}", share(dropped),
            share(lost), f"{100 * cpu / WINDOW:.0f}"]


@contextlib.contextmanager
def boards(case: Case, module: Path, tmp: Path) -> Iterator[dict[str, str]]:
    """The case's simulated boards running the app: device id -> the address the
    gateway uses."""
    with contextlib.ExitStack() as stack:
        addresses = {}
        for k in range(case.devices):
            board = stack.enter_context(SimulatedBoard.start("esp32", workdir=tmp / f"d{k}"))
            deploying.deploy(module, "esp32", board.mgmt_address, name=APP, wait=False)
            address = board.mgmt_address
            if case.paced:
                address = ThrottledLink(address).address
            addresses[f"dev{k}"] = address
        yield addresses


def run_case(case: Case, tmp: Path) -> list[str]:
    module = tmp / f"{APP}.wasm"
    module.write_bytes(app(case.per_round))
    with Mosquitto.start_in(tmp / "broker") as broker, boards(case, module, tmp) as devices, \
            Requester(broker.url).connect() as watch:
        watch.subscribe(f"{topics.gateway_root(GW)}/#")
        gateway = start_gateway(tmp / "gateway", GW, devices, broker.url)
        try:
            return row(case, *measure(watch, gateway.pid))
        finally:
            gateway.stop()


def telemetry_rate(table: Table, build: Path) -> None:
    rows = []
    for case in CASES:
        with tempfile.TemporaryDirectory(prefix="wamr-agent-telemetry-") as name:
            rows.append(run_case(case, Path(name)))
    table(f"Telemetry through one gateway, loopback (simulated esp32, local mosquitto; "
          f"{WINDOW:g} s counted): values per loop() round (every 200 ms) per device",
          ["devices x values", "device lines/s", "delivered/s", "dropped %", "lost %",
           "gateway CPU %"], rows)
