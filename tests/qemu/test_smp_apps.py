"""SMP's wasm-app group (64) on real firmware: upload in chunks (with resume),
list, start, stop, remove, refusals, and a power cut after an install; on an
emulated board (QEMU) and a simulated one (host process)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import cbor2
import pytest

from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.smp.link import SmpLink

KINDS = [pytest.param((EmulatedBoard, "mps2-an386"), id="qemu-mps2-an386"),
         pytest.param((SimulatedBoard, "esp32"), id="sim-esp32")]
GROUP = 64
UPLOAD, LIST, START, STOP, REMOVE = range(5)
READ, WRITE = 0, 2
CHUNK = 900  # data bytes per chunk: the message stays under buf_size (1024)
WA_ERR_NOT_FOUND, WA_ERR_MALFORMED, WA_ERR_MEMORY_BUDGET = 4, 16, 18

_seq = count()


@pytest.fixture(params=KINDS)
def device(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatedBoard]:
    cls, name = request.param
    with cls.start(name, workdir=tmp_path) as board:
        yield board


def call(link: SmpLink, op: int, cmd: int, body: dict[str, Any]) -> dict[str, Any]:
    payload = cbor2.dumps(body)
    seq = next(_seq) & 0xFF
    header = struct.pack(">BBHHBB", 0x08 | op, 0, len(payload), GROUP, seq, cmd)
    rsp = link.request(header + payload)
    assert rsp[0] & 0x07 == op + 1 and rsp[6] == seq and rsp[7] == cmd
    result = cbor2.loads(rsp[8:])
    assert isinstance(result, dict)
    return result


def first_chunk(name: str, module: bytes, sha: bytes | None = None,
                start: bool = True) -> dict[str, Any]:
    return {"off": 0, "data": module[:CHUNK], "len": len(module),
            "sha": sha or hashlib.sha256(module).digest(), "name": name,
            "deploy": "d-" + hashlib.sha256(module).hexdigest()[:8], "start": start}


def upload(link: SmpLink, name: str, module: bytes, sha: bytes | None = None,
           start: bool = True, stop_at: int | None = None) -> dict[str, Any]:
    """Sends the module chunk by chunk from where the device says; the last answer."""
    rsp = call(link, WRITE, UPLOAD, first_chunk(name, module, sha, start))
    while "err" not in rsp and not rsp.get("done"):
        off = rsp["off"]
        if stop_at is not None and off >= stop_at:
            break
        rsp = call(link, WRITE, UPLOAD, {"off": off, "data": module[off:off + CHUNK]})
    return rsp


def apps(link: SmpLink) -> list[dict[str, Any]]:
    listed = call(link, READ, LIST, {})["apps"]
    assert isinstance(listed, list)
    return listed


def test_upload_start_stop_remove(device: EmulatedBoard, example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    assert len(module) > 2 * CHUNK
    with SmpLink(device.mgmt_address) as link:
        assert apps(link) == []
        assert upload(link, "sensor", module) == {"off": len(module), "done": True}
        device.console.expect(r"app sensor started")
        device.console.expect(r"telemetry sensor temp_c=")
        [app] = apps(link)
        assert (app["name"], app["state"], app["size"]) == ("sensor", "running", len(module))
        assert app["sha"] == hashlib.sha256(module).digest()
        # idempotent: the same deploy id and sha answer done at once
        assert call(link, WRITE, UPLOAD, first_chunk("sensor", module)) == {
            "off": len(module), "done": True}

        assert call(link, WRITE, STOP, {"name": "sensor"}) == {}
        device.console.expect(r"app sensor stopped\n")
        assert apps(link)[0]["state"] == "stopped"

        assert call(link, WRITE, START, {"name": "sensor"}) == {}
        device.console.expect(r"app sensor started")
        device.console.expect(r"telemetry sensor temp_c=")
        assert apps(link)[0]["state"] == "running"

        assert call(link, WRITE, STOP, {"name": "nope"}) == {
            "err": {"group": GROUP, "rc": WA_ERR_NOT_FOUND}}
        assert call(link, WRITE, REMOVE, {"name": "sensor"}) == {}
        device.console.expect(r"app sensor removed")
        assert apps(link) == []
        assert call(link, WRITE, START, {"name": "sensor"})["err"]["rc"] == WA_ERR_NOT_FOUND


def test_stopped_app_sends_no_telemetry(device: EmulatedBoard,
                                        example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    with SmpLink(device.mgmt_address) as link:
        assert upload(link, "sensor", module).get("done")
        device.console.expect(r"telemetry sensor temp_c=")
        call(link, WRITE, STOP, {"name": "sensor"})
        device.console.expect(r"app sensor stopped\n")
        mark = len(device.console.text)
        device.console.expect(r"idle: no app running", timeout=10)
        assert apps(link)[0]["state"] == "stopped"  # a round trip: time passes
        assert "telemetry sensor" not in device.console.text[mark:]


def test_upload_resumes_on_a_new_connection(device: EmulatedBoard,
                                            example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    half = len(module) // 2
    with SmpLink(device.mgmt_address) as link:
        rsp = upload(link, "sensor", module, stop_at=half)
        reached = rsp["off"]
        assert 0 < reached < len(module) and "done" not in rsp
    with SmpLink(device.mgmt_address) as link:
        assert call(link, WRITE, UPLOAD, first_chunk("sensor", module)) == {"off": reached}
        # a chunk at another offset is not written: the device says where it is
        assert call(link, WRITE, UPLOAD, {"off": reached + 1, "data": b"x"}) == {"off": reached}
        assert upload(link, "sensor", module)["done"]
        device.console.expect(r"telemetry sensor temp_c=")
        assert [a["state"] for a in apps(link)] == ["running"]


def test_module_over_budget_is_refused_and_not_installed(
        device: EmulatedBoard, wat: Callable[[str], bytes]) -> None:
    with SmpLink(device.mgmt_address) as link:
        rsp = upload(link, "big", wat("big_memory"))
        assert rsp == {"err": {"group": GROUP, "rc": WA_ERR_MEMORY_BUDGET}}
        device.console.expect(r"app big refused: .*8 pages")
        assert apps(link) == []


def test_wrong_sha_is_refused_and_not_installed(device: EmulatedBoard,
                                                example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    with SmpLink(device.mgmt_address) as link:
        rsp = upload(link, "sensor", module, sha=bytes(32))
        assert rsp == {"err": {"group": GROUP, "rc": WA_ERR_MALFORMED}}
        assert apps(link) == []
    device.power_cut()
    device.restart()
    device.console.expect(r"idle: no app running")
    assert "app sensor started" not in device.console.text


def test_installed_app_survives_a_power_cut(device: EmulatedBoard,
                                            example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    with SmpLink(device.mgmt_address) as link:
        assert upload(link, "sensor", module)["done"]
    device.console.expect(r"telemetry sensor temp_c=")
    device.power_cut()
    device.restart()
    device.console.expect(r"app sensor started")
    device.console.expect(r"telemetry sensor temp_c=")
    with SmpLink(device.mgmt_address) as link:
        [app] = apps(link)
        assert (app["name"], app["state"], app["size"]) == ("sensor", "running", len(module))
