"""`deploy --via` through a real `wamr-agent gateway` process on a real mosquitto
to simulated esp32 boards: a module and a bundle confirmed (the JSON a direct
deploy prints; run again, the job's result), a pre-flight refusal, a trapping
update reverted, an untrusted bundle refused by the gateway before the device sees
it, a module of several chunks (installed again once removed), and a gateway
killed (SIGKILL) in the middle of the transfer and in the middle of its upload to
the device, after which the deploy run again completes with the device
installing the module once; and `up` in an app folder through the gateway.
dev2's management UART goes through a gate
(tests/gateway/gate.py) that can hold the upload. The tests run in this order on
one gateway (module fixtures)."""

from __future__ import annotations

import json
import os
import queue
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from typer.testing import CliRunner

from tests.conftest import cli_json as cli
from tests.gateway.conftest import GatewayProcess, bundle, gateway_config, wait_answering
from tests.gateway.gate import Gate
from tests.tamper import OTHER_KEY, TEST_KEY
from wamr_agent.cli import app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.broker import Mosquitto
from wamr_agent.mqtt.deploys import CHUNK_BYTES, Chunk, JobView
from wamr_agent.mqtt.requester import Requester
from wamr_agent.remote_deploy import Options, read_spec

GW = "gwd"
BIG = 96 * 1024  # bytes of data in the big modules: three chunks and a bit
runner = CliRunner()



def wat_file(path: Path, text: str) -> Path:
    path.write_bytes(wasmtime.wat2wasm(text))
    return path


def small_app(path: Path) -> Path:
    """A loop() that logs "small app" (tests/hostport/test_preflight.py)."""
    return wat_file(path, """
        (module
          (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "small app")
          (func (export "loop") (drop (call $log (i32.const 0) (i32.const 9)))))""")


def big_module(path: Path, seed: int) -> Path:
    """A reactor with a loop() and a data segment of BIG bytes (``seed`` makes them
    differ)."""
    data = "".join(f"\\{(i * 7 + seed) & 0xFF:02x}" for i in range(BIG))
    return wat_file(path, f'(module (memory 2) (data (i32.const 0) "{data}") '
                          '(func (export "loop")))')


@dataclass
class Setup:
    boards: dict[str, SimulatedBoard]
    gate: Gate  # dev2's UART
    gateway: GatewayProcess
    broker: Mosquitto
    direct: dict[str, Any]  # a direct deploy's --json, on dev2 before the gateway ran
    tmp: Path

    def via(self, dev: str) -> list[str]:
        return ["--via", str(self.broker.url), "--device", f"{GW}/{dev}"]

    def restart(self) -> None:
        self.gateway.start()
        self.ready()

    def ready(self) -> None:
        """Waits until the gateway answers commands."""
        wait_answering(self.broker.url, GW, "dev1", self.gateway)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, broker: Mosquitto) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("deploys")
    boards: dict[str, SimulatedBoard] = {}
    try:
        for dev in ("dev1", "dev2"):
            boards[dev] = SimulatedBoard.start("esp32", workdir=root / dev)
        port = ["--board", "esp32", "--port", boards["dev2"].mgmt_address]
        direct = cli("deploy", str(small_app(root / "small.wasm")), *port)
        cli("rm", "small", *port)  # its RAM is the big modules' (module_ram counts too)
        gate = Gate(boards["dev2"].mgmt_address)
        config = gateway_config(GW, {"dev1": ("esp32", boards["dev1"].mgmt_address),
                                     "dev2": ("esp32", gate.address)})
        gateway = GatewayProcess(root / "gateway", config, broker.url)
        setup = Setup(boards, gate, gateway, broker, direct, root)
        try:
            setup.ready()
            yield setup
        finally:
            gateway.kill()
            gate.close()
    finally:
        for board in boards.values():
            board.stop()


def job(mqtt: Requester, dev: str, verb: str, args: dict[str, Any],
        request_id: str | None = None) -> JobView:
    reply = mqtt.wait(mqtt.send(GW, dev, verb, args, request_id=request_id))
    assert reply.result is not None, reply
    return JobView.from_result(reply.result)


def chunk_offsets(messages: queue.Queue[Any]) -> list[int]:
    """The offsets of the chunks a watch saw on a deploy command topic."""
    offsets = []
    while not messages.empty():
        args = json.loads(messages.get().payload)["args"]
        if "off" in args:
            offsets.append(args["off"])
    return offsets


