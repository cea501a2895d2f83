"""Apps written into a fresh flash image before boot (``--preload app.wasm``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..boards import Board
from ..errors import InputError
from .flashimage import write_flash_image

__all__ = ["Preload", "load_apps", "write_preload"]

# A .wasm path (app named after the file) or an explicit (name, module bytes) pair.
Preload = Sequence[Path | tuple[str, bytes]]


def load_apps(preload: Preload) -> list[tuple[str, bytes]]:
    """(name, bytes) for each item; InputError for a file that cannot be read."""
    apps: list[tuple[str, bytes]] = []
    for item in preload:
        if isinstance(item, tuple):
            apps.append(item)
            continue
        try:
            apps.append((item.stem, item.read_bytes()))
        except OSError as exc:
            raise InputError(f"{item}: cannot read app to preload: {exc.strerror}") from exc
    return apps


def write_preload(flash: Path, board: Board, preload: Preload) -> None:
    """Writes a fresh ``flash`` holding the apps (layout: wamr_agent.emulator.flashimage)."""
    write_flash_image(flash, board, load_apps(preload))
