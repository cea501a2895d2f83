"""SmpLink over its byte streams: framing, console text between frames, timeouts,
and the serial stream on a pseudo-terminal (no device process): 8N1 round trip,
one-line errors for a missing or busy device."""

from __future__ import annotations

import errno
import os
import socket
import termios
import threading
import tty
from collections.abc import Iterator

import pytest
import serial

from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.decoder import FrameDecoder
from wamr_agent.smp.framing import Framing, encode, encode_console, encode_raw
from wamr_agent.smp.link import SmpLink, SmpLinkError, SmpLinkTimeout
from wamr_agent.smp.retry import RetryPolicy
from wamr_agent.smp.streams import SerialStream, open_stream, parse_socket_address


class ScriptedStream:
    """Returns scripted reads; records writes."""

    def __init__(self, *reads: bytes) -> None:
        self.reads = list(reads)
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def read(self, timeout: float) -> bytes:
        return self.reads.pop(0) if self.reads else b""

    def close(self) -> None:
        self.closed = True


def test_request_skips_console_text_and_answers_in_either_framing() -> None:
    answer = encode_console(b"reply")
    stream = ScriptedStream(b"telemetry sensor temp_c=21\n" + answer[:10], answer[10:])
    with SmpLink("fake", stream=stream) as link:
        assert link.request(b"hello") == b"reply"
        assert stream.written == encode(Framing.CONSOLE, b"hello")
        link.framing = Framing.RAW
        stream.reads.append(encode_raw(b"raw reply"))
        assert link.request(b"bulk") == b"raw reply"
        assert stream.written.endswith(encode_raw(b"bulk"))
    assert stream.closed


def test_no_answer_is_a_timeout() -> None:
    with (SmpLink("fake", timeout=0.05, stream=ScriptedStream()) as link,
          pytest.raises(SmpLinkError, match=r"^fake: no answer within 0.05 s$")):
        link.request(b"x")


def test_a_socket_nobody_serves_says_another_client_may_hold_it() -> None:
    """An emulated board's UART serves one client at a time: while a gateway holds it,
    a command's connection waits in the listen queue and hears nothing. The timeout
    says so (it was "no answer within 10 s (4 attempts)" alone); once a byte came,
    a timeout is the device's and has no hint."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)  # never accepted: the connection stays queued
        address = f"socket://127.0.0.1:{server.getsockname()[1]}"
        with SmpLink(address, timeout=0.2) as link, pytest.raises(
                SmpLinkTimeout, match=r"no answer within 0.2 s \(\d+ attempts\); nothing came "
                r"from it since the connection: is another client \(a gateway, another "
                r"deploy, `logs -f`\) connected to it\?"):
            AppClient(link, RetryPolicy(initial=0.05)).list()
        server.accept()[0].close()  # that connection, queued
        with SmpLink(address, timeout=0.2) as link, server.accept()[0] as device:
            device.sendall(b"boot banner\n")
            with pytest.raises(SmpLinkTimeout, match=r"\(\d+ attempts\)$"):
                AppClient(link, RetryPolicy(initial=0.05)).list()


def test_socket_addresses() -> None:
    assert parse_socket_address("socket://127.0.0.1:4444") == ("127.0.0.1", 4444)
    for bad in ("socket://nohost", "socket://h:port", "tcp://h:1"):
        with pytest.raises(SmpLinkError, match="expected socket://HOST:PORT"):
            parse_socket_address(bad)


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal: the device side (fd) and the path a host opens. Its own
    handle on the path stays open, so the device side never sees a hang-up."""
    master, slave = os.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(slave)
    os.close(master)


def test_serial_round_trip_on_a_pty(pty: tuple[int, str]) -> None:
    master, path = pty

    def device() -> None:  # answers one console-framed request with its message reversed
        decoder = FrameDecoder(1024, 1000)
        while not (packets := decoder.feed(os.read(master, 1024), 0)):
            pass
        os.write(master, b"log line\n" + encode_console(packets[0].data[::-1]))

    thread = threading.Thread(target=device, daemon=True)
    thread.start()
    with SmpLink(path, baudrate=9600, timeout=5) as link:
        assert link.request(b"abc" * 100) == b"cba" * 100
    thread.join(timeout=5)


def test_missing_and_busy_serial_devices_get_one_line_errors(pty: tuple[int, str]) -> None:
    with pytest.raises(SmpLinkError) as missing:
        open_stream("/dev/ttyNOPE0")
    assert str(missing.value) == "cannot open serial device /dev/ttyNOPE0: no such device"
    assert missing.value.exit_code == 12
    _, path = pty
    first = SerialStream(path, 115200, 1.0)
    try:
        with pytest.raises(SmpLinkError, match=rf"^cannot open serial device {path}: in use"):
            SerialStream(path, 115200, 1.0)
    finally:
        first.close()


@pytest.mark.parametrize("failure", [termios.error(5, "Input/output error"),
                                     OSError(errno.EIO, "Input/output error"),
                                     serial.SerialException("write failed: [Errno 5]")])
def test_a_serial_device_that_vanishes_mid_write_is_a_link_error(
        pty: tuple[int, str], failure: Exception, monkeypatch: pytest.MonkeyPatch) -> None:
    _, path = pty
    stream = SerialStream(path, 115200, 1.0)

    def gone(*_: object) -> None:  # tcdrain on a pulled USB adapter raises termios.error
        raise failure

    monkeypatch.setattr(serial.Serial, "flush", gone)
    monkeypatch.setattr(serial.Serial, "close", gone)
    with pytest.raises(SmpLinkError) as info:
        SmpLink(path, stream=stream).request(b"status")
    message = str(info.value)
    assert message.startswith(f"{path}: send failed: ") and "\n" not in message
    assert "Input/output error" in message or "write failed" in message
    assert info.value.exit_code == 12
    stream.close()  # the device is gone: closing says nothing


def test_a_baud_rate_termios_cannot_take_is_a_link_error() -> None:
    with pytest.raises(SmpLinkError, match=r"baud rate 12345678901 is not between 1 and "):
        open_stream("/dev/ttyNOPE0", 12345678901)
