"""A signed bundle built the way a user builds one, `wamr-agent bundle build`
with the test key (ota/vectors/test.key), version 1.0.0 and sequence 1: the
AOT tests build theirs with `--aot`."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from tests.conftest import ROOT
from wamr_agent.cli import app


def build_signed(module: Path, boards: list[str], out: Path, *extra: str) -> Result:
    """The CLI's result of bundling module for boards into out (extra: more
    options, such as "--aot" or "--name", NAME)."""
    args = ["bundle", "build", str(module), "--key", str(ROOT / "ota" / "vectors" / "test.key"),
            "--version", "1.0.0", "--seq", "1", "-o", str(out)]
    for board in boards:
        args += ["-b", board]
    return CliRunner().invoke(app, [*args, *extra])
