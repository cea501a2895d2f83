"""What the gateway publishes, with the topic, QoS and retain flag each kind of
message has (docs/mqtt.md), through paho's client. paho's ``publish`` may be
called from any thread (the dispatcher and the device workers do)."""

from __future__ import annotations

import logging
from typing import Protocol

from paho.mqtt.client import Client, MQTTMessageInfo

from ..mqtt import topics
from .commands import ReplyTo, publish_reply

log = logging.getLogger("wamr_agent.gateway")


class Publisher(Protocol):
    """What a device worker publishes (the Outbox, or a fake in unit tests)."""

    def state(self, dev: str, state: topics.DeviceState) -> None: ...
    def telemetry(self, dev: str, app: str, value: topics.Telemetry) -> None: ...
    def log_line(self, dev: str, line: topics.LogLine | topics.LogDropped) -> None: ...
    def reply(self, to: ReplyTo, reply: topics.CommandReply) -> None: ...


class Outbox:
    """The gateway's publications on its paho client."""

    def __init__(self, client: Client, gw: str) -> None:
        self._client = client
        self.gw = gw

    def gateway_state(self, state: topics.GatewayState) -> MQTTMessageInfo:
        return self._client.publish(topics.gateway_state(self.gw),
                                    topics.state_payload(state), qos=1, retain=True)

    def gateway_info(self, info: topics.GatewayInfo) -> None:
        self._client.publish(topics.gateway_info(self.gw), info.to_json(), qos=1, retain=True)

    def state(self, dev: str, state: topics.DeviceState) -> None:
        self._client.publish(topics.device_state(self.gw, dev), state.to_json(), qos=1,
                             retain=True)

    def telemetry(self, dev: str, app: str, value: topics.Telemetry) -> None:
        self._client.publish(topics.telemetry(self.gw, dev, app), value.to_json(), qos=0)

    def log_line(self, dev: str, line: topics.LogLine | topics.LogDropped) -> None:
        self._client.publish(topics.logs(self.gw, dev), line.to_json(), qos=0)

    def reply(self, to: ReplyTo, reply: topics.CommandReply) -> None:
        publish_reply(self._client, to, reply)
        if reply.error is not None:
            log.info("answered %s: %s: %s", to.topic, reply.error.type, reply.error.message)
