"""Deploying through MQTT and a gateway against deploying over the serial port,
and a command's round trip through the gateway, on loopback, for `make bench`.

Two simulated esp32 boards: one deployed to directly (`deploy --port`), one
behind a `wamr-agent gateway` process on a local mosquitto (`deploy --via`). Each
run is a fresh install of a module no run sent before (a custom section numbers
it), so every run through the gateway transfers all of it: the sensor example to
confirmed (the device's trial, about 2 s, dominates), and a 64 KiB module not
started (the transfer, the checks and the upload). Seconds are those of the whole
library call (host checks, MQTT connection, transfer, upload, verdict).

The round trip is `status` through the gateway from one connected client,
against the same request over the other board's SMP link. The device answers a
request as soon as it arrives (its agent waits in wa_port_mgmt_wait(): poll(2) on
the simulated UART's socket); the gateway's worker polls the device between
commands, and a command that arrives during a poll goes before the poll's next
request, so it waits for at most the one in flight. `job` is answered by the
gateway alone: its share of the round trip.

Before (the device looked at its UART every 5 ms, and a command waited for the
whole poll): status through the gateway p50 5.1 ms, p99 10.3 ms; over the SMP link
p50 5.1 ms; the 64 KiB module's direct deploy 0.115 s (ratio 1.07x). With the
device answering at once, that deploy takes about 8 ms directly; through the
gateway the transfer to it (two 32 KiB chunks over MQTT, each written and fsynced
to its disk: about 9 ms) and the job's phases (about 5 ms) come before the same
upload, so the ratio is about 3x: a fixed cost of 15-20 ms, not a slower upload.
At a UART's line rate (115,200 baud, both devices' links paced by
goodput.ThrottledLink: the last row) the upload dominates and the ratio is 1.00x.
"""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fleet_harness import start_gateway
from goodput import ThrottledLink, big_module

from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.errors import TransportError, UsageError
from wamr_agent.mqtt.broker import Mosquitto
from wamr_agent.remote import RemoteDevice, Via
from wamr_agent.remote_deploy import Options, deploy_via, read_spec
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

GW = "gw-bench"
RUNS = {"sensor": 3, "blob": 5, "blob-uart": 2}
ROUND_TRIPS = 1000
Table = Callable[[str, list[str], list[list[str]]], None]


def variant(module: Path, run: int, out: Path) -> Path:
    """``module`` with a custom section ``bench`` holding ``run``: other bytes, the
    same app."""
    payload = bytes([5]) + b"bench" + run.to_bytes(4, "little")
    out.write_bytes(module.read_bytes() + bytes([0, len(payload)]) + payload)
    return out


def ready(via: Via) -> None:
    with RemoteDevice.open(Via(via.broker, via.gateway, via.device, timeout=1.0)) as remote:
        for _attempt in range(30):
            try:
                remote.status()
                return
            except TransportError:
                continue
    raise RuntimeError("the bench's gateway does not answer")


def _fresh(remove: Callable[[], None]) -> None:
    with contextlib.suppress(UsageError):  # not installed
        remove()


def _timed(deploy: Callable[[], object]) -> float:
    began = time.perf_counter()
    deploy()
    return time.perf_counter() - began


def compare(name: str, module: Path, start: bool, boards: tuple[str, Via],
            tmp: Path, label: str = "") -> list[str]:
    """Median seconds of a fresh install directly and through the gateway."""
    port, via = boards
    path = tmp / f"{name}.wasm"
    direct, through = [], []
    for run in range(RUNS[name]):
        variant(module, run, path)
        _fresh(lambda: deploying.remove_app(name, "esp32", port))
        direct.append(_timed(lambda: deploying.deploy(path, "esp32", port, start=start)))
        with RemoteDevice.open(via) as remote:
            _fresh(lambda: remote.remove(name))
        through.append(_timed(lambda: deploy_via(path, via, Options(start=start))))
    d, t = statistics.median(direct), statistics.median(through)
    what = "to confirmed" if start else "not started"
    return [f"{name} ({module.stat().st_size:,} B, {what}{label})", f"{d:.3f}", f"{t:.3f}",
            f"{t / d:.2f}x", str(RUNS[name])]


def _percentiles(samples: list[float]) -> tuple[str, str]:
    samples.sort()
    return (f"{statistics.median(samples) * 1e3:.2f}",
            f"{samples[int(len(samples) * 0.99)] * 1e3:.2f}")


def round_trips(port: str, via: Via, deploy: str) -> list[list[str]]:
    """``status`` through the gateway and over SMP, and ``job`` (a finished deploy,
    answered by the gateway alone: the MQTT round trip and the dispatcher)."""
    rows = []
    with RemoteDevice.open(via) as remote:
        samples = [_timed(remote.status) for _ in range(ROUND_TRIPS)]
        rows.append(["status through the gateway (MQTT 5, QoS 1)", *_percentiles(samples)])
        samples = [_timed(lambda: remote.call("job", {"deploy": deploy}))
                   for _ in range(ROUND_TRIPS)]
        rows.append(["job through the gateway (no device request)", *_percentiles(samples)])
    with SmpLink(port) as link:
        client = AppClient(link)
        samples = [_timed(client.status) for _ in range(ROUND_TRIPS)]
    rows.append(["status over the SMP link (for reference)", *_percentiles(samples)])
    return [[*row, str(ROUND_TRIPS)] for row in rows]


def mqtt_deploy(table: Table, build: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wamr-agent-mqtt-") as name:
        tmp = Path(name)
        with Mosquitto.start_in(tmp / "broker") as broker, \
                SimulatedBoard.start("esp32", workdir=tmp / "direct") as direct, \
                SimulatedBoard.start("esp32", workdir=tmp / "behind") as behind, \
                SimulatedBoard.start("esp32", workdir=tmp / "slow") as slow:
            paced = ThrottledLink(slow.mgmt_address)  # the gateway's link to it
            gateway = start_gateway(tmp / "gateway", GW, {"dev": behind.mgmt_address,
                                                          "slow": paced.address}, broker.url)
            try:
                via = Via(broker.url, GW, "dev")
                ready(via)
                ready(Via(broker.url, GW, "slow"))
                boards = (direct.mgmt_address, via)
                blob = big_module(tmp / "blob-base.wasm")
                rows = [compare("sensor", build / "examples" / "sensor.wasm", True, boards,
                                tmp),
                        compare("blob", blob, False, boards, tmp),
                        compare("blob-uart", blob, False,
                                (ThrottledLink(direct.mgmt_address).address,
                                 Via(broker.url, GW, "slow")), tmp, ", 115,200 baud")]
                last = read_spec(tmp / "blob.wasm", Options())[0].deploy
                trips = round_trips(direct.mgmt_address, via, last)
            finally:
                gateway.stop()
    table("Deploy through MQTT and a gateway vs over the serial port, loopback (simulated "
          "esp32, local mosquitto; fresh installs, median; the last row paces both devices' "
          "links at a UART's 115,200 baud). Target: <= 1.3x",
          ["module", "direct s", "via gateway s", "ratio", "runs"], rows)
    table("Command round trip on loopback, one connected client (the device answers as a "
          "request arrives; a command goes before the gateway's polls). Target: p99 < 5 ms "
          "through the gateway",
          ["command", "p50 ms", "p99 ms", "requests"], trips)
