"""Which AOT blob a device runs (docs/aot.md, wa_aot.c `wa_aot_find`): the one in the
section named for its own CPU (`wamr-aot/<cpu>`), its header checked as well. One
signed bundle with blobs for two CPUs runs as AOT code on a board of each; a blob
for this CPU in the section of another CPU is not run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime

from tests.conftest import need_aot_tools
from tests.qemu.signed_bundle import build_signed
from wamr_agent import deploy as deploying
from wamr_agent.aot import compile_module
from wamr_agent.aot.section import aot_sections
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.ota import build_bundle, load_secret_key, parse_bundle

ROOT = Path(__file__).resolve().parents[2]
KEY = ROOT / "ota" / "vectors" / "test.key"
# Exports the sensor example's; its setup says it is the wrong code.
WRONG = """(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "wrong blob")
  (func (export "_initialize"))
  (func (export "setup") (drop (call $log (i32.const 0) (i32.const 10))))
  (func (export "loop")))"""


@pytest.fixture(autouse=True)
def _tools() -> None:
    need_aot_tools()


def confirmed_as_aot(board: str, bundle: Path, workdir: Path) -> str:
    """Deploys bundle to a fresh board: confirmed, runs as AOT code; the console."""
    with EmulatedBoard.start(board, workdir=workdir) as device:
        assert deploying.deploy(bundle, board, device.mgmt_address).life == "confirmed"
        device.console.expect("app sensor: runs its AOT code")
        device.console.expect(r"\[sensor\] temp ")
        status = deploying.status(board, device.mgmt_address, "sensor")
        assert status.aot is True  # type: ignore[union-attr]
        return device.console.text


def test_one_bundle_with_two_cpus_blobs_runs_as_aot_on_each(
        example: Callable[[str], Path], tmp_path: Path) -> None:
    bundle = tmp_path / "sensor.wab"
    built = build_signed(example("sensor"), ["mps2-an385", "mps2-an386"], bundle, "--aot")
    assert built.exit_code == 0, built.output
    module = parse_bundle(bundle.read_bytes()).module
    assert [s.cpu for s in aot_sections(module)] == ["cortex-m3", "cortex-m4"]
    for board in ("mps2-an385", "mps2-an386"):
        console = confirmed_as_aot(board, bundle, tmp_path / board)
        assert "AOT code for another CPU" not in console


def test_a_blob_in_another_cpus_section_is_not_run(
        example: Callable[[str], Path], tmp_path: Path) -> None:
    # An M4 blob of other code under the name cortex-m3, before the sensor's own M4
    # blob: its header fits the an386, its name does not; the device picks by name.
    sensor = example("sensor").read_bytes()
    wrong = compile_module(bytes(wasmtime.wat2wasm(WRONG)), "cortex-m4").data
    bundle = tmp_path / "sensor.wab"
    bundle.write_bytes(build_bundle(
        sensor, name="sensor", version="1.0.0", seq=1, boards=["mps2-an386"],
        caps=["log", "sensor", "telemetry"], key=load_secret_key(KEY),
        aot={"cortex-m3": wrong, "cortex-m4": compile_module(sensor, "cortex-m4").data}))
    console = confirmed_as_aot("mps2-an386", bundle, tmp_path / "board")
    assert "wrong blob" not in console
