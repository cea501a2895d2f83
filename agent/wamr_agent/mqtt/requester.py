"""A client's side of the gateway's command protocol (docs/mqtt.md): MQTT 5
requests with a ResponseTopic (``wamr/v1/clients/<client-id>/res``) and
CorrelationData, and subscriptions to the tree's other topics.

paho runs its callbacks on its network thread; they only put what arrived into
queues, which the caller's thread reads. A broker that cannot be reached, refuses
the connection (TLS, credentials), or does not answer in time is a TransportError.
"""

from __future__ import annotations

import queue
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from ..errors import TransportError
from . import topics
from .client import (
    KEEPALIVE,
    ErrorLog,
    closed_error,
    connect_error,
    new_client,
    refused_error,
    unique_client_id,
)
from .url import BrokerSettings

DEFAULT_TIMEOUT = 10.0
KEPT = 256  # answers kept for a later wait()


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes
    correlation: bytes | None
    retained: bool


def _correlation(message: MQTTMessage) -> bytes | None:
    value = getattr(message.properties, "CorrelationData", None)
    return bytes(value) if value is not None else None


def publish_request(client: Client, topic: str, responses: str, correlation: bytes,
                    args: dict[str, Any] | None = None, request_id: str | None = None) -> None:
    """Publishes one command (docs/mqtt.md, "Commands") as an MQTT 5 request: QoS 1,
    the answer asked on ``responses`` with ``correlation``; a new request id unless
    ``request_id`` (a retry) is given."""
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.ResponseTopic = responses
    props.CorrelationData = correlation
    request = topics.CommandRequest(request_id or uuid.uuid4().hex, args or {})
    client.publish(topic, request.to_json(), qos=1, properties=props)


class Requester:
    """One MQTT connection of a client (the CLI, later the controller)."""

    def __init__(self, url: BrokerSettings, client_id: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self.client_id = topics.check_id("client id", client_id or unique_client_id("cli"))
        self.timeout = timeout
        self.responses = topics.client_responses(self.client_id)
        self.answers: queue.Queue[Incoming] = queue.Queue()
        self.messages: queue.Queue[Incoming] = queue.Queue()
        self._kept: dict[bytes | None, Incoming] = {}
        self._acks: queue.Queue[tuple[str, ReasonCode | None]] = queue.Queue()
        self._client = new_client(url, self.client_id)
        self._errors = ErrorLog(self._client)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect

    # -- paho's thread: enqueue only -------------------------------------------------

    def _on_connect(self, client: Client, userdata: Any, flags: ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        self._acks.put(("connect", reason))

    def _on_subscribe(self, client: Client, userdata: Any, mid: int,
                      reasons: list[ReasonCode], properties: Properties | None) -> None:
        self._acks.put(("subscribe", reasons[0] if reasons else None))

    def _on_disconnect(self, client: Client, userdata: Any, flags: DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        self._acks.put(("disconnect", reason))

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        item = Incoming(message.topic, bytes(message.payload), _correlation(message),
                        bool(message.retain))
        (self.answers if message.topic == self.responses else self.messages).put(item)

    # -- the caller's thread -------------------------------------------------------------

    def connect(self) -> Self:
        """Connects and subscribes to this client's response topic."""
        try:
            self._client.connect(self.url.host, self.url.port, keepalive=KEEPALIVE)
        except OSError as exc:
            raise connect_error(self.url, exc) from None
        self._client.loop_start()
        try:
            self._connected()
            self.subscribe(self.responses)
        except TransportError:
            self.close()
            raise
        return self

    def _next_ack(self) -> tuple[str, ReasonCode | None]:
        try:
            return self._acks.get(timeout=self.timeout)
        except queue.Empty:
            raise TransportError(f"no answer from the broker at {self.url} within "
                                 f"{self.timeout:g} s") from None

    def _connected(self) -> None:
        got, reason = self._next_ack()
        if got == "disconnect":
            raise closed_error(self.url, self._errors)
        if reason is not None and reason.is_failure:
            raise refused_error(self.url, reason)

    def _subscribed(self, topic_filter: str) -> None:
        got, reason = self._next_ack()
        if got != "subscribe" or (reason is not None and reason.is_failure):
            raise TransportError(f"the broker at {self.url} refused the subscription to "
                                 f"{topic_filter!r}: {reason}")

    def subscribe(self, *filters: str) -> None:
        """Subscribes (QoS 1); what arrives on them goes to :attr:`messages`."""
        for topic_filter in filters:
            self._client.subscribe(topic_filter, qos=1)
            self._subscribed(topic_filter)

    def send(self, gw: str, dev: str, verb: str, args: dict[str, Any] | None = None,
             request_id: str | None = None) -> bytes:
        """Publishes one command; its correlation data (for :meth:`wait`)."""
        return self.send_to(topics.command(gw, dev, verb), args, request_id)

    def send_to(self, topic: str, args: dict[str, Any] | None = None,
                request_id: str | None = None) -> bytes:
        """Publishes one command on ``topic`` (a device's or the controller's)."""
        correlation = uuid.uuid4().bytes
        publish_request(self._client, topic, self.responses, correlation, args, request_id)
        return correlation

    def wait(self, correlation: bytes, timeout: float | None = None,
             what: str = "the gateway") -> topics.CommandReply:
        """The answer with ``correlation``; answers to other requests that arrive
        meanwhile are kept for their own ``wait`` (the last :data:`KEPT` of them)."""
        left = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + left
        try:
            while (item := self._kept.pop(correlation, None)) is None:
                other = self.answers.get(timeout=max(0.0, deadline - time.monotonic()))
                self._kept[other.correlation] = other
                while len(self._kept) > KEPT:
                    del self._kept[next(iter(self._kept))]
            return topics.CommandReply.from_json(item.payload)
        except queue.Empty:
            raise TransportError(f"no answer from {what} within {left:g} s") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise TransportError(f"unreadable answer from {what}: {exc}") from None

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
