"""The app manifest, wamr.toml (docs/app-manifest.md): every key, the defaults,
unknown keys and wrong types as one-line errors naming the file and the key, the
signing key from a file or an environment variable, and options that override the
manifest (`bundle build` in an app folder)."""

from __future__ import annotations

import importlib.util
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import cli_json, need
from wamr_agent.appdev.manifest import MANIFEST, load_manifest
from wamr_agent.cli import app
from wamr_agent.errors import EXIT_CODES, ManifestError
from wamr_agent.ota import new_key_pair, parse_bundle
from wamr_agent.ota.bundle import Health

FULL = """\
name = "probe"
version = "1.2.3"
language = "c"
boards = ["nrf52840", "esp32"]
grants = ["log", "sensor"]

[build]
sources = ["src/*.c", "lib/*.c"]
kind = "command"
stack_size = 4096
out = "out/probe.wasm"

[budget]
cpu_ticks = 500000

[health]
loops = 3
traps = 1
window = "2s"
confirm = "manual"

[signing]
key = "keys/dev.key"
seq = 7
"""
MINIMAL = """\
name = "tiny"
version = "0.1.0"
language = "c"

[build]
sources = ["*.c"]
"""


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST
    path.write_text(textwrap.dedent(text))
    return path


def test_every_key(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, FULL))
    assert (m.name, m.version, m.language) == ("probe", "1.2.3", "c")
    assert m.boards == ("nrf52840", "esp32") and m.board() == "nrf52840"
    assert m.grants == ("log", "sensor")
    assert m.sources == ("src/*.c", "lib/*.c")
    assert (m.kind, m.stack_size, m.out) == ("command", 4096, tmp_path / "out" / "probe.wasm")
    assert m.cpu_ticks == 500000
    assert m.health == Health(loops=3, traps=1, window_ms=2000, confirm="manual")
    assert m.signing is not None
    assert (m.signing.key, m.signing.key_env, m.signing.seq) == (
        tmp_path / "keys" / "dev.key", None, 7)


def test_defaults_and_folder(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL)
    m = load_manifest(tmp_path)  # the folder holding it
    assert m.boards == ("esp32",) and m.grants is None and m.grant_list() is None
    assert (m.kind, m.stack_size, m.out) == ("reactor", 2048, tmp_path / "build" / "tiny.wasm")
    zig = load_manifest(write(tmp_path, MINIMAL.replace('"c"', '"zig"')))
    assert zig.stack_size == 8192  # each language's own default (std.io needs about 5 KiB)
    assert m.cpu_ticks is None and m.signing is None and m.health == Health()


def test_aot_is_a_boolean_default_false(tmp_path: Path) -> None:
    assert load_manifest(write(tmp_path, MINIMAL)).aot is False
    assert load_manifest(write(tmp_path, "aot = true\n" + MINIMAL)).aot is True
    assert "must be true or false" in _one_line_error(write(tmp_path, "aot = 1\n" + MINIMAL),
                                                      "aot")


def test_options_override_the_manifest(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, FULL))
    assert m.board("esp32") == "esp32"
    assert m.grant_list(["time"]) == ["time"] and m.grant_list() == ["log", "sensor"]


def _one_line_error(path: Path, key: str) -> str:
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: {key}: "), text
    return text


@pytest.mark.parametrize(("extra", "key"), [
    ("colour = 1\n", "colour"),
    ("[build]\nsources = ['*.c']\noptimise = true\n", "build.optimise"),
    ("[health]\nretries = 1\n", "health.retries"),
    ("[budget]\nram = 1\n", "budget.ram"),
    ("[signing]\nkey = 'k'\npassword = 'x'\n", "signing.password"),
])
def test_unknown_key(tmp_path: Path, extra: str, key: str) -> None:
    text = MINIMAL.replace("[build]\nsources = [\"*.c\"]\n", "") + extra
    if "[build]" not in text:
        text += "[build]\nsources = ['*.c']\n"
    assert "unknown key" in _one_line_error(write(tmp_path, text), key)


