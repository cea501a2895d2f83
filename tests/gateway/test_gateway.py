"""One gateway with three devices (two simulated esp32 boards and a QEMU
mps2-an386), as a real `wamr-agent gateway` process on a real mosquitto: birth,
device states, telemetry and logs, the app commands through `--via` against the
same commands over the serial port, a message sent through it, idempotent
command ids, a device that goes away and comes back, a broker restart, and a
clean stop. The tests run in this order on one gateway (module fixtures)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import cli_json as cli
from tests.conftest import need
from tests.gateway.conftest import GatewayProcess, Watch, gateway_config, state_of
from tests.message_app import NOT_RUNNING, message_app
from wamr_agent import deploy as deploying
from wamr_agent.access import Via
from wamr_agent.cli import app
from wamr_agent.emulator import EmulatedBoard, QemuNotFound, SimulatedBoard, find_qemu
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.broker import Mosquitto
from wamr_agent.mqtt.requester import Requester
from wamr_agent.remote import RemoteDevice
from wamr_agent.smp.app_results import LogEntry

GW = "gw1"
runner = CliRunner()



@dataclass
class Fleet:
    boards: dict[str, EmulatedBoard | SimulatedBoard]
    gateway: GatewayProcess
    broker: Mosquitto
    direct: dict[str, Any]  # dev1's answers over its serial port, before the gateway ran

    def via(self, dev: str) -> list[str]:
        return ["--via", str(self.broker.url), "--device", f"{GW}/{dev}"]

    def watch(self, *filters: str) -> Watch:
        return Watch(self.broker.url, *(filters or (f"wamr/v1/{GW}/#",)))


def _direct(board: SimulatedBoard, sensor: Path) -> dict[str, Any]:
    port = ["--board", "esp32", "--port", board.mgmt_address]
    report = cli("deploy", str(sensor), *port)
    assert report["life"] == "confirmed", report
    return {"ps": cli("ps", *port), "status sensor": cli("status", "sensor", *port),
            "status": cli("status", *port), "start nope": cli("start", "nope", *port, code=2)}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, broker: Mosquitto,
          example: Callable[[str], Path]) -> Iterator[Fleet]:
    try:
        find_qemu()
    except QemuNotFound as exc:
        need(False, "qemu-system-arm", str(exc))
    root = tmp_path_factory.mktemp("fleet")
    boards: dict[str, EmulatedBoard | SimulatedBoard] = {}
    try:
        for dev in ("dev1", "dev2"):
            boards[dev] = SimulatedBoard.start("esp32", workdir=root / dev)
        boards["qemu1"] = EmulatedBoard.start("mps2-an386", workdir=root / "qemu1")
        direct = _direct(boards["dev1"], example("sensor"))  # type: ignore[arg-type]
        config = gateway_config(GW, {dev: (b.board.name, b.mgmt_address)
                                     for dev, b in boards.items()})
        gateway = GatewayProcess(root / "gateway", config, broker.url)
        try:
            fleet = Fleet(boards, gateway, broker, direct)
            with fleet.watch() as watch:  # every device reachable: commands are answered
                for dev in boards:
                    state_of(GW, dev, watch, lambda s: s.reachable)
            yield fleet
        finally:
            gateway.kill()
    finally:
        for board in boards.values():
            board.stop()


def test_birth_state_online_and_info(fleet: Fleet) -> None:
    with fleet.watch() as watch:
        assert watch.expect(topics.gateway_state(GW), lambda p: p == b"online") == b"online"
        info = topics.GatewayInfo.from_json(watch.expect(topics.gateway_info(GW)))
    assert (info.id, info.devices) == (GW, ["dev1", "dev2", "qemu1"])
    assert info.version and info.started > 0


def test_each_device_has_its_state(fleet: Fleet) -> None:
    with fleet.watch() as watch:
        dev1 = state_of(GW, "dev1", watch, lambda s: s.reachable)
        dev2 = state_of(GW, "dev2", watch, lambda s: s.reachable)
        qemu1 = state_of(GW, "qemu1", watch, lambda s: s.reachable)
    [sensor] = dev1.apps
    expected = fleet.direct["ps"]["apps"][0]
    assert (sensor.name, sensor.state, sensor.life, sensor.sha256, sensor.slot) == (
        "sensor", "running", "confirmed", expected["sha"], expected["slot"])
    assert (dev1.board, dev2.board, qemu1.board) == ("esp32", "esp32", "mps2-an386")
    assert (dev2.apps, qemu1.apps) == ([], [])
    direct = fleet.direct["status"]
    assert (dev1.fw, dev1.boot, dev1.reset, dev1.free_slots) == (
        direct["fw"], direct["boot"], direct["reset"], direct["free_slots"])
    assert all(s.last_seen and s.uptime_ms and s.heap_free for s in (dev1, dev2, qemu1))


def test_telemetry_and_logs_arrive(fleet: Fleet) -> None:
    with fleet.watch(f"wamr/v1/{GW}/dev1/telemetry/+", topics.logs(GW, "dev1")) as watch:
        value = topics.Telemetry.from_json(watch.expect(
            topics.telemetry(GW, "dev1", "sensor"), lambda p: b'"temp_c"' in p))
        line = topics.parse_log(watch.expect(topics.logs(GW, "dev1"),
                                             lambda p: b"[sensor]" in p))
    assert value.key == "temp_c" and value.value is not None and 0 < value.value < 100
    assert value.boot == 1 and value.t_ms > 0 and value.ts > 0
    assert isinstance(line, topics.LogLine) and line.msg.startswith("[sensor] temp ")


def test_logs_follow_through_the_gateway(fleet: Fleet) -> None:
    via = Via(fleet.broker.url, GW, "dev1")
    with RemoteDevice.open(via) as remote:
        since = remote.logs(0).next  # what the device kept is older than this
    seen: list[LogEntry] = []
    for event in deploying.logs("esp32", since=since, follow=True, via=via):
        assert isinstance(event, LogEntry), event
        seen.append(event)
        if len(seen) >= 12:
            break
    # the kept lines first, then those the gateway publishes: each once, none missing
    assert [e.seq for e in seen] == list(range(since, since + 12))
    assert any(e.msg.startswith("telemetry sensor temp_c=") for e in seen)


def test_a_follow_through_the_gateway_ends_once_stop_is_set(fleet: Fleet) -> None:
    """`logs -f --via` ends on Ctrl-C even when Python loses the KeyboardInterrupt:
    the CLI's handler sets stop, which the wait for the next message sees."""
    via = Via(fleet.broker.url, GW, "dev1")
    with RemoteDevice.open(via) as remote:
        since = remote.logs(0).next
    stop = threading.Event()
    events = deploying.logs("esp32", since=since, follow=True, via=via, stop=stop)
    assert isinstance(next(events), LogEntry)  # following: the lines keep coming
    stop.set()
    began = time.monotonic()
    for _ in events:  # what was already in hand, then the end
        assert time.monotonic() - began < 10, "the follow did not see stop"
    assert time.monotonic() - began < 10


