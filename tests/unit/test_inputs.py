"""Pure-Python input handling: file checks, capabilities, sensor CSV, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from wamr_agent import errors
from wamr_agent.capabilities import ALL, CAPABILITIES, grant_mask, grant_names
from wamr_agent.errors import InputError, UsageError
from wamr_agent.sensors import SensorPlayback
from wamr_agent.wasmfile import check_header, read_wasm_file


def test_exit_codes_are_distinct_per_failure_class() -> None:
    codes = list(errors.EXIT_CODES.values())
    assert len(codes) == len(set(codes))
    assert 0 not in codes


@pytest.mark.parametrize(("data", "text"), [
    (b"", "empty file"),
    (b"PK\x03\x04rest", "not a WebAssembly module"),
    (b"\0as", "not a WebAssembly module"),
    (b"\0asm\1\0", "truncated"),
    (b"\0asm\2\0\0\0", "unsupported WebAssembly version"),
])
def test_header_checks(data: bytes, text: str) -> None:
    with pytest.raises(InputError, match=text):
        check_header(data, "x.wasm")


def test_header_accepts_wasm_v1() -> None:
    check_header(b"\0asm\1\0\0\0")


def test_read_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_wasm_file(tmp_path / "missing.wasm")
    with pytest.raises(InputError, match="is a directory"):
        read_wasm_file(tmp_path)


def test_grants_round_trip_and_reject_unknown() -> None:
    assert grant_mask(None) == ALL
    assert grant_names(grant_mask(["Sensor", " log"])) == ["log", "sensor"]
    assert grant_names(ALL) == list(CAPABILITIES)
    with pytest.raises(UsageError, match="unknown capability 'camera'"):
        grant_mask(["camera"])


def test_sensor_csv_plays_back_per_channel(tmp_path: Path) -> None:
    csv = tmp_path / "s.csv"
    csv.write_text("ch0,ch3\n1.5,10\n2.5,\n")
    playback = SensorPlayback.from_csv(csv)
    assert [playback.read(0), playback.read(0), playback.read(0)] == [1.5, 2.5, None]
    assert [playback.read(3), playback.read(3)] == [10.0, None]
    assert playback.read(1) is None


@pytest.mark.parametrize(("text", "match"), [
    ("", "empty sensor data"),
    ("temp,hum\n1,2\n", "not a channel name"),
    ("ch0\nabc\n", "s.csv:2: 'abc' is not a number"),
])
def test_sensor_csv_errors(tmp_path: Path, text: str, match: str) -> None:
    csv = tmp_path / "s.csv"
    csv.write_text(text)
    with pytest.raises(InputError, match=match):
        SensorPlayback.from_csv(csv)
