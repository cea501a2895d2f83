"""`deploy`'s pre-flight against what runs on a simulated esp32: hello_wasi does not
fit beside an app with 192 KiB of linear memory and is refused before a byte of it
is sent, with the device's numbers; two apps that fit are both accepted; and the host's RAM
estimate bounds what the app takes of the device's heap."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime
from typer.testing import CliRunner

from wamr_agent.cli import app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

Example = Callable[[str], Path]
runner = CliRunner()


def deploy(board: SimulatedBoard, module: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["deploy", str(module), "--board", "esp32", "--port",
                                 board.mgmt_address, "--json", *args])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def device(board: SimulatedBoard) -> tuple[int, dict[str, int]]:
    """The device's free heap and each running app's RAM high-water."""
    with SmpLink(board.mgmt_address) as link:
        client = AppClient(link)
        held = {a.name: client.status(a.name).mem_hw for a in client.list()
                if a.state == "running"}
        return client.status().heap_free, held


def small_app(path: Path) -> Path:
    """One page of linear memory and a loop() that logs "small app"."""
    path.write_bytes(wasmtime.wat2wasm("""
        (module
          (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "small app")
          (func (export "loop") (drop (call $log (i32.const 0) (i32.const 9)))))"""))
    return path


def test_hello_wasi_beside_a_big_app_is_refused_before_it_is_sent(
        esp32: SimulatedBoard, example: Example, tmp_path: Path) -> None:
    big = tmp_path / "big.wasm"  # all of esp32's 192 KiB of linear memory, never shrunk
    big.write_bytes(wasmtime.wat2wasm('(module (memory 3) (func (export "loop")))'))
    deploy(esp32, big)
    small = tmp_path / "small.wasm"  # and 64 KiB more (quiet: its RAM stays as it is)
    small.write_bytes(wasmtime.wat2wasm('(module (memory 1) (func (export "loop")))'))
    deploy(esp32, small)
    free, held = device(esp32)
    refused = deploy(esp32, example("hello_wasi"), code=5)["error"]
    assert refused["type"] == "FitError"
    match = re.fullmatch(r"hello_wasi: not sent: it needs about ([\d,]+) bytes of RAM and esp32 "
                         r"has ([\d,]+) free beside big \(running, ([\d,]+) bytes\) and small "
                         r"\(running, ([\d,]+) bytes\) \(--no-ram-check sends it anyway\)",
                         refused["message"])
    assert match is not None, refused["message"]
    need, said_free, held_big, held_small = (int(g.replace(",", "")) for g in match.groups())
    assert (said_free, held_big, held_small) == (free, held["big"], held["small"])
    assert need > free
    assert "app hello_wasi" not in esp32.console.text  # no upload began

    # the device agrees: sent anyway, it cannot start it
    failed = deploy(esp32, example("hello_wasi"), "--no-ram-check", code=15)["error"]
    assert failed["type"] == "InstallFailed"
    assert failed["message"].endswith("; nothing of that name runs")
    esp32.console.expect(r"app hello_wasi upload to slot")
    esp32.console.expect(r"app hello_wasi refused: .*(heap exhausted|memory allocation failed)")


def test_two_apps_that_fit_are_both_accepted_and_the_estimate_bounds_them(
        esp32: SimulatedBoard, example: Example, tmp_path: Path) -> None:
    empty, _ = device(esp32)
    sensor = deploy(esp32, example("sensor"))
    with_sensor, held = device(esp32)
    assert held["sensor"] < empty - with_sensor <= sensor["ram_estimate"]
    small = deploy(esp32, small_app(tmp_path / "small.wasm"))
    both, held = device(esp32)
    assert held.keys() == {"sensor", "small"}
    assert held["small"] < with_sensor - both <= small["ram_estimate"]
    esp32.console.expect(r"\[small\] small app")
    esp32.console.expect(r"telemetry sensor temp_c=")


def big_app(path: Path, data_bytes: int) -> Path:
    """A reactor with a loop() and `data_bytes` of data: most of the slot."""
    data = "".join(f"\\{(i * 7) & 0xFF:02x}" for i in range(data_bytes))
    path.write_bytes(wasmtime.wat2wasm(f"""
        (module (memory (export "memory") 2) (data (i32.const 0) "{data}")
          (func (export "loop")))"""))
    return path


def test_a_module_of_most_of_the_slot_runs_in_place_with_no_copy_in_ram(
        esp32: SimulatedBoard, tmp_path: Path) -> None:
    """The device runs the module from its slot: no copy of its 90 KB in RAM,
    and the estimate counts none (an earlier firmware metered a copy into RAM
    when the slot could not hold the module and its metered image)."""
    empty, _ = device(esp32)
    big = deploy(esp32, big_app(tmp_path / "big.wasm", 90_000))
    with SmpLink(esp32.mgmt_address) as link:
        status = AppClient(link).status("big")
    assert status.module_ram == 0
    taken = empty - device(esp32)[0]
    assert taken <= big["ram_estimate"] < 90_000 + taken
    esp32.console.expect(r"app big installed \(\d+ bytes, slot \d\)")
