"""SMP's wasm-app group (64) on real firmware: upload in chunks (with resume,
also across a power cut), updates written beside the running version and
confirmed by the device after their trial, list, start, stop (kept across
resets), remove, status, logs, refusals; on an emulated board (QEMU) and a
simulated one (host process)."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import cbor2
import pytest
import wasmtime

from wamr_agent.aot.compiler import meter
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.emulator.flashimage import HEADER_FIELDS, NO_IMAGE, Layout
from wamr_agent.smp.link import SmpLink

KINDS = [pytest.param((EmulatedBoard, "mps2-an386"), id="qemu-mps2-an386"),
         pytest.param((SimulatedBoard, "esp32"), id="sim-esp32")]
GROUP = 64
UPLOAD, LIST, START, STOP, REMOVE, STATUS, LOGS = range(7)
READ, WRITE = 0, 2
CHUNK = 900  # data bytes per chunk: small, so that uploads take several
PAGE = 4096
WA_ERR_NO_MEMORY, WA_ERR_NOT_FOUND, WA_ERR_MALFORMED, WA_ERR_MEMORY_BUDGET = 2, 4, 16, 18

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


def installed(link: SmpLink, device: EmulatedBoard, name: str, module: bytes) -> None:
    """Uploads the module and waits for the device to confirm it after its trial
    (a bare module: 10 loop rounds with no trap)."""
    rsp = upload(link, name, module)
    assert rsp == {"off": len(module), "done": True, "trial": True}, rsp
    device.console.expect(rf"app {name} confirmed \(slot \d")


def apps(link: SmpLink) -> list[dict[str, Any]]:
    listed = call(link, READ, LIST, {})["apps"]
    assert isinstance(listed, list)
    return listed


def test_upload_start_stop_remove(device: EmulatedBoard, example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    assert len(module) > 2 * CHUNK
    with SmpLink(device.mgmt_address) as link:
        assert apps(link) == []
        assert upload(link, "sensor", module) == {"off": len(module), "done": True,
                                                  "trial": True}
        device.console.expect(r"app sensor on trial \(slot 0\): 10 loop rounds, 0 traps")
        device.console.expect(r"telemetry sensor temp_c=")
        assert apps(link)[0]["life"] == "trial"
        device.console.expect(r"app sensor confirmed \(slot 0, 10 loop rounds, 0 traps")
        [app] = apps(link)
        assert (app["name"], app["state"], app["size"], app["life"]) == (
            "sensor", "running", len(module), "confirmed")
        assert app["sha"] == hashlib.sha256(module).digest()
        # idempotent: the same deploy id and sha answer done at once
        assert call(link, WRITE, UPLOAD, first_chunk("sensor", module)) == {
            "off": len(module), "done": True, "unchanged": True}

        assert call(link, WRITE, STOP, {"name": "sensor"}) == {}
        device.console.expect(r"app sensor stopped")
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
        installed(link, device, "sensor", module)
        device.console.expect(r"telemetry sensor temp_c=")
        call(link, WRITE, STOP, {"name": "sensor"})
        device.console.expect(r"app sensor stopped")
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
        installed(link, device, "sensor", module)
    device.console.expect(r"telemetry sensor temp_c=")
    device.power_cut()
    device.restart()
    device.console.expect(r"app sensor started")
    device.console.expect(r"telemetry sensor temp_c=")
    with SmpLink(device.mgmt_address) as link:
        [app] = apps(link)
        assert (app["name"], app["state"], app["size"]) == ("sensor", "running", len(module))


def versioned(tag: str, pad: int = 0) -> bytes:
    """A small app whose loop() logs `tag`; `pad` bytes of data make it bigger."""
    filler = f'(data (i32.const 64) "{"z" * pad}")' if pad else ""
    return bytes(wasmtime.wat2wasm(f"""
        (module
          (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "{tag}") {filler}
          (func (export "loop") (drop (call $log (i32.const 0) (i32.const {len(tag)})))))"""))


def tiny(tag: int) -> bytes:
    """A reactor with no linear memory (about 20 KiB of RAM on the device, where
    `versioned` takes 86 KiB: three of those do not fit mps2-an386's 256 KiB)."""
    return bytes(wasmtime.wat2wasm(
        f'(module (func (export "loop") (drop (i32.const {tag}))))'))


def status(link: SmpLink, name: str | None = None) -> dict[str, Any]:
    return call(link, READ, STATUS, {} if name is None else {"name": name})


def test_update_is_written_beside_the_running_version(device: EmulatedBoard) -> None:
    v1, v2 = versioned("app v1"), versioned("app v2", pad=3 * CHUNK)
    with SmpLink(device.mgmt_address) as link:
        installed(link, device, "app", v1)
        device.console.expect(r"\[app\] app v1")
        [old] = apps(link)
        rsp = upload(link, "app", v2, stop_at=2 * CHUNK)
        assert "done" not in rsp
        # mid-update the old version still runs (a line printed after this mark, not
        # one from before the upload) and is the one listed
        device.console.skip()
        device.console.expect(r"\[app\] app v1", timeout=10)
        assert apps(link) == [old]
        installed(link, device, "app", v2)
        device.console.expect(rf"slot {old['slot']} retired: its app was updated in slot \d")
        device.console.expect(r"\[app\] app v2")
        [new] = apps(link)
        assert new["slot"] != old["slot"] and new["sha"] == hashlib.sha256(v2).digest()


def test_power_cut_mid_update_keeps_the_old_version_and_the_upload_resumes(
        device: EmulatedBoard) -> None:
    v1, v2 = versioned("app v1"), versioned("app v2", pad=3 * PAGE)
    with SmpLink(device.mgmt_address) as link:
        installed(link, device, "app", v1)
        reached = upload(link, "app", v2, stop_at=2 * PAGE + 100)["off"]
        assert reached > 2 * PAGE
    device.power_cut()
    device.restart()
    device.console.expect(r"\[app\] app v1")
    with SmpLink(device.mgmt_address) as link:
        [app] = apps(link)
        assert (app["state"], app["sha"]) == ("running", hashlib.sha256(v1).digest())
        # the upload goes on from the last whole page the device had recorded
        rsp = call(link, WRITE, UPLOAD, first_chunk("app", v2))
        assert rsp["off"] == 2 * PAGE
        device.console.expect(rf"app app upload resumed at {2 * PAGE} ")
        installed(link, device, "app", v2)
        device.console.expect(r"\[app\] app v2")
        [app] = apps(link)
        assert app["sha"] == hashlib.sha256(v2).digest()
    device.power_cut()
    device.restart()
    device.console.expect(r"\[app\] app v2")


def test_stop_is_kept_across_a_reset(device: EmulatedBoard) -> None:
    with SmpLink(device.mgmt_address) as link:
        installed(link, device, "app", versioned("app v1"))
        assert call(link, WRITE, STOP, {"name": "app"}) == {}
    device.power_cut()
    device.restart()
    device.console.expect(r"idle: no app running")
    with SmpLink(device.mgmt_address) as link:
        assert apps(link)[0]["state"] == "stopped"
        assert call(link, WRITE, START, {"name": "app"}) == {}
        device.console.expect(r"\[app\] app v1")
    device.power_cut()
    device.restart()
    device.console.expect(r"\[app\] app v1")


def test_a_new_app_may_not_take_the_slot_kept_for_updates(device: EmulatedBoard) -> None:
    with SmpLink(device.mgmt_address) as link:
        slots = status(link)["slots"]
        installed(link, device, "app0", versioned("app0 v1"))
        for k in range(1, slots - 1):
            installed(link, device, f"app{k}", tiny(k))
        assert status(link)["free_slots"] == 0
        rsp = upload(link, "one-too-many", tiny(99))
        assert rsp == {"err": {"group": GROUP, "rc": WA_ERR_NO_MEMORY}}
        installed(link, device, "app0", versioned("app0 v2"))  # the spare slot
        device.console.expect(r"\[app0\] app0 v2")
        assert sorted(a["name"] for a in apps(link)) == [f"app{k}" for k in range(slots - 1)]


def test_status_of_the_device_and_of_an_app(device: EmulatedBoard) -> None:
    with SmpLink(device.mgmt_address) as link:
        dev = status(link)
        assert dev["board"] == device.board.name and dev["boot"] == 1
        assert (dev["reset"], dev["apps"], dev["buf_size"]) == ("power-on", 0, 4096)
        assert dev["framings"] == ["console", "raw"] and dev["heap_free"] > 0
        module = bytes(wasmtime.wat2wasm(
            '(module (memory (export "memory") 1) (func (export "loop") unreachable))'))
        rsp = call(link, WRITE, UPLOAD, {**first_chunk("trap", module), "version": "1.2.3"})
        assert rsp["done"]
        device.console.expect(r"app trap failed its trial \(slot \d\): loop trapped 1 time: "
                              r"unreachable executed")
        st = status(link, "trap")
        assert (st["name"], st["version"], st["size"]) == ("trap", "1.2.3", len(module))
        assert (st["life"], st["state"], st["signed"]) == ("failed", "stopped", False)
        assert st["reason"] == {"code": "traps", "rc": 32,
                                "msg": "loop trapped 1 time: unreachable executed"}
        assert st["traps"] >= 1 and st["last_err"]["rc"] != 0 and st["last_err"]["msg"]
        assert 0 < st["mem_hw"] <= st["mem_budget"]
        assert status(link, "nope") == {"err": {"group": GROUP, "rc": WA_ERR_NOT_FOUND}}


def test_logs_page_through_the_console_lines(device: EmulatedBoard) -> None:
    with SmpLink(device.mgmt_address) as link:
        installed(link, device, "app", versioned("app v1"))
        device.console.expect(r"\[app\] app v1")
        first = call(link, READ, LOGS, {"since": 0})
        assert first["boot"] == 1 and first["dropped"] == 0
        msgs = [line["msg"] for line in first["lines"]]
        assert any(m.startswith("wamr-agent firmware ") for m in msgs[:2])
        assert any(m.startswith("agent ready ") for m in msgs)
        assert all(not m.endswith("\n") for m in msgs)
        times = [line["t"] for line in first["lines"]]
        assert times == sorted(times)
        # the rest, from where the first answer ended: a line printed after it
        device.console.skip()
        device.console.expect(r"\[app\] app v1")
        more = call(link, READ, LOGS, {"since": first["next"]})
        assert more["next"] > first["next"]
        assert any(line["msg"] == "[app] app v1" for line in more["lines"])
        # the ring keeps a few KiB: old lines are dropped, and counted
        for _ in range(200):
            device.console.skip()
            device.console.expect(r"\[app\] app v1", timeout=10)
            late = call(link, READ, LOGS, {"since": 0})
            if late["dropped"]:
                break
        assert late["dropped"] > 0
        assert late["lines"][0]["msg"] != msgs[0]


def test_an_uploaded_app_runs_in_place_from_its_slot(
        device: EmulatedBoard, example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    with SmpLink(device.mgmt_address) as link:
        assert upload(link, "sensor", module)["trial"]
        m = device.console.expect(rf"app sensor installed \({len(module)} bytes, slot (\d)\)")
        device.console.expect(r"app sensor confirmed")
        slot = int(m[1])
        device.console.expect(r"telemetry sensor temp_c=")
        assert status(link, "sensor")["module_ram"] == 0  # no copy in RAM, no image in flash

    device.power_cut()
    flash = bytearray(device.flash_path.read_bytes())
    at = Layout.for_board(device.board).slot_offset(slot)
    header = HEADER_FIELDS.unpack_from(flash, at)
    # the install checked the module (wa_check_image): its word is in flags bits 8-15, so
    # a boot with the module's CRC right does not validate it again; nothing after it
    assert (header[13] >> 8) & 0xFF >= 2, hex(header[13])
    assert (header[9], header[10]) == (NO_IMAGE, 0xFFFFFFFF)
    # a module changed in flash since (its CRC wrong) is not run
    flash[at + PAGE + len(module) // 2] ^= 0xFF
    device.flash_path.write_bytes(bytes(flash))
    device.restart()
    device.console.expect(r"app sensor refused: module unreadable or corrupt")


def test_a_slot_an_earlier_firmware_wrote_runs_its_metered_image(
        device: EmulatedBoard, example: Callable[[str], Path]) -> None:
    """Earlier firmware wrote the module's metered image after it at install and ran
    that: this one still does (its loops count in wasm, not again in the engine), and
    runs the module when the image is corrupt."""
    module = example("sensor").read_bytes()
    with SmpLink(device.mgmt_address) as link:
        assert upload(link, "sensor", module)["trial"]
        slot = int(device.console.expect(rf"app sensor installed \({len(module)} bytes, "
                                         r"slot (\d)\)")[1])
        device.console.expect(r"app sensor confirmed")
    device.power_cut()
    flash = bytearray(device.flash_path.read_bytes())
    at = Layout.for_board(device.board).slot_offset(slot)
    image = meter(module)
    image_at = at + PAGE + (len(module) + 7) // 8 * 8
    flash[image_at:image_at + len(image)] = image
    fields = list(HEADER_FIELDS.unpack_from(flash, at))
    fields[9], fields[10] = len(image), zlib.crc32(image)
    fields[13] &= ~0xFF00  # the image not checked by this firmware: validated at load
    packed = HEADER_FIELDS.pack(*fields)
    flash[at:at + len(packed) + 4] = packed + struct.pack("<I", zlib.crc32(packed))
    device.flash_path.write_bytes(bytes(flash))
    device.restart()
    device.console.expect(r"app sensor started")
    device.console.expect(r"telemetry sensor temp_c=")
    with SmpLink(device.mgmt_address) as link:
        assert status(link, "sensor")["module_ram"] == 0

    device.power_cut()
    flash = bytearray(device.flash_path.read_bytes())
    flash[image_at + len(image) // 2] ^= 0xFF
    device.flash_path.write_bytes(bytes(flash))
    device.restart()
    device.console.expect(r"app sensor: metered image corrupt \(CRC\); running the module")
    device.console.expect(r"telemetry sensor temp_c=")


@pytest.mark.parametrize("kind", KINDS)
def test_a_preloaded_app_runs_in_place(kind: tuple[type[EmulatedBoard], str],
                                       example: Callable[[str], Path],
                                       tmp_path: Path) -> None:
    cls, name = kind
    with cls.start(name, workdir=tmp_path, preload=[example("sensor")]) as board:
        board.console.expect(r"telemetry sensor temp_c=")
        with SmpLink(board.mgmt_address) as link:
            st = status(link, "sensor")
            assert st["module_ram"] == 0 and "sha" not in st