BASE = {"name": '"tiny"', "version": '"0.1.0"', "language": '"c"'}
BUILD = {"sources": '["*.c"]'}


def _manifest(top: dict[str, str], tables: dict[str, dict[str, str]]) -> str:
    lines = [f"{k} = {v}" for k, v in top.items()]
    for table, keys in tables.items():
        lines += [f"[{table}]", *(f"{k} = {v}" for k, v in keys.items())]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("key", "value"), [
    ("name", "3"), ("name", '""'), ("name", '"' + "n" * 33 + '"'),
    ("version", "1"), ("version", '"' + "1" * 17 + '"'),
    ("language", '"cobol"'), ("language", "[]"),
    ("boards", '"esp32"'), ("boards", "[]"), ("boards", '["no-such-board"]'),
    ("grants", '"log"'), ("grants", '["log", "radio"]'),
    ("build", "1"),
])
def test_wrong_type_top(tmp_path: Path, key: str, value: str) -> None:
    top = {**BASE, key: value}
    tables = {} if key == "build" else {"build": BUILD}
    _one_line_error(write(tmp_path, _manifest(top, tables)), key)


@pytest.mark.parametrize(("table", "key", "value"), [
    ("build", "sources", '"*.c"'), ("build", "sources", "[1]"), ("build", "kind", '"daemon"'),
    ("build", "stack_size", '"8k"'), ("build", "stack_size", "16"), ("build", "out", "1"),
    ("budget", "cpu_ticks", "0"), ("budget", "cpu_ticks", "1.5"),
    ("health", "loops", "-1"), ("health", "loops", "true"), ("health", "traps", '"1"'),
    ("health", "window", '"soon"'), ("health", "window", "1.5"),
    ("health", "confirm", '"sometimes"'),
    ("signing", "seq", "4294967296"), ("signing", "key", "1"),
    ("signing", "key_env", '"MY KEY"'),
])
def test_wrong_type_in_table(tmp_path: Path, table: str, key: str, value: str) -> None:
    tables = {"build": dict(BUILD)}
    tables.setdefault(table, {})[key] = value
    if table == "signing" and key == "seq":
        tables[table]["key"] = '"k.pem"'
    _one_line_error(write(tmp_path, _manifest(BASE, tables)), f"{table}.{key}")


def test_missing_and_not_toml(tmp_path: Path) -> None:
    _one_line_error(write(tmp_path, 'name = "x"\n'), "version")
    _one_line_error(write(tmp_path, _manifest(BASE, {})), "build.sources")
    path = write(tmp_path, "name = \n")
    with pytest.raises(ManifestError, match="not valid TOML"):
        load_manifest(path)
    with pytest.raises(ManifestError, match="no app manifest here"):
        load_manifest(tmp_path / "elsewhere")


def test_exit_code_is_its_own() -> None:
    assert ManifestError("x").exit_code == EXIT_CODES["ManifestError"] == 21
    assert list(EXIT_CODES.values()).count(21) == 1


