"""A simulated fleet on one machine, for benchmarks: one mosquitto (``$SYS``
counters every second), N simulated esp32 boards, and G `wamr-agent gateway`
processes that share the boards out in blocks (gw1 serves d001-d013, ...), each
with a configuration naming its boards' management ports. A
:class:`~fleet_metrics.BrokerTally` counts the broker's traffic from the start.

:meth:`Fleet.start` returns once every device's retained state says reachable.
Closing the fleet stops what was started in reverse order (whatever a benchmark
adds with :meth:`Fleet.adopt` first, then the gateways, the boards, the tally and
the broker), also on Ctrl-C (which reaches the gateways and boards directly: they
are in the terminal's process group) and on SIGTERM, which the fleet turns into
SystemExit while it runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Self

from fleet_metrics import BrokerTally, DevKey

from wamr_agent.emulator import SimulatedBoard
from wamr_agent.mqtt.broker import Mosquitto
from wamr_agent.mqtt.url import BrokerSettings

WAMR_AGENT = Path(sys.executable).with_name("wamr-agent")
BOARD = "esp32"
STOP_TIMEOUT = 30.0


def toml_config(gw: str, ports: Mapping[str, str], board: str = BOARD) -> str:
    """A gateway's configuration: id ``gw``, ``{device id: management port}``."""
    blocks = [f'[[devices]]\nid = "{dev}"\nboard = "{board}"\nport = "{port}"\n'
              for dev, port in ports.items()]
    return "\n".join([f'id = "{gw}"\n', *blocks])


class Service:
    """A `wamr-agent` command that runs until SIGTERM (a gateway, the controller),
    its output in ``<directory>/<name>.log``."""

    def __init__(self, name: str, args: list[str], directory: Path,
                 env: Mapping[str, str] | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log = directory / f"{name}.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([str(WAMR_AGENT), *args], stdout=out, stderr=out,
                                         stdin=subprocess.DEVNULL,
                                         env={**os.environ, **(env or {})})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_line(self, text: str, timeout: float = 60.0) -> None:
        """Until ``text`` is in the output; RuntimeError with the output if it exits."""
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.name}: no {text!r} (exit status "
                                   f"{self.proc.poll()}); {self.log}:\n{tail}")
            time.sleep(0.05)

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT`; idempotent."""
        self.terminate()
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)


def start_gateway(directory: Path, gw: str, ports: Mapping[str, str],
                  broker: BrokerSettings) -> Service:
    """`wamr-agent gateway` for ``gw`` on ``broker``; files under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "gateway.toml"
    config.write_text(toml_config(gw, ports))
    return Service(gw, ["gateway", "--config", str(config), "--broker", str(broker),
                        "--state-dir", str(directory / "state")], directory,
                   {"WAMR_AGENT_STATE": str(directory / "boards")})


def shares(devices: int, gateways: int) -> dict[str, list[str]]:
    """Device ids in blocks per gateway: ``{"gw1": ["d001", ...], ...}``."""
    ids = [f"d{n:03d}" for n in range(1, devices + 1)]
    size = -(-devices // gateways)
    return {f"gw{g + 1}": ids[g * size:(g + 1) * size] for g in range(gateways)
            if ids[g * size:(g + 1) * size]}


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@dataclass
class Timing:
    boards_s: float = 0.0
    reachable_s: float = 0.0


class Fleet:
    """The broker, boards, gateways and tally of one run; see the module docstring."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.boards: dict[str, SimulatedBoard] = {}
        self.gateways: dict[str, Service] = {}
        self.layout: dict[str, list[str]] = {}
        self.timing = Timing()
        self._stack = contextlib.ExitStack()
        self._sigterm: Callable[[int, FrameType | None], object] | int | None = None

    @classmethod
    def start(cls, directory: Path, devices: int, gateways: int,
              timeout: float = 180.0) -> Fleet:
        fleet = cls(directory)
        try:
            fleet._trap_sigterm()
            fleet._start(devices, gateways, timeout)
        except BaseException:
            fleet.close()
            raise
        return fleet

    def _trap_sigterm(self) -> None:
        with contextlib.suppress(ValueError):  # not the main thread: leave it
            self._sigterm = signal.signal(signal.SIGTERM, _terminated)
            self._stack.callback(signal.signal, signal.SIGTERM, self._sigterm)

    def _start(self, devices: int, gateways: int, timeout: float) -> None:
        self.broker = self._stack.enter_context(
            Mosquitto.start_in(self.directory / "broker", sys_interval=1))
        self.tally = BrokerTally(self.broker.url)
        self._stack.callback(self.tally.close)
        began = time.monotonic()
        self.layout = shares(devices, gateways)
        for dev in (d for ids in self.layout.values() for d in ids):
            board = SimulatedBoard.start(BOARD, workdir=self.directory / "boards" / dev)
            self._stack.callback(board.stop)
            self.boards[dev] = board
        self.timing.boards_s = time.monotonic() - began
        self._stack.callback(self._stop_gateways)
        began = time.monotonic()
        for gw, ids in self.layout.items():
            ports = {dev: self.boards[dev].mgmt_address for dev in ids}
            self.gateways[gw] = start_gateway(self.directory / gw, gw, ports, self.broker.url)
        for service in self.gateways.values():
            service.wait_line("serving", timeout)
        self.tally.wait_reachable(self.devices, timeout)
        self.timing.reachable_s = time.monotonic() - began

    def _stop_gateways(self) -> None:
        for service in self.gateways.values():  # all at once: each stops on its own
            service.terminate()
        for service in self.gateways.values():
            service.stop()

    @property
    def devices(self) -> list[DevKey]:
        return [(gw, dev) for gw, ids in self.layout.items() for dev in ids]

    def adopt(self, service: Service) -> Service:
        """Stops ``service`` first when the fleet closes."""
        self._stack.callback(service.stop)
        return service

    def processes(self) -> dict[str, list[int]]:
        """Process ids by group: ``broker``, each gateway, ``boards``."""
        groups = {"broker": [self.broker.pid] if self.broker.pid else []}
        groups |= {gw: [service.pid] for gw, service in self.gateways.items()}
        groups["boards"] = [b.pid for b in self.boards.values() if b.pid is not None]
        return groups

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
