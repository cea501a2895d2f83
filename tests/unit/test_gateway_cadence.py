"""When a gateway's worker reads a device's kept lines next (gateway.cadence): at
once while a run of reads finds lines, then after a period that shrinks with the
rate the device fills its ring at (lines read and dropped over the last second),
between LOGS_FASTEST and LOGS_EVERY. Times are given, not measured."""

from __future__ import annotations

import pytest

from wamr_agent.gateway.cadence import (
    LOGS_EVERY,
    LOGS_FASTEST,
    RATE_WINDOW,
    RECORD_BYTES,
    TARGET_BYTES,
    LogsCadence,
)
from wamr_agent.smp.app_results import LogEntry, LogPage

LINE = "telemetry tele n=1234.0"  # 23 bytes: 29 in the ring


def page(lines: int, dropped: int = 0, msg: str = LINE) -> LogPage:
    return LogPage(1, 100, dropped, tuple(LogEntry(1, i, 0, msg) for i in range(lines)))


def test_a_quiet_device_is_read_every_half_second() -> None:
    cadence = LogsCadence()
    assert cadence.read(0.0, page(0)) == LOGS_EVERY
    assert cadence.read(0.5, page(0)) == LOGS_EVERY


def test_a_read_that_finds_lines_is_followed_by_another_at_once() -> None:
    cadence = LogsCadence()
    assert cadence.read(0.0, page(27)) == 0.0
    assert cadence.read(0.001, page(3)) == 0.0
    assert cadence.read(0.002, page(0)) > 0.0


def test_a_device_printing_little_is_still_read_every_half_second() -> None:
    cadence = LogsCadence()
    cadence.read(0.0, page(2))  # 58 ring bytes a second: a quarter of it in 8.8 s
    assert cadence.read(0.001, page(0)) == LOGS_EVERY


def test_the_period_fills_a_quarter_of_the_ring_at_the_device_rate() -> None:
    cadence = LogsCadence()
    used = 0
    for k in range(5):  # 40 lines every 0.2 s: 200 lines, 5,800 ring bytes a second
        cadence.read(0.2 * k, page(27))
        cadence.read(0.2 * k + 0.001, page(13))
        used += 40 * (len(LINE) + RECORD_BYTES)
        wait = cadence.read(0.2 * k + 0.002, page(0))
    assert wait == pytest.approx(TARGET_BYTES / used * RATE_WINDOW)
    assert LOGS_FASTEST < wait < 0.2  # so no two bursts meet in the ring


def test_dropped_lines_count_and_the_period_stops_at_its_shortest() -> None:
    cadence = LogsCadence()
    cadence.read(0.0, page(27, dropped=900))  # the ring overwrote 900 lines
    assert cadence.read(0.001, page(0)) == LOGS_FASTEST


def test_the_rate_forgets_reads_older_than_its_window() -> None:
    cadence = LogsCadence()
    cadence.read(0.0, page(60))
    assert cadence.read(0.001, page(0)) < LOGS_EVERY
    assert cadence.read(0.5, page(0)) < LOGS_EVERY  # the busy read is within the second
    assert cadence.read(0.001 + RATE_WINDOW + 0.01, page(0)) == LOGS_EVERY
