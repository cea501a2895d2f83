"""One request, one response: SMP over a byte stream to a device's management
UART, either a serial device (``/dev/ttyUSB0``, ``/dev/pts/5``) or a TCP socket
(``socket://HOST:PORT``: an emulated or simulated board); see ``streams``.

Transport and timeout failures raise SmpLinkError; what the device answers
(including an error ``rc``) is returned as the response message for the
caller to interpret. Bytes outside frames (console text) are dropped.
:meth:`SmpLink.exchange` waits for the answer that matches the request and
discards others (a late answer to an earlier request); the retries are the
client's (``retry``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

from .decoder import FrameDecoder
from .framing import Framing, encode
from .streams import (
    BUSY_UART,
    DEFAULT_BAUDRATE,
    MAX_BAUDRATE,
    SOCKET_PREFIX,
    ByteStream,
    SmpLinkError,
    SmpLinkTimeout,
    open_stream,
    parse_socket_address,
)

__all__ = ["DEFAULT_BAUDRATE", "MAX_BAUDRATE", "MAX_MESSAGE", "SOCKET_PREFIX", "SmpLink",
           "SmpLinkError", "SmpLinkTimeout", "parse_socket_address"]

MAX_MESSAGE = 0xFFFF


class SmpLink:
    """A connection to one device's management UART. ``framing`` may be changed
    between requests: the device answers in the framing of each request."""

    def __init__(self, address: str, framing: Framing = Framing.CONSOLE,
                 timeout: float = 5.0, baudrate: int = DEFAULT_BAUDRATE, *,
                 stream: ByteStream | None = None) -> None:
        """Opens ``address`` (a serial device at ``baudrate``, or ``socket://``);
        ``stream``: use this one instead (tests)."""
        self.address = address
        self.framing = framing
        self.timeout = timeout
        self._baudrate = baudrate
        self._owned = stream is None
        self._stream = stream if stream is not None else open_stream(address, baudrate,
                                                                     timeout)
        self._decoder = FrameDecoder(MAX_MESSAGE, int(timeout * 1000))
        self._pending: deque[bytes] = deque()  # messages read but not yet returned

    def reopen(self) -> None:
        """Closes the stream and opens it again (a device that reset may have closed
        it; SmpLinkError while it cannot be opened). A stream given to the
        constructor is kept: only its decoder starts afresh."""
        if self._owned:
            self._stream.close()
            self._stream = open_stream(self.address, self._baudrate, self.timeout)
        self._decoder = FrameDecoder(MAX_MESSAGE, int(self.timeout * 1000))
        self._pending.clear()

    def request(self, message: bytes) -> bytes:
        """Sends one SMP message; returns the next SMP message the device sends."""
        return self.exchange(message, lambda _: True, self.timeout)

    def exchange(self, message: bytes, matches: Callable[[bytes], bool],
                 timeout: float) -> bytes:
        """Sends one SMP message; returns the first message from the device that
        ``matches`` within ``timeout`` seconds (the others are dropped)."""
        self._stream.write(encode(self.framing, message))
        deadline = time.monotonic() + timeout
        while True:
            while self._pending:
                got = self._pending.popleft()
                if matches(got):
                    return got
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._timeout(timeout)
            data = self._stream.read(left)
            packets = self._decoder.feed(data, int(time.monotonic() * 1000))
            self._decoder.take_text()
            self._pending.extend(packet.data for packet in packets)

    def _timeout(self, timeout: float) -> SmpLinkTimeout:
        """No answer; on a socket that never heard a byte, the hint that another
        client may hold the emulated UART (the connection then waits in its queue)."""
        silent = not getattr(self._stream, "heard", True)
        hint = f"; nothing came from it since the connection: {BUSY_UART}" if silent else ""
        return SmpLinkTimeout(f"{self.address}: no answer within {timeout:g} s", hint)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> SmpLink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
