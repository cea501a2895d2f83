"""Reading a device's kept console lines page by page (the wasm-app group's logs
command), optionally following them: the reader restarts from line 0 when the
device's boot count changes, and reports lines the device overwrote before they
were read."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from .app_results import LogEntry, LogPage

POLL_INTERVAL = 0.5  # seconds between polls of a device with nothing new


class LogSource(Protocol):
    def logs(self, since: int = 0) -> LogPage: ...


@dataclass(frozen=True)
class LogNotice:
    """Something the reader noticed between lines: lines lost, or a reboot."""

    kind: Literal["dropped", "reboot"]
    count: int  # lines dropped; for a reboot, the new boot count

    @property
    def text(self) -> str:
        if self.kind == "reboot":
            return f"device rebooted (boot {self.count}); its log from the start"
        return (f"{self.count} line{'s' if self.count != 1 else ''} dropped "
                "(overwritten on the device before they were read)")

    def as_dict(self) -> dict[str, Any]:
        key = "boot" if self.kind == "reboot" else "dropped"
        return {"notice": self.kind, key: self.count, "text": self.text}


def stoppable_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A sleep for :func:`read_logs` that raises KeyboardInterrupt once ``stop`` is
    set: the CLI's Ctrl-C handler sets it beside raising KeyboardInterrupt, so a
    follow whose KeyboardInterrupt Python dropped (raised inside a finalizer the
    garbage collector ran) still ends at its next poll."""
    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise KeyboardInterrupt
    return sleep


def read_logs(source: LogSource, since: int = 0, *, follow: bool = False,
              interval: float = POLL_INTERVAL,
              sleep: Callable[[float], None] = time.sleep) -> Iterator[LogEntry | LogNotice]:
    """The device's lines from sequence number ``since`` on, oldest first. Without
    ``follow`` it ends at the first empty answer; with it, it polls every
    ``interval`` seconds while there is nothing new, until the caller stops."""
    boot: int | None = None
    while True:
        page = source.logs(since)
        if boot is not None and page.boot != boot:
            boot, since = page.boot, 0
            yield LogNotice("reboot", page.boot)
            continue
        boot, since = page.boot, page.next
        if page.dropped:
            yield LogNotice("dropped", page.dropped)
        yield from page.lines
        if page.lines:
            continue
        if not follow:
            return
        sleep(interval)
