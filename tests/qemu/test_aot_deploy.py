"""AOT code deployed the real way (docs/aot.md): `wamr-agent bundle build --aot`
of the sensor example (a reactor with setup/loop and natives), deployed
signed to each mps2 board, is confirmed and runs as AOT code (console and
`status`), with the interpreter's output line for line; the same module
uploaded unsigned is interpreted (AOT code only ever runs from a verified
signed bundle). A runaway loop fails an AOT trial with the interpreter's CPU
budget trap, message and verdict. deploy's RAM estimate of AOT code is the
loader's: on a nearly full board, an app that the interpreter's estimate would
refuse is sent and runs, holding what its estimate says."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from tests.appdev.conftest import need_toolchain
from tests.conftest import need_aot_tools
from tests.qemu.signed_bundle import build_signed
from wamr_agent import deploy as deploying
from wamr_agent.aot import compile_module
from wamr_agent.aot.blob import ABI, HEADER
from wamr_agent.appdev import toolchains
from wamr_agent.device_fit import RamEstimate, estimate_payload, estimate_ram
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.errors import InstallFailed
from wamr_agent.ota import build_bundle, load_secret_key, parse_bundle
from wamr_agent.payload import load_payload

ROOT = Path(__file__).resolve().parents[2]
BOARDS = ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505"]
ROUNDS = 6  # loop rounds compared (the trial runs 10 before confirming)
TEST_KEY = load_secret_key(ROOT / "ota" / "vectors" / "test.key")
OUTPUT = re.compile(r"^(\[sensor\] .*|telemetry sensor .*)$", re.M)


def sensor_output(device: EmulatedBoard, word: str = "temp") -> list[str]:
    """The app's first ROUNDS loop rounds of output (after its setup line; each
    round's log line starts with word)."""
    device.console.expect(rf"(?s)(\[sensor\] {word} .*?\n){{{ROUNDS}}}", timeout=20)
    return OUTPUT.findall(device.console.text)[: 1 + 3 * ROUNDS]


def run(board: str, path: Path, workdir: Path, engine: str, word: str = "temp") -> list[str]:
    """Deploys path to a fresh board; checks the engine it runs on; its output."""
    with EmulatedBoard.start(board, workdir=workdir) as device:
        said = deploying.status(board, device.mgmt_address)  # the firmware runs AOT code
        assert (said.aot_abi, said.kids) == (ABI, (TEST_KEY.kid.hex(),))  # type: ignore[union-attr]
        report = deploying.deploy(path, board, device.mgmt_address)
        assert report.life == "confirmed", report
        status = deploying.status(board, device.mgmt_address, "sensor")
        assert status.aot is (engine == "aot")  # type: ignore[union-attr]
        if engine == "aot":  # deploy estimated the RAM its loader takes
            holds_its_estimate(device, "sensor", estimates(path, board)[0])
        installed = (r"app sensor installed \(\d+ bytes, slot 0, bundle seq 1\)"
                     if engine == "aot" else r"app sensor installed \(\d+ bytes, slot 0\)")
        device.console.expect(installed)
        line = ("app sensor: runs its AOT code" if engine == "aot" else
                r"app sensor: interpreted \(not from a signed bundle\)")
        device.console.expect(line)
        return sensor_output(device, word)


@pytest.mark.parametrize("board", BOARDS)
def test_signed_aot_runs_as_the_interpreter_unsigned_is_interpreted(
        board: str, example: Callable[[str], Path], tmp_path: Path) -> None:
    need_aot_tools()
    bundle = tmp_path / "sensor.wab"
    built = build_signed(example("sensor"), [board], bundle, "--aot")
    assert built.exit_code == 0 and "AOT code for cortex-m" in built.output, built.output
    unsigned = tmp_path / "sensor.wasm"  # the module with its AOT section, no signature
    unsigned.write_bytes(parse_bundle(bundle.read_bytes()).module)

    aot = run(board, bundle, tmp_path / "signed", "aot")
    interpreted = run(board, unsigned, tmp_path / "unsigned", "interpreter")
    assert len(aot) == 1 + 3 * ROUNDS and aot[0].startswith("[sensor] sensor app started")
    assert aot == interpreted


