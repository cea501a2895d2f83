"""Package attributes imported on first use (PEP 562), so that importing a light
submodule of a package does not import its heavy neighbours: the CLI starts
quickly (bench/startup.py) and imports the library where a command runs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports attribute NAME from its
    submodule ``where[NAME]`` when NAME is first looked up."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{where[name]}", package), name)

    return __getattr__
