"""A device worker against a fake device and a recording publisher: what it
publishes from its polls (state, log lines, telemetry, dropped lines, a reboot),
commands and their answers, a link that fails and comes back, the stop, and a
deploy job that serves commands while it waits and is interrupted by the stop.
No broker, no subprocess."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from wamr_agent.app_config import ConfigState
from wamr_agent.errors import LinkError, UsageError
from wamr_agent.gateway.commands import ReplyCache, ReplyTo
from wamr_agent.gateway.devices import Interrupted, Turn
from wamr_agent.gateway.worker import DeviceWorker, Republish, RunCommand, RunDeploy, Stop
from wamr_agent.mqtt import topics
from wamr_agent.smp.app_results import AppInfo, DeviceStatus, LogEntry, LogPage
from wamr_agent.smp.streams import SmpLinkError

STATUS = DeviceStatus("esp32", "0.1.0", 1000, 1, "power-on", 180000, 4, 1, 4096,
                      ("console",), 2)
TIMEOUT = 10.0


@dataclass
class FakeDevice:
    """The answers of a device; ``down`` makes every request fail like a lost link."""

    apps: list[AppInfo] = field(default_factory=lambda: [
        AppInfo("sensor", 0, "running", 3347, "ab", "1.0", "confirmed")])
    lines: list[str] = field(default_factory=lambda: [
        "boot 1 reset=power-on", "telemetry sensor temp_c=21.5", "[sensor] ok"])
    boot: int = 1
    dropped: int = 0
    down: bool = False
    opened: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    config: ConfigState = field(default_factory=lambda: ConfigState("sensor", 0, 0, "none"))

    def open(self) -> FakeDevice:
        self._check()
        self.opened += 1
        return self

    def _check(self) -> None:
        if self.down:
            raise SmpLinkError("socket://fake: the device closed the connection")

    def close(self) -> None:
        pass

    def status(self, name: str | None = None) -> Any:
        self._check()
        if name is not None:
            raise UsageError(f"device refused to report the status of app {name!r}")
        return replace(STATUS, boot=self.boot)

    def list(self) -> list[AppInfo]:
        self._check()
        return list(self.apps)

    def logs(self, since: int = 0) -> LogPage:
        self._check()
        with self.lock:
            lines = tuple(LogEntry(self.boot, i, 100 * i, m)
                          for i, m in enumerate(self.lines) if i >= since)
            page = LogPage(self.boot, len(self.lines), self.dropped, lines)
            self.dropped = 0
        return page

    def stop(self, name: str) -> None:
        self._check()
        self.apps = [replace(a, state="stopped") if a.name == name else a for a in self.apps]

    start = remove = confirm = rollback = stop

    def config_get(self, name: str) -> ConfigState:
        """sensor's; other apps are not granted config."""
        self._check()
        if name != "sensor":
            raise LinkError("device refused to read the configuration: not granted")
        return self.config

    def config_set(self, name: str, desired: int, values: dict[str, str],
                   unset: list[str]) -> ConfigState:
        self._check()
        self.config = ConfigState(name, desired, desired, "applied", 0,
                                  {**(self.config.values or {}), **values})
        return replace(self.config, values=None)


@dataclass
class Published:
    """The Publisher, recording on a queue."""

    items: queue.Queue[tuple[str, Any]] = field(default_factory=queue.Queue)
    skipped: list[tuple[str, Any]] = field(default_factory=list)  # for a later next()

    def state(self, dev: str, state: topics.DeviceState) -> None:
        self.items.put(("state", state))

    def telemetry(self, dev: str, app: str, value: topics.Telemetry) -> None:
        self.items.put(("telemetry", (app, value)))

    def log_line(self, dev: str, line: topics.LogLine | topics.LogDropped) -> None:
        self.items.put(("log", line))

    def reply(self, to: ReplyTo, reply: topics.CommandReply) -> None:
        self.items.put(("reply", (to, reply)))

    def next(self, kind: str, check: Any = lambda _: True) -> Any:
        """The first item of ``kind`` that passes ``check``, in the order published."""
        for item in self.skipped:
            if item[0] == kind and check(item[1]):
                self.skipped.remove(item)
                return item[1]
        while True:
            got, value = self.items.get(timeout=TIMEOUT)
            if got == kind and check(value):
                return value
            self.skipped.append((got, value))


@pytest.fixture
def device() -> FakeDevice:
    return FakeDevice()


@pytest.fixture
def out() -> Published:
    return Published()


@pytest.fixture
def replies() -> ReplyCache:
    return ReplyCache()


