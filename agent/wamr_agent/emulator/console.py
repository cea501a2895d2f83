"""The console (UART0) of an emulated board: a log file QEMU appends to, read as it grows.

``expect`` scans only output that is new since the previous match, so a test reads
the console like a person watching a terminal: each expectation continues where the
last one stopped. On timeout the error shows the last console lines and the log path.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Callable
from pathlib import Path

from .errors import ExpectTimeout

__all__ = ["DEFAULT_TIMEOUT", "TAIL_LINES", "Console"]

DEFAULT_TIMEOUT = 30.0
TAIL_LINES = 20
_POLL_SECONDS = 0.02

# Returns None while the emulator runs, else why it stopped ("QEMU exited with status 3").
ExitProbe = Callable[[], str | None]


class Console:
    """Reads ``path`` incrementally; ``exited`` tells a stopped emulator from a slow one."""

    def __init__(self, path: Path, exited: ExitProbe | None = None) -> None:
        self.log_path = path
        self._exited = exited
        self._offset = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._text = ""
        self._pos = 0

    @property
    def text(self) -> str:
        """Everything the console printed so far."""
        self._read()
        return self._text

    def lines(self) -> list[str]:
        """Every console line so far (a last, unfinished line included)."""
        return self.text.splitlines()

    def tail(self, count: int = TAIL_LINES) -> list[str]:
        return self.lines()[-count:]

    def rewind(self) -> None:
        """Treat everything printed so far as unseen: the next expect scans it all."""
        self._pos = 0

    def skip(self) -> None:
        """Treat everything printed so far as seen: later expects scan only newer output."""
        self._pos = len(self.text)

    def expect(self, pattern: str | re.Pattern[str],
               timeout: float = DEFAULT_TIMEOUT) -> re.Match[str]:
        """The first match of ``pattern`` in the output after the previous match.

        Waits up to ``timeout`` seconds for it; raises ExpectTimeout (with the last
        console lines and the log path) on timeout or when the emulator stops first.
        """
        __tracebackhide__ = True  # pytest: show the test's line, not this loop
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            match = regex.search(self._text, self._pos)
            if match is not None:
                self._pos = match.end()
                return match
            stopped = self._exited() if self._exited is not None else None
            if stopped is not None:
                self._read()
                if (match := regex.search(self._text, self._pos)) is not None:
                    self._pos = match.end()
                    return match
                raise ExpectTimeout(self.failure(f"{stopped} while waiting for "
                                                 f"{regex.pattern!r}"))
            if time.monotonic() >= deadline:
                raise ExpectTimeout(self.failure(f"timed out after {timeout:g} s waiting "
                                                 f"for {regex.pattern!r} on the console"))
            time.sleep(_POLL_SECONDS)

    def failure(self, headline: str) -> str:
        """``headline`` plus the last console lines and the log path, for error messages."""
        tail = self.tail()
        shown = "\n".join(f"  | {line}" for line in tail) if tail else "  (no output)"
        return (f"{headline}\nlast {len(tail)} console line(s):\n{shown}\n"
                f"console log: {self.log_path}")

    def _read(self) -> None:
        try:
            with self.log_path.open("rb") as stream:
                stream.seek(self._offset)
                data = stream.read()
        except FileNotFoundError:
            return
        if data:
            self._offset += len(data)
            self._text += self._decoder.decode(data)
