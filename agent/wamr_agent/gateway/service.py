"""The gateway's dispatcher: its MQTT connection and the device workers.

paho runs the callbacks on its network thread; they only put typed events on one
queue. The dispatcher (the thread that calls :meth:`Gateway.run`) takes them off:
on a connection it publishes the birth (``$state`` online, ``$info``), subscribes
to its commands and has every worker publish its device's state again; a command
goes to its device's worker, unless it is a duplicate (answered from the
:class:`~wamr_agent.gateway.commands.ReplyCache`) or names no device or verb of
this gateway; ``deploy`` and ``job`` are answered here (``transfer``), and a
deploy job's device phase runs on the device's worker (``install``).
:meth:`Gateway.stop` (any thread, also a signal handler) ends it: the workers
publish their devices as unreachable, ``$state`` becomes offline, and the
connection closes cleanly (the will, ``lost``, is not sent).

A broker that is not there is tried again until it is. One that turns the gateway
away before its first connection (a TLS failure, credentials refused, the
connection closed before the CONNACK) ends :meth:`Gateway.run` with a
TransportError: that is a configuration to fix, not a broker to wait for. After a
first connection, refusals are logged and retried (a broker being reconfigured).
"""

from __future__ import annotations

import logging
import queue
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from .. import __version__
from ..errors import TransportError, UsageError
from ..mqtt import topics
from ..mqtt.client import (
    KEEPALIVE,
    ErrorLog,
    closed_error,
    connect_error,
    new_client,
    refused_error,
)
from ..mqtt.url import BrokerSettings
from .commands import COMMANDS, ReplyCache, ReplyTo
from .devices import smp_opener
from .install import Installer
from .outbox import Outbox
from .transfer import VERBS as DEPLOY_VERBS
from .transfer import Deploys
from .worker import DeviceWorker, Republish, RunCommand, Stop

log = logging.getLogger("wamr_agent.gateway")

RECONNECT_MIN, RECONNECT_MAX = 1, 10  # seconds between attempts to reach the broker
FLUSH_TIMEOUT = 5.0


@dataclass(frozen=True)
class Connected:
    reason: ReasonCode


@dataclass(frozen=True)
class Disconnected:
    reason: ReasonCode


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    reply_to: ReplyTo | None


@dataclass(frozen=True)
class Shutdown:
    pass


Event = Connected | Disconnected | Received | Shutdown


@dataclass(frozen=True)
class DeviceLink:
    """A configured device and where its management UART is."""

    board: str
    address: str


