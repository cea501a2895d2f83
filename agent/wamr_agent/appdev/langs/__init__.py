"""One module per app language: its toolchain lookup, build commands and template
sources. Adding a language is a module here plus its templates (docs/app-languages.md)."""

from __future__ import annotations

from . import assemblyscript, c, rust, zig
from .base import Language

LANGUAGE_MODULES: dict[str, Language] = {"c": c, "rust": rust, "zig": zig,
                                     "assemblyscript": assemblyscript}
