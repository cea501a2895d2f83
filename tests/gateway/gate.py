"""A TCP proxy between a gateway and a simulated board's management socket that
can stop what the gateway sends at a chosen point: the gateway's ``port`` for the
board is :attr:`Gate.address`. ``hold_after(n)``: once ``n`` more bytes went to
the device, what the gateway sends next is held (``held`` is set) instead of
forwarded, so a test can kill the gateway in the middle of an upload, at a frame
boundary; ``release()`` drops the held bytes with that connection and forwards
again. Each connection (a restarted gateway) gets its own to the device."""

from __future__ import annotations

import contextlib
import socket
import threading

from wamr_agent.smp.link import parse_socket_address


class Gate:
    def __init__(self, address: str) -> None:
        self._target = parse_socket_address(address)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.address = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        self.held = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._left: int | None = None  # bytes to the device before holding; None: no limit
        threading.Thread(target=self._accept, daemon=True).start()

    def hold_after(self, count: int) -> None:
        with self._lock:
            self._left = count
        self._released.clear()
        self.held.clear()

    def release(self) -> None:
        with self._lock:
            self._left = None
        self._released.set()

    def close(self) -> None:
        self.release()
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                gateway, _ = self._server.accept()
            except OSError:
                return
            device = socket.create_connection(self._target)
            threading.Thread(target=self._to_device, args=(gateway, device),
                             daemon=True).start()
            threading.Thread(target=self._to_gateway, args=(device, gateway),
                             daemon=True).start()

    def _holding(self, count: int) -> bool:
        """Whether to hold now; else counts ``count`` bytes as forwarded."""
        with self._lock:
            if self._left is not None and self._left <= 0:
                return True
            if self._left is not None:
                self._left -= count
            return False

    def _to_device(self, gateway: socket.socket, device: socket.socket) -> None:
        try:
            while data := gateway.recv(65536):
                if self._holding(len(data)):
                    self.held.set()
                    self._released.wait()
                    break  # the held bytes go with this connection
                device.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (gateway, device):
                _close(sock)

    def _to_gateway(self, device: socket.socket, gateway: socket.socket) -> None:
        try:
            while data := device.recv(65536):
                gateway.sendall(data)
        except OSError:
            pass


def _close(sock: socket.socket) -> None:
    """Shuts the connection down first: a close alone leaves it open while the other
    thread still waits in recv() on it (so the board would not take the next one)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