def test_an_assemblyscript_app_whose_runtime_grows_memory_runs_as_aot_code(
        tmp_path: Path) -> None:
    """AssemblyScript's runtime uses memory.grow: its sensor template compiles
    (the bounds follow the current size, the budget's pages reserved at load)
    and prints the interpreter's output as AOT code."""
    need_aot_tools()
    need_toolchain("assemblyscript")
    board = "mps2-an386"
    app_dir = tmp_path / "app"
    info = toolchains.write_template("assemblyscript", "sensor", app_dir, "sensor")
    module = tmp_path / "sensor.wasm"
    toolchains.build("assemblyscript", app_dir, info.sources, module, kind=info.kind)
    blob = compile_module(module.read_bytes(), "cortex-m4").data
    assert HEADER.unpack_from(blob)[17] == 65536  # mem_max_pages: it grows, no maximum
    bundle = tmp_path / "sensor.wab"
    built = build_signed(module, [board], bundle, "--aot")
    assert built.exit_code == 0 and "AOT code for cortex-m4" in built.output, built.output
    unsigned = tmp_path / "unsigned" / "sensor.wasm"
    unsigned.parent.mkdir()
    unsigned.write_bytes(parse_bundle(bundle.read_bytes()).module)
    aot = run(board, bundle, tmp_path / "signed", "aot", "temperature")
    interpreted = run(board, unsigned, tmp_path / "interpreted", "interpreter", "temperature")
    assert len(aot) == 1 + 3 * ROUNDS and aot[0] == "[sensor] sensor started", aot
    assert aot == interpreted


def failed_trial(device: EmulatedBoard, module: Path, name: str, *extra: str) -> dict[str, Any]:
    """The reason a signed bundle of module (built with extra options) fails its first
    trial with."""
    board = device.board.name
    path = module.with_name(f"{name}.wab")
    built = build_signed(module, [board], path, "--name", name, *extra)
    assert built.exit_code == 0, built.output
    with pytest.raises(InstallFailed) as failed:
        deploying.deploy(path, board, device.mgmt_address)
    reason: dict[str, Any] = failed.value.report["reason"]  # type: ignore[index]
    return reason


def test_traps_fail_an_aot_trial_as_they_fail_an_interpreted_one(
        wat_file: Callable[[str], Path], example: Callable[[str], Path],
        tmp_path: Path) -> None:
    """A loop under the board's CPU budget (loop_forever) and endless recursion
    (recursion_loop: a trap, not a fault of the C stack the AOT code runs on): the
    same verdict, reason and message as interpreted (the first install fails its
    trial, nothing of that name runs). A signed bundle with AOT code for another
    CPU only is interpreted."""
    need_aot_tools()
    board = "mps2-an386"
    with EmulatedBoard.start(board, workdir=tmp_path / "board") as device:
        spin = wat_file("loop_forever")
        budget = [failed_trial(device, spin, "spin_aot", "--aot"),
                  failed_trial(device, spin, "spin")]
        device.console.expect("app spin_aot: runs its AOT code")
        deep = wat_file("recursion_loop")
        stack = [failed_trial(device, deep, "deep_aot", "--aot"),
                 failed_trial(device, deep, "deep")]
        device.console.expect("app deep_aot: runs its AOT code")
        # AOT code for another CPU only: interpreted, and the console says why
        other = tmp_path / "other.wab"
        sensor = example("sensor").read_bytes()
        other.write_bytes(build_bundle(
            sensor, name="other", version="1.0.0", seq=1, boards=[board],
            caps=["log", "sensor", "telemetry"], key=TEST_KEY,
            aot={"cortex-m3": compile_module(sensor, "cortex-m3").data}))
        assert deploying.deploy(other, board, device.mgmt_address).life == "confirmed"
        device.console.expect(r"app other: interpreted \(AOT code for another CPU or ABI\)")
        status = deploying.status(board, device.mgmt_address, "other")
        assert status.aot is False  # type: ignore[union-attr]
        for name in ("spin_aot", "spin", "deep_aot", "deep"):  # their slots, for what follows
            deploying.remove_app(name, board, device.mgmt_address)
        nearly_full(device, example("sensor"), wat_file("aot_grow"), tmp_path)
    assert budget[0]["code"] == "cpu_budget", budget
    assert "CPU budget of 20000000 ticks exhausted" in budget[0]["msg"]
    assert budget[0] == budget[1]
    assert stack[0]["code"] == "traps" and "stack overflow" in stack[0]["msg"], stack
    assert stack[0] == stack[1]


