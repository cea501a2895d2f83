"""An app's configuration pushed from the fleet (docs/config.md): desired string
key/values with a version number that grows per app, and what the device reports
of them (the version the app applied, and how the last delivery went), as a
device shadow has them.

:func:`set_config` works on any :class:`~wamr_agent.access.DeviceAccess` (over SMP,
or through a gateway): it reads the device's desired version, sends the change as
the next version (a retry of that version stores nothing again on the device) and
raises unless the app applied it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .agent_err import AgentErr
from .errors import ConfigPending, ConfigRejected, UsageError, WamrAgentError

if TYPE_CHECKING:
    from .access import DeviceAccess

STATUSES = ("none", "applied", "pending", "rejected", "trapped")  # enum wa_config_status
KEY_MAX = 32  # bytes of a key (WA_KV_KEY_MAX)
VALUE_MAX = 256  # bytes of a value (WA_KV_VALUE_MAX)
BYTES_MAX = 512  # keys + values of one app (WA_AGENT_CONFIG_BYTES)
NOT_GRANTED = {AgentErr.NOT_GRANTED: "the app is not granted the config capability (deploy it "
                                     "with config in its capabilities)"}


@dataclass(frozen=True)
class ConfigState:
    """An app's configuration on a device: desired (``desired`` version, ``values``;
    None when not asked) and reported (``applied``: the version the running app
    applied last, ``status`` of the delivery: applied, rejected, trapped, pending,
    none; ``code``: what on_config returned, or the trap's AgentErr)."""

    name: str
    desired: int
    applied: int
    status: str
    code: int = 0
    values: dict[str, str] | None = None

    @classmethod
    def from_response(cls, name: str, rsp: Any) -> ConfigState:
        status = STATUSES[rsp.status] if rsp.status < len(STATUSES) else f"status {rsp.status}"
        return cls(name, rsp.desired, rsp.applied, status, rsp.code,
                   dict(rsp.values) if hasattr(rsp, "values") else None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """``applied``, ``rejected (on_config returned 3)``, ..."""
        if self.status == "rejected":
            return f"rejected (on_config returned {self.code})"
        if self.status == "trapped":
            return f"trapped in on_config ({_err_name(self.code)}, {self.code})"
        if self.status == "pending":
            return "pending (the app does not run; it gets it when it starts)"
        return self.status


def _err_name(code: int) -> str:
    try:
        return f"WA_ERR_{AgentErr(code).name}"
    except ValueError:
        return "WA_ERR_UNKNOWN"


def _size(text: str) -> int:
    return len(text.encode())


def check_key(key: str) -> str:
    if not 1 <= _size(key) <= KEY_MAX:
        raise UsageError(f"config key {key!r}: 1 to {KEY_MAX} bytes (UTF-8)")
    return key


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["k=v", ...]`` as a dict (the first ``=`` splits; a value may hold more)."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"{item!r}: give KEY=VALUE")
        if _size(value) > VALUE_MAX:
            raise UsageError(f"config value of {key!r}: {_size(value)} bytes; at most "
                             f"{VALUE_MAX}")
        values[check_key(key)] = value
    return values


def _merged_size(now: Mapping[str, str], values: Mapping[str, str],
                 unset: Iterable[str]) -> int:
    merged = {**now, **values}
    for key in unset:
        merged.pop(key, None)
    return sum(_size(k) + _size(v) for k, v in merged.items())


def set_config(device: DeviceAccess, name: str, values: Mapping[str, str],
               unset: Iterable[str] = ()) -> ConfigState:
    """Sets ``values`` and removes the keys ``unset`` of app ``name``'s configuration,
    as its next version; the device's answer once it delivered it. Raises
    ConfigRejected (on_config returned non-zero or trapped), ConfigPending (stored;
    the app does not run), the device's refusals (no such app: UsageError; not
    granted: LinkError) and UsageError for keys or values the device cannot hold."""
    gone = [check_key(k) for k in unset]
    if not values and not gone:
        raise UsageError("config set: give KEY=VALUE or --unset KEY")
    now = device.config_get(name)
    size = _merged_size(now.values or {}, values, gone)
    if size > BYTES_MAX:
        raise UsageError(f"app {name!r}'s configuration would hold {size} bytes of keys and "
                         f"values; at most {BYTES_MAX}")
    state = device.config_set(name, now.desired + 1, dict(values), gone)
    return check_applied(state, now.desired + 1)


def check_applied(state: ConfigState, version: int) -> ConfigState:
    """``state`` when the app applied ``version``; else the error that says why not."""
    where = f"app {state.name!r}: config version {version}"
    if state.desired != version:
        raise WamrAgentError(f"{where} not stored: the device holds version {state.desired} "
                             "(another change came first); try again", AgentErr.BAD_STATE)
    if state.status == "pending":
        raise ConfigPending(f"{where} stored, not applied: the app does not run (it gets it "
                            "when it starts)")
    if state.status != "applied" or state.applied != version:
        raise ConfigRejected(f"{where} stored, not applied: {state.describe()}; the app "
                             f"applied version {state.applied}")
    return state
