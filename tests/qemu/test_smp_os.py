"""SMP's OS group on real firmware, spoken with the PyPI `smp` package's message
models: on an emulated board (QEMU) and a simulated one (host process)."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import cbor2
import pytest
import smp.os_management as os_mgmt

from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.smp import Framing, crc16_xmodem, encode_console
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink, SmpLinkError, parse_socket_address

KINDS = [pytest.param((EmulatedBoard, "mps2-an386"), id="qemu-mps2-an386"),
         pytest.param((SimulatedBoard, "esp32"), id="sim-esp32")]


@pytest.fixture(params=KINDS)
def device(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatedBoard]:
    cls, name = request.param
    with cls.start(name, workdir=tmp_path) as board:
        yield board


def rc_of(message: bytes) -> int | None:
    body = cbor2.loads(message[8:])
    return body.get("rc") if isinstance(body, dict) else None


@pytest.mark.parametrize("framing", [Framing.CONSOLE, Framing.RAW])
def test_echo_params_and_info(device: EmulatedBoard, framing: Framing) -> None:
    with SmpLink(device.mgmt_address, framing) as link:
        echo = os_mgmt.EchoWriteResponse.loads(link.request(
            os_mgmt.EchoWriteRequest(d="hello wasm").BYTES))
        assert echo.r == "hello wasm"
        params = os_mgmt.MCUMgrParametersReadResponse.loads(link.request(
            os_mgmt.MCUMgrParametersReadRequest().BYTES))
        assert (params.buf_size, params.buf_count) == (4096, 1)
        info = os_mgmt.OSApplicationInfoReadResponse.loads(link.request(
            os_mgmt.OSApplicationInfoReadRequest(format="a").BYTES))
        assert device.board.name in info.output and "wamr-agent" in info.output


def test_unknown_command_and_bad_arguments_get_an_rc(device: EmulatedBoard) -> None:
    with SmpLink(device.mgmt_address) as link:
        unknown = struct.pack(">BBHHBB", 0x0A, 0, 1, 0, 9, 99) + b"\xa0"
        assert rc_of(link.request(unknown)) == 8  # MGMT_ERR_ENOTSUP
        bad_info = os_mgmt.OSApplicationInfoReadRequest(format="z").BYTES
        assert rc_of(link.request(bad_info)) == 3  # MGMT_ERR_EINVAL
        echo_without_d = struct.pack(">BBHHBB", 0x0A, 0, 1, 0, 10, 0) + b"\xa0"
        assert rc_of(link.request(echo_without_d)) == 3


def test_reset_over_smp_answers_then_reboots(device: EmulatedBoard) -> None:
    with SmpLink(device.mgmt_address) as link:
        rsp = link.request(os_mgmt.ResetWriteRequest().BYTES)
    assert rc_of(rsp) in (None, 0)
    device.console.expect(r"reset requested over SMP")
    device.console.expect(r"boot 2 reset=software", timeout=30)


def test_bad_frames_are_dropped_and_the_device_still_answers(device: EmulatedBoard) -> None:
    message = os_mgmt.EchoWriteRequest(d="still here").BYTES
    good = encode_console(message)
    bad_crc = bytearray(good)
    bad_crc[5] ^= 0x01  # a base64 character inside the first line
    oversized = encode_console(message[:8] + b"\x00" * 5000)  # buf_size is 4096
    host, port = parse_socket_address(device.mgmt_address)
    with socket.create_connection((host, port), timeout=5) as raw:
        raw.sendall(b"random console noise \x00\xff\x06\x09garbage\n")
        raw.sendall(bytes(bad_crc))
        raw.sendall(oversized)
        raw.sendall(good[: len(good) // 2])  # truncated: never completed
    # QEMU delivers the 7 KB above at the guest's pace, so the truncated frame ends
    # on the device (its frame timeout, 2 s) some time after we sent it: ask until the
    # device answers, for at most 30 s
    deadline = time.monotonic() + 30
    with SmpLink(device.mgmt_address, timeout=1.0) as link:
        while True:
            try:
                echo = os_mgmt.EchoWriteResponse.loads(link.request(message))
                break
            except SmpLinkError:
                assert time.monotonic() < deadline, "the device never answered again"
    assert echo.r == "still here"
    assert crc16_xmodem(b"123456789") == 0x31C3  # the framing's CRC is CRC-16/XMODEM


def deep_request(group: int, cmd: int, op: int, tail: bytes) -> bytes:
    """A 2-entry map whose first key ("x", unknown to every handler) holds 193
    nested arrays, then ``tail`` (the second key and value): about 200 bytes that
    fault a Cortex-M board whose decoder skips the unknown key recursively."""
    body = b"\xa2\x61x" + b"\x81" * 193 + b"\x00" + tail
    return struct.pack(">BBHHBB", 0x08 | op, 0, len(body), group, 0, cmd) + body


def test_a_deeply_nested_request_is_refused_and_the_board_keeps_running(
        device: EmulatedBoard) -> None:
    """Issue 10 item 4: the dispatcher bounds a request's nesting before any handler
    decodes it (OS group and wasm-app group alike): {"rc": 3}, no reset."""
    with SmpLink(device.mgmt_address) as link:
        client = AppClient(link)
        boot = client.status().boot
        echo = deep_request(0, 0, 2, b"\x61d\x62hi")
        assert len(echo) == 210
        assert rc_of(link.request(echo)) == 3  # MGMT_ERR_EINVAL
        app_status = deep_request(64, 5, 0, b"\x64name\x61a")
        assert rc_of(link.request(app_status)) == 3
        upload = deep_request(64, 0, 2, b"\x63off\x00")
        assert rc_of(link.request(upload)) == 3
        shallow = os_mgmt.EchoWriteResponse.loads(link.request(
            os_mgmt.EchoWriteRequest(d="still here").BYTES))
        assert shallow.r == "still here"
        assert client.status().boot == boot
