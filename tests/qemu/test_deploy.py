"""`wamr-agent deploy / ps / start / stop / rm` against real firmware: QEMU
mps2-an386 and the simulated esp32 (through --port), pre-flight refusals that
never reach the device, resuming a cut upload, and the embedded default (no
--port: a local simulated or QEMU board started in the background)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wamr_agent import deploy as deploying
from wamr_agent.cli import app
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard, instances
from wamr_agent.emulator.state import STATE_ENV
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

KINDS = [pytest.param((EmulatedBoard, "mps2-an386"), id="qemu-mps2-an386"),
         pytest.param((SimulatedBoard, "esp32"), id="sim-esp32")]
runner = CliRunner()


@pytest.fixture(params=KINDS)
def device(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatedBoard]:
    cls, name = request.param
    with cls.start(name, workdir=tmp_path / "board") as board:
        yield board


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def target(board: EmulatedBoard) -> list[str]:
    return ["--board", board.board.name, "--port", board.mgmt_address]


def test_deploy_ps_stop_start_rm(device: EmulatedBoard,
                                 example: Callable[[str], Path]) -> None:
    sensor = example("sensor")
    size = sensor.stat().st_size
    assert cli("ps", *target(device)) == {"apps": []}
    report = cli("deploy", str(sensor), *target(device))
    assert (report["name"], report["bytes"], report["resumed_from"]) == ("sensor", size, 0)
    assert report["goodput"] > 0 and device.mgmt_address in report["target"]
    device.console.expect(r"app sensor started")
    device.console.expect(r"telemetry sensor temp_c=")
    [listed] = cli("ps", *target(device))["apps"]
    assert (listed["name"], listed["state"], listed["size"]) == ("sensor", "running", size)

    # again: the same module and deploy id are installed already
    assert cli("deploy", str(sensor), *target(device))["already_installed"] is True

    assert cli("stop", "sensor", *target(device)) == {"name": "sensor", "result": "stopped"}
    device.console.expect(r"app sensor stopped \(slot \d\)\n")
    assert cli("ps", *target(device))["apps"][0]["state"] == "stopped"
    cli("start", "sensor", *target(device))
    device.console.expect(r"app sensor started")
    device.console.expect(r"telemetry sensor temp_c=")

    missing = cli("stop", "nope", *target(device), code=2)
    assert missing["error"]["code"] == "NOT_FOUND" and "'nope'" in missing["error"]["message"]
    cli("rm", "sensor", *target(device))
    device.console.expect(r"app sensor removed")
    assert cli("ps", *target(device)) == {"apps": []}

    # text output, with the progress bar; --no-start installs without starting
    text = runner.invoke(app, ["deploy", str(sensor), "--name", "quiet", "--no-start",
                               *target(device)])
    assert text.exit_code == 0, text.output
    assert "deployed quiet to" in text.stdout and "not started" in text.stdout
    device.console.expect(r"app quiet installed")
    listing = runner.invoke(app, ["ps", *target(device)])
    assert listing.exit_code == 0 and "quiet" in listing.stdout and "stopped" in listing.stdout


def test_module_failing_preflight_is_never_sent(
        device: EmulatedBoard, wat_file: Callable[[str], Path]) -> None:
    refused = cli("deploy", str(wat_file("big_memory")), *target(device), code=5)
    assert refused["error"]["type"] == "FitError"
    assert "not sent" in refused["error"]["message"]
    assert cli("ps", *target(device)) == {"apps": []}
    assert "app big_memory" not in device.console.text


def big_app(path: Path) -> Path:
    """A 12 KiB app (a data segment) whose loop() logs "big app": several chunks."""
    import wasmtime

    path.write_bytes(wasmtime.wat2wasm(f"""
        (module
          (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "big app") (data (i32.const 64) "{'z' * 12288}")
          (func (export "loop") (drop (call $log (i32.const 0) (i32.const 7)))))"""))
    return path


def test_deploy_resumes_a_cut_upload(device: EmulatedBoard, tmp_path: Path) -> None:
    path = big_app(tmp_path / "big.wasm")
    module = path.read_bytes()
    calls: list[int] = []

    def cut_after_two_chunks(sent: int, total: int) -> None:
        calls.append(sent)
        if len(calls) > 2:
            raise ConnectionAbortedError("link cut")

    with SmpLink(device.mgmt_address) as link, pytest.raises(ConnectionAbortedError):
        AppClient(link).upload("big", module, progress=cut_after_two_chunks)
    reached = calls[-1]
    assert 0 < reached < len(module)

    seen: list[tuple[int, int]] = []
    report = deploying.deploy(path, device.board.name, device.mgmt_address,
                              progress=lambda sent, total: seen.append((sent, total)))
    assert report.resumed_from == reached and not report.already_installed
    assert seen[0][0] == reached and seen[-1] == (len(module), len(module))
    device.console.expect(r"\[big\] big app")
    assert [a.state for a in deploying.list_apps(device.board.name, device.mgmt_address)] == [
        "running"]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    yield tmp_path / "state"
    for info in instances.instances():
        instances.down(info.name, info.kind)  # never leave a simulator behind


def test_embedded_default_starts_a_local_simulated_board(
        state: Path, example: Callable[[str], Path]) -> None:
    cli("ps", "--board", "esp32", code=2)  # nothing runs, and ps does not start one
    report = cli("deploy", str(example("sensor")), "--board", "esp32")
    assert report["started_instance"] is True
    assert report["target"].startswith("local simulated esp32 (instance 'esp32'")
    [info] = instances.instances()
    assert (info.kind, info.board, info.status) == ("sim", "esp32", "running")
    assert info.mgmt_address in report["target"]
    assert [a["name"] for a in cli("ps", "--board", "esp32")["apps"]] == ["sensor"]

    # a second deploy finds the running instance
    again = cli("deploy", str(example("sensor")), "--board", "esp32")
    assert again["started_instance"] is False and again["already_installed"] is True
    assert "instance 'esp32'" in again["target"]
    _, lines = instances.console_lines("esp32", instances.SIM)
    assert any("app sensor installed" in line for line in lines)


def test_embedded_default_boots_a_local_qemu_board(
        state: Path, example: Callable[[str], Path]) -> None:
    """`make demo-device`: deploy with no --port boots the board's QEMU instance, the
    sensor runs and sends telemetry, `status` and `board console` find it by board."""
    board = "mps2-an386"
    report = cli("deploy", str(example("sensor")), "--board", board)
    assert report["started_instance"] is True and report["life"] == "confirmed"
    assert report["target"].startswith(f"local QEMU {board} (instance '{board}'")
    [info] = instances.instances()
    assert (info.kind, info.board, info.status) == ("qemu", board, "running")
    status = cli("status", "sensor", "--board", board)
    assert (status["state"], status["life"]) == ("running", "confirmed")
    deadline = time.monotonic() + 30
    while not any(line.startswith("telemetry sensor temp_c=")
                  for line in runner.invoke(app, ["board", "console", board]).stdout.splitlines()):
        assert time.monotonic() < deadline, "no telemetry on the board's console"
        time.sleep(0.2)
    assert runner.invoke(app, ["board", "down", board]).exit_code == 0
    assert [i.status for i in instances.instances()] == ["stopped"]


def test_deploy_with_raw_framing(device: EmulatedBoard, example: Callable[[str], Path]) -> None:
    report = cli("deploy", str(example("sensor")), "--framing", "raw", *target(device))
    assert report["bytes"] == example("sensor").stat().st_size
    device.console.expect(r"telemetry sensor temp_c=")
    bad = cli("deploy", str(example("sensor")), "--framing", "morse", *target(device), code=2)
    assert "unknown framing 'morse'" in bad["error"]["message"]


def test_sensor_and_a_small_app_fit_side_by_side(device: EmulatedBoard,
                                                 example: Callable[[str], Path],
                                                 tmp_path: Path) -> None:
    """No false refusal by the pre-flight against the device; on both kinds of board
    the host's RAM estimate bounds what each app takes of the device's heap (on the
    32-bit QEMU board by a margin: the estimate is made by a 64-bit build)."""
    free = [cli("status", *target(device))["heap_free"]]
    estimates = [cli("deploy", str(example("sensor")), *target(device))["ram_estimate"]]
    free.append(cli("status", *target(device))["heap_free"])
    estimates.append(cli("deploy", str(big_app(tmp_path / "big.wasm")),
                         *target(device))["ram_estimate"])
    free.append(cli("status", *target(device))["heap_free"])
    assert [a["state"] for a in cli("ps", *target(device))["apps"]] == ["running", "running"]
    assert free[0] - free[1] <= estimates[0] and free[1] - free[2] <= estimates[1]
    device.console.expect(r"\[big\] big app")
