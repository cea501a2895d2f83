"""Reading a TOML table with errors that name the file and the key: board profiles
(``boards``) and app manifests (``appdev.manifest``). Each user sets ``error`` to
its exception class; every problem is one line, ``FILE: KEY: PROBLEM``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

from .errors import WamrAgentError

__all__ = ["TomlTable", "load_toml"]

T = TypeVar("T", bound="TomlTable")


def load_toml(path: Path, what: str, error: type[WamrAgentError]) -> dict[str, Any]:
    """The parsed file; ``error`` when it cannot be read or is not TOML."""
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not valid TOML: not UTF-8 at byte {exc.start}") from exc


class TomlTable:
    """One TOML table of a file, read with errors that name the file and key."""

    error: type[WamrAgentError] = WamrAgentError

    def __init__(self, path: Path, data: dict[str, Any], prefix: str = "") -> None:
        self.path = path
        self.data = data
        self.prefix = prefix

    def fail(self, key: str, problem: str) -> NoReturn:
        raise self.error(f"{self.path}: {self.prefix}{key}: {problem}")

    def only(self, allowed: frozenset[str]) -> None:
        for key in sorted(self.data.keys() - allowed):
            self.fail(key, f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str) -> object:
        if key not in self.data:
            self.fail(key, "missing")
        return cast(object, self.data[key])

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty string, got {value!r}")
        return value

    def texts(self, key: str) -> list[str]:
        """A non-empty array of non-empty strings."""
        value = self._get(key)
        if (not isinstance(value, list) or not value
                or not all(isinstance(v, str) and v.strip() for v in value)):
            self.fail(key, f"must be a non-empty array of non-empty strings, got {value!r}")
        return cast(list[str], value)

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean; ``default`` when the key is absent."""
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, got {value!r}")
        return value

    def integer(self, key: str, minimum: int = 0, limit: int | None = None) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be an integer, got {value!r}")
        if value < minimum or (limit is not None and value >= limit):
            bound = f"at least {minimum}" + ("" if limit is None else f" and below {limit:#x}")
            self.fail(key, f"must be {bound}, got {value}")
        return value

    def integers(self, key: str, minimum: int = 0, limit: int | None = None) -> list[int]:
        """An array of integers, each as :meth:`integer` checks it."""
        value = self._get(key)
        if not isinstance(value, list):
            self.fail(key, f"must be a list of integers, got {value!r}")
        items = type(self)(self.path, {str(i): v for i, v in enumerate(value)},
                           f"{self.prefix}{key}.")
        return [items.integer(str(i), minimum, limit) for i in range(len(value))]

    def table(self: T, key: str) -> T | None:
        if key not in self.data:
            return None
        value = cast(object, self.data[key])
        if not isinstance(value, dict):
            self.fail(key, f"must be a table ([{key}]), got {value!r}")
        return type(self)(self.path, cast(dict[str, Any], value), f"{self.prefix}{key}.")
