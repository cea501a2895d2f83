"""Who may publish and read what on a secured broker (docs/mqtt.md, "Security"):
the rules of each role, built from the topic tree (mqtt/topics.py), rendered as a
mosquitto ``acl_file``, and checked here the way mosquitto checks them (a topic
passes when a rule of its access matches it; nothing else passes).

- a **gateway** (its user name is its id, ``gw1``) publishes its own subtree's
  topics (``$state``, ``$info``, device ``state``, ``telemetry``, ``logs``), answers
  on any client's response topic, and reads the commands to its own devices;
- an **operator** (a person with the CLI) and the **controller** read everything
  under ``wamr/v1/`` and send commands to any gateway's devices and to the
  controller; the controller also publishes its ``$state`` and answers on any
  client's response topic;
- anyone else: nothing (the broker takes no anonymous clients).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from paho.mqtt.client import topic_matches_sub

from . import topics

__all__ = ["ROLES", "Access", "Role", "Rule", "acl_text", "permits", "rules"]

Role = Literal["gateway", "operator", "controller"]
ROLES: tuple[Role, ...] = get_args(Role)
Access = Literal["read", "write"]


@dataclass(frozen=True)
class Rule:
    access: Access
    filter: str


def rules(role: Role, user: str) -> list[Rule]:
    """The rules of ``user`` in ``role`` (a gateway's user name is its id)."""
    if role == "gateway":
        gw = topics.check_id("gateway user name", user)
        return [Rule("write", topics.gateway_state(gw)), Rule("write", topics.gateway_info(gw)),
                Rule("write", topics.device_state(gw, "+")),
                Rule("write", topics.telemetry(gw, "+", "#")),
                Rule("write", topics.logs(gw, "+")),
                Rule("write", topics.client_responses("+")),
                Rule("read", topics.command(gw, "+", "#"))]
    common = [Rule("read", f"{topics.ROOT}/#"), Rule("write", topics.command("+", "+", "#"))]
    if role == "controller":
        return [*common, Rule("write", topics.controller_state()),
                Rule("write", topics.client_responses("+"))]
    return common


def permits(role: Role, user: str, access: Access, topic: str) -> bool:
    """Whether ``user`` in ``role`` may ``access`` ``topic`` (a topic, not a filter)."""
    return any(r.access == access and topic_matches_sub(r.filter, topic)
               for r in rules(role, user))


def acl_text(accounts: Mapping[str, Role]) -> str:
    """A mosquitto ``acl_file`` for ``{user: role}``."""
    lines = ["# written by wamr-agent (wamr_agent.mqtt.acl); docs/mqtt.md, \"Security\"",
             "# anonymous clients: no rules (and the broker refuses them)", ""]
    for user, role in sorted(accounts.items()):
        lines += [f"# {role}", f"user {user}"]
        lines += [f"topic {r.access} {r.filter}" for r in rules(role, user)]
        lines.append("")
    return "\n".join(lines)
