"""Capability names a module can be granted (mirrors ``enum wa_cap``)."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import UsageError

CAPABILITIES: tuple[str, ...] = ("log", "time", "sensor", "telemetry", "wasi")
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