@pytest.fixture
def worker(device: FakeDevice, out: Published, replies: ReplyCache) -> Iterator[DeviceWorker]:
    running = DeviceWorker("dev1", "esp32", device.open, out, replies)
    running.start()
    yield running
    running.submit(Stop())
    running.join(TIMEOUT)


def ask(worker: DeviceWorker, replies: ReplyCache, out: Published, verb: str,
        args: dict[str, Any]) -> topics.CommandReply:
    """Runs one command as the dispatcher does; its answer."""
    to = ReplyTo("res", f"{verb}-{len(args)}".encode())
    request_id = uuid.uuid4().hex  # unique (an id() of a freed object comes back)
    assert replies.begin(request_id, to) == "new"
    worker.submit(RunCommand(verb, request_id, args))
    got, reply = out.next("reply")
    assert got == to
    return reply  # type: ignore[no-any-return]


def test_polls_publish_state_lines_and_telemetry(device: FakeDevice, out: Published,
                                                 worker: DeviceWorker) -> None:
    state = out.next("state")
    assert (state.reachable, state.board, state.boot, state.free_slots) == (True, "esp32", 1, 2)
    assert [a.name for a in state.apps] == ["sensor"]
    assert [out.next("log").msg for _ in device.lines] == device.lines
    app, value = out.next("telemetry")
    assert (app, value.key, value.value, value.t_ms, value.boot) == ("sensor", "temp_c", 21.5,
                                                                    100, 1)
    with device.lock:
        device.lines.append("later")
        device.dropped = 4
    assert out.next("log") == topics.LogDropped(4)
    assert out.next("log").msg == "later"
    with device.lock:  # a reboot: its log from line 0 of the new boot
        device.boot, device.lines = 2, ["boot 2 reset=software"]
    line = out.next("log")
    assert (line.boot, line.seq, line.msg) == (2, 0, "boot 2 reset=software")


def test_commands_are_answered_and_the_state_polled_again(
        device: FakeDevice, out: Published, replies: ReplyCache, worker: DeviceWorker) -> None:
    out.next("state")
    assert ask(worker, replies, out, "stop", {"name": "sensor"}) == topics.CommandReply(
        True, result={})
    assert out.next("state", lambda s: s.apps[0].state == "stopped").reachable
    refused = ask(worker, replies, out, "status", {"name": "nope"})
    assert refused.error is not None and refused.error.type == "UsageError"
    bad = ask(worker, replies, out, "rm", {})
    assert bad.error is not None and bad.error.exit_code == 2
    assert bad.error.message == "the command needs args.name, an app's name"
    listed = ask(worker, replies, out, "ps", {})
    assert listed.result == {"apps": [a.as_dict() for a in device.apps]}


def test_the_state_carries_each_apps_config_read_again_after_config_set(
        device: FakeDevice, out: Published, replies: ReplyCache, worker: DeviceWorker) -> None:
    device.apps.append(AppInfo("plain", 1, "running", 100, "cd", "1.0", "confirmed"))
    first = out.next("state", lambda s: len(s.apps) == 2)
    assert [a.config for a in first.apps] == [
        {"desired": 0, "applied": 0, "status": "none", "code": 0, "values": None}, None]
    set_reply = ask(worker, replies, out, "config-set", {"name": "sensor", "desired": 1,
                                                         "set": {"mode": "eco"}})
    assert set_reply.result is not None
    assert set_reply.result["config"]["applied"] == 1
    now = out.next("state", lambda s: s.apps[0].config["desired"] == 1).apps[0].config
    assert (now["status"], now["values"]) == ("applied", {"mode": "eco"})
    got = ask(worker, replies, out, "config-get", {"name": "sensor"})
    assert got.result == {"config": device.config.as_dict()}
    bad = ask(worker, replies, out, "config-set", {"name": "sensor", "desired": 0})
    assert bad.error is not None and bad.error.exit_code == 2
    bad = ask(worker, replies, out, "config-set", {"name": "sensor", "desired": 2,
                                                   "set": {"mode": 3}})
    assert bad.error is not None and "args.set must be an object of strings" in bad.error.message


def test_a_lost_link_is_unreachable_until_it_answers_again(
        device: FakeDevice, out: Published, replies: ReplyCache, worker: DeviceWorker) -> None:
    first = out.next("state")
    device.down = True
    gone = out.next("state", lambda s: not s.reachable)
    assert gone.apps == first.apps and gone.last_seen >= first.last_seen
    reply = ask(worker, replies, out, "ps", {})
    assert reply.error is not None
    assert (reply.error.type, reply.error.exit_code) == ("SmpLinkError", 12)
    device.down = False
    assert out.next("state", lambda s: s.reachable).reachable
    assert device.opened >= 2


