"""paho-mqtt clients as every part of the package makes them (MQTT 5, paho's
callback API version 2, configured from a :class:`~wamr_agent.mqtt.url.BrokerSettings`:
TLS, client certificate, user name and password), and the one-line errors for a
connection that fails: TLS, refused (bad credentials), closed, unreachable."""

from __future__ import annotations

import contextlib
import socket
import ssl
import uuid
from collections import deque
from typing import Any

from paho.mqtt.client import MQTT_LOG_ERR, Client
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from ..errors import TransportError, UsageError
from .url import DEFAULT_PORTS, BrokerSettings

__all__ = ["DEFAULT_PORT", "KEEPALIVE", "BrokerSettings", "BrokerUrl", "ErrorLog",
           "closed_error", "connect_error", "new_client", "refused_error", "unique_client_id"]

DEFAULT_PORT = DEFAULT_PORTS["mqtt"]
KEEPALIVE = 10  # seconds: the broker gives up on a silent client after 1.5 times this
BrokerUrl = BrokerSettings  # the name before TLS and credentials options existed

# MQTT 5 CONNACK reason codes a broker refuses credentials with (mosquitto 2.0 uses 135).
REFUSALS = {134: "bad user name or password",
            135: "not authorized (wrong user name or password, or none given)",
            138: "this client is banned"}
HOSTNAME_MISMATCH = (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH


def tls_context(settings: BrokerSettings) -> ssl.SSLContext:
    """Verifies the broker's certificate and name (against ``ca``, else the system's
    CAs); presents the client certificate if there is one."""
    try:
        context = ssl.create_default_context(
            cafile=str(settings.ca) if settings.ca is not None else None)
        if settings.cert is not None:
            context.load_cert_chain(str(settings.cert),
                                    str(settings.key) if settings.key is not None else None)
    except (ssl.SSLError, OSError) as exc:
        files = ", ".join(str(p) for p in (settings.ca, settings.cert, settings.key) if p)
        raise UsageError(f"TLS files for {settings} ({files or 'the system CAs'}): "
                         f"{getattr(exc, 'reason', None) or exc}") from None
    return context


def new_client(settings: BrokerSettings, client_id: str) -> Client:
    """An MQTT 5 client for ``settings`` (not connected yet)."""
    client = Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                    protocol=MQTTProtocolVersion.MQTTv5)
    client.on_socket_open = _no_delay
    if settings.username is not None:
        client.username_pw_set(settings.username, settings.password)
    if settings.tls:
        client.tls_set_context(tls_context(settings))
    return client


def _no_delay(client: Client, userdata: Any, sock: Any) -> None:
    """Sends each packet at once: a command's answer is small and follows a PUBACK,
    and with Nagle's algorithm it waits for that PUBACK's delayed ACK (~40 ms)."""
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def unique_client_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class ErrorLog:
    """The last error paho logged for ``client`` (its network thread writes it; a
    failed TLS read says why there, e.g. a client certificate the broker wanted)."""

    def __init__(self, client: Client) -> None:
        self._last: deque[str] = deque(maxlen=1)
        client.on_log = self._on_log

    def _on_log(self, client: Client, userdata: Any, level: int, text: str) -> None:
        if level == MQTT_LOG_ERR:
            self._last.append(text)

    @property
    def last(self) -> str | None:
        return self._last[-1] if self._last else None


def connect_error(settings: BrokerSettings, exc: OSError) -> TransportError:
    """The error for a connection attempt that raised ``exc``."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or exc.reason or str(exc)
        if exc.verify_code in HOSTNAME_MISMATCH:
            return TransportError(f"TLS: the certificate of the broker at {settings} is not "
                                  f"valid for {settings.host!r} ({why})")
        trusted = f"the CA in {settings.ca}" if settings.ca else "the system's CAs (--ca FILE?)"
        return TransportError(f"TLS: the certificate of the broker at {settings} is not "
                              f"trusted by {trusted} ({why})")
    if isinstance(exc, ssl.SSLError):
        return TransportError(f"TLS: the handshake with the broker at {settings} failed "
                              f"({exc.reason or exc}; is it an mqtts:// listener?)")
    return TransportError(f"cannot reach the broker at {settings}: {exc.strerror or exc}")


def refused_error(settings: BrokerSettings, reason: ReasonCode) -> TransportError:
    """The error for a CONNACK with a failure ``reason``."""
    text = REFUSALS.get(reason.value, str(reason))
    return TransportError(f"the broker at {settings} refused the connection: {text} "
                          f"(MQTT reason code {reason.value})")


def closed_error(settings: BrokerSettings, log: ErrorLog) -> TransportError:
    """The error for a connection the broker closed before it answered the CONNECT."""
    hint = ("does it require a client certificate (--cert, --key)?" if settings.tls
            else "is it an mqtts:// listener?")
    detail = f" ({log.last})" if log.last else ""
    return TransportError(f"the broker at {settings} closed the connection before accepting "
                          f"it{detail}; {hint}")