def test_a_module_deploys_through_the_gateway_as_directly(setup: Setup,
                                                           example: Callable[[str], Path],
                                                           ) -> None:
    assert setup.direct["life"] == "confirmed"
    report = cli("deploy", str(example("sensor")), *setup.via("dev1"))
    assert report.keys() == setup.direct.keys()
    assert (report["name"], report["life"], report["bytes"], report["resumed_from"]) == (
        "sensor", "confirmed", example("sensor").stat().st_size, 0)
    assert report["target"] == f"{GW}/dev1 via {setup.broker.url}"
    assert report["trial"]["loops"] >= report["trial"]["need_loops"] == 10
    again = cli("deploy", str(example("sensor")), *setup.via("dev1"))  # the job's result
    assert again == report
    console = setup.boards["dev1"].console
    console.expect(r"app sensor installed")
    assert console.text.count("app sensor installed") == 1
    text = runner.invoke(app, ["deploy", str(example("sensor")), *setup.via("dev1")])
    size = example("sensor").stat().st_size
    assert text.exit_code == 0 and re.fullmatch(
        rf"deployed sensor to {GW}/dev1 via \S+: {size} bytes in \S+ s \(\d+ B/s, raw framing\); "
        r"confirmed after \d+\.\d s \(10 loop rounds, 0 traps\)\n", text.stdout), text.output


def test_a_preflight_refusal_is_exit_5_and_sends_nothing(setup: Setup,
                                                          example: Callable[[str], Path],
                                                          tmp_path: Path) -> None:
    big = tmp_path / "big.wasm"  # all of esp32's 192 KiB of linear memory: hello_wasi
    big.write_bytes(wasmtime.wat2wasm('(module (memory 3) (func (export "loop")))'))
    cli("deploy", str(big), *setup.via("dev1"))  # (149 KB) then fits beside the sensor no more
    refused = cli("deploy", str(example("hello_wasi")), *setup.via("dev1"), code=5)["error"]
    assert refused["type"] == "FitError"
    assert re.fullmatch(r"hello_wasi: not sent: it needs about [\d,]+ bytes of RAM and esp32 "
                        r"has [\d,]+ free beside .*big \(running, [\d,]+ bytes\).* "
                        r"\(--no-ram-check sends it anyway\)", refused["message"]), refused
    assert "app hello_wasi" not in setup.boards["dev1"].console.text
    # the job's phase lines: checked against the device, and nothing said of an upload
    text = runner.invoke(app, ["deploy", str(example("hello_wasi")), *setup.via("dev1")])
    assert text.exit_code == 5, text.output
    assert "gateway: checking" in text.output
    assert "uploading to the device" not in text.output, text.output
    cli("rm", "big", *setup.via("dev1"))


def test_a_trapping_update_is_reverted_and_the_old_version_runs(setup: Setup) -> None:
    trap = wat_file(setup.tmp / "trap.wasm", '(module (func (export "loop") unreachable))')
    before = cli("status", "sensor", *setup.via("dev1"))
    failed = cli("deploy", str(trap), "--name", "sensor", *setup.via("dev1"), code=14)
    assert failed["error"]["type"] == "Reverted"
    assert failed["error"]["message"].endswith("the previous version runs again")
    assert failed["report"]["life"] == "reverted" and failed["report"]["reason"]["code"] == "traps"
    after = cli("status", "sensor", *setup.via("dev1"))
    assert (after["sha"], after["state"], after["life"]) == (before["sha"], "running",
                                                             "confirmed")


def test_a_bundle_deploys_through_the_gateway(setup: Setup,
                                              example: Callable[[str], Path]) -> None:
    signed = bundle(setup.tmp, example("sensor"), "bsensor", TEST_KEY)
    report = cli("deploy", str(signed), *setup.via("dev1"))
    assert (report["name"], report["version"], report["life"]) == ("bsensor", "1.0.0",
                                                                   "confirmed")
    assert report["bytes"] == signed.stat().st_size
    setup.boards["dev1"].console.expect(r"app bsensor installed \(\d+ bytes, slot \d, .*bundle "
                                        r"seq 1\)")


def test_an_untrusted_bundle_is_refused_by_the_gateway(setup: Setup,
                                                       example: Callable[[str], Path]) -> None:
    evil = bundle(setup.tmp, example("sensor"), "evil", OTHER_KEY)
    refused = cli("deploy", str(evil), *setup.via("dev1"), code=13)["error"]
    assert (refused["type"], refused["code"]) == ("SignatureError", "UNTRUSTED_KEY")
    assert refused["message"].startswith(f"{evil}: not sent: bundle evil 1.0.0 is signed by key")
    assert "app evil" not in setup.boards["dev1"].console.text  # no upload began


def test_a_big_module_goes_in_chunks(setup: Setup) -> None:
    big = big_module(setup.tmp / "big1.wasm", 1)
    assert big.stat().st_size > 3 * CHUNK_BYTES
    with Requester(setup.broker.url).connect() as watch:
        watch.subscribe(topics.command(GW, "dev2", "deploy"))
        report = cli("deploy", str(big), *setup.via("dev2"))
        offsets = chunk_offsets(watch.messages)
    assert offsets == list(range(0, big.stat().st_size, CHUNK_BYTES))
    assert (report["life"], report["bytes"]) == ("confirmed", big.stat().st_size)
    assert cli("rm", "big1", *setup.via("dev2")) == {"name": "big1", "result": "removed"}
    again = cli("deploy", str(big), *setup.via("dev2"))  # removed since: installed again
    assert (again["life"], again["already_installed"]) == ("confirmed", False)
    assert setup.boards["dev2"].console.text.count("app big1 installed") == 2
    cli("rm", "big1", *setup.via("dev2"))


