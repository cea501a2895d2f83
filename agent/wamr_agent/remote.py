"""A device managed through its gateway over MQTT (``--via mqtt://... --device
gw/dev``): :class:`RemoteDevice` has the methods the commands use from
:class:`~wamr_agent.smp.apps.AppClient` and returns the same dataclasses; an error
the gateway reports is raised here as the same exception class with the same
exit code."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, overload

from .app_config import ConfigState
from .errors import TransportError, UsageError
from .messages import check_message
from .mqtt import results, topics
from .mqtt.client import BrokerUrl
from .mqtt.requester import DEFAULT_TIMEOUT, Requester
from .smp.app_results import AppInfo, AppStatus, DeviceStatus, LogEntry, LogPage
from .smp.logreader import LogNotice, read_logs

__all__ = ["RemoteDevice", "Via"]


@dataclass(frozen=True)
class Via:
    """A device behind a gateway: ``--via mqtt://host:port --device gw/dev``."""

    broker: BrokerUrl
    gateway: str
    device: str
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def parse(cls, url: str, device: str | None, timeout: float = DEFAULT_TIMEOUT) -> Via:
        if device is None or device.count("/") != 1:
            raise UsageError(f"--via {url} needs --device GATEWAY/DEVICE (e.g. gw1/dev1)")
        gw, dev = device.split("/")
        return cls(BrokerUrl.parse(url), topics.check_id("gateway id", gw),
                   topics.check_id("device id", dev), timeout)

    def __str__(self) -> str:
        return f"{self.gateway}/{self.device} via {self.broker}"


class RemoteDevice:
    """One device through its gateway; see the module docstring."""

    def __init__(self, via: Via, requester: Requester) -> None:
        self.via = via
        self._mqtt = requester

    @classmethod
    def open(cls, via: Via) -> RemoteDevice:
        return cls(via, Requester(via.broker, timeout=via.timeout).connect())

    def call(self, verb: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """Sends one command; its result (the gateway's error raised as here)."""
        v = self.via
        correlation = self._mqtt.send(v.gateway, v.device, verb, args)
        try:
            reply = self._mqtt.wait(correlation, what=f"gateway {v.gateway!r} for device "
                                    f"{v.device!r} on {topics.command(v.gateway, v.device, verb)}")
        except TransportError as exc:
            raise TransportError(f"{exc}: {_gateway_said(self._mqtt, v)}") from None
        if reply.error is not None:
            raise reply.error.exception()
        return reply.result or {}

    def list(self) -> list[AppInfo]:
        return results.decode_apps(self.call("ps"))

    def start(self, name: str) -> None:
        self.call("start", {"name": name})

    def stop(self, name: str) -> None:
        self.call("stop", {"name": name})

    def remove(self, name: str) -> None:
        self.call("rm", {"name": name})

    def confirm(self, name: str) -> None:
        self.call("confirm", {"name": name})

    def rollback(self, name: str) -> None:
        self.call("rollback", {"name": name})

    def send(self, name: str, data: bytes) -> None:
        self.call("send", {"name": name, "hex": check_message(data).hex()})

    @overload
    def status(self, name: None = None) -> DeviceStatus: ...
    @overload
    def status(self, name: str) -> AppStatus: ...

    def status(self, name: str | None = None) -> DeviceStatus | AppStatus:
        return results.decode_status(self.call("status", {} if name is None else
                                                {"name": name}))

    def logs(self, since: int = 0) -> LogPage:
        return results.decode_logs(self.call("logs", {"since": since}))

    def config_get(self, name: str) -> ConfigState:
        return results.decode_config(self.call("config-get", {"name": name}))

    def config_set(self, name: str, desired: int, values: dict[str, str],
                   unset: Sequence[str]) -> ConfigState:
        return results.decode_config(self.call("config-set", {
            "name": name, "desired": desired, "set": values, "unset": [*unset]}))

    def follow_logs(self, since: int = 0, stop: threading.Event | None = None,
                    ) -> Iterator[LogEntry | LogNotice]:
        """The kept lines from ``since`` on (asked through the gateway), then the lines
        the gateway publishes on the device's logs topic, until the caller stops or
        sets ``stop`` (seen within a second: the wait for a message polls)."""
        self._mqtt.subscribe(topics.logs(self.via.gateway, self.via.device))
        last: tuple[int, int] | None = None
        for event in read_logs(self, since):
            if isinstance(event, LogEntry):
                last = (event.boot, event.seq)
            yield event
        while stop is None or not stop.is_set():
            for event in _live(self._mqtt.messages, last):
                if isinstance(event, LogEntry):
                    last = (event.boot, event.seq)
                yield event

    def close(self) -> None:
        self._mqtt.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


STATE_WAIT = 1.0  # s for the broker's retained $state of a gateway


def _gateway_said(requester: Requester, via: Via) -> str:
    """Why a gateway may not answer, from its retained ``$state`` on the broker."""
    topic = topics.gateway_state(via.gateway)
    try:
        requester.subscribe(topic)
        deadline = time.monotonic() + STATE_WAIT
        while (left := deadline - time.monotonic()) > 0:
            item = requester.messages.get(timeout=left)
            if item.topic == topic:
                state = topics.parse_state(item.payload)
                return {"online": "the gateway is online but did not answer in time",
                        "offline": "the gateway stopped (its $state is offline)",
                        "lost": "the gateway lost its broker connection (its $state is lost)",
                        }.get(state or "", "is the gateway running?")
    except (queue.Empty, TransportError):
        pass
    return (f"no gateway {via.gateway!r} has connected to this broker: is the gateway id "
            "or the broker right?")


def _live(messages: queue.Queue[Any], last: tuple[int, int] | None,
          ) -> Iterator[LogEntry | LogNotice]:
    """The events of the next message on the logs topic (lines already shown skipped)."""
    try:
        item = messages.get(timeout=1.0)
    except queue.Empty:
        return
    try:
        line = topics.parse_log(item.payload)
    except (ValueError, KeyError, TypeError):
        return
    if isinstance(line, topics.LogDropped):
        yield LogNotice("dropped", line.dropped)
        return
    if last is not None and line.boot == last[0] and line.seq <= last[1]:
        return
    if last is not None and line.boot != last[0]:
        yield LogNotice("reboot", line.boot)
    yield LogEntry(line.boot, line.seq, line.t_ms, line.msg)
