"""App names on the device (docs/protocol.md, App names), with raw SMP requests
(the host refuses such names before sending): every command that takes a name
refuses one with a NUL, invalid or overlong UTF-8, a surrogate or a control
character (WA_ERR_INVALID_ARG) or above 32 bytes (WA_ERR_TOO_LARGE), and
`a\\0x` no longer installs as `a` over the running `a` (issue 10 item 5)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import cbor2
import pytest

from wamr_agent.agent_err import AgentErr
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

BAD_NAMES = {
    "nul inside": b"a\x00x",
    "nul alone": b"\x00",
    "invalid utf-8": b"\xff\xfe",
    "truncated sequence": b"ab\xc3",
    "overlong nul": b"a\xc0\x80",
    "overlong slash": b"\xe0\x80\xaf",
    "surrogate": b"\xed\xa0\x80",
    "above U+10FFFF": b"\xf4\x90\x80\x80",
    "tab": b"a\tb",
    "del": b"a\x7f",
    "c1 control": b"a\xc2\x85",
}
# commands of the wasm-app group that take a name: (id, op)
BY_NAME = {"start": (2, 2), "stop": (3, 2), "remove": (4, 2), "status": (5, 0),
           "confirm": (7, 2), "rollback": (8, 2)}


def tstr(raw: bytes) -> bytes:
    """A CBOR text string of any bytes (cbor2 only encodes valid UTF-8)."""
    assert len(raw) < 256
    return (bytes([0x60 + len(raw)]) if len(raw) < 24 else bytes([0x78, len(raw)])) + raw


def message(cmd: int, op: int, body: bytes, seq: int = 7) -> bytes:
    return struct.pack(">BBHHBB", 0x08 | op, 0, len(body), 64, seq, cmd) + body


def named(cmd: int, op: int, name: bytes) -> bytes:
    return message(cmd, op, b"\xa1" + tstr(b"name") + tstr(name))


def upload_first(name: bytes, module: bytes) -> bytes:
    head = cbor2.dumps({"off": 0, "len": len(module), "sha": hashlib.sha256(module).digest(),
                        "start": True, "data": module})
    return message(0, 2, bytes([head[0] + 1]) + head[1:] + tstr(b"name") + tstr(name))


def group_rc(answer: bytes) -> int | None:
    body = cbor2.loads(answer[8:])
    err = body.get("err") if isinstance(body, dict) else None
    return err.get("rc") if isinstance(err, dict) else None


@pytest.mark.parametrize("raw", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_every_command_refuses_a_bad_name(esp32: SimulatedBoard, raw: bytes,
                                          example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    with SmpLink(esp32.mgmt_address) as link:
        assert group_rc(link.request(upload_first(raw, module))) == AgentErr.INVALID_ARG
        for what, (cmd, op) in BY_NAME.items():
            assert group_rc(link.request(named(cmd, op, raw))) == AgentErr.INVALID_ARG, what
        assert AppClient(link).list() == []


def test_names_above_32_bytes_are_too_large_and_good_ones_pass(
        esp32: SimulatedBoard) -> None:
    with SmpLink(esp32.mgmt_address) as link:
        for raw in (b"x" * 33, "é".encode() * 17):
            for what, (cmd, op) in BY_NAME.items():
                rc = group_rc(link.request(named(cmd, op, raw)))
                assert rc == AgentErr.TOO_LARGE, what
        for raw in (b"x" * 32, "温度计".encode(), b"a b"):  # allowed, not installed
            for what, (cmd, op) in BY_NAME.items():
                rc = group_rc(link.request(named(cmd, op, raw)))
                assert rc == AgentErr.NOT_FOUND, what


def test_a_name_with_a_nul_does_not_replace_the_app_it_starts_with(
        esp32: SimulatedBoard, example: Callable[[str], Path]) -> None:
    sensor, hello = example("sensor").read_bytes(), example("hello_wasi").read_bytes()
    with SmpLink(esp32.mgmt_address) as link:
        client = AppClient(link)
        client.upload("a", sensor)
        client.confirm("a")
        assert group_rc(link.request(upload_first(b"a\x00x", hello[:3000]))) == \
            AgentErr.INVALID_ARG
        apps = client.list()
        assert [(app.name, app.life) for app in apps] == [("a", "confirmed")]
        assert apps[0].sha == hashlib.sha256(sensor).hexdigest()
