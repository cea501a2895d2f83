"""What the fleet benchmarks measure: CPU seconds and resident memory of
processes (read from /proc), and the broker's traffic, counted two ways:

- :class:`BrokerTally`, a subscriber to ``#``, sees every PUBLISH a client sends
  into the tree once, and counts it by kind of topic (commands, answers, state,
  logs, telemetry, the controller's). Exact, but PUBLISH only.
- mosquitto's own ``$SYS/broker/...`` counters (``Mosquitto(sys_interval=1)``
  publishes them every second), which also count acknowledgements, pings and
  subscriptions: every MQTT packet the broker handled. The tally's own share of
  what the broker sent (its copies of every message) is taken out.

A :class:`Sample` is one moment (monotonic time, CPU seconds per named group of
processes, traffic so far); two of them make a :class:`Window`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paho.mqtt.client import Client, ConnectFlags, MQTTMessage
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from wamr_agent.mqtt import topics
from wamr_agent.mqtt.client import new_client, unique_client_id
from wamr_agent.mqtt.url import BrokerSettings

CLK_TCK = os.sysconf("SC_CLK_TCK")
SYS = "$SYS/broker/"
KINDS = {"cmd": "commands", "state": "state", "$state": "state", "$info": "state",
         "logs": "logs", "telemetry": "telemetry"}
# $SYS counters the tables use: every packet in and out, PUBLISH in and out.
PACKETS_IN, PACKETS_OUT = "messages/received", "messages/sent"
PUBLISH_IN, PUBLISH_OUT = "publish/messages/received", "publish/messages/sent"
DevKey = tuple[str, str]  # (gateway, device)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the name, in parentheses, may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


def machine() -> dict[str, float]:
    """The load average (1 min), CPUs, and the memory available (MiB)."""
    meminfo = dict(line.split(":", 1) for line in
                   Path("/proc/meminfo").read_text().splitlines())
    return {"load1": float(Path("/proc/loadavg").read_text().split()[0]),
            "cpus": float(os.cpu_count() or 1),
            "available_mib": int(meminfo["MemAvailable"].split()[0]) / 1024}


def kind_of(topic: str) -> str:
    """``commands``, ``answers``, ``state``, ``logs``, ``telemetry``, ``controller``
    or ``other``: what a message on ``topic`` is."""
    prefix = f"{topics.ROOT}/"
    if not topic.startswith(prefix):
        return "other"
    level = topic[len(prefix):].split("/", 1)[0]
    if level == topics.CLIENTS:
        return "answers"
    if level == topics.CONTROLLER:
        return topics.CONTROLLER
    parsed = topics.parse(topic)
    return KINDS.get(parsed.kind, "other") if parsed else "other"


@dataclass(frozen=True)
class Traffic:
    """Broker traffic so far (or in a window): PUBLISHes seen by the tally, by kind;
    the broker's $SYS counters; and the messages the tally itself received."""

    publishes: Mapping[str, int]
    sys: Mapping[str, float]
    seen: int

    def __sub__(self, earlier: Traffic) -> Traffic:
        kinds = set(self.publishes) | set(earlier.publishes)
        return Traffic({k: self.publishes.get(k, 0) - earlier.publishes.get(k, 0)
                        for k in kinds},
                       {k: v - earlier.sys.get(k, 0.0) for k, v in self.sys.items()},
                       self.seen - earlier.seen)

    @property
    def total(self) -> int:
        return sum(self.publishes.values())

    def broker(self, counter: str) -> float:
        """A $SYS counter; the ``sent`` ones without the tally's own copies."""
        value = self.sys.get(counter, 0.0)
        return value - self.seen if counter in (PACKETS_OUT, PUBLISH_OUT) else value


