"""An app's manifest, ``wamr.toml`` in its folder (docs/app-manifest.md): what the
app is (name, version, language), how it is built (sources, kind, stack size,
output), where it goes (boards, grants, CPU budget), how a new version is judged
on trial (health) and how it is signed (a key file or the name of an environment
variable, never the key itself).

Read with :func:`load_manifest`; every problem is a one-line ManifestError naming
the file and the key (exit code 21). Commands merge it with their options through
:func:`AppManifest.merged_*` helpers: an option given on the command line wins.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..boards import KV_QUOTA_MAX, load_board
from ..capabilities import CAPABILITIES
from ..errors import ManifestError, WamrAgentError
from ..ota.health import U32_MAX, Health, parse_duration_ms
from ..smp.app_names import name_problem, version_problem
from ..tomltable import TomlTable, load_toml
from .toolchains import LANGUAGES, default_stack

if TYPE_CHECKING:
    from ..ota.keys import KeyPair

__all__ = ["KINDS", "LANGUAGES", "MANIFEST", "AppManifest", "Signing", "load_manifest"]

MANIFEST = "wamr.toml"
KINDS = ("reactor", "command")
DEFAULT_BOARD = "esp32"
_TOP = frozenset({"name", "version", "language", "boards", "grants", "build", "budget",
                  "health", "signing", "storage", "aot"})
_BUILD = frozenset({"sources", "kind", "stack_size", "out"})
_BUDGET = frozenset({"cpu_ticks"})
_HEALTH = frozenset({"loops", "traps", "window", "confirm"})
_SIGNING = frozenset({"key", "key_env", "seq"})
_STORAGE = frozenset({"quota"})
PEM_BEGIN = "-----BEGIN"


class _Table(TomlTable):
    error = ManifestError

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        if not self.has(key):
            return default
        value = self.text(key)
        if value not in choices:
            self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value


@dataclass(frozen=True)
class Signing:
    """How bundles of the app are signed: ``key`` (a PEM file; relative paths are
    from the app's folder) or ``key_env`` (an environment variable holding the PEM
    file's path or the PEM text), and the security counter ``seq``."""

    key: Path | None
    key_env: str | None
    seq: int

    def load(self) -> KeyPair:
        """The secret key (ManifestError when the variable is unset or empty)."""
        from ..ota.keys import load_secret_key, secret_key_from_pem

        if self.key is not None:
            return load_secret_key(self.key)
        assert self.key_env is not None
        value = os.environ.get(self.key_env, "").strip()
        if not value:
            raise ManifestError(f"signing.key_env: the environment variable {self.key_env} "
                                "is not set (it holds the signing key's PEM file or text)")
        if value.startswith(PEM_BEGIN):
            return secret_key_from_pem(value.encode(), f"${self.key_env}")
        return load_secret_key(Path(value))


@dataclass(frozen=True)
class AppManifest:
    """A parsed ``wamr.toml``; paths are resolved against its folder."""

    path: Path
    name: str
    version: str
    language: str
    sources: tuple[str, ...]
    kind: str
    stack_size: int
    out: Path
    boards: tuple[str, ...]
    grants: tuple[str, ...] | None  # None: what the module's imports need
    cpu_ticks: int | None
    health: Health
    signing: Signing | None
    kv_quota: int | None = None  # [storage] quota; None: the board's default_quota
    aot: bool = False  # signed bundles carry AOT code for the boards' CPUs (docs/aot.md)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def source_files(self) -> list[Path]:
        """The files the ``sources`` globs match, sorted; ManifestError when a glob
        matches none."""
        found: set[Path] = set()
        for pattern in self.sources:
            matched = [p for p in self.folder.glob(pattern) if p.is_file()]
            if not matched:
                raise ManifestError(f"{self.path}: build.sources: {pattern!r} matches no "
                                    "file")
            found.update(matched)
        return sorted(found)

    def watched_files(self) -> list[Path]:
        """What a build depends on (what `watch` polls): the files the ``sources``
        match, and below each glob's folder those of the same kind (so the headers
        and modules the sources include too: ``.c`` brings ``.h``), less hidden
        ones and the output's folder; and the manifest itself."""
        out_dir = self.out.parent.resolve()
        found: set[Path] = set()
        for pattern in self.sources:
            found.update(p for p in self.folder.glob(pattern) if p.is_file())
            root = self.folder.joinpath(*_static_prefix(pattern))
            kinds = _KINDS.get(Path(pattern).suffix, {Path(pattern).suffix})
            if root.resolve() == out_dir or not root.is_dir() or not Path(pattern).suffix:
                continue
            found.update(p for p in root.rglob("*")
                         if p.suffix in kinds and p.is_file()
                         and not _skipped(p.relative_to(root), p, out_dir))
        return [*sorted(found), self.path]

    def board(self, given: str | None = None) -> str:
        """``given`` (an option) or the manifest's first board."""
        return given or self.boards[0]

    def grant_list(self, given: list[str] | None = None) -> list[str] | None:
        return given if given is not None else (list(self.grants) if self.grants else None)


_GLOB_CHARS = frozenset("*?[")
_NOT_SOURCES = frozenset({"node_modules", "target", "zig-cache", "zig-out"})
_KINDS = {".c": {".c", ".h"}}  # a source suffix -> the suffixes a build of it reads


def _static_prefix(pattern: str) -> list[str]:
    """The folders of a glob before its first wildcard (``src/*.c``: ``src``)."""
    parts = Path(pattern).parts[:-1]
    prefix: list[str] = []
    for part in parts:
        if _GLOB_CHARS & set(part):
            break
        prefix.append(part)
    return prefix


def _skipped(rel: Path, path: Path, out_dir: Path) -> bool:
    hidden = any(part.startswith(".") or part in _NOT_SOURCES for part in rel.parts)
    return hidden or path.resolve().is_relative_to(out_dir)


def load_manifest(path: Path) -> AppManifest:
    """The manifest at ``path`` (a ``wamr.toml`` or the folder holding one)."""
    if path.is_dir():
        path = path / MANIFEST
    if not path.exists():
        raise ManifestError(f"{path}: no app manifest here: name a module, or create an "
                            "app with `wamr-agent new NAME --lang c`")
    top = _Table(path, load_toml(path, "app manifest", ManifestError))
    top.only(_TOP)
    name = _checked_text(top, "name", name_problem)
    version = _checked_text(top, "version", version_problem)
    build = top.table("build") or _Table(path, {}, "build.")
    build.only(_BUILD)
    language = _language(top)
    return AppManifest(
        path=path, name=name, version=version,
        language=language,
        sources=tuple(build.texts("sources")), kind=build.choice("kind", KINDS, "reactor"),
        stack_size=build.integer("stack_size", minimum=1024, limit=1 << 24) if build.has(
            "stack_size") else default_stack(language),
        out=path.parent / (build.text("out") if build.has("out") else f"build/{name}.wasm"),
        boards=_boards(top), grants=_grants(top), cpu_ticks=_cpu_ticks(top),
        health=_health(top), signing=_signing(top), kv_quota=_kv_quota(top),
        aot=top.flag("aot"))


def _checked_text(top: _Table, key: str, problem_of: Callable[[str], str | None]) -> str:
    """``key``'s text, refused with what ``problem_of`` finds wrong with it."""
    value = top.text(key)
    problem = problem_of(value)
    if problem is not None:
        top.fail(key, f"{value!r} {problem}")
    return value


def _language(top: _Table) -> str:
    language = top.text("language")
    if language not in LANGUAGES:
        top.fail("language", f"must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return language


def _boards(top: _Table) -> tuple[str, ...]:
    if not top.has("boards"):
        return (DEFAULT_BOARD,)
    boards = top.texts("boards")
    for board in boards:
        try:
            load_board(board)
        except WamrAgentError as exc:
            top.fail("boards", str(exc))
    return tuple(boards)


def _grants(top: _Table) -> tuple[str, ...] | None:
    if not top.has("grants"):
        return None
    value = top.data["grants"]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        top.fail("grants", f"must be an array of capability names, got {value!r}")
    unknown = [v for v in value if v not in CAPABILITIES]
    if unknown:
        top.fail("grants", f"unknown capability {unknown[0]!r}; known: "
                 f"{', '.join(CAPABILITIES)}")
    return tuple(value)


def _optional_count(top: _Table, name: str, keys: frozenset[str], key: str,
                    limit: int) -> int | None:
    """``[name] key``, 1 to ``limit`` (None when absent), in a table of ``keys``."""
    table = top.table(name)
    if table is None:
        return None
    table.only(keys)
    return table.integer(key, minimum=1, limit=limit + 1) if table.has(key) else None


def _kv_quota(top: _Table) -> int | None:
    return _optional_count(top, "storage", _STORAGE, "quota", KV_QUOTA_MAX)


def _cpu_ticks(top: _Table) -> int | None:
    return _optional_count(top, "budget", _BUDGET, "cpu_ticks", U32_MAX)


def _health(top: _Table) -> Health:
    table = top.table("health")
    if table is None:
        return Health()
    table.only(_HEALTH)
    default = Health()
    window = default.window_ms
    if table.has("window"):
        raw = table.data["window"]
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            table.fail("window", f"must be a duration (\"5s\") or milliseconds, got {raw!r}")
        try:
            window = parse_duration_ms(raw)
        except ValueError as exc:
            table.fail("window", str(exc))
    return Health(
        loops=table.integer("loops", limit=U32_MAX + 1) if table.has("loops") else default.loops,
        traps=table.integer("traps", limit=U32_MAX + 1) if table.has("traps") else default.traps,
        window_ms=window, confirm=table.choice("confirm", ("auto", "manual"), default.confirm))


def _signing(top: _Table) -> Signing | None:
    table = top.table("signing")
    if table is None:
        return None
    table.only(_SIGNING)
    if table.has("key") == table.has("key_env"):
        table.fail("key", "give exactly one of key (a PEM file) and key_env (an environment "
                   "variable's name)")
    if table.has("key") and table.text("key").startswith(PEM_BEGIN):
        table.fail("key", "must be the path of the key's PEM file, never the key itself")
    key = top.path.parent / table.text("key") if table.has("key") else None
    env = table.text("key_env") if table.has("key_env") else None
    if env is not None and (env.startswith(PEM_BEGIN) or not env.replace("_", "").isalnum()):
        table.fail("key_env", "must name an environment variable (letters, digits, '_'), "
                   "never hold the key itself")
    seq = table.integer("seq", limit=U32_MAX + 1) if table.has("seq") else 0
    return Signing(key, env, seq)
