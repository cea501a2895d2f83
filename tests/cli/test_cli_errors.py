"""Every kind of bad input gets one clear line on stderr and its own exit code."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wamr_agent.cli import app

Example = Callable[[str], Path]
WatFile = Callable[[str], Path]
runner = CliRunner()


def fails(args: list[str], code: int, *texts: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one error line, got: {result.stderr!r}"
    assert lines[0].startswith("error: ")
    for text in texts:
        assert text in lines[0]
    return lines[0]


def test_missing_file(tmp_path: Path) -> None:
    fails(["run", str(tmp_path / "nope.wasm")], 3, "no such file")


def test_not_wasm(tmp_path: Path) -> None:
    path = tmp_path / "notes.wasm"
    path.write_text("hello, I am a text file\n")
    fails(["run", str(path)], 3, "not a WebAssembly module")


def test_truncated_module(tmp_path: Path, example: Example) -> None:
    data = example("sensor").read_bytes()
    path = tmp_path / "cut.wasm"
    path.write_bytes(data[: len(data) // 2])
    fails(["inspect", str(path)], 3, "invalid WebAssembly")


def test_invalid_module_gets_the_validators_message(tmp_path: Path) -> None:
    # type ()->i32, one function whose body is empty: fails validation.
    body = bytes([0x02, 0x00, 0x0B])
    data = (b"\0asm\1\0\0\0" + bytes([1, 5, 1, 0x60, 0, 1, 0x7F]) + bytes([3, 2, 1, 0])
            + bytes([10, len(body) + 1, 1]) + body)
    path = tmp_path / "bad.wasm"
    path.write_bytes(data)
    line = fails(["run", str(path)], 3, "invalid WebAssembly")
    assert "type mismatch" in line or "expected" in line


def test_module_larger_than_board_allows(tmp_path: Path, wat_file: WatFile) -> None:
    data = wat_file("add").read_bytes()
    blob = b"\0" * (140 * 1024)
    name = b"padding"
    payload = bytes([len(name)]) + name + blob
    size = len(payload)
    leb = bytearray()
    while True:
        byte, size = size & 0x7F, size >> 7
        leb.append(byte | (0x80 if size else 0))
        if not size:
            break
    path = tmp_path / "big.wasm"
    path.write_bytes(data + b"\0" + bytes(leb) + payload)
    fails(["run", str(path), "--board", "nrf52840", "--invoke", "noop"], 5, "at most 128 KiB")


def test_memory_above_board_budget(wat_file: WatFile) -> None:
    fails(["run", str(wat_file("big_memory")), "--board", "nrf52840"], 5, "512 KiB")


def test_unknown_board_suggests_close_names(example: Example) -> None:
    fails(["run", str(example("sensor")), "--board", "esp23"], 4, "esp32")


def test_board_below_floor_is_refused(example: Example) -> None:
    fails(["run", str(example("sensor")), "--board", "lm3s6965evb"], 4, "64 KiB")


def test_missing_export(wat_file: WatFile) -> None:
    fails(["run", str(wat_file("add")), "--invoke", "sub"], 8, "'sub'", "add")


@pytest.mark.parametrize(("args", "text"), [
    (["--args", "1"], "takes 2 argument"),
    (["--args", "1,x"], "must be i32"),
])
def test_wrong_arguments(wat_file: WatFile, args: list[str], text: str) -> None:
    fails(["run", str(wat_file("add")), "--invoke", "add", *args], 8, text)


def test_ungranted_import(example: Example) -> None:
    fails(["run", str(example("sensor")), "--grant", "log,telemetry"], 6,
          "wamr_agent.sensor_read", "'sensor'")


def test_unknown_capability_is_a_usage_error(example: Example) -> None:
    fails(["run", str(example("sensor")), "--grant", "lasers"], 2, "unknown capability")


def test_unknown_import(wat_file: WatFile) -> None:
    fails(["run", str(wat_file("unknown_import")), "--invoke", "run"], 6, "env.mystery_func")


def test_trap(wat_file: WatFile) -> None:
    fails(["run", str(wat_file("trap_unreachable")), "--invoke", "run"], 9, "unreachable")


def test_infinite_recursion(wat_file: WatFile) -> None:
    fails(["run", str(wat_file("recursion")), "--invoke", "run"], 9, "stack overflow")


def test_infinite_loop_stopped_by_cpu_budget(wat_file: WatFile) -> None:
    fails(["run", str(wat_file("infinite_loop")), "--invoke", "run"], 10, "CPU budget")


def test_json_errors_carry_type_and_code(wat_file: WatFile) -> None:
    result = runner.invoke(app, ["run", str(wat_file("trap_div_zero")), "--invoke", "run",
                                 "--args", "0", "--json"])
    assert result.exit_code == 9
    err = json.loads(result.stdout)["error"]
    assert err["type"] == "Trap"
    assert err["code"] == "TRAP_DIV_BY_ZERO"


def test_deploy_via_usage_and_an_unreachable_broker(example: Example, tmp_path: Path) -> None:
    sensor, via = str(example("sensor")), ["--via", "mqtt://127.0.0.1:1"]
    fails(["deploy", sensor, *via], 2, "needs --device GATEWAY/DEVICE")
    fails(["deploy", sensor, *via, "--device", "gw1/dev1", "--port", "socket://x:1"], 2,
          "give one of them")
    fails(["deploy", str(tmp_path / "nope.wasm"), *via, "--device", "gw1/dev1"], 3,
          "no such file")  # read before any connection
    unreachable = runner.invoke(app, ["deploy", sensor, *via, "--device", "gw1/dev1",
                                      "--json"])
    assert unreachable.exit_code == 12, unreachable.output
    error = json.loads(unreachable.stdout)["error"]
    assert error["type"] == "TransportError"
    assert error["message"].startswith("cannot reach the broker at mqtt://127.0.0.1:1")


def test_inspect_names_the_devices_nesting_limit(tmp_path: Path) -> None:
    import wasmtime

    path = tmp_path / "deep.wasm"
    body = "(block " * 130 + ")" * 130
    path.write_bytes(bytes(wasmtime.wat2wasm(f'(module (func (export "loop") {body}))')))
    fails(["inspect", str(path)], 3, "nesting depth 130 is past the device's limit of 64")


def test_inspect_names_an_unsupported_feature_wasmtime_accepts(tmp_path: Path) -> None:
    import wasmtime

    path = tmp_path / "bulk.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm(
        '(module (memory 1) (data "ab") (func i32.const 0 i32.const 0 i32.const 1'
        " memory.init 0))")))
    fails(["inspect", str(path)], 3, "unsupported: bulk memory (memory.init)")


class _CtrlCAfterFirstWrite(io.StringIO):
    """A terminal where Ctrl-C lands right after the first write call."""

    def write(self, text: str) -> int:
        super().write(text)
        raise KeyboardInterrupt


def test_a_followed_line_is_never_cut_from_its_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    # `logs -f`, `up` and `watch` end on Ctrl-C and then print a last line: it must
    # not run on from half a log line ("temp_c=27.5stopped").
    from wamr_agent.cli.device import print_log_event
    from wamr_agent.smp.app_results import LogEntry

    for as_json in (False, True):
        out = _CtrlCAfterFirstWrite()
        monkeypatch.setattr(sys, "stdout", out)
        with pytest.raises(KeyboardInterrupt):
            print_log_event(LogEntry(1, 7, 21264, "telemetry demo temp_c=27.5"), as_json)
        assert out.getvalue().endswith("\n") and "27.5" in out.getvalue()