def test_a_command_to_a_gateway_that_never_connected_says_so(fleet: Fleet) -> None:
    """The one line says why no gateway answered, from the broker's retained $state:
    here no gateway of that id ever connected (a mistyped id)."""
    via = ["--via", str(fleet.broker.url), "--device", "gw9/dev1"]
    failed = cli("ps", *via, code=12)["error"]["message"]
    assert failed.startswith("no answer from gateway 'gw9' for device 'dev1'"), failed
    assert "no gateway 'gw9' has connected to this broker" in failed
    # the fleet's own gateway is online: its $state says so, and it answers
    assert cli("ps", *fleet.via("dev1"))["apps"]


def _steady(status: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in status.items() if k != "uptime_ms"}


def test_commands_via_the_gateway_answer_as_over_the_port(fleet: Fleet) -> None:
    via = fleet.via("dev1")
    assert cli("ps", *via) == fleet.direct["ps"]
    assert _steady(cli("status", "sensor", *via)) == _steady(fleet.direct["status sensor"])
    assert _steady(cli("status", *via)) == _steady(fleet.direct["status"])
    assert cli("start", "nope", *via, code=2) == fleet.direct["start nope"]
    text = runner.invoke(app, ["ps", *via])
    assert text.exit_code == 0 and text.stdout.splitlines()[1].startswith("sensor ")


def test_stop_and_start_via_the_gateway(fleet: Fleet) -> None:
    via = fleet.via("dev1")
    with fleet.watch(topics.device_state(GW, "dev1")) as watch:
        assert cli("stop", "sensor", *via) == {"name": "sensor", "result": "stopped"}
        assert cli("ps", *via)["apps"][0]["state"] == "stopped"
        state_of(GW, "dev1", watch, lambda s: s.apps[0].state == "stopped")
        assert cli("start", "sensor", *via) == {"name": "sensor", "result": "started"}
        state_of(GW, "dev1", watch, lambda s: s.apps[0].state == "running")
    fleet.boards["dev1"].console.expect(r"app sensor started")


