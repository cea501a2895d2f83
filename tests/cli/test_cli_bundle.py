"""`wamr-agent bundle keygen / build / verify / show`: a real sensor bundle
built, verified and refused the ways ota/FORMAT.md says, with exit codes; the
health policy options; keys made by OpenSSL and imgtool sign and verify."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.foreign_keys import imgtool_pair, openssl_pair
from wamr_agent.cli import app
from wamr_agent.ota import Health, parse_bundle

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
    assert "is refused for esp32: unknown import env.mystery_func" in fails(
        6, "bundle", "build", str(wat_file("unknown_import")), "--key",
        str(tmp_path / "dev.key"), "--version", "1", "--seq", "1", "-b", "esp32")
    assert "--grant leaves out" in fails(6, "bundle", "build", str(example("sensor")),
                                         "--key", str(tmp_path / "dev.key"), "--version", "1",
                                         "--seq", "1", "-b", "esp32", "--grant", "log")
    assert "not overwriting" in fails(2, "bundle", "keygen", str(tmp_path / "dev"))


def test_health_policy_options(example: Callable[[str], Path], tmp_path: Path) -> None:
    out = build(example, tmp_path, "--health-loops", "25", "--health-traps", "2",
                "--health-window", "2m", "--confirm", "manual")
    assert parse_bundle(out.read_bytes()).manifest.health == Health(25, 2, 120_000, "manual")
    assert ok("bundle", "show", str(out))["health"] == {
        "loops": 25, "traps": 2, "window": 120_000, "confirm": "manual"}
    text = runner.invoke(app, ["bundle", "show", str(out)]).stdout
    assert ("health   stays on trial until an operator confirms it (healthy after 25 loop "
            "rounds with at most 2 traps, and 120000 ms on trial at least)") in text
    (tmp_path / "plain").mkdir()
    plain = build(example, tmp_path / "plain")
    assert parse_bundle(plain.read_bytes()).manifest.health == Health()
    text = runner.invoke(app, ["bundle", "show", str(plain)]).stdout
    assert "health   confirmed automatically after 10 loop rounds with at most 0 traps\n" in text


@pytest.mark.parametrize(("given", "ms"), [("500ms", 500), ("5s", 5000), ("2m", 120_000),
                                           ("750", 750), ("0", 0)])
def test_health_window_durations(given: str, ms: int, example: Callable[[str], Path],
                                 tmp_path: Path) -> None:
    out = build(example, tmp_path, "--health-window", given)
    assert parse_bundle(out.read_bytes()).manifest.health.window_ms == ms


@pytest.mark.parametrize("args", [("--health-window", "5h"), ("--health-window", "-1s"),
                                  ("--health-window", "4294968s"), ("--confirm", "later"),
                                  ("--health-loops", "-1")])
def test_bad_health_options_are_usage_errors(args: tuple[str, str],
                                             example: Callable[[str], Path],
                                             tmp_path: Path) -> None:
    ok("bundle", "keygen", str(tmp_path / "dev"))
    result = runner.invoke(app, ["bundle", "build", str(example("sensor")), "--key",
                                 str(tmp_path / "dev.key"), "--version", "1", "--seq", "1",
                                 "-b", "esp32", "-o", str(tmp_path / "x.wab"), *args])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "x.wab").exists()


@pytest.mark.parametrize("make_pair", [openssl_pair, imgtool_pair], ids=["openssl", "imgtool"])
def test_keys_made_by_openssl_and_imgtool(make_pair: Callable[[Path], tuple[Path, Path]],
                                          example: Callable[[str], Path],
                                          tmp_path: Path) -> None:
    key, pub = make_pair(tmp_path)
    out = tmp_path / "sensor.wab"
    ok("bundle", "build", str(example("sensor")), "--key", str(key), "--version", "1.0.0",
       "--seq", "1", "-b", "esp32", "-o", str(out))
    assert ok("bundle", "verify", str(out), "--pub", str(pub), "-b", "esp32")["ok"] is True
    assert ok("bundle", "verify", str(out), "--pub", str(key))["ok"] is True  # private as pub
    ok("bundle", "keygen", str(tmp_path / "ours"))
    assert "not trusted" in fails(13, "bundle", "verify", str(out), "--pub",
                                  str(tmp_path / "ours.pub"))


def test_keys_in_the_old_hex_form_are_refused(example: Callable[[str], Path],
                                              tmp_path: Path) -> None:
    old = tmp_path / "old.key"
    old.write_text("2b695c24bec8429539909f143c77d5476726256500e8e9d1b850ead654b45534" * 2 + "\n")
    line = fails(3, "bundle", "build", str(example("sensor")), "--key", str(old), "--version",
                 "1", "--seq", "1", "-b", "esp32")
    assert str(old) in line and "make a new key with `wamr-agent bundle keygen`" in line


def test_unwritable_outputs_and_binary_keys_are_one_line_errors(
        example: Callable[[str], Path], tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    assert fails(2, "bundle", "keygen", str(missing / "dev")) == (
        f"error: cannot write private key {missing / 'dev.key'}: no such folder {missing}")
    ok("bundle", "keygen", str(tmp_path / "dev"))
    sensor, key = str(example("sensor")), str(tmp_path / "dev.key")
    common = ["--version", "1.0.0", "--seq", "1", "-b", "esp32"]
    assert fails(2, "bundle", "build", sensor, "--key", key, *common, "-o",
                 str(missing / "s.wab")) == (
        f"error: cannot write bundle {missing / 's.wab'}: no such folder {missing}")
    assert "Is a directory" in fails(2, "bundle", "build", sensor, "--key", key, *common,
                                     "-o", str(tmp_path))
    binary = tmp_path / "binary.key"
    binary.write_bytes(example("sensor").read_bytes())
    assert "is not an unencrypted Ed25519 private key" in fails(
        3, "bundle", "build", sensor, "--key", str(binary), *common)
    (tmp_path / "b").mkdir()
    bundle = build(example, tmp_path / "b")
    assert "is not an Ed25519 public key" in fails(3, "bundle", "verify", str(bundle), "--pub",
                                                   str(binary))
