"""Shared test helpers.

A test that needs something outside Python (a built example, the compiled
binding, clang) calls ``need(...)``: outside CI a missing piece skips the test
and prints how to get it; with CI=true it fails, so CI never passes by
skipping.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from wamr_agent.cli import app
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard

pytest_plugins = ["pytester"]  # tests/qemu runs user-style test files with it

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
WAT_DIR = ROOT / "tests" / "fixtures" / "wat"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(ok: bool, what: str, hint: str) -> None:
    """Skip (or, in CI, fail) when a prerequisite is missing."""
    if ok:
        return
    message = f"{what} is missing; {hint}"
    if IN_CI:
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def example() -> Callable[[str], Path]:
    """Path of a built example module (build/examples/<name>.wasm)."""

    def get(name: str) -> Path:
        path = BUILD / "examples" / f"{name}.wasm"
        need(path.exists(), str(path.relative_to(ROOT)), "run `make examples`")
        return path

    return get


@pytest.fixture(scope="session")
def wat() -> Callable[[str], bytes]:
    """Bytes of tests/fixtures/wat/<name>.wat, compiled by Wasmtime's WAT parser."""
    import wasmtime

    def get(name: str) -> bytes:
        return bytes(wasmtime.wat2wasm((WAT_DIR / f"{name}.wat").read_text()))

    return get


@pytest.fixture
def wat_file(wat: Callable[[str], bytes], tmp_path: Path) -> Callable[[str], Path]:
    """A fixture module written to a temporary .wasm file."""

    def get(name: str) -> Path:
        path = tmp_path / f"{name}.wasm"
        path.write_bytes(wat(name))
        return path

    return get


def load_tool(name: str) -> ModuleType:
    """Imports firmware/tools/<name>.py (build tools are scripts, not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    path = ROOT / "firmware" / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def need_host_cc() -> None:
    """The simulated boards are built on demand with the host's C compiler."""
    need(shutil.which("cc") is not None and shutil.which("make") is not None,
         "a host C compiler (cc) and make", "install them with `apt-get install gcc make`")


def need_aot_tools(*more: str) -> None:
    """The AOT compiler's tools (docs/aot.md): wasm2c and arm-none-eabi-gcc, and
    any more the test needs."""
    for tool in ("wasm2c", "arm-none-eabi-gcc", *more):
        need(shutil.which(tool) is not None, tool, "install wabt and gcc-arm-none-eabi (apt)")


def simulated_esp32(workdir: Path) -> Iterator[SimulatedBoard]:
    """A simulated esp32 booted with an erased flash in ``workdir``, for a fixture."""
    need_host_cc()
    with SimulatedBoard.start("esp32", workdir=workdir) as started:
        yield started


@pytest.fixture
def esp32(tmp_path: Path) -> Iterator[SimulatedBoard]:
    """A simulated esp32 booted with an erased flash (built on demand with cc)."""
    yield from simulated_esp32(tmp_path / "board")


def cli_json(*args: str, code: int = 0, env: dict[str, str] | None = None) -> Any:
    """`wamr-agent ARGS --json` in this process: its exit code checked, its JSON."""
    result = CliRunner().invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def board_cli(board: EmulatedBoard | SimulatedBoard, *args: str, code: int = 0) -> Any:
    """:func:`cli_json` with ``--board`` and ``--port`` of a running board."""
    return cli_json(*args, "--board", board.board.name, "--port", board.mgmt_address,
                    code=code)

