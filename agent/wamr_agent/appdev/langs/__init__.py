"""One module per app language: its toolchain lookup, build commands and template
sources. Adding a language is a module here plus its templates (docs/app-languages.md)."""

from __future__ import annotations

from . import c
from .base import Language

LANGUAGE_MODULES: dict[str, Language] = {"c": c}
