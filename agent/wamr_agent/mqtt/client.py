"""Broker addresses and paho-mqtt clients as every part of the package makes them:
``mqtt://[user:pass@]host[:port]``, MQTT 5, paho's callback API version 2."""

from __future__ import annotations

import contextlib
import socket
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from paho.mqtt.client import Client
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from ..errors import UsageError

DEFAULT_PORT = 1883
KEEPALIVE = 10  # seconds: the broker gives up on a silent client after 1.5 times this


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int = DEFAULT_PORT
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        """``mqtt://[user:pass@]host[:port]``; UsageError for anything else."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UsageError(f"broker {url!r}: {exc}") from None
        if parts.scheme != "mqtt" or not parts.hostname or parts.path not in ("", "/"):
            raise UsageError(f"broker {url!r}: expected mqtt://[user:pass@]host[:port]")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.hostname, port or DEFAULT_PORT, user, password)

    def __str__(self) -> str:
        """The URL without the password."""
        user = f"{self.username}@" if self.username else ""
        return f"mqtt://{user}{self.host}:{self.port}"


def new_client(url: BrokerUrl, client_id: str) -> Client:
    """An MQTT 5 client for ``url`` (not connected yet)."""
    client = Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                    protocol=MQTTProtocolVersion.MQTTv5)
    client.on_socket_open = _no_delay
    if url.username is not None:
        client.username_pw_set(url.username, url.password)
    return client


def _no_delay(client: Client, userdata: Any, sock: Any) -> None:
    """Sends each packet at once: a command's answer is small and follows a PUBACK,
    and with Nagle's algorithm it waits for that PUBACK's delayed ACK (~40 ms)."""
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def unique_client_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
