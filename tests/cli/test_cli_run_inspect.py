"""`wamr-agent run` and `inspect` on the examples, text and --json."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import ROOT
from wamr_agent.cli import app

Example = Callable[[str], Path]
WatFile = Callable[[str], Path]
runner = CliRunner()
SENSOR_CSV = ROOT / "examples" / "sensor" / "sensor-data.csv"


def test_run_sensor_with_recorded_data(example: Example) -> None:
    result = runner.invoke(app, ["run", str(example("sensor")), "--board", "esp32",
                                 "--sensor-data", str(SENSOR_CSV), "--repeat", "100"])
    assert result.exit_code == 0, result.output
    assert "telemetry temp_c=" in result.stdout
    assert "ALERT" in result.stdout
    assert "stopped: loop returned -4" in result.stdout


def test_run_json_reports_calls_log_telemetry_and_stats(example: Example) -> None:
    result = runner.invoke(app, ["run", str(example("sensor")), "--sensor-data",
                                 str(SENSOR_CSV), "--repeat", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [c["export"] for c in report["calls"]] == ["setup", "loop", "loop", "loop"]
    assert len([t for t in report["telemetry"] if t["key"] == "temp_c"]) == 3
    assert report["stats"]["heap_peak"] > report["stats"]["linear_memory"] > 0


def test_run_invoke_with_args(wat_file: WatFile) -> None:
    result = runner.invoke(app, ["run", str(wat_file("add")), "--invoke", "add",
                                 "--args", "40,2"])
    assert result.exit_code == 0, result.output
    assert "add(40, 2) = 42" in result.stdout


def test_run_wasi_command(example: Example) -> None:
    result = runner.invoke(app, ["run", str(example("hello_wasi"))])
    assert result.exit_code == 0, result.output
    assert "[stdout]" in result.stdout


def test_inspect_sensor(example: Example) -> None:
    result = runner.invoke(app, ["inspect", str(example("sensor")), "--board", "nrf52840"])
    assert result.exit_code == 0, result.output
    assert "wamr_agent.sensor_read" in result.stdout
    assert "needs    log, sensor, telemetry" in result.stdout
    assert "verdict  fits" in result.stdout
    assert re.search(r"device   [\d,]+ bytes of linear memory \(shrunk to __heap_base\)",
                     result.stdout)


def test_inspect_json_verdict_for_module_that_does_not_fit(wat_file: WatFile) -> None:
    result = runner.invoke(app, ["inspect", str(wat_file("big_memory")), "--board",
                                 "nrf52840", "--json"])
    assert result.exit_code == 5
    report = json.loads(result.stdout)
    assert report["verdict"]["fits"] is False
    assert report["initial_memory"] == 8 * 65536
    assert report["device_memory"] == 8 * 65536  # no __heap_base: not shrunk
    assert "__heap_base" in report["device_memory_note"]
    assert "512 KiB" in report["verdict"]["reasons"][0]


def test_inspect_exits_with_the_code_deploy_refuses_with(wat_file: WatFile) -> None:
    """An import the device refuses exits 6 (LinkError) and a board below the floor 4
    (BoardError), as `deploy` and `run` exit for them (both were 5)."""
    for wat, code, verdict in (
            ("unknown_import", 6, "refused: unknown import env.mystery_func"),
            ("bad_import_sig", 6, "refused: import "),
            ("big_memory", 5, "does not fit: ")):
        result = runner.invoke(app, ["inspect", str(wat_file(wat)), "--board", "nrf52840"])
        assert result.exit_code == code, (wat, result.output)
        assert f"verdict  {verdict}" in result.stdout, result.stdout
    low = runner.invoke(app, ["inspect", str(wat_file("add")), "--board", "lm3s6965evb",
                              "--json"])
    assert low.exit_code == 4, low.output
    assert json.loads(low.stdout)["verdict"]["exit_code"] == 4


def _big_code(path: Path) -> Path:
    """A module whose compiled code (about 290 KiB on the host) exceeds what a board's
    engine heap leaves it, as a CoreMark build's does on every board."""
    import wasmtime

    body = " ".join(["local.get 0 i32.const 7 i32.mul local.set 0"] * 60)
    funcs = "".join(f"(func $f{i} (param i32) (result i32) {body} local.get 0)"
                    for i in range(100))
    path.write_bytes(wasmtime.wat2wasm(f'(module {funcs} (func (export "run") (result i32) '
                                       "i32.const 1 call $f0))"))
    return path


