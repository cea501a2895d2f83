"""The MQTT topic tree (docs/mqtt.md), defined once: topic builders, topic
parsers, and the payload models with ``to_json``/``from_json``. Nothing else in
the package formats or splits a topic.

Root ``wamr/v1``; under it one subtree per gateway (``<gw>``) with one per device
(``<dev>``), ``clients/<client-id>/res`` for the answers to a client's commands,
and ``controller/`` for the rollout controller (its ``$state`` and its commands,
``controller/rollouts/cmd/<verb>``). Ids are single topic levels: no ``/``,
``+``, ``#``, no leading ``$``, and neither ``clients`` nor ``controller``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from ..errors import UsageError, WamrAgentError, rebuild

ROOT = "wamr/v1"
CLIENTS = "clients"
CONTROLLER = "controller"
RESERVED = (CLIENTS, CONTROLLER)  # second-level names that are not gateways
GatewayState = Literal["online", "offline", "lost"]
GATEWAY_STATES: tuple[GatewayState, ...] = ("online", "offline", "lost")
VERBS = ("ps", "status", "logs", "start", "stop", "rm", "confirm", "rollback", "send",
         "config-get", "config-set", "deploy", "job")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def check_id(what: str, value: str) -> str:
    """``value`` when it is a valid gateway, device or client id; else UsageError."""
    if not _ID.fullmatch(value) or value in RESERVED:
        raise UsageError(f"{what} {value!r}: use letters, digits, '-', '_', '.' and ':' "
                         f"(at most 64, starting with a letter or digit; not "
                         f"{' or '.join(map(repr, RESERVED))})")
    return value


def check_name(what: str, value: str) -> str:
    """``value`` when it has the form of an id (a user name of the broker: a gateway's
    is its id, checked with :func:`check_id`; ``controller`` is a user too)."""
    if not _ID.fullmatch(value):
        raise UsageError(f"{what} {value!r}: use letters, digits, '-', '_', '.' and ':' "
                         f"(at most 64, starting with a letter or digit)")
    return value


# -- topic builders ------------------------------------------------------------------

def gateway_root(gw: str) -> str:
    """The subtree of gateway ``gw`` (for messages; a filter is ``gateway_root(gw)/#``)."""
    return f"{ROOT}/{gw}"


def gateway_state(gw: str) -> str:
    return f"{ROOT}/{gw}/$state"


def gateway_info(gw: str) -> str:
    return f"{ROOT}/{gw}/$info"


def device_state(gw: str, dev: str) -> str:
    return f"{ROOT}/{gw}/{dev}/state"


def telemetry(gw: str, dev: str, app: str) -> str:
    return f"{ROOT}/{gw}/{dev}/telemetry/{app}"


def logs(gw: str, dev: str) -> str:
    return f"{ROOT}/{gw}/{dev}/logs"


def command(gw: str, dev: str, verb: str) -> str:
    return f"{ROOT}/{gw}/{dev}/cmd/{verb}"


def client_responses(client_id: str) -> str:
    return f"{ROOT}/{CLIENTS}/{client_id}/res"


def gateway_commands(gw: str) -> str:
    """Filter: every command to any device of gateway ``gw``."""
    return f"{ROOT}/{gw}/+/cmd/+"


def controller_state() -> str:
    """The controller's ``$state`` (retained: online, offline; lost is its will)."""
    return f"{ROOT}/{CONTROLLER}/$state"


ROLLOUTS = "rollouts"  # the controller's commands are those of a device of this name


def controller_command(verb: str) -> str:
    """A command to the rollout controller (docs/rollouts.md)."""
    return f"{ROOT}/{CONTROLLER}/{ROLLOUTS}/cmd/{verb}"


def parse_controller_command(topic: str) -> str | None:
    """The verb of a command to the controller, or None for any other topic."""
    prefix = controller_command("")
    verb = topic[len(prefix):] if topic.startswith(prefix) else ""
    return verb if verb and "/" not in verb else None


FLEET_FILTERS = (f"{ROOT}/+/$state", f"{ROOT}/+/$info", f"{ROOT}/+/+/state")
"""Filters of the retained topics a fleet view reads."""


# -- topic parsers -------------------------------------------------------------------

@dataclass(frozen=True)
class Topic:
    """A topic of the tree, split: ``kind`` is ``$state``, ``$info``, ``state``,
    ``telemetry``, ``logs`` or ``cmd``; ``leaf`` the app (telemetry) or verb (cmd)."""

    kind: str
    gw: str
    dev: str | None = None
    leaf: str | None = None


def parse(topic: str) -> Topic | None:
    """The parts of a topic of the tree, or None for any other topic."""
    parts = topic.split("/")
    if parts[:2] != ROOT.split("/") or len(parts) < 4 or parts[2] in RESERVED:
        return None
    gw, rest = parts[2], parts[3:]
    if len(rest) == 1 and rest[0] in ("$state", "$info"):
        return Topic(rest[0], gw)
    if len(rest) == 2 and rest[1] in ("state", "logs"):
        return Topic(rest[1], gw, rest[0])
    if len(rest) == 3 and rest[1] in ("telemetry", "cmd"):
        return Topic(rest[1], gw, rest[0], rest[2])
    return None


# -- payloads ------------------------------------------------------------------------

def _load(data: bytes | str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"not a JSON object: {value!r}")
    return value


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``d`` that are fields of ``cls``: readers ignore keys they do not know."""
    return {k: v for k, v in d.items() if k in {f.name for f in fields(cls)}}


def _dump(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def state_payload(state: GatewayState) -> bytes:
    """``$state`` is plain text, as Homie's."""
    return state.encode()


def parse_state(data: bytes) -> GatewayState | None:
    text = data.decode(errors="replace")
    return next((s for s in GATEWAY_STATES if s == text), None)


@dataclass(frozen=True)
class GatewayInfo:
    id: str
    version: str
    devices: list[str]
    started: float  # unix time

    def to_json(self) -> bytes:
        return _dump(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> GatewayInfo:
        d = _load(data)
        return cls(str(d["id"]), str(d["version"]), [str(x) for x in d["devices"]],
                   float(d["started"]))


@dataclass(frozen=True)
class AppSummary:
    """One installed app (slot) in a device's state."""

    name: str
    version: str | None
    sha256: str | None
    state: str  # running, stopped, disabled, refused
    life: str | None  # staged, trial, confirmed, reverted, failed
    reason: str | None  # why reverted or failed: the device's message
    slot: int
    # the app's configuration (docs/config.md): desired, applied, status, code, values;
    # None for an app not granted config (or a device without it)
    config: dict[str, Any] | None = None


@dataclass(frozen=True)
class DeviceState:
    """A device as its gateway last saw it (retained)."""

    board: str
    fw: str | None
    reachable: bool
    last_seen: float | None  # unix time of the device's last answer
    uptime_ms: int | None
    boot: int | None
    reset: str | None
    heap_free: int | None
    free_slots: int | None
    apps: list[AppSummary] = field(default_factory=list)

    def to_json(self) -> bytes:
        return _dump(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> DeviceState:
        d = _load(data)
        apps = [AppSummary(**_known(AppSummary, a)) for a in d.pop("apps", [])]
        return cls(**_known(cls, d), apps=apps)


@dataclass(frozen=True)
class Telemetry:
    key: str
    value: float | None  # None: the device printed nan or inf
    t_ms: int  # device time, ms since boot
    boot: int
    ts: float  # gateway unix time

    def to_json(self) -> bytes:
        return _dump(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> Telemetry:
        return cls(**_known(cls, _load(data)))


@dataclass(frozen=True)
class LogLine:
    seq: int
    t_ms: int
    boot: int
    msg: str

    def to_json(self) -> bytes:
        return _dump(asdict(self))


@dataclass(frozen=True)
class LogDropped:
    """Lines the device overwrote before the gateway read them."""

    dropped: int

    def to_json(self) -> bytes:
        return _dump(asdict(self))


def parse_log(data: bytes | str) -> LogLine | LogDropped:
    d = _load(data)
    return LogDropped(int(d["dropped"])) if "dropped" in d else LogLine(**_known(LogLine, d))


@dataclass(frozen=True)
class CommandRequest:
    """A command's payload; the response topic and correlation data travel as MQTT 5
    properties."""

    id: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return _dump(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> CommandRequest:
        d = _load(data)
        if not isinstance(d.get("id"), str) or not d["id"]:
            raise ValueError("the command has no string 'id'")
        args = d.get("args", {})
        if not isinstance(args, dict):
            raise ValueError("the command's 'args' is not an object")
        return cls(d["id"], args)


@dataclass(frozen=True)
class WireError:
    """An exception of the package as a command answers it: enough for the client to
    raise the same class with the same exit code."""

    type: str  # the exception's class name
    code: str  # AgentErr name
    message: str  # one line
    exit_code: int

    @classmethod
    def of(cls, exc: WamrAgentError) -> WireError:
        message = " ".join(str(exc).split("\n")[0].split()) or type(exc).__name__
        return cls(type(exc).__name__, exc.code.name, message, exc.exit_code)

    def exception(self) -> WamrAgentError:
        """The exception the command raised on the gateway, raised here."""
        return rebuild(self.type, self.code, self.message, self.exit_code)


@dataclass(frozen=True)
class CommandReply:
    ok: bool
    result: dict[str, Any] | None = None
    error: WireError | None = None

    def to_json(self) -> bytes:
        if self.ok:
            return _dump({"ok": True, "result": self.result or {}})
        assert self.error is not None
        return _dump({"ok": False, "error": asdict(self.error)})

    @classmethod
    def from_json(cls, data: bytes | str) -> CommandReply:
        d = _load(data)
        if d.get("ok") is True:
            return cls(True, result=dict(d.get("result") or {}))
        e = d["error"]
        return cls(False, error=WireError(str(e["type"]), str(e["code"]), str(e["message"]),
                                          int(e["exit_code"])))
