"""The pin files of a simulated board (and of ``wamr-agent run --gpio FILE``), the
harness's side (docs/device-api.md):

- ``gpio.in``, written by the harness: one ``PIN LEVEL [RISES FALLS]`` line per
  input pin; RISES and FALLS count the edges made so far (the board counts their
  growth). Replaced atomically (write, then rename), so the board never reads half.
- ``gpio.out``, written by the board: one ``PIN MODE LEVEL`` line per configured pin.
- ``tmp105.mdeg``: the temperature the TMP105 model measures, in millidegrees C.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

GPIO_IN = "gpio.in"
GPIO_OUT = "gpio.out"
TMP105_FILE = "tmp105.mdeg"


def _numbers(line: str) -> list[int]:
    try:
        return [int(word, 0) for word in line.split("#", 1)[0].split()]
    except ValueError:
        return []


def read_inputs(path: Path) -> dict[int, tuple[int, int, int]]:
    """{pin: (level, rises, falls)} from a gpio.in file (absent: no inputs)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    found: dict[int, tuple[int, int, int]] = {}
    for line in text.splitlines():
        n = _numbers(line)
        if len(n) >= 2:
            n += [0, 0]
            found[n[0]] = (1 if n[1] else 0, n[2], n[3])
    return found


def read_outputs(path: Path) -> dict[int, tuple[int, int]]:
    """{pin: (mode, level)} from a gpio.out file (absent: nothing configured yet)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    return {n[0]: (n[1], n[2]) for n in map(_numbers, text.splitlines()) if len(n) == 3}


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class PinDriver:
    """Drives a board's gpio.in: ``set(pin, level)`` counts the edge it makes."""

    path: Path
    state: dict[int, list[int]] = field(default_factory=dict)

    def set(self, pin: int, level: int) -> None:
        s = self.state.setdefault(pin, [0, 0, 0])
        level = 1 if level else 0
        if level != s[0]:
            s[1 + (1 - level)] += 1
        s[0] = level
        _replace(self.path, "".join(f"{p} {v[0]} {v[1]} {v[2]}\n"
                                    for p, v in sorted(self.state.items())))


def set_temperature(path: Path, celsius: float) -> None:
    """Sets what a simulated board's TMP105 model measures (tmp105.mdeg)."""
    _replace(path, f"{round(celsius * 1000)}\n")