def test_heap_bytes_lets_a_module_with_much_code_run(tmp_path: Path) -> None:
    module = str(_big_code(tmp_path / "big.wasm"))
    refused = runner.invoke(app, ["run", module, "--invoke", "run"])
    assert refused.exit_code == 7, refused.output
    assert "memory allocation failed" in refused.stderr
    result = runner.invoke(app, ["run", module, "--invoke", "run", "--heap-bytes", "1M"])
    assert result.exit_code == 0, result.output
    assert "run() = " in result.stdout
    assert result.stderr == "note: heap_bytes 1048576 instead of esp32's 65536\n"
    assert "of 1224.0 KiB" in result.stdout  # 1 MiB heap + 192 KiB linear + 8 KiB stack


def test_cpu_ticks_zero_lets_a_long_call_finish(wat_file: WatFile) -> None:
    args = ["run", str(wat_file("spin")), "--invoke", "spin", "--args", "25000000"]
    stopped = runner.invoke(app, args)
    assert stopped.exit_code == 10, stopped.output  # CpuBudgetExceeded
    assert "CPU budget of 20000000 ticks exhausted" in stopped.stderr
    result = runner.invoke(app, [*args, "--cpu-ticks", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["calls"][0]["result"] == 25_000_000
    assert result.stderr == ("note: cpu_ticks 0 (no CPU budget) instead of esp32's "
                             "20000000\n")


def test_an_override_equal_to_the_boards_value_says_nothing(wat_file: WatFile) -> None:
    result = runner.invoke(app, ["run", str(wat_file("spin")), "--invoke", "spin", "--args",
                                 "5", "--cpu-ticks", "20000000", "--heap-bytes", "64K"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_console_script_is_installed() -> None:
    """The real entry point, as users run it (one subprocess in this tier)."""
    exe = Path(sys.executable).with_name("wamr-agent")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wamr-agent ")


def test_every_command_has_a_test() -> None:
    """A command added without a test fails here (STYLE.md); sub-commands count as
    "group command" (their tests: test_cli_board.py, tests/qemu/test_board_cli.py,
    tests/hostport/test_sim_cli.py)."""
    import typer.main

    tested = {"run", "inspect", "board list", "board up", "board down", "board console",
              "sim list", "sim up", "sim down", "sim console",
              "deploy", "ps", "start", "stop", "rm",  # tests/qemu/test_deploy.py
              "confirm", "rollback",  # tests/cli/test_cli_deploy.py
              "status", "logs",  # tests/hostport/test_status_logs.py
              "send",  # tests/hostport/test_messages.py, tests/gateway/test_gateway.py
              "bundle keygen", "bundle build", "bundle verify", "bundle show",  # test_cli_bundle
              "gateway", "devices",  # tests/gateway, tests/unit/test_gateway_config.py
              "broker up", "broker down",  # tests/gateway/test_security.py
              "controller", "rollout start", "rollout status", "rollout list",
              "rollout pause", "rollout resume", "rollout abort",  # tests/gateway/test_rollouts
              "new", "build", "up", "watch",  # tests/appdev/test_devloop.py
              "config set", "config get"}  # tests/hostport/test_config.py, tests/gateway
    commands: set[str] = set()
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        commands |= {f"{name} {sub}" for sub in subcommands} if subcommands else {name}
    assert commands == tested, f"untested or removed commands: {commands ^ tested}"
