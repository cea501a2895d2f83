"""A version's trial policy (the manifest's ``health``, ota/FORMAT.md): apart from
the bundle code so that the CLI's options can name its defaults without importing
cbor2 and cryptography."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

U32_MAX = 0xFFFFFFFF
_DURATION = re.compile(r"(\d+)(ms|s|m)?")
_UNIT_MS = {None: 1, "ms": 1, "s": 1000, "m": 60_000}


def parse_duration_ms(text: str | int) -> int:
    """``500ms``, ``5s``, ``2m`` or plain milliseconds (a health window), as
    milliseconds; ValueError saying why not."""
    found = _DURATION.fullmatch(str(text).strip())
    if found is None:
        raise ValueError(f"{text!r} is not a duration (500ms, 5s, 2m, or milliseconds)")
    ms = int(found[1]) * _UNIT_MS[found[2]]
    if ms > U32_MAX:
        raise ValueError(f"{text} is longer than {U32_MAX} ms")
    return ms


@dataclass(frozen=True)
class Health:
    """Trial policy: confirm after ``loops`` loop rounds with at most ``traps`` traps,
    and not before ``window_ms`` on trial; ``confirm="manual"``: only an operator
    confirms."""

    loops: int = 10
    traps: int = 0
    window_ms: int = 0
    confirm: str = "auto"

    def to_cbor_map(self) -> dict[str, Any]:
        return {"loops": self.loops, "traps": self.traps, "window": self.window_ms,
                "confirm": self.confirm}

    def describe(self) -> str:
        when = (f"after {self.loops} loop rounds with at most {self.traps} traps"
                + (f", and {self.window_ms} ms on trial at least" if self.window_ms else ""))
        if self.confirm == "manual":
            return f"stays on trial until an operator confirms it (healthy {when})"
        return f"confirmed automatically {when}"
