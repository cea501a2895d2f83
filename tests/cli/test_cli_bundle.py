"""`wamr-agent bundle keygen / build / verify / show`: a real sensor bundle
built, verified and refused the ways ota/FORMAT.md says, with exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from wamr_agent.cli import app
from wamr_agent.ota import parse_bundle

runner = CliRunner()


def ok(*args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def fails(code: int, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    [line] = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert line.startswith("error: ")
    return line


def build(example: Callable[[str], Path], tmp_path: Path, *extra: str) -> Path:
    ok("bundle", "keygen", str(tmp_path / "dev"))
    out = tmp_path / "sensor.wab"
    ok("bundle", "build", str(example("sensor")), "--key", str(tmp_path / "dev.key"),
       "--version", "1.2.0", "--seq", "3", "-b", "esp32", "-b", "mps2-an386", "-o", str(out),
       *extra)
    return out


def test_build_then_verify_and_show(example: Callable[[str], Path], tmp_path: Path) -> None:
    out = build(example, tmp_path)
    manifest = parse_bundle(out.read_bytes()).manifest
    # the capabilities are what the module's imports need, from the runtime's own check
    assert manifest.caps == ("log", "sensor", "telemetry")
    assert manifest.entry == ("setup", "loop") and manifest.mem == {"linear": 65536}
    verified = ok("bundle", "verify", str(out), "--pub", str(tmp_path / "dev.pub"), "-b", "esp32")
    assert verified["ok"] is True and verified["manifest"]["seq"] == 3
    shown = ok("bundle", "show", str(out))
    assert (shown["name"], shown["version"], shown["boards"]) == (
        "sensor", "1.2.0", ["esp32", "mps2-an386"])
    text = runner.invoke(app, ["bundle", "show", str(out)]).stdout
    assert "signature not checked" in text


def test_refusals(example: Callable[[str], Path], tmp_path: Path,
                  wat_file: Callable[[str], Path]) -> None:
    out = build(example, tmp_path)
    pub = str(tmp_path / "dev.pub")
    other = tmp_path / "other"
    ok("bundle", "keygen", str(other))
    assert "not trusted" in fails(13, "bundle", "verify", str(out), "--pub", f"{other}.pub")
    assert "not nrf52840" in fails(4, "bundle", "verify", str(out), "--pub", pub,
                                   "-b", "nrf52840")
    tampered = tmp_path / "tampered.wab"
    data = bytearray(out.read_bytes())
    data[-10] ^= 0x01
    tampered.write_bytes(bytes(data))
    assert "does not match the SHA-256" in fails(13, "bundle", "verify", str(tampered),
                                                 "--pub", pub)
    assert "not a valid bundle" in fails(3, "bundle", "show", str(example("sensor")))
    assert "does not fit esp32" in fails(5, "bundle", "build", str(wat_file("big_memory")),
                                         "--key", str(tmp_path / "dev.key"), "--version", "1",
                                         "--seq", "1", "-b", "esp32")
    assert "--grant leaves out" in fails(6, "bundle", "build", str(example("sensor")),
                                         "--key", str(tmp_path / "dev.key"), "--version", "1",
                                         "--seq", "1", "-b", "esp32", "--grant", "log")
    assert "not overwriting" in fails(2, "bundle", "keygen", str(tmp_path / "dev"))
