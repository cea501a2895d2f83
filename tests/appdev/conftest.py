"""Builds each language x template once per session (tests/appdev)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import need
from wamr_agent.appdev import toolchains
from wamr_agent.errors import ToolchainMissing

APP_NAME = "demo"


def need_toolchain(lang: str) -> toolchains.Toolchain:
    """The language's toolchain; skips (fails with CI=true) when it is missing."""
    try:
        return toolchains.find_toolchain(lang)
    except ToolchainMissing as exc:
        need(False, f"the {lang} toolchain", str(exc))
        raise


def build_probe(lang: str, folder: Path, code: str) -> Path:
    """The sensor template in ``lang`` with ``code`` appended to its source, built into
    ``folder`` (a test of the generated binding's wrappers); skips without the
    toolchain."""
    need_toolchain(lang)
    info = toolchains.write_template(lang, "sensor", folder, APP_NAME)
    source = next(p for pattern in info.sources for p in sorted(folder.glob(pattern)))
    source.write_text(source.read_text(encoding="utf-8") + code, encoding="utf-8")
    out = folder / "probe.wasm"
    toolchains.build(lang, folder, info.sources, out, kind=info.kind)
    return out


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """Path of the module built from a fresh template (written once per session)."""
    cache: dict[tuple[str, str], Path] = {}

    def get(lang: str, template: str) -> Path:
        if (lang, template) not in cache:
            need_toolchain(lang)
            app = tmp_path_factory.mktemp(f"{lang}-{template}")
            info = toolchains.write_template(lang, template, app, APP_NAME)
            out = app / "build" / f"{APP_NAME}.wasm"
            toolchains.build(lang, app, info.sources, out, kind=info.kind)
            cache[(lang, template)] = out
        return cache[(lang, template)]

    return get