class BrokerTally:
    """A subscriber to ``#`` and ``$SYS/broker/#`` (QoS 0, so that it adds no
    acknowledgements). paho's network thread only updates counters under a lock;
    readers take copies. It also keeps every device's last retained state."""

    def __init__(self, url: BrokerSettings) -> None:
        self._lock = threading.Lock()
        self._publishes: Counter[str] = Counter()
        self._sys: dict[str, float] = {}
        self._states: dict[DevKey, bytes] = {}
        self._seen = 0
        self._ticks = 0
        self._subscribed = threading.Event()
        self._client = new_client(url, unique_client_id("bench-tally"))
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.connect(url.host, url.port, keepalive=10)
        self._client.loop_start()
        if not self._subscribed.wait(10):
            self.close()
            raise RuntimeError(f"the tally could not subscribe on {url}")

    def _on_connect(self, client: Client, userdata: Any, flags: ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        client.subscribe([("#", 0), (f"{SYS}#", 0)])

    def _on_subscribe(self, client: Client, userdata: Any, mid: int,
                      reasons: list[ReasonCode], properties: Properties | None) -> None:
        self._subscribed.set()

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        with self._lock:
            self._seen += 1
            if message.topic.startswith(SYS):
                self._count_sys(message.topic[len(SYS):], bytes(message.payload))
                return
            parsed = topics.parse(message.topic)
            if (parsed is not None and parsed.kind == "state" and parsed.dev is not None
                    and parsed.gw not in topics.RESERVED):
                self._states[(parsed.gw, parsed.dev)] = bytes(message.payload)
            if not message.retain:  # a retained one is a replay to a new subscriber
                self._publishes[kind_of(message.topic)] += 1

    def _count_sys(self, name: str, payload: bytes) -> None:
        if name == "uptime":
            self._ticks += 1
        with contextlib.suppress(ValueError, IndexError):
            self._sys[name] = float(payload.split()[0])

    def traffic(self, fresh: bool = True) -> Traffic:
        """The counts now; ``fresh``: after the broker's next $SYS publication, so
        that its counters are at most a few milliseconds old."""
        if fresh:
            self._next_tick()
        with self._lock:
            return Traffic(dict(self._publishes), dict(self._sys), self._seen)

    def _next_tick(self, timeout: float = 3.0) -> None:
        with self._lock:
            ticks = self._ticks
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.02)
            with self._lock:
                if self._ticks > ticks:
                    break
        time.sleep(0.05)  # the rest of that publication

    def states(self) -> dict[DevKey, topics.DeviceState]:
        with self._lock:
            kept = dict(self._states)
        return {key: topics.DeviceState.from_json(data) for key, data in kept.items()}

    def wait_reachable(self, devices: Iterable[DevKey], timeout: float) -> None:
        """Until every device's retained state says reachable; RuntimeError naming
        those that do not within ``timeout``."""
        wanted = set(devices)
        deadline = time.monotonic() + timeout
        while True:
            states = self.states()
            missing = sorted(d for d in wanted if d not in states or not states[d].reachable)
            if not missing:
                return
            if time.monotonic() > deadline:
                names = ", ".join("/".join(d) for d in missing[:8])
                raise RuntimeError(f"{len(missing)} device(s) not reachable within "
                                   f"{timeout:g} s: {names}")
            time.sleep(0.1)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@dataclass(frozen=True)
class Sample:
    """One moment: monotonic seconds, CPU seconds per group of processes, traffic."""

    at: float
    cpu: Mapping[str, float]
    traffic: Traffic


@dataclass(frozen=True)
class Window:
    """What happened between two samples."""

    seconds: float
    cpu: Mapping[str, float]
    traffic: Traffic


def sample(groups: Mapping[str, Iterable[int]], tally: BrokerTally) -> Sample:
    traffic = tally.traffic()
    cpu = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in groups.items()}
    return Sample(time.monotonic(), cpu, traffic)


def window(first: Sample, last: Sample) -> Window:
    return Window(last.at - first.at,
                  {name: last.cpu[name] - first.cpu.get(name, 0.0) for name in last.cpu},
                  last.traffic - first.traffic)
