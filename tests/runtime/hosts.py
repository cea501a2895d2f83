"""Hosts shared by the runtime tests."""

from __future__ import annotations

from wamr_agent.pywamr import Host


class Lines(Host):
    """Keeps the app's log lines (any stream) in ``lines``."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def log(self, stream: str, text: str) -> None:
        self.lines.append(text)