def test_a_gateway_killed_while_receiving_continues_from_its_offset(setup: Setup) -> None:
    big = big_module(setup.tmp / "big2.wasm", 2)
    spec, data = read_spec(big, Options())
    with Requester(setup.broker.url).connect() as mqtt:
        assert job(mqtt, "dev2", "deploy", spec.to_args()).received == 0
        first = Chunk(spec.deploy, 0, data[:CHUNK_BYTES]).to_args()
        sent = job(mqtt, "dev2", "deploy", first, request_id="chunk-0")
        second = Chunk(spec.deploy, CHUNK_BYTES, data[CHUNK_BYTES:2 * CHUNK_BYTES]).to_args()
        assert job(mqtt, "dev2", "deploy", second).received == 2 * CHUNK_BYTES
        again = job(mqtt, "dev2", "deploy", first, request_id="chunk-0")
    assert again == sent and sent.received == CHUNK_BYTES  # the stored answer, not a new one
    setup.gateway.kill()
    setup.restart()
    with Requester(setup.broker.url).connect() as watch:
        watch.subscribe(topics.command(GW, "dev2", "deploy"))
        report = cli("deploy", str(big), *setup.via("dev2"))
        offsets = chunk_offsets(watch.messages)
    assert offsets == list(range(2 * CHUNK_BYTES, len(data), CHUNK_BYTES))  # none again
    assert report["life"] == "confirmed"
    assert setup.boards["dev2"].console.text.count("app big2 installed") == 1
    cli("rm", "big2", *setup.via("dev2"))


def test_a_gateway_killed_while_uploading_resumes_and_installs_once(setup: Setup) -> None:
    big = big_module(setup.tmp / "big3.wasm", 3)
    spec, data = read_spec(big, Options())
    setup.gate.hold_after(40 * 1024)
    with Requester(setup.broker.url).connect() as mqtt:
        view = job(mqtt, "dev2", "deploy", spec.to_args())
        while view.phase == "receiving":
            off = view.received
            view = job(mqtt, "dev2", "deploy",
                       Chunk(spec.deploy, off, data[off:off + CHUNK_BYTES]).to_args())
    assert setup.gate.held.wait(30), setup.gateway.output()
    setup.gateway.kill()  # in the middle of the upload to the device
    setup.gate.release()
    setup.restart()  # the job resumes by itself; the deploy run again follows it
    report = cli("deploy", str(big), *setup.via("dev2"))
    assert report["life"] == "confirmed"
    assert 0 < report["resumed_from"] < len(data)  # the device's offset
    text = setup.boards["dev2"].console.text
    assert text.count("app big3 upload to slot") == text.count("app big3 installed") == 1


def test_up_through_the_gateway_deploys_the_app_and_shows_its_log(
        setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """`wamr-agent up --via ... --device ...` in an app folder (docs/dev-loop.md): the
    module goes with the manifest's version and grants, as a direct deploy's."""
    from tests.appdev.test_devloop import Loop, edit, new_app

    for name in {a["name"] for a in cli("ps", *setup.via("dev1"))["apps"]}:  # esp32's RAM
        cli("rm", name, *setup.via("dev1"))
    folder = new_app(setup.tmp / "up", "c")
    up = Loop(["up", *setup.via("dev1")], folder, dict(os.environ))
    up.expect(rf"^deployed demo 0\.1\.0 to {GW}/dev1 via \S+: .*confirmed")
    up.expect(r"\[demo\] demo started$")
    up.expect(r"\[demo\] temperature [\d.]+ C$")
    assert up.stop() == 0
    assert up.expect(r"^stopped") == "stopped"
    listed = cli("ps", *setup.via("dev1"))["apps"]
    assert [(a["name"], a["version"], a["state"]) for a in listed] == [
        ("demo", "0.1.0", "running")]
    assert cli("status", "demo", *setup.via("dev1"))["version"] == "0.1.0"

    # the manifest's grants go with the module: without telemetry, which it imports,
    # the gateway refuses it as a direct deploy does (the module kept as built, so
    # the refusal is the gateway's, not the build's)
    edit(folder / "wamr.toml", '"sensor", "telemetry"]', '"sensor"]')
    later = (folder / "wamr.toml").stat().st_mtime_ns + 10**9
    os.utime(folder / "build" / "demo.wasm", ns=(later, later))
    monkeypatch.chdir(folder)
    refused = cli("deploy", *setup.via("dev1"), code=6)["error"]
    assert refused["type"] == "LinkError"
    assert "pre-flight check for esp32 failed" in refused["message"], refused
    assert "telemetry" in refused["message"], refused
    cli("rm", "demo", *setup.via("dev1"))
