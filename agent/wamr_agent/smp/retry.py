"""Retries of SMP requests over a link that loses, corrupts or delays frames:
a request waits for an answer carrying the sequence number of one of its
attempts (a late answer to an earlier request is dropped; a late answer to an
earlier attempt of the same request is as good as any, and often better: the
device may have acted on that attempt and answered a repeat differently), an
attempt that gets none is sent again with a new sequence number after a
timeout that doubles (backoff), and all attempts of a request together stay
within its budget (the link's timeout; for the first upload chunk, which
erases flash, a longer one). A request that must not run twice (``once``)
gets one attempt, which waits the whole budget.

The first attempt's timeout follows the round trips measured so far, per
command (RFC 6298's smoothed RTT plus four deviations, Karn's rule: a retried
request is not measured), so a lost frame costs a few round trips, not the
link's whole timeout. Round trips are kept per byte of the request (plus
OVERHEAD bytes for the answer and the device's work): on a slow line an
upload chunk takes as long as it is, and chunks change size."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .streams import SmpLinkTimeout

OVERHEAD = 64  # bytes a round trip costs beside its request's (answer, device work)

Exchange = Callable[[bytes, Callable[[bytes], bool], float], bytes]


@dataclass
class Rtt:
    """A smoothed round-trip time and its deviation (RFC 6298, 2)."""

    srtt: float | None = None
    rttvar: float = 0.0

    def sample(self, rtt: float) -> None:
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt

    def timeout(self, floor: float, initial: float) -> float:
        return initial if self.srtt is None else max(floor, self.srtt + 4 * self.rttvar)


@dataclass
class RetryPolicy:
    """How a client retries; ``stats`` counts what it did (for tests and reports)."""

    initial: float = 1.0  # an attempt's timeout before any round trip was measured
    floor: float = 0.05  # the least attempt timeout
    backoff: float = 2.0  # each further attempt waits this much longer
    first_chunk: float = 20.0  # budget of an upload's first chunk (it erases flash)
    rtts: dict[tuple[int, int], Rtt] = field(default_factory=dict)
    retries: int = 0  # attempts sent again, over the client's life
    clock: Callable[[], float] = time.monotonic
    _all: Rtt = field(default_factory=Rtt)  # every command's round trips

    def send(self, exchange: Exchange, make: Callable[[int], bytes], budget: float,
             once: bool = False) -> bytes:
        """The answer to the message ``make(attempt)`` builds (attempt 0, 1, ...: each
        with a sequence number of its own), sent again after each attempt that gets
        none; SmpLinkTimeout once ``budget`` seconds are spent (other link failures
        pass through)."""
        message = make(0)
        rtt = self.rtts.setdefault((int.from_bytes(message[4:6], "big"), message[7]), Rtt())
        deadline, attempt = self.clock() + budget, 0
        expected: set[tuple[int, int, int, int] | None] = set()
        while True:
            expected.add(_key(message, answer=True))
            size, began = len(message) + OVERHEAD, self.clock()
            wait = budget if once else self._wait(rtt, size) * self.backoff ** attempt
            try:
                frame = exchange(message, lambda f: _key(f) in expected,
                                 max(0.001, min(wait, deadline - began)))
            except SmpLinkTimeout as exc:
                attempt += 1
                if once or deadline - self.clock() <= 0.001:
                    where = str(exc).rsplit(": no answer", 1)[0]
                    raise SmpLinkTimeout(f"{where}: no answer within {budget:g} s ({attempt} "
                                         "attempts)", exc.hint) from None
                self.retries += 1
                message = make(attempt)
                continue
            if attempt == 0:
                per_byte = (self.clock() - began) / size
                rtt.sample(per_byte)
                self._all.sample(per_byte)
            return frame

    def _wait(self, rtt: Rtt, size: int) -> float:
        """The first attempt's timeout for a request of ``size`` bytes (with
        OVERHEAD): by the command's own round trips, else four times any
        command's, else ``initial``."""
        if rtt.srtt is not None:
            return max(self.floor, rtt.timeout(0.0, self.initial) * size)
        if self._all.srtt is not None:
            return min(self.initial, max(self.floor, 4 * self._all.timeout(0.0, 0.0) * size))
        return self.initial


def _key(frame: bytes | bytearray, answer: bool = False) -> tuple[int, int, int, int] | None:
    """(op, group, seq, command) of a message; ``answer``: of the answer it expects."""
    if len(frame) < 8:
        return None
    op = frame[0] & 7
    return (op + 1 if answer else op, int.from_bytes(frame[4:6], "big"), frame[6], frame[7])
