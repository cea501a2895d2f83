"""The byte streams an :class:`~wamr_agent.smp.link.SmpLink` runs over: a serial
device (a board's management UART on a USB adapter, or a pty) through pyserial,
or a TCP socket (``socket://HOST:PORT``: an emulated or simulated board).

Every failure raises :class:`SmpLinkError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import termios
from typing import Protocol

import serial

from ..errors import TransportError
from .baud import DEFAULT_BAUDRATE as DEFAULT_BAUDRATE
from .baud import MAX_BAUDRATE as MAX_BAUDRATE

SOCKET_PREFIX = "socket://"
_CHUNK = 4096
# what a serial device that vanishes (a USB adapter pulled) raises: pyserial's own
# error, the OSError of a read or write, termios.error from tcdrain (flush)
_SERIAL_FAILURES = (serial.SerialException, OSError, termios.error)


class SmpLinkError(TransportError):
    """The SMP link failed: no connection, connection lost, or no answer in time."""


class SmpLinkTimeout(SmpLinkError):
    """No answer in time (the link itself still works); ``hint``, at the end of the
    message: what may be holding the device up."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message + hint)
        self.hint = hint


BUSY_UART = ("is another client (a gateway, another deploy, `logs -f`) connected to it? An "
             "emulated board's UART serves one client at a time")


class ByteStream(Protocol):
    """What a link needs from a transport."""

    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """What arrived within ``timeout`` seconds (b"" when nothing did)."""
        ...

    def close(self) -> None: ...


def parse_socket_address(address: str) -> tuple[str, int]:
    if not address.startswith(SOCKET_PREFIX) or ":" not in address[len(SOCKET_PREFIX):]:
        raise SmpLinkError(f"not a socket address: {address!r} (expected socket://HOST:PORT)")
    host, _, port = address[len(SOCKET_PREFIX):].rpartition(":")
    if not port.isdigit():
        raise SmpLinkError(f"not a socket address: {address!r} (expected socket://HOST:PORT)")
    return host, int(port)


class SocketStream:
    """A TCP connection to an emulated board's management UART."""

    def __init__(self, address: str, timeout: float) -> None:
        self.address = address
        self.heard = False  # whether a byte came from the device since the connection
        host, port = parse_socket_address(address)
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError:  # accepted by no one within timeout: the queue is full
            raise SmpLinkError(f"cannot connect to {address}: timed out; {BUSY_UART}") from None
        except OSError as exc:
            raise SmpLinkError(f"cannot connect to {address}: {exc.strerror or exc}") from exc
        # request/response: a small last segment must not wait for the peer's delayed ACK
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise SmpLinkError(f"{self.address}: send failed: {exc.strerror or exc}") from exc

    def read(self, timeout: float) -> bytes:
        self._sock.settimeout(max(0.01, timeout))
        try:
            data = self._sock.recv(_CHUNK)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise SmpLinkError(f"{self.address}: receive failed: {exc}") from exc
        if not data:
            raise SmpLinkError(f"{self.address}: the device closed the connection")
        self.heard = True
        return data

    def close(self) -> None:
        self._sock.close()


_OPEN_FAILURES = {
    errno.ENOENT: "no such device",
    errno.ENODEV: "no such device",
    errno.ENXIO: "no such device",
    errno.EACCES: "permission denied (is your user in the dialout group?)",
    errno.EBUSY: "in use by another program",
    errno.EAGAIN: "in use by another program",
}


class SerialStream:
    """A serial device, 8N1, no flow control, opened exclusively."""

    def __init__(self, path: str, baudrate: int, timeout: float) -> None:
        self.address = path
        if not 0 < baudrate <= MAX_BAUDRATE:
            raise SmpLinkError(f"cannot open serial device {path}: baud rate {baudrate} is "
                               f"not between 1 and {MAX_BAUDRATE}")
        try:
            self._port = serial.Serial(None, baudrate=baudrate, bytesize=serial.EIGHTBITS,
                                       parity=serial.PARITY_NONE, stopbits=serial.STOPBITS_ONE,
                                       xonxoff=False, rtscts=False, dsrdtr=False,
                                       timeout=timeout, write_timeout=timeout, exclusive=True)
            # DTR and RTS stay low: on boards with an auto-reset circuit (ESP32
            # DevKits) they drive EN and the boot strap, and would reset the board
            self._port.dtr = False
            self._port.rts = False
            self._port.port = path
            self._port.open()
        except (serial.SerialException, ValueError) as exc:
            raise SmpLinkError(f"cannot open serial device {path}: {_why(exc)}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except _SERIAL_FAILURES as exc:
            raise SmpLinkError(f"{self.address}: send failed: {_failure(exc)}") from exc

    def read(self, timeout: float) -> bytes:
        try:
            self._port.timeout = max(0.01, timeout)
            return bytes(self._port.read(self._port.in_waiting or 1))
        except _SERIAL_FAILURES as exc:
            raise SmpLinkError(f"{self.address}: receive failed: {_failure(exc)}") from exc

    def close(self) -> None:
        with contextlib.suppress(*_SERIAL_FAILURES):  # a device gone: nothing to close
            self._port.close()


def _failure(exc: BaseException) -> str:
    """One line: termios.error carries (errno, text) as its args."""
    if isinstance(exc, termios.error) and len(exc.args) == 2:
        return f"{exc.args[1]} (the device is gone?)"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _why(exc: Exception) -> str:
    code = getattr(exc, "errno", None)
    if code in _OPEN_FAILURES:
        return _OPEN_FAILURES[code]
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def open_stream(address: str, baudrate: int = DEFAULT_BAUDRATE,
                timeout: float = 5.0) -> ByteStream:
    """``socket://HOST:PORT`` as a TCP connection, anything else as a serial device."""
    if address.startswith(SOCKET_PREFIX):
        return SocketStream(address, timeout)
    return SerialStream(address, baudrate, timeout)
