"""How a command reaches a device: over its SMP link (``--port``, or the board's
local instance) or through a gateway over MQTT (``--via ... --device gw/dev``).
Both give a :class:`DeviceAccess` with the same methods and result types, so the
library functions of :mod:`wamr_agent.deploy` and the CLI do not depend on which."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Protocol, overload

from .app_config import ConfigState
from .errors import UsageError
from .mqtt.url import CLI_NAMES, BrokerOptions, resolve
from .remote import RemoteDevice, Via
from .smp.app_results import AppInfo, AppStatus, DeviceStatus, LogEntry, LogPage
from .smp.apps import AppClient
from .smp.framing import Framing
from .smp.link import DEFAULT_BAUDRATE, SmpLink
from .smp.logreader import LogNotice, read_logs, stoppable_sleep
from .targets import resolve_target

__all__ = ["DeviceAccess", "Via", "log_events", "open_device", "smp_link", "via_option"]

LINK_TIMEOUT = 10.0


class DeviceAccess(Protocol):
    """What the app commands need from a device (AppClient and RemoteDevice have it)."""

    def list(self) -> list[AppInfo]: ...
    def start(self, name: str) -> None: ...
    def stop(self, name: str) -> None: ...
    def remove(self, name: str) -> None: ...
    def confirm(self, name: str) -> None: ...
    def rollback(self, name: str) -> None: ...
    def send(self, name: str, data: bytes) -> None: ...
    @overload
    def status(self, name: None = None) -> DeviceStatus: ...
    @overload
    def status(self, name: str) -> AppStatus: ...
    def logs(self, since: int = 0) -> LogPage: ...
    def config_get(self, name: str) -> ConfigState: ...
    def config_set(self, name: str, desired: int, values: dict[str, str],
                   unset: Sequence[str]) -> ConfigState: ...


def via_option(url: str | None, device: str | None,
               options: BrokerOptions | None = None) -> Via | None:
    """The ``--via``/``--device`` pair of the CLI, with its TLS and credentials
    ``options`` (``--ca``, ``--user``, ...), as a Via (None without ``--via``)."""
    opts = options or BrokerOptions()
    if url is None:
        if device is not None or opts.given():
            given = ["--device" if device is not None else "",
                     *(CLI_NAMES[n] for n in opts.given())]
            raise UsageError(f"{', '.join(filter(None, given))}: only with "
                             "--via mqtt[s]://HOST:PORT")
        return None
    return replace(Via.parse(url, device), broker=resolve(url, opts))


@contextmanager
def open_device(board: str, port: str | None = None, baudrate: int = DEFAULT_BAUDRATE,
                via: Via | None = None) -> Iterator[DeviceAccess]:
    """The device at ``via`` (through its gateway), else at ``port`` or the board's
    running local instance (over SMP)."""
    if via is not None:
        if port is not None:
            raise UsageError(f"--port {port} and --via {via.broker}: give one of them")
        with RemoteDevice.open(via) as remote:
            yield remote
        return
    target = resolve_target(board, port)
    with smp_link(target.address, baudrate) as link:
        yield AppClient(link)


def smp_link(address: str, baudrate: int = DEFAULT_BAUDRATE) -> SmpLink:
    """The SMP link the commands open to a device (console framing to begin with)."""
    return SmpLink(address, Framing.CONSOLE, timeout=LINK_TIMEOUT, baudrate=baudrate)


def log_events(device: DeviceAccess, since: int = 0, follow: bool = False,
               stop: threading.Event | None = None) -> Iterator[LogEntry | LogNotice]:
    """The device's kept lines from ``since`` on; with ``follow``, new ones as they
    come (a remote device: from its gateway's logs topic); ``stop`` set ends a
    follow at its next poll (KeyboardInterrupt)."""
    if follow and isinstance(device, RemoteDevice):
        return device.follow_logs(since, stop)
    if stop is None:
        return read_logs(device, since, follow=follow)
    return read_logs(device, since, follow=follow, sleep=stoppable_sleep(stop))
