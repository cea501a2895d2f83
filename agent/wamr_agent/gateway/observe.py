"""What the gateway makes of a device's answers: its retained state (from the
device status, the app list and each app's configuration) and telemetry values
(from the kept console lines ``telemetry <app> <key>=<value>``,
firmware/core/agent/wa_runner.c)."""

from __future__ import annotations

import math
import re
import time
from dataclasses import replace
from typing import Any

from ..access import DeviceAccess
from ..errors import WamrAgentError
from ..mqtt.topics import AppSummary, DeviceState, Telemetry
from ..smp.app_results import AppInfo, DeviceStatus, LogEntry
from ..smp.streams import SmpLinkError

Configs = dict[str, dict[str, Any] | None]

REFRESH_SECONDS = 30.0  # a state unchanged this long is published again

_TELEMETRY = re.compile(r"telemetry (\S+) ([^=\s]+)=(\S+)")


def summary(app: AppInfo, configs: Configs | None = None) -> AppSummary:
    return AppSummary(name=app.name, version=app.version, sha256=app.sha, state=app.state,
                      life=app.life, reason=app.reason.text if app.reason else None,
                      slot=app.slot, config=(configs or {}).get(app.name))


def device_state(board: str, status: DeviceStatus, apps: list[AppInfo],
                 seen: float, configs: Configs | None = None) -> DeviceState:
    return DeviceState(board=board, fw=status.fw, reachable=True, last_seen=seen,
                       uptime_ms=status.uptime_ms, boot=status.boot, reset=status.reset,
                       heap_free=status.heap_free, free_slots=status.slots_free,
                       apps=[summary(a, configs) for a in apps])


def apps_key(status: DeviceStatus, apps: list[AppInfo]) -> tuple[Any, ...]:
    """What the apps' configurations are read again on a change of: the boot, and
    each app's module and run and lifecycle states (a start delivers it again)."""
    return status.boot, tuple((a.name, a.sha, a.state, a.life) for a in apps)


def read_configs(device: DeviceAccess, apps: list[AppInfo]) -> Configs:
    """Each app's configuration (without its name); None where the device refuses
    (an app not granted config, a device without the command). SmpLinkError
    raises: the link is lost."""
    configs: Configs = {}
    for name in dict.fromkeys(a.name for a in apps):
        try:
            state = device.config_get(name).as_dict()
        except SmpLinkError:
            raise
        except WamrAgentError:
            state = None
        configs[name] = None if state is None else {k: v for k, v in state.items()
                                                     if k != "name"}
    return configs


def unreachable(board: str, last: DeviceState | None) -> DeviceState:
    """The state of a device the gateway cannot reach: what it last knew, marked so."""
    if last is None:
        return DeviceState(board, None, False, None, None, None, None, None, None, [])
    return replace(last, reachable=False)


def telemetry(entry: LogEntry, now: float | None = None) -> tuple[str, Telemetry] | None:
    """``(app, value)`` for a telemetry line, else None. A value the device printed as
    ``nan`` or ``inf`` is None."""
    found = _TELEMETRY.fullmatch(entry.msg.rstrip())
    if found is None:
        return None
    try:
        value: float | None = float(found[3])
    except ValueError:
        return None
    if value is not None and not math.isfinite(value):
        value = None
    ts = time.time() if now is None else now
    return found[1], Telemetry(found[2], value, entry.t_ms, entry.boot, ts)


class StateTracker:
    """Decides when a device's state is published: when it changes (uptime and
    ``last_seen`` aside) and at least every :data:`REFRESH_SECONDS`. Owned by one
    device's worker thread."""

    def __init__(self, refresh: float = REFRESH_SECONDS) -> None:
        self.current: DeviceState | None = None
        self._refresh = refresh
        self._published_at = -math.inf

    def update(self, state: DeviceState, now: float) -> bool:
        """Records ``state``; True when it should be published now."""
        changed = self.current is None or _key(self.current) != _key(state)
        self.current = state
        if changed or now - self._published_at >= self._refresh:
            self._published_at = now
            return True
        return False


def _key(state: DeviceState) -> DeviceState:
    return replace(state, uptime_ms=None, last_seen=None)
