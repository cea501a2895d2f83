"""The MQTT topic tree and payloads (docs/mqtt.md), the command results both ways,
exceptions across the wire, broker URLs, telemetry parsing, the state tracker and
the reply cache. No broker, no subprocess."""

from __future__ import annotations

import json

import pytest

from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import EXIT_CODES, TransportError, UsageError, WamrAgentError, rebuild
from wamr_agent.gateway.commands import COMMANDS, ReplyCache, ReplyTo
from wamr_agent.gateway.observe import StateTracker, device_state, telemetry, unreachable
from wamr_agent.gateway.transfer import VERBS as DEPLOY_VERBS
from wamr_agent.mqtt import results, topics
from wamr_agent.mqtt.client import BrokerUrl
from wamr_agent.remote import Via
from wamr_agent.smp.app_errors import ManagementError
from wamr_agent.smp.app_results import (
    AppError,
    AppInfo,
    AppStatus,
    DeviceStatus,
    LogEntry,
    LogPage,
    Reason,
    Trial,
    UpdateOutcome,
)
from wamr_agent.smp.streams import SmpLinkError

STATUS = DeviceStatus("esp32", "0.1.0", 4926, 1, "power-on", 189712, 4, 1, 4096,
                      ("console", "raw"), 2)
APPS = [AppInfo("sensor", 0, "running", 3347, "ab" * 32, "1.2.0", "confirmed", None, 101),
        AppInfo("old", 1, "stopped", 10, None, None, "reverted", Reason("traps", 34, "boom"), 0)]


def test_topic_builders_and_parser_agree() -> None:
    assert topics.gateway_state("gw1") == "wamr/v1/gw1/$state"
    assert topics.gateway_info("gw1") == "wamr/v1/gw1/$info"
    assert topics.device_state("gw1", "dev1") == "wamr/v1/gw1/dev1/state"
    assert topics.telemetry("gw1", "dev1", "sensor") == "wamr/v1/gw1/dev1/telemetry/sensor"
    assert topics.logs("gw1", "dev1") == "wamr/v1/gw1/dev1/logs"
    assert topics.command("gw1", "dev1", "ps") == "wamr/v1/gw1/dev1/cmd/ps"
    assert topics.client_responses("cli-1") == "wamr/v1/clients/cli-1/res"
    assert topics.gateway_commands("gw1") == "wamr/v1/gw1/+/cmd/+"
    cases = {topics.gateway_state("g"): topics.Topic("$state", "g"),
             topics.gateway_info("g"): topics.Topic("$info", "g"),
             topics.device_state("g", "d"): topics.Topic("state", "g", "d"),
             topics.logs("g", "d"): topics.Topic("logs", "g", "d"),
             topics.telemetry("g", "d", "a"): topics.Topic("telemetry", "g", "d", "a"),
             topics.command("g", "d", "rm"): topics.Topic("cmd", "g", "d", "rm")}
    for topic, parsed in cases.items():
        assert topics.parse(topic) == parsed
    for other in ("wamr/v1/clients/c/res", "wamr/v2/g/$state", "wamr/v1/g", "x/y/z/w",
                  "wamr/v1/g/d/other", "wamr/v1/g/d/cmd/a/b"):
        assert topics.parse(other) is None, other


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#", "$sys", "-x", "clients", "a" * 65, "a b"])
def test_ids_must_be_one_topic_level(bad: str) -> None:
    with pytest.raises(UsageError, match="use letters"):
        topics.check_id("device id", bad)


