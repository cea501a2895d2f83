"""Gateway tier: a real mosquitto on a free loopback port (started here, never a
system service), `wamr-agent gateway` as a real process, and real boards
(simulated esp32s and QEMU). Without mosquitto the tests skip with the install
hint (CI=true: they fail)."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

from tests.conftest import need
from wamr_agent.errors import TransportError
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.broker import BrokerError, Mosquitto, find_mosquitto
from wamr_agent.mqtt.client import BrokerUrl
from wamr_agent.mqtt.requester import Incoming, Requester
from wamr_agent.ota.keys import KeyPair
from wamr_agent.ota.pack import pack

WAMR_AGENT = Path(sys.executable).with_name("wamr-agent")


def pytest_runtest_setup() -> None:
    try:
        find_mosquitto()
    except BrokerError as exc:
        need(False, "mosquitto", str(exc))


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    with Mosquitto.start_in(tmp_path_factory.mktemp("broker")) as started:
        yield started


class Watch:
    """A subscriber for assertions: ``expect`` waits for a message on a topic that
    passes a check, and fails with what did arrive."""

    def __init__(self, url: BrokerUrl, *filters: str) -> None:
        self.mqtt = Requester(url).connect()
        self.seen: list[Incoming] = []
        self.mqtt.subscribe(*filters)

    def expect(self, topic: str, check: Callable[[bytes], bool] = lambda _: True,
               timeout: float = 30.0) -> bytes:
        for item in self.seen:
            if item.topic == topic and check(item.payload):
                self.seen.remove(item)
                return item.payload
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self.mqtt.messages.get(timeout=left)
            except queue.Empty:
                break
            if item.topic == topic and check(item.payload):
                return item.payload
            self.seen.append(item)
        recent = [f"{i.topic} {i.payload[:120]!r}" for i in self.seen[-8:]]
        raise AssertionError(f"nothing on {topic} passed the check within {timeout:g} s; "
                             f"last messages: {recent}")

    def close(self) -> None:
        self.mqtt.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def state_of(gw: str, dev: str, watch: Watch, check: Callable[[topics.DeviceState], bool],
             timeout: float = 30.0) -> topics.DeviceState:
    """The first state of ``dev`` that passes ``check``."""
    data = watch.expect(topics.device_state(gw, dev),
                        lambda p: check(topics.DeviceState.from_json(p)), timeout)
    return topics.DeviceState.from_json(data)


def wait_answering(url: BrokerUrl, gw: str, dev: str, gateway: GatewayProcess) -> None:
    """Waits until gateway ``gw`` answers commands for device ``dev``."""
    with Requester(url, timeout=1.0).connect() as mqtt:
        for _attempt in range(30):
            try:
                mqtt.wait(mqtt.send(gw, dev, "ps"), timeout=1.0)
                return
            except TransportError:
                continue
    raise AssertionError(f"the gateway does not answer:\n{gateway.output()}")


def bundle(tmp: Path, module: Path, name: str, key: KeyPair) -> Path:
    """``module`` signed by ``key`` as app ``name`` 1.0.0 (seq 1) for esp32."""
    out = tmp / f"{name}.wab"
    pack(module, out, key=key, version="1.0.0", seq=1, boards=["esp32"], name=name)
    return out


def gateway_config(gw: str, devices: dict[str, tuple[str, str]]) -> str:
    """TOML for gateway ``gw`` with ``{id: (board, port)}``."""
    lines = [f'id = "{gw}"']
    for dev, (board, port) in devices.items():
        lines += ["[[devices]]", f'id = "{dev}"', f'board = "{board}"', f'port = "{port}"']
    return "\n".join(lines) + "\n"


class AgentProcess:
    """A long-running `wamr-agent` command run as users run it (the gateway, the
    controller); its stdout and stderr in files (a restarted one appends to them)."""

    def __init__(self, directory: Path, command: list[str]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.command = command
        self.start()

    def start(self) -> None:
        env = {**os.environ, "WAMR_AGENT_STATE": str(self.directory / "boards")}
        stdout = self.directory / "stdout"
        self._since = stdout.stat().st_size if stdout.exists() else 0
        with stdout.open("ab") as out, (self.directory / "stderr").open("ab") as err:
            self.proc = subprocess.Popen(self.command, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=env)

    def output(self) -> str:
        return (self.directory / "stdout").read_text() + (self.directory / "stderr").read_text()

    def wait_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first line since the last start that matches ``pattern``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, (self.directory / "stdout").read_text()[self._since:])
            if found:
                return found
            assert self.proc.poll() is None, f"{self.command[1]} exited:\n{self.output()}"
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} from {self.command[1]} within {timeout:g} s:\n"
                             f"{self.output()}")

    def terminate(self, timeout: float = 30.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class GatewayProcess(AgentProcess):
    """`wamr-agent gateway` with ``config``, its state directory under ``directory``."""

    def __init__(self, directory: Path, config: str, broker: BrokerUrl | None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "gateway.toml").write_text(config)
        command = [str(WAMR_AGENT), "gateway", "--config", str(directory / "gateway.toml"),
                   "--state-dir", str(directory / "state")]
        if broker is not None:
            command += ["--broker", str(broker)]
        super().__init__(directory, command)


class ControllerProcess(AgentProcess):
    """`wamr-agent controller`, its database in ``directory``."""

    def __init__(self, directory: Path, broker: BrokerUrl | str, *options: str) -> None:
        """``options``: the broker's TLS and credentials options."""
        self.db = directory / "rollouts.sqlite3"
        super().__init__(directory, [str(WAMR_AGENT), "controller", "--broker", str(broker),
                                     "--db", str(self.db), *options])


@pytest.fixture
def gateway_process(tmp_path: Path) -> Iterator[Callable[..., GatewayProcess]]:
    """Starts gateway processes; kills those still running at the end."""
    started: list[GatewayProcess] = []

    def start(config: str, broker: BrokerUrl | None, name: str = "gw") -> GatewayProcess:
        started.append(GatewayProcess(tmp_path / name, config, broker))
        return started[-1]

    yield start
    for process in started:
        process.kill()


def json_of(data: bytes) -> Any:
    return json.loads(data)
