"""`wamr-agent devices --via URL`: the fleet as the broker keeps it, read from the
retained ``$state``, ``$info`` and device ``state`` topics of every gateway."""

from __future__ import annotations

import queue
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .mqtt import topics
from .mqtt.requester import Incoming, Requester
from .mqtt.url import BrokerSettings

COLLECT_SECONDS = 1.0  # retained messages arrive right after subscribing


@dataclass
class GatewayView:
    id: str
    state: str | None = None  # online, offline, lost; None: no $state retained
    info: topics.GatewayInfo | None = None
    devices: dict[str, topics.DeviceState] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state,
                "info": asdict(self.info) if self.info else None,
                "devices": {k: asdict(v) for k, v in sorted(self.devices.items())}}


@dataclass(frozen=True)
class Fleet:
    broker: str
    gateways: list[GatewayView]

    def as_dict(self) -> dict[str, Any]:
        return {"broker": self.broker, "gateways": [g.as_dict() for g in self.gateways]}


def apply_retained(views: dict[str, GatewayView], item: Incoming) -> None:
    """Applies one message of the fleet's retained topics to ``views``."""
    parsed = topics.parse(item.topic)
    if parsed is None or not item.payload:
        return  # an empty retained message clears a topic
    view = views.setdefault(parsed.gw, GatewayView(parsed.gw))
    try:
        if parsed.kind == "$state":
            view.state = topics.parse_state(item.payload)
        elif parsed.kind == "$info":
            view.info = topics.GatewayInfo.from_json(item.payload)
        elif parsed.kind == "state" and parsed.dev is not None:
            view.devices[parsed.dev] = topics.DeviceState.from_json(item.payload)
    except (ValueError, KeyError, TypeError):
        return  # not ours to show


def collect(url: BrokerSettings, seconds: float = COLLECT_SECONDS) -> Fleet:
    """Subscribes to the fleet's retained topics and reads what arrives for ``seconds``."""
    views: dict[str, GatewayView] = {}
    with Requester(url) as mqtt:
        mqtt.connect()
        mqtt.subscribe(*topics.FLEET_FILTERS)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                apply_retained(views, mqtt.messages.get(timeout=left))
            except queue.Empty:
                break
    return Fleet(str(url), [views[k] for k in sorted(views)])
