"""Build time per app language: the sensor template, written fresh, built once
(cold: the compiler's own caches may be warm from earlier runs) and then rebuilt
(what `wamr-agent watch` pays on every save), with the module's size."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from wamr_agent.appdev import toolchains
from wamr_agent.errors import ToolchainMissing

REBUILDS = 3


def app_build(table: Callable[[str, list[str], list[list[str]]], None]) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        for lang in toolchains.LANGUAGES:
            try:
                tc = toolchains.find_toolchain(lang)
            except ToolchainMissing as exc:
                rows.append([lang, str(exc), "-", "-", "-"])
                continue
            app = Path(tmp) / lang
            info = toolchains.write_template(lang, "sensor", app, "bench")
            out = app / "build" / "bench.wasm"
            times = [toolchains.build(lang, app, info.sources, out, kind=info.kind).seconds
                     for _ in range(1 + REBUILDS)]
            rows.append([lang, tc.version, f"{times[0]:.2f}", f"{min(times[1:]):.2f}",
                         str(out.stat().st_size)])
    table("App build time, sensor template (wamr-agent build's compile step)",
          ["language", "toolchain", "first s", f"rebuild s (best of {REBUILDS})", "bytes"],
          rows)
