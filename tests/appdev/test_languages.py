"""Every language x template builds, passes inspect on the simulated boards and
runs under `run` with recorded sensor data; toolchain and build errors."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.appdev.conftest import APP_NAME, need_toolchain
from tests.conftest import ROOT
from wamr_agent.appdev import toolchains
from wamr_agent.appdev.langs import LANGUAGE_MODULES
from wamr_agent.errors import BuildFailed, ToolchainMissing
from wamr_agent.inspection import inspect_module
from wamr_agent.run import run_module
from wamr_agent.wasmfile import read_leb

SIMULATED = ("esp32", "esp32-c3", "nrf52840", "stm32f4")
SENSOR_DATA = ROOT / "examples" / "sensor" / "sensor-data.csv"
LANGS = toolchains.LANGUAGES
CASES = [(lang, t) for lang in LANGS for t in toolchains.TEMPLATES]


def _ids(case: tuple[str, str]) -> str:
    return "-".join(case)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_template_passes_inspect_on_simulated_boards(
        case: tuple[str, str], built: Callable[[str, str], Path]) -> None:
    info = toolchains.template_info(*case)
    path = built(*case)
    for board in SIMULATED:
        report = inspect_module(path, board, grants=info.grants)
        assert report.verdict.fits, (board, report.verdict.reasons)
        assert report.initial_memory == 65536
        assert set(report.capabilities) <= set(info.grants)
    names = {e.name for e in report.exports if e.kind == "func"}
    assert ({"setup", "loop"} <= names) if info.kind == "reactor" else ("_start" in names)
    imports = {i.module for i in report.imports}
    assert imports <= ({"wamr_agent"} if info.kind == "reactor" else {"wasi_snapshot_preview1"})
    if case[0] == "assemblyscript":  # its runtime grows memory
        assert "memory.size or memory.grow" in report.device_memory_note
    else:  # linked with a small stack, __heap_base exported: a device gives it only that
        assert report.device_memory_note == "shrunk to __heap_base", report.device_memory_note
        assert report.device_memory <= toolchains.default_stack(case[0]) + 4096  # + data


@pytest.mark.parametrize("lang", LANGS)
def test_sensor_publishes_and_logs_recorded_data(
        lang: str, built: Callable[[str, str], Path]) -> None:
    report = run_module(built(lang, "sensor"), "esp32", grants=["log", "sensor", "telemetry"],
                        sensor_data=SENSOR_DATA, repeat=3)
    assert report.stopped is None
    assert report.telemetry == [{"key": "temp_c", "value": pytest.approx(v, abs=1e-4)}
                                for v in (27.2, 27.5, 27.9)]
    lines = [entry["text"] for entry in report.log]
    assert lines == [f"{APP_NAME} started", "temperature 27.2 C", "temperature 27.5 C",
                     "temperature 27.9 C"]


@pytest.mark.parametrize("lang", LANGS)
def test_sensor_reports_missing_channel(lang: str, built: Callable[[str, str], Path]) -> None:
    report = run_module(built(lang, "sensor"), "esp32", grants=["log", "sensor", "telemetry"])
    assert report.stopped == "loop returned -4"  # WA_ERR_NOT_FOUND, as the module sees it
    assert [e["text"] for e in report.log][-1] == "no temperature data"


@pytest.mark.parametrize("lang", LANGS)
def test_actuator_logs_its_decisions(lang: str, built: Callable[[str, str], Path]) -> None:
    report = run_module(built(lang, "actuator"), "esp32", grants=["log", "sensor", "telemetry"],
                        sensor_data=SENSOR_DATA, repeat=30)
    lines = [entry["text"] for entry in report.log]
    assert lines == [f"{APP_NAME} started: fan on above 30.0 C, off below 29.0 C",
                     "fan on at 30.3 C", "fan off at 28.7 C"]
    fan = [t["value"] for t in report.telemetry if t["key"] == "fan"]
    assert fan == [0] * 5 + [1] * 13 + [0] * 12


@pytest.mark.parametrize("lang", LANGS)
def test_wasi_prints_to_stdout(lang: str, built: Callable[[str, str], Path]) -> None:
    report = run_module(built(lang, "wasi"), "esp32", grants=["wasi"])
    assert [e["stream"] for e in report.log] == ["stdout", "stdout"]
    assert [e["text"] for e in report.log] == [f"hello from {APP_NAME}", "2 + 3 = 5"]


@pytest.mark.parametrize("lang", LANGS)
def test_missing_toolchain_is_one_line_naming_the_package(
        lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no compiler on PATH
    monkeypatch.setitem(sys.modules, "ziglang", None)  # zig comes from a Python package
    with pytest.raises(ToolchainMissing) as caught:
        toolchains.find_toolchain(lang)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{lang}: ")
    assert re.search(r"install (Debian's|PyPI's|npm's) \S+", message), message
    assert caught.value.exit_code == 19


@pytest.mark.parametrize("lang", LANGS)
def test_broken_source_fails_with_the_compilers_error(lang: str, tmp_path: Path) -> None:
    need_toolchain(lang)
    info = toolchains.write_template(lang, "sensor", tmp_path, APP_NAME)
    source = next(p for pattern in info.sources for p in sorted(tmp_path.glob(pattern)))
    source.write_text(source.read_text(encoding="utf-8") + "\nthis is not code\n",
                      encoding="utf-8")
    with pytest.raises(BuildFailed) as caught:
        toolchains.build(lang, tmp_path, info.sources, tmp_path / "out.wasm", kind=info.kind)
    tool = LANGUAGE_MODULES[lang].TOOL
    assert re.fullmatch(rf"{lang}: build failed \({tool} exited \d+\)", str(caught.value))
    assert source.name in caught.value.output and "error" in caught.value.output.lower()
    assert not (tmp_path / "out.wasm").exists()


def test_no_source_file_is_a_build_failure(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed, match=r"no source file .* matches src/\*\.c"):
        toolchains.build("c", tmp_path, ["src/*.c"], tmp_path / "out.wasm")


def test_template_writes_only_sources_with_the_name(tmp_path: Path) -> None:
    for lang in LANGS:
        info = toolchains.write_template(lang, "sensor", tmp_path / lang, "my-app")
        written = [p for p in (tmp_path / lang).rglob("*") if p.is_file()]
        assert written and all(p.name not in ("wamr.toml", "README.md") for p in written)
        assert all(any(p.relative_to(tmp_path / lang).match(g) for g in info.sources)
                   for p in written)
        assert "{{name}}" not in "".join(p.read_text(encoding="utf-8") for p in written)


def test_unknown_language_and_template() -> None:
    with pytest.raises(ValueError, match="unknown language 'go'"):
        toolchains.template_info("go", "sensor")
    with pytest.raises(ValueError, match="unknown template 'blink'"):
        toolchains.template_info("c", "blink")



def _fake_rustc(folder: Path) -> None:
    """A rustc like rustup's here: it runs, but has no wasm32 standard library."""
    folder.mkdir()
    fake = folder / "rustc"
    fake.write_text(f"#!/bin/sh\necho {folder / 'no-such-libdir'}\n", encoding="utf-8")
    fake.chmod(0o755)


