"""The ACL of each role (mqtt/acl.py) checked against the topic tree: what a
gateway, an operator and the controller may publish and read. No broker (the
broker enforcing it: tests/gateway/test_security.py)."""

from __future__ import annotations

import pytest

from wamr_agent.errors import UsageError
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.acl import Role, acl_text, permits, rules

GATEWAY_WRITES = [topics.gateway_state("gw1"), topics.gateway_info("gw1"),
                  topics.device_state("gw1", "dev1"), topics.telemetry("gw1", "dev1", "sensor"),
                  topics.telemetry("gw1", "dev1", "app/with/levels"),  # names are the device's
                  topics.logs("gw1", "dev1"), topics.client_responses("cli-0123456789ab")]


def test_a_gateway_writes_its_own_topics_and_answers_and_reads_its_commands() -> None:
    assert all(permits("gateway", "gw1", "write", t) for t in GATEWAY_WRITES)
    assert permits("gateway", "gw1", "read", topics.command("gw1", "dev1", "ps"))
    others = [topics.gateway_state("gw2"), topics.device_state("gw2", "dev1"),
              topics.command("gw1", "dev1", "ps"), topics.command("gw2", "dev1", "ps")]
    assert not any(permits("gateway", "gw1", "write", t) for t in others)
    assert not any(permits("gateway", "gw1", "read", t) for t in [
        topics.command("gw2", "dev1", "ps"), topics.device_state("gw2", "dev1"),
        topics.client_responses("cli-0123456789ab")])


@pytest.mark.parametrize("role", ["operator", "controller"])
def test_operators_and_the_controller_send_commands_and_read_everything(role: Role) -> None:
    assert permits(role, "op", "write", topics.command("gw7", "dev1", "stop"))
    readable = [*GATEWAY_WRITES, topics.command("gw1", "dev1", "ps")]
    assert all(permits(role, "op", "read", t) for t in readable)
    gateway_only = [t for t in GATEWAY_WRITES if "/clients/" not in t]
    assert not any(permits(role, "op", "write", t) for t in gateway_only)
    # both send commands to the controller; only it answers clients and says it is there
    assert permits(role, "op", "write", topics.controller_command("start"))
    controller_writes = [topics.controller_state(), topics.client_responses("cli-0123456789ab")]
    assert all(permits(role, "op", "write", t) is (role == "controller")
               for t in controller_writes)


def test_a_gateway_cannot_pose_as_the_controller() -> None:
    assert not permits("gateway", "gw1", "write", topics.controller_state())
    assert not permits("gateway", "gw1", "write", topics.controller_command("start"))
    assert not permits("gateway", "gw1", "read", topics.controller_command("start"))
    with pytest.raises(UsageError):
        rules("gateway", "controller")  # the reserved level is no gateway's id


def test_the_acl_file_lists_each_user_with_its_role_s_rules() -> None:
    text = acl_text({"gw1": "gateway", "operator": "operator"})
    assert "user gw1\ntopic write wamr/v1/gw1/$state\n" in text
    assert "topic read wamr/v1/gw1/+/cmd/#" in text
    assert "user operator\ntopic read wamr/v1/#\ntopic write wamr/v1/+/+/cmd/#\n" in text
    assert text.count("\ntopic ") == len(rules("gateway", "gw1")) + len(rules("operator", "x"))
    with pytest.raises(UsageError):
        rules("gateway", "gw/1")