def test_payloads_round_trip() -> None:
    info = topics.GatewayInfo("gw1", "0.1.0", ["dev1", "dev2"], 1700000000.5)
    assert topics.GatewayInfo.from_json(info.to_json()) == info
    assert json.loads(info.to_json()) == {"id": "gw1", "version": "0.1.0",
                                          "devices": ["dev1", "dev2"], "started": 1700000000.5}
    state = device_state("esp32", STATUS, APPS, 1700000001.0)
    assert topics.DeviceState.from_json(state.to_json()) == state
    assert set(json.loads(state.to_json())) == {
        "board", "fw", "reachable", "last_seen", "uptime_ms", "boot", "reset", "heap_free",
        "free_slots", "apps"}
    assert json.loads(state.to_json())["apps"][1] == {
        "name": "old", "version": None, "sha256": None, "state": "stopped", "life": "reverted",
        "reason": "boom", "slot": 1, "config": None}
    newer = {**json.loads(state.to_json()), "added_later": 1}
    newer["apps"][0]["added_later"] = 2
    assert topics.DeviceState.from_json(json.dumps(newer)) == state  # unknown keys ignored
    value = topics.Telemetry("temp_c", 21.5, 1200, 2, 1700000002.0)
    assert topics.Telemetry.from_json(value.to_json()) == value
    line = topics.LogLine(7, 1200, 2, "telemetry sensor temp_c=21.5")
    assert topics.parse_log(line.to_json()) == line
    assert topics.parse_log(topics.LogDropped(3).to_json()) == topics.LogDropped(3)
    assert topics.state_payload("lost") == b"lost"
    assert topics.parse_state(b"online") == "online" and topics.parse_state(b"x") is None


def test_command_request_and_reply() -> None:
    request = topics.CommandRequest("r1", {"name": "sensor"})
    assert topics.CommandRequest.from_json(request.to_json()) == request
    for bad in (b"[]", b"{}", b'{"id": 3}', b'{"id": "x", "args": []}', b"nope"):
        with pytest.raises(ValueError):
            topics.CommandRequest.from_json(bad)
    ok = topics.CommandReply(True, result={"apps": []})
    assert json.loads(ok.to_json()) == {"ok": True, "result": {"apps": []}}
    assert topics.CommandReply.from_json(ok.to_json()) == ok
    error = topics.CommandReply(False, error=topics.WireError.of(
        UsageError("device refused to start app 'nope': no such app", AgentErr.NOT_FOUND)))
    assert json.loads(error.to_json()) == {"ok": False, "error": {
        "type": "UsageError", "code": "NOT_FOUND", "exit_code": 2,
        "message": "device refused to start app 'nope': no such app"}}
    assert topics.CommandReply.from_json(error.to_json()) == error


@pytest.mark.parametrize("exc", [
    UsageError("bad", AgentErr.NOT_FOUND), SmpLinkError("no answer within 5 s"),
    ManagementError("device refused: SMP rc 8", 8), TransportError("lost"),
    WamrAgentError("other")])
def test_exceptions_cross_the_wire_with_class_code_and_exit_code(exc: WamrAgentError) -> None:
    back = topics.WireError.of(exc).exception()
    assert (type(back), back.code, back.exit_code, str(back)) == (
        type(exc), exc.code, exc.exit_code, str(exc))


def test_unknown_exception_classes_keep_their_exit_code() -> None:
    back = rebuild("NewerError", "ROLLBACK", "from a newer gateway", 17)
    assert (type(back), back.code, back.exit_code) == (WamrAgentError, AgentErr.ROLLBACK, 17)
    assert EXIT_CODES["WamrAgentError"] == 1  # the class itself is untouched


def test_command_results_decode_to_the_same_dataclasses() -> None:
    app = AppStatus("sensor", 0, "running", 3347, "ab", "d-1", "1.2.0", 1, AppError(34, "x"),
                    90000, 212992, 5000, 0, "trial", Reason("traps", 34, "m"),
                    Trial(3, 10, 0, 0, 600, 0, False), 3, True,
                    UpdateOutcome("1.3.0", "cd", "reverted", None))
    page = LogPage(2, 9, 1, (LogEntry(2, 7, 100, "a"), LogEntry(2, 8, 120, "b")))
    assert results.decode_status(json.loads(json.dumps(results.encode_status(app)))) == app
    assert results.decode_status(results.encode_status(STATUS)) == STATUS
    assert results.decode_apps(json.loads(json.dumps(results.encode_apps(APPS)))) == APPS
    assert results.decode_logs(json.loads(json.dumps(results.encode_logs(page)))) == page
    with pytest.raises(TransportError, match="no 'apps'"):
        results.decode_apps({})


