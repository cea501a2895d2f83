"""Configuration from the fleet through the real runtime in pywamr and `wamr-agent
run` (issue 12, item 5; docs/config.md): config_get's results and error codes,
on_config delivery of each version, a rejection, the grant, and run --config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.config_app import REJECT, config_app
from tests.runtime.hosts import Lines
from wamr_agent.agent_err import AgentErr
from wamr_agent.cli import app as cli_app
from wamr_agent.errors import LinkError, Trap
from wamr_agent.inspection import inspect_module
from wamr_agent.pywamr import Instance, Module, Runtime
from wamr_agent.run import run_module

KEY, BUF = 1024, 2048  # where the tests put a key and a buffer in linear memory


@pytest.fixture
def module(tmp_path: Path) -> Module:
    return Module.from_file(config_app(tmp_path / "cfg.wasm"))


def _write(app: Instance, at: int, data: bytes) -> None:
    for i, byte in enumerate(data):
        app.call("poke", at + i, byte)


def _read(app: Instance, at: int, size: int) -> bytes:
    return bytes(app.call("peek", at + i) for i in range(size))


def test_config_get_returns_the_full_length_and_copies_at_most_cap(module: Module) -> None:
    host = Lines()
    host.config["greeting"] = "hello world"
    with Runtime("esp32").instantiate(module, host) as app:
        _write(app, KEY, b"greeting")
        assert app.call("get", KEY, 8, BUF, 64) == 11
        assert _read(app, BUF, 11) == b"hello world"
        _write(app, BUF, b"\0" * 16)
        assert app.call("get", KEY, 8, BUF, 5) == 11  # cut: the full length tells
        assert _read(app, BUF, 6) == b"hello\0"
        assert app.call("get", KEY, 8, BUF, 0) == 11


@pytest.mark.parametrize(("key_len", "cap", "code"), [
    (4, 8, AgentErr.NOT_FOUND),  # "gree": no such key
    (0, 8, AgentErr.INVALID_ARG), (33, 8, AgentErr.INVALID_ARG), (8, -1, AgentErr.INVALID_ARG)])
def test_config_get_error_codes(module: Module, key_len: int, cap: int, code: AgentErr) -> None:
    host = Lines()
    host.config["greeting"] = "hi"
    with Runtime("esp32").instantiate(module, host) as app:
        _write(app, KEY, b"greeting".ljust(40, b"x"))
        assert app.call("get", KEY, key_len, BUF, cap) == -code


def test_a_buffer_outside_linear_memory_traps(module: Module) -> None:
    with Runtime("esp32").instantiate(module, Lines()) as app, pytest.raises(
            Trap, match="config_get: buffer"):
        app.call("get", KEY, 4, 65536 - 4, 8)


def test_each_version_is_delivered_and_a_rejection_keeps_the_applied_one(module: Module) -> None:
    host = Lines()
    with Runtime("esp32").instantiate(module, host) as app:
        first = app.set_config({"mode": "fast"})
        assert (first.desired, first.applied, first.status) == (1, 1, "applied")
        bad = app.set_config({"mode": "bad"})
        assert (bad.desired, bad.applied, bad.status, bad.code) == (2, 1, "rejected", REJECT)
        third = app.set_config({}, unset=["mode"])
        assert (third.desired, third.applied, third.values) == (3, 3, {})
        with pytest.raises(Trap, match="unreachable"):
            app.set_config({"mode": "trap"})
    assert host.lines == ["config 1 mode=fast", "config 2 mode=bad", "config 3 mode=",
                          "config 4 mode=trap"]


def test_config_needs_its_grant(module: Module, tmp_path: Path) -> None:
    with pytest.raises(LinkError, match="config_get needs capability 'config'"):
        Runtime("esp32", grants=["log"]).check(module)
    plain = Module.from_file(config_app(tmp_path / "plain.wasm", wat="""
        (module (func (export "on_config") (param i32) (result i32) (i32.const 0)))"""))
    with Runtime("esp32", grants=["log"]).instantiate(plain, Lines()) as app, pytest.raises(
            LinkError, match="not granted 'config'") as caught:
        app.set_config({"mode": "x"})
    assert caught.value.code == AgentErr.NOT_GRANTED


def test_run_delivers_its_config_after_setup(tmp_path: Path) -> None:
    path = config_app(tmp_path / "cfg.wasm")
    report = run_module(path, "esp32", config={"mode": "eco"}, repeat=2)
    assert [c.export for c in report.calls] == ["setup", "on_config", "loop", "loop"]
    assert [line["text"] for line in report.log] == ["setup", "config 1 mode=eco"]
    assert report.config is not None and report.config.status == "applied"


def test_run_exits_24_when_the_app_rejects_its_config(tmp_path: Path) -> None:
    path = str(config_app(tmp_path / "cfg.wasm"))
    result = CliRunner().invoke(cli_app, ["run", path, "--config", "mode=bad", "--json"])
    assert result.exit_code == 24, result.output
    got = json.loads(result.stdout)["config"]
    assert (got["status"], got["code"], got["values"]) == ("rejected", REJECT, {"mode": "bad"})
    result = CliRunner().invoke(cli_app, ["run", path, "--config", "mode=ok"])
    assert result.exit_code == 0, result.output
    assert "config 1 mode=ok" in result.stdout and "config: version 1 applied" in result.stdout


def test_inspect_says_an_app_exporting_on_config_needs_config(tmp_path: Path) -> None:
    """Its default grants (bundle build, an app folder) then include config, without
    which the device refuses its configuration."""
    only_export = config_app(tmp_path / "o.wasm", wat="""
        (module (func (export "on_config") (param i32) (result i32) (i32.const 0)))""")
    assert inspect_module(only_export, "esp32").capabilities == ["config"]
    assert inspect_module(config_app(tmp_path / "cfg.wasm"), "esp32").capabilities == [
        "log", "config"]
