"""A pseudo-terminal wired to an emulated board's management UART (a TCP
socket), for tools that want a serial device path: standard SMP clients such
as smpmgr (`smpmgr --port /dev/pts/N os echo hi`), or a terminal program.

The bridge keeps its own handle on the pty's device side open, so a client
may open and close the path repeatedly without hanging it up.
"""

from __future__ import annotations

import os
import selectors
import socket
import threading
import tty
from types import TracebackType

from ..smp.link import parse_socket_address
from .errors import EmulatorError


class PtyBridge:
    """Forwards bytes between a pty (``path``) and a TCP address, in a thread."""

    def __init__(self, address: str) -> None:
        host, port = parse_socket_address(address)
        try:
            self._sock = socket.create_connection((host, port), timeout=5)
        except OSError as exc:
            raise EmulatorError(f"cannot connect to {address}: {exc}") from exc
        self._sock.setblocking(False)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name=f"pty-bridge {address}",
                                        daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self._master, selectors.EVENT_READ, "pty")
            sel.register(self._sock, selectors.EVENT_READ, "sock")
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=0.1):
                    if not self._forward(key.data):
                        return

    def _forward(self, source: str) -> bool:
        try:
            if source == "pty":
                self._sock.sendall(os.read(self._master, 4096))
                return True
            data = self._sock.recv(4096)
            if not data:
                return False
            os.write(self._master, data)
            return True
        except BlockingIOError:
            return True
        except OSError:
            return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()
        for fd in (self._master, self._slave):
            os.close(fd)

    def __enter__(self) -> PtyBridge:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
