"""The controller's MQTT connection (docs/rollouts.md): commands to the gateways'
devices from many threads at once (answers matched by CorrelationData), the
fleet as the retained topics show it, and the controller's own commands.

paho runs the callbacks on its network thread; they file answers with the
thread that waits for them, apply retained state to the fleet view (under a
lock), and queue the controller's commands for its dispatcher. On every
connection (also after the broker restarted) it subscribes again and publishes
``$state`` online; its will is ``lost``. A broker that turns the controller away
before its first connection ends it with a TransportError (as the gateway).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from ..errors import TransportError
from ..fleet import GatewayView, apply_retained
from ..gateway.commands import ReplyTo, publish_reply
from ..mqtt import topics
from ..mqtt.client import (
    KEEPALIVE,
    ErrorLog,
    closed_error,
    connect_error,
    new_client,
    refused_error,
    unique_client_id,
)
from ..mqtt.requester import Incoming, publish_request
from ..mqtt.url import BrokerSettings
from .plan import Candidate

log = logging.getLogger("wamr_agent.controller")

RECONNECT_MIN, RECONNECT_MAX = 1, 10
SETTLE = 1.0  # seconds after a connection for the retained fleet state to arrive
CALL_TIMEOUT = 10.0


@dataclass(frozen=True)
class Command:
    """A command to the controller, for its dispatcher."""

    verb: str
    payload: bytes
    reply_to: ReplyTo | None


class Link:
    def __init__(self, broker: BrokerSettings, on_command: Callable[[Command], None]) -> None:
        self.broker = broker
        self.client_id = unique_client_id("controller")
        self.responses = topics.client_responses(self.client_id)
        self._on_command = on_command
        self._lock = threading.Lock()
        self._waiting: dict[bytes, queue.SimpleQueue[Incoming]] = {}
        self._fleet: dict[str, GatewayView] = {}
        self._first: queue.SimpleQueue[ReasonCode | None] = queue.SimpleQueue()
        self._ever_connected = False
        self.connected_at: float | None = None  # monotonic time of the last connection
        self._client = new_client(broker, self.client_id)
        self._errors = ErrorLog(self._client)
        self._client.will_set(topics.controller_state(), b"lost", qos=1, retain=True)
        self._client.reconnect_delay_set(RECONNECT_MIN, RECONNECT_MAX)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # -- paho's thread -------------------------------------------------------------------

    def _on_connect(self, client: Client, userdata: Any, flags: ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if not self._ever_connected:
            self._first.put(reason)
        if reason.is_failure:
            log.error("controller: %s; trying again", refused_error(self.broker, reason))
            return
        self._ever_connected = True
        self.connected_at = time.monotonic()
        for topic_filter in (self.responses, *topics.FLEET_FILTERS,
                             topics.controller_command("+")):
            client.subscribe(topic_filter, qos=1)
        client.publish(topics.controller_state(), b"online", qos=1, retain=True)
        log.info("controller: connected to %s", self.broker)

    def _on_disconnect(self, client: Client, userdata: Any, flags: DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        self.connected_at = None
        if not self._ever_connected:
            self._first.put(None)
        else:
            log.warning("controller: disconnected from %s (%s); reconnecting", self.broker,
                        reason)

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        props = message.properties
        data = getattr(props, "CorrelationData", None)
        correlation = bytes(data) if data is not None else None
        payload = bytes(message.payload)
        if message.topic == self.responses:
            with self._lock:
                waiter = self._waiting.get(correlation) if correlation else None
            if waiter is not None:
                waiter.put(Incoming(message.topic, payload, correlation, False))
            return
        parsed = topics.parse_controller_command(message.topic)
        if parsed is not None:
            response = getattr(props, "ResponseTopic", None)
            self._on_command(Command(parsed, payload, ReplyTo(response, correlation)
                                     if response else None))
            return
        with self._lock:
            apply_retained(self._fleet, Incoming(message.topic, payload, correlation,
                                                 bool(message.retain)))

    # -- any thread ----------------------------------------------------------------------

    def connect(self) -> None:
        """Connects; TransportError when the broker turns the controller away (a broker
        that cannot be reached yet is tried again in the background)."""
        try:
            self._client.connect(self.broker.host, self.broker.port, keepalive=KEEPALIVE)
        except ssl.SSLError as exc:
            raise connect_error(self.broker, exc) from None
        except OSError as exc:
            log.warning("controller: %s; trying again", connect_error(self.broker, exc))
            self._client.connect_async(self.broker.host, self.broker.port, keepalive=KEEPALIVE)
            self._client.loop_start()
            return
        self._client.loop_start()
        reason = self._first.get(timeout=CALL_TIMEOUT * 3)
        if reason is None:
            self.close(clean=False)
            raise closed_error(self.broker, self._errors)
        if reason.is_failure:
            self.close(clean=False)
            raise refused_error(self.broker, reason)

    def settled(self) -> bool:
        """Connected long enough for the retained fleet state to have arrived."""
        at = self.connected_at
        return at is not None and time.monotonic() - at >= SETTLE

    def call(self, gw: str, dev: str, verb: str, args: dict[str, Any] | None = None,
             timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        """One command to a device through its gateway: its result, or the gateway's
        error raised as here; TransportError when no answer comes in time."""
        correlation = uuid.uuid4().bytes
        waiter: queue.SimpleQueue[Incoming] = queue.SimpleQueue()
        with self._lock:
            self._waiting[correlation] = waiter
        try:
            publish_request(self._client, topics.command(gw, dev, verb), self.responses,
                            correlation, args)
            try:
                item = waiter.get(timeout=timeout)
            except queue.Empty:
                raise TransportError(f"no answer from gateway {gw!r} for device {dev!r} "
                                     f"within {timeout:g} s") from None
        finally:
            with self._lock:
                self._waiting.pop(correlation, None)
        try:
            reply = topics.CommandReply.from_json(item.payload)
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"unreadable answer from gateway {gw!r}: {exc}") from None
        if reply.error is not None:
            raise reply.error.exception()
        return reply.result or {}

    def reply(self, to: ReplyTo, reply: topics.CommandReply) -> None:
        publish_reply(self._client, to, reply)

    def gateway_state(self, gw: str) -> str | None:
        with self._lock:
            view = self._fleet.get(gw)
            return view.state if view is not None else None

    def candidates(self) -> list[Candidate]:
        """Every device the retained state shows, with whether it can be reached now."""
        with self._lock:
            return [Candidate(gw, dev, s.board, s.fw, tuple(a.name for a in s.apps),
                              view.state == "online" and s.reachable)
                    for gw, view in self._fleet.items() for dev, s in view.devices.items()]

    def reachable(self, gw: str, dev: str) -> bool:
        with self._lock:
            view = self._fleet.get(gw)
            state = view.devices.get(dev) if view is not None else None
            return bool(view is not None and view.state == "online" and state is not None
                        and state.reachable)

    def close(self, clean: bool = True) -> None:
        if clean and self._client.is_connected():
            info = self._client.publish(topics.controller_state(), b"offline", qos=1,
                                        retain=True)
            with contextlib.suppress(RuntimeError):  # disconnected meanwhile
                info.wait_for_publish(5.0)
        self._client.disconnect()
        self._client.loop_stop()
