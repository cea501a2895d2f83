"""Recorded sensor data played back to an app (``--sensor-data file.csv``).

Format: a header line naming columns ``ch0,ch1,...``; then one sample per
column per line. The N-th ``sensor_read(channel)`` returns row N of column
``ch<channel>``; past the last row (or an empty cell) the channel has no data
and the app sees WA_ERR_NOT_FOUND.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .errors import InputError


class SensorPlayback:
    """Per-channel queues of recorded samples."""

    def __init__(self, channels: dict[int, list[float]]) -> None:
        self.channels = channels
        self.position = dict.fromkeys(channels, 0)

    @classmethod
    def from_csv(cls, path: str | Path) -> SensorPlayback:
        p = Path(path)
        try:
            lines = p.read_text().splitlines()
        except OSError as exc:
            raise InputError(f"{p}: cannot read sensor data: {exc.strerror}") from exc
        rows = list(csv.reader(lines))
        if not rows:
            raise InputError(f"{p}: empty sensor data file (expected a header like ch0,ch1)")
        channels = {_channel(p, name): i for i, name in enumerate(rows[0])}
        data: dict[int, list[float]] = {ch: [] for ch in channels}
        for n, row in enumerate(rows[1:], start=2):
            for ch, col in channels.items():
                cell = row[col].strip() if col < len(row) else ""
                if cell:
                    data[ch].append(_number(p, n, cell))
        return cls(data)

    def read(self, channel: int) -> float | None:
        samples = self.channels.get(channel)
        if samples is None or self.position[channel] >= len(samples):
            return None
        self.position[channel] += 1
        return samples[self.position[channel] - 1]


def _channel(path: Path, name: str) -> int:
    name = name.strip()
    if not (name.startswith("ch") and name[2:].isdigit()):
        raise InputError(f"{path}: header column {name!r} is not a channel name like ch0")
    return int(name[2:])


def _number(path: Path, line: int, cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise InputError(f"{path}:{line}: {cell!r} is not a number") from None