def test_signing_key_is_a_path_or_a_variable_never_the_key(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    pair = new_key_pair()
    secret, _public = pair.save(tmp_path / "dev")
    pem = secret.read_text()
    signing = {"build": BUILD, "signing": {"key_env": '"WAMR_TEST_KEY"'}}
    m = load_manifest(write(tmp_path, _manifest(BASE, signing)))
    assert m.signing is not None and m.signing.key_env == "WAMR_TEST_KEY"

    monkeypatch.delenv("WAMR_TEST_KEY", raising=False)
    with pytest.raises(ManifestError, match="WAMR_TEST_KEY is not set"):
        m.signing.load()
    monkeypatch.setenv("WAMR_TEST_KEY", str(secret))  # the key file's path
    assert m.signing.load().kid == pair.kid
    monkeypatch.setenv("WAMR_TEST_KEY", pem)  # the PEM text itself (a CI secret)
    assert m.signing.load().kid == pair.kid

    for key, value in (("key", pem.splitlines()[0] + "..."), ("key_env", pem.splitlines()[0])):
        inline = {"build": BUILD, "signing": {key: f'"{value}"'}}
        assert "never" in _one_line_error(write(tmp_path, _manifest(BASE, inline)),
                                          f"signing.{key}")
    both = {"build": BUILD, "signing": {"key": '"a"', "key_env": '"B"'}}
    _one_line_error(write(tmp_path, _manifest(BASE, both)), "signing.key")


def test_source_globs_must_match(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, MINIMAL))
    with pytest.raises(ManifestError, match=r"build\.sources: '\*\.c' matches no file"):
        m.source_files()
    (tmp_path / "a.c").write_text("")
    assert m.source_files() == [tmp_path / "a.c"]
    assert m.watched_files() == [tmp_path / "a.c", m.path]


def test_watched_files_are_what_a_build_reads(tmp_path: Path) -> None:
    """Headers beside C sources and modules below a Rust crate's root count; the
    output's folder, hidden files (an editor's swap file) and other files do not."""
    m = load_manifest(write(tmp_path, MINIMAL.replace('"*.c"', '"src/*.c", "lib/lib.rs"')))
    files = ["src/main.c", "src/util.h", "src/deep/more.h", "lib/lib.rs", "lib/net/mod.rs",
             "src/.main.c.swp", "src/notes.txt", "README.md", "build/tiny.wasm",
             "lib/target/x.rs"]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert m.watched_files() == [tmp_path / f for f in (
        "lib/lib.rs", "lib/net/mod.rs", "src/deep/more.h", "src/main.c", "src/util.h")] + [
        m.path]


def test_bundle_build_in_an_app_folder_takes_the_manifest_and_options_win(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wat: Callable[[str], bytes]) -> None:
    """A built module newer than its sources: `bundle build` with no module signs it
    with the manifest's name, version, boards, grants, health and key; the options
    given win."""
    need(importlib.util.find_spec("wamr_agent.pywamr._wamr") is not None,
         "the compiled runtime binding", "run `make build`")
    pair = new_key_pair()
    (tmp_path / "keys").mkdir()
    pair.save(tmp_path / "keys" / "dev")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.c").write_text("/* built below */\n")
    write(tmp_path, FULL.replace('"lib/*.c"', '"src/*.h"').replace('kind = "command"',
                                                                   'kind = "reactor"'))
    out = tmp_path / "out" / "probe.wasm"
    out.parent.mkdir()
    out.write_bytes(wat("imports_sensor"))
    os.utime(out, (out.stat().st_mtime + 5, out.stat().st_mtime + 5))  # newer: no build
    monkeypatch.chdir(tmp_path)

    report = cli_json("bundle", "build", "--version", "9.9.9", "--health-loops", "4")
    manifest = parse_bundle(Path(report["path"]).read_bytes()).manifest
    assert (manifest.name, manifest.version, manifest.seq) == ("probe", "9.9.9", 7)
    assert manifest.boards == ("nrf52840", "esp32")
    assert manifest.caps == ("log", "sensor")
    assert manifest.health == Health(loops=4, traps=1, window_ms=2000, confirm="manual")
    assert manifest.kid == pair.kid
    assert Path(report["path"]) == tmp_path / "out" / "probe-9.9.9.wab"


def test_bundle_build_without_a_manifest_names_what_is_missing(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["bundle", "build", str(tmp_path / "x.wasm"),
                                      "--seq", "1"])
    assert result.exit_code == 2, result.output
    assert "missing --key, --version, --board" in result.output
    result = CliRunner().invoke(app, ["bundle", "build"])
    assert result.exit_code == 21, result.output
    assert "no app manifest here" in result.output

