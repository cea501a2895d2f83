"""A local mosquitto broker: the gateway's embedded default (no ``--broker``), the
broker of the tests, and later of the controller and ``make demo``.

:class:`Mosquitto` writes its own ``mosquitto.conf`` into a directory (one
loopback listener on a free port, anonymous clients, no persistence), runs
``mosquitto -c`` with its output in ``mosquitto.log`` there, and counts it ready
once an MQTT client connects. ``stop()`` and ``start()`` again keep the port.
mosquitto runs in its own session, so a Ctrl-C in the terminal reaches only the
program that started it (the gateway, which stops it after its last messages);
``detach()`` leaves it running (`wamr-agent broker up`). ``sys_interval`` has
mosquitto publish its ``$SYS/broker/...`` counters every that many seconds (its
default is 10; 0 publishes none), for a benchmark that reads them.

With ``security`` (mqtt/secure_broker.py) the listener is TLS only, with the
generated server certificate, and takes only the users of its password file,
each limited by its role's ACL: :attr:`Mosquitto.url` is then ``mqtts://`` with
the CA, and :meth:`Mosquitto.settings` adds a user's credentials.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from ..errors import TransportError
from .client import new_client, unique_client_id
from .url import BrokerSettings

if TYPE_CHECKING:
    from .secure_broker import Security

__all__ = ["BrokerError", "Mosquitto", "broker_answers", "find_mosquitto",
           "find_mosquitto_passwd", "free_port"]

READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
INSTALL_HINT = "install it with `apt-get install mosquitto` (`make setup` does)"


class BrokerError(TransportError):
    """The local broker could not be started or stopped."""


def find_mosquitto() -> str:
    """The mosquitto program (Debian installs it in /usr/sbin, often not on PATH)."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise BrokerError(f"mosquitto is not installed; {INSTALL_HINT}")
    return found


def find_mosquitto_passwd() -> str:
    """mosquitto_passwd, which writes mosquitto's password files (same package)."""
    found = shutil.which("mosquitto_passwd") or shutil.which("mosquitto_passwd",
                                                             path="/usr/bin:/usr/local/bin")
    if found is None:
        raise BrokerError(f"mosquitto_passwd is not installed; {INSTALL_HINT}")
    return found


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_answers(url: BrokerSettings, timeout: float = 1.0) -> bool:
    """True when an MQTT client can connect to ``url`` (CONNACK received) within ``timeout``."""
    client = new_client(url, unique_client_id("wamr-probe"))
    try:
        client.connect(url.host, url.port, keepalive=5)
    except OSError:
        return False
    try:
        deadline = time.monotonic() + timeout
        while not client.is_connected() and time.monotonic() < deadline:
            client.loop(0.05)
        return client.is_connected()
    finally:
        client.disconnect()


def config_text(port: int, security: Security | None = None,
                sys_interval: int | None = None) -> str:
    return "\n".join([
        "# written by wamr-agent (wamr_agent.mqtt.broker)",
        f"listener {port} 127.0.0.1",
        *(security.config_lines() if security else ["allow_anonymous true"]),
        "persistence false",
        "set_tcp_nodelay true",  # commands are request/response: no Nagle delay (~40 ms)
        *([] if sys_interval is None else [f"sys_interval {sys_interval}"]),
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        f"user {getpass.getuser()}",  # as root: stay root instead of switching users
        "",
    ])


class Mosquitto:
    """A mosquitto process on a loopback port; see the module docstring."""

    def __init__(self, directory: Path, port: int | None = None,
                 security: Security | None = None, *, sys_interval: int | None = None) -> None:
        self.directory = directory
        self.port = port
        self.security = security
        self.sys_interval = sys_interval
        self._proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def start_in(cls, directory: Path, port: int | None = None,
                 security: Security | None = None, *,
                 sys_interval: int | None = None) -> Mosquitto:
        broker = cls(directory, port, security, sys_interval=sys_interval)
        broker.start()
        return broker

    def _port(self) -> int:
        if self.port is None:
            raise BrokerError("the broker has not been started")
        return self.port

    @property
    def url(self) -> BrokerSettings:
        """Where clients connect (a secured broker's: mqtts://, with its CA, no user)."""
        if self.security is None:
            return BrokerSettings("127.0.0.1", self._port())
        return BrokerSettings("127.0.0.1", self._port(), tls=True, ca=self.security.ca)

    def settings(self, user: str) -> BrokerSettings:
        """:attr:`url` with the credentials of ``user`` of a secured broker."""
        if self.security is None:
            raise BrokerError("this broker takes anonymous clients: it has no users")
        return self.security.settings("127.0.0.1", self._port(), user)

    def _probe(self) -> BrokerSettings:
        """Settings a readiness probe connects with (a secured broker's first user)."""
        return self.settings(next(iter(self.security.accounts))) if self.security else self.url

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

    @property
    def pid(self) -> int | None:
        """The running mosquitto's process id (None when stopped or detached)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = READY_TIMEOUT) -> None:
        """Starts mosquitto (on the port of the last start, or a free one) and waits
        until a client can connect."""
        program = find_mosquitto()
        self.directory.mkdir(parents=True, exist_ok=True)
        fixed = self.port is not None
        for _attempt in range(1 if fixed else 3):
            self.port = self.port if fixed else free_port()
            if self._launch(program, timeout):
                return
        raise BrokerError(f"mosquitto did not start on 127.0.0.1:{self.port}: "
                          f"{self._log_tail()} (log: {self.log_path})")

    def _launch(self, program: str, timeout: float) -> bool:
        assert self.port is not None
        conf = self.directory / "mosquitto.conf"
        conf.write_text(config_text(self.port, self.security, self.sys_interval))
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen([program, "-c", str(conf)], stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            if broker_answers(self._probe(), 0.5):
                return True
            time.sleep(0.05)
        self.stop()
        return False

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return " / ".join(lines[-2:]) or "no output"

    def stop(self) -> None:
        """SIGTERM (SIGKILL after a grace period); idempotent. The port is kept."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)

    def detach(self) -> int:
        """Leaves mosquitto running (``stop()`` and the context manager no longer stop
        it); its pid."""
        if self._proc is None or not self.running:
            raise BrokerError("the broker is not running")
        pid, self._proc = self._proc.pid, None
        return pid

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