FILLER = """(module (memory 2) (global (export "__heap_base") i32 (i32.const {}))
  (func (export "loop")))"""


def estimates(path: Path, board: str) -> tuple[RamEstimate, RamEstimate]:
    """deploy's RAM estimate of a bundle, and the interpreter's of the same."""
    _, payload = load_payload(path, board, None)
    return (estimate_payload(path, board, payload),
            estimate_ram(path, board, payload.module, payload.grants))


def held(device: EmulatedBoard, name: str) -> int:
    """The RAM app name holds (its mem_hw), which runs as AOT code."""
    status = deploying.status(device.board.name, device.mgmt_address, name)
    assert status.aot is True, status  # type: ignore[union-attr]
    mem_hw: int = status.mem_hw  # type: ignore[union-attr]
    return mem_hw


def holds_its_estimate(device: EmulatedBoard, name: str, need: RamEstimate) -> None:
    """App name holds at most its AOT estimate, and not far less."""
    mem_hw = held(device, name)
    assert need.aot == device.board.cpu, need
    assert mem_hw <= need.total <= 2 * mem_hw + need.allowance, (name, mem_hw, need)


def free_ram(device: EmulatedBoard) -> int:
    free: int = deploying.status(device.board.name, device.mgmt_address).heap_free  # type: ignore[union-attr]
    return free


def fill(device: EmulatedBoard, leave: int, workdir: Path) -> None:
    """Deploys AOT apps (a linear memory shrunk to __heap_base, at most the board's
    budget) that hold the board's free RAM but about ``leave`` bytes."""
    board, cpu = device.board.name, device.board.cpu
    budget = device.board.budget.linear_memory_bytes
    for n in range(3):
        free = free_ram(device)
        if free < leave + 4096:
            return
        wasm = bytes(wasmtime.wat2wasm(FILLER.format(min(budget, (free - leave) // 16 * 16))))
        path = workdir / f"fill{n}.wab"
        path.write_bytes(build_bundle(wasm, name=f"fill{n}", version="1.0.0", seq=1,
                                      boards=[board], caps=[], key=TEST_KEY,
                                      aot={cpu: compile_module(wasm, cpu).data}))
        assert deploying.deploy(path, board, device.mgmt_address).life == "confirmed"
        holds_its_estimate(device, f"fill{n}", estimates(path, board)[0])
    raise AssertionError(f"{board} still has {free_ram(device):,} bytes free")


def nearly_full(device: EmulatedBoard, sensor: Path, grows: Path, workdir: Path) -> None:
    """On a board filled to between the sensor's AOT estimate and the interpreter's
    (which refused it before AOT code was estimated as such), the sensor is sent and
    runs as AOT code; then a module whose memory grows (aot_grow: at most a page)
    passes with the least its loader steps down to, which it holds (no page)."""
    board = device.board.name
    bundle = workdir / "sensor.wab"
    assert build_signed(sensor, [board], bundle, "--aot").exit_code == 0
    aot, interpreted = estimates(bundle, board)
    assert interpreted.aot is None and aot.total * 4 < interpreted.total, (aot, interpreted)
    fill(device, (aot.needed + interpreted.needed) // 2, workdir)
    assert aot.needed <= free_ram(device) < interpreted.needed
    report = deploying.deploy(bundle, board, device.mgmt_address)
    assert report.life == "confirmed" and report.ram_estimate == aot.total, report
    holds_its_estimate(device, "sensor", aot)
    path = workdir / "aot_grow.wab"
    assert build_signed(grows, [board], path, "--aot").exit_code == 0
    need = estimates(path, board)[0]
    assert need.least is not None and need.needed <= free_ram(device) < need.pool
    assert deploying.deploy(path, board, device.mgmt_address).life == "confirmed"
    assert held(device, "aot_grow") == need.least == need.pool - 65536
