"""Apps written into a fresh flash image before boot (``--preload app.wasm``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..boards import Board
from ..errors import InputError
from .flashimage import PreloadApp, write_flash_image

__all__ = ["Preload", "PreloadApp", "load_apps", "write_preload"]

# A .wasm path (app named after the file), an explicit (name, module bytes) pair, or
# a PreloadApp (which can also set grants and a CPU budget).
Preload = Sequence[Path | tuple[str, bytes] | PreloadApp]


def load_apps(preload: Preload) -> list[PreloadApp]:
    """The apps to preload; InputError for a file that cannot be read."""
    apps: list[PreloadApp] = []
    for item in preload:
        if isinstance(item, PreloadApp):
            apps.append(item)
            continue
        if isinstance(item, tuple):
            apps.append(PreloadApp(*item))
            continue
        try:
            apps.append(PreloadApp(item.stem, item.read_bytes()))
        except OSError as exc:
            raise InputError(f"{item}: cannot read app to preload: {exc.strerror}") from exc
    return apps


def write_preload(flash: Path, board: Board, preload: Preload) -> None:
    """Writes a fresh ``flash`` holding the apps (layout: wamr_agent.emulator.flashimage)."""
    write_flash_image(flash, board, load_apps(preload))