class Gateway:
    def __init__(self, gw: str, broker: BrokerSettings, devices: Mapping[str, DeviceLink],
                 jobs: Path, trusted: list[bytes]) -> None:
        """``jobs``: the directory of the deploy jobs; ``trusted``: the public keys
        whose bundles it deploys."""
        self.id = topics.check_id("gateway id", gw)
        self.broker = broker
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()  # put() is reentrant
        self._client = self._new_client()
        self._errors = ErrorLog(self._client)
        self._ever_connected = False
        self._fatal: TransportError | None = None
        self._out = Outbox(self._client, gw)
        self._replies = ReplyCache()
        self._workers: dict[str, DeviceWorker] = {}  # the deploys see it filled below
        self._deploys = Deploys(jobs, self._workers, self._answer)
        installer = Installer(self._deploys.store, trusted)
        self._workers.update({dev: DeviceWorker(dev, d.board, smp_opener(d.address), self._out,
                                                self._replies, installer=installer)
                              for dev, d in devices.items()})
        self._info = topics.GatewayInfo(gw, __version__, list(devices), time.time())

    def _new_client(self) -> Client:
        client = new_client(self.broker, f"wamr-gateway-{self.id}")
        client.will_set(topics.gateway_state(self.id), topics.state_payload("lost"), qos=1,
                        retain=True)
        client.reconnect_delay_set(RECONNECT_MIN, RECONNECT_MAX)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    # -- paho's thread: enqueue only -------------------------------------------------

    def _on_connect(self, client: Client, userdata: Any, flags: ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        self.events.put(Connected(reason))

    def _on_disconnect(self, client: Client, userdata: Any, flags: DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        self.events.put(Disconnected(reason))

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        props = message.properties
        topic = getattr(props, "ResponseTopic", None)
        data = getattr(props, "CorrelationData", None)
        reply_to = ReplyTo(topic, bytes(data) if data is not None else None) if topic else None
        self.events.put(Received(message.topic, bytes(message.payload), reply_to))

    # -- the dispatcher ------------------------------------------------------------------

    def run(self) -> None:
        """Serves until :meth:`stop`; TransportError when the broker turns the gateway
        away before its first connection (see the module docstring)."""
        self._connect()
        for worker in self._workers.values():
            worker.start()
        self._deploys.resume()
        self._client.loop_start()
        while not isinstance(event := self._next_event(), Shutdown):
            if event is not None:
                self._handle(event)
        self._shutdown()
        if self._fatal is not None:
            raise self._fatal

    def _connect(self) -> None:
        """The first attempt, at once: a TLS failure ends the gateway; a broker that
        cannot be reached is tried again by paho's loop."""
        host, port = self.broker.host, self.broker.port
        try:
            self._client.connect(host, port, keepalive=KEEPALIVE)
        except ssl.SSLError as exc:
            raise connect_error(self.broker, exc) from None
        except OSError as exc:
            log.warning("gateway %s: %s; trying again", self.id, connect_error(self.broker, exc))
            self._client.connect_async(host, port, keepalive=KEEPALIVE)

    def _fail(self, error: TransportError) -> None:
        """Ends the gateway with ``error`` (the first one) after a clean stop."""
        if self._fatal is None:
            self._fatal = error
            self.stop()

    def _next_event(self) -> Event | None:
        """The next event; None when a held ``job`` request's time came first."""
        try:
            return self.events.get(timeout=self._deploys.expire())
        except queue.Empty:
            return None

    def stop(self) -> None:
        """Ends :meth:`run` (any thread, also from a signal handler)."""
        self.events.put(Shutdown())

    def _handle(self, event: Event) -> None:
        if isinstance(event, Connected):
            self._birth(event.reason)
        elif isinstance(event, Disconnected) and not self._ever_connected:
            self._fail(closed_error(self.broker, self._errors))
        elif isinstance(event, Disconnected):
            log.warning("gateway %s: disconnected from %s (%s); reconnecting", self.id,
                        self.broker, event.reason)
        elif isinstance(event, Received):
            self._received(event)

    def _birth(self, reason: ReasonCode) -> None:
        if reason.is_failure and not self._ever_connected:
            self._fail(refused_error(self.broker, reason))
            return
        if reason.is_failure:
            log.error("gateway %s: %s; trying again", self.id, refused_error(self.broker, reason))
            return
        self._ever_connected = True
        log.info("gateway %s: connected to %s", self.id, self.broker)
        self._out.gateway_state("online")
        self._out.gateway_info(self._info)
        self._client.subscribe(topics.gateway_commands(self.id), qos=1)
        for worker in self._workers.values():
            worker.submit(Republish())

    def _received(self, event: Received) -> None:
        if event.reply_to is None:
            log.warning("gateway %s: command on %s without a response topic: dropped",
                        self.id, event.topic)
            return
        try:
            dev, verb, request = self._command(event)
        except UsageError as exc:
            self._out.reply(event.reply_to, topics.CommandReply(
                False, error=topics.WireError.of(exc)))
            return
        begun = self._replies.begin(request.id, event.reply_to)
        if isinstance(begun, topics.CommandReply):
            self._out.reply(event.reply_to, begun)  # a duplicate: the stored answer
        elif begun == "new" and verb in DEPLOY_VERBS:
            self._deploys.handle(dev, verb, request)
        elif begun == "new":
            self._workers[dev].submit(RunCommand(verb, request.id, request.args))

    def _answer(self, request_id: str, reply: topics.CommandReply) -> None:
        """Answers a request and its duplicates (any thread)."""
        for to in self._replies.finish(request_id, reply):
            self._out.reply(to, reply)

    def _command(self, event: Received) -> tuple[str, str, topics.CommandRequest]:
        """The command's device, verb and request; UsageError when they are not this
        gateway's."""
        parsed = topics.parse(event.topic)
        if parsed is None or parsed.kind != "cmd" or parsed.dev is None or parsed.leaf is None:
            raise UsageError(f"not a command topic: {event.topic}")
        if parsed.dev not in self._workers:
            raise UsageError(f"gateway {self.id!r} has no device {parsed.dev!r} (devices: "
                             f"{', '.join(self._workers) or 'none'})")
        if parsed.leaf not in COMMANDS and parsed.leaf not in DEPLOY_VERBS:
            raise UsageError(f"unknown command {parsed.leaf!r} (commands: "
                             f"{', '.join((*COMMANDS, *DEPLOY_VERBS))})")
        try:
            return parsed.dev, parsed.leaf, topics.CommandRequest.from_json(event.payload)
        except ValueError as exc:
            raise UsageError(f"malformed command on {event.topic}: {exc}") from None

    def _shutdown(self) -> None:
        for worker in self._workers.values():
            worker.submit(Stop())
        for worker in self._workers.values():
            worker.join()
        info = self._out.gateway_state("offline")
        if self._client.is_connected():
            try:
                info.wait_for_publish(FLUSH_TIMEOUT)
            except RuntimeError as exc:  # disconnected meanwhile
                log.warning("gateway %s: offline not sent: %s", self.id, exc)
        self._client.disconnect()
        self._client.loop_stop()
        log.info("gateway %s: stopped", self.id)
