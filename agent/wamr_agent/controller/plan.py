"""What a rollout is asked to do, checked and worked out (docs/rollouts.md): its
targets (which devices), its waves (how many of them, cumulatively), its soak time
and its failure threshold. Pure functions: the controller's service applies them.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import UsageError

TARGET_KEYS = ("board", "gw", "device", "fw", "app")
DEFAULT_WAVES = ("1", "10%", "50%", "100%")
DEFAULT_SOAK = 30.0
DEFAULT_MAX_FAILURES = "10%"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)?")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


@dataclass(frozen=True)
class Candidate:
    """A device a rollout may take, as the fleet's retained state shows it."""

    gw: str
    dev: str
    board: str
    fw: str | None = None
    apps: tuple[str, ...] = ()  # names of the apps installed
    reachable: bool = True  # the device answers and its gateway is online

    @property
    def key(self) -> str:
        return f"{self.gw}/{self.dev}"


@dataclass(frozen=True)
class Target:
    """``KEY=PATTERN[,PATTERN...]``: a device matches when one pattern (an fnmatch
    glob) matches its KEY; a rollout takes the devices that match every target."""

    key: str
    patterns: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Target:
        key, sep, value = text.partition("=")
        key = key.strip()
        patterns = tuple(p.strip() for p in value.split(",") if p.strip())
        if not sep or key not in TARGET_KEYS or not patterns:
            raise UsageError(f"--target {text!r}: use KEY=VALUE with KEY one of "
                             f"{', '.join(TARGET_KEYS)} (e.g. board=esp32, gw=gw1, "
                             f"device=gw1/dev1; globs and a,b alternatives work)")
        return cls(key, patterns)

    def __str__(self) -> str:
        return f"{self.key}={','.join(self.patterns)}"

    def matches(self, c: Candidate) -> bool:
        values = {"board": [c.board], "gw": [c.gw], "device": [c.key, c.dev],
                  "fw": [c.fw or ""], "app": list(c.apps)}[self.key]
        return any(fnmatch.fnmatchcase(v, p) for v in values for p in self.patterns)


def select(candidates: Sequence[Candidate], targets: Sequence[Target]) -> list[Candidate]:
    """The devices that match every target, in wave order: reachable devices first
    (a canary should be one that answers), then by gateway and device id."""
    chosen = [c for c in candidates if all(t.matches(c) for t in targets)]
    return sorted(chosen, key=lambda c: (not c.reachable, c.gw, c.dev))


def parse_waves(items: Sequence[str]) -> list[str]:
    """The waves as given (``1``, ``10%``), checked: each a count >= 1 or a
    percentage in (0, 100], non-decreasing among their own kind."""
    waves = [w.strip() for item in items for w in item.split(",") if w.strip()]
    if not waves:
        raise UsageError("--waves needs at least one wave (e.g. 1,10%,50%,100%)")
    for w in waves:
        try:
            ok = 0 < float(w[:-1]) <= 100 if w.endswith("%") else int(w) >= 1
        except ValueError:
            ok = False
        if not ok:
            raise UsageError(f"--waves {','.join(waves)}: {w!r} is neither a device count "
                             f"(>= 1) nor a percentage (0-100%)")
    return waves


def wave_sizes(waves: Sequence[str], total: int) -> list[int]:
    """Cumulative device counts per wave for ``total`` devices: a count is that many
    devices in all, a percentage that share of ``total`` (rounded up). A wave that
    would add no device is dropped, and a last wave takes every device left, so the
    counts grow strictly and end at ``total``."""
    sizes: list[int] = []
    for w in waves:
        n = math.ceil(float(w[:-1]) * total / 100) if w.endswith("%") else int(w)
        n = min(n, total)
        if n > (sizes[-1] if sizes else 0):
            sizes.append(n)
    if total and (not sizes or sizes[-1] < total):
        sizes.append(total)
    return sizes


@dataclass(frozen=True)
class Threshold:
    """``--max-failures``: a count (``2``: halt at the third failure) or a share of
    the devices that answered (``10%``: halt when failures exceed it)."""

    text: str

    @classmethod
    def parse(cls, text: str) -> Threshold:
        t = text.strip()
        try:
            ok = 0 <= float(t[:-1]) <= 100 if t.endswith("%") else int(t) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise UsageError(f"--max-failures {text!r}: a count of devices (>= 0) or a "
                             f"percentage (0-100%) of the devices that answered")
        return cls(t)

    def exceeded(self, failed: int, answered: int) -> bool:
        """Whether ``failed`` failures among ``answered`` devices are past it."""
        if self.text.endswith("%"):
            return failed > float(self.text[:-1]) * answered / 100
        return failed > int(self.text)

    def __str__(self) -> str:
        return self.text


def parse_duration(text: str, what: str = "--soak") -> float:
    """Seconds from ``30``, ``30s``, ``500ms``, ``2m``, ``1h``."""
    found = _DURATION.fullmatch(text.strip())
    if not found:
        raise UsageError(f"{what} {text!r}: a duration such as 30s, 500ms, 2m or 1h")
    return float(found[1]) * _UNITS[found[2]]
