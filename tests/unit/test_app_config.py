"""The host side of configuration from the fleet (docs/config.md), with no device:
KEY=VALUE parsing and its limits, the config set/get messages of AppClient against
a scripted link (request fields, answers, the group's error codes), and
set_config's next version and its outcomes."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2
import pytest

from wamr_agent.agent_err import AgentErr
from wamr_agent.app_config import STATUSES, ConfigState, parse_assignments, set_config
from wamr_agent.errors import (
    EXIT_CODES,
    ConfigPending,
    ConfigRejected,
    LinkError,
    UsageError,
    WamrAgentError,
)
from wamr_agent.smp.apps import AppClient

HEADER = struct.Struct(">BBHHBB")


@dataclass
class ScriptedLink:
    """Answers each request with the next body of ``answers``; keeps what was sent."""

    answers: list[dict[str, Any]]
    sent: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def request(self, message: bytes) -> bytes:
        op, _, _, group, seq, cmd = HEADER.unpack_from(message)
        self.sent.append((cmd, cbor2.loads(message[HEADER.size:])))
        payload = cbor2.dumps(self.answers.pop(0))
        return HEADER.pack((op & 7) + 1 | 0x08, 0, len(payload), group, seq, cmd) + payload


def test_the_statuses_mirror_the_firmwares_enum() -> None:
    header = (Path(__file__).parents[2] / "firmware/core/agent/wa_config.h").read_text()
    enum = re.findall(r"WA_CONFIG_([A-Z]+) = (\d+)", header)
    assert [(name.lower(), int(value)) for name, value in enum] == [
        (status, i) for i, status in enumerate(STATUSES)]


def test_assignments_split_at_the_first_equals_sign_and_check_sizes() -> None:
    assert parse_assignments(["a=1", "url=http://x/?q=1", "empty="]) == {
        "a": "1", "url": "http://x/?q=1", "empty": ""}
    for bad, why in (("novalue", "give KEY=VALUE"), ("=v", "1 to 32 bytes"),
                     ("k" * 33 + "=v", "1 to 32 bytes"), ("k=" + "v" * 257, "at most 256")):
        with pytest.raises(UsageError, match=why):
            parse_assignments([bad])


def test_client_sends_config_set_and_get_and_reads_the_answers() -> None:
    link = ScriptedLink([
        {"desired": 3, "applied": 3, "status": 1, "code": 0},
        {"desired": 3, "applied": 2, "status": 3, "code": 7, "values": {"mode": "eco"}}])
    client = AppClient(link)
    assert client.config_set("cfg", 3, {"mode": "eco"}, ["old"]) == ConfigState(
        "cfg", 3, 3, "applied", 0, None)
    assert client.config_get("cfg") == ConfigState("cfg", 3, 2, "rejected", 7, {"mode": "eco"})
    assert link.sent == [(10, {"name": "cfg", "desired": 3, "set": {"mode": "eco", "old": None}}),
                         (11, {"name": "cfg"})]


@pytest.mark.parametrize(("rc", "cls", "text"), [
    (AgentErr.NOT_FOUND, UsageError, "no such app"),
    (AgentErr.NOT_GRANTED, LinkError, "not granted the config capability")])
def test_client_raises_the_devices_refusals(rc: int, cls: type[Exception], text: str) -> None:
    client = AppClient(ScriptedLink([{"err": {"group": 64, "rc": int(rc)}}]))
    with pytest.raises(cls, match=text):
        client.config_get("cfg")


@dataclass
class FakeAccess:
    """config_get/config_set of a device whose app answers ``outcome``."""

    state: ConfigState
    outcome: str = "applied"
    sets: list[tuple[str, int, dict[str, str], list[str]]] = field(default_factory=list)

    def config_get(self, name: str) -> ConfigState:
        return self.state

    def config_set(self, name: str, desired: int, values: dict[str, str],
                   unset: list[str]) -> ConfigState:
        self.sets.append((name, desired, values, unset))
        applied = desired if self.outcome == "applied" else self.state.applied
        return ConfigState(name, desired, applied, self.outcome, 5 * (self.outcome != "applied"))


def test_set_config_sends_the_next_version_and_raises_unless_applied() -> None:
    device = FakeAccess(ConfigState("cfg", 4, 4, "applied", 0, {"a": "1"}))
    assert set_config(device, "cfg", {"b": "2"}, ["a"]).applied == 5  # type: ignore[arg-type]
    assert device.sets == [("cfg", 5, {"b": "2"}, ["a"])]
    for outcome, cls, code in (("rejected", ConfigRejected, 24), ("trapped", ConfigRejected, 24),
                               ("pending", ConfigPending, 25)):
        with pytest.raises(cls, match="config version 5 stored, not applied") as caught:
            set_config(FakeAccess(device.state, outcome), "cfg", {"b": "3"})  # type: ignore[arg-type]
        assert caught.value.exit_code == EXIT_CODES[cls.__name__] == code


def test_set_config_checks_what_the_device_could_not_hold() -> None:
    device = FakeAccess(ConfigState("cfg", 1, 1, "applied", 0, {"big": "x" * 250}))
    with pytest.raises(UsageError, match="give KEY=VALUE or --unset KEY"):
        set_config(device, "cfg", {})  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="would hold 513 bytes"):
        set_config(device, "cfg", {"more": "y" * 256})  # type: ignore[arg-type]
    assert device.sets == []


def test_a_version_another_change_took_first_is_not_reported_as_applied() -> None:
    class Raced(FakeAccess):
        def config_set(self, name: str, desired: int, values: dict[str, str],
                       unset: list[str]) -> ConfigState:
            return ConfigState(name, desired + 1, desired + 1, "applied")

    with pytest.raises(WamrAgentError, match="the device holds version 3"):
        set_config(Raced(ConfigState("cfg", 1, 1, "applied", 0, {})), "cfg",  # type: ignore[arg-type]
                   {"a": "1"})
