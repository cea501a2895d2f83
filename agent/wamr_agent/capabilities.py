"""Capability names a module can be granted (mirrors ``enum wa_cap``)."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import UsageError

# Device I/O (gpio, i2c) is granted like the rest; the board profile's [gpio] and [i2c]
# tables then limit which pins, buses and addresses it reaches (docs/device-api.md).
# storage: the app's own keys in flash; config: the configuration pushed from the fleet
# (config_get, on_config; docs/config.md).
CAPABILITIES: tuple[str, ...] = ("log", "time", "sensor", "telemetry", "wasi", "gpio", "i2c",
                                 "storage", "config")
ALL = (1 << len(CAPABILITIES)) - 1


def grant_mask(names: Iterable[str] | None) -> int:
    """Bit mask for capability names; None grants everything."""
    if names is None:
        return ALL
    mask = 0
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name not in CAPABILITIES:
            raise UsageError(f"unknown capability {raw!r}; known: {', '.join(CAPABILITIES)}")
        mask |= 1 << CAPABILITIES.index(name)
    return mask


def grant_names(mask: int) -> list[str]:
    return [name for i, name in enumerate(CAPABILITIES) if mask & (1 << i)]