def test_send_via_the_gateway(fleet: Fleet, tmp_path: Path) -> None:
    """`send --via` delivers as over the port; a refusal keeps its class and exit code."""
    via = fleet.via("dev2")
    cli("deploy", str(message_app(tmp_path / "inbox.wasm")), "--name", "inbox", *via)
    assert cli("send", "inbox", "über mqtt", *via) == {"name": "inbox", "result": "delivered",
                                                       "bytes": 10}
    fleet.boards["dev2"].console.expect(r"\[inbox\] msg über mqtt")
    assert cli("stop", "inbox", *via)["result"] == "stopped"
    refused = cli("send", "inbox", "--hex", "00ff", *via, code=NOT_RUNNING)["error"]
    assert (refused["type"], refused["code"]) == ("NotRunning", "BAD_STATE"), refused
    assert "it is not running" in refused["message"]
    cli("rm", "inbox", *via)


def test_devices_lists_the_fleet(fleet: Fleet) -> None:
    view = cli("devices", "--via", str(fleet.broker.url))
    [gw] = [g for g in view["gateways"] if g["id"] == GW]
    assert gw["state"] == "online" and gw["info"]["devices"] == ["dev1", "dev2", "qemu1"]
    assert sorted(gw["devices"]) == ["dev1", "dev2", "qemu1"]
    assert gw["devices"]["dev1"]["apps"][0]["life"] == "confirmed"
    text = runner.invoke(app, ["devices", "--via", str(fleet.broker.url)])
    assert text.exit_code == 0
    assert any(line.split()[:6] == [GW, "online", "qemu1", "mps2-an386", "0.1.0", "yes"]
               for line in text.stdout.splitlines()), text.stdout


def test_a_duplicate_command_id_is_answered_once(fleet: Fleet) -> None:
    with Requester(fleet.broker.url).connect() as mqtt:
        first = mqtt.send(GW, "dev1", "rm", {"name": "sensor"}, request_id="rm-once")
        again = mqtt.send(GW, "dev1", "rm", {"name": "sensor"}, request_id="rm-once")
        answers = [mqtt.wait(first), mqtt.wait(again)]
        later = mqtt.wait(mqtt.send(GW, "dev1", "rm", {"name": "sensor"}, request_id="rm-once"))
        fresh = mqtt.wait(mqtt.send(GW, "dev1", "rm", {"name": "sensor"}))
    # run twice, the second rm would have answered "no such app"
    assert answers == [topics.CommandReply(True, result={})] * 2 and later == answers[0]
    assert fresh.error is not None and fresh.error.code == "NOT_FOUND"
    assert fleet.boards["dev1"].console.text.count("app sensor removed") == 1


def test_unknown_device_or_command_is_a_usage_error(fleet: Fleet) -> None:
    error = cli("ps", "--via", str(fleet.broker.url), "--device", f"{GW}/nope", code=2)
    assert error["error"]["type"] == "UsageError" and "no device 'nope'" in error[
        "error"]["message"]
    with Requester(fleet.broker.url).connect() as mqtt:
        reply = mqtt.wait(mqtt.send(GW, "dev1", "reboot"))
    assert reply.error is not None and reply.error.exit_code == 2
    assert "unknown command 'reboot'" in reply.error.message


def test_a_board_that_goes_away_is_unreachable_then_back(fleet: Fleet) -> None:
    board = fleet.boards["dev2"]
    with fleet.watch(topics.device_state(GW, "dev2")) as watch:
        board.power_cut()
        gone = state_of(GW, "dev2", watch, lambda s: not s.reachable)
        failed = cli("status", *fleet.via("dev2"), code=12)
        board.restart()
        back = state_of(GW, "dev2", watch, lambda s: s.reachable and s.boot == 2)
    assert gone.board == "esp32" and gone.last_seen is not None
    assert failed["error"]["type"] == "SmpLinkError"
    assert back.last_seen is not None and back.last_seen > gone.last_seen


def test_the_gateway_reconnects_after_a_broker_restart(fleet: Fleet) -> None:
    fleet.broker.stop()  # retained messages are gone with it (no persistence)
    fleet.broker.start()
    with fleet.watch() as watch:
        assert watch.expect(topics.gateway_state(GW), lambda p: p == b"online")
        watch.expect(topics.gateway_info(GW))
        for dev in ("dev1", "dev2", "qemu1"):
            assert state_of(GW, dev, watch, lambda s: s.reachable).board
    assert cli("ps", *fleet.via("qemu1")) == {"apps": []}


def test_a_clean_stop_publishes_offline(fleet: Fleet) -> None:
    with fleet.watch() as watch:
        watch.expect(topics.gateway_state(GW), lambda p: p == b"online")
        assert fleet.gateway.terminate() == 0
        assert watch.expect(topics.gateway_state(GW), lambda p: p == b"offline")
        for dev in ("dev1", "dev2", "qemu1"):
            state_of(GW, dev, watch, lambda s: not s.reachable)
    assert "gateway gw1: stopped" in fleet.gateway.output()
