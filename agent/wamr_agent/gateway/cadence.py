"""How often a device worker reads the device's kept console lines (the SMP
``logs`` command): every half second while the device prints little, more often
while it prints fast.

The device keeps its recent lines in a ring of :data:`RING_BYTES` (each line its
text and :data:`RECORD_BYTES`: about 65 telemetry lines) and answers a read with
a page of at most 1 KiB; lines the ring overwrote before a read are lost to the
gateway (a ``{"dropped": n}`` notice). Read every half second, a device that
prints more than about 4 KB/s (130 telemetry lines) loses lines; read often, an
idle device costs its UART about 100 bytes per read for nothing. So:

- a read that finds lines is followed by another at once (the ring may hold more
  than a page); such a run of reads ends with one that finds none;
- the next run starts when the ring, at the rate the device filled it over the
  last :data:`RATE_WINDOW` s (lines read and dropped), holds a quarter of its bytes
  (:data:`TARGET_BYTES`), but not sooner than :data:`LOGS_FASTEST` nor later than
  :data:`LOGS_EVERY`. So a burst of up to three quarters of the ring between two
  runs is not lost.
"""

from __future__ import annotations

from collections import deque

from ..smp.app_results import LogPage

LOGS_EVERY = 0.5  # s between reads of a device that prints little
LOGS_FASTEST = 0.05  # s between reads of a device that prints fast
RING_BYTES = 2048  # the device's ring of kept lines (docs/protocol.md, "Logs")
RECORD_BYTES = 6  # the ring's bytes per line besides its text (firmware wa_log.c)
TARGET_BYTES = RING_BYTES // 4
RATE_WINDOW = 1.0  # s of reads the device's rate is measured over


class LogsCadence:
    """When one device's next read of its kept lines is due; owned by its worker."""

    def __init__(self) -> None:
        self._reads: deque[tuple[float, int]] = deque()  # (when, ring bytes it took)

    def read(self, now: float, page: LogPage) -> float:
        """Records a read at ``now`` that answered ``page``; the seconds until the
        next read (0: at once)."""
        self._reads.append((now, _ring_bytes(page)))
        while self._reads[0][0] < now - RATE_WINDOW:
            self._reads.popleft()
        if page.lines:
            return 0.0
        rate = sum(used for _, used in self._reads) / RATE_WINDOW
        if rate <= 0:
            return LOGS_EVERY
        return min(LOGS_EVERY, max(LOGS_FASTEST, TARGET_BYTES / rate))


def _ring_bytes(page: LogPage) -> int:
    """The ring's bytes the page's lines and its dropped lines took (a dropped line
    counts as the page's mean line, or as a short one)."""
    used = sum(len(entry.msg.encode()) + RECORD_BYTES for entry in page.lines)
    mean = used // len(page.lines) if page.lines else 32
    return used + page.dropped * mean