def test_rust_skips_a_rustc_without_the_wasm_targets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path(need_toolchain("rust").argv[0])
    _fake_rustc(tmp_path / "rustup")
    monkeypatch.setenv("PATH", str(tmp_path / "rustup"))
    with pytest.raises(ToolchainMissing, match="libstd-rust-dev-wasm32"):
        toolchains.find_toolchain("rust")
    (tmp_path / "debian").mkdir()
    (tmp_path / "debian" / "rustc").symlink_to(real)
    monkeypatch.setenv("PATH", f"{tmp_path / 'rustup'}{os.pathsep}{tmp_path / 'debian'}")
    assert toolchains.find_toolchain("rust").argv == [str(tmp_path / "debian" / "rustc")]


def _first_global_init(module: bytes) -> int:
    """The i32.const that initialises the module's first global (__stack_pointer)."""
    pos = 8
    while pos < len(module):
        size, body = read_leb(module, pos + 1)
        if module[pos] == 6:  # the global section: count, valtype, mut, i32.const N
            _, at = read_leb(module, body)
            assert module[at + 2] == 0x41
            return read_leb(module, at + 3)[0]
        pos = body + size
    raise AssertionError("no global section")


@pytest.mark.parametrize("lang", ["c", "rust", "zig"])
def test_stack_size_is_the_stack_placed_first(lang: str, tmp_path: Path) -> None:
    need_toolchain(lang)
    info = toolchains.write_template(lang, "sensor", tmp_path, APP_NAME)
    for stack in (4096, 16384):
        out = tmp_path / f"stack{stack}.wasm"
        toolchains.build(lang, tmp_path, info.sources, out, kind=info.kind, stack_size=stack)
        assert _first_global_init(out.read_bytes()) == stack  # grows down from here to 0


@pytest.mark.parametrize("lang", toolchains.LANGUAGES)
def test_no_dwarf_but_names(lang: str, built: Callable[[str, str], Path]) -> None:
    sections = _custom_sections(built(lang, "sensor").read_bytes())
    assert "name" in sections
    assert not [s for s in sections if s.startswith(".debug")]


def _custom_sections(module: bytes) -> list[str]:
    names, pos = [], 8
    while pos < len(module):
        size, body = read_leb(module, pos + 1)
        if module[pos] == 0:
            length, at = read_leb(module, body)
            names.append(module[at : at + length].decode())
        pos = body + size
    return names
