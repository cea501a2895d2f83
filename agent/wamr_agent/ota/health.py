"""A version's trial policy (the manifest's ``health``, ota/FORMAT.md): apart from
the bundle code so that the CLI's options can name its defaults without importing
cbor2 and cryptography."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