def test_stop_publishes_the_device_unreachable(out: Published, worker: DeviceWorker) -> None:
    out.next("state")
    worker.submit(Stop())
    assert not out.next("state", lambda s: not s.reachable).reachable
    worker.join(TIMEOUT)
    assert not worker.is_alive()


@dataclass
class WaitingInstaller:
    """A deploy job that waits for a verdict that never comes: it pauses (serving
    commands) until the worker is stopped."""

    interrupted: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)

    def run(self, dev: str, board: str, deploy: str, turn: Turn) -> None:
        turn.device()
        self.running.set()
        try:
            while True:
                turn.pause(0.05)
        except Interrupted:
            self.interrupted.set()
            raise


def test_a_deploy_job_serves_commands_while_it_waits_and_a_stop_interrupts_it(
        device: FakeDevice, out: Published, replies: ReplyCache) -> None:
    installer = WaitingInstaller()
    worker = DeviceWorker("dev1", "esp32", device.open, out, replies, installer=installer)
    worker.start()
    worker.submit(RunDeploy("d-000000000000"))
    assert installer.running.wait(TIMEOUT)
    listed = ask(worker, replies, out, "ps", {})  # answered during the deploy's wait
    assert listed.result == {"apps": [a.as_dict() for a in device.apps]}
    assert not installer.interrupted.is_set()  # the job still ran
    worker.submit(Stop())
    assert installer.interrupted.wait(TIMEOUT)
    worker.join(TIMEOUT)
    assert not worker.is_alive()
    assert not out.next("state", lambda s: not s.reachable).reachable


@dataclass
class PollInFlight(FakeDevice):
    """A device whose first status request (the worker's first poll) is answered
    only once ``release`` is set; it records the requests it gets."""

    calls: list[str] = field(default_factory=list)
    asked: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def status(self, name: str | None = None) -> Any:
        self.calls.append("status")
        self.asked.set()
        assert self.release.wait(TIMEOUT)
        return super().status(name)

    def list(self) -> list[AppInfo]:
        self.calls.append("list")
        return super().list()

    def logs(self, since: int = 0) -> LogPage:
        self.calls.append("logs")
        return super().logs(since)

    def stop(self, name: str) -> None:
        self.calls.append("stop")
        super().stop(name)


@pytest.mark.parametrize("verb", ["ps", "stop"])
def test_a_command_queued_during_a_poll_goes_before_the_rest_of_it(
        verb: str, out: Published, replies: ReplyCache) -> None:
    device = PollInFlight()
    worker = DeviceWorker("dev1", "esp32", device.open, out, replies)
    worker.start()
    try:
        assert device.asked.wait(TIMEOUT)  # the first poll waits for its status
        assert replies.begin("r1", ReplyTo("res", b"1")) == "new"
        worker.submit(RunCommand(verb, "r1", {} if verb == "ps" else {"name": "sensor"}))
        device.release.set()
        first, value = out.items.get(timeout=TIMEOUT)  # before the poll published anything
        assert first == "reply"
        assert value[1].ok
        state = out.next("state")
        if verb == "stop":  # the poll stopped: the state published is the one after it
            assert device.calls[:2] == ["status", "stop"]
            assert state.apps[0].state == "stopped"
        else:
            assert device.calls[:3] == ["status", "list", "list"]
    finally:
        worker.submit(Stop())
        worker.join(TIMEOUT)


def test_jobs_behind_another_job_keep_their_place_behind_it(out: Published,
                                                           replies: ReplyCache) -> None:
    device = PollInFlight()
    worker = DeviceWorker("dev1", "esp32", device.open, out, replies)
    worker.start()
    try:
        assert device.asked.wait(TIMEOUT)
        for request_id in ("first", "second"):
            assert replies.begin(request_id, ReplyTo("res", request_id.encode())) == "new"
        worker.submit(RunCommand("ps", "first", {}))
        worker.submit(Republish())
        worker.submit(RunCommand("ps", "second", {}))
        device.release.set()
        seen: list[str] = []
        while len(seen) < 4:
            kind, value = out.items.get(timeout=TIMEOUT)
            if kind == "reply":
                seen.append(value[0].correlation.decode())
            elif kind == "state":
                seen.append("state")
        # the first command went ahead of the poll; the second waited behind the
        # republish, which waited for the poll
        assert seen == ["first", "state", "state", "second"]
    finally:
        worker.submit(Stop())
        worker.join(TIMEOUT)
