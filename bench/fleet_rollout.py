"""A rollout to a simulated fleet, for `make bench` (and on its own:
``.venv/bin/python bench/fleet_rollout.py [--devices N] [--gateways G] [--idle S]
[--idle-only]``).

The fleet (bench/fleet_harness.py): 50 simulated esp32 boards, none running an
app, behind 4 `wamr-agent gateway` processes on one local mosquitto. It is first
measured idle (the gateways poll their devices; nothing else happens). Then
`wamr-agent controller` is started and `wamr-agent rollout start` sends it a
signed bundle of the sensor example (a trial of one loop round) in waves
1, 10%, 50%, 100%, 1 s soak, at most 10% failures. The rollout is read every
0.5 s until it ends, in this process with the library call `rollout status`
makes (:class:`~wamr_agent.rollouts.RolloutClient`): a CLI run costs about a
second of CPU, and there are only two here. `rollout status --json` (the CLI)
then gives the final object. Last, the fleet is measured idle again, every
device now running the sensor app (5 loop rounds a second, 3 console lines each,
2 of them telemetry: what its gateway publishes).

Per wave: when its last device had a final outcome, in the devices' own
timestamps (``finished``, seconds after the rollout's ``created``), and as the
reads saw it (seconds after `rollout start` was run). Broker messages are
PUBLISHes counted by a subscriber to ``#``, by kind, and every MQTT packet by
mosquitto's $SYS counters (bench/fleet_metrics.py); the status reads are among
them (``controller`` and ``answers``: a request and its answer each). CPU
seconds are each process's user + system time (/proc/<pid>/stat); ``bench`` is
this process (the broker tally and the status reads), on the same CPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet_harness import WAMR_AGENT, Fleet, Service
from fleet_metrics import (
    PACKETS_IN,
    PACKETS_OUT,
    Window,
    machine,
    rss_mib,
    sample,
    window,
)
from tables import table as print_table

from wamr_agent.ota import build_bundle, load_secret_key
from wamr_agent.ota.bundle import Health
from wamr_agent.rollouts import RolloutClient

ROOT = Path(__file__).resolve().parents[1]
TEST_KEY = ROOT / "ota" / "vectors" / "test.key"
CAPS = ["log", "sensor", "telemetry"]
WAVES, SOAK, MAX_FAILURES = "1,10%,50%,100%", "1s", "10%"
FINAL = ("succeeded", "failed", "unreachable")
ENDED = ("completed", "halted", "aborted")
POLL = 0.5
KINDS = ("commands", "answers", "controller", "state", "logs", "telemetry")
CONTROL = KINDS[:4]  # what managing the devices costs; logs and telemetry are the apps'
PHASES = ["CPU % idle, no app", "CPU % rollout", "CPU % idle, sensor running"]
Table = Callable[[str, list[str], list[list[str]]], None]


def signed_sensor(build: Path, out: Path, version: str = "1.1.0") -> Path:
    """The sensor example as a bundle signed by the test key, confirmed after one
    loop round on trial."""
    module = (build / "examples" / "sensor.wasm").read_bytes()
    out.write_bytes(build_bundle(module, name="sensor", version=version, seq=1,
                                 boards=["esp32"], caps=CAPS, key=load_secret_key(TEST_KEY),
                                 health=Health(loops=1)))
    return out


def start_controller(fleet: Fleet) -> Service:
    directory = fleet.directory / "controller"
    service = fleet.adopt(Service("controller", [
        "controller", "--broker", str(fleet.broker.url),
        "--db", str(directory / "rollouts.sqlite3")], directory))
    service.wait_line("controller: serving rollouts")
    return service


def rollout_cli(fleet: Fleet, *args: str) -> dict[str, Any]:
    """`wamr-agent rollout ARGS --via BROKER --json`: its JSON."""
    done = subprocess.run([str(WAMR_AGENT), "rollout", *args, "--via", str(fleet.broker.url),
                           "--json"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wamr-agent rollout {' '.join(args)}: exit {done.returncode}: "
                           f"{done.stderr.strip() or done.stdout.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Followed:
    rollout: dict[str, Any]
    seen_done: dict[int, float]  # wave -> seconds after `rollout start` a poll saw it done
    ended_s: float
    polls: int


def _waves_done(rollout: Mapping[str, Any]) -> set[int]:
    waves: dict[int, bool] = {}
    for d in rollout["devices"]:
        waves[d["wave"]] = waves.get(d["wave"], True) and d["outcome"] in FINAL
    return {wave for wave, done in waves.items() if done}


def follow(client: RolloutClient, rid: str, began: float, timeout: float) -> Followed:
    """Reads the rollout every :data:`POLL` s until it ends."""
    seen: dict[int, float] = {}
    polls = 0
    while True:
        rollout = client.status(rid)
        polls += 1
        now = time.monotonic() - began
        for wave in _waves_done(rollout):
            seen.setdefault(wave, now)
        if rollout["state"] in ENDED:
            return Followed(rollout, seen, now, polls)
        if now > timeout:
            raise RuntimeError(f"rollout {rid} still {rollout['state']} after {timeout:g} s: "
                               f"{rollout['counts']}")
        time.sleep(max(0.0, POLL - (time.monotonic() - began - now)))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Rollout:
    followed: Followed
    window: Window
    cli_cpu: float


def run_rollout(fleet: Fleet, bundle: Path, controller: Service, timeout: float) -> Rollout:
    """`rollout start` (the CLI), then the status read in this process (a CLI run
    takes about a second of CPU), and once more with the CLI when it has ended."""
    groups = {**fleet.processes(), "controller": [controller.pid], "bench": [os.getpid()]}
    first, cli = sample(groups, fleet.tally), children_cpu()
    began = time.monotonic()
    rid = rollout_cli(fleet, "start", str(bundle), "--waves", WAVES, "--soak", SOAK,
                      "--max-failures", MAX_FAILURES)["id"]
    with RolloutClient(fleet.broker.url) as client:
        followed = follow(client, rid, began, timeout)
    cli = children_cpu() - cli
    last = sample(groups, fleet.tally)
    followed.rollout = rollout_cli(fleet, "status", rid)
    return Rollout(followed, window(first, last), cli)


def idle(fleet: Fleet, seconds: float) -> Window:
    groups = fleet.processes()
    first = sample(groups, fleet.tally)
    time.sleep(seconds)
    return window(first, sample(groups, fleet.tally))


# -- tables --------------------------------------------------------------------------

def _pct(cpu: float, seconds: float) -> str:
    return f"{cpu / seconds * 100:.1f}"


def machine_rows(groups: Mapping[str, list[int]], windows: list[Window]) -> list[list[str]]:
    rows = []
    for name, pids in groups.items():
        cpu = [_pct(w.cpu[name], w.seconds) if name in w.cpu else "-" for w in windows]
        rows.append([name, str(len(pids)), f"{sum(rss_mib(p) for p in pids):.1f}", *cpu])
    return rows


def traffic_row(label: str, w: Window, devices: int, per: float) -> list[str]:
    t, scale = w.traffic, devices * per
    kinds = [f"{t.publishes.get(k, 0) / scale:.2f}" for k in KINDS]
    control = sum(t.publishes.get(k, 0) for k in CONTROL) / scale
    packets = (t.broker(PACKETS_IN) + t.broker(PACKETS_OUT)) / scale
    return [label, *kinds, f"{control:.2f}", f"{t.total / scale:.2f}", f"{packets:.2f}"]


def wave_rows(followed: Followed) -> list[list[str]]:
    rollout, rows = followed.rollout, []
    created = rollout["created"]
    for wave in sorted({d["wave"] for d in rollout["devices"]}):
        devs = [d for d in rollout["devices"] if d["wave"] == wave]
        started = [d["started"] for d in devs if d["started"] is not None]
        finished = [d["finished"] for d in devs if d["finished"] is not None]
        outcomes = [sum(d["outcome"] == o for d in devs) for o in FINAL]
        ended = finished and len(finished) == len(devs)
        done = f"{max(finished) - created:.1f}" if ended else "-"
        span = f"{max(finished) - min(started):.1f}" if ended and started else "-"
        seen = followed.seen_done.get(wave)
        rows.append([str(wave + 1), str(len(devs)), done, span,
                     f"{seen:.1f}" if seen is not None else "-", *map(str, outcomes)])
    return rows


def cpu_rows(r: Rollout) -> list[list[str]]:
    w = r.window
    rows = [[name, f"{cpu:.2f}", _pct(cpu, w.seconds)] for name, cpu in w.cpu.items()]
    return [*rows, ["`rollout start` (CLI)", f"{r.cli_cpu:.2f}", _pct(r.cli_cpu, w.seconds)]]


@dataclass
class Figures:
    """What one run measured; ``rollout`` and ``busy`` are None with ``--idle-only``."""

    load_before: float
    idle: Window
    rollout: Rollout | None = None
    busy: Window | None = None
    controller: Service | None = None
    machine: dict[str, float] = field(default_factory=machine)


def print_fleet(table: Table, fleet: Fleet, f: Figures) -> None:
    n, g, m = len(fleet.devices), len(fleet.gateways), f.machine
    groups = fleet.processes()
    if f.controller is not None:
        groups["controller"] = [f.controller.pid]
    windows = [w for w in (f.idle, f.rollout.window if f.rollout else None, f.busy) if w]
    table(f"Fleet on one machine: {n} simulated esp32, {g} gateways, one mosquitto "
          f"({m['cpus']:.0f} CPUs, load {f.load_before:.2f} before, {m['load1']:.2f} at "
          f"the end; {m['available_mib']:,.0f} MiB available). Boards up in "
          f"{fleet.timing.boards_s:.1f} s, all reachable {fleet.timing.reachable_s:.1f} s "
          "after the gateways started",
          ["processes", "count", "RSS MiB", *PHASES[:len(windows)]],
          machine_rows(groups, windows))
    rows = [traffic_row(f"idle, no app ({f.idle.seconds:.0f} s), per s", f.idle, n,
                        f.idle.seconds)]
    if f.rollout is not None:
        rows.append(traffic_row(f"rollout ({f.rollout.window.seconds:.0f} s), in all",
                                f.rollout.window, n, 1.0))
    if f.busy is not None:
        rows.append(traffic_row(f"idle, sensor running ({f.busy.seconds:.0f} s), per s",
                                f.busy, n, f.busy.seconds))
    polls = f" (the rollout's: with {f.rollout.followed.polls} status polls)" if f.rollout else ""
    table("Broker messages per device: PUBLISHes by kind, control = the first four (the "
          "rest is what the apps report), and every MQTT packet in + out ($SYS: acks and "
          f"pings too){polls}", ["when", *KINDS, "control", "PUBLISH", "packets"], rows)


def print_rollout(table: Table, fleet: Fleet, r: Rollout) -> None:
    n, g, state = len(fleet.devices), len(fleet.gateways), r.followed.rollout["state"]
    table(f"Rollout to {n} devices on {g} gateways: waves {WAVES}, soak {SOAK}, max "
          f"failures {MAX_FAILURES}; {state} {r.followed.ended_s:.1f} s after `rollout "
          "start`. done = the wave's last final outcome (s after the rollout was created, "
          "device timestamps); span = its first start to its last finish; polled = when a "
          "0.5 s poll saw it done (s after `rollout start`)",
          ["wave", "devices", "done s", "span s", "polled s", *FINAL], wave_rows(r.followed))
    table(f"Rollout CPU seconds ({r.window.seconds:.1f} s of wall time)",
          ["processes", "CPU s", "CPU %"], cpu_rows(r))


def measure(fleet: Fleet, bundle: Path | None, idle_s: float, timeout: float) -> Figures:
    figures = Figures(machine()["load1"], idle(fleet, idle_s))
    if bundle is not None:
        figures.controller = start_controller(fleet)
        figures.rollout = run_rollout(fleet, bundle, figures.controller, timeout)
        figures.busy = idle(fleet, idle_s)
        figures.machine = machine()
    return figures


def fleet_rollout(table: Table, build: Path, devices: int = 50, gateways: int = 4,
                  idle_s: float = 30.0, timeout: float = 300.0, rollout: bool = True) -> None:
    with tempfile.TemporaryDirectory(prefix="wamr-agent-fleet-") as name:
        tmp = Path(name)
        bundle = signed_sensor(build, tmp / "sensor-1.1.0.wab") if rollout else None
        with Fleet.start(tmp / "fleet", devices, gateways) as fleet:
            figures = measure(fleet, bundle, idle_s, timeout)
            print_fleet(table, fleet, figures)
            if figures.rollout is not None:
                print_rollout(table, fleet, figures.rollout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--gateways", type=int, default=4)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds per idle window")
    parser.add_argument("--timeout", type=float, default=300.0, help="for the rollout")
    parser.add_argument("--idle-only", action="store_true",
                        help="measure the fleet idle; no controller, no rollout")
    args = parser.parse_args()
    if not 1 <= args.gateways <= args.devices:
        sys.exit("--gateways must be between 1 and --devices")
    fleet_rollout(print_table, ROOT / "build", args.devices, args.gateways, args.idle, args.timeout,
                  rollout=not args.idle_only)


if __name__ == "__main__":
    main()
