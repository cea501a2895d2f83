"""A local mosquitto left running in the background (`wamr-agent broker up`,
`broker down`): anonymous, or secured (TLS, a password per user, the ACL of each
role: mqtt/secure_broker.py), on a free loopback port unless one is given.

Everything is in one directory (default ``$WAMR_AGENT_STATE/.broker``): the
broker's ``mosquitto.conf`` and ``mosquitto.log``, the secured broker's files,
and ``broker.json`` (pid, port, secured or not), which `down` reads.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..emulator.state import pid_alive, state_root
from ..errors import UsageError
from .broker import STOP_TIMEOUT, BrokerError, Mosquitto
from .secure_broker import Security
from .url import BrokerSettings

__all__ = ["RunningBroker", "default_dir", "down", "up"]

RECORD = "broker.json"


def default_dir() -> Path:
    return state_root() / ".broker"


@dataclass(frozen=True)
class RunningBroker:
    """A broker `up` started: where it is, and a secured one's files."""

    directory: Path
    pid: int
    port: int
    security: Security | None = None

    @property
    def url(self) -> BrokerSettings:
        tls = self.security is not None
        return BrokerSettings("127.0.0.1", self.port, tls=tls,
                              ca=self.security.ca if self.security else None)

    @property
    def conf(self) -> Path:
        return self.directory / "mosquitto.conf"

    @property
    def log(self) -> Path:
        return self.directory / "mosquitto.log"

    def as_dict(self) -> dict[str, Any]:
        users = {} if self.security is None else {
            a.name: {"role": a.role, "password_file": str(a.password_file),
                     "cert": str(a.cert.cert), "key": str(a.cert.key)}
            for a in self.security.accounts.values()}
        return {"url": str(self.url), "pid": self.pid, "directory": str(self.directory),
                "ca": str(self.security.ca) if self.security else None, "users": users,
                "conf": str(self.conf), "log": str(self.log)}


def _running(directory: Path) -> dict[str, Any] | None:
    """The record of the broker running from ``directory``, if one is."""
    try:
        record: dict[str, Any] = json.loads((directory / RECORD).read_text())
    except (OSError, ValueError):
        return None
    alive = pid_alive(int(record["pid"]), str(directory / "mosquitto.conf"))
    return record if alive else None


def up(directory: Path, secure: bool = False, gateways: tuple[str, ...] = ("gw1",),
       port: int | None = None, require_certificate: bool = False) -> RunningBroker:
    """Starts a broker from ``directory`` and leaves it running; see the module
    docstring. A secured one keeps the CA and the users' credentials ``directory``
    already has."""
    directory = directory.resolve()  # mosquitto.conf names files by absolute paths
    if (record := _running(directory)) is not None:
        raise UsageError(f"a broker is already running from {directory} (pid {record['pid']}, "
                         f"port {record['port']}); stop it with `wamr-agent broker down`")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file, or a folder in the way that is a file
        raise UsageError(f"cannot use {directory} as the broker's folder: "
                         f"{exc.strerror or exc}") from None
    security = Security.prepare(directory / "pki", gateways=gateways,
                                require_certificate=require_certificate) if secure else None
    broker = Mosquitto.start_in(directory, port, security)
    running = RunningBroker(directory, broker.detach(), broker.url.port, security)
    (directory / RECORD).write_text(json.dumps({"pid": running.pid, "port": running.port,
                                                "secure": secure}) + "\n")
    return running


def down(directory: Path) -> int:
    """Stops the broker running from ``directory``; its pid."""
    directory = directory.resolve()
    record = _running(directory)
    if record is None:
        raise UsageError(f"no broker is running from {directory}")
    pid = int(record["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while pid_alive(pid, str(directory / "mosquitto.conf")):
        if time.monotonic() > deadline:
            raise BrokerError(f"the broker from {directory} (pid {pid}) did not stop")
        time.sleep(0.05)
    (directory / RECORD).unlink(missing_ok=True)
    return pid