def test_broker_urls_and_via() -> None:
    assert BrokerUrl.parse("mqtt://127.0.0.1:1884") == BrokerUrl("127.0.0.1", 1884)
    assert BrokerUrl.parse("mqtt://u%40x:p%3Aw@broker") == BrokerUrl("broker", 1883, "u@x", "p:w")
    assert str(BrokerUrl("h", 1, "u", "secret")) == "mqtt://u@h:1"  # no password shown
    for bad in ("tcp://h:1", "mqtt://", "mqtt://h:x", "mqtt://h:1/path", "h:1"):
        with pytest.raises(UsageError):
            BrokerUrl.parse(bad)
    via = Via.parse("mqtt://h:2", "gw1/dev1")
    assert (via.broker.port, via.gateway, via.device) == (2, "gw1", "dev1")
    for device in (None, "gw1", "a/b/c", "gw1/+"):
        with pytest.raises(UsageError):
            Via.parse("mqtt://h:2", device)


def test_telemetry_lines() -> None:
    def entry(msg: str) -> LogEntry:
        return LogEntry(2, 5, 1400, msg)

    assert telemetry(entry("telemetry sensor temp_c=21.5"), now=9.0) == (
        "sensor", topics.Telemetry("temp_c", 21.5, 1400, 2, 9.0))
    assert telemetry(entry("telemetry a k=-3"), now=1.0) == (
        "a", topics.Telemetry("k", -3.0, 1400, 2, 1.0))
    assert telemetry(entry("telemetry a k=nan"), now=1.0) == (
        "a", topics.Telemetry("k", None, 1400, 2, 1.0))
    for other in ("[sensor] temp 21.5 C", "telemetry sensor", "telemetry a k=x",
                  "app sensor started"):
        assert telemetry(entry(other)) is None


def test_state_published_on_change_and_every_30_s() -> None:
    tracker = StateTracker(refresh=30.0)
    first = device_state("esp32", STATUS, APPS, 100.0)
    assert tracker.update(first, now=0.0)
    later = device_state("esp32", DeviceStatus(**{**STATUS.__dict__, "uptime_ms": 9999}),
                         APPS, 102.0)
    assert not tracker.update(later, now=2.0)  # only uptime and last_seen moved
    assert tracker.update(device_state("esp32", STATUS, APPS[:1], 104.0), now=4.0)
    assert not tracker.update(device_state("esp32", STATUS, APPS[:1], 130.0), now=30.0)
    assert tracker.update(device_state("esp32", STATUS, APPS[:1], 134.0), now=34.0)
    gone = unreachable("esp32", tracker.current)
    assert (gone.reachable, gone.last_seen, gone.apps) == (False, 134.0, tracker.current.apps)
    assert tracker.update(gone, now=35.0)
    assert unreachable("esp32", None).fw is None


def test_reply_cache_answers_duplicates_once() -> None:
    cache = ReplyCache(size=2)
    a, b = ReplyTo("res/a", b"1"), ReplyTo("res/b", b"2")
    assert cache.begin("r1", a) == "new"
    assert cache.begin("r1", b) == "running"  # a duplicate while the first runs
    done = topics.CommandReply(True, result={})
    assert cache.finish("r1", done) == [a, b]
    assert cache.begin("r1", b) == done
    for rid in ("r2", "r3"):
        assert cache.begin(rid, a) == "new"
        cache.finish(rid, done)
    assert cache.begin("r1", a) == "new"  # forgotten: only the last 2 are kept


def test_the_command_table() -> None:
    assert (*COMMANDS, *DEPLOY_VERBS) == topics.VERBS  # the workers' and the deploy jobs'
    assert {v for v, c in COMMANDS.items() if c.changes_state} == {
        "start", "stop", "rm", "confirm", "rollback", "config-set"}
