"""The gateway's commands (docs/mqtt.md, "Commands"): one table from verb to
handler, and the cache of answers that makes every command idempotent by its id.

A handler runs on the device's worker thread with the device's
:class:`~wamr_agent.access.DeviceAccess` (its SMP link) and the request's
arguments, and returns the result object; an exception of the package becomes an
error answer. The ``deploy`` and ``job`` commands are not in this table: their
state outlives a request, and a gateway restart, so they are the deploy jobs'
(``transfer`` on the dispatcher, ``jobs``, ``install`` on the worker).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from paho.mqtt.client import Client
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..access import DeviceAccess
from ..errors import UsageError
from ..messages import message_bytes
from ..mqtt import results
from ..mqtt.topics import CommandReply

CACHE_SIZE = 512  # answers kept for duplicate requests
Begun = Literal["new", "running"]


@dataclass(frozen=True)
class Context:
    device: DeviceAccess


Handler = Callable[[Context, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    verb: str
    run: Handler
    changes_state: bool = False  # the device's state is polled again right after


def _name(args: Mapping[str, Any]) -> str:
    name = args.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError("the command needs args.name, an app's name")
    return name


def _since(args: Mapping[str, Any]) -> int:
    since = args.get("since", 0)
    if not isinstance(since, int) or isinstance(since, bool) or since < 0:
        raise UsageError(f"args.since must be a line number >= 0, not {since!r}")
    return since


def _status(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    name = args.get("name")
    if name is not None and not isinstance(name, str):
        raise UsageError(f"args.name must be a string, not {name!r}")
    status = ctx.device.status() if name is None else ctx.device.status(name)
    return results.encode_status(status)


def _config_get(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    return results.encode_config(ctx.device.config_get(_name(args)))


def _string_map(args: Mapping[str, Any], key: str) -> dict[str, str]:
    value = args.get(key) or {}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise UsageError(f"args.{key} must be an object of strings, not {value!r}")
    return value


def _string_list(args: Mapping[str, Any], key: str) -> list[str]:
    value = args.get(key) or []
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise UsageError(f"args.{key} must be a list of strings, not {value!r}")
    return value


def _config_set(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    desired = args.get("desired")
    if not isinstance(desired, int) or isinstance(desired, bool) or not 0 < desired < 1 << 32:
        raise UsageError(f"args.desired must be a version number >= 1, not {desired!r}")
    return results.encode_config(ctx.device.config_set(
        _name(args), desired, _string_map(args, "set"), _string_list(args, "unset")))


def _action(act: Callable[[DeviceAccess, str], None]) -> Handler:
    def run(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
        act(ctx.device, _name(args))
        return {}
    return run


def _send(ctx: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    data = args.get("hex")
    if not isinstance(data, str):
        raise UsageError(f"args.hex must be the message's bytes in hex, not {data!r}")
    ctx.device.send(_name(args), message_bytes(data, as_hex=True))
    return {}


COMMANDS: dict[str, Command] = {c.verb: c for c in (
    Command("ps", lambda ctx, args: results.encode_apps(ctx.device.list())),
    Command("status", _status),
    Command("logs", lambda ctx, args: results.encode_logs(ctx.device.logs(_since(args)))),
    Command("start", _action(lambda d, n: d.start(n)), changes_state=True),
    Command("stop", _action(lambda d, n: d.stop(n)), changes_state=True),
    Command("rm", _action(lambda d, n: d.remove(n)), changes_state=True),
    Command("confirm", _action(lambda d, n: d.confirm(n)), changes_state=True),
    Command("rollback", _action(lambda d, n: d.rollback(n)), changes_state=True),
    Command("send", _send),
    Command("config-get", _config_get),
    Command("config-set", _config_set, changes_state=True),
)}


@dataclass(frozen=True)
class ReplyTo:
    """Where an answer goes: the request's ResponseTopic and CorrelationData."""

    topic: str
    correlation: bytes | None


def publish_reply(client: Client, to: ReplyTo, reply: CommandReply) -> None:
    """Answers a command where its request asked (QoS 1, its CorrelationData)."""
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    if to.correlation is not None:
        props.CorrelationData = to.correlation
    client.publish(to.topic, reply.to_json(), qos=1, properties=props)


class ReplyCache:
    """The answers to the last :data:`CACHE_SIZE` request ids, shared by the gateway's
    dispatcher and the device workers (under a lock). A duplicate of a request still
    running waits for its answer instead of running again."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._done: OrderedDict[str, CommandReply] = OrderedDict()
        self._waiting: dict[str, list[ReplyTo]] = {}

    def begin(self, request_id: str, reply_to: ReplyTo) -> CommandReply | Begun:
        """``"new"``: the caller runs the request; a duplicate gets the stored answer, or
        ``"running"`` while the first is still running (it is answered on ``finish``)."""
        with self._lock:
            if request_id in self._done:
                self._done.move_to_end(request_id)
                return self._done[request_id]
            if request_id in self._waiting:
                self._waiting[request_id].append(reply_to)
                return "running"
            self._waiting[request_id] = [reply_to]
            return "new"

    def finish(self, request_id: str, reply: CommandReply) -> list[ReplyTo]:
        """Stores the answer; where to send it (the request and its duplicates)."""
        with self._lock:
            self._done[request_id] = reply
            while len(self._done) > self._size:
                self._done.popitem(last=False)
            return self._waiting.pop(request_id, [])
