"""One request, one response: SMP over a byte stream to a device's
management UART (here a TCP socket: an emulated or simulated board).

Transport and timeout failures raise SmpLinkError; what the device answers
(including an error ``rc``) is returned as the response message for the
caller to interpret.
"""

from __future__ import annotations

import socket
import time
from types import TracebackType

from ..errors import TransportError
from .decoder import FrameDecoder
from .framing import Framing, encode

SOCKET_PREFIX = "socket://"
MAX_MESSAGE = 0xFFFF


class SmpLinkError(TransportError):
    """The SMP link failed: no connection, connection lost, or no answer in time."""


def parse_socket_address(address: str) -> tuple[str, int]:
    if not address.startswith(SOCKET_PREFIX) or ":" not in address[len(SOCKET_PREFIX):]:
        raise SmpLinkError(f"not a socket address: {address!r} (expected socket://HOST:PORT)")
    host, _, port = address[len(SOCKET_PREFIX):].rpartition(":")
    return host, int(port)


class SmpLink:
    """A connection to one device's management UART."""

    def __init__(self, address: str, framing: Framing = Framing.CONSOLE,
                 timeout: float = 5.0) -> None:
        self.address = address
        self.framing = framing
        self.timeout = timeout
        host, port = parse_socket_address(address)
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise SmpLinkError(f"cannot connect to {address}: {exc.strerror or exc}") from exc
        # request/response: a small last segment must not wait for the peer's delayed ACK
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._decoder = FrameDecoder(MAX_MESSAGE, int(timeout * 1000))

    def request(self, message: bytes) -> bytes:
        """Sends one SMP message; returns the next SMP message the device sends."""
        try:
            self._sock.sendall(encode(self.framing, message))
        except OSError as exc:
            raise SmpLinkError(f"{self.address}: send failed: {exc.strerror or exc}") from exc
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            self._sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                break
            except OSError as exc:
                raise SmpLinkError(f"{self.address}: receive failed: {exc}") from exc
            if not data:
                raise SmpLinkError(f"{self.address}: the device closed the connection")
            packets = self._decoder.feed(data, int(time.monotonic() * 1000))
            if packets:
                return packets[0].data
        raise SmpLinkError(f"{self.address}: no answer within {self.timeout:g} s")

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> SmpLink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
